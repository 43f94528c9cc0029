//! Resume on pSeries: PAPR keeps every assignment across a suspend; firmware that did
//! not is detected by asking for each device's sources again. A device whose sources
//! moved gets its vectors back (change-msi with the count it held), and every virq it
//! held is pointed at its new source: drivers see the same numbers.

use super::msi;
use crate::error::Error;
use crate::kernel::ops::{MsiType, ResumeMode};
use crate::kernel::Kernel;
use crate::trace::{Event, EventKind};

pub(super) fn resume(k: &mut Kernel, _mode: ResumeMode) -> Result<(), Error> {
    for dev in 0..k.devices.len() {
        let Some(m) = k.devices[dev].msi.clone() else {
            continue;
        };
        if k.is_msi_device(dev) || m.kind == MsiType::Ims {
            super::msi_device::resume(k, dev, &m)?;
            continue;
        }
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
            return Err(Error::Resume(format!(
                "{name}: firmware gave {rc} of the {} vectors after resume",
                m.granted
            )));
        }
        let mut state = m.clone();
        for (i, &virq) in m.virqs.iter().enumerate() {
            let new = msi::query(k, dev, i as u32).map_err(|rc| {
                Error::Resume(format!(
                    "{name}: vector {i}: query answered {rc} after resume"
                ))
            })?;
            let old = k.irq.remap(virq, new).unwrap_or(m.sources[i]);
            state.sources[i] = new;
            if k.traces(EventKind::Remap) {
                k.emit(Event::Remap {
                    device: name.clone(),
                    vector: i as u32,
                    virq,
                    old,
                    new,
                });
            }
        }
        if k.new_irq_scheme {
            let n = m.virqs.len() as u32;
            super::msi_device::write_block_messages(k, dev, m.kind, n).map_err(|e| {
                Error::Resume(format!("{name}: writing its messages after resume: {e}"))
            })?;
        }
        state.messages = k.read_messages(dev, m.kind, m.virqs.len() as u32);
        k.devices[dev].msi = Some(state);
        k.reprogram(dev);
    }
    Ok(())
}
