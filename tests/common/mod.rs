//! Helpers shared by the integration tests: running dtc and comparing trees with it.

#![allow(dead_code)]

#[path = "../support/files.rs"]
mod files;
#[path = "../support/firmware.rs"]
mod firmware;

#[allow(unused_imports)]
pub use files::*;
#[allow(unused_imports)]
pub use firmware::*;

pub mod linux61;
pub mod lopapr;
#[path = "../../rtas/tests/common/lopapr.rs"]
#[allow(dead_code)]
pub mod lopapr_firmware;

use std::path::Path;
use std::process::Command;

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
