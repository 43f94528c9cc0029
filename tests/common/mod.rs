//! Helpers shared by the integration tests: running dtc and comparing trees with it.

#![allow(dead_code)]

pub mod lopapr;

use std::path::{Path, PathBuf};
use std::process::Command;

/// The project's root folder.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fixture path under `fixtures/`.
pub fn fixture(rel: &str) -> PathBuf {
    root().join("fixtures").join(rel)
}

/// Every DTB fixture.
pub fn fixture_dtbs() -> Vec<PathBuf> {
    let mut v = Vec::new();
    for dir in ["qemu", "linux-guest"] {
        for e in std::fs::read_dir(fixture(dir)).expect("fixtures folder") {
            let p = e.expect("dir entry").path();
            if p.extension().is_some_and(|x| x == "dtb") {
                v.push(p);
            }
        }
    }
    v.sort();
    assert!(v.len() >= 7, "expected the fixture DTBs, found {v:?}");
    v
}

/// Every DTB fixture, as a path relative to `fixtures/`.
pub fn fixture_rels() -> Vec<String> {
    fixture_dtbs()
        .iter()
        .map(|p| {
            p.strip_prefix(fixture(""))
                .expect("under fixtures")
                .display()
                .to_string()
        })
        .collect()
}

/// Fails loudly when dtc is missing: the tests that need it must not skip silently.
pub fn dtc() -> &'static str {
    let ok = Command::new("dtc")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "dtc is required (Debian: device-tree-compiler); run scripts/test.sh, which installs it"
    );
    "dtc"
}

/// `dtc -I dtb -O dts -s` of a blob file: the canonical form trees are compared in.
pub fn canonical(dtb: &Path) -> String {
    let out = Command::new(dtc())
        .args(["-q", "-I", "dtb", "-O", "dts", "-s"])
        .arg(dtb)
        .output()
        .expect("run dtc");
    assert!(
        out.status.success(),
        "dtc failed on {}: {}",
        dtb.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("dtc output is text")
}

/// Compiles a DTS file with dtc into a blob.
pub fn dtc_compile(dts: &Path, out: &Path) {
    let o = Command::new(dtc())
        .args(["-q", "-I", "dts", "-O", "dtb", "-o"])
        .arg(out)
        .arg(dts)
        .output()
        .expect("run dtc");
    assert!(
        o.status.success(),
        "dtc failed on {}: {}",
        dts.display(),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// A fresh scratch folder for one test.
pub fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pseries-sim-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

/// A tree read from a fixture file.
pub fn fixture_tree(rel: &str) -> of_tree::Tree {
    of_tree::read_file(&fixture(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// Firmware for a fixture tree in a profile.
pub fn firmware(rel: &str, profile: rtas::Profile) -> rtas::Firmware {
    let cfg = rtas::MachineConfig {
        profile,
        pool_size: None,
        bare_metal: false,
    };
    rtas::Firmware::new(&fixture_tree(rel), &cfg).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// BUID cells of a function's PHB.
pub fn buid_cells(fw: &rtas::Firmware, r: rtas::FnRef) -> (u32, u32) {
    let b = fw.machine.phbs[r.phb].buid;
    ((b >> 32) as u32, b as u32)
}

/// The config address (register 0) of a function.
pub fn cfg_addr(fw: &rtas::Firmware, r: rtas::FnRef) -> u32 {
    fw.machine.function(r).addr.config_addr()
}

/// change-msi through the typed API: (config, buid hi, buid lo, func, count, seq).
pub fn change_msi(
    fw: &mut rtas::Firmware,
    r: rtas::FnRef,
    func: u32,
    count: u32,
    seq: u32,
    nret: usize,
) -> Vec<i64> {
    let (hi, lo) = buid_cells(fw, r);
    let cells = fw
        .call(
            rtas::Service::ChangeMsi,
            &[cfg_addr(fw, r), hi, lo, func, count, seq],
            nret,
        )
        .expect("change-msi exists");
    rtas::calllog::CallRecord::new("x", vec![], &cells).rets
}

/// query-interrupt-source-number through the typed API.
pub fn query(fw: &mut rtas::Firmware, r: rtas::FnRef, i: u32) -> Vec<i64> {
    let (hi, lo) = buid_cells(fw, r);
    let cells = fw
        .call(
            rtas::Service::QueryInterruptSourceNumber,
            &[cfg_addr(fw, r), hi, lo, i],
            3,
        )
        .expect("query exists");
    rtas::calllog::CallRecord::new("x", vec![], &cells).rets
}

/// The first function whose req# properties satisfy a test.
pub fn find_fn(
    fw: &rtas::Firmware,
    test: impl Fn(Option<u32>, Option<u32>) -> bool,
) -> rtas::FnRef {
    fw.machine
        .functions()
        .find(|&r| {
            let i = &fw.machine.function(r).info;
            test(i.req_msi, i.req_msix)
        })
        .expect("a function like that in the fixture")
}

/// A small deterministic generator (xorshift), so that failures reproduce.
pub struct Rng(pub u64);

impl Rng {
    /// The next number.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// `pseries-sim dt` round trip of a blob through dtc: our DTS of it is what dtc prints,
/// and dtc compiles our DTS back to the same tree.
pub fn dt_round_trips_through_dtc(dtb: &Path) {
    let sim = env!("CARGO_BIN_EXE_pseries-sim");
    let ours = Command::new(sim)
        .arg("dt")
        .arg(dtb)
        .args(["--to", "dts"])
        .output()
        .expect("run pseries-sim dt");
    assert!(
        ours.status.success(),
        "{}",
        String::from_utf8_lossy(&ours.stderr)
    );
    let theirs = Command::new(dtc())
        .args(["-q", "-I", "dtb", "-O", "dts"])
        .arg(dtb)
        .output()
        .expect("run dtc");
    assert_eq!(
        String::from_utf8_lossy(&ours.stdout),
        String::from_utf8_lossy(&theirs.stdout),
        "{}: dt --to dts differs from dtc",
        dtb.display()
    );
    let dts = dtb.with_extension("ours.dts");
    std::fs::write(&dts, &ours.stdout).unwrap();
    let back = dtb.with_extension("back.dtb");
    dtc_compile(&dts, &back);
    assert_eq!(canonical(&back), canonical(dtb), "{}", dtb.display());
}

/// A PNG rendered from an SVG file by rsvg-convert: width, height, and each pixel's
/// samples (RGB or RGBA). Fails loudly without rsvg-convert.
pub fn render_svg(svg: &Path) -> (u32, u32, Vec<Vec<u8>>) {
    let png = svg.with_extension("png");
    let st = Command::new("rsvg-convert")
        .arg(svg)
        .arg("-o")
        .arg(&png)
        .status()
        .expect("rsvg-convert (Debian's librsvg2-bin) is required; scripts/test.sh installs it");
    assert!(st.success(), "rsvg-convert failed on {}", svg.display());
    let dec = png::Decoder::new(std::fs::File::open(&png).unwrap());
    let mut reader = dec.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    let px = info.color_type.samples();
    let pixels = buf[..info.buffer_size()]
        .chunks(px)
        .map(<[u8]>::to_vec)
        .collect();
    (info.width, info.height, pixels)
}

/// A generated tree written as a blob goes through dtc and our reader and back to the
/// same tree (dtc's canonical text compared), and `dt` prints it as dtc does.
pub fn generated_tree_round_trips(t: &of_tree::Tree, blob: &Path) {
    std::fs::write(blob, of_tree::dtb::write(t, &Default::default()).unwrap()).unwrap();
    let dts = canonical(blob);
    let back = of_tree::dts::parse_str(&dts, "back.dts").unwrap();
    let again = blob.with_extension("again.dtb");
    std::fs::write(
        &again,
        of_tree::dtb::write(&back, &Default::default()).unwrap(),
    )
    .unwrap();
    assert_eq!(canonical(&again), dts, "{}", blob.display());
    dt_round_trips_through_dtc(blob);
}

/// On a machine whose OS allocates its own vectors: a renumbering resume is refused,
/// a keeping one leaves every vector held and the given one firing.
pub fn renumbering_is_refused(t: of_tree::Tree, dev: usize, vector: u32) {
    use pseries_sim::harness;
    let mut rep = pseries_sim::boot::boot_all(t, Default::default()).unwrap();
    let k = &mut rep.kernel;
    let before = k.held_virqs();
    k.suspend().unwrap();
    let e = harness::resume(k, platform::ResumeMode::Renumber).unwrap_err();
    assert!(e.to_string().contains("does not hand out vectors"), "{e}");
    harness::resume(k, platform::ResumeMode::Keep).unwrap();
    assert_eq!(k.held_virqs(), before);
    assert!(harness::fire(k, dev, vector).is_ok());
}
