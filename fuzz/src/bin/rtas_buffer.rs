//! AFL target: `pseries_sim::fuzzing::rtas_buffer`.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        pseries_sim::fuzzing::rtas_buffer(data);
    });
}
