//! change-msi's base form without `ibm,change-msix-capable` (LoPAPR R1-1 of
//! `ibm,change-msi`: functions 0 to 2 with 3 outputs).

use crate::machine::MachineConfig;
use crate::service::Service;
use crate::Firmware;

fn old_firmware() -> Firmware {
    let blob = include_bytes!("../../../fixtures/qemu/b_devices.dtb");
    let mut tree = of_tree::dtb::read(blob).unwrap();
    let rtas = tree.find("/rtas").unwrap();
    tree.remove_prop(rtas, "ibm,change-msix-capable");
    Firmware::new(&tree, &MachineConfig::default()).unwrap()
}

#[test]
fn function_0_queries_without_change_msix_capable() {
    let mut fw = old_firmware();
    assert!(!fw.tokens.change_msix_capable);
    let r = fw
        .machine
        .functions()
        .find(|&r| fw.machine.function(r).msi.is_some())
        .unwrap();
    let c = fw.machine.function(r).addr.config_addr();
    let b = fw.machine.phbs[r.phb].buid;
    let (hi, lo) = ((b >> 32) as u32, b as u32);
    let call = |fw: &mut Firmware, f: u32, n: u32, nret: usize| {
        fw.call(Service::ChangeMsi, &[c, hi, lo, f, n, 1], nret)
            .unwrap()
    };
    assert_eq!(call(&mut fw, 0, 0, 3), vec![0, 0, 2], "nothing yet");
    assert_eq!(call(&mut fw, 1, 1, 3), vec![0, 1, 2]);
    assert_eq!(call(&mut fw, 0, 0, 3), vec![0, 1, 2], "one now");
    assert_eq!(
        call(&mut fw, 0, 0, 4)[0] as i32,
        -3,
        "4 outputs need the flag"
    );
    assert_eq!(call(&mut fw, 3, 1, 3)[0] as i32, -3, "function 3 needs it");
    assert_eq!(call(&mut fw, 2, 0, 3), vec![0, 0, 2]);
}
