//! `H_SIM_MSI_DEVICE`, the simulator's hypervisor call through which an OS on pseries
//! gets sources and messages for a non-PCI MSI device (see [`crate::msgdev`]): PCI
//! functions have `ibm,change-msi`, these devices have no RTAS call of their own.
//!
//! Opcode 0xF100, in the range 0xF000-0xFFFC that PAPR leaves to the platform for
//! platform-specific calls (QEMU/KVM put theirs at 0xF000..; this one is the
//! simulator's, no PAPR or QEMU call). Arguments: R4 an operation, R5 the CPU address of
//! the device's message slots (its `reg`), R6 a count or index.
//! - op 1, allocate: R6 vectors (1..the device's slots), replacing what it held;
//!   returns H_SUCCESS and R4 = the count;
//! - op 2, message: R6 an index below the count held; returns H_SUCCESS, R4 = address,
//!   R5 = data: the message the guest writes into the slot itself;
//! - op 0, free: releases every source the device holds; returns H_SUCCESS.
//!
//! Errors: H_P1 for an unknown operation, H_P2 when R5 is no MSI device's or its
//! `msi-parent` names no PHB, H_P3 for a count of 0 or past its slots or an index past
//! what it holds, H_RESOURCE when the parent's pool has too few sources left.

use crate::firmware::Firmware;
use crate::machine::MSI_WINDOW;
use papr_abi::hcall::*;

impl Firmware {
    /// `H_SIM_MSI_DEVICE`: see the module documentation.
    pub(crate) fn h_msi_device(&mut self, op: u64, base: u64, n: u64) -> Vec<i64> {
        if op > MSI_DEVICE_MESSAGE {
            return vec![H_P1];
        }
        let m = &mut self.machine;
        let Some(d) = m.msg_devices.iter().position(|d| d.base == base) else {
            return vec![H_P2];
        };
        let Some(phb) = m.msg_devices[d].parent else {
            return vec![H_P2];
        };
        match op {
            MSI_DEVICE_FREE => {
                self.free_msi_device(d, phb);
                vec![H_SUCCESS]
            }
            MSI_DEVICE_ALLOC => {
                let slots = self.machine.msg_devices[d].slots.0.len() as u64;
                if n == 0 || n > slots {
                    return vec![H_P3];
                }
                self.free_msi_device(d, phb);
                let Some(first) = self.machine.claim_msi_run(phb, n as u32) else {
                    return vec![H_RESOURCE];
                };
                let m = &mut self.machine;
                m.msg_devices[d].handed = (first..first + n as u32).collect();
                vec![H_SUCCESS, n as i64]
            }
            _ => match self.machine.msg_devices[d].handed.get(n as usize) {
                Some(&s) => vec![H_SUCCESS, MSI_WINDOW as i64, s as i64],
                None => vec![H_P3],
            },
        }
    }

    fn free_msi_device(&mut self, d: usize, phb: usize) {
        let m = &mut self.machine;
        let held = std::mem::take(&mut m.msg_devices[d].handed);
        for &s in &held {
            m.ics.free(s);
        }
        if let Some(&first) = held.first() {
            m.pools.free(phb, first, held.len() as u32);
        }
    }
}
