//! A picture of the interrupt source number space: a band per controller, a labelled
//! box per allocated block coloured by its device, LSIs marked, holes left visible.

use crate::kernel::Kernel;
use rtas::ics::SourceKind;
use std::fmt::Write;

const WIDTH: f64 = 1200.0;
const MARGIN: f64 = 20.0;
const BAND: f64 = 46.0;
const LABEL_ROW: f64 = 14.0;

/// One box on a band.
struct Item {
    first: u32,
    count: u32,
    label: String,
    color: String,
    kind: &'static str,
}

fn color(key: &str) -> String {
    let h = key
        .bytes()
        .fold(2166136261u32, |h, b| (h ^ b as u32).wrapping_mul(16777619));
    format!("hsl({}, 65%, 55%)", h % 360)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The SVG of the kernel's machine as it is now.
pub fn svg(k: &Kernel, title: &str) -> String {
    let fw = k.port.harness_firmware();
    let m = &fw.machine;
    // Owners of MSI blocks, by PHB and config address.
    let mut items: Vec<Item> = Vec::new();
    for p in &m.phbs {
        for (&cfg, b) in &p.msi {
            let (addr, _) = rtas::pci::PciAddr::from_config_addr(cfg);
            let name = k
                .devices
                .iter()
                .find(|d| d.buid == p.buid && d.addr == addr)
                .map(|d| d.name.clone())
                .unwrap_or_else(|| format!("{:04x}:{addr}", p.index));
            let kind = if b.kind == rtas::alloc::BlockKind::Msi {
                "MSI"
            } else {
                "MSI-X"
            };
            items.push(Item {
                first: b.first,
                count: b.reserved,
                label: format!("{name} {kind} {}x @{:#x}", b.count, b.first),
                color: color(&name),
                kind: "block",
            });
        }
    }
    for h in &fw.held {
        let (first, count) = (h.first, h.count);
        items.push(Item {
            first,
            count,
            label: format!("firmware-held {count} @{first:#x}"),
            color: "#999".into(),
            kind: "held",
        });
    }
    for c in &m.ics.controllers {
        let mut run: Option<(u32, u32)> = None;
        let end = c.offset.saturating_add(c.count.min(0x1000));
        for s in c.offset..=end {
            let lsi = s < end && m.ics.source(s).map(|x| x.kind) == Some(SourceKind::Lsi);
            match (lsi, run) {
                (true, Some((a, n))) => run = Some((a, n + 1)),
                (true, None) => run = Some((s, 1)),
                (false, Some((a, n))) => {
                    let label = if n == 1 {
                        format!("LSI {a:#x}")
                    } else {
                        format!("LSIs {a:#x}..{:#x}", a + n - 1)
                    };
                    items.push(Item {
                        first: a,
                        count: n,
                        label,
                        color: "#d62728".into(),
                        kind: "lsi",
                    });
                    run = None;
                }
                (false, None) => {}
            }
        }
    }
    let mut out = String::new();
    let mut bands = Vec::new();
    for c in &m.ics.controllers {
        let mut mine: Vec<&Item> = items
            .iter()
            .filter(|i| i.first >= c.offset && (i.first as u64) < c.offset as u64 + c.count as u64)
            .collect();
        if mine.is_empty() {
            continue;
        }
        mine.sort_by_key(|i| i.first);
        let lo = mine.first().map(|i| i.first).unwrap_or(c.offset) & !63;
        let hi_used = mine
            .iter()
            .map(|i| i.first as u64 + i.count as u64)
            .max()
            .unwrap_or(lo as u64 + 64);
        let hi = ((hi_used + 63) & !63)
            .min(c.offset as u64 + c.count as u64)
            .max(lo as u64 + 1);
        bands.push((c.offset, c.count, lo, hi, mine));
    }
    let rows_for = |n: usize| n.clamp(1, 10);
    let height: f64 = MARGIN * 2.0
        + 40.0
        + bands
            .iter()
            .map(|b| BAND + 30.0 + rows_for(b.4.len()) as f64 * LABEL_ROW + 20.0)
            .sum::<f64>()
        + 40.0;
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{height}" viewBox="0 0 {} {height}" font-family="sans-serif" font-size="10">"#,
        WIDTH + 2.0 * MARGIN,
        WIDTH + 2.0 * MARGIN
    );
    let _ = writeln!(
        out,
        r##"<rect width="100%" height="100%" fill="#ffffff"/>"##
    );
    let _ = writeln!(
        out,
        r#"<text x="{MARGIN}" y="{}" font-size="16" font-weight="bold">{}</text>"#,
        MARGIN + 16.0,
        esc(title)
    );
    let mut y = MARGIN + 40.0;
    for (offset, count, _lo, _hi, mine) in &bands {
        // Clusters of used numbers; a long run of free numbers between them is drawn
        // as a fixed-width break with its size, so that holes stay visible.
        let mut clusters: Vec<(u64, u64)> = Vec::new();
        for it in mine.iter() {
            let (a, b) = (it.first as u64, it.first as u64 + it.count as u64);
            match clusters.last_mut() {
                Some(c) if a <= c.1 + 64 => c.1 = c.1.max(b),
                _ => clusters.push((a, b)),
            }
        }
        for c in &mut clusters {
            c.0 = c.0.saturating_sub(8) & !7;
            c.1 = (c.1 + 8 + 7) & !7;
        }
        const BREAK: f64 = 60.0;
        let used: u64 = clusters.iter().map(|c| c.1 - c.0).sum();
        let scale = (WIDTH - BREAK * (clusters.len() as f64 - 1.0).max(0.0)) / used.max(1) as f64;
        let x_of = |s: u64| {
            let mut x = MARGIN;
            for c in &clusters {
                if s <= c.1 {
                    return x + (s.max(c.0) - c.0) as f64 * scale;
                }
                x += (c.1 - c.0) as f64 * scale + BREAK;
            }
            x
        };
        let _ = writeln!(
            out,
            r#"<text x="{MARGIN}" y="{}" font-size="12">controller {offset:#x}..{:#x} ({count} sources)</text>"#,
            y + 12.0,
            *offset as u64 + *count as u64
        );
        let by = y + 18.0;
        let _ = writeln!(
            out,
            r##"<rect class="band" x="{MARGIN}" y="{by}" width="{WIDTH}" height="{BAND}" fill="#eeeeee" stroke="#888888"/>"##
        );
        for w in clusters.windows(2) {
            let x0 = x_of(w[0].1);
            let _ = writeln!(
                out,
                r##"<rect class="hole" x="{:.2}" y="{by}" width="{BREAK}" height="{BAND}" fill="#ffffff" stroke="#888888" stroke-dasharray="2,2"/>"##,
                x0
            );
            let _ = writeln!(
                out,
                r##"<text x="{:.2}" y="{}" text-anchor="middle" fill="#666666">{} free</text>"##,
                x0 + BREAK / 2.0,
                by + BAND / 2.0 + 4.0,
                w[1].0 - w[0].1
            );
        }
        let rows = rows_for(mine.len());
        for (n, it) in mine.iter().enumerate() {
            let x = x_of(it.first as u64);
            let w = (x_of(it.first as u64 + it.count as u64) - x).max(1.5);
            let (yy, hh) = if it.kind == "lsi" {
                (by, BAND / 3.0)
            } else {
                (by + BAND / 3.0, BAND * 2.0 / 3.0)
            };
            let stroke = if it.kind == "held" {
                r##" stroke-dasharray="3,2" stroke="#333333""##
            } else {
                r##" stroke="#333333""##
            };
            let _ = writeln!(
                out,
                r#"<rect class="{}" x="{x:.2}" y="{yy}" width="{w:.2}" height="{hh}" fill="{}"{stroke} stroke-width="0.5"><title>{}</title></rect>"#,
                it.kind,
                it.color,
                esc(&it.label)
            );
            let ly = by + BAND + 12.0 + (n % rows) as f64 * LABEL_ROW;
            let cx = x + w / 2.0;
            let anchor = if cx > MARGIN + WIDTH * 0.6 {
                "end"
            } else {
                "start"
            };
            let _ = writeln!(
                out,
                r##"<line x1="{cx:.2}" y1="{}" x2="{cx:.2}" y2="{}" stroke="#bbbbbb" stroke-width="0.5"/>"##,
                by + BAND,
                ly - 9.0
            );
            let fill = if it.kind == "lsi" {
                "#d62728"
            } else {
                "#222222"
            };
            let _ = writeln!(
                out,
                r#"<text class="label" x="{cx:.2}" y="{ly}" text-anchor="{anchor}" fill="{fill}">{}</text>"#,
                esc(&it.label)
            );
        }
        y += BAND + 30.0 + rows as f64 * LABEL_ROW + 20.0;
    }
    let _ = writeln!(
        out,
        r##"<text x="{MARGIN}" y="{}" font-size="11">grey: free sources (holes); boxes: MSI / MSI-X blocks by device; red ticks: LSIs; dashed: held by the firmware</text>"##,
        y + 10.0
    );
    out.push_str("</svg>\n");
    out
}
