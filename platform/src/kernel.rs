//! The simulated OS: boot through the ops table, PCI devices, the interrupt table, and
//! the driver actions (request, free, fire) that the generic PCI MSI code performs.

use crate::error::{Error, MsiError};
use crate::irq::IrqDomain;
use crate::ops::{descriptions, MachineDescription, MsiType, ResumeMode};
use crate::trace::Event;
use of_tree::{NodeId, Tree};
use rtas::pci::PciAddr;
use rtas::{Firmware, FnRef, MachineConfig, Profile, Service, Signal};

/// The outputs of an RTAS call, the status first (signed), without a heap allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetCells {
    cells: [i64; 16],
    len: usize,
}

impl std::ops::Deref for RetCells {
    type Target = [i64];
    fn deref(&self) -> &[i64] {
        &self.cells[..self.len]
    }
}

/// Index of a device in [`Kernel::devices`].
pub type DevId = usize;

/// Linux's default interrupt priority on XICS.
pub const DEFAULT_PRIORITY: u32 = 5;

/// The vectors a driver holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MsiState {
    /// MSI or MSI-X.
    pub kind: MsiType,
    /// OS interrupt numbers, one per vector the driver asked for.
    pub virqs: Vec<u32>,
    /// Hardware source behind each vector.
    pub sources: Vec<u32>,
    /// Message (address, data) read back from the device, per vector.
    pub messages: Vec<(u64, u32)>,
    /// Vectors the firmware granted (may exceed the driver's count after rounding).
    pub granted: u32,
}

/// A PCI function as the OS knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// Linux's name: `domain:bus:device.function`.
    pub name: String,
    /// Device tree node.
    pub node: NodeId,
    /// Node path.
    pub path: String,
    /// The hardware behind it.
    pub fnref: FnRef,
    /// Its PHB's BUID.
    pub buid: u64,
    /// Bus and devfn.
    pub addr: PciAddr,
    /// Hardware source of its LSI, if it has one.
    pub lsi: Option<u32>,
    /// OS interrupt number of its LSI.
    pub lsi_virq: Option<u32>,
    /// MSI state while a driver holds vectors.
    pub msi: Option<MsiState>,
    /// The device cannot take 64-bit MSI addresses (`pseries-sim,no-64bit-msi`).
    pub no_64bit_msi: bool,
    /// A PCI-PCI bridge.
    pub is_bridge: bool,
}

/// A PHB as the OS knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhbInfo {
    /// PCI domain number.
    pub domain: u32,
    /// BUID.
    pub buid: u64,
    /// Node.
    pub node: NodeId,
}

/// How to boot.
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
    /// The partition (LPAR) this OS runs in: it sees only its PHBs.
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

/// The OS.
pub struct Kernel {
    /// The device tree it booted from.
    pub tree: Tree,
    /// The firmware (and hardware) under it.
    pub fw: Firmware,
    /// The machine description that accepted the tree.
    pub desc: &'static MachineDescription,
    /// Running under a hypervisor (`ibm,hypertas-functions`).
    pub hypervisor: bool,
    /// The interrupt controller node found by init_irq.
    pub intc: Option<String>,
    /// PHBs found.
    pub phbs: Vec<PhbInfo>,
    /// MSI support is set up.
    pub msi_enabled: bool,
    /// PCI devices, in scan order.
    pub devices: Vec<Device>,
    /// OS interrupt numbers.
    pub irq: IrqDomain,
    /// What happened, in order.
    pub trace: Vec<Event>,
    /// Options it booted with.
    pub opts: BootOptions,
    /// Sources presented by the controller that no handler took.
    pub spurious: u64,
    /// Suspended (between suspend and resume).
    pub suspended: bool,
    /// Every MSI virq held at the last suspend: (virq, device, vector, source).
    pub snapshot: Vec<(u32, DevId, u32, u32)>,
}

fn name_of(domain: u32, addr: PciAddr) -> String {
    format!(
        "{:04x}:{:02x}:{:02x}.{:x}",
        domain,
        addr.bus,
        addr.device(),
        addr.function()
    )
}

impl Kernel {
    /// Boots a tree: probe, setup_arch, init_irq, PHB discovery, MSI init, PCI scan
    /// with the per-function fix-up.
    pub fn boot(tree: Tree, opts: BootOptions) -> Result<Kernel, Error> {
        let cfg = MachineConfig {
            profile: opts.profile,
            pool_size: opts.pool_size,
        };
        let mut fw = Firmware::new(&tree, &cfg)?;
        fw.log_enabled = opts.rtas_log;
        fw.qemu_tracing = opts.qemu_trace;
        let mut trace = Vec::new();
        let desc = match opts.force {
            Some(d) => d,
            None => {
                let mut found = None;
                for d in descriptions() {
                    let ok = (d.probe)(&tree);
                    if opts.trace {
                        trace.push(Event::Hook {
                            hook: "probe",
                            machine: d.name,
                            detail: if ok {
                                "accepted".into()
                            } else {
                                "declined".into()
                            },
                        });
                    }
                    if ok {
                        found = Some(*d);
                        break;
                    }
                }
                found.ok_or(Error::NoMachine)?
            }
        };
        let mut k = Kernel {
            tree,
            fw,
            desc,
            hypervisor: false,
            intc: None,
            phbs: Vec::new(),
            msi_enabled: false,
            devices: Vec::new(),
            irq: IrqDomain::default(),
            trace,
            opts,
            spurious: 0,
            suspended: false,
            snapshot: Vec::new(),
        };
        k.hook("setup_arch", "");
        if let Some(h) = desc.setup_arch {
            h(&mut k)?;
        }
        k.hook("init_irq", "");
        match desc.init_irq {
            Some(h) => h(&mut k)?,
            None => crate::generic::init_irq(&mut k)?,
        }
        k.hook("discover_phbs", "");
        match desc.discover_phbs {
            Some(h) => h(&mut k)?,
            None => crate::generic::discover_phbs(&mut k)?,
        }
        k.hook("msi_init", "");
        k.msi_enabled = match desc.msi_init {
            Some(h) => h(&mut k),
            None => false,
        };
        if !k.msi_enabled {
            k.msg("no MSI support: drivers use LSIs".to_string());
        }
        k.pci_scan()?;
        Ok(k)
    }

    fn pci_scan(&mut self) -> Result<(), Error> {
        let phbs = self.phbs.clone();
        for p in &phbs {
            let mut found = Vec::new();
            collect(&self.tree, p.node, &mut found);
            let mut devs = Vec::new();
            for node in found {
                let at = self.tree.at(node);
                let reg = at.reg()?.unwrap_or_default();
                let Some(hi) = reg.first().and_then(|r| r.address.first().copied()) else {
                    continue;
                };
                let addr = PciAddr {
                    bus: (hi >> 16) as u8,
                    devfn: (hi >> 8) as u8,
                };
                let Some(fnref) = self.fw.machine.find(p.buid, addr) else {
                    continue;
                };
                let hw = self.fw.machine.function(fnref);
                devs.push(Device {
                    name: name_of(p.domain, addr),
                    node,
                    path: at.path(),
                    fnref,
                    buid: p.buid,
                    addr,
                    lsi: hw.lsi.map(|l| l.source),
                    lsi_virq: None,
                    msi: None,
                    no_64bit_msi: at.has("pseries-sim,no-64bit-msi"),
                    is_bridge: hw.info.is_bridge,
                });
            }
            devs.sort_by_key(|d| (d.addr.bus, d.addr.devfn));
            for d in devs {
                let id = self.devices.len();
                let lsi = d.lsi;
                let name = d.name.clone();
                self.devices.push(d);
                if let Some(src) = lsi {
                    let virq = self.irq.map(src, (id, None));
                    self.devices[id].lsi_virq = Some(virq);
                    if self.opts.trace {
                        self.trace.push(Event::Map {
                            device: name.clone(),
                            vector: None,
                            source: src,
                            virq,
                        });
                    }
                }
                self.hook("pci_irq_fixup", &name);
                if let Some(h) = self.desc.pci_irq_fixup {
                    h(self, id);
                }
            }
        }
        Ok(())
    }

    /// Records a hook call.
    pub(crate) fn hook(&mut self, hook: &'static str, detail: &str) {
        log::debug!("{}.{hook} {detail}", self.desc.name);
        if self.opts.trace {
            self.trace.push(Event::Hook {
                hook,
                machine: self.desc.name,
                detail: detail.to_string(),
            });
        }
    }

    /// Whether messages are wanted (trace or debug log).
    pub(crate) fn verbose(&self) -> bool {
        self.opts.trace || log::log_enabled!(log::Level::Debug)
    }

    /// Records a message in the words of Linux's debug output.
    pub(crate) fn msg(&mut self, text: String) {
        log::debug!("{text}");
        if self.opts.trace {
            self.trace.push(Event::Msg { text });
        }
    }

    /// An RTAS call through the firmware's entry point; the outputs, status signed
    /// first. `None` when the machine has no such service.
    pub fn rtas(&mut self, s: Service, args: &[u32], nret: usize) -> Option<RetCells> {
        let mut raw = [0u32; 16];
        let nret = nret.min(16);
        self.fw
            .call_into_as(self.opts.partition, s, args, &mut raw[..nret])
            .ok()?;
        let mut out = RetCells {
            cells: [0; 16],
            len: nret,
        };
        for i in 0..nret {
            out.cells[i] = if i == 0 {
                raw[0] as i32 as i64
            } else {
                raw[i] as i64
            };
        }
        if self.opts.trace {
            self.trace.push(Event::Rtas {
                service: s.name().to_string(),
                args: args.to_vec(),
                rets: out.to_vec(),
            });
        }
        Some(out)
    }

    /// A device by its Linux name.
    pub fn device(&self, name: &str) -> Result<DevId, Error> {
        self.devices
            .iter()
            .position(|d| d.name == name)
            .ok_or_else(|| Error::NoDevice(name.to_string()))
    }

    /// Reads a device's config space the platform's way (RTAS on pseries).
    pub fn config_read(&mut self, dev: DevId, reg: u32, size: u32) -> Option<u32> {
        match self.desc.read_config {
            Some(h) => h(self, dev, reg, size),
            None => self
                .fw
                .machine
                .function(self.devices[dev].fnref)
                .config_read(reg, size)
                .ok(),
        }
    }

    /// Writes a device's config space the platform's way.
    pub fn config_write(&mut self, dev: DevId, reg: u32, size: u32, value: u32) -> bool {
        match self.desc.write_config {
            Some(h) => h(self, dev, reg, size, value),
            None => {
                let r = self.devices[dev].fnref;
                let ok = self
                    .fw
                    .machine
                    .function_mut(r)
                    .config_write(reg, size, value)
                    .is_ok();
                self.fw.machine.flush_pending(r);
                ok
            }
        }
    }

    /// Finds a capability by walking the list in config space.
    pub fn find_capability(&mut self, dev: DevId, id: u8) -> Option<u32> {
        let status = self.config_read(dev, 0x06, 2)?;
        if status & 0x10 == 0 {
            return None;
        }
        let mut ptr = self.config_read(dev, 0x34, 1)? & 0xfc;
        for _ in 0..48 {
            if ptr == 0 {
                return None;
            }
            if self.config_read(dev, ptr, 1)? == id as u32 {
                return Some(ptr);
            }
            ptr = self.config_read(dev, ptr + 1, 1)? & 0xfc;
        }
        None
    }

    /// Vectors the device's capability offers (MSI: multiple message capable; MSI-X:
    /// table size), as Linux's `pci_msi_vec_count` / `pci_msix_vec_count` read them.
    pub fn vec_count(&mut self, dev: DevId, kind: MsiType) -> Option<u32> {
        match kind {
            MsiType::Msi => {
                let cap = self.find_capability(dev, 0x05)?;
                let ctrl = self.config_read(dev, cap + 2, 2)?;
                Some(1 << ((ctrl >> 1) & 7))
            }
            MsiType::Msix => {
                let cap = self.find_capability(dev, 0x11)?;
                let ctrl = self.config_read(dev, cap + 2, 2)?;
                Some((ctrl & 0x7ff) + 1)
            }
        }
    }

    /// A driver asks for between `min` and `max` vectors of a kind, as Linux's
    /// `pci_enable_msi(x)_range` does: a grant below `min` fails, a grant between `min`
    /// and `max` is retried at that count. Returns the number of vectors held.
    pub fn request(
        &mut self,
        dev: DevId,
        kind: MsiType,
        max: u32,
        min: u32,
    ) -> Result<u32, MsiError> {
        let name = self.devices[dev].name.clone();
        let r = self.request_inner(dev, kind, max, min);
        let text = match &r {
            Ok(n) => format!("request {kind} {max} (min {min}): got {n}"),
            Err(e) => format!("request {kind} {max} (min {min}) failed: {e}"),
        };
        if self.opts.trace {
            self.trace.push(Event::Driver { device: name, text });
        }
        r
    }

    fn request_inner(
        &mut self,
        dev: DevId,
        kind: MsiType,
        max: u32,
        min: u32,
    ) -> Result<u32, MsiError> {
        if self.devices[dev].msi.is_some() || min == 0 || min > max {
            return Err(MsiError::Inval);
        }
        if !self.msi_enabled || self.desc.setup_msi_irqs.is_none() {
            return Err(MsiError::NotSupported);
        }
        let offered = self.vec_count(dev, kind).ok_or(MsiError::Inval)?;
        if offered < min {
            return Err(MsiError::NoSpc);
        }
        let mut nvec = max.min(offered);
        loop {
            let name = self.devices[dev].name.clone();
            self.hook("msi_check_device", &format!("{name} {kind} {nvec}"));
            let check = match self.desc.msi_check_device {
                Some(h) => h(self, dev, nvec, kind),
                None => Ok(()),
            };
            let rc = check.and_then(|_| {
                self.hook("setup_msi_irqs", &format!("{name} {kind} {nvec}"));
                match self.desc.setup_msi_irqs {
                    Some(h) => h(self, dev, nvec, kind),
                    None => Err(MsiError::NotSupported),
                }
            });
            match rc {
                Ok(()) => break,
                Err(MsiError::TryFewer(n)) if n < min => return Err(MsiError::NoSpc),
                Err(MsiError::TryFewer(n)) if n < nvec => nvec = n,
                Err(MsiError::TryFewer(_)) => return Err(MsiError::NoSpc),
                Err(e) => return Err(e),
            }
        }
        self.enable_capability(dev, kind, nvec);
        if self.opts.request_irqs {
            let sources = self.devices[dev]
                .msi
                .as_ref()
                .map(|m| m.sources.clone())
                .unwrap_or_default();
            for s in sources {
                self.unmask(s);
            }
        }
        Ok(nvec)
    }

    /// The generic PCI code turns the capability on and INTx off after setup.
    pub(crate) fn enable_capability(&mut self, dev: DevId, kind: MsiType, nvec: u32) {
        match kind {
            MsiType::Msix => {
                if let Some(cap) = self.find_capability(dev, 0x11) {
                    let c = self.config_read(dev, cap + 2, 2).unwrap_or(0);
                    self.config_write(dev, cap + 2, 2, (c | 0x8000) & !0x4000);
                }
            }
            MsiType::Msi => {
                if let Some(cap) = self.find_capability(dev, 0x05) {
                    let c = self.config_read(dev, cap + 2, 2).unwrap_or(0);
                    let mme = nvec.next_power_of_two().trailing_zeros();
                    self.config_write(dev, cap + 2, 2, (c & !0x70) | mme << 4 | 1);
                }
            }
        }
        let cmd = self.config_read(dev, 0x04, 2).unwrap_or(0);
        self.config_write(dev, 0x04, 2, cmd | 0x400);
    }

    fn disable_capability(&mut self, dev: DevId, kind: MsiType) {
        let (id, bit) = match kind {
            MsiType::Msix => (0x11, 0x8000),
            MsiType::Msi => (0x05, 0x1),
        };
        if let Some(cap) = self.find_capability(dev, id) {
            let c = self.config_read(dev, cap + 2, 2).unwrap_or(0);
            self.config_write(dev, cap + 2, 2, c & !bit);
        }
        let cmd = self.config_read(dev, 0x04, 2).unwrap_or(0);
        self.config_write(dev, 0x04, 2, cmd & !0x400);
    }

    /// Unmasks a source at the interrupt controller (request_irq), the platform's way;
    /// without a hook the controller is programmed directly (bare metal).
    pub fn unmask(&mut self, source: u32) {
        match self.desc.irq_unmask {
            Some(h) => h(self, source),
            None => {
                let p = DEFAULT_PRIORITY as u8;
                self.fw.machine.ics.write_xive(source, 0, p, p);
            }
        }
    }

    /// Masks a source (free_irq), the platform's way.
    pub fn mask(&mut self, source: u32) {
        match self.desc.irq_mask {
            Some(h) => h(self, source),
            None => {
                self.fw
                    .machine
                    .ics
                    .write_xive(source, 0, 0xff, DEFAULT_PRIORITY as u8);
            }
        }
    }

    /// Maps a device's vector to a new virq.
    pub(crate) fn map_vector(&mut self, dev: DevId, vector: u32, source: u32) -> u32 {
        let virq = self.irq.map(source, (dev, Some(vector)));
        if self.opts.trace {
            let device = self.devices[dev].name.clone();
            self.trace.push(Event::Map {
                device,
                vector: Some(vector),
                source,
                virq,
            });
        }
        virq
    }

    /// Disposes of every virq of a device's vectors.
    pub(crate) fn unmap_vectors(&mut self, dev: DevId) {
        let Some(m) = self.devices[dev].msi.as_ref() else {
            return;
        };
        let virqs = m.virqs.clone();
        for v in virqs {
            if let Some(d) = self.irq.dispose(v) {
                if self.opts.trace {
                    let device = self.devices[dev].name.clone();
                    self.trace.push(Event::Unmap {
                        device,
                        virq: v,
                        source: d.hwirq,
                    });
                }
            }
        }
    }

    /// The driver releases all its vectors: free_irq, the capability off, then the
    /// platform's teardown (all or nothing).
    pub fn free(&mut self, dev: DevId) -> Result<(), MsiError> {
        let Some(m) = self.devices[dev].msi.clone() else {
            return Err(MsiError::Inval);
        };
        if self.opts.request_irqs {
            for &s in &m.sources {
                self.mask(s);
            }
        }
        self.disable_capability(dev, m.kind);
        self.unmap_vectors(dev);
        let name = self.devices[dev].name.clone();
        self.hook("teardown_msi_irqs", &name);
        if let Some(h) = self.desc.teardown_msi_irqs {
            h(self, dev);
        }
        self.devices[dev].msi = None;
        if self.opts.trace {
            self.trace.push(Event::Driver {
                device: name,
                text: "free: vectors released".into(),
            });
        }
        Ok(())
    }

    /// The device signals vector `v`; the controller presents the source; the handler
    /// of the virq it maps to runs. Returns the virq whose handler ran.
    pub fn fire(&mut self, dev: DevId, v: u32) -> Result<u32, String> {
        let r = self.devices[dev].fnref;
        let before = self.fw.machine.ics.presented.len();
        let sig = self.fw.machine.signal(r, v);
        let handled = self.take_presented(before);
        match (sig, handled.first()) {
            (Signal::Delivered { source }, Some(&(virq, owner))) => {
                if owner != (dev, Some(v)) {
                    return Err(format!(
                        "source {source:#x} reached virq {virq}, which belongs to another vector"
                    ));
                }
                Ok(virq)
            }
            (Signal::Delivered { source }, None) => Err(format!(
                "source {source:#x} is masked or mapped to no handler"
            )),
            (Signal::PendingInDevice, _) => {
                Err("the vector is masked in the device (pending)".into())
            }
            (Signal::Dropped, _) => Err("the message reached no source (dropped)".into()),
        }
    }

    /// Re-enables a device's capability and unmasks its sources after its vectors were
    /// handed out again.
    pub(crate) fn reprogram(&mut self, dev: DevId) {
        let Some(m) = self.devices[dev].msi.clone() else {
            return;
        };
        self.enable_capability(dev, m.kind, m.virqs.len() as u32);
        if self.opts.request_irqs {
            for s in m.sources {
                self.unmask(s);
            }
        }
    }

    /// Handles what the controller presented since `from`: runs handlers.
    fn take_presented(&mut self, from: usize) -> Vec<(u32, (usize, Option<u32>))> {
        let new: Vec<_> = self.fw.machine.ics.presented.drain(from..).collect();
        let mut out = Vec::new();
        for p in new {
            match self.irq.find(p.source) {
                Some(virq) => {
                    let Some(d) = self.irq.get_mut(virq) else {
                        self.spurious += 1;
                        continue;
                    };
                    d.count += 1;
                    let (count, owner) = (d.count, d.owner());
                    if self.opts.trace {
                        let device = self.devices[owner.0].name.clone();
                        self.trace.push(Event::Handler {
                            device,
                            vector: owner.1.unwrap_or(0),
                            virq,
                            count,
                        });
                    }
                    out.push((virq, owner));
                }
                None => self.spurious += 1,
            }
        }
        out
    }

    /// Every MSI virq held now: (virq, device, vector, source).
    pub fn held_virqs(&self) -> Vec<(u32, DevId, u32, u32)> {
        let mut v = Vec::new();
        for (d, dev) in self.devices.iter().enumerate() {
            if let Some(m) = &dev.msi {
                for (i, (&virq, &src)) in m.virqs.iter().zip(&m.sources).enumerate() {
                    v.push((virq, d, i as u32, src));
                }
            }
        }
        v
    }

    /// Suspends through the platform's hook.
    pub fn suspend(&mut self) -> Result<(), Error> {
        self.snapshot = self.held_virqs();
        self.hook("suspend", "");
        match self.desc.suspend {
            Some(h) => h(self)?,
            None => {
                return Err(Error::Failed(
                    "suspend is not supported on this machine".into(),
                ))
            }
        }
        self.suspended = true;
        Ok(())
    }

    /// The firmware wakes the partition (keeping its assignments, or renumbering
    /// them), then the platform's resume hook runs.
    pub fn resume(&mut self, mode: ResumeMode) -> Result<(), Error> {
        if !self.suspended {
            return Err(Error::Failed("resume without a suspend".into()));
        }
        self.fw.resume(mode == ResumeMode::Renumber);
        self.hook(
            "resume",
            if mode == ResumeMode::Keep {
                "keep"
            } else {
                "renumber"
            },
        );
        if let Some(h) = self.desc.resume {
            h(self, mode)?;
        }
        self.suspended = false;
        Ok(())
    }
}

/// Function nodes below a bus node (bridges and what lies behind them).
fn collect(tree: &Tree, bus: NodeId, out: &mut Vec<NodeId>) {
    out.extend(rtas::machine::pci_functions_below(tree, bus));
}
