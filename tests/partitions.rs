//! Partitions as an OS sees them: booted in one, it finds only that partition's PHBs.
//! What the firmware refuses across partitions is the rtas crate's
//! `rtas/tests/partitions.rs`.

mod common;

use common::*;

#[test]
fn an_os_sees_only_its_partitions_phbs() {
    let mut tree = fixture_tree("qemu/c_phb1.dtb");
    let phb1 = tree.find("/pci@800000020000001").unwrap();
    tree.set_prop(phb1, "pseries-sim,partition", 1u32.to_be_bytes().to_vec());
    let opts = pseries_sim::BootOptions {
        partition: 1,
        ..Default::default()
    };
    let rep = pseries_sim::boot::boot_all(tree, opts).unwrap();
    let k = rep.kernel;
    assert_eq!(k.phbs.len(), 1);
    assert!(k.devices.iter().all(|d| d.name.starts_with("0001:")));
    assert_eq!(rep.failed, 0);
    assert!(rep.vectors > 0);
}
