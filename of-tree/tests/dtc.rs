//! of-tree checked against dtc: round trips of the real QEMU trees, and our DTS
//! compiler against dtc's on the syntax test files in of-tree/tests/dts/.

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
    for src in corpus_files("") {
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

/// Every syntax file, the ones that need files beside them (dts/with-files) and
/// cpp's output with line markers (dts/cpp: its messages name other files),
/// compiled by dtc and by us, plain and with `-@`: the same tree with properties and
/// nodes in the same order (dtc's unsorted decompilation).
#[test]
fn syntax_files_keep_dtcs_order_with_and_without_symbols() {
    let dir = scratch("dts-order");
    let mut files = corpus_files("");
    files.extend(corpus_files("with-files"));
    files.extend(corpus_files("cpp"));
    assert!(files.len() >= 40, "only {} files", files.len());
    for src in files {
        for (args, opts) in [
            (&[][..], dts::Options::default()),
            (&["-@"][..], dts::Options { symbols: true }),
        ] {
            let theirs = dir.join("dtc.dtb");
            dtc_run(&src, args, &theirs).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
            let tree = dts::parse_file_with(&src, &opts).unwrap_or_else(|e| panic!("{args:?} {e}"));
            let ours = dir.join("ours.dtb");
            std::fs::write(&ours, dtb::write(&tree, &Default::default()).unwrap()).unwrap();
            assert_eq!(
                dtc_decompile(&ours),
                dtc_decompile(&theirs),
                "{} {args:?}",
                src.display()
            );
        }
    }
}

/// The files dtc refuses (dts/refused): we refuse each too, at a file:line:col
/// in it, with dtc's message (its `// expect: ` line says which; an `// at: ` line
/// says where, when a line marker moves it).
#[test]
fn refused_files_are_refused_as_dtc_refuses_them() {
    let dir = scratch("dts-refused");
    let files = corpus_files("refused");
    assert!(files.len() >= 8, "only {} files", files.len());
    for src in files {
        let text = std::fs::read_to_string(&src).unwrap();
        let want = text
            .lines()
            .find_map(|l| l.strip_prefix("// expect: "))
            .unwrap_or_else(|| panic!("{}: no '// expect: ' line", src.display()));
        let e = dtc_run(&src, &[], &dir.join("x.dtb"))
            .err()
            .unwrap_or_else(|| panic!("dtc accepts {}", src.display()));
        // dtc's own words, letter case included.
        assert!(e.contains(want), "dtc on {}: {e}", src.display());
        let ours = dts::parse_file(&src)
            .err()
            .unwrap_or_else(|| panic!("we accept {}", src.display()))
            .to_string();
        // After a line marker, the place is in the file the marker names.
        let loc = text
            .lines()
            .find_map(|l| l.strip_prefix("// at: "))
            .map(str::to_string)
            .unwrap_or_else(|| format!("{}:", src.display()));
        assert!(
            e.contains(loc.trim_end_matches(':')),
            "dtc on {}: {e}",
            src.display()
        );
        assert!(
            ours.starts_with(&loc) && ours.contains(want),
            "ours on {}: {ours}",
            src.display()
        );
        let file = ours.split(':').next().unwrap_or("");
        let lc: Vec<&str> = ours[file.len() + 1..].splitn(3, ':').collect();
        assert!(
            lc.len() == 3 && lc[0].parse::<usize>().is_ok() && lc[1].parse::<usize>().is_ok(),
            "no line:col in {ours}"
        );
    }
}

/// Lines the mutation test puts into sources: pieces of every feature dtc compares on.
const SNIPPETS: &[&str] = &[
    "/delete-node/ a;",
    "/delete-property/ p;",
    "p = <1>;",
    "a { };",
    "l: a { p; };",
    "x: ",
    "<&x>",
    "phandle = <1>;",
    "name = \"a\";",
    "/omit-if-no-ref/ ",
    "q = &x;",
    "linux,phandle = <2>;",
    "};",
    "b { q; };",
    "/ { a { }; };",
    "&x { r; };",
    "/delete-node/ &x;",
    "\\#p;",
    "p = x: <1 y: 2>;",
    "/plugin/;",
    "&ext { e = <&ext>; };",
    "&{/x} { f; };",
    "# 7 \"m.dts\"",
    "phandle = <&x>;",
    "r = <&{/a}>;",
    "/omit-if-no-ref/ &x;",
    "x: x { };",
    "/ { x: x { phandle = <5>; }; };",
];

/// Sources made by inserting, deleting and repeating lines of the syntax files: we
/// accept what dtc accepts and build the same tree in the same order, plain and -@.
#[test]
fn mutated_sources_are_taken_as_dtc_takes_them() {
    let dir = scratch("dts-mutated");
    let seeds: Vec<String> = corpus_files("")
        .iter()
        .chain(corpus_files("refused").iter())
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    let mut rng = Rng(0x5eed_d7c0_1234_5678);
    let (mut both, mut refused) = (0, 0);
    for i in 0..1000 {
        let seed = &seeds[i % seeds.len()];
        let mut lines: Vec<&str> = seed.lines().collect();
        for _ in 0..1 + rng.next() % 2 {
            let at = (rng.next() % (lines.len() as u64 + 1)) as usize;
            match rng.next() % 3 {
                0 => lines.insert(at, SNIPPETS[(rng.next() % SNIPPETS.len() as u64) as usize]),
                1 if !lines.is_empty() => {
                    lines.remove(at.min(lines.len() - 1));
                }
                _ if !lines.is_empty() => {
                    let from = (rng.next() % lines.len() as u64) as usize;
                    lines.insert(at, lines[from]);
                }
                _ => {}
            }
        }
        let text = lines.join("\n") + "\n";
        let src = dir.join("t.dts");
        std::fs::write(&src, &text).unwrap();
        let symbols = i % 2 == 1;
        let args: &[&str] = if symbols { &["-@"] } else { &[] };
        let theirs = dir.join("dtc.dtb");
        let dtc_says = dtc_run(&src, args, &theirs);
        let ours = dts::parse_file_with(&src, &dts::Options { symbols });
        match (dtc_says, ours) {
            (Ok(()), Ok(tree)) => {
                let out = dir.join("ours.dtb");
                std::fs::write(&out, dtb::write(&tree, &Default::default()).unwrap()).unwrap();
                assert_eq!(
                    dtc_decompile(&out),
                    dtc_decompile(&theirs),
                    "mutation {i} {args:?}:\n{text}"
                );
                both += 1;
            }
            (Err(_), Err(_)) => refused += 1,
            (Ok(()), Err(e)) => panic!("mutation {i} {args:?}: dtc accepts, we say {e}:\n{text}"),
            (Err(e), Ok(_)) => panic!("mutation {i} {args:?}: we accept, dtc says {e}:\n{text}"),
        }
    }
    assert!(
        both >= 50 && refused >= 50,
        "{both} accepted, {refused} refused"
    );
}
