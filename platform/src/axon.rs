//! The Cell blade description with Axon MSI, after Linux's `platforms/cell/axon_msi.c`:
//! a root compatible with `IBM,CBEA` or `IBM,CPBW-1.0`; the MSIC found through each
//! bridge's `msi-translator`; a FIFO in system memory the OS gives the MSIC; messages
//! whose data is the Linux irq number itself; and the cascade handler that drains the
//! FIFO and dispatches each entry.

use crate::error::MsiError;
use crate::kernel::ops::{MachineDescription, MsiType};
use crate::kernel::pci::MSI_FLAGS;
use crate::kernel::pci::MSI_FLAGS_64BIT;
use crate::kernel::{DevId, Kernel, MsiMessage, MsiState};
use of_tree::{NodeId, Tree};
use papr_abi::axon::{
    COMPATIBLE, FIFO_EMPTY, MSIC_BASE_ADDR_HI_REG, MSIC_BASE_ADDR_LO_REG, MSIC_CTRL_ENABLE,
    MSIC_CTRL_IRQ_ENABLE, MSIC_CTRL_REG, MSIC_FIFO_ENTRY_SIZE, MSIC_WRITE_OFFSET_REG,
};

/// The FIFO Linux gives the MSIC: 64 KiB (`MSIC_FIFO_SIZE_SHIFT` 16).
pub const FIFO_SHIFT: u32 = 16;
/// Its size in bytes.
pub const FIFO_BYTES: u64 = 1 << FIFO_SHIFT;
/// Offsets stay inside the FIFO and 16-byte aligned (`MSIC_FIFO_SIZE_MASK`).
pub const FIFO_MASK: u64 = (FIFO_BYTES - 1) & !0xf;
/// Control value selecting that size (`MSIC_CTRL_FIFO_SIZE`).
pub const CTRL_FIFO_SIZE: u32 = ((FIFO_SHIFT - 15) << 8) & 0x300;
/// How often the cascade re-reads an entry that names no irq of its own before it
/// gives up on it.
pub const RETRIES: u32 = 100;
/// Where the OS puts the FIFO: this far into memory (below is its own).
const FIFO_AT: u64 = 0x100_0000;

/// The Axon description.
pub static AXON: MachineDescription = MachineDescription {
    name: "axon",
    probe,
    msi_init: Some(msi_init),
    msi_check_device: Some(check_device),
    setup_msi_irqs: Some(setup_msi_irqs),
    irq_unmask: Some(irq_unmask),
    irq_mask: Some(irq_mask),
    chained_handler: Some(cascade),
    suspend: Some(crate::kernel::suspend::suspend_nothing),
    resume: Some(crate::kernel::suspend::resume_os_allocated),
    ..MachineDescription::EMPTY
};

/// The MSIC as the OS set it up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AxonMsic {
    /// Node.
    pub node: NodeId,
    /// CPU address of its DCR 0, and the stride between DCRs.
    pub dcr: (u64, u64),
    /// Its cascade source.
    pub cascade: u32,
    /// FIFO address in memory.
    pub fifo: u64,
    /// The OS's read offset.
    pub read_offset: u64,
    /// Entries the cascade gave up on (garbage), and what they held.
    pub timed_out: Vec<u32>,
}

/// Cell's probe: the root is compatible with `IBM,CBEA` or `IBM,CPBW-1.0`.
fn probe(tree: &Tree) -> bool {
    let compat = tree.at(tree.root()).strings("compatible").ok().flatten();
    compat.is_some_and(|c| c.contains(&"IBM,CBEA") || c.contains(&"IBM,CPBW-1.0"))
}

fn msic(k: &mut Kernel) -> Option<&mut AxonMsic> {
    k.platform_data.as_mut()?.downcast_mut::<AxonMsic>()
}

fn dcr_write(k: &mut Kernel, reg: u32, v: u32) -> bool {
    let Some((base, stride)) = msic(k).map(|m| m.dcr) else {
        return false;
    };
    k.port.mmio_write(base + stride * reg as u64, 4, v as u64)
}

fn dcr_read(k: &mut Kernel, reg: u32) -> Option<u32> {
    let (base, stride) = msic(k)?.dcr;
    k.port
        .mmio_read(base + stride * reg as u64, 4)
        .map(|v| v as u32)
}

/// `axon_msi_setup_one`: finds the MSIC, gives it a FIFO filled with 0xff, enables it
/// and unmasks its cascade.
fn msi_init(k: &mut Kernel) -> bool {
    let Some(&node) = k.tree.find_compatible(COMPATIBLE).first() else {
        k.msg("axon_msi: no MSIC in the device tree".into());
        return false;
    };
    let at = k.tree.at(node);
    let path = at.path();
    let cells = |n: &str| at.cells(n).ok().flatten().unwrap_or_default();
    let (range, stride, irq) = (
        cells("dcr-mmio-range"),
        cells("dcr-mmio-stride"),
        cells("interrupts"),
    );
    let (Some(&hi), Some(&lo), Some(&stride), Some(&cascade)) =
        (range.first(), range.get(1), stride.first(), irq.first())
    else {
        k.msg(format!(
            "axon_msi: {path}: no usable 'dcr-mmio-range', 'dcr-mmio-stride' or 'interrupts'"
        ));
        return false;
    };
    let memory = k.tree.find_device_type("memory");
    let mem = memory
        .first()
        .and_then(|&m| k.tree.at(m).reg().ok().flatten())
        .and_then(|r| r.first().cloned());
    let Some(fifo) = mem
        .map(|r| (r.address_u64() + FIFO_AT, r.size))
        .filter(|&(_, size)| size >= (FIFO_AT + FIFO_BYTES) as u128)
        .map(|(a, _)| a)
    else {
        k.msg(format!("axon_msi: {path}: no memory for the FIFO"));
        return false;
    };
    k.platform_data = Some(Box::new(AxonMsic {
        node,
        dcr: ((hi as u64) << 32 | lo as u64, stride as u64),
        cascade,
        fifo,
        read_offset: 0,
        timed_out: Vec::new(),
    }));
    for off in (0..FIFO_BYTES).step_by(4) {
        k.port.ram_write(fifo + off, FIFO_EMPTY);
    }
    let ok = dcr_write(k, MSIC_BASE_ADDR_HI_REG, (fifo >> 32) as u32)
        && dcr_write(k, MSIC_BASE_ADDR_LO_REG, fifo as u32)
        && dcr_write(
            k,
            MSIC_CTRL_REG,
            MSIC_CTRL_IRQ_ENABLE | MSIC_CTRL_ENABLE | CTRL_FIFO_SIZE,
        );
    if !ok {
        k.msg(format!("axon_msi: {path}: its DCRs do not answer"));
        k.platform_data = None;
        return false;
    }
    k.unmask(cascade);
    k.msg(format!(
        "axon_msi: setup MSIC on {path}, FIFO at {fifo:#x}, cascade {cascade:#x}"
    ));
    true
}

/// The device's MSIC, by the first `msi-translator` from it up.
fn find_msi_translator(k: &Kernel, dev: DevId) -> Option<u32> {
    let mut n = Some(k.devices[dev].node);
    while let Some(node) = n {
        if let Ok(Some(p)) = k.tree.at(node).u32("msi-translator") {
            return Some(p);
        }
        n = k.tree.node(node).parent();
    }
    None
}

/// `setup_msi_msg_address`: the first `msi-address-64` (when the device can send
/// 64-bit addresses) or `msi-address-32` from the device up.
fn msi_address(k: &mut Kernel, dev: DevId, is64: bool) -> Result<u64, MsiError> {
    let mut n = Some(k.devices[dev].node);
    while let Some(node) = n {
        let at = k.tree.at(node);
        if is64 {
            if let Ok(Some(c)) = at.cells("msi-address-64") {
                return match c.as_slice() {
                    [h, l] => Ok((*h as u64) << 32 | *l as u64),
                    _ => Err(MsiError::Inval),
                };
            }
        }
        if let Ok(Some(a)) = at.u32("msi-address-32") {
            return Ok(a as u64);
        }
        n = k.tree.node(node).parent();
    }
    k.msg(format!(
        "{}: axon_msi: no msi-address-(32|64) properties found",
        k.devices[dev].name
    ));
    Err(MsiError::NoEnt)
}

/// One MSI per device (multi-message MSI is not supported); an MSIC must translate.
fn check_device(k: &mut Kernel, dev: DevId, nvec: u32, kind: MsiType) -> Result<(), MsiError> {
    if k.is_msi_device(dev) || kind == MsiType::Ims {
        return Err(MsiError::NotSupported); // this controller serves PCI alone
    }
    let have = k.vec_count(dev, kind).ok_or(MsiError::NoEnt)?;
    let most = if kind == MsiType::Msi {
        have.min(1)
    } else {
        have
    };
    if most < nvec {
        return Err(MsiError::TryFewer(most));
    }
    let mine = msic(k).map(|m| m.node);
    let translator = find_msi_translator(k, dev).and_then(|p| k.tree.find_phandle(p));
    if translator.is_none() || translator != mine {
        return Err(MsiError::NotSupported);
    }
    Ok(())
}

/// Each vector a virq of its own, mapped directly (hwirq = virq); its message's data is
/// that number.
fn setup_msi_irqs(k: &mut Kernel, dev: DevId, nvec: u32, kind: MsiType) -> Result<(), MsiError> {
    let is64 = match kind {
        MsiType::Msix | MsiType::Ims => true,
        MsiType::Msi => {
            let cap = k.msi_cap(dev, kind).ok_or(MsiError::Inval)?;
            k.config_read(dev, cap + MSI_FLAGS, 2).unwrap_or(0) & MSI_FLAGS_64BIT != 0
        }
    };
    let address = msi_address(k, dev, is64)?;
    let mut virqs = Vec::with_capacity(nvec as usize);
    for i in 0..nvec {
        let virq = k.map_vector_direct(dev, i);
        if !k.write_msi_msg(
            dev,
            kind,
            i,
            MsiMessage {
                address,
                data: virq,
            },
        ) {
            return Err(MsiError::Inval);
        }
        virqs.push(virq);
    }
    let messages = k.read_messages(dev, kind, nvec);
    k.devices[dev].msi = Some(MsiState {
        kind,
        sources: virqs.clone(),
        virqs,
        messages,
        granted: nvec,
    });
    Ok(())
}

/// `axon_msi_cascade`: drains the FIFO from the OS's read offset to the MSIC's write
/// offset, dispatching each entry's irq and marking the entry consumed; an entry that
/// names no irq of this MSIC is re-read up to [`RETRIES`] times, then skipped ("irq
/// timed out").
fn cascade(k: &mut Kernel, source: u32) -> Option<Vec<u32>> {
    let m = msic(k)?;
    if m.cascade != source {
        return None;
    }
    let fifo = m.fifo;
    let write_offset = dcr_read(k, MSIC_WRITE_OFFSET_REG).unwrap_or(0) as u64 & FIFO_MASK;
    let mut out = Vec::new();
    let mut retry = 0;
    loop {
        let read_offset = msic(k)?.read_offset;
        if read_offset == write_offset || retry >= RETRIES {
            break;
        }
        let raw = k.port.ram_read(fifo + read_offset).unwrap_or(FIFO_EMPTY);
        let irq = u32::from_le(raw) & 0xffff;
        let ours = k
            .irq
            .get(irq)
            .is_some_and(|d| d.hwirq == irq && d.owner().vector.is_some());
        if !ours {
            retry += 1;
            continue;
        }
        out.push(irq);
        k.port.ram_write(fifo + read_offset, FIFO_EMPTY);
        retry = 0;
        let m = msic(k)?;
        m.read_offset = (read_offset + MSIC_FIFO_ENTRY_SIZE) & FIFO_MASK;
    }
    if retry > 0 {
        let m = msic(k)?;
        let at = m.read_offset;
        m.read_offset = (at + MSIC_FIFO_ENTRY_SIZE) & FIFO_MASK;
        let raw = k.port.ram_read(fifo + at).unwrap_or(FIFO_EMPTY);
        if let Some(m) = msic(k) {
            m.timed_out.push(u32::from_le(raw));
        }
        k.msg(format!(
            "axon_msi: irq timed out (entry at {at:#x} holds {:#x})",
            u32::from_le(raw)
        ));
    }
    Some(out)
}

/// The MSI chip masks in the device alone (`pci_msi_unmask_irq`); other sources (LSIs,
/// the cascade) at the interrupt controller.
fn irq_unmask(k: &mut Kernel, source: u32) {
    if !k.pci_msi_mask(source, false) {
        k.controller_mask(source, false);
    }
}

/// See [`irq_unmask`].
fn irq_mask(k: &mut Kernel, source: u32) {
    if !k.pci_msi_mask(source, true) {
        k.controller_mask(source, true);
    }
}
