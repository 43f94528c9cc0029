//! The simulator's side, which no OS has: building the machine and its firmware from a
//! tree and booting an OS on it through its port, making a device signal a vector,
//! telling the firmware to renumber at resume, saving and restoring firmware state, and
//! looking at the firmware (its call log, its QEMU-style trace, its source map).

pub mod hotplug;
pub mod map;
pub mod port;

pub use hotplug::{hotplug_add, hotplug_remove};
pub use port::{firmware, firmware_mut, function_of};

use crate::Error;
use of_tree::Tree;
use platform::kernel::{DevId, Kernel, OsOptions, Select};
use platform::ops::{descriptions, MachineDescription, ResumeMode};
use platform::trace::tracer::Tracer;
use port::FirmwarePort;
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
    /// Which code negotiates MSIs: the model, or a compiled Linux `msi.c`.
    pub client: platform::linux::Client,
    /// The interrupt mode the OS asks for at client-architecture-support.
    pub cas: platform::kernel::prom_init::CasRequest,
    /// The OS says at CAS that change-msi may answer busy.
    pub msi_busy: bool,
    /// The OS enables EEH on every device after the PCI scan, as Linux does (off by
    /// default, so that boots make the calls they always made).
    pub eeh: bool,
    /// The OS asks the hypervisor for the new interrupt scheme at boot (IMS).
    pub negotiate_ims: bool,
    /// The hypervisor refuses the new interrupt scheme (a simulator setting).
    pub refuse_ims: bool,
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
            client: platform::linux::Client::Model,
            cas: Default::default(),
            msi_busy: false,
            eeh: false,
            negotiate_ims: false,
            refuse_ims: false,
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
    boot_with(tree, opts, None)
}

/// [`boot`], the trace events going to `tracer` (a sink, filtered or not:
/// [`platform::trace::tracer::Stream`]) instead of kept.
pub fn boot_with(
    tree: Tree,
    opts: BootOptions,
    tracer: Option<Box<dyn Tracer>>,
) -> Result<Kernel, Error> {
    let bare_metal = chosen(&tree, &opts).is_some_and(|d| !d.papr);
    let cfg = MachineConfig {
        profile: opts.profile,
        pool_size: opts.pool_size,
        bare_metal,
    };
    let mut fw = Firmware::new(&tree, &cfg)?;
    fw.refuse_new_scheme = opts.refuse_ims;
    fw.log_enabled = opts.rtas_log;
    fw.qemu_tracing = opts.qemu_trace;
    let presented = match fw.client_tree(&tree, opts.partition) {
        Cow::Owned(t) => Some(t),
        Cow::Borrowed(_) => None,
    };
    let mut os_tree = presented.unwrap_or(tree);
    fw.publish_platform_support(&mut os_tree);
    let select = match opts.force {
        Some(d) => Select::Force(d),
        None => Select::Probe(descriptions()),
    };
    let os = OsOptions {
        trace: opts.trace,
        request_irqs: opts.request_irqs,
        client: opts.client,
        cas: opts.cas,
        msi_busy: opts.msi_busy,
        eeh: opts.eeh,
        negotiate_ims: opts.negotiate_ims,
    };
    let port = Box::new(FirmwarePort::new(fw, opts.partition));
    Ok(Kernel::boot(os_tree, port, select, os, tracer)?)
}

/// Every RTAS call made so far (while the log is on).
pub fn call_log(k: &Kernel) -> &[CallRecord] {
    &firmware(k).log
}

/// The firmware's QEMU-style trace lines so far.
pub fn qemu_trace(k: &Kernel) -> &[String] {
    &firmware(k).qemu_trace
}

/// The non-PCI MSI device behind an OS device, if it is one.
fn msg_device_of(k: &Kernel, dev: DevId) -> Option<Result<usize, String>> {
    k.devices[dev].msi_device.as_ref()?;
    let path = &k.devices[dev].path;
    Some(
        firmware(k)
            .machine
            .msg_device(path)
            .ok_or_else(|| format!("the machine has no MSI device at {path}")),
    )
}

/// The hardware behind an OS device signals vector `v`.
fn signal(k: &mut Kernel, dev: DevId, v: u32) -> Result<Signal, String> {
    if let Some(d) = msg_device_of(k, dev) {
        let d = d?;
        return Ok(firmware_mut(k).machine.signal_msg_device(d, v));
    }
    let r = function_of(k, dev)?;
    let ims = ims_held(k, dev);
    let m = &mut firmware_mut(k).machine;
    Ok(match ims {
        true => m.signal_ims(r, v),
        false => m.signal(r, v),
    })
}

/// Whether the vectors a function's driver holds are in its IMS store.
fn ims_held(k: &Kernel, dev: DevId) -> bool {
    k.devices[dev]
        .msi
        .as_ref()
        .is_some_and(|m| m.kind == platform::ops::MsiType::Ims)
}

/// The device signals vector `v`; the controller presents the source; the OS takes
/// the interrupt and runs the handler of the virq it maps to. Returns that virq.
pub fn fire(k: &mut Kernel, dev: DevId, v: u32) -> Result<u32, String> {
    let sig = signal(k, dev, v)?;
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

/// What became of a burst of messages (see [`burst`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BurstReport {
    /// Messages the device sent.
    pub sent: u32,
    /// Handler runs of the vector's virq.
    pub handled: u32,
    /// Messages that reached no controller (dropped at the bridge or a disabled MSIC).
    pub dropped: u32,
    /// Axon: messages the MSIC wrote over an entry the OS had not consumed.
    pub overwritten: u32,
    /// Axon: entries left in the FIFO that the OS's handler did not reach.
    pub stranded: u32,
}

/// The device signals vector `v` `n` times before the CPU takes any interrupt, then the
/// OS handles what was raised. Says how many ran its handler and what was lost where.
pub fn burst(k: &mut Kernel, dev: DevId, v: u32, n: u32) -> Result<BurstReport, String> {
    let virq = k.devices[dev]
        .msi
        .as_ref()
        .and_then(|m| m.virqs.get(v as usize).copied())
        .ok_or("the device holds no such vector")?;
    let before = firmware(k)
        .machine
        .axon
        .as_ref()
        .map_or(0, |a| a.overwritten.len());
    let mut rep = BurstReport {
        sent: n,
        ..Default::default()
    };
    for _ in 0..n {
        if signal(k, dev, v)? == Signal::Dropped {
            rep.dropped += 1;
        }
    }
    rep.handled = k
        .handle_interrupts()
        .iter()
        .filter(|h| h.virq == virq)
        .count() as u32;
    let m = &firmware(k).machine;
    if let Some(a) = &m.axon {
        rep.overwritten = (a.overwritten.len() - before) as u32;
        rep.stranded = a.unconsumed(&m.ram).len() as u32;
    }
    Ok(rep)
}

/// The hardware source the firmware has assigned a device's vector now (None when the
/// device holds no block or the vector is past it). On bare metal, where no firmware
/// assigns sources, the source the device's message for the vector names now (its
/// data: the source on generic and MPIC machines, the Linux irq on Axon).
pub fn firmware_source(k: &Kernel, dev: DevId, vector: u32) -> Option<u32> {
    if let Some(d) = msg_device_of(k, dev) {
        let m = &firmware(k).machine;
        let d = &m.msg_devices[d.ok()?];
        return match m.bare_metal {
            true => d.slots.0.get(vector as usize).map(|s| s.data),
            false => d.handed.get(vector as usize).copied(),
        };
    }
    let r = function_of(k, dev).ok()?;
    let m = &firmware(k).machine;
    if ims_held(k, dev) {
        let s = m.ims.get(&r)?;
        return match m.bare_metal {
            true => s.slots.0.get(vector as usize).map(|s| s.data),
            false => s.handed.get(vector as usize).copied(),
        };
    }
    if m.bare_metal {
        let f = m.function(r);
        if let (Some(cap), Some(t)) = (f.msix, f.msix_table.as_ref()) {
            if cap.enabled(&f.config) {
                return t.message(vector).map(|(_, d)| d);
            }
        }
        let cap = f.msi.filter(|c| c.enabled(&f.config))?;
        return (vector < cap.vectors_enabled(&f.config)).then(|| cap.message(&f.config, vector).1);
    }
    let b = m.block(r)?;
    (vector < b.count).then(|| b.first + vector)
}

/// The device pulses its INTx line; the OS takes the interrupt and runs every handler
/// on the line. Returns the handlers that ran.
pub fn fire_lsi(k: &mut Kernel, dev: DevId) -> Result<Vec<platform::kernel::Handled>, String> {
    let r = function_of(k, dev)?;
    match firmware_mut(k).machine.pulse_lsi(r) {
        Signal::Delivered { source } => {
            let handled = k.handle_interrupts();
            if handled.is_empty() {
                return Err(format!(
                    "LSI source {source:#x} is masked or mapped to no handler"
                ));
            }
            Ok(handled)
        }
        _ => Err("the function raised no LSI (no pin, INTx disabled or frozen)".into()),
    }
}

/// The device makes an error that freezes its PE (EEH): the firmware stops its loads,
/// stores and messages until the OS recovers it.
pub fn freeze(k: &mut Kernel, dev: DevId) -> Result<(), String> {
    let r = function_of(k, dev)?;
    firmware_mut(k).machine.function_mut(r).freeze();
    Ok(())
}

/// Whether the device's PE is frozen (MMIO or DMA still stopped).
pub fn frozen(k: &Kernel, dev: DevId) -> Result<bool, String> {
    let r = function_of(k, dev)?;
    Ok(firmware(k).machine.function(r).frozen)
}

/// The firmware wakes the partition (keeping its assignments, or renumbering them),
/// then the OS resumes.
pub fn resume(k: &mut Kernel, mode: ResumeMode) -> Result<(), Error> {
    if !k.suspended {
        return Err(platform::Error::ResumeWithoutSuspend.into());
    }
    let m = &firmware(k).machine;
    if mode == ResumeMode::Renumber && (m.mpic.is_some() || m.axon.is_some()) {
        // No firmware hands out vectors there: nothing for it to renumber.
        return Err(platform::Error::RenumberRefused.into());
    }
    firmware_mut(k).resume(mode == ResumeMode::Renumber);
    Ok(k.resume(mode)?)
}

/// The firmware's whole state as bytes.
pub fn save(k: &Kernel) -> Vec<u8> {
    firmware(k).save()
}

/// Restores the firmware's state from a blob; refused whole if it does not fit.
pub fn restore(k: &mut Kernel, blob: &[u8]) -> Result<(), rtas::state::StateError> {
    firmware_mut(k).restore(blob)
}

#[cfg(test)]
mod tests {
    use super::*;
    use platform::trace::Event;

    fn tree(blob: &[u8]) -> Tree {
        of_tree::dtb::read(blob).unwrap()
    }

    const GUEST: &[u8] = include_bytes!("../../fixtures/linux-guest/qemu-initial.dtb");
    const XIVE: &[u8] = include_bytes!("../../fixtures/qemu/a_xive.dtb");

    #[test]
    fn a_pseries_boot_maps_every_vector_and_fires_it() {
        let mut rep = crate::boot::boot_all(tree(GUEST), BootOptions::default()).unwrap();
        let k = &mut rep.kernel;
        assert_eq!(k.desc.name, "pseries");
        let mut fired = 0;
        for d in 0..k.devices.len() {
            let n = k.devices[d].msi.as_ref().map_or(0, |m| m.virqs.len());
            for v in 0..n as u32 {
                let virq = fire(k, d, v).unwrap();
                assert_eq!(
                    Some(&virq),
                    k.devices[d].msi.as_ref().unwrap().virqs.get(v as usize)
                );
                fired += 1;
            }
        }
        assert!(fired > 100, "{fired}");
        assert_eq!(k.spurious, 0);
    }

    #[test]
    fn bare_metal_allocates_from_the_trees_range() {
        let opts = BootOptions {
            force: platform::ops::description("generic"),
            ..Default::default()
        };
        let mut rep = crate::boot::boot_all(tree(GUEST), opts).unwrap();
        let k = &mut rep.kernel;
        assert!(call_log(k).is_empty(), "no RTAS on bare metal");
        let range = k.phbs[0]
            .msi
            .clone()
            .expect("the client tree gives a range");
        let first = k
            .devices
            .iter()
            .find_map(|d| d.msi.as_ref())
            .unwrap()
            .sources[0];
        assert!(first >= firmware(k).machine.bare_msi_range(0).unwrap().0);
        assert!(range.bitmap.free_count() > 0);
        for d in 0..k.devices.len() {
            let n = k.devices[d].msi.as_ref().map_or(0, |m| m.virqs.len());
            for v in 0..n as u32 {
                fire(k, d, v).unwrap();
            }
        }
        // Freeing gives the sources back to the OS's own bitmap.
        let d = k.devices.iter().position(|d| d.msi.is_some()).unwrap();
        let phb = k.devices[d].phb;
        let before = k.phbs[phb].msi.as_ref().unwrap().bitmap.free_count();
        k.free(d).unwrap();
        assert!(k.phbs[phb].msi.as_ref().unwrap().bitmap.free_count() > before);
    }

    #[test]
    fn under_xive_sources_are_configured_by_hcall() {
        let mut rep = crate::boot::boot_all(tree(XIVE), BootOptions::default()).unwrap();
        let k = &mut rep.kernel;
        let mut configured = 0;
        for e in &k.trace {
            let Event::Hcall { name, args, rets } = e else {
                continue;
            };
            assert_eq!(rets[0], 0, "{name} {args:x?}");
            if name == "H_INT_SET_SOURCE_CONFIG" && args[3] == 6 {
                // EISN = the virq of the source.
                assert_eq!(k.irq.find(args[1] as u32), Some(args[4] as u32));
                configured += 1;
            }
        }
        assert!(configured > 0);
        let d = k.devices.iter().position(|d| d.msi.is_some()).unwrap();
        fire(k, d, 0).unwrap();
    }

    #[test]
    fn other_partitions_phbs_are_not_in_the_os_tree() {
        let mut t = tree(GUEST);
        let phb1 = t.find("/pci@800000020000001").unwrap();
        t.set_prop(phb1, "pseries-sim,partition", 1u32.to_be_bytes().to_vec());
        let k = boot(t.clone(), BootOptions::default()).unwrap();
        assert!(k.tree().find("/pci@800000020000001").is_err());
        assert!(k.devices.iter().all(|d| d.name.starts_with("0000:")));
        let opts = BootOptions {
            partition: 1,
            ..Default::default()
        };
        let k = boot(t, opts).unwrap();
        assert!(k.tree().find("/pci@800000020000000").is_err());
        assert!(k.devices.iter().all(|d| d.name.starts_with("0001:")));
    }

    #[test]
    fn resume_renumber_keeps_virqs() {
        let mut rep = crate::boot::boot_all(tree(GUEST), BootOptions::default()).unwrap();
        let k = &mut rep.kernel;
        let before = k.held_virqs();
        k.suspend().unwrap();
        resume(k, ResumeMode::Renumber).unwrap();
        let after = k.held_virqs();
        assert_eq!(before.len(), after.len());
        assert!(before.iter().zip(&after).all(|(b, a)| b.virq == a.virq));
        assert!(before.iter().zip(&after).any(|(b, a)| b.source != a.source));
        assert!(crate::scenario::virqs_stable(k).is_empty());
    }
}
