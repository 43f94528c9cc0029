//! The simulator's side, which no OS has: building the machine and its firmware from a
//! tree and booting an OS on it through its port, making a device signal a vector,
//! telling the firmware to renumber at resume, saving and restoring firmware state, and
//! looking at the firmware (its call log, its QEMU-style trace, its source map).

pub mod map;

use crate::error::Error;
use crate::hw::Port;
use crate::kernel::{DevId, Kernel, OsOptions, Select};
use crate::ops::{descriptions, MachineDescription, ResumeMode};
use of_tree::Tree;
use rtas::calllog::CallRecord;
use rtas::{Firmware, MachineConfig, Profile, Signal};
use std::borrow::Cow;

/// How to build the machine and boot.
#[derive(Debug, Clone, Copy)]
pub struct BootOptions {
    /// Firmware behaviour.
    pub profile: Profile,
    /// Use this description instead of probing.
    pub force: Option<&'static MachineDescription>,
    /// Keep a trace of events (off for large machines).
    pub trace: bool,
    /// Keep the firmware's call log.
    pub rtas_log: bool,
    /// Drivers request their interrupts (unmask them at the controller) after setup.
    pub request_irqs: bool,
    /// PAPR pool size override.
    pub pool_size: Option<u32>,
    /// Keep the firmware's QEMU-style trace events.
    pub qemu_trace: bool,
    /// The partition (LPAR) this OS runs in: its tree holds only its PHBs.
    pub partition: u32,
}

impl Default for BootOptions {
    fn default() -> Self {
        BootOptions {
            profile: Profile::Papr,
            force: None,
            trace: true,
            rtas_log: true,
            request_irqs: true,
            pool_size: None,
            qemu_trace: false,
            partition: 0,
        }
    }
}

/// The description that will run: the forced one, else the first whose probe accepts.
fn chosen(tree: &Tree, opts: &BootOptions) -> Option<&'static MachineDescription> {
    opts.force
        .or_else(|| descriptions().iter().copied().find(|d| (d.probe)(tree)))
}

/// Builds the machine a tree describes (PAPR firmware under the pseries description,
/// bare metal under any other), hands its OS the tree the firmware presents, and boots.
pub fn boot(tree: Tree, opts: BootOptions) -> Result<Kernel, Error> {
    let bare_metal =
        chosen(&tree, &opts).is_some_and(|d| !std::ptr::eq(d, &crate::pseries::PSERIES));
    let cfg = MachineConfig {
        profile: opts.profile,
        pool_size: opts.pool_size,
        bare_metal,
    };
    let mut fw = Firmware::new(&tree, &cfg)?;
    fw.log_enabled = opts.rtas_log;
    fw.qemu_tracing = opts.qemu_trace;
    let presented = match fw.client_tree(&tree, opts.partition) {
        Cow::Owned(t) => Some(t),
        Cow::Borrowed(_) => None,
    };
    let os_tree = presented.unwrap_or(tree);
    let select = match opts.force {
        Some(d) => Select::Force(d),
        None => Select::Probe(descriptions()),
    };
    let os = OsOptions {
        trace: opts.trace,
        request_irqs: opts.request_irqs,
    };
    Kernel::boot(os_tree, Port::new(fw, opts.partition), select, os)
}

/// The firmware under a kernel.
pub fn firmware(k: &Kernel) -> &Firmware {
    k.port.harness_firmware()
}

/// The firmware under a kernel, mutable (fault plans, direct inspection in tests).
pub fn firmware_mut(k: &mut Kernel) -> &mut Firmware {
    k.port.harness_firmware_mut()
}

/// Every RTAS call made so far (while the log is on).
pub fn call_log(k: &Kernel) -> &[CallRecord] {
    &firmware(k).log
}

/// The firmware's QEMU-style trace lines so far.
pub fn qemu_trace(k: &Kernel) -> &[String] {
    &firmware(k).qemu_trace
}

/// The device signals vector `v`; the controller presents the source; the OS takes
/// the interrupt and runs the handler of the virq it maps to. Returns that virq.
pub fn fire(k: &mut Kernel, dev: DevId, v: u32) -> Result<u32, String> {
    let (buid, addr) = (k.devices[dev].buid, k.devices[dev].addr);
    let fw = firmware_mut(k);
    let r = fw
        .machine
        .find(buid, addr)
        .ok_or("the machine has no function there")?;
    let sig = fw.machine.signal(r, v);
    let handled = k.handle_interrupts();
    match sig {
        Signal::Delivered { source } => {
            let Some(h) = handled
                .iter()
                .find(|h| k.irq.get(h.virq).is_some_and(|d| d.hwirq == source))
            else {
                return Err(format!(
                    "source {source:#x} is masked or mapped to no handler"
                ));
            };
            if (h.dev, h.vector) != (dev, Some(v)) {
                return Err(format!(
                    "source {source:#x} reached virq {}, which belongs to another vector",
                    h.virq
                ));
            }
            Ok(h.virq)
        }
        Signal::PendingInDevice => Err("the vector is masked in the device (pending)".into()),
        Signal::Dropped => Err("the message reached no source (dropped)".into()),
    }
}

/// The firmware wakes the partition (keeping its assignments, or renumbering them),
/// then the OS resumes.
pub fn resume(k: &mut Kernel, mode: ResumeMode) -> Result<(), Error> {
    if !k.suspended {
        return Err(Error::Failed("resume without a suspend".into()));
    }
    firmware_mut(k).resume(mode == ResumeMode::Renumber);
    k.resume(mode)
}

/// The firmware's whole state as bytes.
pub fn save(k: &Kernel) -> Vec<u8> {
    firmware(k).save()
}

/// Restores the firmware's state from a blob; refused whole if it does not fit.
pub fn restore(k: &mut Kernel, blob: &[u8]) -> Result<(), rtas::state::StateError> {
    firmware_mut(k).restore(blob)
}
