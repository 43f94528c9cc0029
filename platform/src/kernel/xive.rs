//! Linux's XIVE exploitation driver (`arch/powerpc/sysdev/xive/spapr.c`, `common.c`):
//! per CPU an event queue registered with the hypervisor; per source its ESB pages
//! from GET_SOURCE_INFO, masked and unmasked through the ESB, routed by
//! SET_SOURCE_CONFIG; interrupts taken by reading the queue and EOIed through the ESB.

use super::xive_state::{OsQueue, SourceData, XiveOs};
use super::{Kernel, XIVE_PRIORITY};
use papr_abi::hcall::*;
use papr_abi::xive::esb;

/// Where the OS puts CPU 0's queue page (its own memory, as Linux allocates it).
const QUEUE_BASE: u64 = 0x0300_0000;
/// Bytes apart of the CPUs' queue pages (1 MiB).
const QUEUE_STRIDE: u64 = 0x10_0000;
/// The EISN of a source routed nowhere (Linux's `XIVE_BAD_IRQ`).
const XIVE_BAD_IRQ: u64 = 0x7fff_ffff;
/// Queue size as a page shift (`ibm,xive-eq-sizes` = 16: 64 KiB).
const QUEUE_SHIFT: u32 = 16;

impl Kernel {
    /// Number of CPUs (interrupt servers) the tree describes.
    fn cpus(&self) -> u32 {
        let mut n = 0;
        for id in self.tree.find_device_type("cpu") {
            n += match self.tree.at(id).cells("ibm,ppc-interrupt-server#s") {
                Ok(Some(c)) => c.len() as u32,
                _ => 1,
            };
        }
        n.max(1)
    }

    /// xive_spapr_init's per-CPU queue setup: GET_QUEUE_INFO, then SET_QUEUE_CONFIG.
    pub(crate) fn xive_init(&mut self) {
        let prio = XIVE_PRIORITY as u64;
        self.msg(format!("xive: Using priority {prio} for all interrupts"));
        let mut x = XiveOs::default();
        for cpu in 0..self.cpus() as u64 {
            self.hcall(H_INT_GET_QUEUE_INFO, &[0, cpu, prio]);
            let qpage = QUEUE_BASE + cpu * QUEUE_STRIDE;
            let r = self.hcall(
                H_INT_SET_QUEUE_CONFIG,
                &[XIVE_END_ALWAYS_NOTIFY, cpu, prio, qpage, QUEUE_SHIFT as u64],
            );
            if r.first() != Some(&H_SUCCESS) {
                self.msg(format!(
                    "xive: Failed to configure queue for CPU {cpu}: {r:?}"
                ));
            }
            x.queues.push(OsQueue {
                qpage,
                entries: 1 << (QUEUE_SHIFT - 2),
                index: 0,
                toggle: true,
            });
        }
        self.xive = Some(x);
    }

    /// xive_irq_alloc_data: GET_SOURCE_INFO, then the source turned off (PQ 01).
    pub(crate) fn xive_alloc(&mut self, hw: u32) {
        let r = self.hcall(H_INT_GET_SOURCE_INFO, &[0, hw as u64]);
        if r.first() != Some(&H_SUCCESS) || r.len() < 5 {
            self.msg(format!(
                "xive: H_INT_GET_SOURCE_INFO lisn={hw:#x} failed {r:?}"
            ));
            return;
        }
        if let Some(x) = self.xive.as_mut() {
            x.insert(hw, SourceData::new(&r));
        }
        self.xive_esb(hw, esb::SET_PQ_01);
    }

    /// A load from a source's ESB: its EOI page, or H_INT_ESB where GET_SOURCE_INFO
    /// said so.
    pub(crate) fn xive_esb(&mut self, hw: u32, offset: u64) -> u64 {
        if self.xive.as_ref().is_some_and(|x| x.source(hw).is_none()) {
            self.xive_alloc_info_only(hw);
        }
        let data = self.xive.as_ref().and_then(|x| x.source(hw));
        let mmio = data.filter(|d| d.flags as u64 & XIVE_SRC_H_INT_ESB == 0);
        match mmio.and_then(|d| d.eoi_page()) {
            // A big-endian page: the load reads its bytes in the CPU's order.
            Some(p) => self
                .port
                .mmio_read(p + offset, 8)
                .map_or(u64::MAX, u64::swap_bytes),
            _ => {
                let r = self.hcall(H_INT_ESB, &[0, hw as u64, offset, 0]);
                r.get(1).copied().unwrap_or(-1) as u64
            }
        }
    }

    /// GET_SOURCE_INFO alone, for a source met first at unmask (an LSI, a source
    /// handed out anew at resume).
    fn xive_alloc_info_only(&mut self, hw: u32) {
        let r = self.hcall(H_INT_GET_SOURCE_INFO, &[0, hw as u64]);
        if r.first() == Some(&H_SUCCESS) && r.len() >= 5 {
            if let Some(x) = self.xive.as_mut() {
                x.insert(hw, SourceData::new(&r));
            }
        }
    }

    /// xive_irq_startup: unmask through the ESB (PQ 00), then route the source to CPU
    /// 0 at priority 6 with the virq as EISN.
    pub(crate) fn xive_unmask(&mut self, hw: u32) {
        self.xive_esb(hw, esb::SET_PQ_00);
        let eisn = self.irq.find(hw).unwrap_or(0) as u64;
        let prio = XIVE_PRIORITY as u64;
        self.hcall(
            H_INT_SET_SOURCE_CONFIG,
            &[XIVE_SRC_SET_EISN, hw as u64, 0, prio, eisn],
        );
    }

    /// xive_irq_shutdown: masked through the ESB (PQ 01), then unrouted: the same
    /// target, priority 0xff and the EISN `XIVE_BAD_IRQ`, as Linux's driver makes it.
    pub(crate) fn xive_mask(&mut self, hw: u32) {
        self.xive_esb(hw, esb::SET_PQ_01);
        self.hcall(
            H_INT_SET_SOURCE_CONFIG,
            &[XIVE_SRC_SET_EISN, hw as u64, 0, 0xff, XIVE_BAD_IRQ],
        );
    }

    /// The CPUs notified read their queues: each valid entry's EISN is a virq; its
    /// source is EOIed through the ESB (PQ 00; a trigger that came meanwhile is sent
    /// again through the trigger page). The hardware sources taken, in order.
    pub(crate) fn xive_take(&mut self) -> Vec<u32> {
        let mut cpus = self.port.take_interrupts();
        cpus.sort_unstable();
        cpus.dedup();
        let mut out = Vec::new();
        for cpu in cpus {
            while let Some(q) = self
                .xive
                .as_ref()
                .and_then(|x| x.queues.get(cpu as usize).copied())
            {
                let Some(entry) = self.port.memory_read_u32(q.qpage + 4 * q.index as u64) else {
                    break;
                };
                if (entry >> 31 == 1) != q.toggle {
                    break;
                }
                if let Some(x) = self.xive.as_mut() {
                    let q = &mut x.queues[cpu as usize];
                    q.index += 1;
                    if q.index == q.entries {
                        q.index = 0;
                        q.toggle = !q.toggle;
                    }
                }
                let virq = entry & 0x7fff_ffff;
                let Some(hw) = self.irq.get(virq).map(|d| d.hwirq) else {
                    self.spurious += 1;
                    continue;
                };
                out.push(hw);
                self.xive_eoi(hw);
            }
        }
        out
    }

    /// xive_do_source_eoi.
    fn xive_eoi(&mut self, hw: u32) {
        let data = self.xive.as_ref().and_then(|x| x.source(hw));
        let lsi = data.is_none_or(|d| d.flags as u64 & XIVE_SRC_LSI != 0);
        if lsi {
            self.xive_esb(hw, esb::LOAD_EOI);
            return;
        }
        let old = self.xive_esb(hw, esb::SET_PQ_00);
        if old & 1 != 0 {
            if let Some(t) = data.and_then(|d| d.trig_page()) {
                self.port.mmio_write(t, 8, 0);
            }
        }
    }
}
