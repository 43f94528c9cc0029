//! Progress on long runs: a status line on stderr when it is a terminal and the work has
//! taken more than a second (what is done of how much, at what rate, how long is left),
//! nothing otherwise.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long work runs before its progress shows.
const SHOW_AFTER: Duration = Duration::from_secs(1);

/// How often the status line is made again.
const REDRAW: Duration = Duration::from_millis(200);

/// A trace longer than this many lines is large: the status line and a last line on
/// stderr say that `--quiet` exists. A thousand-function machine's trace is some tens
/// of thousands of lines; beyond this, nobody reads it whole.
pub const LARGE_TRACE: u64 = 100_000;

/// What the work has counted so far, shared with the display thread.
#[derive(Default)]
struct Counts {
    /// Steps done (units of `unit`).
    done: AtomicU64,
    /// Steps in all (0: not known yet).
    total: AtomicU64,
    /// A second count (`extra` units), 0 for none.
    extra: AtomicU64,
    /// Trace lines written.
    lines: AtomicU64,
    /// Milliseconds from the start to when the total became known (the rate's start).
    counting_from_ms: AtomicU64,
}

/// What a status line is made from.
#[derive(Debug, Clone, PartialEq)]
pub struct Status<'a> {
    /// What the work is (`booting`).
    pub what: &'a str,
    /// What its steps are (`functions`; empty for work that counts no steps).
    pub unit: &'a str,
    /// Steps done.
    pub done: u64,
    /// Steps in all (None: not known yet).
    pub total: Option<u64>,
    /// A second count and its words (`vectors mapped`), shown when not empty.
    pub extra: Option<(u64, &'a str)>,
    /// Trace lines written.
    pub lines: u64,
    /// How long the steps have been counted (the rate's time).
    pub counting: Duration,
    /// How long the work has run.
    pub elapsed: Duration,
}

/// A duration to the second: `42 s`, `3 min 07 s`, `1 h 05 min`.
pub fn duration(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min {:02} s", s / 60, s % 60),
        _ => format!("{} h {:02} min", s / 3600, s % 3600 / 60),
    }
}

/// Steps a second: to a tenth below ten, whole above.
fn rate(per_sec: f64) -> String {
    if per_sec < 10.0 {
        format!("{per_sec:.1}")
    } else {
        format!("{per_sec:.0}")
    }
}

/// A count and its unit, if it has one.
fn with_unit(n: String, unit: &str) -> String {
    if unit.is_empty() {
        n
    } else {
        format!("{n} {unit}")
    }
}

/// The status line, the most wanted first (a narrow terminal cuts the end): `booting:
/// 2048/32768 functions, 32768 vectors mapped, 4096/s, about 7 s left, 3 s`; the rate
/// and the estimate once steps have been counted for half a second; `--quiet` named
/// once the trace is large.
pub fn status_line(s: &Status) -> String {
    let mut parts = Vec::new();
    if let Some(total) = s.total {
        parts.push(with_unit(format!("{}/{total}", s.done), s.unit));
        if let Some((n, words)) = s.extra {
            parts.push(format!("{n} {words}"));
        }
        let secs = s.counting.as_secs_f64();
        if s.done > 0 && secs >= 0.5 {
            let per_sec = s.done as f64 / secs;
            parts.push(format!("{}/s", rate(per_sec)));
            if s.done < total {
                let left = (total - s.done) as f64 / per_sec;
                parts.push(format!(
                    "about {} left",
                    duration(Duration::from_secs_f64(left))
                ));
            }
        }
    }
    parts.push(duration(s.elapsed));
    let sep = if s.total.is_some() { ": " } else { ", " };
    let mut out = format!("{}{sep}{}", s.what, parts.join(", "));
    if s.lines > LARGE_TRACE {
        out.push_str(&format!(
            "; {} trace lines (--quiet prints only the summary)",
            s.lines
        ));
    }
    out
}

/// The last line on stderr after a large trace: that `--quiet` and `--trace-filter`
/// exist. None for a trace of at most [`LARGE_TRACE`] lines.
pub fn large_trace_hint(lines: u64) -> Option<String> {
    (lines > LARGE_TRACE).then(|| {
        format!(
            "pseries-sim: the trace had {lines} lines: --quiet prints only the summary, \
             --trace-filter leaves kinds of events and messages out"
        )
    })
}

/// A progress display that shows itself only for long work on a terminal.
pub struct Progress {
    bar: Option<ProgressBar>,
    done: Arc<AtomicBool>,
    counts: Arc<Counts>,
    started: Instant,
}

impl Progress {
    /// A spinner saying `what`, for work whose size is not known.
    pub fn spinner(what: &'static str) -> Progress {
        Self::start(None, what, "", "")
    }

    /// A spinner for work whose size becomes known as it runs (see [`Progress::set`]):
    /// its steps are `unit`, its second count `extra`.
    pub fn counted(what: &'static str, unit: &'static str, extra: &'static str) -> Progress {
        Self::start(None, what, unit, extra)
    }

    /// A count of `len` steps, saying what they are (`scenarios`).
    pub fn bar(len: u64, what: &'static str) -> Progress {
        Self::start(Some(len), what, "", "")
    }

    fn start(
        len: Option<u64>,
        what: &'static str,
        unit: &'static str,
        extra: &'static str,
    ) -> Progress {
        let done = Arc::new(AtomicBool::new(false));
        let counts = Arc::new(Counts::default());
        if let Some(n) = len {
            counts.total.store(n, Ordering::Relaxed);
        }
        let started = Instant::now();
        if !std::io::stderr().is_terminal() {
            return Progress {
                bar: None,
                done,
                counts,
                started,
            };
        }
        let bar = ProgressBar::hidden();
        if let Ok(s) = ProgressStyle::with_template("{spinner} {wide_msg}") {
            bar.set_style(s);
        }
        let (b, d, c) = (bar.clone(), done.clone(), counts.clone());
        std::thread::spawn(move || {
            let mut shown = false;
            while !d.load(Ordering::Relaxed) {
                let elapsed = started.elapsed();
                if elapsed >= SHOW_AFTER {
                    b.set_message(status_line(&c.status(what, unit, extra, elapsed)));
                    if !shown {
                        b.set_draw_target(ProgressDrawTarget::stderr());
                        b.enable_steady_tick(Duration::from_millis(100));
                        shown = true;
                    }
                }
                std::thread::sleep(if shown {
                    REDRAW
                } else {
                    Duration::from_millis(50)
                });
            }
        });
        Progress {
            bar: Some(bar),
            done,
            counts,
            started,
        }
    }

    /// One step done.
    pub fn inc(&self) {
        self.counts.done.fetch_add(1, Ordering::Relaxed);
    }

    /// Steps done of how many, and the second count. The rate counts from the first
    /// call.
    pub fn set(&self, done: u64, total: u64, extra: u64) {
        let c = &self.counts;
        if c.total.swap(total, Ordering::Relaxed) == 0 {
            let ms = self.started.elapsed().as_millis() as u64;
            c.counting_from_ms.store(ms, Ordering::Relaxed);
        }
        c.done.store(done, Ordering::Relaxed);
        c.extra.store(extra, Ordering::Relaxed);
    }

    /// A handle that counts trace lines as they are written.
    pub fn lines(&self) -> LineCount {
        LineCount(self.counts.clone())
    }

    /// The work is over: the display goes away.
    pub fn finish(self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// Counts trace lines for the progress display (cheap: one atomic add a line).
#[derive(Clone)]
pub struct LineCount(Arc<Counts>);

impl LineCount {
    /// One line written.
    pub fn add(&self) {
        self.0.lines.fetch_add(1, Ordering::Relaxed);
    }

    /// Lines written so far.
    pub fn get(&self) -> u64 {
        self.0.lines.load(Ordering::Relaxed)
    }
}

impl Counts {
    fn status<'a>(
        &self,
        what: &'a str,
        unit: &'a str,
        extra: &'a str,
        elapsed: Duration,
    ) -> Status<'a> {
        let total = self.total.load(Ordering::Relaxed);
        let from = Duration::from_millis(self.counting_from_ms.load(Ordering::Relaxed));
        Status {
            what,
            unit,
            done: self.done.load(Ordering::Relaxed),
            total: (total > 0).then_some(total),
            extra: (!extra.is_empty()).then(|| (self.extra.load(Ordering::Relaxed), extra)),
            lines: self.lines.load(Ordering::Relaxed),
            counting: elapsed.saturating_sub(from),
            elapsed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boot(done: u64, counting: u64, elapsed: u64) -> Status<'static> {
        Status {
            what: "booting",
            unit: "functions",
            done,
            total: Some(32768),
            extra: Some((done * 16, "vectors mapped")),
            lines: 0,
            counting: Duration::from_secs(counting),
            elapsed: Duration::from_secs(elapsed),
        }
    }

    #[test]
    fn counts_rate_and_estimate() {
        assert_eq!(
            status_line(&boot(8192, 4, 6)),
            "booting: 8192/32768 functions, 131072 vectors mapped, 2048/s, about 12 s left, 6 s"
        );
        // Too early for a rate: counts alone.
        let early = Status {
            counting: Duration::from_millis(300),
            ..boot(100, 0, 2)
        };
        assert_eq!(
            status_line(&early),
            "booting: 100/32768 functions, 1600 vectors mapped, 2 s"
        );
        // Done: no estimate; a slow rate to a tenth.
        let run = Status {
            what: "scenarios",
            unit: "",
            done: 3,
            total: Some(3),
            extra: None,
            lines: 0,
            counting: Duration::from_secs(4),
            elapsed: Duration::from_secs(4),
        };
        assert_eq!(status_line(&run), "scenarios: 3/3, 0.8/s, 4 s");
        // Minutes are counted to the second, hours to the minute.
        assert_eq!(duration(Duration::from_secs(3725)), "1 h 02 min");
        assert_eq!(
            status_line(&boot(1000, 61, 125)),
            "booting: 1000/32768 functions, 16000 vectors mapped, 16/s, \
             about 32 min 17 s left, 2 min 05 s"
        );
    }

    #[test]
    fn work_of_no_known_size_says_its_time_and_a_large_trace_names_quiet() {
        let spin = Status {
            what: "checking",
            unit: "",
            done: 0,
            total: None,
            extra: None,
            lines: 0,
            counting: Duration::ZERO,
            elapsed: Duration::from_secs(75),
        };
        assert_eq!(status_line(&spin), "checking, 1 min 15 s");
        let traced = Status {
            lines: LARGE_TRACE + 1,
            ..boot(8192, 4, 6)
        };
        assert!(
            status_line(&traced).ends_with(&format!(
                ", 6 s; {} trace lines (--quiet prints only the summary)",
                LARGE_TRACE + 1
            )),
            "{}",
            status_line(&traced)
        );
        assert!(!status_line(&boot(8192, 4, 6)).contains("--quiet"));
        assert_eq!(large_trace_hint(LARGE_TRACE), None);
        assert!(large_trace_hint(LARGE_TRACE + 1)
            .is_some_and(|h| h.contains("--quiet") && h.contains("100001 lines")));
    }

    #[test]
    fn counts_reach_the_status_without_a_terminal() {
        let p = Progress::counted("booting", "functions", "vectors mapped");
        p.set(5, 10, 80);
        let lines = p.lines();
        lines.add();
        lines.add();
        let s = p.counts.status(
            "booting",
            "functions",
            "vectors mapped",
            p.started.elapsed(),
        );
        assert_eq!(
            (s.done, s.total, s.extra, s.lines),
            (5, Some(10), Some((80, "vectors mapped")), 2)
        );
        assert_eq!(lines.get(), 2);
        p.finish();
    }
}
