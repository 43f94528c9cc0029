//! Non-PCI MSI devices under the hypervisor: they have no RTAS call, so the OS asks the
//! hypervisor for their sources and, vector by vector, for each message
//! (`H_SIM_MSI_DEVICE`, see [`rtas::hcall`]), writes each message into the device's slot
//! itself, and maps each vector to its source.

use crate::error::MsiError;
use crate::kernel::{DevId, Kernel, MsiMessage, MsiState};
use crate::ops::MsiType;
use rtas::hcall::{H_SIM_MSI_DEVICE, MSI_DEVICE_ALLOC, MSI_DEVICE_FREE, MSI_DEVICE_MESSAGE};

/// The slots' address, by which the hypervisor knows the device.
fn base(k: &Kernel, dev: DevId) -> u64 {
    k.devices[dev].msi_device.as_ref().map_or(0, |d| d.base)
}

/// The hypervisor's message for vector `i`.
pub(crate) fn message(k: &mut Kernel, dev: DevId, i: u32) -> Result<MsiMessage, i64> {
    let r = k.hcall(
        H_SIM_MSI_DEVICE,
        &[MSI_DEVICE_MESSAGE, base(k, dev), i as u64],
    );
    match r.as_slice() {
        [0, a, d, ..] => Ok(MsiMessage {
            address: *a as u64,
            data: *d as u32,
        }),
        [rc, ..] => Err(*rc),
        [] => Err(-1),
    }
}

/// Asks for `nvec` sources; each vector's message from the hypervisor, written into
/// its slot and mapped.
pub(super) fn setup(k: &mut Kernel, dev: DevId, nvec: u32, kind: MsiType) -> Result<(), MsiError> {
    let r = k.hcall(
        H_SIM_MSI_DEVICE,
        &[MSI_DEVICE_ALLOC, base(k, dev), nvec as u64],
    );
    match r.first() {
        Some(0) => {}
        Some(&rc) => {
            let path = k.devices[dev].path.clone();
            k.msg(format!(
                "{path}: H_SIM_MSI_DEVICE allocate {nvec} answered {rc}"
            ));
            return Err(MsiError::Rtas(rc as i32));
        }
        None => return Err(MsiError::NotSupported),
    }
    let mut state = MsiState {
        kind,
        virqs: Vec::with_capacity(nvec as usize),
        sources: Vec::with_capacity(nvec as usize),
        messages: Vec::new(),
        granted: nvec,
    };
    for i in 0..nvec {
        let written = message(k, dev, i)
            .ok()
            .filter(|&msg| k.write_msi_msg(dev, kind, i, msg));
        let Some(msg) = written else {
            k.devices[dev].msi = Some(state);
            k.unmap_vectors(dev);
            k.devices[dev].msi = None;
            return Err(MsiError::Inval);
        };
        let virq = k.map_vector(dev, i, msg.data);
        if k.xive.is_some() {
            k.xive_alloc(msg.data);
        }
        state.virqs.push(virq);
        state.sources.push(msg.data);
    }
    state.messages = k.read_messages(dev, kind, nvec);
    k.devices[dev].msi = Some(state);
    Ok(())
}

/// Gives every source back.
pub(super) fn teardown(k: &mut Kernel, dev: DevId) {
    k.hcall(H_SIM_MSI_DEVICE, &[MSI_DEVICE_FREE, base(k, dev), 0]);
}

/// After a resume: each vector's message asked for again; a vector whose source moved
/// gets the new message written and its virq pointed at the new source.
pub(super) fn resume(k: &mut Kernel, dev: DevId, m: &MsiState) -> Result<(), crate::error::Error> {
    let name = k.devices[dev].name.clone();
    let mut state = m.clone();
    for (i, &virq) in m.virqs.iter().enumerate() {
        let msg = message(k, dev, i as u32).map_err(|rc| {
            crate::error::Error::Failed(format!(
                "{name}: vector {i}: H_SIM_MSI_DEVICE answered {rc} after resume"
            ))
        })?;
        if msg.data == m.sources[i] {
            continue;
        }
        k.write_msi_msg(dev, m.kind, i as u32, msg);
        let old = k.irq.remap(virq, msg.data).unwrap_or(m.sources[i]);
        state.sources[i] = msg.data;
        if k.opts.trace {
            k.emit(crate::trace::Event::Remap {
                device: name.clone(),
                vector: i as u32,
                virq,
                old,
                new: msg.data,
            });
        }
    }
    state.messages = k.read_messages(dev, m.kind, m.virqs.len() as u32);
    k.devices[dev].msi = Some(state);
    Ok(())
}
