//! The map is readable: on the built-in machine, the suspend scenario and a 2000-function
//! machine, no two labels overlap, and the widths that placement assumes hold for what a
//! real renderer (rsvg-convert) draws.

mod common;

use common::*;
use pseries_sim::harness::map::label_width;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A text of the map: where it is and how big.
#[derive(Debug)]
struct Label {
    text: String,
    x0: f64,
    x1: f64,
    y0: f64,
    y1: f64,
}

fn map_of(input: &Path, out: &Path) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_pseries-sim"))
        .arg("map")
        .arg(input)
        .arg("-o")
        .arg(out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    std::fs::read_to_string(out).unwrap()
}

fn labels(svg: &str) -> Vec<Label> {
    let doc = roxmltree::Document::parse(svg).expect("the map is well-formed XML");
    doc.descendants()
        .filter(|n| n.has_tag_name("text") && n.attribute("class").is_some())
        .map(|n| {
            let text: String = n.text().unwrap_or("").to_string();
            let size: f64 = n
                .attribute("font-size")
                .map_or(10.0, |s| s.parse().unwrap());
            let x: f64 = n.attribute("x").unwrap().parse().unwrap();
            let y: f64 = n.attribute("y").unwrap().parse().unwrap();
            assert_eq!(
                n.attribute("text-anchor"),
                None,
                "labels are placed by their start"
            );
            Label {
                x1: x + label_width(&text, size),
                x0: x,
                y0: y - size,
                y1: y + 0.25 * size,
                text,
            }
        })
        .collect()
}

fn overlaps(ls: &[Label]) -> Vec<String> {
    let mut bad = Vec::new();
    for (i, a) in ls.iter().enumerate() {
        for b in &ls[i + 1..] {
            if a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1 {
                bad.push(format!("{:?} / {:?}", a.text, b.text));
            }
        }
    }
    bad
}

fn render(svg: &Path) -> (u32, u32, Vec<u8>) {
    let (w, h, pixels) = render_svg(svg);
    let grey = pixels
        .iter()
        .map(|p| (p.iter().take(3).map(|&c| c as u32).sum::<u32>() / 3) as u8)
        .collect();
    (w, h, grey)
}

fn maps(dir: &Path) -> Vec<(String, PathBuf)> {
    let big = dir.join("g2000.dtb");
    let o = Command::new(env!("CARGO_BIN_EXE_pseries-sim"))
        .args([
            "gen",
            "--phbs",
            "1",
            "--functions",
            "2000",
            "--msix",
            "4",
            "-o",
        ])
        .arg(&big)
        .output()
        .unwrap();
    assert!(o.status.success());
    let mut v = Vec::new();
    for (name, input) in [
        ("built-in", fixture("linux-guest/qemu-initial.dtb")),
        ("suspend", fixture("suspend-renumber.scenario")),
        ("big", big),
    ] {
        let out = dir.join(format!("{name}.svg"));
        map_of(&input, &out);
        v.push((name.to_string(), out));
    }
    v
}

#[test]
fn no_two_labels_overlap_and_widths_hold_for_rsvg() {
    let mut all_texts = Vec::new();
    let dir = scratch("map-labels");
    for (name, svg) in maps(&dir) {
        let text = std::fs::read_to_string(&svg).unwrap();
        let ls = labels(&text);
        assert!(ls.len() >= 8, "{name}: {} labels", ls.len());
        let bad = overlaps(&ls);
        assert!(bad.is_empty(), "{name}: overlapping labels: {bad:?}");
        assert!(
            text.contains("long free run, not to scale"),
            "{name}: a legend"
        );
        assert!(text.contains(r#"class="axis""#), "{name}: an axis");
        let (w, h, grey) = render(&svg);
        let dark = grey.iter().filter(|&&g| g < 200).count();
        assert!(
            dark * 100 > (w * h) as usize,
            "{name}: the picture is (nearly) blank"
        );
        all_texts.extend(ls.into_iter().map(|l| l.text));
    }
    // The big machine's blocks are labelled in groups, not smeared.
    let big = std::fs::read_to_string(dir.join("big.svg")).unwrap();
    assert!(big.contains(" blocks @0x"), "grouped labels");
    // Every label drawn alone by rsvg-convert ends within the width placement assumed.
    all_texts.sort();
    all_texts.dedup();
    all_texts.sort_by_key(|t| std::cmp::Reverse(t.len()));
    let sample: Vec<&String> = all_texts.iter().take(40).collect();
    let mut svg = String::from(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="800" height="1000" font-family="DejaVu Sans, sans-serif" font-size="10"><rect width="100%" height="100%" fill="#ffffff"/>"##,
    );
    for (i, t) in sample.iter().enumerate() {
        let t = t.replace('&', "&amp;").replace('<', "&lt;");
        svg.push_str(&format!(r#"<text x="10" y="{}">{t}</text>"#, 20 + i * 20));
    }
    svg.push_str("</svg>");
    let probe = dir.join("widths.svg");
    std::fs::write(&probe, svg).unwrap();
    let (w, _, grey) = render(&probe);
    let grey = &grey;
    for (i, t) in sample.iter().enumerate() {
        let y0 = 20 + i * 20 - 10;
        let right = (y0..y0 + 13)
            .flat_map(|y| (0..w as usize).filter(move |&x| grey[y * w as usize + x] < 160))
            .max()
            .unwrap_or(10);
        let ink = right as f64 - 10.0;
        assert!(ink > 0.0, "{t:?} drew nothing");
        assert!(
            ink <= label_width(t, 10.0),
            "{t:?}: {ink} px drawn, {} assumed",
            label_width(t, 10.0)
        );
    }
}
