//! Delivery: a function signals a vector, its message reaches (or misses) a source.

use super::base::Machine;
use super::profile::Profile;
use super::types::{FnRef, Signal, MSI_WINDOW, MSI_WINDOW_32};

impl Machine {
    /// The function signals vector `i`: the message in its MSI capability or MSI-X
    /// entry goes out, unless the vector is masked (then its pending bit is set).
    pub fn signal(&mut self, r: FnRef, i: u32) -> Signal {
        if self.function(r).dma_stopped() {
            self.drops.frozen += 1;
            return Signal::Dropped;
        }
        /// What the function does with vector i.
        enum Out {
            Send(u64, u32),
            Pending,
            Nothing,
        }
        let f = &mut self.phbs[r.phb].functions[r.func];
        let mut out = Out::Nothing;
        if let (Some(cap), Some(t)) = (f.msix, f.msix_table.as_mut()) {
            if cap.enabled(&f.config) && i < t.len() as u32 {
                out = if cap.function_masked(&f.config) || t.masked(i) {
                    t.set_pending(i, true);
                    Out::Pending
                } else {
                    t.message(i).map_or(Out::Nothing, |(a, d)| Out::Send(a, d))
                };
            }
        }
        if let (Out::Nothing, Some(cap)) = (&out, f.msi) {
            if cap.enabled(&f.config) && i < cap.vectors_enabled(&f.config) {
                out = if cap.masked(&f.config, i) {
                    cap.set_pending(&mut f.config, i, true);
                    Out::Pending
                } else {
                    let (a, d) = cap.message(&f.config, i);
                    Out::Send(a, d)
                };
            }
        }
        match out {
            Out::Nothing => {
                self.drops.disabled += 1;
                Signal::Dropped
            }
            Out::Pending => Signal::PendingInDevice,
            Out::Send(addr, data) => self.deliver(r, addr, data),
        }
    }

    /// A message write from a function reaches the MSI window.
    pub fn deliver(&mut self, r: FnRef, addr: u64, data: u32) -> Signal {
        if self.function(r).dma_stopped() {
            self.drops.frozen += 1;
            return Signal::Dropped;
        }
        if let Some(msic) = self.axon.as_mut() {
            if addr == msic.msi_address {
                // The MSIC stores it in the FIFO and raises its cascade; the OS's
                // handler finds the data there.
                return if msic.message(data, &mut self.ram, &mut self.ics) {
                    Signal::Delivered { source: data }
                } else {
                    Signal::Dropped
                };
            }
        }
        if let Some(mpic) = self.mpic.as_mut() {
            // The bridge turns a write to the MPIC's MSI target into that source.
            if !mpic.is_msi_target(addr) {
                self.drops.bad_address += 1;
                log::debug!("message to {addr:#x} is not an MPIC MSI target: dropped");
                return Signal::Dropped;
            }
            if !mpic.message(&mut self.ics, data) {
                self.drops.not_owner += 1;
                return Signal::Dropped;
            }
            return Signal::Delivered { source: data };
        }
        if addr != MSI_WINDOW && !(addr == MSI_WINDOW_32 && self.profile == Profile::Papr) {
            self.drops.bad_address += 1;
            log::debug!("message to {addr:#x} is outside the MSI window: dropped");
            return Signal::Dropped;
        }
        if self.partitioned() {
            let mine = self.phbs[r.phb].partition;
            if let Some(other) = self.partition_of_source(data).filter(|&p| p != mine) {
                self.drops.cross_partition += 1;
                self.phbs[r.phb].functions[r.func].freeze();
                log::warn!(
                    "{}: message data {data:#x} names a source of partition {other}: dropped, PE frozen",
                    self.function(r).info.path
                );
                return Signal::Dropped;
            }
        }
        let owned = match self.bare_msi_range(r.phb) {
            Some((first, count)) => data >= first && data - first < count,
            None => self
                .block(r)
                .is_some_and(|b| data >= b.first && data < b.first + b.count),
        };
        if !owned || !self.trigger_source(data) {
            self.drops.not_owner += 1;
            log::debug!("message data {data:#x} names no source of this function: dropped");
            return Signal::Dropped;
        }
        Signal::Delivered { source: data }
    }

    /// Sends what a function held pending in its MSI-X table or MSI pending bits once
    /// the vector is unmasked and enabled.
    pub fn flush_pending(&mut self, r: FnRef) -> Vec<Signal> {
        let mut out = Vec::new();
        let f = &self.phbs[r.phb].functions[r.func];
        let mut msix_ready = Vec::new();
        if let (Some(cap), Some(t)) = (f.msix, f.msix_table.as_ref()) {
            if cap.enabled(&f.config) && !cap.function_masked(&f.config) {
                msix_ready = (0..t.len() as u32)
                    .filter(|&i| t.pending(i) && !t.masked(i))
                    .collect();
            }
        }
        let mut msi_ready = Vec::new();
        if let Some(cap) = f.msi {
            if cap.enabled(&f.config) {
                let p = cap.pending(&f.config);
                msi_ready = (0..32)
                    .filter(|&i| p >> i & 1 != 0 && !cap.masked(&f.config, i))
                    .collect();
            }
        }
        for i in msix_ready {
            if let Some(t) = self.phbs[r.phb].functions[r.func].msix_table.as_mut() {
                t.set_pending(i, false);
            }
            out.push(self.signal(r, i));
        }
        for i in msi_ready {
            let f = &mut self.phbs[r.phb].functions[r.func];
            if let Some(cap) = f.msi {
                cap.set_pending(&mut f.config, i, false);
            }
            out.push(self.signal(r, i));
        }
        out
    }

    /// The function raises its INTx line and drops it again once the handler ran (a
    /// pulse of the level): the source it is wired to is triggered, unless INTx is
    /// disabled in its command register or it has no pin.
    pub fn pulse_lsi(&mut self, r: FnRef) -> Signal {
        let f = self.function(r);
        let Some(lsi) = f.lsi else {
            return Signal::Dropped;
        };
        if f.dma_stopped() || f.intx_disabled() || !self.trigger_source(lsi.source) {
            return Signal::Dropped;
        }
        self.ics.deassert(lsi.source);
        Signal::Delivered { source: lsi.source }
    }
}
