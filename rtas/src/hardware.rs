//! What an OS can reach of the machine besides RTAS: config space on bare-metal PHBs,
//! MMIO by CPU physical address (BARs, the bare-metal source controller's registers),
//! and the interrupts the presentation controller raises at the CPU.

use crate::firmware::Firmware;
use crate::pci::PciAddr;
use crate::tctx;
use papr_abi::cas::{XIVE_TM_BASE, XIVE_TM_SHIFT};

pub use papr_abi::ics::*;

impl Firmware {
    /// A config-space read of a bare-metal PHB's function: `None` where no function
    /// answers (a PAPR machine's OS must go through RTAS, so nothing answers there).
    pub fn pci_config_read(&self, buid: u64, addr: PciAddr, reg: u32, size: u32) -> Option<u32> {
        if !self.machine.bare_metal {
            return None;
        }
        let r = self.machine.find(buid, addr)?;
        self.machine.function(r).config_read(reg, size).ok()
    }

    /// A config-space write on a bare-metal PHB; false where no function takes it.
    /// What an enable or unmask releases is sent.
    pub fn pci_config_write(
        &mut self,
        buid: u64,
        addr: PciAddr,
        reg: u32,
        size: u32,
        value: u32,
    ) -> bool {
        if !self.machine.bare_metal {
            return false;
        }
        let Some(r) = self.machine.find(buid, addr) else {
            return false;
        };
        let ok = self
            .machine
            .function_mut(r)
            .config_write(reg, size, value)
            .is_ok();
        self.machine.flush_pending(r);
        ok
    }

    /// A CPU load from MMIO space: `None` where nothing decodes the address (a master
    /// abort: the CPU reads all ones).
    pub fn mmio_read(&mut self, addr: u64, size: u32) -> Option<u64> {
        if let Some(reg) = self.machine.axon.as_ref().and_then(|a| a.dcr(addr)) {
            let a = self.machine.axon.as_ref()?;
            return (size == 4).then(|| a.read(reg)).flatten().map(u64::from);
        }
        if let Some(mpic) = &self.machine.mpic {
            if let Some(off) = mpic.decodes(addr) {
                return (size == 4)
                    .then(|| mpic.read(&self.machine.ics, off))
                    .flatten()
                    .map(u64::from);
            }
        }
        if let Some(a) = self.esb_access(addr) {
            if a.trigger_page {
                return None;
            }
            let v = self.esb_load(a.lisn, a.offset);
            let at = addr - crate::xive::ESB_BASE;
            self.qtrace(|| format!("xive_source_esb_read @{at:#x} IRQ {:#x} val={v:#x}", a.lisn));
            // The ESB page is big-endian, as the TIMA.
            return Some(tctx::cpu_order(v, size));
        }
        if let Some(v) = self.tima_read(addr, size) {
            return Some(v);
        }
        if let Some(off) = self.ics_page(addr) {
            return match off {
                ICS_REG_SELECT => Some(self.ics_select as u64),
                ICS_REG_XIVE => {
                    let s = self.machine.ics.source(self.ics_select)?;
                    Some((s.server as u64) << 8 | s.priority as u64)
                }
                _ => None,
            };
        }
        self.machine.mmio_read(addr, size)
    }

    /// A CPU store to MMIO space: false where nothing takes it.
    pub fn mmio_write(&mut self, addr: u64, size: u32, value: u64) -> bool {
        if let Some(a) = self.machine.axon.as_mut() {
            if let Some(reg) = a.dcr(addr) {
                return size == 4 && a.write(reg, value as u32);
            }
        }
        let m = &mut self.machine;
        if let Some(mpic) = m.mpic.as_mut() {
            if let Some(off) = mpic.decodes(addr) {
                return size == 4 && mpic.write(&mut m.ics, off, value as u32);
            }
        }
        if let Some(a) = self.esb_access(addr) {
            let value = tctx::cpu_order(value, size);
            let at = addr - crate::xive::ESB_BASE;
            self.qtrace(|| {
                format!(
                    "xive_source_esb_write @{at:#x} IRQ {:#x} val={value:#x}",
                    a.lisn
                )
            });
            if a.trigger_page {
                return self.machine.trigger_source(a.lisn);
            }
            self.esb_store(a.lisn, a.offset, value);
            return true;
        }
        if self.tima_write(addr, size, value) {
            return true;
        }
        if let Some(off) = self.ics_page(addr) {
            return match (off, size) {
                (ICS_REG_SELECT, 4) => {
                    self.ics_select = value as u32;
                    true
                }
                (ICS_REG_XIVE, 4) => {
                    let (server, prio) = ((value >> 8) as u32, value as u8);
                    self.machine
                        .ics
                        .write_xive(self.ics_select, server, prio, prio)
                }
                _ => false,
            };
        }
        self.machine.mmio_write(addr, size, value)
    }

    /// A word of system memory (what the OS stored, or a device wrote); `None` outside it.
    pub fn ram_read(&self, addr: u64) -> Option<u32> {
        self.machine.ram.read(addr)
    }

    /// Stores a word of system memory; false outside it.
    pub fn ram_write(&mut self, addr: u64, value: u32) -> bool {
        self.machine.ram.write(addr, value)
    }

    /// The sources the presentation controller raised at the CPU since the last call
    /// (the OS's XIRR reads), in order.
    pub fn take_presented(&mut self) -> Vec<u32> {
        if let Some(x) = self.machine.xive.as_mut() {
            // Under XIVE the CPU is told (target, priority); the OS reads its queue.
            return x.notified.drain(..).map(|(t, _)| t).collect();
        }
        self.machine
            .ics
            .presented
            .drain(..)
            .map(|p| p.source)
            .collect()
    }

    /// The ESB access an address makes: under XIVE, on a claimed MSI source's pages
    /// (LSIs are reached through H_INT_ESB).
    fn esb_access(&self, addr: u64) -> Option<crate::xive::EsbAccess> {
        if !self.xive_active() {
            return None;
        }
        let a = crate::xive::decode(addr)?;
        let kind = self.machine.ics.source(a.lisn)?.kind;
        (kind == crate::ics::SourceKind::Msi && self.source_visible(a.lisn)).then_some(a)
    }

    /// Reads OS memory (the queue pages) at `addr`.
    pub fn queue_ram_read_u32(&self, addr: u64) -> Option<u32> {
        self.machine.queue_ram.read_u32(addr)
    }

    fn ics_page(&self, addr: u64) -> Option<u64> {
        let off = addr.checked_sub(ICS_MMIO_BASE)?;
        (self.machine.bare_metal && self.machine.mpic.is_none() && off < ICS_MMIO_SIZE)
            .then_some(off)
    }
}

impl Firmware {
    /// The offset in the OS page of the TIMA an address makes, under XIVE.
    fn tima_os(&self, addr: u64) -> Option<u64> {
        let page = XIVE_TM_BASE + (2 << XIVE_TM_SHIFT);
        let off = addr.checked_sub(page)?;
        (self.xive_active() && off < 1 << XIVE_TM_SHIFT).then_some(off)
    }

    /// The thread context of the CPU the OS runs on (one CPU makes the loads: server 0).
    fn tctx(&mut self) -> &mut tctx::Tctx {
        let x = self.machine.xive.get_or_insert_with(Default::default);
        x.tctx.entry(0).or_default()
    }

    /// A load from the TIMA's OS page: the value in the CPU's order, or None when the
    /// address is not there.
    pub(crate) fn tima_read(&mut self, addr: u64, size: u32) -> Option<u64> {
        let off = self.tima_os(addr)?;
        let v = if off == tctx::SPC_ACK_OS_REG && size == 2 {
            let v = self.tctx().ack() as u64;
            self.qtrace(|| {
                format!(
                    "xive_tctx_tm_read @{:#x} sz=2 val={v:#x}",
                    off + (2 << XIVE_TM_SHIFT)
                )
            });
            v
        } else if (tctx::QW1_OS..tctx::QW1_OS + 16).contains(&off)
            && off + size as u64 <= tctx::QW1_OS + 16
        {
            let mut regs = [0u8; 16];
            regs[..8].copy_from_slice(&self.tctx().bytes());
            let at = (off - tctx::QW1_OS) as usize;
            regs[at..at + size as usize]
                .iter()
                .fold(0u64, |v, &b| v << 8 | b as u64)
        } else {
            0
        };
        Some(tctx::cpu_order(v, size))
    }

    /// A store to the TIMA's OS page (the CPPR; others are ignored). False when the
    /// address is not there.
    pub(crate) fn tima_write(&mut self, addr: u64, size: u32, value: u64) -> bool {
        let Some(off) = self.tima_os(addr) else {
            return false;
        };
        if off == tctx::QW1_OS + tctx::CPPR && size == 1 {
            self.tctx().set_cppr(value as u8);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use crate::{Firmware, MachineConfig};

    fn fw(bare_metal: bool) -> Firmware {
        let blob = include_bytes!("../../fixtures/qemu/b_devices.dtb");
        let tree = of_tree::dtb::read(blob).unwrap();
        let cfg = MachineConfig {
            bare_metal,
            ..Default::default()
        };
        Firmware::new(&tree, &cfg).unwrap()
    }

    #[test]
    fn config_space_only_on_bare_metal() {
        let addr = crate::pci::PciAddr { bus: 0, devfn: 8 };
        let buid = crate::phb::QEMU_BUID_BASE;
        assert_eq!(fw(false).pci_config_read(buid, addr, 0, 2), None);
        let vendor = fw(true).pci_config_read(buid, addr, 0, 2).unwrap();
        assert_ne!(vendor, 0xffff);
    }

    #[test]
    fn bars_decode_the_msix_table() {
        let mut f = fw(false);
        // Every function with MSI-X: its table's first entry reads masked (vector
        // control bit 0) at the CPU address its BAR was given.
        let mut seen = 0;
        for r in f.machine.functions().collect::<Vec<_>>() {
            let func = f.machine.function(r).clone();
            let Some(cap) = func.msix else { continue };
            let bus = func.bar_register(cap.table_bir).unwrap();
            assert_ne!(bus, 0, "{}: table BAR unassigned", func.info.path);
            let cpu = f.machine.phbs[r.phb]
                .windows
                .iter()
                .find_map(|w| w.to_cpu(bus))
                .unwrap();
            let ctrl = f.mmio_read(cpu + cap.table_offset as u64 + 12, 4).unwrap();
            assert_eq!(ctrl & 1, 1, "{}", func.info.path);
            seen += 1;
        }
        assert!(seen >= 5);
        assert_eq!(f.mmio_read(0x10, 4), None, "nothing decodes low memory");
    }

    #[test]
    fn ics_registers() {
        let mut f = fw(true);
        let base = super::ICS_MMIO_BASE;
        let (first, _) = f.machine.bare_msi_range(0).unwrap();
        assert!(f.mmio_write(base, 4, first as u64));
        assert!(f.mmio_write(base + 4, 4, 5));
        assert_eq!(f.mmio_read(base + 4, 4), Some(5));
        assert!(
            !fw(false).mmio_write(base, 4, first as u64),
            "not decoded under PAPR"
        );
    }
}
