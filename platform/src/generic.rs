//! The generic (bare-metal) description: no firmware calls; the OS allocates sources
//! itself, composes each message and writes it into config space or the MSI-X table
//! vector by vector. Also the fallbacks for hooks a description leaves empty.

use crate::error::{Error, MsiError};
use crate::kernel::{DevId, Kernel, MsiState, PhbInfo};
use crate::ops::{MachineDescription, MsiType};
use of_tree::Tree;
use rtas::alloc::BlockKind;
use rtas::ics::SourceKind;
use rtas::machine::MSI_WINDOW;
use rtas::phb::MsiBlock;

/// The generic description: accepts any tree.
pub static GENERIC: MachineDescription = MachineDescription {
    name: "generic",
    probe,
    setup_arch: None,
    init_irq: None,
    discover_phbs: None,
    msi_init: Some(msi_init),
    pci_irq_fixup: None,
    msi_check_device: Some(check_device),
    setup_msi_irqs: Some(setup_msi_irqs),
    teardown_msi_irqs: Some(teardown_msi_irqs),
    read_config: None,
    write_config: None,
    irq_unmask: None,
    irq_mask: None,
    suspend: None,
    resume: None,
};

fn probe(_tree: &Tree) -> bool {
    true
}

/// Generic init_irq: the first node marked `interrupt-controller`.
pub(crate) fn init_irq(k: &mut Kernel) -> Result<(), Error> {
    let found = k
        .tree
        .walk()
        .into_iter()
        .find(|&n| k.tree.node(n).prop("interrupt-controller").is_some());
    if let Some(n) = found {
        let path = k.tree.path(n);
        k.msg(format!("interrupt controller {path}"));
        k.intc = Some(path);
    } else {
        k.msg("no interrupt controller in the tree".into());
    }
    Ok(())
}

/// Generic PHB discovery: every `device_type = "pci"` node under the root.
pub(crate) fn discover_phbs(k: &mut Kernel) -> Result<(), Error> {
    let root = k.tree.root();
    let children = k.tree.node(root).children().to_vec();
    for c in children {
        if k.tree.at(c).string("device_type")? != Some("pci") {
            continue;
        }
        let Some(reg) = k.tree.at(c).reg()? else {
            continue;
        };
        let Some(first) = reg.first() else { continue };
        let buid = first.address_u64();
        let Some(i) = k.fw.machine.phb_by_buid(buid) else {
            continue;
        };
        if k.fw.machine.phbs[i].partition != k.opts.partition {
            continue;
        }
        let domain = k.fw.machine.phbs[i].index;
        k.phbs.push(PhbInfo {
            domain,
            buid,
            node: c,
        });
        let path = k.tree.path(c);
        k.msg(format!(
            "PCI host bridge {path}, domain {domain:04x}, BUID {buid:#x}"
        ));
    }
    Ok(())
}

fn msi_init(k: &mut Kernel) -> bool {
    k.msg("MSI: the OS composes messages itself".into());
    true
}

fn check_device(k: &mut Kernel, dev: DevId, nvec: u32, kind: MsiType) -> Result<(), MsiError> {
    let have = k.vec_count(dev, kind).ok_or(MsiError::NoEnt)?;
    if have < nvec {
        return Err(MsiError::TryFewer(have));
    }
    Ok(())
}

fn setup_msi_irqs(k: &mut Kernel, dev: DevId, nvec: u32, kind: MsiType) -> Result<(), MsiError> {
    let r = k.devices[dev].fnref;
    let bk = match kind {
        MsiType::Msi => BlockKind::Msi,
        MsiType::Msix => BlockKind::Msix,
    };
    let reserve = if kind == MsiType::Msi {
        nvec.next_power_of_two()
    } else {
        nvec
    };
    let first =
        k.fw.machine
            .pools
            .alloc(r.phb, reserve, bk)
            .ok_or(MsiError::NoSpc)?;
    for s in first..first + nvec {
        k.fw.machine.ics.claim(s, SourceKind::Msi);
    }
    // Compose and write each message.
    match kind {
        MsiType::Msix => {
            let cap = k.fw.machine.function(r).msix.ok_or(MsiError::NoEnt)?;
            for i in 0..nvec {
                let off = cap.table_offset + 16 * i;
                let m = &mut k.fw.machine;
                let ok = m.bar_write(r, cap.table_bir, off, 8, MSI_WINDOW).is_ok()
                    && m.bar_write(r, cap.table_bir, off + 8, 4, (first + i) as u64)
                        .is_ok()
                    && m.bar_write(r, cap.table_bir, off + 12, 4, 0).is_ok();
                if !ok {
                    return Err(MsiError::Inval);
                }
            }
        }
        MsiType::Msi => {
            let cap = k.find_capability(dev, 0x05).ok_or(MsiError::NoEnt)?;
            let ctrl = k.config_read(dev, cap + 2, 2).unwrap_or(0);
            k.config_write(dev, cap + 4, 4, MSI_WINDOW as u32);
            k.config_write(dev, cap + 8, 4, (MSI_WINDOW >> 32) as u32);
            let ext = first > 0xffff;
            k.config_write(
                dev,
                cap + 2,
                2,
                if ext { ctrl | 0x400 } else { ctrl & !0x400 },
            );
            k.config_write(dev, cap + 12, if ext { 4 } else { 2 }, first);
        }
    }
    k.fw.machine.set_block(
        r,
        Some(MsiBlock {
            first,
            count: nvec,
            reserved: reserve,
            kind: bk,
        }),
    );
    let mut state = MsiState {
        kind,
        virqs: Vec::new(),
        sources: Vec::new(),
        messages: Vec::new(),
        granted: nvec,
    };
    for i in 0..nvec {
        let virq = k.map_vector(dev, i, first + i);
        state.virqs.push(virq);
        state.sources.push(first + i);
    }
    state.messages = crate::pseries::read_messages(k, dev, kind, nvec);
    k.devices[dev].msi = Some(state);
    Ok(())
}

fn teardown_msi_irqs(k: &mut Kernel, dev: DevId) {
    let r = k.devices[dev].fnref;
    if let Some(b) = k.fw.machine.block(r) {
        for s in b.first..b.first + b.count {
            k.fw.machine.ics.free(s);
        }
        k.fw.machine.pools.free(r.phb, b.first, b.reserved);
        k.fw.machine.set_block(r, None);
    }
}
