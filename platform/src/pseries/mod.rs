//! The pSeries machine description: a `chrp` root, firmware reached through RTAS.

mod msi;
mod msi_device;
mod resume;

use crate::error::Error;
use crate::kernel::ops::MachineDescription;
use crate::kernel::rtas::{
    INT_OFF, INT_ON, READ_PCI_CONFIG, SET_XIVE, SUSPEND_ME, WRITE_PCI_CONFIG,
};
use crate::kernel::{Controller, ControllerKind, DevId, Kernel, DEFAULT_PRIORITY};
use of_tree::Tree;

/// The pseries description.
pub static PSERIES: MachineDescription = MachineDescription {
    name: "pseries",
    papr: true,
    probe,
    setup_arch: Some(setup_arch),
    init_irq: Some(init_irq),
    msi_init: Some(msi::init),
    pci_irq_fixup: Some(msi::pci_irq_fixup),
    msi_check_device: Some(msi::check_device),
    setup_msi_irqs: Some(msi::setup_msi_irqs),
    teardown_msi_irqs: Some(msi::teardown_msi_irqs),
    read_config: Some(read_config),
    write_config: Some(write_config),
    irq_unmask: Some(irq_unmask),
    irq_mask: Some(irq_mask),
    irq_shutdown: Some(irq_shutdown),
    suspend: Some(suspend),
    resume: Some(resume::resume),
    ..MachineDescription::EMPTY
};

/// Linux's pSeries probe: the root's device_type is "chrp", less Cell blades, whose
/// firmware claims chrp too (`IBM,CPBW-1.0`, `IBM,CBEA`).
fn probe(tree: &Tree) -> bool {
    let root = tree.at(tree.root());
    let cell = root
        .strings("compatible")
        .ok()
        .flatten()
        .is_some_and(|c| c.contains(&"IBM,CPBW-1.0") || c.contains(&"IBM,CBEA"));
    root.string("device_type").ok().flatten() == Some("chrp") && !cell
}

fn setup_arch(k: &mut Kernel) -> Result<(), Error> {
    let Some(rtas) = &k.rtas else {
        k.msg("pseries: no RTAS (the tree has no /rtas node)".into());
        return Ok(());
    };
    k.hypervisor = rtas.hypertas;
    let mode = if k.hypervisor {
        "LPAR (under a hypervisor)"
    } else {
        "bare firmware (no hypervisor)"
    };
    k.msg(format!("pseries: running in {mode}"));
    if k.opts.negotiate_ims && k.hypervisor {
        if matches!(k.opts.client, crate::kernel::client::Client::Built(_)) {
            // Linux's msi.c knows only change-msi: an older guest, it never asks.
            k.msg("pseries: the Linux client keeps the old interrupt scheme".into());
        } else {
            negotiate_scheme(k);
        }
    }
    Ok(())
}

/// Asks the hypervisor for the new interrupt scheme (`H_SIM_IRQ_SCHEME`): in force
/// only if it agrees; otherwise both stay with the old one.
fn negotiate_scheme(k: &mut Kernel) {
    use papr_abi::hcall::{H_SIM_IRQ_SCHEME, IRQ_SCHEME_NEW};
    k.msg("pseries: asking the hypervisor for the new interrupt scheme (IMS)".into());
    let r = k.hcall(H_SIM_IRQ_SCHEME, &[IRQ_SCHEME_NEW]);
    k.new_irq_scheme = matches!(r.as_slice(), [0, 1, ..]);
    k.msg(match k.new_irq_scheme {
        true => {
            "pseries: interrupt scheme: new (messages by hypervisor call; IMS available)".into()
        }
        false => format!(
            "pseries: interrupt scheme: old (change-msi; no IMS): the hypervisor answered {r:?}"
        ),
    });
}

/// Finds the XICS presentation controller, else XIVE, in the tree.
fn init_irq(k: &mut Kernel) -> Result<(), Error> {
    let xics = k.tree.find_compatible("IBM,ppc-xicp");
    let xive = k.tree.find_compatible("ibm,power-ivpe");
    let xics = xics.first().map(|&n| (n, "XICS"));
    let xive = xive.first().map(|&n| (n, "XIVE"));
    // Linux tries XIVE first (xive_spapr_init) when exploitation was negotiated.
    let found = if k.intc_mode == Some(papr_abi::cas::IntcMode::Xive) {
        xive.or(xics)
    } else {
        xics.or(xive)
    };
    match found {
        Some((n, name)) => {
            let path = k.tree.path(n);
            k.msg(format!("pseries: {name} interrupt controller {path}"));
            let kind = if name == "XIVE" {
                ControllerKind::Xive
            } else {
                ControllerKind::Xics
            };
            k.intc = Some(Controller {
                path,
                kind,
                registers: None,
            });
            // Linux's XIVE driver: the client's own (a tree's sysdev/xive), else the
            // model's.
            if kind == ControllerKind::Xive
                && k.intc_mode == Some(papr_abi::cas::IntcMode::Xive)
                && !k.client_init_irq()
            {
                k.xive_init();
            }
        }
        None => crate::kernel::defaults::init_irq(k)?,
    }
    Ok(())
}

/// Config space through `ibm,read-pci-config`.
fn read_config(k: &mut Kernel, dev: DevId, reg: u32, size: u32) -> Option<u32> {
    let d = &k.devices[dev];
    let addr = ((reg & 0xf00) << 20) | d.addr.config_addr() | (reg & 0xff);
    let buid = d.buid;
    let mut r = [0i64; 2];
    let args = [addr, (buid >> 32) as u32, buid as u32, size];
    (k.rtas(READ_PCI_CONFIG, &args, &mut r) && r[0] == 0).then_some(r[1] as u32)
}

/// Config space through `ibm,write-pci-config`.
fn write_config(k: &mut Kernel, dev: DevId, reg: u32, size: u32, value: u32) -> bool {
    let d = &k.devices[dev];
    let addr = ((reg & 0xf00) << 20) | d.addr.config_addr() | (reg & 0xff);
    let buid = d.buid;
    let mut r = [0i64; 1];
    let args = [addr, (buid >> 32) as u32, buid as u32, size, value];
    k.rtas(WRITE_PCI_CONFIG, &args, &mut r) && r[0] == 0
}

fn under_xive(k: &Kernel) -> bool {
    k.intc
        .as_ref()
        .is_some_and(|c| c.kind == ControllerKind::Xive)
}

/// Linux's XICS unmask: ibm,set-xive to the default server and priority, then
/// ibm,int-on. Under XIVE: the ESB set to PQ 00, then H_INT_SET_SOURCE_CONFIG to CPU 0
/// at priority 6, the EISN the virq.
fn irq_unmask(k: &mut Kernel, source: u32) {
    if under_xive(k) {
        k.xive_unmask(source);
        return;
    }
    let mut r = [0i64; 1];
    k.rtas(SET_XIVE, &[source, 0, DEFAULT_PRIORITY], &mut r);
    k.rtas(INT_ON, &[source], &mut r);
}

/// Linux's XICS mask: ibm,int-off; under XIVE (free_irq's shutdown) the ESB set to
/// PQ 01, then the source's priority to 0xff.
fn irq_mask(k: &mut Kernel, source: u32) {
    if under_xive(k) {
        k.xive_mask(source);
        return;
    }
    k.rtas(INT_OFF, &[source], &mut [0i64; 1]);
}

/// free_irq's shutdown of an MSI: Linux's `pseries_msi_shutdown` hands it to the parent
/// chip's `irq_shutdown`. XIVE's masks the ESB (PQ 01) and sets the priority to 0xff;
/// XICS's ICS chip (`ics_rtas_irq_chip`, 5.13 and later) has none, so nothing reaches
/// the firmware: no `ibm,int-off`.
fn irq_shutdown(k: &mut Kernel, source: u32) {
    if under_xive(k) {
        k.xive_mask(source);
    }
}

fn suspend(k: &mut Kernel) -> Result<(), Error> {
    let mut r = [0i64; 1];
    match k.rtas(SUSPEND_ME, &[], &mut r) {
        true if r[0] == 0 => Ok(()),
        true => Err(Error::SuspendRefused(r[0])),
        false => Err(Error::NoSuspendMe),
    }
}
