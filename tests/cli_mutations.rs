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

/// Runs `pseries-sim ARGS` on each of `n` mutations of the seeds (taken in turn),
/// passed through `prepare` and written to `name` in a scratch folder; checks how
/// every run ended.
fn through_cli(
    kind: &str,
    seeds: &[Vec<u8>],
    name: &str,
    n: usize,
    prepare: impl Fn(&[u8]) -> Vec<u8>,
    args: impl Fn(&std::path::Path, &[u8]) -> Vec<String>,
) {
    assert!(!seeds.is_empty(), "{kind}: no seeds");
    let dir = scratch(&format!("cli-mut-{kind}"));
    let file = dir.join(name);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ kind.len() as u64);
    let (mut ok, mut refused) = (0, 0);
    for i in 0..n {
        let seed = &seeds[i % seeds.len()];
        let m = if i < seeds.len() {
            seed.to_vec()
        } else {
            mutate(&mut rng, seed)
        };
        std::fs::write(&file, prepare(&m)).unwrap();
        let o = Command::new(env!("CARGO_BIN_EXE_pseries-sim"))
            .args(args(&file, &m))
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
        // The seeds themselves must go through, or the mutations test nothing.
        assert!(
            i >= seeds.len() || code == Some(0),
            "{kind}: seed {i} refused: {stderr}"
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

const N: usize = 2000;

fn same(b: &[u8]) -> Vec<u8> {
    b.to_vec()
}

fn read(p: impl AsRef<std::path::Path>) -> Vec<u8> {
    std::fs::read(p).unwrap()
}

#[test]
fn device_trees() {
    let dtbs: Vec<Vec<u8>> = fixture_dtbs().iter().map(read).collect();
    through_cli("dtb", &dtbs, "t.dtb", N, same, |f, _| {
        vec![
            "dt".into(),
            f.display().to_string(),
            "-o".into(),
            "out".into(),
        ]
    });
    // Every DTS test file but the one that includes others.
    let mut names: Vec<_> = std::fs::read_dir(root().join("of-tree/tests/dts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "dts") && !p.ends_with("20_include.dts"))
        .collect();
    names.sort();
    let dts: Vec<Vec<u8>> = names.iter().map(read).collect();
    assert!(dts.len() >= 30, "{} DTS seeds", dts.len());
    through_cli("dts", &dts, "t.dts", N, same, |f, _| {
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
    let tree = fixture("linux-guest/qemu-initial.dtb")
        .display()
        .to_string();
    // As the fuzz target reads them: byte 0 picks the profile (bit 0) and the calling
    // partition (bit 1), byte 1 where the buffer starts; the rest is OS memory.
    let mut names: Vec<_> = std::fs::read_dir(root().join("fuzz/seeds/rtas"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    let seeds: Vec<Vec<u8>> = names.iter().map(read).collect();
    assert!(seeds.len() >= 5, "{} RTAS seeds", seeds.len());
    let strip = |m: &[u8]| m.get(2..).unwrap_or_default().to_vec();
    through_cli("rtas", &seeds, "b.bin", N, strip, move |f, m| {
        let sel = m.first().copied().unwrap_or(0);
        let at = m.get(1).copied().unwrap_or(0) & !3;
        let profile = if sel & 1 == 1 { "qemu" } else { "papr" };
        vec![
            "call".into(),
            f.display().to_string(),
            "--machine".into(),
            tree.clone(),
            "--profile".into(),
            profile.into(),
            "--partition".into(),
            ((sel >> 1) & 1).to_string(),
            "--at".into(),
            at.to_string(),
        ]
    });
}

#[test]
fn replay_logs() {
    let seed = std::fs::read(root().join("fuzz/seeds/replay/guest-head.jsonl")).unwrap();
    let tree = fixture("linux-guest/qemu-initial.dtb")
        .display()
        .to_string();
    through_cli("replay", &[seed], "l.jsonl", N, same, move |f, _| {
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
    let fixture_sc = std::fs::read_to_string(root().join("fixtures/suspend-renumber.scenario"))
        .unwrap()
        .replace(
            "machine ",
            &format!("machine {}/", root().join("fixtures").display()),
        );
    let seeds = [text.into_bytes(), fixture_sc.into_bytes()];
    through_cli("scenario", &seeds, "s.scenario", N, same, |f, _| {
        vec!["run".into(), f.display().to_string()]
    });
    let blob = read(root().join("fuzz/seeds/state/two-devices.state"));
    let sc = format!("machine {}\nboot\nrestore blob.state\n", tree.display());
    let run_sc = move |f: &std::path::Path, _: &[u8]| {
        std::fs::write(f.with_file_name("r.scenario"), &sc).unwrap();
        vec![
            "run".into(),
            f.with_file_name("r.scenario").display().to_string(),
        ]
    };
    through_cli("state", &[blob], "blob.state", N, same, &run_sc);
    // Mutated payloads in a valid header and checksum, to reach the decoder and the
    // consistency checks rather than the checksum.
    let payload = read(root().join("fuzz/seeds/state/two-devices.payload"));
    let id = firmware("linux-guest/qemu-initial.dtb", rtas::Profile::Papr).tree_id;
    let wrap = move |p: &[u8]| rtas::state::wrap_payload(id, p);
    through_cli("state-payload", &[payload], "blob.state", N, wrap, &run_sc);
}

#[test]
fn imported_logs() {
    let log = std::fs::read_to_string(fixture("linux-guest/msi-log.txt")).unwrap();
    let head: String = log.lines().take(200).map(|l| format!("{l}\n")).collect();
    through_cli("import", &[head.into_bytes()], "m.log", N, same, |f, _| {
        vec![
            "import".into(),
            f.display().to_string(),
            "-o".into(),
            "calls.jsonl".into(),
        ]
    });
}
