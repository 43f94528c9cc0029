//! MSI on the MPIC machine, after `mpic_msi.c` and `mpic_u3msi.c`: one bitmap over the
//! MPIC's sources with what is not free for MSI reserved, messages composed as "write
//! the source number to the bridge's MSI target", written per vector.

use crate::error::MsiError;
use crate::kernel::of::{phb_nodes, InterruptMap, OfError};
use crate::kernel::ops::MsiType;
use crate::kernel::{DevId, Kernel, MsiMessage, MsiState};
use crate::msi_bitmap::MsiBitmap;
use papr_abi::mpic::HT_MSI_FIXED_ADDR;

/// Sources the U3/U4 hardware keeps for itself, reserved when the tree gives no
/// `msi-available-ranges` (Linux's `mpic_msi_reserve_u3_hwirqs`): 0-7, 42-45, 100-104,
/// and 124 up.
pub const U3_RESERVED: [(u32, u32); 4] = [(0, 8), (42, 46), (100, 105), (124, u32::MAX)];

/// What the description keeps: the MPIC's registers, source count and MSI bitmap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MpicData {
    /// CPU address of the MPIC's registers.
    pub base: u64,
    /// Sources of the MPIC.
    pub sources: u32,
    /// The MSI allocator over them; None until msi_init.
    pub bitmap: Option<MsiBitmap>,
}

impl MpicData {
    /// What init_irq found.
    pub fn new(base: u64, sources: u32) -> MpicData {
        MpicData {
            base,
            sources,
            bitmap: None,
        }
    }
}

fn data(k: &mut Kernel) -> Option<&mut MpicData> {
    k.platform_data.as_mut()?.downcast_mut::<MpicData>()
}

/// The description's data, made again from the tree, the MPIC's feature register and
/// the vectors drivers hold when it was dropped (the tree changed under the OS).
fn ensure(k: &mut Kernel) -> Option<&mut MpicData> {
    if data(k).is_none() && k.msi_enabled {
        let base = k.intc.as_ref()?.registers?;
        let frr = k.port.mmio_read(base + papr_abi::mpic::GREG_FEATURE_0, 4)? as u32;
        let sources = ((frr & papr_abi::mpic::FEATURE_LAST_SRC_MASK)
            >> papr_abi::mpic::FEATURE_LAST_SRC_SHIFT)
            + 1;
        let mut d = MpicData::new(base, sources);
        let mut b = reserved_bitmap(k, sources).ok()?;
        for s in k
            .devices
            .iter()
            .filter_map(|d| d.msi.as_ref())
            .flat_map(|m| &m.sources)
        {
            b.reserve(*s);
        }
        d.bitmap = Some(b);
        k.platform_data = Some(Box::new(d));
    }
    data(k)
}

/// Why the MPIC's sources free for MSI could not be told: the node and property at
/// fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReservedError {
    /// The interrupt controller's `msi-available-ranges` does not read.
    #[error("{intc}: 'msi-available-ranges': {error}")]
    Ranges {
        /// The interrupt controller's node path.
        intc: String,
        /// Why it does not read.
        error: of_tree::Error,
    },
    /// `msi-available-ranges` is empty or not `<start count>` pairs.
    #[error("{intc}: 'msi-available-ranges' has {cells} cells, not <start count> pairs")]
    RangesShape {
        /// The interrupt controller's node path.
        intc: String,
        /// Cells it has.
        cells: usize,
    },
    /// A PHB's `interrupt-map` does not read.
    #[error("{phb}: {why}")]
    InterruptMap {
        /// The PHB's node path.
        phb: String,
        /// What is wrong with the map.
        why: OfError,
    },
}

/// The bitmap of the MPIC's sources with every source that is not free for MSI
/// reserved: outside `msi-available-ranges` (else the U3 hardware reserves), and every
/// source an `interrupt-map` names. Err names the node and property at fault.
pub fn reserved_bitmap(k: &Kernel, sources: u32) -> Result<MsiBitmap, ReservedError> {
    let mut b = MsiBitmap::new(0, sources);
    let intc = k.intc.as_ref().map(|c| c.path.clone()).unwrap_or_default();
    let node = k.tree.find(&intc).ok();
    let ranges = match node.map(|n| k.tree.at(n).cells("msi-available-ranges")) {
        Some(Ok(r)) => r,
        Some(Err(e)) => return Err(ReservedError::Ranges { intc, error: e }),
        None => None,
    };
    match ranges {
        Some(r) if r.len() % 2 != 0 || r.is_empty() => {
            return Err(ReservedError::RangesShape {
                intc,
                cells: r.len(),
            })
        }
        Some(r) => {
            let pairs: Vec<(u32, u32)> = r.chunks(2).map(|p| (p[0], p[1])).collect();
            b.only_available(&pairs);
        }
        None => {
            for (from, to) in U3_RESERVED {
                for h in from..to.min(sources) {
                    b.reserve(h);
                }
            }
        }
    }
    for phb in phb_nodes(&k.tree) {
        match InterruptMap::read(&k.tree, phb) {
            Ok(Some(map)) => map.sources().for_each(|s| b.reserve(s)),
            Ok(None) => {}
            Err(why) => {
                return Err(ReservedError::InterruptMap {
                    phb: k.tree.path(phb),
                    why,
                })
            }
        }
    }
    Ok(b)
}

/// Sets up the allocator (`mpic_u3msi_init`); false: no MSI.
pub fn init(k: &mut Kernel) -> bool {
    let Some(sources) = data(k).map(|d| d.sources) else {
        k.msg("mpic: no MPIC found: no MSI".into());
        return false;
    };
    match reserved_bitmap(k, sources) {
        Ok(b) => {
            k.msg(format!(
                "mpic: {} of {sources} sources free for MSI",
                b.free_count()
            ));
            if let Some(d) = data(k) {
                d.bitmap = Some(b);
            }
            k.msg("u3msi: the OS composes messages itself".into());
            true
        }
        Err(why) => {
            k.msg(format!("mpic: {why}: no MSI"));
            false
        }
    }
}

/// Where a device's messages go: its host bridge's `msi-address-64` (or
/// `msi-address-32`) for U4 PCIe, else HyperTransport's fixed MSI address.
pub fn msi_address(k: &Kernel, dev: DevId) -> u64 {
    let phb = k.phbs[k.devices[dev].phb].node;
    let at = k.tree.at(phb);
    match at.cells("msi-address-64").ok().flatten().as_deref() {
        Some([hi, lo]) => return (*hi as u64) << 32 | *lo as u64,
        Some(_) => log::warn!("{}: 'msi-address-64' is not 2 cells: ignored", at.path()),
        None => {}
    }
    match at.u32("msi-address-32").ok().flatten() {
        Some(a) => a as u64,
        None => HT_MSI_FIXED_ADDR,
    }
}

/// The request fits what the device offers.
pub fn check_device(k: &mut Kernel, dev: DevId, nvec: u32, kind: MsiType) -> Result<(), MsiError> {
    if k.is_msi_device(dev) || kind == MsiType::Ims {
        return Err(MsiError::NotSupported); // this controller serves PCI alone
    }
    let have = k.vec_count(dev, kind).ok_or(MsiError::NoEnt)?;
    if have < nvec {
        return Err(MsiError::TryFewer(have));
    }
    Ok(())
}

fn free_sources(k: &mut Kernel, kind: MsiType, sources: &[u32]) {
    let Some(b) = ensure(k).and_then(|d| d.bitmap.as_mut()) else {
        return;
    };
    match kind {
        MsiType::Msi => {
            if let Some(&first) = sources.first() {
                b.free(first, sources.len() as u32);
            }
        }
        MsiType::Msix | MsiType::Ims => sources.iter().for_each(|&s| b.free(s, 1)),
    }
}

/// Allocates hwirqs (MSI: one aligned block of a power of two, as multi-message MSI
/// needs; MSI-X: one per vector), composes each message (address: the bridge's MSI
/// target, data: the hwirq), writes it, maps each vector.
pub fn setup_msi_irqs(
    k: &mut Kernel,
    dev: DevId,
    nvec: u32,
    kind: MsiType,
) -> Result<(), MsiError> {
    let address = msi_address(k, dev);
    let bitmap = ensure(k)
        .and_then(|d| d.bitmap.as_mut())
        .ok_or(MsiError::NotSupported)?;
    let mut sources = Vec::with_capacity(nvec as usize);
    match kind {
        MsiType::Msi => sources.extend(
            bitmap
                .alloc(nvec)
                .map(|f| f..f + nvec)
                .into_iter()
                .flatten(),
        ),
        MsiType::Msix | MsiType::Ims => {
            for _ in 0..nvec {
                match bitmap.alloc(1) {
                    Some(h) => sources.push(h),
                    None => break,
                }
            }
        }
    }
    if sources.len() != nvec as usize {
        k.msg("u3msi: failed allocating hwirq".into());
        free_sources(k, kind, &sources);
        return Err(MsiError::NoSpc);
    }
    let written = match kind {
        MsiType::Msi => k.write_msi_msg(
            dev,
            kind,
            0,
            MsiMessage {
                address,
                data: sources[0],
            },
        ),
        MsiType::Msix | MsiType::Ims => sources.iter().enumerate().all(|(i, &h)| {
            let msg = MsiMessage { address, data: h };
            k.write_msi_msg(dev, kind, i as u32, msg)
        }),
    };
    if !written {
        free_sources(k, kind, &sources);
        return Err(MsiError::Inval);
    }
    let mut virqs = Vec::with_capacity(nvec as usize);
    for (i, &h) in sources.iter().enumerate() {
        let virq = k.map_vector(dev, i as u32, h);
        k.msg_with(|_| format!("u3msi: allocated virq {virq:#x} (hw {h:#x}) addr {address:#x}"));
        virqs.push(virq);
    }
    let messages = k.read_messages(dev, kind, nvec);
    k.devices[dev].msi = Some(MsiState {
        kind,
        virqs,
        sources,
        messages,
        granted: nvec,
    });
    Ok(())
}

/// Gives the device's hwirqs back to the bitmap.
pub fn teardown_msi_irqs(k: &mut Kernel, dev: DevId) {
    let Some(m) = k.devices[dev].msi.clone() else {
        return;
    };
    free_sources(k, m.kind, &m.sources);
}
