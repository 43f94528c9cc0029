//! Firmware helpers the firmware's and the OS's integration tests share (each includes
//! this file by path): firmware built from fixtures, and the MSI calls through its typed
//! API.

use super::files::fixture;

/// A tree read from a fixture file.
pub fn fixture_tree(rel: &str) -> of_tree::Tree {
    of_tree::read_file(&fixture(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Firmware for a tree in a profile.
pub fn firmware_of(tree: &of_tree::Tree, profile: rtas::Profile) -> rtas::Firmware {
    let cfg = rtas::MachineConfig {
        profile,
        pool_size: None,
        bare_metal: false,
    };
    rtas::Firmware::new(tree, &cfg).unwrap_or_else(|e| panic!("{e}"))
}

/// Firmware for a fixture tree in a profile.
pub fn firmware(rel: &str, profile: rtas::Profile) -> rtas::Firmware {
    let cfg = rtas::MachineConfig {
        profile,
        pool_size: None,
        bare_metal: false,
    };
    rtas::Firmware::new(&fixture_tree(rel), &cfg).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// BUID cells of a function's PHB.
pub fn buid_cells(fw: &rtas::Firmware, r: rtas::FnRef) -> (u32, u32) {
    let b = fw.machine.phbs[r.phb].buid;
    ((b >> 32) as u32, b as u32)
}

/// The config address (register 0) of a function.
pub fn cfg_addr(fw: &rtas::Firmware, r: rtas::FnRef) -> u32 {
    fw.machine.function(r).addr.config_addr()
}

/// change-msi through the typed API: (config, buid hi, buid lo, func, count, seq).
pub fn change_msi(
    fw: &mut rtas::Firmware,
    r: rtas::FnRef,
    func: u32,
    count: u32,
    seq: u32,
    nret: usize,
) -> Vec<i64> {
    let (hi, lo) = buid_cells(fw, r);
    let cells = fw
        .call(
            rtas::Service::ChangeMsi,
            &[cfg_addr(fw, r), hi, lo, func, count, seq],
            nret,
        )
        .expect("change-msi exists");
    rtas::calllog::CallRecord::new("x", vec![], &cells).rets
}

/// query-interrupt-source-number through the typed API.
pub fn query(fw: &mut rtas::Firmware, r: rtas::FnRef, i: u32) -> Vec<i64> {
    let (hi, lo) = buid_cells(fw, r);
    let cells = fw
        .call(
            rtas::Service::QueryInterruptSourceNumber,
            &[cfg_addr(fw, r), hi, lo, i],
            3,
        )
        .expect("query exists");
    rtas::calllog::CallRecord::new("x", vec![], &cells).rets
}

/// The first function whose req# properties satisfy a test.
pub fn find_fn(
    fw: &rtas::Firmware,
    test: impl Fn(Option<u32>, Option<u32>) -> bool,
) -> rtas::FnRef {
    fw.machine
        .functions()
        .find(|&r| {
            let i = &fw.machine.function(r).info;
            test(i.req_msi, i.req_msix)
        })
        .expect("a function like that in the fixture")
}
