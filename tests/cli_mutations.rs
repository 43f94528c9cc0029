//! Thousands of mutated inputs of each kind through the command-line program: no run
//! ends in a panic or a signal, and every failure prints a message.

mod common;

use common::*;
use std::process::Command;

fn mutate(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for _ in 0..1 + rng.next() % 3 {
        if b.is_empty() {
            b.push(rng.next() as u8);
            continue;
        }
        let at = (rng.next() % b.len() as u64) as usize;
        match rng.next() % 4 {
            0 => b[at] ^= 1 << (rng.next() % 8),
            1 => b[at] = rng.next() as u8,
            2 => {
                let end = (at + 1 + (rng.next() % 8) as usize).min(b.len());
                b.drain(at..end);
            }
            _ => b.truncate(at),
        }
    }
    b
}

/// Runs `pseries-sim ARGS` on each of `n` mutations of `seed` written to `name` in a
/// scratch folder; checks how every run ended.
fn through_cli(
    kind: &str,
    seed: &[u8],
    name: &str,
    n: usize,
    args: impl Fn(&std::path::Path) -> Vec<String>,
) {
    let dir = scratch(&format!("cli-mut-{kind}"));
    let file = dir.join(name);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ kind.len() as u64);
    let (mut ok, mut refused) = (0, 0);
    for i in 0..n {
        let m = if i == 0 {
            seed.to_vec()
        } else {
            mutate(&mut rng, seed)
        };
        std::fs::write(&file, &m).unwrap();
        let o = Command::new(env!("CARGO_BIN_EXE_pseries-sim"))
            .args(args(&file))
            .current_dir(&dir)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        let code = o.status.code();
        assert!(code.is_some(), "{kind} mutation {i} ended by a signal");
        assert!(
            !stderr.contains("internal error") && !stderr.contains("panicked"),
            "{kind} mutation {i} panicked: {stderr}"
        );
        match code {
            Some(0) => ok += 1,
            Some(1) => {
                assert!(
                    !stderr.trim().is_empty() || !o.stdout.is_empty(),
                    "{kind} mutation {i} failed silently"
                );
                refused += 1;
            }
            other => panic!("{kind} mutation {i}: exit status {other:?}: {stderr}"),
        }
    }
    assert!(
        ok + refused == n && refused > 0,
        "{kind}: {ok} accepted, {refused} refused"
    );
}

const N: usize = 1000;

#[test]
fn device_trees() {
    let dtb = std::fs::read(fixture("qemu/a_default.dtb")).unwrap();
    through_cli("dtb", &dtb, "t.dtb", N, |f| {
        vec![
            "dt".into(),
            f.display().to_string(),
            "-o".into(),
            "out".into(),
        ]
    });
    let dts = std::fs::read(root().join("tests/dts/15_ref_extend.dts")).unwrap();
    through_cli("dts", &dts, "t.dts", N, |f| {
        vec![
            "dt".into(),
            f.display().to_string(),
            "-o".into(),
            "out.dtb".into(),
        ]
    });
}

#[test]
fn rtas_buffers() {
    let seed = std::fs::read(root().join("fuzz/seeds/rtas/change-msi-msix.bin")).unwrap();
    let tree = fixture("linux-guest/qemu-initial.dtb")
        .display()
        .to_string();
    through_cli("rtas", &seed[2..], "b.bin", N, move |f| {
        vec![
            "call".into(),
            f.display().to_string(),
            "--machine".into(),
            tree.clone(),
        ]
    });
}

#[test]
fn replay_logs() {
    let seed = std::fs::read(root().join("fuzz/seeds/replay/guest-head.jsonl")).unwrap();
    let tree = fixture("linux-guest/qemu-initial.dtb")
        .display()
        .to_string();
    through_cli("replay", &seed, "l.jsonl", N, move |f| {
        vec![
            "replay".into(),
            f.display().to_string(),
            "--machine".into(),
            tree.clone(),
            "--profile".into(),
            "qemu".into(),
        ]
    });
}

#[test]
fn scenarios_and_state_blobs() {
    let tree = fixture("linux-guest/qemu-initial.dtb");
    let text = format!(
        "machine {}\nprofile qemu\nboot\nrequest 0000:00:01.0 msix 3\nfire 0000:00:01.0 2\nsuspend\nresume renumber\nexpect virqs-stable\nfree 0000:00:01.0\n",
        tree.display()
    );
    through_cli("scenario", text.as_bytes(), "s.scenario", N, |f| {
        vec!["run".into(), f.display().to_string()]
    });
    let blob = std::fs::read(root().join("fuzz/seeds/state/two-devices.state")).unwrap();
    let sc = format!("machine {}\nboot\nrestore blob.state\n", tree.display());
    through_cli("state", &blob, "blob.state", N, move |f| {
        std::fs::write(f.with_file_name("r.scenario"), &sc).unwrap();
        vec![
            "run".into(),
            f.with_file_name("r.scenario").display().to_string(),
        ]
    });
}

#[test]
fn imported_logs() {
    let log = std::fs::read_to_string(fixture("linux-guest/msi-log.txt")).unwrap();
    let head: String = log.lines().take(200).map(|l| format!("{l}\n")).collect();
    through_cli("import", head.as_bytes(), "m.log", N, |f| {
        vec![
            "import".into(),
            f.display().to_string(),
            "-o".into(),
            "calls.jsonl".into(),
        ]
    });
}
