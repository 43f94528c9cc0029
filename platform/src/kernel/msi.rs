//! The generic PCI MSI layer (Linux's `drivers/pci/msi`): a driver's request with its
//! retries, enabling and disabling the capability, mapping each vector to a virq,
//! reading back the messages, and the release.

use super::{DevId, Kernel, MsiState};
use crate::error::MsiError;
use crate::irq::Owner;
use crate::kernel::ops::MsiType;
use crate::trace::{Event, EventKind};

impl Kernel {
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
        self.request_started(dev, kind, max, min, None)
    }

    /// [`Kernel::request`] by a driver that starts (request_irq) only the first
    /// `start` of the vectors it gets (None: all); the others are allocated and mapped
    /// but never started, as a driver that starts them later leaves them.
    pub fn request_started(
        &mut self,
        dev: DevId,
        kind: MsiType,
        max: u32,
        min: u32,
        start: Option<u32>,
    ) -> Result<u32, MsiError> {
        if self.devices[dev].msi.is_none() {
            self.devices[dev].started = start;
            self.devices[dev].started_later.clear();
        }
        let r = self.request_inner(dev, kind, max, min);
        if !self.traces(EventKind::Driver) {
            // The event exists only to be traced: nothing to build.
            return r;
        }
        let text = match &r {
            Ok(n) => format!("request {kind} {max} (min {min}): got {n}"),
            Err(e) => format!("request {kind} {max} (min {min}) failed: {e}"),
        };
        let detail = crate::trace::DriverDetail {
            action: "request",
            kind: Some(kind),
            max: Some(max),
            min: Some(min),
            got: r.as_ref().ok().copied(),
            error: r.as_ref().err().map(|e| e.to_string()),
            virq: None,
        };
        self.driver_event(dev, text, detail);
        r
    }

    fn request_inner(
        &mut self,
        dev: DevId,
        kind: MsiType,
        max: u32,
        min: u32,
    ) -> Result<u32, MsiError> {
        if let Some(info) = self.devices[dev].msi_device.clone() {
            // A non-PCI device: no PCI code (nor the Linux client) has a part in it.
            if let Some(why) = info.parent_problem {
                self.msg(why);
                return Err(MsiError::NoMsiParent);
            }
            if kind != MsiType::Msi {
                return Err(MsiError::Inval);
            }
        } else if let Some(mut c) = self.client.take_if(|_| kind != MsiType::Ims) {
            let r = self.request_client(c.as_mut(), dev, kind, max, min);
            self.client = Some(c);
            return r;
        }
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
        if self.no_msi_domain(dev, kind) {
            // Linux's PCI MSI core finds no MSI domain on the function and no arch
            // fallback: -ENOSYS, before any platform hook.
            return Err(MsiError::NotSupported);
        }
        let mut nvec = max.min(offered);
        loop {
            self.hook_with("msi_check_device", |k| {
                format!("{} {kind} {nvec}", k.devices[dev].name)
            });
            let check = match self.desc.msi_check_device {
                Some(h) => h(self, dev, nvec, kind),
                None => Ok(()),
            };
            let rc = check.and_then(|_| {
                self.hook_with("setup_msi_irqs", |k| {
                    format!("{} {kind} {nvec}", k.devices[dev].name)
                });
                match self.desc.setup_msi_irqs {
                    Some(h) => h(self, dev, nvec, kind),
                    None => Err(MsiError::NotSupported),
                }
            });
            if rc.is_err() {
                // Linux 6.1's core frees what the failed allocation set up twice: the
                // domain's allocation path, then the capability's (free_msi_irqs).
                self.setup_kind = Some(kind);
                self.failed_setup_teardown(dev);
                self.setup_kind = None;
            }
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
            for s in self.started_of(dev, sources) {
                self.unmask(s);
            }
        }
        Ok(nvec)
    }

    /// Whether an MSI or MSI-X request of a PCI function finds no MSI domain: its PHB
    /// was given none ([`PhbInfo::no_msi_domain`](super::PhbInfo::no_msi_domain)).
    fn no_msi_domain(&self, dev: DevId, kind: MsiType) -> bool {
        let d = &self.devices[dev];
        kind != MsiType::Ims && d.msi_device.is_none() && self.phbs[d.phb].no_msi_domain
    }

    /// The platform's teardown after a failed setup, as often as Linux 6.1's MSI core
    /// calls it there (twice: msi_domain_alloc_irqs_descs_locked, then free_msi_irqs).
    fn failed_setup_teardown(&mut self, dev: DevId) {
        let Some(h) = self.desc.teardown_msi_irqs else {
            return;
        };
        for _ in 0..2 {
            self.hook_with("teardown_msi_irqs", |k| k.devices[dev].name.clone());
            h(self, dev);
        }
    }

    /// The request through the compiled Linux client: its MSI core does the retries,
    /// the capability and the mapping; the state is read back from what it did.
    fn request_client(
        &mut self,
        c: &mut dyn super::client::MsiClient,
        dev: DevId,
        kind: MsiType,
        max: u32,
        min: u32,
    ) -> Result<u32, MsiError> {
        if self.devices[dev].msi.is_some() {
            return Err(MsiError::Inval);
        }
        let (n, virqs) = c.request(self, dev, kind, max, min)?;
        let sources = virqs
            .iter()
            .map(|&v| self.irq.get(v).map_or(u32::MAX, |d| d.hwirq))
            .collect();
        let messages = self.read_messages(dev, kind, n);
        self.devices[dev].msi = Some(MsiState {
            kind,
            virqs,
            sources,
            messages,
            granted: n,
        });
        if self.opts.request_irqs {
            let start = self.devices[dev].started;
            c.request_irqs(self, dev, start);
        }
        Ok(n)
    }

    /// Maps a device's vector to a new virq.
    pub fn map_vector(&mut self, dev: DevId, vector: u32, source: u32) -> u32 {
        let virq = self.irq.map(source, Owner::vector(dev, vector));
        if self.traces(EventKind::Map) {
            let device = self.devices[dev].name.clone();
            self.emit(Event::Map {
                device,
                vector: Some(vector),
                source,
                virq,
            });
        }
        virq
    }

    /// Maps a device's vector to a new virq that is its own hardware number.
    pub fn map_vector_direct(&mut self, dev: DevId, vector: u32) -> u32 {
        let virq = self.irq.map_direct(Owner::vector(dev, vector));
        if self.traces(EventKind::Map) {
            let device = self.devices[dev].name.clone();
            self.emit(Event::Map {
                device,
                vector: Some(vector),
                source: virq,
                virq,
            });
        }
        virq
    }

    /// Disposes of every virq of a device's vectors.
    pub fn unmap_vectors(&mut self, dev: DevId) {
        let Some(m) = self.devices[dev].msi.as_ref() else {
            return;
        };
        let virqs = m.virqs.clone();
        for v in virqs {
            if let Some(d) = self.irq.dispose(v) {
                if self.traces(EventKind::Unmap) {
                    let device = self.devices[dev].name.clone();
                    self.emit(Event::Unmap {
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
        let by_client = !self.is_msi_device(dev) && m.kind != MsiType::Ims;
        match self.client.take_if(|_| by_client) {
            Some(mut c) => {
                c.free(self, dev);
                self.client = Some(c);
            }
            None => self.release_vectors(dev, &m),
        }
        self.devices[dev].msi = None;
        self.released(dev, "free", "free: vectors released");
        Ok(())
    }

    /// The driver detaches from the device (Linux's driver unbind): its vectors are
    /// released as [`Kernel::free`] releases them, and the kernel releases the device's
    /// MSI state; a driver that holds no vectors detaches too. A client's
    /// [`MsiClient::unbind`](super::client::MsiClient::unbind) does the work for a PCI
    /// function (for Linux 6.x, and the model, the calls of a free).
    pub fn unbind(&mut self, dev: DevId) {
        let held = self.devices[dev].msi.clone();
        let pci = !self.is_msi_device(dev);
        let client_holds =
            pci && self.client.is_some() && held.as_ref().is_some_and(|m| m.kind != MsiType::Ims);
        if let Some(m) = held.as_ref().filter(|_| !client_holds) {
            self.release_vectors(dev, m);
        }
        if let Some(mut c) = self.client.take_if(|_| pci) {
            c.unbind(self, dev);
            self.client = Some(c);
        }
        self.devices[dev].msi = None;
        let text = match held {
            Some(_) => "unbind: vectors released",
            None => "unbind: no vectors held",
        };
        self.released(dev, "unbind", text);
    }

    /// The model's release of a device's vectors: free_irq, the capability off, the
    /// virqs disposed of, then the platform's teardown.
    fn release_vectors(&mut self, dev: DevId, m: &MsiState) {
        if self.opts.request_irqs {
            for s in self.started_of(dev, m.sources.clone()) {
                self.shutdown(s);
            }
        }
        self.disable_capability(dev, m.kind);
        self.unmap_vectors(dev);
        self.hook_with("teardown_msi_irqs", |k| k.devices[dev].name.clone());
        if let Some(h) = self.desc.teardown_msi_irqs {
            h(self, dev);
        }
    }

    /// The driver's event for a free or an unbind (nothing built when not traced).
    fn released(&mut self, dev: DevId, action: &'static str, text: &str) {
        if !self.traces(EventKind::Driver) {
            return;
        }
        let detail = crate::trace::DriverDetail {
            action,
            ..Default::default()
        };
        self.driver_event(dev, text.into(), detail);
    }

    /// Re-enables a device's capability and unmasks its sources after its vectors were
    /// handed out again.
    pub fn reprogram(&mut self, dev: DevId) {
        let Some(m) = self.devices[dev].msi.clone() else {
            return;
        };
        self.enable_capability(dev, m.kind, m.virqs.len() as u32);
        if self.opts.request_irqs {
            for s in self.started_of(dev, m.sources) {
                self.unmask(s);
            }
        }
    }

    /// Whether the driver started (request_irq) vector `v` of those it holds: at its
    /// request (the first K) or later.
    pub fn vector_started(&self, dev: DevId, v: u32) -> bool {
        let d = &self.devices[dev];
        d.started.is_none_or(|k| v < k) || d.started_later.contains(&v)
    }

    /// The driver starts (request_irq) vector `v` of those it holds, after its request,
    /// as a driver that starts its vectors when its interface opens: the source
    /// unmasked (under XIVE, configured), by the client when it holds the vectors. Err
    /// when the device holds no such vector, it was started, or the client failed.
    pub fn start_vector(&mut self, dev: DevId, v: u32) -> Result<(), String> {
        let name = self.devices[dev].name.clone();
        let Some(m) = self.devices[dev].msi.clone() else {
            return Err(format!("{name} holds no vectors"));
        };
        let held = m.virqs.len() as u32;
        if v >= held {
            return Err(format!(
                "{name} holds {held} vectors: there is no vector {v}"
            ));
        }
        if self.vector_started(dev, v) {
            return Err(format!("vector {v} of {name} is already started"));
        }
        if self.opts.request_irqs {
            let by_client = !self.is_msi_device(dev) && m.kind != MsiType::Ims;
            match self.client.take_if(|_| by_client) {
                Some(mut c) => {
                    let r = c.start_irq(self, dev, v);
                    self.client = Some(c);
                    r?;
                }
                None => self.unmask(m.sources[v as usize]),
            }
        }
        self.devices[dev].started_later.push(v);
        if self.traces(EventKind::Driver) {
            let virq = m.virqs[v as usize];
            let detail = crate::trace::DriverDetail {
                action: "request_irq",
                virq: Some(virq),
                ..Default::default()
            };
            let text = format!("request_irq vector {v} virq {virq}");
            self.driver_event(dev, text, detail);
        }
        Ok(())
    }

    /// The sources, of a device's vectors, that its driver started.
    fn started_of(&self, dev: DevId, sources: Vec<u32>) -> Vec<u32> {
        (0u32..)
            .zip(sources)
            .filter(|&(v, _)| self.vector_started(dev, v))
            .map(|(_, s)| s)
            .collect()
    }
}
