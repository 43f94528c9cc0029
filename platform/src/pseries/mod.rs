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
    irq_unmask: Some(irq_unmask),
    irq_mask: Some(irq_mask),
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

/// Linux's XICS unmask: ibm,set-xive to the default server and priority, then
/// ibm,int-on. Under XIVE (no such tokens) the H_INT_SET_SOURCE_CONFIG hypervisor call
/// configures the source instead, which is not RTAS: the controller is set directly.
fn irq_unmask(k: &mut Kernel, source: u32) {
    if k.fw.tokens.token(Service::SetXive).is_some() {
        k.rtas(
            Service::SetXive,
            &[source, 0, crate::kernel::DEFAULT_PRIORITY],
            1,
        );
        k.rtas(Service::IntOn, &[source], 1);
    } else {
        let p = crate::kernel::DEFAULT_PRIORITY as u8;
        k.fw.machine.ics.write_xive(source, 0, p, p);
    }
}

/// Linux's XICS mask: ibm,int-off (or the hypervisor call under XIVE).
fn irq_mask(k: &mut Kernel, source: u32) {
    if k.fw.tokens.token(Service::IntOff).is_some() {
        k.rtas(Service::IntOff, &[source], 1);
    } else {
        let p = crate::kernel::DEFAULT_PRIORITY as u8;
        k.fw.machine.ics.write_xive(source, 0, 0xff, p);
    }
}

fn suspend(k: &mut Kernel) -> Result<(), Error> {
    match k.rtas(Service::SuspendMe, &[], 1) {
        Some(r) if r[0] == 0 => Ok(()),
        Some(r) => Err(Error::Failed(format!("ibm,suspend-me answered {}", r[0]))),
        None => Err(Error::Failed("the machine has no ibm,suspend-me".into())),
    }
}

/// PAPR keeps every assignment across a suspend; firmware that did not is detected by
/// asking for each device's sources again. A device whose sources moved gets its
/// vectors back (change-msi with the count it held), and every virq it held is pointed
/// at its new source: drivers see the same numbers.
fn resume(k: &mut Kernel, _mode: ResumeMode) -> Result<(), Error> {
    for dev in 0..k.devices.len() {
        let Some(m) = k.devices[dev].msi.clone() else {
            continue;
        };
        let mut same = true;
        for (i, &src) in m.sources.iter().enumerate() {
            if msi::query(k, dev, i as u32) != Ok(src) {
                same = false;
                break;
            }
        }
        if same {
            continue;
        }
        let name = k.devices[dev].name.clone();
        k.msg(format!(
            "{name}: rtas_msi: sources changed across suspend, re-requesting {} vectors",
            m.granted
        ));
        let rc = msi::renegotiate(k, dev, m.kind, m.granted);
        if rc != m.granted as i64 {
            return Err(Error::Failed(format!(
                "{name}: firmware gave {rc} of the {} vectors after resume",
                m.granted
            )));
        }
        let mut state = m.clone();
        for (i, &virq) in m.virqs.iter().enumerate() {
            let new = msi::query(k, dev, i as u32).map_err(|rc| {
                Error::Failed(format!(
                    "{name}: vector {i}: query answered {rc} after resume"
                ))
            })?;
            let old = k.irq.remap(virq, new).unwrap_or(m.sources[i]);
            state.sources[i] = new;
            if k.opts.trace {
                k.trace.push(crate::trace::Event::Remap {
                    device: name.clone(),
                    vector: i as u32,
                    virq,
                    old,
                    new,
                });
            }
        }
        state.messages = msi::read_messages(k, dev, m.kind, m.virqs.len() as u32);
        k.devices[dev].msi = Some(state);
        k.reprogram(dev);
    }
    Ok(())
}
