//! `ibm,client-architecture-support` (CAS): the OS hands over its option vectors, the
//! firmware picks the interrupt mode from what the machine offers, and the tree the OS
//! reads afterwards describes the chosen controller (as QEMU rebuilds it at CAS).

use crate::firmware::Firmware;
use crate::memory::Memory;
use of_tree::{NodeId, Tree};

use crate::offer::platform_support;
pub use crate::offer::IntcOffer;
pub use papr_abi::cas::*;
/// Most bytes an option-vector table may have.
const MAX_TABLE: usize = 4096;

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
