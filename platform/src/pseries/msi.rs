//! Linux's pSeries MSI negotiation (arch/powerpc/platforms/pseries/msi.c), step by
//! step: the property check, the PE quota, MSI-X rounding and retry, change-msi with
//! busy retries, then a query and a mapping per vector.

use crate::error::MsiError;
use crate::kernel::ops::MsiType;
use crate::kernel::rtas::{CHANGE_MSI, QUERY_SOURCE};
use crate::kernel::{DevId, Kernel, MsiState};
use crate::quota::{find_pe_total, quota_for, QuotaCache};

const FN_SET: u32 = 1;
const FN_MSI: u32 = 3;
const FN_MSIX: u32 = 4;
const FN_MSI_32: u32 = 5;
const FN_MSIX_32: u32 = 6;

/// RTAS status: busy, call again.
const BUSY: i64 = -2;
/// RTAS status: parameter error.
const PARAM_ERROR: i64 = -3;

/// Whether a status asks the caller to call again (busy, or 9900..9905).
fn is_busy(status: i64) -> bool {
    status == BUSY || (9900..=9905).contains(&status)
}

/// The tail of Linux's PHB discovery (`pseries_msi_allocate_domains` per PHB), then
/// `rtas_msi_init`. True when MSI is registered.
pub(super) fn init(k: &mut Kernel) -> bool {
    allocate_domains(k);
    let have = k.rtas_token(CHANGE_MSI).is_some() && k.rtas_token(QUERY_SOURCE).is_some();
    if !have {
        k.msg("rtas_msi: no RTAS tokens, no MSI support.".into());
        return false;
    }
    k.msg("rtas_msi: Registering RTAS MSI callbacks.".into());
    true
}

/// Linux 5.13+'s `pseries_msi_allocate_domains` for every PHB: one without
/// `ibm,pe-total-#msi` at or above its node gets no MSI domain.
fn allocate_domains(k: &mut Kernel) {
    for p in 0..k.phbs.len() {
        if find_pe_total(&k.tree, k.phbs[p].node).is_some() {
            continue;
        }
        k.phbs[p].no_msi_domain = true;
        k.msg_with(|k| {
            let phb = &k.phbs[p];
            format!(
                "PCI: failed to find MSIs for bridge {} (domain {})",
                k.tree.path(phb.node),
                phb.domain
            )
        });
    }
}

fn prop_name(kind: MsiType) -> &'static str {
    match kind {
        MsiType::Msi => "ibm,req#msi",
        MsiType::Msix => "ibm,req#msi-x",
        MsiType::Ims => papr_abi::ims::PROP_IMS_STORE,
    }
}

/// Linux's check_req: missing property -> -ENOENT; 0 -> -ENOSPC; fewer than asked
/// -> that many.
pub(crate) fn check_req(
    k: &mut Kernel,
    dev: DevId,
    nvec: u32,
    kind: MsiType,
) -> Result<(), MsiError> {
    let node = k.devices[dev].node;
    let prop = prop_name(kind);
    let value = k.tree.at(node).u32(prop).ok().flatten();
    let Some(req) = value else {
        k.msg_with(|k| format!("rtas_msi: No {prop} on {}", k.devices[dev].path));
        return Err(MsiError::NoEnt);
    };
    if req < nvec {
        k.msg_with(|_| format!("rtas_msi: {prop} requests < {nvec} MSIs"));
        if req == 0 {
            return Err(MsiError::NoSpc);
        }
        return Err(MsiError::TryFewer(req));
    }
    Ok(())
}

pub(super) fn check_device(
    k: &mut Kernel,
    dev: DevId,
    nvec: u32,
    kind: MsiType,
) -> Result<(), MsiError> {
    if kind == MsiType::Ims && !k.new_irq_scheme {
        return Err(MsiError::ImsNeedsNewScheme);
    }
    if k.is_msi_device(dev) || kind == MsiType::Ims {
        // A non-PCI device or an IMS store offers what its node says (no ibm,req#msi).
        let have = k.vec_count(dev, kind).unwrap_or(0);
        return if have < nvec {
            Err(MsiError::TryFewer(have))
        } else {
            Ok(())
        };
    }
    check_req(k, dev, nvec, kind)
}

/// [`quota_for`] for a device of the kernel, its messages in the trace (those the trace
/// leaves out are not built).
pub(crate) fn quota_for_device(k: &mut Kernel, dev: DevId, request: u32) -> u32 {
    let node = k.devices[dev].node;
    // The same answers and lines as Linux's walk, each PE walked once; the cache is
    // taken out while the walk asks the kernel which lines it wants.
    let mut slot = k
        .platform_data
        .take()
        .unwrap_or_else(|| Box::new(QuotaCache::default()));
    let q = match slot.downcast_mut::<QuotaCache>() {
        None => {
            let name = &k.devices[dev].name;
            quota_for(&k.tree, node, name, request, None)
        }
        Some(cache) if !k.verbose() => cache.quota_for(&k.tree, node, request),
        Some(cache) => {
            let mut msgs = Vec::new();
            let wants = |head: &str| k.wants_msg(head);
            let name = &k.devices[dev].name;
            let q = cache.quota_for_saying(&k.tree, node, name, request, &wants, &mut msgs);
            for m in msgs {
                k.msg(m);
            }
            q
        }
    };
    k.platform_data = Some(slot);
    q
}

/// Linux's rtas_change_msi: busy and extended delay retried with the returned
/// sequence number. Returns the count (status 0) or a negative status.
pub(crate) fn change_msi(k: &mut Kernel, dev: DevId, func: u32, num: u32) -> i64 {
    let d = &k.devices[dev];
    let (addr, buid) = (d.addr.config_addr(), d.buid);
    let nret = if matches!(func, FN_MSI | FN_MSIX | FN_MSI_32 | FN_MSIX_32) {
        4
    } else {
        3
    };
    let mut seq = 1u32;
    let (rc, got) = loop {
        let mut r = [0i64; 4];
        let args = [addr, (buid >> 32) as u32, buid as u32, func, num, seq];
        if !k.rtas(CHANGE_MSI, &args, &mut r[..nret]) {
            return PARAM_ERROR;
        }
        seq = r[2] as u32;
        if !is_busy(r[0]) {
            break (r[0], r[1]);
        }
    };
    let rc = match rc {
        0 => got,
        r if r > 0 => -r,
        r => r,
    };
    k.msg_with(|_| format!("rtas_msi: ibm,change_msi(func={func},num={num}), got {got} rc = {rc}"));
    rc
}

/// Linux's rtas_query_irq_number, busy retried.
pub(crate) fn query(k: &mut Kernel, dev: DevId, i: u32) -> Result<u32, i64> {
    let d = &k.devices[dev];
    let (addr, buid) = (d.addr.config_addr(), d.buid);
    loop {
        let mut r = [0i64; 3];
        if !k.rtas(
            QUERY_SOURCE,
            &[addr, (buid >> 32) as u32, buid as u32, i],
            &mut r,
        ) {
            return Err(PARAM_ERROR);
        }
        if is_busy(r[0]) {
            continue;
        }
        if r[0] != 0 {
            k.msg_with(|_| format!("rtas_msi: error ({}) querying source number", r[0]));
            return Err(r[0]);
        }
        return Ok(r[1] as u32);
    }
}

/// Linux's rtas_disable_msi: function 3 count 0, else function 1 count 0.
pub(crate) fn disable_msi(k: &mut Kernel, dev: DevId) -> bool {
    if change_msi(k, dev, FN_MSI, 0) != 0 && change_msi(k, dev, FN_SET, 0) != 0 {
        k.msg("rtas_msi: Setting MSIs to 0 failed!".into());
        return false;
    }
    true
}

pub(super) fn pci_irq_fixup(k: &mut Kernel, dev: DevId) {
    if !k.msi_enabled {
        return;
    }
    let name = k.devices[dev].name.clone();
    if k.devices[dev].lsi.is_none() {
        k.msg_with(|_| format!("{name}: rtas_msi: no LSI, nothing to do."));
        return;
    }
    if check_req(k, dev, 1, MsiType::Msi).is_err() && check_req(k, dev, 1, MsiType::Msix).is_err() {
        k.msg_with(|_| format!("{name}: rtas_msi: no req#msi/x, nothing to do."));
        return;
    }
    k.msg_with(|_| format!("{name}: rtas_msi: disabling existing MSI."));
    disable_msi(k, dev);
}

/// Linux's rtas_prepare_msi_irqs, then the per-vector query and mapping of the
/// pseries irq domain.
pub(super) fn setup_msi_irqs(
    k: &mut Kernel,
    dev: DevId,
    nvec_in: u32,
    kind: MsiType,
) -> Result<(), MsiError> {
    if k.is_msi_device(dev) || kind == MsiType::Ims {
        return super::msi_device::setup(k, dev, nvec_in, kind);
    }
    check_req(k, dev, nvec_in, kind)?;
    let quota = quota_for_device(k, dev, nvec_in);
    if quota != 0 && quota < nvec_in {
        return Err(MsiError::TryFewer(quota));
    }
    let mut nvec = nvec_in;
    if kind == MsiType::Msix {
        let m = nvec_in.next_power_of_two();
        let q = quota_for_device(k, dev, m);
        if q >= m {
            nvec = m;
        }
    }
    let no64 = k.devices[dev].no_64bit_msi;
    let rc = loop {
        let rc = match kind {
            MsiType::Msi => {
                let mut rc = -1;
                if no64 {
                    rc = change_msi(k, dev, FN_MSI_32, nvec);
                    if rc < 0 {
                        return Err(MsiError::Rtas(rc as i32));
                    }
                }
                if rc < 0 {
                    rc = change_msi(k, dev, FN_MSI, nvec);
                }
                if rc < 0 {
                    k.msg("rtas_msi: trying the old firmware call.".into());
                    rc = change_msi(k, dev, FN_SET, nvec);
                }
                rc
            }
            MsiType::Msix => change_msi(k, dev, if no64 { FN_MSIX_32 } else { FN_MSIX }, nvec),
            MsiType::Ims => PARAM_ERROR, // served by H_SIM_IMS (see msi_device)
        };
        if rc != nvec as i64 && nvec != nvec_in {
            nvec = nvec_in;
            continue;
        }
        break rc;
    };
    if rc != nvec as i64 {
        k.msg("rtas_msi: rtas_change_msi() failed".into());
        return Err(if rc > 0 {
            MsiError::TryFewer(rc as u32)
        } else {
            MsiError::Rtas(rc as i32)
        });
    }
    // The pseries irq domain's alloc: one query per MSI-X vector (one descriptor
    // each); MSI is one descriptor, queried once, its vectors the sources after it.
    let mut state = MsiState {
        kind,
        virqs: Vec::with_capacity(nvec_in as usize),
        sources: Vec::with_capacity(nvec_in as usize),
        messages: Vec::new(),
        granted: nvec,
    };
    let mut first = 0;
    for i in 0..nvec_in {
        let queried = match kind {
            MsiType::Msi if i > 0 => Ok(first + i),
            _ => query(k, dev, i),
        };
        let src = match queried {
            Ok(s) => s,
            Err(_) => {
                // The core frees what it mapped; what it tells the PCI layer decides
                // the retry (msi_handle_pci_fail): multi-MSI tries one, MSI-X the
                // vectors it got, else no space. The teardown follows in the core.
                k.devices[dev].msi = Some(state);
                k.unmap_vectors(dev);
                k.devices[dev].msi = None;
                return Err(match kind {
                    MsiType::Msi if nvec_in > 1 => MsiError::TryFewer(1),
                    MsiType::Msix if i > 0 => MsiError::TryFewer(i),
                    _ => MsiError::NoSpc,
                });
            }
        };
        if i == 0 {
            first = src;
        }
        // The parent domain (XIVE) allocates the source before the mapping is made,
        // as in Linux's hierarchy.
        if k.xive.is_some() {
            k.xive_alloc(src);
        }
        let virq = k.map_vector(dev, i, src);
        state.virqs.push(virq);
        state.sources.push(src);
    }
    if k.new_irq_scheme {
        if let Err(e) = super::msi_device::write_block_messages(k, dev, kind, nvec_in) {
            k.devices[dev].msi = Some(state);
            k.unmap_vectors(dev);
            k.devices[dev].msi = None;
            return Err(e);
        }
    }
    state.messages = k.read_messages(dev, kind, nvec_in);
    k.devices[dev].msi = Some(state);
    Ok(())
}

/// Asks the firmware again for `count` vectors of a kind (after a renumbering resume).
pub(crate) fn renegotiate(k: &mut Kernel, dev: DevId, kind: MsiType, count: u32) -> i64 {
    let no64 = k.devices[dev].no_64bit_msi;
    match kind {
        MsiType::Msix => change_msi(k, dev, if no64 { FN_MSIX_32 } else { FN_MSIX }, count),
        MsiType::Ims => PARAM_ERROR,
        MsiType::Msi => {
            let mut rc = if no64 {
                change_msi(k, dev, FN_MSI_32, count)
            } else {
                -1
            };
            if rc < 0 {
                rc = change_msi(k, dev, FN_MSI, count);
            }
            if rc < 0 {
                rc = change_msi(k, dev, FN_SET, count);
            }
            rc
        }
    }
}

pub(super) fn teardown_msi_irqs(k: &mut Kernel, dev: DevId) {
    if super::msi_device::served_by_call(k, dev) {
        return super::msi_device::teardown(k, dev);
    }
    disable_msi(k, dev);
}
