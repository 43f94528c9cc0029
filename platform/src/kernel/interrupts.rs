//! Interrupts at the controller: unmask and mask (the platform's hook, else the
//! controller's registers), and taking what the CPU was interrupted with: each source
//! to its virq's handler.

use super::{ControllerKind, DevId, Kernel, DEFAULT_PRIORITY};
use crate::trace::{Event, EventKind};
use papr_abi::ics::{ICS_REG_SELECT, ICS_REG_XIVE};

/// Priority that masks a source.
const MASKED: u64 = 0xff;

/// A handler that ran: the virq, and the device and vector (None: LSI) it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Handled {
    /// OS interrupt number.
    pub virq: u32,
    /// Owning device.
    pub dev: DevId,
    /// Vector, None for the LSI.
    pub vector: Option<u32>,
}

impl Kernel {
    /// Unmasks a source (request_irq), the platform's way; without a hook the
    /// controller's registers are written (bare metal).
    pub fn unmask(&mut self, source: u32) {
        match self.desc.irq_unmask {
            Some(h) => h(self, source),
            None => self.write_source(source, DEFAULT_PRIORITY as u64),
        }
    }

    /// Masks a source (free_irq), the platform's way.
    pub fn mask(&mut self, source: u32) {
        match self.desc.irq_mask {
            Some(h) => h(self, source),
            None => self.write_source(source, MASKED),
        }
    }

    /// Shuts a started source down (free_irq), the platform's way: its shutdown hook,
    /// else a mask.
    pub fn shutdown(&mut self, source: u32) {
        match self.desc.irq_shutdown {
            Some(h) => h(self, source),
            None => self.mask(source),
        }
    }

    /// The driver requests its LSI (request_irq with IRQF_SHARED): the line is
    /// unmasked when its first handler comes. False when the device has no LSI.
    pub fn request_lsi(&mut self, dev: DevId) -> bool {
        let (Some(src), Some(virq)) = (self.devices[dev].lsi, self.devices[dev].lsi_virq) else {
            return false;
        };
        if self.devices[dev].lsi_requested {
            return true;
        }
        let first = !self
            .irq
            .owners(virq)
            .iter()
            .any(|o| self.devices[o.dev].lsi_requested);
        self.devices[dev].lsi_requested = true;
        if first {
            self.unmask(src);
        }
        if self.traces(EventKind::Driver) {
            let detail = crate::trace::DriverDetail {
                action: "request_irq",
                virq: Some(virq),
                ..Default::default()
            };
            self.driver_event(dev, format!("request_irq LSI virq {virq}"), detail);
        }
        true
    }

    /// Masks or unmasks a source at the controller through its registers (what an
    /// empty mask hook does), for descriptions that add to it.
    pub fn controller_mask(&mut self, source: u32, masked: bool) {
        let prio = if masked {
            MASKED
        } else {
            DEFAULT_PRIORITY as u64
        };
        self.write_source(source, prio);
    }

    /// Sets a source's priority (server 0) through the controller's registers.
    fn write_source(&mut self, source: u32, priority: u64) {
        let regs = self.intc.as_ref().and_then(|c| {
            (c.kind == ControllerKind::Other)
                .then_some(c.registers)
                .flatten()
        });
        let Some(base) = regs else {
            log::debug!("source {source:#x}: the controller has no registers to program");
            return;
        };
        self.port
            .mmio_write(base + ICS_REG_SELECT, 4, source as u64);
        self.port.mmio_write(base + ICS_REG_XIVE, 4, priority);
    }

    /// Takes the interrupts the CPU was raised with since last asked and runs the
    /// handler of each source's virq; returns the handlers that ran, in order.
    pub fn handle_interrupts(&mut self) -> Vec<Handled> {
        let mut out = Vec::new();
        if let Some(mut c) = self.client.take() {
            let taken = c.take_interrupts(self);
            self.client = Some(c);
            if let Some(virqs) = taken {
                for virq in virqs {
                    self.dispatch(virq, &mut out);
                }
                return out;
            }
        }
        let sources = if self.xive.is_some() {
            self.xive_take()
        } else {
            self.port.take_interrupts()
        };
        for source in sources {
            if let Some(virqs) = self.desc.chained_handler.and_then(|h| h(self, source)) {
                for virq in virqs {
                    self.dispatch(virq, &mut out);
                }
                continue;
            }
            match self.irq.find(source) {
                Some(virq) => self.dispatch(virq, &mut out),
                None => self.spurious += 1,
            }
        }
        out
    }

    /// Runs every handler of a virq (Linux's `generic_handle_irq`).
    fn dispatch(&mut self, virq: u32, out: &mut Vec<Handled>) {
        let Some(d) = self.irq.get_mut(virq) else {
            self.spurious += 1;
            return;
        };
        d.count = d.count.wrapping_add(1);
        let count = u64::from(d.count);
        // Every handler on the line, in the order they were requested.
        for owner in self.irq.owners(virq) {
            let (dev, vector) = (owner.dev, owner.vector);
            if self.traces(EventKind::Handler) {
                let device = self.devices[dev].name.clone();
                self.emit(Event::Handler {
                    device,
                    vector: vector.unwrap_or(0),
                    virq,
                    count,
                });
            }
            out.push(Handled { virq, dev, vector });
        }
    }
}
