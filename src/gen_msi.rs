//! `gen --msi-devices N`: non-PCI MSI devices added to a generated pSeries tree, in the
//! binding of [`rtas::msgdev`]: HPET-like timers and consolidators of wired interrupts
//! by turns, at the root, each bound through `msi-parent` to the first PHB, which
//! becomes an `msi-controller`.

use crate::gen::{cells, string};
use of_tree::Tree;
use rtas::msgdev::{PROP_MSI_CONTROLLER, PROP_MSI_VECTORS};

/// Most devices `gen` adds.
pub const MAX_MSI_DEVICES: u32 = 256;
/// Where the first device's message slots are; each next one a page on.
pub const MSI_DEVICE_BASE: u64 = 0xf000_0000;
/// Bytes of `reg` each device gets.
pub const MSI_DEVICE_SPAN: u64 = 0x1000;
/// The first PHB's phandle, which the devices' `msi-parent` names, when it has none.
pub const PHB_PHANDLE: u32 = 0x2000;
/// Vectors of an HPET-like timer (its comparators).
pub const HPET_VECTORS: u32 = 4;
/// Vectors of a consolidator (its wired inputs).
pub const CONSOLIDATOR_VECTORS: u32 = 16;

/// Adds `n` devices: even ones `hpet@ADDR` (4 vectors), odd ones `consolidator@ADDR`
/// (16). Errors when `n` is past [`MAX_MSI_DEVICES`] or the tree has no PHB.
pub fn add_msi_devices(t: &mut Tree, n: u32) -> Result<(), String> {
    if n == 0 {
        return Ok(());
    }
    if n > MAX_MSI_DEVICES {
        return Err(format!("give at most {MAX_MSI_DEVICES} devices"));
    }
    let root = t.root();
    let phb = t
        .node(root)
        .children()
        .iter()
        .copied()
        .find(|&c| t.at(c).string("device_type").ok().flatten() == Some("pci"))
        .ok_or("the tree has no PHB to be their MSI controller")?;
    let phandle = match t.phandle_of(phb) {
        Some(p) => p,
        None => {
            t.set_prop(phb, "phandle", cells(&[PHB_PHANDLE]));
            PHB_PHANDLE
        }
    };
    t.set_prop(phb, PROP_MSI_CONTROLLER, Vec::new());
    for i in 0..n {
        let addr = MSI_DEVICE_BASE + MSI_DEVICE_SPAN * i as u64;
        let (name, compatible, vectors) = if i % 2 == 0 {
            ("hpet", "pseries-sim,hpet-msi", HPET_VECTORS)
        } else {
            (
                "consolidator",
                "pseries-sim,msi-consolidator",
                CONSOLIDATOR_VECTORS,
            )
        };
        let d = t.add_child(root, &format!("{name}@{addr:x}"));
        t.set_prop(d, "compatible", string(compatible));
        let span = MSI_DEVICE_SPAN;
        t.set_prop(
            d,
            "reg",
            cells(&[
                (addr >> 32) as u32,
                addr as u32,
                (span >> 32) as u32,
                span as u32,
            ]),
        );
        t.set_prop(d, "msi-parent", cells(&[phandle]));
        t.set_prop(d, PROP_MSI_VECTORS, cells(&[vectors]));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gen::{generate, GenSpec};

    #[test]
    fn devices_bound_to_the_first_phb() {
        let spec = GenSpec {
            phbs: 2,
            functions: 1,
            msix: 2,
            msi: 0,
        };
        let mut t = generate(&spec);
        add_msi_devices(&mut t, 3).unwrap();
        let nodes = rtas::msgdev::msi_device_nodes(&t);
        let paths: Vec<String> = nodes.iter().map(|&n| t.path(n)).collect();
        assert_eq!(
            paths,
            ["/hpet@f0000000", "/consolidator@f0001000", "/hpet@f0002000"]
        );
        for &n in &nodes {
            assert_eq!(rtas::msgdev::parent_problem(&t, n), None);
        }
        assert!(add_msi_devices(&mut t, MAX_MSI_DEVICES + 1).is_err());
    }
}
