//! AFL target: `pseries_sim::fuzzing::import_log`.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        pseries_sim::fuzzing::import_log(data);
    });
}
