//! AFL target: `pseries_sim::fuzzing::dts`.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        pseries_sim::fuzzing::dts(data);
    });
}
