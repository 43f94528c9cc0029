//! The fuzz targets' bodies: every input a user or an OS hands pseries-sim, as bytes.
//! The `fuzz/` crate runs them under AFL; `tests/fuzz_regressions.rs` runs them over
//! the seed corpora and every input a fuzzer ever crashed. Each must return, whatever
//! the bytes: a panic is a bug.

use std::sync::OnceLock;

/// The machine every target that needs one uses: QEMU's tree of the Linux guest.
pub const MACHINE: &[u8] = include_bytes!("../fixtures/linux-guest/qemu-initial.dtb");

fn machine(profile: rtas::Profile) -> rtas::Firmware {
    static PAPR: OnceLock<rtas::Firmware> = OnceLock::new();
    static QEMU: OnceLock<rtas::Firmware> = OnceLock::new();
    let cell = if profile == rtas::Profile::Qemu {
        &QEMU
    } else {
        &PAPR
    };
    let fw = cell.get_or_init(|| {
        let tree = of_tree::dtb::read(MACHINE).expect("the built-in tree reads");
        let cfg = rtas::MachineConfig {
            profile,
            pool_size: None,
            bare_metal: false,
        };
        let mut fw = rtas::Firmware::new(&tree, &cfg).expect("the built-in machine builds");
        fw.log_enabled = false;
        fw
    });
    fw.clone()
}

/// A device tree blob: read it; what reads must write and read back to the same tree.
pub fn dtb(data: &[u8]) {
    if let Ok(t) = of_tree::dtb::read(data) {
        let blob = of_tree::dtb::write(&t, &Default::default()).expect("a read tree writes");
        let back = of_tree::dtb::read(&blob).expect("a written tree reads");
        assert!(back == t, "DTB round trip changed the tree");
    }
}

/// Device tree source: parse it; what parses must print and parse back.
pub fn dts(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(t) = of_tree::dts::parse_str(&text, "fuzz.dts") {
        let printed = of_tree::dts::print(&t);
        of_tree::dts::parse_str(&printed, "printed.dts").expect("printed DTS parses");
    }
}

/// An RTAS call buffer: byte 0 picks the profile and partition, byte 1 where the
/// buffer starts; the rest is OS memory. A refused call changes nothing.
pub fn rtas_buffer(data: &[u8]) {
    let (Some(&sel), Some(&at)) = (data.first(), data.get(1)) else {
        return;
    };
    let profile = if sel & 1 == 1 {
        rtas::Profile::Qemu
    } else {
        rtas::Profile::Papr
    };
    let mut fw = machine(profile);
    let mut mem = rtas::memory::Memory::new(0x4000, data.len().saturating_sub(2).max(4));
    mem.bytes_mut()[..data.len().saturating_sub(2)].copy_from_slice(&data[2.min(data.len())..]);
    let addr = 0x4000 + (at as u64 & !3);
    let before = fw.machine.clone();
    // Twice: the second call sees the state the first one left.
    for _ in 0..2 {
        if fw
            .call_buffer_as((sel >> 1) as u32 & 1, &mut mem, addr)
            .is_err()
        {
            assert!(fw.machine == before, "a refused buffer changed the machine");
            return;
        }
    }
    // A state the calls reached must save; the unchanged built-in machine is saved by
    // the state tests already, so it is skipped here for speed.
    if fw.machine != before {
        let _ = fw.save();
    }
}

/// A call log: read it and replay it.
pub fn replay_log(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Ok(log) = rtas::calllog::from_jsonl(&text) {
        for profile in [rtas::Profile::Papr, rtas::Profile::Qemu] {
            let mut fw = machine(profile);
            let rep = rtas::replay::replay(&mut fw, &log);
            assert_eq!(rep.calls, log.len());
        }
    }
}

/// A scenario: parse it, and run its driver actions on the built-in machine (commands
/// that read or write files are skipped).
pub fn scenario(data: &[u8]) {
    use crate::scenario::Command;
    let text = String::from_utf8_lossy(data);
    let Ok(steps) = crate::scenario::parse(&text, "fuzz.scenario") else {
        return;
    };
    static TREE: OnceLock<of_tree::Tree> = OnceLock::new();
    let tree = TREE
        .get_or_init(|| of_tree::dtb::read(MACHINE).expect("the built-in tree reads"))
        .clone();
    let opts = crate::BootOptions {
        trace: false,
        rtas_log: false,
        ..Default::default()
    };
    let Ok(mut k) = crate::harness::boot(tree, opts) else {
        return;
    };
    for s in steps.iter().take(200) {
        match &s.cmd {
            Command::Request {
                dev,
                kind,
                n,
                min,
                start,
            } => {
                if let Ok(d) = k.device(dev) {
                    let _ = k.request_started(d, *kind, (*n).min(4096), *min, *start);
                }
            }
            Command::Free(dev) => {
                if let Ok(d) = k.device(dev) {
                    let _ = k.free(d);
                }
            }
            Command::Unbind(dev) => {
                if let Ok(d) = k.device(dev) {
                    k.unbind(d);
                }
            }
            Command::Start(dev, v) => {
                if let Ok(d) = k.device(dev) {
                    let held = k.devices[d].msi.as_ref().map_or(0, |m| m.virqs.len());
                    for v in v.map_or(0..held as u32, |v| v..v.saturating_add(1)) {
                        let _ = k.start_vector(d, v);
                    }
                }
            }
            Command::Fire(dev, v) => {
                if let Ok(d) = k.device(dev) {
                    let _ = crate::harness::fire(&mut k, d, *v);
                }
            }
            Command::Suspend => {
                let _ = k.suspend();
            }
            Command::Resume(m) => {
                let _ = crate::harness::resume(&mut k, *m);
            }
            Command::ExpectVirqsStable => {
                let _ = crate::scenario::virqs_stable(&mut k);
            }
            _ => {}
        }
    }
}

/// A firmware state blob: restored as given (nearly always refused by its checksum),
/// then with a valid header and checksum put around it, to reach the decoder and the
/// consistency checks. A refused blob changes nothing.
pub fn state_blob(data: &[u8]) {
    let mut fw = machine(rtas::Profile::Papr);
    let before = fw.machine.clone();
    if fw.restore(data).is_err() {
        assert!(fw.machine == before, "a refused blob changed the machine");
    }
    let mut fw = machine(rtas::Profile::Papr);
    let wrapped = rtas::state::wrap_payload(fw.tree_id, data);
    if fw.restore(&wrapped).is_ok() {
        let _ = fw.save();
        for r in fw.machine.functions().collect::<Vec<_>>() {
            let _ = fw.machine.signal(r, 0);
        }
    } else {
        assert!(fw.machine == before, "a refused blob changed the machine");
    }
}

/// A QEMU + Linux log to import: what imports must write a call log that reads back
/// the same and driver actions that parse as a scenario.
pub fn import_log(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(imp) = crate::import::import(&text, &Default::default()) else {
        return;
    };
    let jsonl = rtas::calllog::to_jsonl(&imp.calls);
    let back = rtas::calllog::from_jsonl(&jsonl).expect("a written call log reads");
    assert!(back == imp.calls, "call log round trip changed the calls");
    let mut sc = String::from("machine m.dtb\nprofile qemu\n");
    for a in &imp.actions {
        sc.push_str(a);
        sc.push('\n');
    }
    if let Err(e) = crate::scenario::parse(&sc, "imported.scenario") {
        panic!("imported actions do not parse: {e}\n{sc}");
    }
}
