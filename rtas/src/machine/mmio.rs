//! BAR memory: each PHB's memory windows, the bus addresses the firmware assigns to
//! BARs (as SLOF does before the OS starts), and CPU physical addresses routed to the
//! MSI-X table and PBA behind them.

use super::base::Machine;
use super::mmio_map::MmioMap;
use super::types::{FnRef, Signal};
use crate::config::{AccessError, BarKind};
use crate::error::Error;
use crate::phb::Window;
use of_tree::{NodeId, Tree};

/// PCI space code of 32-bit memory in the first cell of a PCI address.
const SPACE_MEM32: u32 = 2;
/// PCI space code of 64-bit memory.
const SPACE_MEM64: u32 = 3;
/// Where a PHB without `ranges` gets its 32-bit window (bus address = CPU address).
const FALLBACK_MEM32: u64 = 0x8000_0000;
/// Size of all fallback 32-bit windows together.
const FALLBACK_MEM32_SPAN: u64 = 0x8000_0000;
/// Where a PHB without `ranges` gets its 64-bit window; PHB n adds n << 40.
const FALLBACK_MEM64: u64 = 0x2100_0000_0000;

/// What a CPU physical address reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MmioTarget {
    /// The function.
    pub function: FnRef,
    /// Its BAR index.
    pub bar: u8,
    /// Byte offset in the BAR.
    pub offset: u64,
}

/// The memory windows a PHB's `ranges` gives; `ordinal`/`count` place fallback
/// windows for PHBs without one.
pub(crate) fn windows(
    tree: &Tree,
    phb: NodeId,
    index: u32,
    ordinal: usize,
    count: usize,
) -> Result<Vec<Window>, Error> {
    let mut out = Vec::new();
    if let Some(ranges) = tree.at(phb).ranges()? {
        for r in ranges {
            let (Some(&hi), 3) = (r.child.first(), r.child.len()) else {
                continue;
            };
            let space = (hi >> 24) & 3;
            if space != SPACE_MEM32 && space != SPACE_MEM64 {
                continue;
            }
            let pci = (r.child[1] as u64) << 32 | r.child[2] as u64;
            let cpu = r.parent.iter().fold(0u64, |a, &c| a << 32 | c as u64);
            out.push(Window {
                pci,
                cpu,
                size: r.size.min(u64::MAX as u128) as u64,
                mem64: space == SPACE_MEM64,
            });
        }
    }
    if out.is_empty() {
        let share = (FALLBACK_MEM32_SPAN / count.max(1) as u64).max(0x10_0000);
        let share = 1u64 << (63 - share.leading_zeros());
        let base = FALLBACK_MEM32 + share * ordinal as u64;
        if base + share <= FALLBACK_MEM32 + FALLBACK_MEM32_SPAN {
            out.push(Window {
                pci: base,
                cpu: base,
                size: share,
                mem64: false,
            });
        }
        let base = FALLBACK_MEM64 + ((index as u64) << 40);
        out.push(Window {
            pci: base,
            cpu: base,
            size: 1 << 40,
            mem64: true,
        });
    }
    Ok(out)
}

/// Where a BAR of `kind` and `size` goes in the windows, each window's next free
/// address in `next` (moved past it): 64-bit BARs prefer a 64-bit window, 32-bit BARs
/// need a 32-bit one, naturally aligned. None when it fits nowhere.
fn place_bar(windows: &[Window], next: &mut [u64], kind: BarKind, size: u64) -> Option<u64> {
    let order: Vec<usize> = (0..windows.len())
        .filter(|&w| kind == BarKind::Mem64 || !windows[w].mem64)
        .collect();
    let order = if kind == BarKind::Mem64 {
        let (mut a, b): (Vec<usize>, Vec<usize>) =
            order.into_iter().partition(|&w| windows[w].mem64);
        a.extend(b);
        a
    } else {
        order
    };
    for w in order {
        let win = windows[w];
        // Windows come from the tree: no sum may wrap.
        let align = size.max(1);
        let at = next[w].div_ceil(align).checked_mul(align);
        let (Some(at), Some(limit)) = (at, win.pci.checked_add(win.size)) else {
            continue;
        };
        let Some(end) = at.checked_add(size) else {
            continue;
        };
        if end <= limit && (kind == BarKind::Mem64 || end <= 1 << 32) {
            next[w] = end;
            return Some(at);
        }
    }
    None
}

impl Machine {
    /// Assigns every memory BAR of every PHB a bus address in the PHB's windows,
    /// largest first, naturally aligned, as firmware does before the OS runs. A BAR that
    /// fits nowhere stays unassigned (0).
    pub(crate) fn assign_bars(&mut self) {
        for p in &mut self.phbs {
            let mut next: Vec<u64> = p.windows.iter().map(|w| w.pci).collect();
            let mut bars: Vec<(u64, usize, usize)> = Vec::new();
            for (fi, f) in p.functions.iter().enumerate() {
                for (bi, b) in f.bars.iter().enumerate() {
                    if b.kind != BarKind::Io {
                        bars.push((b.size, fi, bi));
                    }
                }
            }
            bars.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
            for (size, fi, bi) in bars {
                let kind = p.functions[fi].bars[bi].kind;
                if let Some(at) = place_bar(&p.windows, &mut next, kind, size) {
                    p.functions[fi].bars[bi].address = at;
                }
            }
            for f in &mut p.functions {
                f.program_bars();
            }
        }
        self.index_mmio();
    }

    /// Assigns the memory BARs of one function added to a running machine (hotplug) a
    /// bus address above every BAR already placed in each window, largest first; the
    /// others stay where they are.
    pub(crate) fn assign_bars_of(&mut self, r: FnRef) {
        let p = &mut self.phbs[r.phb];
        let mut next: Vec<u64> = p
            .windows
            .iter()
            .map(|w| {
                let end = w.pci.saturating_add(w.size);
                p.functions
                    .iter()
                    .enumerate()
                    .filter(|&(fi, _)| fi != r.func)
                    .flat_map(|(_, f)| f.bars.iter())
                    .filter(|b| b.address >= w.pci && b.address < end)
                    .map(|b| b.address.saturating_add(b.size))
                    .fold(w.pci, u64::max)
            })
            .collect();
        let f = &mut p.functions[r.func];
        let mut bars: Vec<(u64, usize)> = f
            .bars
            .iter()
            .enumerate()
            .filter(|(_, b)| b.kind != BarKind::Io)
            .map(|(bi, b)| (b.size, bi))
            .collect();
        bars.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for (size, bi) in bars {
            let kind = f.bars[bi].kind;
            if let Some(at) = place_bar(&p.windows, &mut next, kind, size) {
                f.bars[bi].address = at;
            }
        }
        f.program_bars();
        self.index_mmio();
    }

    /// Rebuilds the CPU address map of the BARs (after building or restoring).
    pub(crate) fn index_mmio(&mut self) {
        let mut map = MmioMap::default();
        for (pi, p) in self.phbs.iter().enumerate() {
            for (fi, f) in p.functions.iter().enumerate() {
                for b in f.bars.iter().filter(|b| b.address != 0) {
                    let Some(cpu) = p.windows.iter().find_map(|w| w.to_cpu(b.address)) else {
                        continue;
                    };
                    map.ranges.insert(
                        cpu,
                        (
                            cpu.saturating_add(b.size),
                            FnRef { phb: pi, func: fi },
                            b.index,
                        ),
                    );
                }
            }
        }
        self.mmio = map;
    }

    /// What a CPU physical address reaches, if a BAR decodes it (its register still
    /// holding the address the firmware assigned).
    pub fn mmio_target(&mut self, addr: u64) -> Option<MmioTarget> {
        let (start, end, r, bar) = match self.mmio.last {
            Some(l) if l.0 <= addr && addr < l.1 => l,
            _ => {
                let (&start, &(end, r, bar)) = self.mmio.ranges.range(..=addr).next_back()?;
                if addr >= end {
                    return None;
                }
                self.mmio.last = Some((start, end, r, bar));
                (start, end, r, bar)
            }
        };
        let _ = end;
        let f = self.function(r);
        let b = f.bars.iter().find(|b| b.index == bar)?;
        (f.bar_register(bar) == Some(b.address)).then_some(MmioTarget {
            function: r,
            bar,
            offset: addr - start,
        })
    }

    /// A CPU load from MMIO space: `None` where nothing decodes the address.
    pub fn mmio_read(&mut self, addr: u64, size: u32) -> Option<u64> {
        if let Some((d, off)) = self.msg_device_at(addr) {
            return self.msg_devices[d].slots.read(off, size);
        }
        let t = self.mmio_target(addr)?;
        let off = u32::try_from(t.offset).ok()?;
        self.bar_read(t.function, t.bar, off, size).ok()
    }

    /// A CPU store to MMIO space: false where nothing takes it.
    pub fn mmio_write(&mut self, addr: u64, size: u32, value: u64) -> bool {
        if let Some((d, off)) = self.msg_device_at(addr) {
            let (taken, released) = self.msg_devices[d].slots.write(off, size, value);
            if let Some(i) = released {
                self.signal_msg_device(d, i);
            }
            return taken;
        }
        let Some(t) = self.mmio_target(addr) else {
            return false;
        };
        let Ok(off) = u32::try_from(t.offset) else {
            return false;
        };
        self.bar_write(t.function, t.bar, off, size, value).is_ok()
    }

    /// An OS access to the MSI-X table or PBA in BAR memory (`bar`, byte `offset`).
    pub fn bar_read(&self, r: FnRef, bar: u8, offset: u32, size: u32) -> Result<u64, AccessError> {
        if self.function(r).mmio_stopped() {
            return Ok(if size == 8 { u64::MAX } else { u32::MAX as u64 });
        }
        if let Some(s) = self.ims.get(&r) {
            if let Some(off) = s.decodes(bar, offset) {
                return s.slots.read(off, size).ok_or(AccessError::OutOfRange {
                    offset,
                    size,
                    limit: s.place.bytes() as u32,
                });
            }
        }
        let f = self.function(r);
        let (Some(cap), Some(t)) = (f.msix, f.msix_table.as_ref()) else {
            return Err(AccessError::OutOfRange {
                offset,
                size,
                limit: 0,
            });
        };
        if bar == cap.pba_bir
            && offset >= cap.pba_offset
            && offset - cap.pba_offset < cap.pba_bytes()
        {
            return t.read_pba(offset - cap.pba_offset, size);
        }
        if bar == cap.table_bir && offset >= cap.table_offset {
            return t.read_table(offset - cap.table_offset, size);
        }
        Err(AccessError::OutOfRange {
            offset,
            size,
            limit: cap.table_bytes(),
        })
    }

    /// An OS write to the MSI-X table; unmasking sends what was pending.
    pub fn bar_write(
        &mut self,
        r: FnRef,
        bar: u8,
        offset: u32,
        size: u32,
        value: u64,
    ) -> Result<Vec<Signal>, AccessError> {
        if self.function(r).mmio_stopped() {
            self.drops.frozen_writes += 1;
            return Ok(Vec::new());
        }
        if let Some(s) = self.ims.get_mut(&r) {
            if let Some(off) = s.decodes(bar, offset) {
                let limit = s.place.bytes() as u32;
                let (taken, released) = s.slots.write(off, size, value);
                if !taken {
                    return Err(AccessError::OutOfRange {
                        offset,
                        size,
                        limit,
                    });
                }
                return Ok(released
                    .map(|i| vec![self.signal_ims(r, i)])
                    .unwrap_or_default());
            }
        }
        let f = self.function_mut(r);
        let (Some(cap), Some(t)) = (f.msix, f.msix_table.as_mut()) else {
            return Err(AccessError::OutOfRange {
                offset,
                size,
                limit: 0,
            });
        };
        if bar != cap.table_bir || offset < cap.table_offset {
            return Err(AccessError::OutOfRange {
                offset,
                size,
                limit: cap.table_bytes(),
            });
        }
        t.write_table(offset - cap.table_offset, size, value)?;
        Ok(self.flush_pending(r))
    }
}
