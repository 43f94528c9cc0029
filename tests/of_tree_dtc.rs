//! of-tree checked against dtc: round trips of the real QEMU trees, and our DTS
//! compiler against dtc's on the syntax test files in tests/dts/.

mod common;

use common::*;
use of_tree::{dtb, dts};

#[test]
fn fixture_dtb_round_trips_through_of_tree() {
    let dir = scratch("dtb-rt");
    for f in fixture_dtbs() {
        let bytes = std::fs::read(&f).unwrap();
        let tree = dtb::read(&bytes).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let want = canonical(&f);
        assert!(want.contains("/ {"), "canonical form of {}", f.display());

        // DTB -> of-tree -> DTB
        let out = dir.join("out.dtb");
        std::fs::write(&out, dtb::write(&tree, &Default::default()).unwrap()).unwrap();
        assert_eq!(canonical(&out), want, "DTB round trip of {}", f.display());

        // DTB -> of-tree -> DTS -> dtc -> DTB
        let text = dir.join("out.dts");
        std::fs::write(&text, dts::print(&tree)).unwrap();
        let via_dtc = dir.join("via-dtc.dtb");
        dtc_compile(&text, &via_dtc);
        assert_eq!(
            canonical(&via_dtc),
            want,
            "DTS round trip of {}",
            f.display()
        );

        // and our own DTS reader gives the same tree back
        let back = dts::parse_file(&text).unwrap();
        assert_eq!(back.reservations, tree.reservations);
        let ours = dir.join("ours.dtb");
        std::fs::write(&ours, dtb::write(&back, &Default::default()).unwrap()).unwrap();
        assert_eq!(canonical(&ours), want, "our DTS reader on {}", f.display());
    }
}

#[test]
fn guest_tree_reservations_are_kept() {
    let bytes = std::fs::read(fixture("linux-guest/guest-fdt.dtb")).unwrap();
    let tree = dtb::read(&bytes).unwrap();
    assert_eq!(tree.reservations.len(), 2);
    assert_eq!(tree.reservations[0].address, 0x2c9_0000);
    assert_eq!(tree.reservations[0].size, 0x26_0000);
}

#[test]
fn qemu_dts_decompilations_parse_to_their_blobs() {
    let dir = scratch("dts-fix");
    for f in fixture_dtbs() {
        let src = f.with_extension("dts");
        if !src.exists() {
            continue;
        }
        let tree = dts::parse_file(&src).unwrap_or_else(|e| panic!("{e}"));
        let out = dir.join("x.dtb");
        std::fs::write(&out, dtb::write(&tree, &Default::default()).unwrap()).unwrap();
        assert_eq!(canonical(&out), canonical(&f), "{}", src.display());
    }
}

#[test]
fn syntax_files_compile_as_dtc_compiles_them() {
    let dir = scratch("dts-syntax");
    let mut n = 0;
    let mut files: Vec<_> = std::fs::read_dir(root().join("tests/dts"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "dts"))
        .collect();
    files.sort();
    for src in files {
        let theirs = dir.join("dtc.dtb");
        dtc_compile(&src, &theirs);
        let tree = dts::parse_file(&src).unwrap_or_else(|e| panic!("{e}"));
        let ours = dir.join("ours.dtb");
        std::fs::write(&ours, dtb::write(&tree, &Default::default()).unwrap()).unwrap();
        assert_eq!(canonical(&ours), canonical(&theirs), "{}", src.display());
        n += 1;
    }
    assert!(n >= 30, "only {n} syntax files");
}

/// `dtc -I dtb -O dts` of a blob, as dtc prints it (not sorted).
fn dtc_decompile(dtb: &std::path::Path) -> String {
    let out = std::process::Command::new(dtc())
        .args(["-q", "-I", "dtb", "-O", "dts"])
        .arg(dtb)
        .output()
        .expect("run dtc");
    assert!(out.status.success(), "dtc failed on {}", dtb.display());
    String::from_utf8(out.stdout).expect("dtc output is text")
}

#[test]
fn printed_dts_is_what_dtc_prints() {
    for f in fixture_dtbs() {
        let tree = dtb::read(&std::fs::read(&f).unwrap()).unwrap();
        let ours = dts::print(&tree);
        let theirs = dtc_decompile(&f);
        if ours != theirs {
            let line = ours
                .lines()
                .zip(theirs.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(0);
            panic!(
                "{}: first difference at line {}:\n ours: {:?}\n dtc:  {:?}",
                f.display(),
                line + 1,
                ours.lines().nth(line),
                theirs.lines().nth(line)
            );
        }
    }
}
