//! Running the hotplug lines: QEMU's `device_add` / `device_del` the harness makes,
//! and the OS's addition or removal the firmware signals.

use super::super::command::{Command, Step};
use super::Runner;
use crate::harness;
use crate::Error;

impl Runner<'_> {
    /// `hotplug add DEV FILE`, `hotplug remove DEV`.
    pub(super) fn hotplug_step(&mut self, step: &Step) -> Result<(), Error> {
        match &step.cmd {
            Command::HotplugAdd { dev, file } => {
                let path = self.dir.join(file);
                let dts = of_tree::read_file(&path).map_err(|e| {
                    self.fail(step, crate::about_file(&path.display().to_string(), e))
                })?;
                let source = path.display().to_string();
                let k = self.kernel(step)?;
                let r = harness::hotplug_add(k, dev, &dts, &source);
                let added = match r {
                    Ok(a) => a,
                    Err(e) => {
                        self.flush();
                        return Err(self.fail(step, format!("hotplug add {dev}: {e}")));
                    }
                };
                // Each added function's driver probed, asking for its vectors.
                let k = self.kernel(step)?;
                let probed: Vec<String> = added
                    .iter()
                    .filter(|&&d| k.devices[d].msi.is_some())
                    .map(|&d| k.devices[d].name.clone())
                    .collect();
                for name in probed {
                    let from = format!("its probe at 'hotplug add' (line {})", step.line);
                    self.started.remove(&name);
                    self.vectors_from.insert(name, from);
                }
                if added.is_empty() {
                    let k = self.kernel(step)?;
                    k.note(format!(
                        "hotplug: {dev} is in its slot; QEMU signals it when function 0 comes"
                    ));
                }
            }
            Command::HotplugRemove(dev) => {
                let d = self.device(step, dev)?;
                let k = self.kernel(step)?;
                match harness::hotplug_remove(k, d) {
                    Ok(gone) if gone.is_empty() => k.note(format!(
                        "hotplug: removal of {dev} asked for; QEMU removes it with function 0"
                    )),
                    Ok(_) => {}
                    Err(e) => {
                        self.flush();
                        return Err(self.fail(step, format!("hotplug remove {dev}: {e}")));
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }
}
