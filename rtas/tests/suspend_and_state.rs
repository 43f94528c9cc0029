//! What a partition keeps across `ibm,suspend-me` and a migration of its firmware
//! state. PAPR wants every assignment as it was on resume (the MSI blocks, each
//! source's server and priorities); a platform that cannot keep the numbers takes every
//! MSI away and the OS asks again, getting other numbers. A saved state restores into
//! the machine it was saved from, whole or not at all.

mod common;

use common::services::*;
use common::*;
use rtas::state::StateError;
use rtas::{Firmware, FnRef, Profile, Service};

const B: &str = "qemu/b_devices.dtb";

/// A machine in use: an MSI-X block of 4 and an MSI block of 1, one source routed
/// and the other routed then turned off.
fn in_use(profile: Profile) -> Firmware {
    let mut fw = firmware(B, profile);
    let (x, m) = (msix_only(&fw), msi_only(&fw));
    assert_eq!(change_msi(&mut fw, x, 4, 4, 1, 4)[..2], [0, 4]);
    assert_eq!(change_msi(&mut fw, m, 3, 1, 1, 4)[..2], [0, 1]);
    let sx = query(&mut fw, x, 1)[1] as u32;
    let sm = query(&mut fw, m, 0)[1] as u32;
    assert_eq!(fw.call(Service::SetXive, &[sx, 0, 5], 1).unwrap(), vec![0]);
    assert_eq!(fw.call(Service::SetXive, &[sm, 0, 3], 1).unwrap(), vec![0]);
    assert_eq!(fw.call(Service::IntOff, &[sm], 1).unwrap(), vec![0]);
    fw
}

/// What the OS can ask of its MSIs: each vector's source and trigger (the query),
/// and that source's server and priority (get-xive).
fn seen_by_os(fw: &mut Firmware) -> Vec<(FnRef, u32, Vec<i64>, Vec<u32>)> {
    let funcs: Vec<FnRef> = fw.machine.functions().collect();
    let mut out = Vec::new();
    for r in funcs {
        for i in 0..8 {
            let q = query(fw, r, i);
            if q[0] != 0 {
                break;
            }
            let x = fw.call(Service::GetXive, &[q[1] as u32], 3).unwrap();
            out.push((r, i, q, x));
        }
    }
    out
}

/// PAPR: after `ibm,suspend-me` a partition resumes with all its state, MSI
/// assignments included, as before; Linux does not ask for them again.
#[test]
fn a_keeping_resume_leaves_every_assignment_as_it_was() {
    for profile in [Profile::Papr, Profile::Qemu] {
        let mut fw = in_use(profile);
        let before = fw.machine.clone();
        let seen = seen_by_os(&mut fw);
        assert_eq!(seen.len(), 5, "{profile}: 4 MSI-X vectors and 1 MSI");
        assert_eq!(fw.call(Service::SuspendMe, &[], 1).unwrap(), vec![0]);
        assert!(fw.suspended);
        fw.resume(false);
        assert!(!fw.suspended);
        assert!(fw.machine == before, "{profile}: the machine changed");
        assert_eq!(seen_by_os(&mut fw), seen, "{profile}");
        // The source turned off still has its saved priority.
        let m = msi_only(&fw);
        let sm = query(&mut fw, m, 0)[1] as u32;
        assert_eq!(fw.call(Service::IntOn, &[sm], 1).unwrap(), vec![0]);
        assert_eq!(fw.call(Service::GetXive, &[sm], 3).unwrap(), vec![0, 0, 3]);
    }
}

/// A resume that cannot keep the numbers: every function's MSI state is as at
/// power-on (MSI and MSI-X off, MSI message cleared, MSI-X table reset, its LSI back),
/// no vector has a source any more, and a new request gets numbers none of the old
/// ones.
#[test]
fn a_renumbering_resume_takes_every_msi_away() {
    for profile in [Profile::Papr, Profile::Qemu] {
        let fresh = firmware(B, profile);
        let mut fw = in_use(profile);
        let old: Vec<u32> = seen_by_os(&mut fw)
            .iter()
            .map(|(_, _, q, _)| q[1] as u32)
            .collect();
        fw.resume(true);
        for r in fresh.machine.functions() {
            let (now, then) = (fw.machine.function(r), fresh.machine.function(r));
            let path = &then.info.path;
            // The OS's view of the capabilities: MSI and MSI-X off, the MSI control
            // word and message as at power-on.
            if let Some(cap) = then.msi {
                let ctl = |f: &rtas::pci::PciFunction| f.config.read(cap.offset as u32 + 2, 2);
                assert_eq!(ctl(now), ctl(then), "{profile}: {path}: MSI control");
                assert_eq!(
                    cap.message(&now.config, 0),
                    cap.message(&then.config, 0),
                    "{profile}: {path}: MSI message"
                );
            }
            if let Some(cap) = then.msix {
                assert!(!cap.enabled(&now.config), "{profile}: {path}: MSI-X on");
            }
            assert_eq!(
                now.config.read(4, 2),
                then.config.read(4, 2),
                "{path}: command"
            );
            assert!(
                now.msix_table == then.msix_table,
                "{profile}: {path}: MSI-X table"
            );
            assert!(!now.intx_disabled(), "{profile}: {path}: LSI off");
            assert_eq!(fw.machine.block(r), None, "{profile}: {path}");
        }
        assert!(seen_by_os(&mut fw).is_empty(), "{profile}: a source left");
        let x = msix_only(&fw);
        let nothing = if profile == Profile::Papr { 1 } else { -1 };
        assert_eq!(query(&mut fw, x, 0)[0], nothing, "{profile}");
        assert_eq!(change_msi(&mut fw, x, 4, 4, 1, 4)[..2], [0, 4]);
        for i in 0..4 {
            let s = query(&mut fw, x, i)[1] as u32;
            assert!(!old.contains(&s), "{profile}: {s:#x} given out again");
        }
    }
}

/// A state saved and restored into a machine built from the same tree is the machine
/// that was saved: every block, each source's server, priority and saved priority, the
/// allocator (the next request gets the same numbers in both), the clock and console.
#[test]
fn a_restored_state_is_the_machine_that_was_saved() {
    for profile in [Profile::Papr, Profile::Qemu] {
        let mut fw = in_use(profile);
        fw.clock.advance(5_000_000_007);
        fw.call(Service::DisplayCharacter, &[b'k' as u32], 1)
            .unwrap();
        let blob = fw.save();
        let mut back = firmware(B, profile);
        back.restore(&blob).unwrap();
        assert!(back.machine == fw.machine, "{profile}: the machine");
        assert_eq!(seen_by_os(&mut back), seen_by_os(&mut fw), "{profile}");
        assert_eq!((back.clock, back.console.as_str()), (fw.clock, "k"));
        assert_eq!(
            back.call(Service::GetTimeOfDay, &[], 8).unwrap(),
            fw.call(Service::GetTimeOfDay, &[], 8).unwrap()
        );
        let r = both(&fw);
        let (a, b) = (
            change_msi(&mut fw, r, 4, 2, 1, 4),
            change_msi(&mut back, r, 4, 2, 1, 4),
        );
        assert_eq!(a, b, "{profile}");
        assert_eq!(query(&mut back, r, 1), query(&mut fw, r, 1), "{profile}");
        let m = msi_only(&back);
        let sm = query(&mut back, m, 0)[1] as u32;
        assert_eq!(back.call(Service::IntOn, &[sm], 1).unwrap(), vec![0]);
        assert_eq!(
            back.call(Service::GetXive, &[sm], 3).unwrap(),
            vec![0, 0, 3],
            "{profile}: the saved priority came along"
        );
    }
}

/// A blob cut short, not a state, corrupted, with bytes after it, or saved from a
/// machine of another tree is refused, and the machine keeps its own state.
#[test]
fn a_damaged_or_foreign_state_is_refused_and_changes_nothing() {
    let blob = in_use(Profile::Papr).save();
    let mut fw = firmware(B, Profile::Papr);
    let m = msi_only(&fw);
    assert_eq!(change_msi(&mut fw, m, 3, 1, 1, 4)[..2], [0, 1]);
    let before = fw.machine.clone();
    let flip = |at: usize| {
        let mut b = blob.clone();
        b[at] ^= 0x40;
        b
    };
    let mut trailing = blob.clone();
    trailing.push(0);
    let other = firmware("qemu/c_phb1.dtb", Profile::Papr).save();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("cut short", blob[..blob.len() - 1].to_vec()),
        ("a header only", blob[..20].to_vec()),
        ("bad magic", flip(0)),
        ("a payload byte changed", flip(blob.len() / 2)),
        ("the checksum changed", flip(blob.len() - 1)),
        ("a byte after it", trailing),
        ("another tree", other),
    ];
    for (what, b) in cases {
        let e = fw.restore(&b).unwrap_err();
        let ok = match what {
            "cut short" | "a header only" => matches!(e, StateError::Truncated { .. }),
            "bad magic" => e == StateError::Magic,
            "a byte after it" => e == StateError::Trailing(1),
            "another tree" => matches!(e, StateError::OtherTree { .. }),
            _ => matches!(e, StateError::Checksum { .. }),
        };
        assert!(ok, "{what}: {e}");
        assert!(fw.machine == before, "{what}: the machine changed");
    }
    assert_eq!(fw.restore(&blob), Ok(()), "the blob itself restores");
}

/// A change-msi that answered busy is partition state too: restored elsewhere, its
/// continuation (the same inputs, the returned sequence number) completes there, and
/// another sequence number continues nothing.
#[test]
fn a_busy_change_in_progress_survives_a_migration() {
    let mut fw = firmware(B, Profile::Papr);
    let x = msix_only(&fw);
    fw.faults.add(rtas::faults::FaultRule::new(
        Service::ChangeMsi,
        0,
        1,
        rtas::faults::Fault::Busy,
    ));
    let busy = change_msi(&mut fw, x, 4, 4, 1, 4);
    assert_eq!((busy[0], busy[2]), (-2, 2));
    let blob = fw.save();
    let mut back = firmware(B, Profile::Papr);
    back.restore(&blob).unwrap();
    let mut wrong = back.clone();
    assert_eq!(change_msi(&mut wrong, x, 4, 4, 3, 4)[0], -3);
    assert_eq!(change_msi(&mut back, x, 4, 4, 2, 4), vec![0, 4, 3, 2]);
    assert_eq!(back.machine.block(x).map(|b| b.count), Some(4));
}
