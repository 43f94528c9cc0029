//! The ops table: a description that fills no hook but its probe still boots on the
//! kernel's generic fallbacks (interrupt controller and PHBs from the tree, no MSI:
//! drivers use their LSIs, unmasked through the controller's registers).

use platform::ops::MachineDescription;
use pseries_sim::harness::{self, BootOptions};

static EMPTY: MachineDescription = MachineDescription {
    name: "empty",
    probe: |_| true,
    ..MachineDescription::EMPTY
};

#[test]
fn a_description_with_empty_hooks_boots_on_the_fallbacks() {
    let blob = include_bytes!("../fixtures/linux-guest/qemu-initial.dtb");
    let tree = of_tree::dtb::read(blob).unwrap();
    let opts = BootOptions {
        force: Some(&EMPTY),
        ..Default::default()
    };
    let mut rep = pseries_sim::boot::boot_all(tree, opts).unwrap();
    let k = &mut rep.kernel;
    assert_eq!(k.desc.name, "empty");
    assert!(
        k.intc.is_some(),
        "the default init_irq found the controller"
    );
    assert_eq!(k.phbs.len(), 2, "the default discover_phbs found both PHBs");
    assert!(!k.msi_enabled);
    assert!(k.devices.iter().all(|d| d.msi.is_none()));
    assert_eq!(harness::firmware(k).calls, 0);
    let d = k.devices.iter().position(|d| d.lsi.is_some()).unwrap();
    let ran = harness::fire_lsi(k, d).unwrap();
    assert!(ran.iter().any(|h| h.dev == d && h.vector.is_none()));
}
