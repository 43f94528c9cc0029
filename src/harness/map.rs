//! A picture of the interrupt source number space: a band per controller with an
//! address axis, a box per allocated block coloured by its device, LSIs as a red bar,
//! every free run with its true size, a legend, and labels placed in rows so that none
//! overlaps another (those that do not fit are left out and counted).

use platform::kernel::Kernel;
use rtas::ics::SourceKind;
use std::fmt::Write;

const WIDTH: f64 = 1200.0;
const MARGIN: f64 = 20.0;
const BAND: f64 = 46.0;
const LABEL_ROW: f64 = 13.0;
const MAX_ROWS: usize = 8;
/// A run of free sources longer than this is drawn as a break of fixed width.
const LONG_FREE: u64 = 64;
const BREAK: f64 = 64.0;
/// Past this many blocks on a band, blocks are labelled in about this many groups.
const GROUPS: usize = 24;
const LSI_RED: &str = "#d62728";
const HELD_GREY: &str = "#8c8c8c";
const FREE_FILL: &str = "#f2f2f2";

/// The width a label of `text` takes at `size` px in the map's font, an upper bound
/// (checked against a real renderer by the tests).
pub fn label_width(text: &str, size: f64) -> f64 {
    text.chars()
        .map(|c| match c {
            'M' | 'W' | 'm' | 'w' => 0.95,
            'I' => 0.40,
            'A'..='Z' => 0.78,
            ' ' | '.' | ':' | ',' | 'i' | 'l' | 'j' | '|' => 0.40,
            _ => 0.66,
        })
        .sum::<f64>()
        * size
}

/// One drawn run of sources.
struct Item {
    first: u64,
    count: u64,
    label: String,
    color: String,
    kind: &'static str,
}

/// A device's colour: a hue kept away from the LSIs' red.
fn color(key: &str) -> String {
    let h = key
        .bytes()
        .fold(2166136261u32, |h, b| (h ^ b as u32).wrapping_mul(16777619));
    format!("hsl({}, 60%, 58%)", 35 + h % 290)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn items_of(k: &Kernel) -> Vec<Item> {
    let fw = super::port::firmware(k);
    let m = &fw.machine;
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
                first: b.first as u64,
                count: b.reserved as u64,
                label: format!("{name} {kind} {}x @{:#x}", b.count, b.first),
                color: color(&name),
                kind: "block",
            });
        }
    }
    for h in &fw.held {
        items.push(Item {
            first: h.first as u64,
            count: h.count as u64,
            label: format!("firmware-held {} @{:#x}", h.count, h.first),
            color: HELD_GREY.into(),
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
                        first: a as u64,
                        count: n as u64,
                        label,
                        color: LSI_RED.into(),
                        kind: "lsi",
                    });
                    run = None;
                }
                (false, None) => {}
            }
        }
    }
    items
}

/// The band's pieces left to right: drawn to scale (a range of sources) or a break.
enum Piece {
    Scale(u64, u64),
    Break(u64, u64),
}

/// Rows of labels: each placed in the first row where it fits.
struct Rows {
    ends: Vec<f64>,
    left_out: usize,
}

impl Rows {
    fn place(&mut self, x0: f64, x1: f64) -> Option<usize> {
        for (r, end) in self.ends.iter_mut().enumerate() {
            if x0 >= *end + 4.0 {
                *end = x1;
                return Some(r);
            }
        }
        if self.ends.len() < MAX_ROWS {
            self.ends.push(x1);
            return Some(self.ends.len() - 1);
        }
        self.left_out += 1;
        None
    }
}

/// The SVG of the kernel's machine as it is now.
pub fn svg(k: &Kernel, title: &str) -> String {
    let m = &super::port::firmware(k).machine;
    let items = items_of(k);
    let mut body = String::new();
    let mut y = MARGIN + 40.0;
    let mut left_out = 0;
    for c in &m.ics.controllers {
        let (lo, hi) = (c.offset as u64, c.offset as u64 + c.count as u64);
        let mut mine: Vec<&Item> = items
            .iter()
            .filter(|i| i.first >= lo && i.first < hi)
            .collect();
        if mine.is_empty() {
            continue;
        }
        mine.sort_by_key(|i| i.first);
        // Free runs between what is used, with their true sizes, and the pieces.
        let mut frees: Vec<(u64, u64)> = Vec::new();
        let mut pieces: Vec<Piece> = Vec::new();
        let mut at = lo;
        let mut scale_from: Option<u64> = None;
        for it in &mine {
            let (a, b) = (it.first, (it.first + it.count).min(hi));
            if a > at {
                frees.push((at, a));
                if a - at > LONG_FREE {
                    if let Some(s) = scale_from.take() {
                        pieces.push(Piece::Scale(s, at));
                    }
                    pieces.push(Piece::Break(at, a));
                } else if scale_from.is_none() {
                    scale_from = Some(at);
                }
            }
            if scale_from.is_none() {
                scale_from = Some(a);
            }
            at = at.max(b);
        }
        if let Some(s) = scale_from {
            pieces.push(Piece::Scale(s, at));
        }
        if hi > at {
            frees.push((at, hi));
            pieces.push(Piece::Break(at, hi));
        }
        let breaks = pieces
            .iter()
            .filter(|p| matches!(p, Piece::Break(..)))
            .count();
        let scaled: u64 = pieces
            .iter()
            .map(|p| match p {
                Piece::Scale(a, b) => b - a,
                Piece::Break(..) => 0,
            })
            .sum();
        let px = (WIDTH - BREAK * breaks as f64).max(100.0) / scaled.max(1) as f64;
        let x_of = |s: u64| {
            let mut x = MARGIN;
            for p in &pieces {
                match *p {
                    Piece::Scale(a, b) if s <= b => return x + (s.max(a) - a) as f64 * px,
                    Piece::Scale(a, b) => x += (b - a) as f64 * px,
                    Piece::Break(a, b) if s <= a || s < b => return x,
                    Piece::Break(..) => x += BREAK,
                }
            }
            x
        };
        let _ = writeln!(
            body,
            r#"<text x="{MARGIN}" y="{}" font-size="12">controller {lo:#x}..{hi:#x} ({} sources)</text>"#,
            y + 12.0,
            c.count
        );
        let by = y + 18.0;
        let _ = writeln!(
            body,
            r##"<rect class="band" x="{MARGIN}" y="{by}" width="{WIDTH}" height="{BAND}" fill="{FREE_FILL}" stroke="#888888"/>"##
        );
        let mut x = MARGIN;
        for p in &pieces {
            match *p {
                Piece::Scale(a, b) => x += (b - a) as f64 * px,
                Piece::Break(..) => {
                    let _ = writeln!(
                        body,
                        r##"<rect class="break" x="{x:.2}" y="{by}" width="{BREAK}" height="{BAND}" fill="{FREE_FILL}" stroke="#555555" stroke-dasharray="3,3"/>"##
                    );
                    x += BREAK;
                }
            }
        }
        for it in &mine {
            let x = x_of(it.first);
            let w = (x_of(it.first + it.count) - x).max(1.5);
            let (yy, hh) = if it.kind == "lsi" {
                (by, BAND / 3.0)
            } else {
                (by + BAND / 3.0, BAND * 2.0 / 3.0)
            };
            let _ = writeln!(
                body,
                r##"<rect class="{}" x="{x:.2}" y="{yy}" width="{w:.2}" height="{hh}" fill="{}" stroke="#333333" stroke-width="0.5"><title>{}</title></rect>"##,
                it.kind,
                it.color,
                esc(&it.label)
            );
        }
        // The axis: a tick at each piece's edges, more inside long scaled pieces.
        let ay = by + BAND;
        let mut ticks: Vec<u64> = Vec::new();
        for p in &pieces {
            let (a, b) = match *p {
                Piece::Scale(a, b) | Piece::Break(a, b) => (a, b),
            };
            ticks.push(a);
            if let Piece::Scale(..) = p {
                let span = (b - a) as f64 * px;
                let n = (span / 150.0).floor() as u64;
                if n > 1 {
                    let step = ((b - a) / n).next_power_of_two().max(1);
                    let mut t = (a / step + 1) * step;
                    while t < b {
                        ticks.push(t);
                        t += step;
                    }
                }
            }
            ticks.push(b);
        }
        ticks.sort_unstable();
        ticks.dedup();
        let mut tick_end = f64::MIN;
        let mut labels: Vec<(f64, String, &'static str, &str)> = Vec::new();
        for t in ticks {
            let tx = x_of(t);
            let _ = writeln!(
                body,
                r##"<line class="tick" x1="{tx:.2}" y1="{ay}" x2="{tx:.2}" y2="{}" stroke="#444444" stroke-width="0.7"/>"##,
                ay + 4.0
            );
            let text = format!("{t:#x}");
            let w = label_width(&text, 8.0);
            let x0 = (tx - w / 2.0).max(MARGIN);
            if x0 >= tick_end + 4.0 && x0 + w <= MARGIN + WIDTH + 10.0 {
                let _ = writeln!(
                    body,
                    r##"<text class="axis" x="{x0:.2}" y="{}" font-size="8" fill="#444444">{text}</text>"##,
                    ay + 12.0
                );
                tick_end = x0 + w;
            }
        }
        // Labels: blocks, LSIs and held runs, then the free runs, each in the first row
        // where it fits.
        // On a large machine the blocks are labelled in groups (each box keeps its own
        // name as its title).
        let blocks = mine.iter().filter(|i| i.kind == "block").count();
        let group = if blocks > 2 * GROUPS {
            blocks.div_ceil(GROUPS)
        } else {
            1
        };
        let mut pending: Vec<&Item> = Vec::new();
        for (n, it) in mine.iter().enumerate() {
            if it.kind != "block" || group == 1 {
                let fill = if it.kind == "lsi" { LSI_RED } else { "#222222" };
                let cx = (x_of(it.first) + x_of(it.first + it.count)) / 2.0;
                labels.push((cx, it.label.clone(), "label", fill));
                continue;
            }
            pending.push(it);
            let last = !mine[n + 1..].iter().any(|i| i.kind == "block");
            if pending.len() == group || last {
                let (a, z) = (pending[0], pending[pending.len() - 1]);
                let name = |i: &Item| i.label.split(' ').next().unwrap_or("").to_string();
                let cx = (x_of(a.first) + x_of(z.first + z.count)) / 2.0;
                labels.push((
                    cx,
                    format!(
                        "{}..{}: {} blocks @{:#x}",
                        name(a),
                        name(z),
                        pending.len(),
                        a.first
                    ),
                    "label",
                    "#222222",
                ));
                pending.clear();
            }
        }
        for &(a, b) in &frees {
            let cx = (x_of(a) + x_of(b)) / 2.0;
            labels.push((cx, format!("{} free", b - a), "free", "#666666"));
        }
        labels.sort_by(|p, q| p.0.total_cmp(&q.0));
        let mut rows = Rows {
            ends: Vec::new(),
            left_out: 0,
        };
        let ly0 = ay + 28.0;
        let mut placed = Vec::new();
        for (cx, text, class, fill) in labels {
            let w = label_width(&text, 10.0);
            let x0 = (cx - w / 2.0).clamp(MARGIN, MARGIN + WIDTH - w);
            if let Some(r) = rows.place(x0, x0 + w) {
                placed.push((cx, x0, r, text, class, fill));
            }
        }
        for (cx, x0, r, text, class, fill) in &placed {
            let ly = ly0 + *r as f64 * LABEL_ROW;
            let _ = writeln!(
                body,
                r##"<line x1="{cx:.2}" y1="{}" x2="{cx:.2}" y2="{}" stroke="#cccccc" stroke-width="0.5"/>"##,
                ay + 14.0,
                ly - 9.0
            );
            let _ = writeln!(
                body,
                r##"<text class="{class}" x="{x0:.2}" y="{ly}" fill="{fill}" stroke="#ffffff" stroke-width="3" paint-order="stroke">{}</text>"##,
                esc(text)
            );
        }
        left_out += rows.left_out;
        y = ly0 + rows.ends.len().max(1) as f64 * LABEL_ROW + 24.0;
    }
    let mut out = String::new();
    let legend_y = y + 6.0;
    let height = legend_y + 40.0 + MARGIN;
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{height}" viewBox="0 0 {} {height}" font-family="DejaVu Sans, sans-serif" font-size="10">"#,
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
    out.push_str(&body);
    legend(&mut out, legend_y, left_out);
    out.push_str("</svg>\n");
    out
}

/// What each mark means, with a swatch each.
fn legend(out: &mut String, y: f64, left_out: usize) {
    let entries: [(&str, &str, &str); 5] = [
        (
            "hsl(200, 60%, 58%)",
            "",
            "MSI / MSI-X block (a colour per device)",
        ),
        (LSI_RED, "", "LSIs (red bar, top)"),
        (HELD_GREY, "", "held by the firmware"),
        (FREE_FILL, "", "free sources, to scale"),
        (
            FREE_FILL,
            r#" stroke-dasharray="3,3""#,
            "long free run, not to scale",
        ),
    ];
    let mut x = MARGIN;
    for (fill, dash, text) in entries {
        let _ = writeln!(
            out,
            r##"<rect class="legend" x="{x}" y="{y}" width="14" height="10" fill="{fill}" stroke="#555555"{dash}/>"##
        );
        let _ = writeln!(
            out,
            r#"<text class="legend" x="{}" y="{}">{text}</text>"#,
            x + 18.0,
            y + 9.0
        );
        x += 18.0 + label_width(text, 10.0) + 16.0;
    }
    if left_out > 0 {
        let _ = writeln!(
            out,
            r##"<text class="legend" x="{MARGIN}" y="{}" fill="#666666">{left_out} {} left out where {} would overlap: hover a box for its name</text>"##,
            y + 26.0,
            if left_out == 1 { "label" } else { "labels" },
            if left_out == 1 { "it" } else { "they" }
        );
    }
}
