//! The new interrupt scheme and IMS: two simulator-defined hypervisor calls, in the
//! range 0xF000-0xFFFC that PAPR leaves to the platform (no PAPR or QEMU call).
//!
//! `H_SIM_IRQ_SCHEME` (0xF104), R4 the scheme the guest asks for (0: the old one,
//! change-msi; 1: the new one, in which the hypervisor cannot trap the guest's writes to
//! device memory, so the guest gets each message from it by call and writes it itself):
//! returns H_SUCCESS and R4 the scheme now in force: both switch or both stay (a
//! hypervisor set to refuse answers 0). H_P1 for another scheme. The OS asks once, at
//! boot, before any request (a later switch is not modelled).
//!
//! `H_SIM_MSI_MESSAGE` (0xF10C), only in the new scheme (else H_FUNCTION): R4 the PHB's
//! BUID, R5 the function's config address, R6 a vector of the block `ibm,change-msi`
//! gave it; returns H_SUCCESS, R4 the address and R5 the data of that vector's message
//! (for MSI, vector 0 gives the base data), which the guest writes into the capability
//! or MSI-X entry itself: in the new scheme change-msi allocates but writes nothing.
//! H_P1 for a BUID of no PHB, H_P2 for an address of no function, H_P3 for a vector past
//! its block (or no block).
//!
//! `H_SIM_IMS` (0xF108), only in the new scheme (else H_FUNCTION): R4 an operation, R5
//! the PHB's BUID, R6 the function's config address (as RTAS takes it), R7 a count or
//! index. op 1 allocates R7 sources for the function's IMS store (1..its slots),
//! replacing what it held, returns H_SUCCESS and R4 the count; op 2 returns slot R7's
//! message (R4 address, R5 data), which the guest writes into the slot; op 0 frees
//! them. H_P1 for another operation, H_P2 for a BUID of no PHB, H_P3 for an address of
//! no function or a function without an IMS store, H_P4 for a count of 0 or past its
//! slots or an index past what it holds, H_RESOURCE when the PHB's pool is short.

use papr_abi::hcall::*;

use crate::firmware::Firmware;
use crate::machine::{FnRef, MSI_WINDOW};
use crate::pci::PciAddr;

impl Firmware {
    /// `H_SIM_IRQ_SCHEME`.
    pub(crate) fn h_irq_scheme(&mut self, want: u64) -> Vec<i64> {
        match want {
            IRQ_SCHEME_OLD => self.new_irq_scheme = false,
            IRQ_SCHEME_NEW => self.new_irq_scheme = !self.refuse_new_scheme,
            _ => return vec![H_P1],
        }
        vec![H_SUCCESS, self.new_irq_scheme as i64]
    }

    /// `H_SIM_MSI_MESSAGE`.
    pub(crate) fn h_msi_message(&mut self, buid: u64, cfg: u64, i: u64) -> Vec<i64> {
        if !self.new_irq_scheme {
            return vec![H_FUNCTION];
        }
        if self.machine.phb_by_buid(buid).is_none() {
            return vec![H_P1];
        }
        let (addr, _) = PciAddr::from_config_addr(cfg as u32);
        let Some(r) = self.machine.find(buid, addr) else {
            return vec![H_P2];
        };
        match self.machine.block(r) {
            Some(b) if i < b.count as u64 => {
                vec![H_SUCCESS, b.window as i64, (b.first as u64 + i) as i64]
            }
            _ => vec![H_P3],
        }
    }

    /// `H_SIM_IMS`.
    pub(crate) fn h_ims(&mut self, op: u64, buid: u64, cfg: u64, n: u64) -> Vec<i64> {
        if !self.new_irq_scheme {
            return vec![H_FUNCTION];
        }
        if op > IMS_MESSAGE {
            return vec![H_P1];
        }
        let Some(phb) = self.machine.phb_by_buid(buid) else {
            return vec![H_P2];
        };
        let (addr, _) = PciAddr::from_config_addr(cfg as u32);
        let Some(r) = self.machine.find(buid, addr) else {
            return vec![H_P3];
        };
        let Some(slots) = self.machine.ims.get(&r).map(|s| s.place.slots as u64) else {
            return vec![H_P3];
        };
        match op {
            IMS_FREE => {
                self.free_ims(r, phb);
                vec![H_SUCCESS]
            }
            IMS_ALLOC => {
                if n == 0 || n > slots {
                    return vec![H_P4];
                }
                self.free_ims(r, phb);
                let Some(first) = self.machine.claim_msi_run(phb, n as u32) else {
                    return vec![H_RESOURCE];
                };
                let m = &mut self.machine;
                if let Some(s) = m.ims.get_mut(&r) {
                    s.handed = (first..first + n as u32).collect();
                }
                vec![H_SUCCESS, n as i64]
            }
            _ => match self
                .machine
                .ims
                .get(&r)
                .and_then(|s| s.handed.get(n as usize))
            {
                Some(&s) => vec![H_SUCCESS, MSI_WINDOW as i64, s as i64],
                None => vec![H_P4],
            },
        }
    }

    fn free_ims(&mut self, r: FnRef, phb: usize) {
        let m = &mut self.machine;
        let held = m
            .ims
            .get_mut(&r)
            .map(|s| std::mem::take(&mut s.handed))
            .unwrap_or_default();
        for &s in &held {
            m.ics.free(s);
        }
        if let Some(&first) = held.first() {
            m.pools.free(phb, first, held.len() as u32);
        }
    }
}
