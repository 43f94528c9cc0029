//! The generic (bare-metal) description: no firmware calls. The OS allocates sources
//! itself from the MSI range each PHB's node gives, composes each message and writes
//! it into config space or the MSI-X table vector by vector, and programs the
//! controller's registers.

use crate::error::MsiError;
use crate::kernel::ops::{MachineDescription, MsiType};
use crate::kernel::{DevId, Kernel, MsiMessage, MsiState};
use of_tree::Tree;

/// The generic description: accepts any tree.
pub static GENERIC: MachineDescription = MachineDescription {
    name: "generic",
    probe,
    msi_init: Some(msi_init),
    msi_check_device: Some(check_device),
    setup_msi_irqs: Some(setup_msi_irqs),
    teardown_msi_irqs: Some(teardown_msi_irqs),
    ..MachineDescription::EMPTY
};

fn probe(_tree: &Tree) -> bool {
    true
}

fn msi_init(k: &mut Kernel) -> bool {
    if k.phbs.iter().all(|p| p.msi.is_none()) {
        k.msg(format!(
            "MSI: no PHB gives an MSI range ('{}')",
            papr_abi::props::PROP_MSI_RANGES
        ));
        return false;
    }
    k.msg("MSI: the OS composes messages itself".into());
    true
}

fn check_device(k: &mut Kernel, dev: DevId, nvec: u32, kind: MsiType) -> Result<(), MsiError> {
    let have = k.vec_count(dev, kind).ok_or(MsiError::NoEnt)?;
    if have < nvec {
        return Err(MsiError::TryFewer(have));
    }
    Ok(())
}

fn setup_msi_irqs(k: &mut Kernel, dev: DevId, nvec: u32, kind: MsiType) -> Result<(), MsiError> {
    let phb = k.devices[dev].phb;
    let range = k.phbs[phb].msi.as_mut().ok_or(MsiError::NotSupported)?;
    let address = range.address;
    let first = range.bitmap.alloc(nvec).ok_or(MsiError::NoSpc)?;
    // MSI-X entries, IMS slots and a non-PCI device's slots take a message per vector;
    // MSI one.
    let per_vector = kind != MsiType::Msi || k.is_msi_device(dev);
    let written = if per_vector {
        (0..nvec).all(|i| {
            let msg = MsiMessage {
                address,
                data: first + i,
            };
            k.write_msi_msg(dev, kind, i, msg)
        })
    } else {
        let msg = MsiMessage {
            address,
            data: first,
        };
        k.write_msi_msg(dev, kind, 0, msg)
    };
    if !written {
        if let Some(r) = k.phbs[phb].msi.as_mut() {
            r.bitmap.free(first, nvec);
        }
        return Err(MsiError::Inval);
    }
    let mut state = MsiState {
        kind,
        virqs: Vec::with_capacity(nvec as usize),
        sources: Vec::with_capacity(nvec as usize),
        messages: Vec::new(),
        granted: nvec,
    };
    for i in 0..nvec {
        let virq = k.map_vector(dev, i, first + i);
        state.virqs.push(virq);
        state.sources.push(first + i);
    }
    state.messages = k.read_messages(dev, kind, nvec);
    k.devices[dev].msi = Some(state);
    Ok(())
}

fn teardown_msi_irqs(k: &mut Kernel, dev: DevId) {
    let phb = k.devices[dev].phb;
    let Some((first, n)) = k.devices[dev]
        .msi
        .as_ref()
        .and_then(|m| Some((*m.sources.first()?, m.granted)))
    else {
        return;
    };
    if let Some(r) = k.phbs[phb].msi.as_mut() {
        r.bitmap.free(first, n);
    }
}
