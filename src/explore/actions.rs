//! The generator's driver actions, each chosen among those legal in the state the run
//! has reached (read from the booted kernel): requests for devices that hold no
//! vectors, frees and fires for those that do, resume only while suspended, recovery
//! only of a frozen PE, hotplug into a free slot with a connector, and so on.

use super::case::STEM;
use super::rng::Rng;
use super::slots::{drc_index, hotplug_dts, hotplug_slots};
use crate::harness;
use crate::scenario::Command;
use platform::kernel::{DevId, Kernel};
use platform::ops::{MsiType, ResumeMode};
use rtas::faults::{Fault, FaultRule};
use rtas::Service;

/// What the generator remembers besides the kernel's state.
#[derive(Debug, Default)]
pub struct Actions {
    /// The OS enables EEH at boot: `eeh` lines may come (and one must).
    eeh: bool,
    /// The OS said at CAS it handles change-msi's busy answers.
    msi_busy: bool,
    /// A state was saved and the vectors held have not changed since (a restore then
    /// takes the firmware back to what the OS still holds; a hotplug since, the
    /// restore would refuse).
    restorable: bool,
    /// Hot-added functions so far (each one's DTS is a file of its own).
    hotplugs: u32,
    /// Hot-added devices (EEH was not enabled on them at boot).
    added: Vec<String>,
    /// Freezes per device (Linux gives up on a PE at the sixth).
    freezes: Vec<(String, u32)>,
    /// An `eeh` line was made.
    eeh_lines: bool,
}

/// A generated line, with the file it names (a hotplug DTS: name, text).
pub type Action = (Command, Option<(String, String)>);

/// The devices a driver action may name: PCI functions, not bridges, not removed.
fn devices(k: &Kernel) -> Vec<DevId> {
    (0..k.devices.len())
        .filter(|&d| {
            let dev = &k.devices[d];
            !dev.removed && !dev.is_bridge && dev.msi_device.is_none()
        })
        .collect()
}

fn service(name: &str) -> Option<Service> {
    Service::from_name(name)
}

impl Actions {
    /// A generator for a run whose OS enables EEH at boot (`eeh`) and says at CAS that
    /// it handles change-msi's busy answers (`msi_busy`).
    pub fn new(eeh: bool, msi_busy: bool) -> Actions {
        Actions {
            eeh,
            msi_busy,
            ..Default::default()
        }
    }

    fn frozen(k: &Kernel, d: DevId) -> bool {
        harness::frozen(k, d).unwrap_or(false)
    }

    fn freezes(&self, name: &str) -> u32 {
        self.freezes
            .iter()
            .find(|(n, _)| n == name)
            .map_or(0, |(_, c)| *c)
    }

    /// The next line, legal in `k`'s state; None when nothing is (no device).
    pub fn next(&mut self, rng: &mut Rng, k: &Kernel) -> Option<Action> {
        let name = |d: DevId| k.devices[d].name.clone();
        if k.suspended {
            // Only a firmware that hands out vectors renumbers them (pSeries).
            let mode = if rng.one_in(2) || k.desc.name != "pseries" {
                ResumeMode::Keep
            } else {
                self.restorable = false;
                ResumeMode::Renumber
            };
            return Some((Command::Resume(mode), None));
        }
        let devs = devices(k);
        let live: Vec<DevId> = devs
            .iter()
            .copied()
            .filter(|&d| !Self::frozen(k, d))
            .collect();
        let idle: Vec<DevId> = live
            .iter()
            .copied()
            .filter(|&d| k.devices[d].msi.is_none())
            .collect();
        let held: Vec<DevId> = live
            .iter()
            .copied()
            .filter(|&d| k.devices[d].msi.is_some())
            .collect();
        let frozen: Vec<DevId> = devs
            .iter()
            .copied()
            .filter(|&d| Self::frozen(k, d))
            .collect();
        let freezable: Vec<DevId> = live
            .iter()
            .copied()
            .filter(|&d| {
                let n = &k.devices[d].name;
                self.eeh && self.freezes(n) < 5 && !self.added.contains(n)
            })
            .collect();
        let slots = self.free_slots(k);
        let removable: Vec<DevId> = live
            .iter()
            .copied()
            .filter(|&d| {
                // Function 0 of a slot whose PHB has its connector.
                let dev = &k.devices[d];
                let phb = k.phbs[dev.phb].node;
                dev.addr.bus == 0
                    && dev.addr.devfn & 7 == 0
                    && drc_index(k.tree(), phb, dev.addr.devfn).is_some()
            })
            .collect();
        // How likely each action is, in the order of the match below: request, free,
        // unbind, fire, suspend, save, restore, fault, freeze, recover, hotplug add,
        // hotplug remove (0: not legal now).
        let weights = [
            if idle.is_empty() { 0 } else { 30 },
            if held.is_empty() { 0 } else { 10 },
            if live.is_empty() { 0 } else { 4 },
            if held.is_empty() { 0 } else { 10 },
            5,
            3,
            if self.restorable { 3 } else { 0 },
            8,
            if freezable.is_empty() { 0 } else { 6 },
            if frozen.is_empty() { 0 } else { 40 },
            if slots.is_empty() { 0 } else { 3 },
            if removable.is_empty() { 0 } else { 2 },
        ];
        let pick = rng.weighted(&weights)?;
        // A request, free, unbind, renumbering, EEH recovery or hotplug changes what the
        // firmware assigns: a state saved before no longer matches the OS.
        if matches!(pick, 0..=2 | 8..=11) {
            self.restorable = false;
        }
        let cmd = match pick {
            0 => {
                let d = *rng.pick(&idle)?;
                self.request(rng, k, d)
            }
            1 => Command::Free(name(*rng.pick(&held)?)),
            2 => Command::Unbind(name(*rng.pick(&live)?)),
            3 => {
                let d = *rng.pick(&held)?;
                let n = k.devices[d].msi.as_ref().map_or(1, |m| m.virqs.len());
                Command::Fire(name(d), rng.below(n as u64) as u32)
            }
            4 => Command::Suspend,
            5 => {
                self.restorable = true;
                Command::Save(format!("{STEM}.state"))
            }
            6 => Command::Restore(format!("{STEM}.state")),
            7 => Command::Fault(self.fault(rng, !slots.is_empty())?),
            8 => {
                let n = name(*rng.pick(&freezable)?);
                match self.freezes.iter_mut().find(|(d, _)| *d == n) {
                    Some((_, c)) => *c += 1,
                    None => self.freezes.push((n.clone(), 1)),
                }
                self.eeh_lines = true;
                Command::EehFreeze(n)
            }
            9 => {
                self.eeh_lines = true;
                Command::EehRecover(name(*rng.pick(&frozen)?))
            }
            10 => return self.hotplug_add(rng, k, &slots),
            _ => Command::HotplugRemove(name(*rng.pick(&removable)?)),
        };
        Some((cmd, None))
    }

    /// `request DEV msix|msi N [min M]`: mostly the kind the function offers and a count
    /// around its offer.
    fn request(&self, rng: &mut Rng, k: &Kernel, d: DevId) -> Command {
        let node = k.tree().at(k.devices[d].node);
        let msix = node.u32("ibm,req#msi-x").ok().flatten();
        let msi = node.u32("ibm,req#msi").ok().flatten();
        let kind = match (msix, msi) {
            (Some(_), Some(_)) if rng.one_in(3) => MsiType::Msi,
            (Some(_), _) => MsiType::Msix,
            (None, Some(_)) => MsiType::Msi,
            (None, None) if rng.one_in(2) => MsiType::Msi,
            (None, None) => MsiType::Msix,
        };
        // Now and then the kind the function does not offer.
        let kind = match kind {
            MsiType::Msix if rng.one_in(12) => MsiType::Msi,
            MsiType::Msi if rng.one_in(12) => MsiType::Msix,
            k => k,
        };
        let offer = match kind {
            MsiType::Msix => msix,
            _ => msi,
        }
        .unwrap_or(4)
        .clamp(1, 64);
        let n = match rng.below(10) {
            0..=6 => rng.range(1, offer),
            7 | 8 => rng.range(offer + 1, 2 * offer + 2),
            _ => offer,
        };
        let min = match rng.below(4) {
            0 | 1 => n,
            2 => 1,
            _ => rng.range(1, n),
        };
        Command::Request {
            dev: k.devices[d].name.clone(),
            kind,
            n,
            min,
            start: None,
        }
    }

    /// A fault rule for a service this run makes: change-msi and the source query
    /// always, the EEH calls when the OS enables EEH, the DR calls when a slot may
    /// take a hotplug.
    fn fault(&self, rng: &mut Rng, hotplug: bool) -> Option<FaultRule> {
        let mut names = vec![
            "ibm,change-msi",
            "ibm,change-msi",
            "ibm,query-interrupt-source-number",
        ];
        if self.eeh {
            names.extend([
                "ibm,set-slot-reset",
                "ibm,configure-pe",
                "ibm,read-slot-reset-state2",
                "ibm,slot-error-detail",
                "ibm,set-eeh-option",
            ]);
        }
        if hotplug {
            names.extend([
                "ibm,configure-connector",
                "set-indicator",
                "get-sensor-state",
            ]);
        }
        let svc = service(rng.pick(&names)?)?;
        let change_msi = svc == Service::ChangeMsi;
        // Busy and delay from change-msi only for an OS that said it handles them.
        let busy_ok = !change_msi || self.msi_busy;
        let fault = match rng.below(6) {
            0 if change_msi => Fault::Fewer(rng.range(0, 4)),
            1 if change_msi => Fault::Fewer(rng.range(1, 2)),
            2 if busy_ok => Fault::Busy,
            3 if busy_ok => Fault::Delay(rng.range(0, 2) as u8),
            4 => Fault::Status(*rng.pick(&[-1, -3, -9001])?),
            _ => Fault::HwError,
        };
        let after = if rng.one_in(2) { 0 } else { rng.range(1, 3) };
        Some(FaultRule::new(svc, after, rng.range(1, 3), fault))
    }

    /// The PHBs' free slots with a connector, as (PHB node, slot).
    fn free_slots(&self, k: &Kernel) -> Vec<(of_tree::NodeId, u8)> {
        let t = k.tree();
        k.phbs
            .iter()
            .flat_map(|p| hotplug_slots(t, p.node).into_iter().map(|s| (p.node, s)))
            .collect()
    }

    /// `hotplug add DEV FILE`: a copy of one of the machine's functions into a free
    /// slot.
    fn hotplug_add(
        &mut self,
        rng: &mut Rng,
        k: &Kernel,
        slots: &[(of_tree::NodeId, u8)],
    ) -> Option<Action> {
        let &(phb, slot) = rng.pick(slots)?;
        let templates: Vec<DevId> = devices(k)
            .into_iter()
            .filter(|&d| k.devices[d].addr.bus == 0)
            .collect();
        let template = k.devices[*rng.pick(&templates)?].node;
        let text = hotplug_dts(k.tree(), template, phb, slot)?;
        let domain = k.phbs.iter().find(|p| p.node == phb)?.domain;
        let dev = format!("{domain:04x}:00:{slot:02x}.0");
        self.hotplugs += 1;
        self.added.push(dev.clone());
        let file = format!("{STEM}-hotplug-{}.dts", self.hotplugs);
        Some((
            Command::HotplugAdd {
                dev,
                file: file.clone(),
            },
            Some((file, text)),
        ))
    }

    /// The lines a run whose OS enables EEH ends with when no `eeh` line came (a
    /// scenario's `eeh` lines are what makes its OS enable EEH): a resume if suspended,
    /// then a freeze and a recovery.
    pub fn closing(&mut self, k: Option<&Kernel>) -> Vec<Command> {
        if !self.eeh || self.eeh_lines {
            return Vec::new();
        }
        self.eeh_lines = true;
        let mut out = Vec::new();
        if k.is_some_and(|k| k.suspended) {
            out.push(Command::Resume(ResumeMode::Keep));
        }
        let dev = k.and_then(|k| {
            devices(k)
                .into_iter()
                .find(|&d| !self.added.contains(&k.devices[d].name) && !Self::frozen(k, d))
                .map(|d| k.devices[d].name.clone())
        });
        match dev {
            Some(n) => {
                out.push(Command::EehFreeze(n.clone()));
                out.push(Command::EehRecover(n));
            }
            // No device to freeze (or no kernel: the boot failed): a line that fails
            // alike in both runs still makes the OS enable EEH, as in the run made.
            None => out.push(Command::EehFreeze("0000:00:00.0".into())),
        }
        out
    }
}
