//! The XIVE thread interrupt management area (TIMA) as the OS sees it: each CPU's
//! thread context for the OS ring (QEMU's `xive_tctx`): the pending priorities, the
//! current processor priority, and the acknowledge cycle the OS makes on its OS page.
//! Its registers are big-endian: a load returns the page's bytes in the order a
//! little-endian CPU reads them, as every MMIO load does.

/// The OS ring's registers in a TIMA page (`TM_QW1_OS`).
pub const QW1_OS: u64 = 0x10;
/// Byte offset of the ring's notification source register.
pub const NSR: u64 = 0;
/// Byte offset of the ring's current processor priority.
pub const CPPR: u64 = 1;
const IPB: u64 = 2;
const PIPR: u64 = 7;
/// The acknowledge cycle's special load (`TM_SPC_ACK_OS_REG`, 2 bytes).
pub const SPC_ACK_OS_REG: u64 = 0x810;
/// The exception bit of the OS ring's NSR (`TM_QW1_NSR_EO`).
pub const NSR_EO: u8 = 0x80;

/// A CPU's OS-ring thread context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tctx {
    /// Notification source register: [`NSR_EO`] while an interrupt is signalled.
    pub nsr: u8,
    /// Current processor priority: what the OS accepts is more favoured (lower).
    pub cppr: u8,
    /// Interrupt pending buffer: bit 7 - p for each priority p pending.
    pub ipb: u8,
}

impl Default for Tctx {
    /// As Linux leaves a running CPU: accepting every priority, nothing pending.
    fn default() -> Self {
        Tctx {
            nsr: 0,
            cppr: 0xff,
            ipb: 0,
        }
    }
}

impl Tctx {
    /// The most favoured pending priority (0xff: none).
    pub fn pipr(&self) -> u8 {
        match self.ipb {
            0 => 0xff,
            b => b.leading_zeros() as u8,
        }
    }

    /// Signals the CPU when the most favoured pending priority beats its CPPR.
    fn signal(&mut self) {
        if self.pipr() < self.cppr {
            self.nsr |= NSR_EO;
        }
    }

    /// An event queued at priority `prio` for this CPU.
    pub fn notify(&mut self, prio: u8) {
        if prio < 8 {
            self.ipb |= 0x80 >> prio;
        }
        self.signal();
    }

    /// The acknowledge cycle: NSR and CPPR as they were signalled (NSR << 8 | CPPR);
    /// the signalled priority becomes the CPPR and leaves the pending buffer.
    pub fn ack(&mut self) -> u16 {
        let nsr = self.nsr;
        if nsr & NSR_EO != 0 {
            let p = self.pipr();
            self.cppr = p;
            if p < 8 {
                self.ipb &= !(0x80 >> p);
            }
            self.nsr &= !NSR_EO;
        }
        (nsr as u16) << 8 | self.cppr as u16
    }

    /// A store to the CPPR.
    pub fn set_cppr(&mut self, cppr: u8) {
        self.cppr = cppr;
        self.nsr &= !NSR_EO;
        self.signal();
    }

    /// The ring's first 8 bytes (NSR, CPPR, IPB, LSMFB, ACK#, INC, AGE, PIPR).
    pub fn bytes(&self) -> [u8; 8] {
        let mut b = [0u8; 8];
        b[NSR as usize] = self.nsr;
        b[CPPR as usize] = self.cppr;
        b[IPB as usize] = self.ipb;
        b[PIPR as usize] = self.pipr();
        b
    }
}

/// A big-endian register's value as a little-endian CPU's load of `size` bytes reads
/// it (and back: the operation is its own inverse).
pub fn cpu_order(value: u64, size: u32) -> u64 {
    match size {
        2 => (value as u16).swap_bytes() as u64,
        4 => (value as u32).swap_bytes() as u64,
        8 => value.swap_bytes(),
        _ => value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_is_signalled_acknowledged_and_masked_by_the_cppr() {
        let mut t = Tctx::default();
        t.notify(6);
        assert_eq!(t.nsr, NSR_EO);
        assert_eq!(t.ack(), 0x8006, "the fixture's guest read 0x8006");
        assert_eq!((t.nsr, t.cppr, t.ipb), (0, 6, 0));
        t.notify(6);
        assert_eq!(t.nsr, 0, "not more favoured than the CPPR");
        t.set_cppr(0xff);
        assert_eq!(t.nsr, NSR_EO, "signalled once the CPPR opens");
        t.set_cppr(0);
        assert_eq!(t.ack(), 0x0000);
    }

    #[test]
    fn big_endian_registers_in_cpu_order() {
        assert_eq!(cpu_order(0x8006, 2), 0x0680);
        assert_eq!(cpu_order(1, 8), 1 << 56);
        assert_eq!(cpu_order(0xff, 1), 0xff);
    }
}
