//! `expect virqs-stable`: every virq held before the last suspend still stands for the
//! same device and vector, maps the source the firmware assigns now, and fires.

use crate::harness;
use platform::kernel::Kernel;

/// Checks every virq held before the last suspend still belongs to the same device and
/// vector, and that firing that vector runs its handler through that virq.
pub fn virqs_stable(k: &mut Kernel) -> Vec<String> {
    let mut problems = Vec::new();
    for held in k.snapshot.clone() {
        let (virq, dev, vector) = (held.virq, held.dev, held.vector);
        let name = k.devices[dev].name.clone();
        let held = k.devices[dev]
            .msi
            .as_ref()
            .and_then(|m| m.virqs.get(vector as usize).copied());
        if held != Some(virq) {
            problems.push(format!(
                "{name} vector {vector}: held virq {virq} before, {held:?} now"
            ));
            continue;
        }
        match k.irq.get(virq).map(|d| d.owner()) {
            Some(o) if o == platform::irq::Owner::vector(dev, vector) => {}
            o => {
                problems.push(format!(
                    "virq {virq} belongs to {o:?}, not {name} vector {vector}"
                ));
                continue;
            }
        }
        let mapped = k.irq.get(virq).map(|d| d.hwirq);
        let assigned = harness::firmware_source(k, dev, vector);
        if let Some(old) = mapped {
            let lost = match assigned {
                Some(new) if new != old => {
                    Some(format!("the firmware now gives it source {new:#x}"))
                }
                None => Some("the firmware no longer assigns it a source".to_string()),
                Some(_) => None,
            };
            if let Some(why) = lost {
                problems.push(format!(
                    "virq {virq} lost its source: {name} vector {vector}: {why}, \
                     but virq {virq} still maps source {old:#x}"
                ));
                continue;
            }
        }
        match harness::fire(k, dev, vector) {
            Ok(v) if v == virq => {}
            Ok(v) => problems.push(format!("{name} vector {vector} fired virq {v}, not {virq}")),
            Err(e) => problems.push(format!("{name} vector {vector} (virq {virq}): {e}")),
        }
    }
    problems
}
