//! AFL target: `pseries_sim::fuzzing::scenario`.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        pseries_sim::fuzzing::scenario(data);
    });
}
