//! Helpers of `tests/lopapr.rs` (LoPAPR's change-msi sequences, which the OS takes part
//! in): the firmware-only LoPAPR helpers of `rtas/tests/common/lopapr.rs`, and an OS
//! that copes with busy answers.

#[allow(unused_imports)]
pub use super::lopapr_firmware::{cells, seen, B};

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
