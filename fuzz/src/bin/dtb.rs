//! AFL target: `pseries_sim::fuzzing::dtb`.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        pseries_sim::fuzzing::dtb(data);
    });
}
