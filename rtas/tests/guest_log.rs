//! The real guest's calls (`fixtures/linux-guest/rtas-calls.jsonl`: every change-msi
//! and query Linux 6.1 made under QEMU 7.2, with QEMU's answers) made again on the
//! machine QEMU built for it (`qemu-initial.dtb`).

mod common;

use common::*;
use rtas::calllog::from_jsonl;
use rtas::replay::replay;
use rtas::Profile;

fn log() -> Vec<rtas::calllog::CallRecord> {
    let text = std::fs::read_to_string(fixture("linux-guest/rtas-calls.jsonl")).unwrap();
    from_jsonl(&text).unwrap()
}

/// In the qemu profile every call gets QEMU's answer, cell for cell.
#[test]
fn the_real_guests_calls_get_qemus_answers() {
    let log = log();
    assert_eq!(log.len(), 88);
    let mut fw = firmware("linux-guest/qemu-initial.dtb", Profile::Qemu);
    let report = replay(&mut fw, &log);
    let lines: Vec<String> = report.differences.iter().map(|d| d.to_string()).collect();
    assert!(lines.is_empty(), "{}", lines.join("\n"));
    assert_eq!((report.calls, report.identical), (88, 88));
}

/// In the papr profile the answers differ from QEMU's only where LoPAPR and QEMU
/// disagree: a release (count 0) is status 0 with the next sequence number even when
/// the function holds nothing (QEMU: -1, and only two cells written on success), and
/// the sources come from the PHB's own pool, not QEMU's shared one from 0x1300. Every
/// other answer (each -3, each count granted, each type and trigger) is QEMU's.
#[test]
fn papr_answers_differ_from_qemus_only_where_lopapr_does() {
    let log = log();
    let mut fw = firmware("linux-guest/qemu-initial.dtb", Profile::Papr);
    let report = replay(&mut fw, &log);
    let (mut releases, mut sources) = (0, 0);
    for d in &report.differences {
        let (e, got) = (&d.expected, d.got.as_ref().expect("the service exists"));
        match e.service.as_str() {
            "ibm,change-msi" => {
                let seq = e.args[5] as i64;
                assert_eq!(e.args[4], 0, "{d}: not a release");
                assert!(matches!(e.rets[0], -1 | 0), "{d}");
                assert_eq!(got[..3], [0, 0, seq + 1], "{d}");
                releases += 1;
            }
            "ibm,query-interrupt-source-number" => {
                assert_eq!((got[0], got[2]), (e.rets[0], e.rets[2]), "{d}");
                let (src, qemu) = (got[1] as u32, e.rets[1] as u32);
                let ics = &fw.machine.ics;
                let own = ics.split(src).unwrap().0;
                assert!(
                    own != ics.split(qemu).unwrap().0,
                    "{d}: in QEMU's controller"
                );
                sources += 1;
            }
            other => panic!("{other}"),
        }
    }
    assert!(releases > 0 && sources > 0, "{report}");
    assert_eq!(report.identical + releases + sources, 88);
}
