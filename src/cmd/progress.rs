//! Progress on long runs: a bar (or spinner) on stderr when it is a terminal and the
//! work has taken more than a second; nothing otherwise.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How long work runs before its progress shows.
const SHOW_AFTER: Duration = Duration::from_secs(1);

/// A progress display that shows itself only for long work on a terminal.
pub struct Progress {
    bar: Option<ProgressBar>,
    done: Arc<AtomicBool>,
}

impl Progress {
    /// A spinner saying `what`, for work whose size is not known.
    pub fn spinner(what: &str) -> Progress {
        Self::start(None, what)
    }

    /// A bar of `len` steps saying `what`.
    pub fn bar(len: u64, what: &str) -> Progress {
        Self::start(Some(len), what)
    }

    fn start(len: Option<u64>, what: &str) -> Progress {
        let done = Arc::new(AtomicBool::new(false));
        if !std::io::stderr().is_terminal() {
            return Progress { bar: None, done };
        }
        let bar = match len {
            Some(n) => ProgressBar::with_draw_target(Some(n), ProgressDrawTarget::hidden()),
            None => ProgressBar::hidden(),
        };
        let style = match len {
            Some(_) => ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} {elapsed}"),
            None => ProgressStyle::with_template("{spinner} {msg} {elapsed}"),
        };
        if let Ok(s) = style {
            bar.set_style(s);
        }
        bar.set_message(what.to_string());
        let (b, d) = (bar.clone(), done.clone());
        std::thread::spawn(move || {
            let mut waited = Duration::ZERO;
            while waited < SHOW_AFTER {
                if d.load(Ordering::Relaxed) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
                waited += Duration::from_millis(50);
            }
            if !d.load(Ordering::Relaxed) {
                b.set_draw_target(ProgressDrawTarget::stderr());
                b.enable_steady_tick(Duration::from_millis(100));
            }
        });
        Progress {
            bar: Some(bar),
            done,
        }
    }

    /// One step done.
    pub fn inc(&self) {
        if let Some(b) = &self.bar {
            b.inc(1);
        }
    }

    /// The work is over: the display goes away.
    pub fn finish(self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
