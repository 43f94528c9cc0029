//! The pSeries machine description: a `chrp` root, firmware reached through RTAS.

mod msi;

pub(crate) use msi::read_messages;
pub use msi::{find_pe, pe_devices, quota_for, DEFAULT_PE_TOTAL};

use crate::error::Error;
use crate::kernel::{DevId, Kernel};
use crate::ops::{MachineDescription, ResumeMode};
use of_tree::Tree;
use rtas::Service;

/// The pseries description.
pub static PSERIES: MachineDescription = MachineDescription {
    name: "pseries",
    probe,
    setup_arch: Some(setup_arch),
    init_irq: Some(init_irq),
    discover_phbs: None,
    msi_init: Some(msi::init),
    pci_irq_fixup: Some(msi::pci_irq_fixup),
    msi_check_device: Some(msi::check_device),
    setup_msi_irqs: Some(msi::setup_msi_irqs),
    teardown_msi_irqs: Some(msi::teardown_msi_irqs),
    read_config: Some(read_config),
    write_config: Some(write_config),
    suspend: Some(suspend),
    resume: Some(resume),
};

/// Linux's pSeries probe: the root's device_type is "chrp".
fn probe(tree: &Tree) -> bool {
    tree.at(tree.root()).string("device_type").ok().flatten() == Some("chrp")
}

fn setup_arch(k: &mut Kernel) -> Result<(), Error> {
    k.hypervisor = k.fw.tokens.hypervisor;
    let mode = if k.hypervisor {
        "LPAR (under a hypervisor)"
    } else {
        "bare firmware (no hypervisor)"
    };
    k.msg(format!("pseries: running in {mode}"));
    Ok(())
}

/// Finds the XICS presentation controller, else XIVE, in the tree.
fn init_irq(k: &mut Kernel) -> Result<(), Error> {
    let xics = k.tree.find_compatible("IBM,ppc-xicp");
    let xive = k.tree.find_compatible("ibm,power-ivpe");
    let found = xics
        .first()
        .map(|&n| (n, "XICS"))
        .or(xive.first().map(|&n| (n, "XIVE")));
    match found {
        Some((n, kind)) => {
            let path = k.tree.path(n);
            k.msg(format!("pseries: {kind} interrupt controller {path}"));
            k.intc = Some(path);
        }
        None => crate::generic::init_irq(k)?,
    }
    Ok(())
}

/// Config space through `ibm,read-pci-config`.
fn read_config(k: &mut Kernel, dev: DevId, reg: u32, size: u32) -> Option<u32> {
    let d = &k.devices[dev];
    let addr = ((reg & 0xf00) << 20) | d.addr.config_addr() | (reg & 0xff);
    let buid = d.buid;
    let r = k.rtas(
        Service::IbmReadPciConfig,
        &[addr, (buid >> 32) as u32, buid as u32, size],
        2,
    )?;
    (r[0] == 0).then_some(r[1] as u32)
}

/// Config space through `ibm,write-pci-config`.
fn write_config(k: &mut Kernel, dev: DevId, reg: u32, size: u32, value: u32) -> bool {
    let d = &k.devices[dev];
    let addr = ((reg & 0xf00) << 20) | d.addr.config_addr() | (reg & 0xff);
    let buid = d.buid;
    k.rtas(
        Service::IbmWritePciConfig,
        &[addr, (buid >> 32) as u32, buid as u32, size, value],
        1,
    )
    .is_some_and(|r| r[0] == 0)
}

fn suspend(k: &mut Kernel) -> Result<(), Error> {
    match k.rtas(Service::SuspendMe, &[], 1) {
        Some(r) if r[0] == 0 => Ok(()),
        Some(r) => Err(Error::Failed(format!("ibm,suspend-me answered {}", r[0]))),
        None => Err(Error::Failed("the machine has no ibm,suspend-me".into())),
    }
}

fn resume(_k: &mut Kernel, _mode: ResumeMode) -> Result<(), Error> {
    // PAPR keeps every assignment across a suspend: nothing to redo.
    Ok(())
}
