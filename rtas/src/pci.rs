//! PCI functions: identity, config space, MSI / MSI-X capabilities and the LSI pin,
//! built from a function's device tree node.

use crate::config::{header, AccessError};
use crate::config::{Bar, BarKind, ConfigSpace, HeaderType, MsiCap, MsixCap, MsixTable};
use crate::error::{tree_err, Error, LsiError};
use of_tree::{NodeId, Tree};
use serde::{Deserialize, Serialize};

pub use papr_abi::pci::PciAddr;

/// A function's legacy interrupt: its pin and the global source it is wired to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lsi {
    /// INTA..INTD as 1..4.
    pub pin: u8,
    /// Global source number.
    pub source: u32,
}

/// What the device tree says of a function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunctionInfo {
    /// Node path.
    pub path: String,
    /// Vendor id.
    pub vendor_id: u16,
    /// Device id.
    pub device_id: u16,
    /// Class code (24 bits).
    pub class_code: u32,
    /// `ibm,req#msi`.
    pub req_msi: Option<u32>,
    /// `ibm,req#msi-x`.
    pub req_msix: Option<u32>,
    /// A PCI-PCI or CardBus bridge (by class code, or `device_type = "pci"`).
    pub is_bridge: bool,
    /// The device model's name, as QEMU's traces show it (from `ibm,loc-code`
    /// `qemu_NAME:...`, else the node name).
    pub model: String,
}

/// A simulated PCI function.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PciFunction {
    /// Bus / devfn.
    pub addr: PciAddr,
    /// Tree facts.
    pub info: FunctionInfo,
    /// Config space (256 bytes, or 4 KiB for `ibm,pci-config-space-type = 1`).
    pub config: ConfigSpace,
    /// BARs.
    pub bars: Vec<Bar>,
    /// MSI capability, when `ibm,req#msi` is present.
    pub msi: Option<MsiCap>,
    /// MSI-X capability, when `ibm,req#msi-x` is present.
    pub msix: Option<MsixCap>,
    /// The MSI-X table and PBA in BAR memory.
    pub msix_table: Option<MsixTable>,
    /// The LSI, when `interrupts` is present.
    pub lsi: Option<Lsi>,
    /// Its PE is frozen (EEH): config reads all ones, writes and messages dropped,
    /// until `ibm,set-slot-reset` (or until both halves are thawed by
    /// `ibm,set-eeh-option`, see [`EehState`]).
    pub frozen: bool,
    /// The rest of its PE's EEH state.
    pub eeh: EehState,
}

/// A PE's EEH state besides [`PciFunction::frozen`] (each function is its own PE).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EehState {
    /// `ibm,set-eeh-option` 1 (enable) was made, and no 0 (disable) since.
    pub enabled: bool,
    /// Frozen, but MMIO and config space thawed (`ibm,set-eeh-option` 2).
    pub mmio_thawed: bool,
    /// Frozen, but DMA and messages thawed (`ibm,set-eeh-option` 3).
    pub dma_thawed: bool,
    /// Between `ibm,set-slot-reset` 1 or 3 and 0.
    pub reset_active: bool,
    /// Freezes since the machine was built.
    pub freezes: u32,
    /// A freeze whose error log `ibm,slot-error-detail` has not returned yet.
    pub log_pending: bool,
}

/// Where the capability list starts.
const CAP_START: u16 = 0x40;
/// The largest MSI-X table the capability can describe.
pub const MAX_MSIX_VECTORS: u32 = 2048;

fn u16_prop(tree: &Tree, id: NodeId, name: &str) -> Result<u16, Error> {
    let v = tree.at(id).u32(name)?.unwrap_or(0xffff);
    Ok(v as u16)
}

/// The BARs a function's `reg` describes (entries after the config-space one).
fn bars_from_reg(reg: &[of_tree::RegEntry]) -> Vec<Bar> {
    let mut out: Vec<Bar> = Vec::new();
    for e in reg.iter().skip(1) {
        let (addr, size) = (&e.address, e.size);
        let Some(&hi) = addr.first() else { continue };
        let reg = hi & 0xff;
        if !(0x10..=0x24).contains(&reg) || reg % 4 != 0 || size == 0 {
            continue;
        }
        let kind = match (hi >> 24) & 3 {
            1 => BarKind::Io,
            2 => BarKind::Mem32,
            3 => BarKind::Mem64,
            _ => continue,
        };
        let index = ((reg - 0x10) / 4) as u8;
        if out.iter().any(|b| b.index == index) {
            continue;
        }
        out.push(Bar {
            index,
            kind,
            size: (size as u64).next_power_of_two(),
            address: 0,
        });
    }
    out
}

impl PciFunction {
    /// Builds a function from its node, on `bus` where firmware numbered the buses
    /// (else the one its `reg` names). `lsi_source` maps its pin to a global source,
    /// or says why it cannot.
    pub fn from_node(
        tree: &Tree,
        id: NodeId,
        bus: Option<u8>,
        lsi_source: impl Fn(PciAddr, u8) -> Result<u32, LsiError>,
    ) -> Result<PciFunction, Error> {
        let node = tree.at(id);
        let path = node.path();
        let reg = node
            .reg()?
            .ok_or_else(|| tree_err(&path, "PCI function without 'reg'"))?;
        let first = reg
            .first()
            .ok_or_else(|| tree_err(&path, "'reg' is empty"))?;
        if first.address.len() != 3 {
            return Err(tree_err(
                &path,
                format!(
                    "'reg' has {} address cells; PCI needs 3",
                    first.address.len()
                ),
            ));
        }
        let hi = first.address[0];
        let addr = PciAddr {
            bus: bus.unwrap_or((hi >> 16) as u8),
            devfn: (hi >> 8) as u8,
        };
        let is_bridge = is_bridge_node(tree, id);
        let info = FunctionInfo {
            path: path.clone(),
            vendor_id: u16_prop(tree, id, "vendor-id")?,
            device_id: u16_prop(tree, id, "device-id")?,
            class_code: node.u32("class-code")?.unwrap_or(0) & 0xff_ffff,
            req_msi: node.u32("ibm,req#msi")?,
            req_msix: node.u32("ibm,req#msi-x")?,
            is_bridge,
            model: node
                .string("ibm,loc-code")
                .ok()
                .flatten()
                .and_then(|l| l.strip_prefix("qemu_"))
                .and_then(|l| l.split(':').next())
                .map(str::to_string)
                .unwrap_or_else(|| node.node().base_name().to_string()),
        };
        let ext = node.u32("ibm,pci-config-space-type")? == Some(1);
        let mut config = ConfigSpace::new(if ext { 4096 } else { 256 });
        let mut bars = if is_bridge {
            Vec::new()
        } else {
            bars_from_reg(&reg)
        };
        let pin = match node.u32("interrupts")? {
            Some(p @ 1..=4) => Some(p as u8),
            Some(0) | None => None,
            Some(p) => return Err(tree_err(&path, format!("'interrupts' pin {p} is not 1..4"))),
        };

        // Capabilities, chained from 0x40.
        let mut caps_at = CAP_START;
        let msi = match info.req_msi {
            Some(0) | None => None,
            Some(n) => {
                let cap = MsiCap::for_vectors(caps_at, n, true, true);
                caps_at = (caps_at + cap.len() + 3) & !3;
                Some(cap)
            }
        };
        let (msix, msix_table) = match info.req_msix {
            Some(0) | None => (None, None),
            Some(n) if n > MAX_MSIX_VECTORS => {
                return Err(tree_err(
                    &path,
                    format!(
                    "'ibm,req#msi-x' {n} is more than an MSI-X table holds ({MAX_MSIX_VECTORS})"
                ),
                ))
            }
            Some(n) => {
                let size = n as u16;
                let table_bytes = n * 16;
                // Where the tree puts the table (simulator binding), else at offset 0.
                let place = node.cells("pseries-sim,msix-table")?;
                let (want_bir, table_off) = match place.as_deref() {
                    None => (None, 0),
                    Some([bir, off]) if *bir < 6 && off % 8 == 0 => (Some(*bir as u8), *off),
                    Some(_) => {
                        return Err(tree_err(
                            &path,
                            "'pseries-sim,msix-table' must be <BIR offset>: BIR 0..5, offset a multiple of 8",
                        ))
                    }
                };
                let pba_off = (table_off + table_bytes + 0x7ff) & !0x7ff;
                let need = (pba_off + n.div_ceil(64) * 8) as u64;
                // The smallest memory BAR that holds table and PBA, else a synthetic one.
                let bar = match want_bir {
                    Some(b) => Some(
                        bars.iter()
                            .find(|x| x.index == b && x.kind != BarKind::Io && x.size >= need)
                            .map(|x| x.index)
                            .ok_or_else(|| {
                                tree_err(
                                    &path,
                                    format!("'pseries-sim,msix-table': BAR {b} is no memory BAR of {need} bytes or more"),
                                )
                            })?,
                    ),
                    None => bars
                        .iter()
                        .filter(|b| b.kind != BarKind::Io && b.size >= need)
                        .min_by_key(|b| (b.size, b.index))
                        .map(|b| b.index),
                };
                let bir = match bar {
                    Some(b) => b,
                    None => {
                        let free = (0..6u8)
                            .rev()
                            .find(|i| {
                                !bars.iter().any(|b| {
                                    b.index == *i || (b.kind == BarKind::Mem64 && b.index + 1 == *i)
                                })
                            })
                            .ok_or_else(|| tree_err(&path, "no free BAR for the MSI-X table"))?;
                        bars.push(Bar {
                            index: free,
                            kind: BarKind::Mem32,
                            size: need.next_power_of_two().max(0x1000),
                            address: 0,
                        });
                        free
                    }
                };
                let cap = MsixCap {
                    offset: caps_at,
                    table_size: size,
                    table_bir: bir,
                    table_offset: table_off,
                    pba_bir: bir,
                    pba_offset: pba_off,
                };
                (Some(cap), Some(MsixTable::new(size)))
            }
        };
        let id_hdr = header::Identity {
            vendor_id: info.vendor_id,
            device_id: info.device_id,
            revision: node.u32("revision-id")?.unwrap_or(0) as u8,
            class_code: info.class_code,
            subsystem_vendor: node.u32("subsystem-vendor-id")?.unwrap_or(0) as u16,
            subsystem_id: node.u32("subsystem-id")?.unwrap_or(0) as u16,
            int_pin: pin.unwrap_or(0),
        };
        let ty = if is_bridge {
            HeaderType::Bridge
        } else {
            HeaderType::Device
        };
        header::init_header(&mut config, ty, &id_hdr, &bars);
        let first_cap = msi.map(|c| c.offset).or(msix.map(|c| c.offset));
        if let Some(fc) = first_cap {
            config.set_raw(header::reg::CAP_PTR, fc as u32, 1);
            let st = config.get_raw(header::reg::STATUS, 2) | header::STATUS_CAP_LIST;
            config.set_raw(header::reg::STATUS, st, 2);
        }
        if let Some(c) = &msi {
            c.install(&mut config, msix.map(|x| x.offset as u8).unwrap_or(0));
        }
        if let Some(c) = &msix {
            c.install(&mut config, 0);
        }
        let lsi = match pin {
            Some(p) => Some(Lsi {
                pin: p,
                source: lsi_source(addr, p).map_err(|why| {
                    tree_err(&path, format!("pin {p} maps to no interrupt source: {why}"))
                })?,
            }),
            None => None,
        };
        Ok(PciFunction {
            addr,
            info,
            config,
            bars,
            msi,
            msix,
            msix_table,
            lsi,
            frozen: false,
            eeh: EehState::default(),
        })
    }

    /// Loads and stores (config space, BAR memory) are stopped: frozen, MMIO not thawed.
    pub fn mmio_stopped(&self) -> bool {
        self.frozen && !self.eeh.mmio_thawed
    }

    /// Messages (DMA) are stopped: frozen, DMA not thawed.
    pub fn dma_stopped(&self) -> bool {
        self.frozen && !self.eeh.dma_thawed
    }

    /// An error freezes the function's PE: loads read all ones, stores and messages are
    /// dropped, an error log waits for `ibm,slot-error-detail`.
    pub fn freeze(&mut self) {
        self.frozen = true;
        self.eeh.mmio_thawed = false;
        self.eeh.dma_thawed = false;
        self.eeh.freezes += 1;
        self.eeh.log_pending = true;
    }

    /// The PE is thawed (after a reset, or both halves thawed).
    pub(crate) fn thaw(&mut self) {
        self.frozen = false;
        self.eeh.mmio_thawed = false;
        self.eeh.dma_thawed = false;
    }

    /// A software read of config space.
    pub fn config_read(&self, offset: u32, size: u32) -> Result<u32, AccessError> {
        self.config.read(offset, size)
    }

    /// A software write of config space.
    pub fn config_write(&mut self, offset: u32, size: u32, value: u32) -> Result<(), AccessError> {
        self.config.write(offset, size, value)
    }

    /// Whether legacy INTx is disabled in the command register.
    pub fn intx_disabled(&self) -> bool {
        self.config.get_raw(header::reg::COMMAND, 2) & header::COMMAND_INTX_DISABLE != 0
    }

    /// Firmware sets or clears INTx disable.
    pub(crate) fn set_intx_disabled(&mut self, on: bool) {
        let c = self.config.get_raw(header::reg::COMMAND, 2);
        let c = if on {
            c | header::COMMAND_INTX_DISABLE
        } else {
            c & !header::COMMAND_INTX_DISABLE
        };
        self.config.set_raw(header::reg::COMMAND, c, 2);
    }

    /// Back to the power-on state: writable registers cleared, MSI-X table masked;
    /// the firmware then puts the BAR addresses back.
    pub(crate) fn reset(&mut self) {
        self.config.reset();
        if let Some(t) = &mut self.msix_table {
            t.reset();
        }
        self.program_bars();
    }

    /// Writes each BAR's assigned bus address into its register(s).
    pub(crate) fn program_bars(&mut self) {
        if self.info.is_bridge {
            return;
        }
        for b in &self.bars {
            let off = header::reg::BAR0 + 4 * b.index as usize;
            let flags = self.config.get_raw(off, 4) & 0xf;
            self.config
                .set_raw(off, (b.address as u32 & !0xf) | flags, 4);
            if b.kind == BarKind::Mem64 && b.index < 5 {
                self.config.set_raw(off + 4, (b.address >> 32) as u32, 4);
            }
        }
    }

    /// The bus address a BAR register decodes now (both halves of a 64-bit BAR).
    pub fn bar_register(&self, index: u8) -> Option<u64> {
        let b = self.bars.iter().find(|b| b.index == index)?;
        let off = header::reg::BAR0 + 4 * index as usize;
        let lo = (self.config.get_raw(off, 4) & !0xf) as u64;
        let hi = if b.kind == BarKind::Mem64 && index < 5 {
            self.config.get_raw(off + 4, 4) as u64
        } else {
            0
        };
        Some(hi << 32 | lo)
    }
}

/// A PCI-PCI or CardBus bridge by class code, or a node of `device_type` "pci".
pub(crate) fn is_bridge_node(tree: &Tree, n: NodeId) -> bool {
    let class = tree.at(n).u32("class-code").ok().flatten().unwrap_or(0) >> 8;
    class == 0x0604
        || class == 0x0607
        || tree.at(n).string("device_type").ok().flatten() == Some("pci")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_addr_round_trip() {
        let a = PciAddr {
            bus: 2,
            devfn: 0x1b,
        };
        assert_eq!(a.config_addr(), 0x0002_1b00);
        assert_eq!(PciAddr::from_config_addr(0x1002_1b44), (a, 0x144));
        assert_eq!(a.to_string(), "02:03.3");
    }
}
