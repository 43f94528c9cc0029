//! Helpers of `tests/lopapr.rs` (LoPAPR's change-msi sequences, which the OS takes part
//! in). The firmware-only LoPAPR tests and the rest of these helpers are in
//! `rtas/tests/` (`rtas/tests/common/lopapr.rs`).

use rtas::{Firmware, FnRef};

/// The fixture with one function of each MSI kind.
pub const B: &str = "qemu/b_devices.dtb";

/// A function's config address and its PHB's BUID cells.
pub fn cells(fw: &Firmware, r: FnRef) -> [u32; 3] {
    let (hi, lo) = super::buid_cells(fw, r);
    [super::cfg_addr(fw, r), hi, lo]
}

/// What the OS can see of a function's MSI state: the capability's control word, the
/// command register, every message, and each vector's source.
pub fn seen(fw: &mut Firmware, r: FnRef, n: u32) -> (u32, u32, Vec<(u64, u32)>, Vec<i64>) {
    let f = fw.machine.function(r);
    let (ctl, msgs) = match (f.msi, f.msix, f.msix_table.as_ref()) {
        (Some(cap), _, _)
            if f.msix.is_none_or(|c| !c.enabled(&f.config)) && cap.enabled(&f.config) =>
        {
            (
                f.config.read(cap.offset as u32 + 2, 2).unwrap(),
                (0..n).map(|i| cap.message(&f.config, i)).collect(),
            )
        }
        (_, Some(cap), Some(t)) => (
            f.config.read(cap.offset as u32 + 2, 2).unwrap(),
            (0..n).map(|i| t.message(i).unwrap()).collect(),
        ),
        _ => panic!("no MSI enabled"),
    };
    let cmd = f.config.read(4, 2).unwrap();
    let sources = (0..n).map(|i| super::query(fw, r, i)[1]).collect();
    (ctl, cmd, msgs, sources)
}

/// The OS booted on [`B`], having said at CAS that it copes with busy answers, with
/// these faults planned in its firmware.
pub fn busy_os(faults: &[rtas::faults::FaultRule]) -> platform::kernel::Kernel {
    let opts = pseries_sim::BootOptions {
        msi_busy: true,
        ..Default::default()
    };
    let mut k = pseries_sim::harness::boot(crate::common::fixture_tree(B), opts).unwrap();
    let fw = pseries_sim::harness::firmware_mut(&mut k);
    for f in faults {
        fw.faults.add(f.clone());
    }
    k
}
