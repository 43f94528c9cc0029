//! The tree client's own files (the psim arch, the stand-ins below the real MSI core,
//! the entry points) embedded in the binary, and the headers generated per tree.

/// The project's files of the tree client, as (path in the work folder, text).
pub const SOURCES: &[(&str, &str)] = &[
    (
        "arch/asm/atomic.h",
        include_str!("../../linux-tree/arch/asm/atomic.h"),
    ),
    (
        "arch/asm/elf.h",
        include_str!("../../linux-tree/arch/asm/elf.h"),
    ),
    (
        "arch/asm/hw_irq.h",
        include_str!("../../linux-tree/arch/asm/hw_irq.h"),
    ),
    (
        "arch/asm/io.h",
        include_str!("../../linux-tree/arch/asm/io.h"),
    ),
    (
        "arch/asm/irqflags.h",
        include_str!("../../linux-tree/arch/asm/irqflags.h"),
    ),
    (
        "arch/asm/page.h",
        include_str!("../../linux-tree/arch/asm/page.h"),
    ),
    (
        "arch/asm/pgtable.h",
        include_str!("../../linux-tree/arch/asm/pgtable.h"),
    ),
    (
        "arch/asm/processor.h",
        include_str!("../../linux-tree/arch/asm/processor.h"),
    ),
    (
        "arch/asm/ptrace.h",
        include_str!("../../linux-tree/arch/asm/ptrace.h"),
    ),
    (
        "arch/asm/thread_info.h",
        include_str!("../../linux-tree/arch/asm/thread_info.h"),
    ),
    (
        "arch/asm/user.h",
        include_str!("../../linux-tree/arch/asm/user.h"),
    ),
    (
        "arch/asm/vmalloc.h",
        include_str!("../../linux-tree/arch/asm/vmalloc.h"),
    ),
    (
        "arch/asm/bitops.h",
        include_str!("../../linux-tree/arch/asm/bitops.h"),
    ),
    (
        "arch/asm/smp.h",
        include_str!("../../linux-tree/arch/asm/smp.h"),
    ),
    (
        "arch/asm/svm.h",
        include_str!("../../linux-tree/arch/asm/svm.h"),
    ),
    (
        "arch/asm/ultravisor.h",
        include_str!("../../linux-tree/arch/asm/ultravisor.h"),
    ),
    (
        "arch/asm/xmon.h",
        include_str!("../../linux-tree/arch/asm/xmon.h"),
    ),
    (
        "arch/linux/libfdt.h",
        include_str!("../../linux-tree/arch/linux/libfdt.h"),
    ),
    (
        "arch/uapi/asm/byteorder.h",
        include_str!("../../linux-tree/arch/uapi/asm/byteorder.h"),
    ),
    (
        "arch/uapi/asm/ptrace.h",
        include_str!("../../linux-tree/arch/uapi/asm/ptrace.h"),
    ),
    (
        "arch/uapi/asm/sigcontext.h",
        include_str!("../../linux-tree/arch/uapi/asm/sigcontext.h"),
    ),
    (
        "bottom/bottom.h",
        include_str!("../../linux-tree/bottom/bottom.h"),
    ),
    (
        "bottom/host.c",
        include_str!("../../linux-tree/bottom/host.c"),
    ),
    (
        "bottom/irqdesc.c",
        include_str!("../../linux-tree/bottom/irqdesc.c"),
    ),
    (
        "bottom/kmem.c",
        include_str!("../../linux-tree/bottom/kmem.c"),
    ),
    ("bottom/of.c", include_str!("../../linux-tree/bottom/of.c")),
    (
        "bottom/pci.c",
        include_str!("../../linux-tree/bottom/pci.c"),
    ),
    (
        "bottom/powerpc.c",
        include_str!("../../linux-tree/bottom/powerpc.c"),
    ),
    (
        "bottom/xive.c",
        include_str!("../../linux-tree/bottom/xive.c"),
    ),
    (
        "bottom/printk.c",
        include_str!("../../linux-tree/bottom/printk.c"),
    ),
    (
        "gen/autoconf.h",
        include_str!("../../linux-tree/gen/autoconf.h"),
    ),
    (
        "gen/bounds.h",
        include_str!("../../linux-tree/gen/bounds.h"),
    ),
    (
        "gen/rq-offsets.h",
        include_str!("../../linux-tree/gen/rq-offsets.h"),
    ),
    (
        "gen/timeconst.h",
        include_str!("../../linux-tree/gen/timeconst.h"),
    ),
    ("glue/glue.c", include_str!("../../linux-tree/glue/glue.c")),
    ("glue/glue.h", include_str!("../../linux-tree/glue/glue.h")),
    (
        "top/driver.c",
        include_str!("../../linux-tree/top/driver.c"),
    ),
    ("top/entry.c", include_str!("../../linux-tree/top/entry.c")),
    ("top/root.c", include_str!("../../linux-tree/top/root.c")),
    ("top/top.h", include_str!("../../linux-tree/top/top.h")),
    (
        "top/psim_host.h",
        include_str!("../../linux-client/include/psim_host.h"),
    ),
];

/// asm-generic headers the psim arch wraps beyond the tree's `mandatory-y` lists.
pub const GENERIC_EXTRA: &[&str] = &["bugs.h", "cache.h", "cmpxchg.h", "extable.h", "string.h"];

/// The powerpc headers pSeries msi.c and its glue include, used as the tree has them
/// (an allow-list: any other powerpc header is a compile error, not silently ppc code).
pub const POWERPC_HEADERS: &[&str] = &[
    "asm/rtas.h",
    "asm/rtas-types.h",
    "asm/pci-bridge.h",
    "asm/ppc-pci.h",
    "asm/machdep.h",
    "asm/eeh.h",
    "asm/device.h",
    "asm/xive.h",
    "asm/opal-api.h",
    "asm/xive-regs.h",
    "asm/hvcall.h",
    "asm/prom.h",
    "asm/firmware.h",
    "asm/asm-const.h",
    "uapi/asm/eeh.h",
];

/// The files compiled from the tree, where the tree has them; the first is the client.
pub const TREE_FILES: &[&str] = &[
    "arch/powerpc/platforms/pseries/msi.c",
    "kernel/irq/msi.c",
    "kernel/irq/irqdomain.c",
    "kernel/irq/chip.c",
    "drivers/pci/msi/msi.c",
    "drivers/pci/msi/irqdomain.c",
    "drivers/pci/msi/legacy.c",
    "drivers/pci/msi/pcidev_msi.c",
    "drivers/pci/msi/api.c",
    "drivers/irqchip/irq-msi-lib.c",
    "lib/xarray.c",
    "lib/radix-tree.c",
    XIVE_FILES[0],
    XIVE_FILES[1],
];

/// The XIVE driver (compiled when the tree has it: the interrupt controller's driver
/// under XIVE), its common part first.
pub const XIVE_FILES: [&str; 2] = [
    "arch/powerpc/sysdev/xive/common.c",
    "arch/powerpc/sysdev/xive/spapr.c",
];

/// What a tree must have for the client to be built (besides `Makefile`).
pub const REQUIRED: &[&str] = &[
    "arch/powerpc/platforms/pseries/msi.c",
    "arch/powerpc/platforms/pseries/pseries.h",
    "arch/powerpc/include/asm/rtas.h",
    "kernel/irq/msi.c",
    "kernel/irq/irqdomain.c",
    "kernel/irq/chip.c",
    "kernel/irq/internals.h",
    "drivers/pci/msi/msi.c",
    "drivers/pci/msi/pcidev_msi.c",
    "drivers/pci/pci.h",
    "lib/xarray.c",
    "lib/radix-tree.c",
    "include/linux/msi.h",
    "include/asm-generic/Kbuild",
    "include/uapi/asm-generic/Kbuild",
];

/// The service names of the tree's RTAS function table (6.7+ `enum rtas_function_index`
/// in asm/rtas.h), by the rule its names follow: `RTAS_FNIDX__IBM_CHANGE_MSI` is
/// `ibm,change-msi`. One designated initializer a line, for `rtas_names[]`.
pub fn rtas_names(rtas_h: &str) -> String {
    let mut out = String::new();
    for line in rtas_h.lines() {
        let t = line.trim();
        let Some(rest) = t.strip_prefix("RTAS_FNIDX__") else {
            continue;
        };
        let Some(name) = rest.strip_suffix(',') else {
            continue;
        };
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            continue;
        }
        let mut service = name.to_ascii_lowercase().replace('_', "-");
        if let Some(r) = service.strip_prefix("ibm-") {
            service = format!("ibm,{r}");
        }
        out.push_str(&format!("[RTAS_FNIDX__{name}] = \"{service}\",\n"));
    }
    out
}

/// The `mandatory-y` entries of a Kbuild file.
pub fn mandatory(kbuild: &str) -> Vec<String> {
    kbuild
        .lines()
        .filter_map(|l| l.trim().strip_prefix("mandatory-y"))
        .filter_map(|l| l.trim().strip_prefix("+="))
        .map(|h| h.trim().to_string())
        .filter(|h| h.ends_with(".h") && !h.contains(".."))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_of_the_tree_client_is_embedded() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("linux-tree");
        let mut todo = vec![root.clone()];
        let mut found = Vec::new();
        while let Some(d) = todo.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    todo.push(p);
                } else {
                    found.push(p.strip_prefix(&root).unwrap().display().to_string());
                }
            }
        }
        for f in &found {
            assert!(SOURCES.iter().any(|(p, _)| p == f), "{f} is not in SOURCES");
        }
        assert_eq!(
            found.len() + 1,
            SOURCES.len(),
            "SOURCES lists a file that is gone"
        );
    }

    #[test]
    fn rtas_names_follow_the_rule() {
        let h = "enum rtas_function_index {\n\tRTAS_FNIDX__IBM_CHANGE_MSI,\n\tRTAS_FNIDX__GET_TIME_OF_DAY,\n\tRTAS_FNIDX__IBM_QUERY_INTERRUPT_SOURCE_NUMBER,\n};\n";
        assert_eq!(
            rtas_names(h),
            "[RTAS_FNIDX__IBM_CHANGE_MSI] = \"ibm,change-msi\",\n\
             [RTAS_FNIDX__GET_TIME_OF_DAY] = \"get-time-of-day\",\n\
             [RTAS_FNIDX__IBM_QUERY_INTERRUPT_SOURCE_NUMBER] = \"ibm,query-interrupt-source-number\",\n"
        );
    }

    #[test]
    fn mandatory_lists_headers_with_subfolders() {
        let k = "# comment\nmandatory-y += atomic.h\nmandatory-y += vdso/clocksource.h\ngeneric-y += x.h\n";
        assert_eq!(mandatory(k), vec!["atomic.h", "vdso/clocksource.h"]);
    }
}
