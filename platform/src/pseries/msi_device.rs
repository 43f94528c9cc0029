//! Message stores the hypervisor serves by call: non-PCI MSI devices, which have no RTAS
//! call (`H_SIM_MSI_DEVICE`), and, under the new interrupt scheme, a function's IMS
//! store (`H_SIM_IMS`; see [`papr_abi::hcall`]). The OS asks for the sources, then vector by
//! vector for each message, writes each message into the device's slot itself (the
//! hypervisor cannot trap those writes), and maps each vector to its source.

use crate::error::MsiError;
use crate::kernel::ops::MsiType;
use crate::kernel::{DevId, Kernel, MsiMessage, MsiState};
use papr_abi::hcall::{
    H_SIM_IMS, H_SIM_MSI_DEVICE, IMS_ALLOC, IMS_FREE, IMS_MESSAGE, MSI_DEVICE_ALLOC,
    MSI_DEVICE_FREE, MSI_DEVICE_MESSAGE,
};

/// One operation of the call that serves the device's store: (free, allocate, message)
/// with a count or index.
fn call(k: &mut Kernel, dev: DevId, op: usize, n: u32) -> Vec<i64> {
    let d = &k.devices[dev];
    match &d.msi_device {
        Some(info) => {
            let op = [MSI_DEVICE_FREE, MSI_DEVICE_ALLOC, MSI_DEVICE_MESSAGE][op];
            let base = info.base;
            k.hcall(H_SIM_MSI_DEVICE, &[op, base, n as u64])
        }
        None => {
            let op = [IMS_FREE, IMS_ALLOC, IMS_MESSAGE][op];
            let (buid, cfg) = (d.buid, d.addr.config_addr() as u64);
            k.hcall(H_SIM_IMS, &[op, buid, cfg, n as u64])
        }
    }
}

/// The name of the call, for messages.
fn call_name(k: &Kernel, dev: DevId) -> &'static str {
    match k.devices[dev].msi_device {
        Some(_) => "H_SIM_MSI_DEVICE",
        None => "H_SIM_IMS",
    }
}

/// The hypervisor's message for vector `i`.
pub(crate) fn message(k: &mut Kernel, dev: DevId, i: u32) -> Result<MsiMessage, i64> {
    match call(k, dev, 2, i).as_slice() {
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
    match call(k, dev, 1, nvec).first() {
        Some(0) => {}
        Some(&rc) => {
            let (path, name) = (k.devices[dev].path.clone(), call_name(k, dev));
            k.msg(format!("{path}: {name} allocate {nvec} answered {rc}"));
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
            call(k, dev, 0, 0);
            return Err(MsiError::Inval);
        };
        // The parent domain (XIVE) allocates the source before the mapping is made,
        // as in Linux's hierarchy.
        if k.xive.is_some() {
            k.xive_alloc(msg.data);
        }
        let virq = k.map_vector(dev, i, msg.data);
        state.virqs.push(virq);
        state.sources.push(msg.data);
    }
    state.messages = k.read_messages(dev, kind, nvec);
    k.devices[dev].msi = Some(state);
    Ok(())
}

/// Under the new scheme, where change-msi writes nothing: each of a PCI function's first
/// `n` MSI-X messages (for MSI the one base message) from the hypervisor by
/// `H_SIM_MSI_MESSAGE`, written into the device by the guest itself.
pub(super) fn write_block_messages(
    k: &mut Kernel,
    dev: DevId,
    kind: MsiType,
    n: u32,
) -> Result<(), MsiError> {
    let count = if kind == MsiType::Msi { 1 } else { n };
    let (buid, cfg) = (
        k.devices[dev].buid,
        k.devices[dev].addr.config_addr() as u64,
    );
    for i in 0..count {
        let r = k.hcall(papr_abi::hcall::H_SIM_MSI_MESSAGE, &[buid, cfg, i as u64]);
        let [0, a, d, ..] = r.as_slice() else {
            let name = k.devices[dev].name.clone();
            k.msg(format!(
                "{name}: H_SIM_MSI_MESSAGE vector {i} answered {r:?}"
            ));
            return Err(MsiError::Inval);
        };
        let msg = MsiMessage {
            address: *a as u64,
            data: *d as u32,
        };
        if !k.write_msi_msg(dev, kind, i, msg) {
            return Err(MsiError::Inval);
        }
    }
    Ok(())
}

/// Whether a device's vectors (held, or being set up) are served by call.
pub(super) fn served_by_call(k: &Kernel, dev: DevId) -> bool {
    let kind = k.devices[dev].msi.as_ref().map(|m| m.kind).or(k.setup_kind);
    k.is_msi_device(dev) || kind == Some(MsiType::Ims)
}

/// Gives every source back (nothing to do when it holds none).
pub(super) fn teardown(k: &mut Kernel, dev: DevId) {
    if k.devices[dev].msi.is_some() {
        call(k, dev, 0, 0);
    }
}

/// After a resume: each vector's message asked for again; a vector whose source moved
/// gets the new message written and its virq pointed at the new source.
pub(super) fn resume(k: &mut Kernel, dev: DevId, m: &MsiState) -> Result<(), crate::error::Error> {
    let name = k.devices[dev].name.clone();
    let mut state = m.clone();
    for (i, &virq) in m.virqs.iter().enumerate() {
        let msg = message(k, dev, i as u32).map_err(|rc| {
            crate::error::Error::Resume(format!(
                "{name}: vector {i}: {} answered {rc} after resume",
                call_name(k, dev)
            ))
        })?;
        if msg.data == m.sources[i] {
            continue;
        }
        k.write_msi_msg(dev, m.kind, i as u32, msg);
        let old = k.irq.remap(virq, msg.data).unwrap_or(m.sources[i]);
        state.sources[i] = msg.data;
        if k.traces(crate::trace::EventKind::Remap) {
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
