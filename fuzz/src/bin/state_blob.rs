//! AFL target: `pseries_sim::fuzzing::state_blob`.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        pseries_sim::fuzzing::state_blob(data);
    });
}
