//! The MPIC (U3/U4) machine description, after Linux's Maple platform and
//! `mpic_u3msi.c`: a root compatible with `Momentum,Maple` (or `Momentum,Apache`), an
//! OpenPIC-style MPIC programmed through its registers, and MSIs the OS allocates from
//! the MPIC's own sources and composes itself (no firmware calls).

mod msi;

use crate::error::Error;
use crate::kernel::ops::MachineDescription;
use crate::kernel::{Controller, ControllerKind, Kernel};
use of_tree::Tree;
use papr_abi::mpic::{
    is_mpic, FEATURE_LAST_SRC_MASK, FEATURE_LAST_SRC_SHIFT, GREG_FEATURE_0, IRQ_BASE,
    IRQ_DESTINATION, IRQ_STRIDE, VECPRI_MASK, VECPRI_PRIORITY_MASK, VECPRI_PRIORITY_SHIFT,
};

/// The priority Linux's MPIC driver gives every source.
pub const MPIC_PRIORITY: u32 = 8;

/// The MPIC description.
pub static MPIC: MachineDescription = MachineDescription {
    name: "mpic",
    probe,
    init_irq: Some(init_irq),
    msi_init: Some(msi::init),
    msi_check_device: Some(msi::check_device),
    setup_msi_irqs: Some(msi::setup_msi_irqs),
    teardown_msi_irqs: Some(msi::teardown_msi_irqs),
    irq_unmask: Some(irq_unmask),
    irq_mask: Some(irq_mask),
    suspend: Some(crate::kernel::suspend::suspend_nothing),
    resume: Some(crate::kernel::suspend::resume_os_allocated),
    ..MachineDescription::EMPTY
};

/// Maple's probe: the root is compatible with `Momentum,Maple` or `Momentum,Apache`.
fn probe(tree: &Tree) -> bool {
    let compat = tree.at(tree.root()).strings("compatible").ok().flatten();
    compat.is_some_and(|c| {
        c.iter()
            .any(|s| *s == "Momentum,Maple" || *s == "Momentum,Apache")
    })
}

/// Finds the MPIC (an `interrupt-controller` compatible with `open-pic`, else a node of
/// type `open-pic`), its registers at its `reg`, and reads how many sources it has
/// from its feature register.
fn init_irq(k: &mut Kernel) -> Result<(), Error> {
    let Some(n) = k
        .tree
        .with_prop("device_type")
        .find(|&n| is_mpic(&k.tree, n))
    else {
        k.msg("mpic: no MPIC in the device tree".into());
        return Ok(());
    };
    let at = k.tree.at(n);
    let path = at.path();
    let base = match at.reg() {
        Ok(Some(r)) if !r.is_empty() => r[0].address_u64(),
        Ok(_) => {
            k.msg(format!("mpic: {path}: no 'reg': no interrupt controller"));
            return Ok(());
        }
        Err(e) => {
            k.msg(format!("mpic: {path}: 'reg': {e}: no interrupt controller"));
            return Ok(());
        }
    };
    let Some(frr) = k.port.mmio_read(base + GREG_FEATURE_0, 4) else {
        k.msg(format!(
            "mpic: {path}: nothing answers at {base:#x}: no interrupt controller"
        ));
        return Ok(());
    };
    let sources = ((frr as u32 & FEATURE_LAST_SRC_MASK) >> FEATURE_LAST_SRC_SHIFT) + 1;
    k.msg(format!("mpic: {path} at {base:#x}, {sources} sources"));
    k.intc = Some(Controller {
        path,
        kind: ControllerKind::Other,
        registers: Some(base),
    });
    k.platform_data = Some(Box::new(msi::MpicData::new(base, sources)));
    Ok(())
}

/// The MPIC's register block, once init_irq found it.
fn registers(k: &Kernel) -> Option<u64> {
    k.intc.as_ref().and_then(|c| c.registers)
}

/// Writes a source's vector/priority register, to CPU 0.
fn write_vecpri(k: &mut Kernel, source: u32, masked: bool) {
    let Some(base) = registers(k) else { return };
    let reg = base + IRQ_BASE + IRQ_STRIDE * source as u64;
    let old = k.port.mmio_read(reg, 4).unwrap_or(0) as u32;
    let mut v = (old & !(VECPRI_MASK | VECPRI_PRIORITY_MASK | 0x7ff))
        | MPIC_PRIORITY << VECPRI_PRIORITY_SHIFT
        | (source & 0x7ff);
    if masked {
        v |= VECPRI_MASK;
    }
    k.port.mmio_write(reg + IRQ_DESTINATION, 4, 1);
    k.port.mmio_write(reg, 4, v as u64);
}

/// `mpic_u3msi_unmask_irq`: the MPIC first, then the device.
fn irq_unmask(k: &mut Kernel, source: u32) {
    write_vecpri(k, source, false);
    k.pci_msi_mask(source, false);
}

/// `mpic_u3msi_mask_irq`: the device first, then the MPIC.
fn irq_mask(k: &mut Kernel, source: u32) {
    k.pci_msi_mask(source, true);
    write_vecpri(k, source, true);
}
