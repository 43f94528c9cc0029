//! `ibm,client-architecture-support` (CAS): the OS hands over its option vectors, the
//! firmware picks the interrupt mode from what the machine offers, and the tree the OS
//! reads afterwards describes the chosen controller (as QEMU rebuilds it at CAS).

use crate::firmware::Firmware;
use crate::memory::Memory;
use of_tree::{NodeId, Tree};
use serde::{Deserialize, Serialize};

/// `/chosen` property listing what the platform offers in vector 5: (byte, value) pairs.
pub const PROP_PLATFORM_SUPPORT: &str = "ibm,arch-vec-5-platform-support";
/// `/chosen` property the firmware writes after CAS: the negotiated vector 5.
pub const PROP_VEC5: &str = "ibm,architecture-vec-5";
/// Vector 5's interrupt-architecture byte (1-based, as LoPAPR numbers them).
pub const OV5_INTARCH: usize = 23;
/// Bits of that byte that say the interrupt mode.
pub const OV5_XIVE_MASK: u8 = 0xc0;
/// Vector 5 byte 23: XIVE exploitation (the OS asks for it; a platform: XIVE only).
pub const OV5_XIVE_EXPLOIT: u8 = 0x40;
/// Vector 5 byte 23, from the platform: XICS or XIVE, the OS picks.
pub const OV5_XIVE_EITHER: u8 = 0x80;
/// Vector 4's byte holding the "ibm,change-msi busy" bit (1-based).
pub const OV4_MSI_BUSY_BYTE: usize = 1;
/// The OS handles -2 / 990x from `ibm,change-msi` (vector 4 byte 1). Linux 6.1 does
/// not set it.
pub const OV4_MSI_BUSY: u8 = 0x80;
/// QEMU's thread interrupt management area (TIMA) base; the XIVE node's `reg` is its
/// user page (3) and OS page (2), 64 KiB each.
pub const XIVE_TM_BASE: u64 = 0x0006_0302_0318_0000;
/// A TIMA page's size as a shift.
pub const XIVE_TM_SHIFT: u32 = 16;
/// Event queue sizes (page shifts) the XIVE node offers: 64 KiB.
pub const XIVE_EQ_SHIFT: u32 = 16;
/// Most bytes an option-vector table may have.
const MAX_TABLE: usize = 4096;

/// An interrupt controller mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IntcMode {
    /// XICS (legacy): RTAS set-xive / int-on, the ICP.
    Xics,
    /// XIVE exploitation: the `H_INT_*` calls and ESB pages.
    Xive,
}

impl std::fmt::Display for IntcMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            IntcMode::Xics => "xics",
            IntcMode::Xive => "xive",
        })
    }
}

/// What the machine offers before CAS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum IntcOffer {
    /// XICS only (`ic-mode=xics`, or dual on POWER8).
    Xics,
    /// XIVE only (`ic-mode=xive`).
    Xive,
    /// Either (`ic-mode=dual` on POWER9).
    Either,
}

impl IntcOffer {
    /// The offer of a tree: `/chosen`'s platform-support byte 23, else the controller
    /// node the tree has (XIVE's `ibm,power-ivpe`, else XICS).
    pub fn from_tree(tree: &Tree) -> IntcOffer {
        if let Some(v) = platform_support(tree, OV5_INTARCH as u8) {
            return match v & OV5_XIVE_MASK {
                OV5_XIVE_EITHER => IntcOffer::Either,
                OV5_XIVE_EXPLOIT => IntcOffer::Xive,
                _ => IntcOffer::Xics,
            };
        }
        if tree.find_compatible("ibm,power-ivpe").is_empty() {
            IntcOffer::Xics
        } else {
            IntcOffer::Xive
        }
    }

    /// Byte 23 as `/chosen` publishes it.
    pub fn byte(self) -> u8 {
        match self {
            IntcOffer::Xics => 0,
            IntcOffer::Xive => OV5_XIVE_EXPLOIT,
            IntcOffer::Either => OV5_XIVE_EITHER,
        }
    }

    /// Whether the machine can run in a mode.
    pub fn allows(self, m: IntcMode) -> bool {
        matches!(
            (self, m),
            (IntcOffer::Either, _)
                | (IntcOffer::Xics, IntcMode::Xics)
                | (IntcOffer::Xive, IntcMode::Xive)
        )
    }
}

/// The value of a `(byte, value)` pair of `/chosen`'s platform-support property.
fn platform_support(tree: &Tree, byte: u8) -> Option<u8> {
    let chosen = tree.find("/chosen").ok()?;
    let p = tree.node(chosen).prop(PROP_PLATFORM_SUPPORT)?;
    p.value.chunks_exact(2).find(|c| c[0] == byte).map(|c| c[1])
}

/// Why a CAS call was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CasError {
    /// The table runs past OS memory or past its own declared lengths.
    #[error("client-architecture-support: the option vector table at {0:#x} is malformed or outside memory")]
    Malformed(u64),
    /// Bare metal: no Open Firmware client interface to call.
    #[error("client-architecture-support: no firmware client interface (bare metal)")]
    Unsupported,
    /// The OS asked for XIVE on a machine without it (QEMU's words; QEMU exits).
    #[error("Guest requested unavailable interrupt mode (XIVE), try the ic-mode=xive or ic-mode=dual machine property")]
    NoXive,
    /// The OS asked for XICS on a XIVE-only machine (QEMU's words; QEMU exits).
    #[error("Guest requested unavailable interrupt mode (XICS), either don't set the ic-mode machine property or try ic-mode=xics or ic-mode=dual")]
    NoXics,
}

/// The option vectors of a CAS table: vector n's bytes, byte 1 first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OptionVectors {
    vectors: Vec<Vec<u8>>,
}

impl OptionVectors {
    /// Vectors from their bytes (vector 1 first).
    pub fn new(vectors: Vec<Vec<u8>>) -> Self {
        OptionVectors { vectors }
    }

    /// Byte `b` (1-based) of vector `v` (1-based); 0 where the vector is shorter.
    pub fn byte(&self, v: usize, b: usize) -> u8 {
        v.checked_sub(1)
            .and_then(|i| self.vectors.get(i))
            .and_then(|x| b.checked_sub(1).and_then(|j| x.get(j)))
            .copied()
            .unwrap_or(0)
    }

    /// The table as the OS lays it out (LoPAPR `ibm,architecture.vec`): the PVR list,
    /// (mask, value) pairs ending with the first whose value has bits outside its mask,
    /// then the vector count less one, then each vector as its length less one and its
    /// bytes.
    pub fn to_table(&self, pvrs: &[(u32, u32)]) -> Vec<u8> {
        let mut t = Vec::new();
        for (m, v) in pvrs {
            t.extend_from_slice(&m.to_be_bytes());
            t.extend_from_slice(&v.to_be_bytes());
        }
        t.push(self.vectors.len().saturating_sub(1) as u8);
        for v in &self.vectors {
            t.push(v.len().saturating_sub(1) as u8);
            t.extend_from_slice(v);
        }
        t
    }

    /// Parses a table (see [`OptionVectors::to_table`]); `None` when it is cut short.
    pub fn parse(t: &[u8]) -> Option<OptionVectors> {
        let mut at = 0;
        loop {
            let pair = t.get(at..at + 8)?;
            let mask = u32::from_be_bytes(pair[..4].try_into().ok()?);
            let val = u32::from_be_bytes(pair[4..].try_into().ok()?);
            at += 8;
            if val & !mask != 0 {
                break;
            }
        }
        let n = *t.get(at)? as usize + 1;
        at += 1;
        let mut vectors = Vec::with_capacity(n);
        for _ in 0..n {
            let len = *t.get(at)? as usize + 1;
            vectors.push(t.get(at + 1..at + 1 + len)?.to_vec());
            at += 1 + len;
        }
        Some(OptionVectors { vectors })
    }
}

/// What CAS settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CasOutcome {
    /// The interrupt mode.
    pub mode: IntcMode,
    /// The OS handles busy answers from change-msi (vector 4).
    pub msi_busy: bool,
}

fn cells(v: &[u32]) -> Vec<u8> {
    v.iter().flat_map(|c| c.to_be_bytes()).collect()
}

fn string(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.push(0);
    v
}

impl Firmware {
    /// CAS: reads the option-vector table the OS put at `addr` in its memory and picks
    /// the interrupt mode. A mode the machine lacks is refused as QEMU refuses it.
    pub fn client_architecture_support(
        &mut self,
        mem: &Memory,
        addr: u64,
    ) -> Result<CasOutcome, CasError> {
        if self.machine.bare_metal {
            return Err(CasError::Unsupported);
        }
        let avail = (mem.base() + mem.len() as u64).saturating_sub(addr) as usize;
        let table = mem
            .read_bytes(addr, avail.min(MAX_TABLE))
            .ok_or(CasError::Malformed(addr))?;
        let ov = OptionVectors::parse(table).ok_or(CasError::Malformed(addr))?;
        let wants_xive = ov.byte(5, OV5_INTARCH) & OV5_XIVE_EXPLOIT != 0;
        let mode = if wants_xive {
            IntcMode::Xive
        } else {
            IntcMode::Xics
        };
        if !self.intc_offer.allows(mode) {
            log::debug!(
                "client-architecture-support: {mode} asked, the machine offers {:?}",
                self.intc_offer
            );
            return Err(match mode {
                IntcMode::Xive => CasError::NoXive,
                IntcMode::Xics => CasError::NoXics,
            });
        }
        let out = CasOutcome {
            mode,
            msi_busy: ov.byte(4, OV4_MSI_BUSY_BYTE) & OV4_MSI_BUSY != 0,
        };
        log::debug!(
            "client-architecture-support: {mode} (change-msi busy: {})",
            out.msi_busy
        );
        self.cas = Some(out);
        if mode == IntcMode::Xive {
            self.machine.enable_xive();
        } else {
            self.machine.xive = None;
        }
        Ok(out)
    }

    /// The interrupt mode CAS chose, if CAS ran.
    pub fn intc_mode(&self) -> Option<IntcMode> {
        self.cas.map(|c| c.mode)
    }

    /// What the firmware adds to the tree it hands the OS before CAS: `/chosen`'s
    /// platform-support pair for byte 23, where the tree does not say it (QEMU always does).
    pub fn publish_platform_support(&self, tree: &mut Tree) {
        if self.machine.bare_metal || platform_support(tree, OV5_INTARCH as u8).is_some() {
            return;
        }
        let root = tree.root();
        let chosen = match tree.child_by_name(root, "chosen") {
            Some(c) => c,
            None => tree.add_child(root, "chosen"),
        };
        let mut v = tree
            .node(chosen)
            .prop(PROP_PLATFORM_SUPPORT)
            .map(|p| p.value.to_vec())
            .unwrap_or_default();
        v.extend_from_slice(&[OV5_INTARCH as u8, self.intc_offer.byte()]);
        tree.set_prop(chosen, PROP_PLATFORM_SUPPORT, v);
    }

    /// The tree after CAS, edited in place: under XIVE the XICS presentation node gives
    /// way to the XIVE node (same phandle) and the root gets the reserved priorities;
    /// `/chosen` gets the negotiated vector 5. The `/rtas` tokens stay.
    pub fn update_tree_after_cas(&self, tree: &mut Tree) {
        let Some(out) = self.cas else { return };
        let root = tree.root();
        if let Some(chosen) = tree.child_by_name(root, "chosen") {
            let mut vec5 = vec![0u8; 27];
            vec5[0] = 25;
            if out.mode == IntcMode::Xive {
                vec5[OV5_INTARCH] = OV5_XIVE_EXPLOIT;
            }
            tree.set_prop(chosen, PROP_VEC5, vec5);
        }
        if out.mode != IntcMode::Xive {
            return;
        }
        let xics: Vec<NodeId> = tree.find_compatible("IBM,ppc-xicp");
        let phandle = xics.first().and_then(|&n| tree.phandle_of(n));
        for n in xics {
            let _ = tree.remove_node(n);
        }
        if !tree.find_compatible("ibm,power-ivpe").is_empty() {
            return;
        }
        let user = XIVE_TM_BASE + (3 << XIVE_TM_SHIFT);
        let os = XIVE_TM_BASE + (2 << XIVE_TM_SHIFT);
        let size = 1u64 << XIVE_TM_SHIFT;
        let n = tree.add_child(root, &format!("interrupt-controller@{user:x}"));
        let reg: Vec<u32> = [user, size, os, size]
            .iter()
            .flat_map(|v| [(v >> 32) as u32, *v as u32])
            .collect();
        tree.set_prop(n, "device_type", string("power-ivpe"));
        tree.set_prop(n, "reg", cells(&reg));
        tree.set_prop(n, "compatible", string("ibm,power-ivpe"));
        tree.set_prop(n, "ibm,xive-eq-sizes", cells(&[XIVE_EQ_SHIFT]));
        tree.set_prop(
            n,
            "ibm,xive-lisn-ranges",
            cells(&[0, self.machine.servers.max(1)]),
        );
        tree.set_prop(n, "interrupt-controller", Vec::new());
        tree.set_prop(n, "#interrupt-cells", cells(&[2]));
        if let Some(p) = phandle {
            tree.set_prop(n, "linux,phandle", cells(&[p]));
            tree.set_prop(n, "phandle", cells(&[p]));
        }
        tree.set_prop(root, "ibm,plat-res-int-priorities", cells(&[7, 0xf8]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MachineConfig;

    fn fw(blob: &[u8]) -> (Firmware, Tree) {
        let t = of_tree::dtb::read(blob).unwrap();
        (Firmware::new(&t, &MachineConfig::default()).unwrap(), t)
    }

    fn ask(f: &mut Firmware, intarch: u8, vec4: u8) -> Result<CasOutcome, CasError> {
        let mut v5 = vec![0u8; 26];
        v5[OV5_INTARCH - 1] = intarch;
        let ov = OptionVectors::new(vec![vec![0; 3], vec![0; 5], vec![0; 2], vec![vec4, 10], v5]);
        let table = ov.to_table(&[(0xffff_0000, 0x004e_0000), (0xffff_fffe, 0x0f00_0001)]);
        let mut mem = Memory::new(0x2000, 0x400);
        assert!(mem.write_bytes(0x2100, &table));
        f.client_architecture_support(&mem, 0x2100)
    }

    #[test]
    fn the_offer_comes_from_chosen() {
        let (f, _) = fw(include_bytes!(
            "../../fixtures/linux-guest/qemu-initial.dtb"
        ));
        assert_eq!(f.intc_offer, IntcOffer::Either);
        let (f, _) = fw(include_bytes!("../../fixtures/qemu/a_xive.dtb"));
        assert_eq!(f.intc_offer, IntcOffer::Xive);
        let (f, _) = fw(include_bytes!("../../fixtures/qemu/d_smp4_xics.dtb"));
        assert_eq!(f.intc_offer, IntcOffer::Xics);
    }

    #[test]
    fn modes_are_granted_or_refused_as_qemu_does() {
        let (mut dual, _) = fw(include_bytes!(
            "../../fixtures/linux-guest/qemu-initial.dtb"
        ));
        assert_eq!(
            ask(&mut dual, OV5_XIVE_EXPLOIT, 0).unwrap().mode,
            IntcMode::Xive
        );
        assert_eq!(ask(&mut dual, 0, 0).unwrap().mode, IntcMode::Xics);
        let (mut xics, _) = fw(include_bytes!("../../fixtures/qemu/d_smp4_xics.dtb"));
        assert_eq!(ask(&mut xics, OV5_XIVE_EXPLOIT, 0), Err(CasError::NoXive));
        assert_eq!(xics.intc_mode(), None, "a refusal settles nothing");
        let (mut xive, _) = fw(include_bytes!("../../fixtures/qemu/a_xive.dtb"));
        assert_eq!(ask(&mut xive, 0, 0), Err(CasError::NoXics));
        let out = ask(&mut xive, OV5_XIVE_EXPLOIT, OV4_MSI_BUSY).unwrap();
        assert!(out.msi_busy);
    }

    #[test]
    fn malformed_tables_are_refused() {
        let (mut f, _) = fw(include_bytes!(
            "../../fixtures/linux-guest/qemu-initial.dtb"
        ));
        let mem = Memory::new(0x2000, 0x10);
        assert_eq!(
            f.client_architecture_support(&mem, 0x2000),
            Err(CasError::Malformed(0x2000))
        );
        assert!(f.client_architecture_support(&mem, 0x9000).is_err());
        // A vector longer than the table.
        let mut mem = Memory::new(0x2000, 0x20);
        mem.write_bytes(0x2000, &[0, 0, 0, 0, 0, 0, 0, 1, 0, 0xff, 1]);
        assert!(f.client_architecture_support(&mem, 0x2000).is_err());
    }

    /// A node's properties: (name, value).
    type Props = Vec<(String, Vec<u8>)>;

    /// Properties of a node, less what SLOF adds.
    fn props(t: &Tree, n: NodeId) -> Props {
        let mut v: Vec<(String, Vec<u8>)> = t
            .node(n)
            .props
            .iter()
            .filter(|p| !p.name().starts_with("slof,") && !p.name().contains("phandle"))
            .map(|p| (p.name().to_string(), p.value.to_vec()))
            .collect();
        v.sort();
        v
    }

    fn controllers(t: &Tree) -> Vec<(String, Props)> {
        let mut v: Vec<_> = t
            .with_prop("interrupt-controller")
            .map(|n| (t.path(n), props(t, n)))
            .collect();
        v.sort();
        v
    }

    #[test]
    fn the_tree_after_cas_is_the_guests() {
        let (mut f, mut t) = fw(include_bytes!(
            "../../fixtures/linux-guest/qemu-initial.dtb"
        ));
        let guest =
            of_tree::dtb::read(include_bytes!("../../fixtures/linux-guest/guest-fdt.dtb")).unwrap();
        assert_ne!(controllers(&t), controllers(&guest), "before CAS: XICS");
        ask(&mut f, OV5_XIVE_EXPLOIT, 0).unwrap();
        f.update_tree_after_cas(&mut t);
        assert_eq!(controllers(&t), controllers(&guest));
        let rtas = |t: &Tree| props(t, t.find("/rtas").unwrap());
        let tokens = |t: &Tree| -> Vec<(String, Vec<u8>)> {
            rtas(t).into_iter().filter(|(_, v)| v.len() == 4).collect()
        };
        let keep = |v: Vec<(String, Vec<u8>)>| -> Vec<(String, Vec<u8>)> {
            v.into_iter()
                .filter(|(n, _)| !n.starts_with("linux,") && !n.contains("associativity"))
                .collect()
        };
        assert_eq!(keep(tokens(&t)), keep(tokens(&guest)));
        let prio = |t: &Tree| {
            t.node(t.root())
                .prop("ibm,plat-res-int-priorities")
                .map(|p| p.value.to_vec())
        };
        assert_eq!(prio(&t), prio(&guest));
        // The interrupt-map's phandle still names the controller.
        let x = t.find_compatible("ibm,power-ivpe")[0];
        assert_eq!(t.phandle_of(x), Some(0x1111));
        let chosen = t.find("/chosen").unwrap();
        assert_eq!(
            t.node(chosen).prop(PROP_VEC5).unwrap().value[OV5_INTARCH],
            0x40
        );
    }

    #[test]
    fn xics_leaves_the_tree_and_missing_offers_are_published() {
        let (mut f, mut t) = fw(include_bytes!(
            "../../fixtures/linux-guest/qemu-initial.dtb"
        ));
        ask(&mut f, 0, 0).unwrap();
        let before = controllers(&t);
        f.update_tree_after_cas(&mut t);
        assert_eq!(controllers(&t), before);
        let src = "/dts-v1/; / { interrupt-controller { compatible = \"ibm,power-ivpe\"; interrupt-controller; }; };";
        let mut t = of_tree::dts::parse_str(src, "t.dts").unwrap();
        let f = Firmware::new(&t, &MachineConfig::default()).unwrap();
        f.publish_platform_support(&mut t);
        assert_eq!(platform_support(&t, 23), Some(OV5_XIVE_EXPLOIT));
        assert_eq!(IntcOffer::from_tree(&t), IntcOffer::Xive);
    }
}
