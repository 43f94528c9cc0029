//! Hypervisor calls (the `hcall` instruction): opcodes, return codes, and the XIVE
//! source configuration call the OS uses under XIVE.

use crate::firmware::Firmware;
use crate::ics::PRIORITY_MASKED;

/// `H_INT_SET_SOURCE_CONFIG` (LoPAPR).
pub const H_INT_SET_SOURCE_CONFIG: u64 = 0x3ac;
/// Flag: set the source's EISN too.
pub const XIVE_SRC_SET_EISN: u64 = 0x2;
/// Flag: mask the source.
pub const XIVE_SRC_MASK: u64 = 0x1;

/// Success.
pub const H_SUCCESS: i64 = 0;
/// The call is not implemented or not enabled.
pub const H_FUNCTION: i64 = -2;
/// Bad first argument.
pub const H_P1: i64 = -54;
/// Bad second argument.
pub const H_P2: i64 = -55;
/// Bad third argument.
pub const H_P3: i64 = -56;
/// Bad fourth argument.
pub const H_P4: i64 = -57;

/// The name of an hcall opcode, for traces.
pub fn name(opcode: u64) -> String {
    match opcode {
        H_INT_SET_SOURCE_CONFIG => "H_INT_SET_SOURCE_CONFIG".into(),
        o => format!("hcall:{o:#x}"),
    }
}

impl Firmware {
    /// A hypervisor call: the status (R3), then R4.. as the call defines them.
    pub fn hcall(&mut self, opcode: u64, args: &[u64]) -> Vec<i64> {
        let arg = |i: usize| args.get(i).copied().unwrap_or(0);
        let status = match opcode {
            H_INT_SET_SOURCE_CONFIG if self.xive_active() => {
                self.set_source_config(arg(0), arg(1), arg(2), arg(3))
            }
            _ => H_FUNCTION,
        };
        log::trace!("hcall {} {args:x?} -> {status}", name(opcode));
        vec![status]
    }

    fn set_source_config(&mut self, flags: u64, lisn: u64, target: u64, prio: u64) -> i64 {
        if flags & !(XIVE_SRC_SET_EISN | XIVE_SRC_MASK) != 0 {
            return H_P1;
        }
        let Ok(lisn) = u32::try_from(lisn) else {
            return H_P2;
        };
        if !self.machine.ics.valid(lisn) || !self.source_visible(lisn) {
            return H_P2;
        }
        if target >= self.machine.servers as u64 {
            return H_P3;
        }
        if prio > 7 && prio != PRIORITY_MASKED as u64 {
            return H_P4;
        }
        let prio = if flags & XIVE_SRC_MASK != 0 {
            PRIORITY_MASKED
        } else {
            prio as u8
        };
        self.machine.ics.write_xive(lisn, target as u32, prio, prio);
        H_SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MachineConfig;

    fn fw(rel: &[u8]) -> Firmware {
        let tree = of_tree::dtb::read(rel).unwrap();
        let mut f = Firmware::new(&tree, &MachineConfig::default()).unwrap();
        if f.intc_offer != crate::cas::IntcOffer::Xics {
            f.cas = Some(crate::cas::CasOutcome {
                mode: crate::cas::IntcMode::Xive,
                msi_busy: false,
            });
        }
        f
    }

    #[test]
    fn set_source_config_arguments() {
        let mut f = fw(include_bytes!("../../fixtures/qemu/a_xive.dtb"));
        let c = H_INT_SET_SOURCE_CONFIG;
        assert_eq!(
            f.hcall(c, &[XIVE_SRC_SET_EISN, 0x1200, 0, 6, 16]),
            [H_SUCCESS]
        );
        assert_eq!(f.machine.ics.source(0x1200).unwrap().priority, 6);
        assert_eq!(f.hcall(c, &[0x8, 0x1200, 0, 6, 16]), [H_P1]);
        assert_eq!(f.hcall(c, &[0, 0x7fff_ffff, 0, 6, 16]), [H_P2]);
        assert_eq!(f.hcall(c, &[0, 0x1200, 99, 6, 16]), [H_P3]);
        assert_eq!(f.hcall(c, &[0, 0x1200, 0, 9, 16]), [H_P4]);
        assert_eq!(f.hcall(c, &[XIVE_SRC_MASK, 0x1200, 0, 6, 16]), [H_SUCCESS]);
        assert_eq!(f.machine.ics.source(0x1200).unwrap().priority, 0xff);
        let mut x = fw(include_bytes!("../../fixtures/qemu/d_smp4_xics.dtb"));
        assert_eq!(x.hcall(c, &[0, 0x1200, 0, 6, 16]), [H_FUNCTION], "no XIVE");
    }
}
