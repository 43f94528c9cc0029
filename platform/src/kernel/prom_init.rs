//! Linux's `prom_init` step that matters here: on a pSeries machine (a `chrp` root) the
//! kernel calls `ibm,client-architecture-support` with its option vectors, asking for
//! XIVE exploitation when `/chosen` says the platform offers it, then runs on the tree
//! the firmware presents afterwards.

use crate::error::Error;
use crate::port::Port;
use of_tree::Tree;
use papr_abi::cas::{
    CasError, IntcMode, OptionVectors, OV5_INTARCH, OV5_XIVE_EITHER, OV5_XIVE_EXPLOIT,
    OV5_XIVE_MASK, PROP_PLATFORM_SUPPORT,
};

/// Which interrupt mode the OS asks for at CAS.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CasRequest {
    /// What Linux 6.1 asks: XIVE when the platform offers it (either or only), else XICS.
    #[default]
    Auto,
    /// XICS (legacy), whatever the platform offers.
    Xics,
    /// XIVE exploitation, whatever the platform offers.
    Xive,
}

/// A CAS request name that is none of `xics`, `xive` and `auto`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown CAS request '{0}': use xics, xive or auto")]
pub struct UnknownCasRequest(pub String);

impl std::str::FromStr for CasRequest {
    type Err = UnknownCasRequest;
    fn from_str(s: &str) -> Result<Self, UnknownCasRequest> {
        match s {
            "auto" => Ok(CasRequest::Auto),
            "xics" => Ok(CasRequest::Xics),
            "xive" => Ok(CasRequest::Xive),
            o => Err(UnknownCasRequest(o.to_string())),
        }
    }
}

/// Linux 6.1's PVR list: POWER10/9/8 and the architecture levels, ending (as the
/// firmware reads it) with the "2.04 and earlier" entry.
const PVRS: [(u32, u32); 8] = [
    (0xfffe_0000, 0x003a_0000),
    (0xffff_0000, 0x003e_0000),
    (0xffff_0000, 0x004e_0000),
    (0xffff_0000, 0x0080_0000),
    (0xffff_ffff, 0x0f00_0006),
    (0xffff_ffff, 0x0f00_0005),
    (0xffff_ffff, 0x0f00_0004),
    (0xffff_fffe, 0x0f00_0001),
];

/// Linux 6.1's option vectors (`ibm_architecture_vec`), vector 5 byte 23 = `intarch`.
/// Vector 4 byte 1 (the change-msi busy bit) is Linux's: 0, unless `msi_busy`.
pub fn linux_vectors(intarch: u8, msi_busy: bool) -> OptionVectors {
    let vec1 = vec![0x00, 0xff, 0xc0];
    let mut vec2 = vec![0u8; 21];
    vec2[0] = 0x20; // OV2_REAL_MODE
    vec2[1..5].copy_from_slice(&[0xff; 4]);
    vec2[5..9].copy_from_slice(&[0xff; 4]);
    vec2[16] = 0x00;
    vec2[19] = 48; // max_pft_size
    let vec3 = vec![0x00, 0xe0]; // FP, VMX, DFP
    let vec4 = vec![
        if msi_busy {
            papr_abi::cas::OV4_MSI_BUSY
        } else {
            0
        },
        10,
    ];
    let mut vec5 = vec![0u8; 26];
    vec5[1] = 0xf1; // LPAR, SPLPAR, large pages, DRCONF memory, MSI
    vec5[4] = 0xa8; // form 1 / type 1 / form 2 affinity
    vec5[5] = 0x05; // resize HPT, hotplug events
    vec5[21] = 0x88; // DRMEM v2, DRC info
    vec5[OV5_INTARCH - 1] = intarch;
    let vec6 = vec![0, 0, 0x02]; // os_name = Linux
    OptionVectors::new(vec![vec1, vec2, vec3, vec4, vec5, vec6])
}

/// What `/chosen` says the platform offers in byte 23 (Linux's `prom_check_platform_support`).
fn platform_xive(tree: &Tree) -> bool {
    let Ok(chosen) = tree.find("/chosen") else {
        return false;
    };
    let Some(p) = tree.node(chosen).prop(PROP_PLATFORM_SUPPORT) else {
        return false;
    };
    p.value
        .chunks_exact(2)
        .find(|c| c[0] == OV5_INTARCH as u8)
        .is_some_and(|c| matches!(c[1] & OV5_XIVE_MASK, OV5_XIVE_EITHER | OV5_XIVE_EXPLOIT))
}

/// Whether prom_init treats the machine as pSeries (a `chrp` root).
fn is_pseries(tree: &Tree) -> bool {
    tree.at(tree.root()).string("device_type").ok().flatten() == Some("chrp")
}

/// Makes the CAS call and updates the tree; the mode, or None when the machine has no
/// client interface (bare metal) or is no pSeries. A refusal fails the boot, as QEMU
/// ends the guest.
pub fn client_architecture_support(
    tree: &mut Tree,
    port: &mut dyn Port,
    req: CasRequest,
    msi_busy: bool,
    msgs: &mut Vec<String>,
) -> Result<Option<IntcMode>, Error> {
    if !is_pseries(tree) {
        return Ok(None);
    }
    let xive = match req {
        CasRequest::Auto => platform_xive(tree),
        CasRequest::Xics => false,
        CasRequest::Xive => true,
    };
    if xive {
        msgs.push("prom_init: Asking for XIVE".into());
    }
    let intarch = if xive { OV5_XIVE_EXPLOIT } else { 0 };
    let table = linux_vectors(intarch, msi_busy).to_table(&PVRS);
    match port.client_architecture_support(&table) {
        Ok(out) => {
            port.refresh_tree(tree);
            Ok(Some(out.mode))
        }
        Err(CasError::Unsupported) => Ok(None),
        Err(e) => Err(Error::Cas(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linux_asks_xive_only_where_offered() {
        let t = |b: &[u8]| of_tree::dtb::read(b).unwrap();
        assert!(platform_xive(&t(include_bytes!(
            "../../../fixtures/linux-guest/qemu-initial.dtb"
        ))));
        assert!(platform_xive(&t(include_bytes!(
            "../../../fixtures/qemu/a_xive.dtb"
        ))));
        assert!(!platform_xive(&t(include_bytes!(
            "../../../fixtures/qemu/d_smp4_xics.dtb"
        ))));
        let ov =
            OptionVectors::parse(&linux_vectors(OV5_XIVE_EXPLOIT, false).to_table(&PVRS)).unwrap();
        assert_eq!(ov.byte(5, 23), 0x40);
        assert_eq!(ov.byte(4, 1), 0);
        assert_eq!(ov.byte(4, 2), 10, "minimum VP capacity");
        assert_eq!("xive".parse::<CasRequest>(), Ok(CasRequest::Xive));
        assert!("x".parse::<CasRequest>().is_err());
    }
}
