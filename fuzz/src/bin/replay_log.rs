//! AFL target: `pseries_sim::fuzzing::replay_log`.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        pseries_sim::fuzzing::replay_log(data);
    });
}
