//! The `H_INT_*` calls for an nvme function's MSI-X sources, held against a real Linux 6.1
//! guest's (`fixtures/linux-guest/xive-nvme-excerpt.txt`: its XIVE driver's debug lines and
//! QEMU's trace). `xive-nvme.scenario` replays that function: its admin vector, then its
//! 3 vectors, all started. The tree's own 6.1 driver and the model must make the guest's
//! calls: per vector the source info (with the ESB pages QEMU returned), per started vector
//! the source config (flags, priority, EISN = the Linux irq), and the per-CPU queue set-up.

#[path = "support/kernels.rs"]
mod kernels;

use kernels::{sim, text, tree};
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    kernels::project().join("fixtures/linux-guest").join(name)
}

/// The value of `key=` in a debug or trace line, as a number.
fn field(line: &str, key: &str) -> u64 {
    let at = line
        .find(&format!(" {key}="))
        .unwrap_or_else(|| panic!("no {key}= in {line}"));
    let v = line[at + key.len() + 2..].split([' ', ',']).next().unwrap();
    match v.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).unwrap(),
        None => v.parse().unwrap(),
    }
}

/// A source config as the driver asked for it.
#[derive(Debug, Clone, Copy, PartialEq)]
struct SourceConfig {
    flags: u64,
    lisn: u64,
    target: u64,
    prio: u64,
    eisn: u64,
}

/// What the guest recorded for its nvme vectors: the source-info calls in our trace's
/// words, and the source configs.
fn recorded() -> (Vec<String>, Vec<SourceConfig>) {
    let log = std::fs::read_to_string(fixture("xive-nvme-excerpt.txt")).unwrap();
    let mut infos = Vec::new();
    let mut configs = Vec::new();
    for l in log.lines().filter(|l| l.starts_with('[')) {
        if l.contains("xive: H_INT_GET_SOURCE_INFO ") {
            // The kernel prints the output flags; the call's input flags are QEMU's.
            infos.push(format!(
                "hcall  H_INT_GET_SOURCE_INFO [0x0, {:#x}] -> [0, {:#x}, {:#x}, {:#x}, {:#x}]",
                field(l, "lisn"),
                field(l, "flags"),
                field(l, "eoi"),
                field(l, "trig"),
                field(l, "shift"),
            ));
        } else if l.contains("xive: H_INT_SET_SOURCE_CONFIG ") {
            configs.push(SourceConfig {
                flags: field(l, "flags"),
                lisn: field(l, "lisn"),
                target: field(l, "target"),
                prio: field(l, "prio"),
                eisn: field(l, "sw_irq"),
            });
        }
    }
    (infos, configs)
}

/// The trace's source configs from an `hcall` line.
fn source_config(l: &str) -> SourceConfig {
    let args = &l[l.find('[').unwrap() + 1..l.find(']').unwrap()];
    let v: Vec<u64> = args
        .split(", ")
        .map(|a| u64::from_str_radix(a.trim_start_matches("0x"), 16).unwrap())
        .collect();
    SourceConfig {
        flags: v[0],
        lisn: v[1],
        target: v[2],
        prio: v[3],
        eisn: v[4],
    }
}

/// A run's calls for nvme's last request: from the free before it to the request's end.
fn nvme_request(trace: &str) -> (Vec<String>, Vec<SourceConfig>) {
    let start = trace
        .rfind("driver 0000:00:03.0: free")
        .expect("the admin phase's free");
    let end = start
        + trace[start..]
            .find("driver 0000:00:03.0: request msix 3")
            .expect("the 3-vector request");
    let window = &trace[start..end];
    let infos = window
        .lines()
        .filter(|l| l.starts_with("hcall  H_INT_GET_SOURCE_INFO "))
        .map(str::to_string)
        .collect();
    let configs = window
        .lines()
        .filter(|l| l.starts_with("hcall  H_INT_SET_SOURCE_CONFIG "))
        .map(source_config)
        .collect();
    (infos, configs)
}

fn run(client: &str) -> String {
    let scenario = fixture("xive-nvme.scenario");
    let o = sim(&["run", &scenario.display().to_string(), "--client", client]);
    let t = text(&o);
    assert!(o.status.success(), "{client}\n{t}");
    t
}

fn makes_the_guest_s_calls(client: &str) {
    let t = run(client);
    let (infos, configs) = recorded();
    assert_eq!((infos.len(), configs.len()), (3, 3), "the excerpt's calls");
    let (our_infos, our_configs) = nvme_request(&t);
    // Source info for every vector the driver allocated, with QEMU's ESB pages.
    assert_eq!(our_infos, infos, "{client}\n{t}");
    assert_eq!(our_configs.len(), configs.len(), "{client}\n{t}");
    for (i, (ours, theirs)) in our_configs.iter().zip(&configs).enumerate() {
        let what = format!("{client}: vector {i}: {ours:?} against {theirs:?}");
        assert_eq!(
            (ours.flags, ours.lisn, ours.prio),
            (theirs.flags, theirs.lisn, theirs.prio),
            "{what}"
        );
        // EISNs are Linux irq numbers: the guest's are further on (its IPIs and
        // devices took more), but they follow each other the same way.
        assert_eq!(
            ours.eisn - our_configs[0].eisn,
            theirs.eisn - configs[0].eisn,
            "{what}"
        );
        let mapped = format!(
            "map    0000:00:03.0 vector {i}: source {:#x} -> virq {}",
            ours.lisn, ours.eisn
        );
        assert!(t.contains(&mapped), "{what}: the EISN is the vector's irq");
        // The guest had 2 CPUs and nvme's managed affinity put queue 2 on CPU 1; the
        // simulated OS has one CPU. Where the guest chose CPU 0, so must we.
        if theirs.target == 0 {
            assert_eq!(ours.target, 0, "{what}");
        }
    }
    // The change-msi that made them, and each source's query, as QEMU recorded them
    // ("func 4, requested 4, first irq 4878"; "queries for #N, IRQ...").
    assert!(
        t.contains(
            "rtas   ibm,change-msi cfg 0x1800 buid 0x800000020000000 func 4 num 4 -> 0 num 4"
        ),
        "{client}\n{t}"
    );
    for (i, lisn) in (4878..4881).enumerate() {
        let q = format!("vector {i} -> 0 source {lisn:#x} MSI");
        assert!(t.contains(&q), "{client}: {q}");
    }
    // The per-CPU queue as QEMU's trace shows CPU 0's: flags 0x1, priority 6, 64 KB.
    let queue = t
        .lines()
        .find(|l| l.starts_with("hcall  H_INT_SET_QUEUE_CONFIG "))
        .expect("a queue set-up");
    assert!(
        queue.starts_with("hcall  H_INT_SET_QUEUE_CONFIG [0x1, 0x0, 0x6, "),
        "{queue}"
    );
    assert!(queue.ends_with(", 0x10] -> [0]"), "{queue}");
}

#[test]
fn the_6_1_tree_s_driver_makes_the_recorded_guest_s_calls() {
    makes_the_guest_s_calls(&format!("linux:{}", tree("6.1").display()));
}

#[test]
fn the_model_makes_the_recorded_guest_s_calls() {
    makes_the_guest_s_calls("model");
}

/// Each vector is taken once by the driver (its queue, its EOI) in both phases.
#[test]
fn every_nvme_vector_is_delivered() {
    let t = run(&format!("linux:{}", tree("6.1").display()));
    let handled = t
        .lines()
        .filter(|l| l.starts_with("irq    0000:00:03.0 "))
        .count();
    assert_eq!(handled, 4, "{t}");
}
