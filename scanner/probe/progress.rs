//! The scan's progress bar on stderr: endpoints done, rate, ETA, and the
//! ok/failed counts.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::model::Status;

/// The progress bar and its ok/failed counts, shared with every probe task.
#[derive(Clone)]
pub(super) struct Progress {
    bar: ProgressBar,
    ok: Arc<AtomicUsize>,
    failed: Arc<AtomicUsize>,
}

impl Progress {
    pub(super) fn new(total: usize, show: bool) -> Self {
        Progress {
            bar: progress_bar(total, show),
            ok: Arc::new(AtomicUsize::new(0)),
            failed: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Take the bar off the terminal.
    pub(super) fn finish(&self) {
        self.bar.finish_and_clear();
    }

    /// A name that did not resolve: one more failed endpoint.
    pub(super) fn unresolved(&self) {
        self.bar.inc(1);
        self.failed.fetch_add(1, Ordering::Relaxed);
    }

    /// A probe finished with `status`.
    pub(super) fn probed(&self, status: Status) {
        let counter = if status == Status::Ok {
            &self.ok
        } else {
            &self.failed
        };
        counter.fetch_add(1, Ordering::Relaxed);
        self.bar.set_message(format!(
            "ok {} failed {}",
            self.ok.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed)
        ));
        self.bar.inc(1);
    }
}

fn progress_bar(total: usize, show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::hidden());
    }
    let bar = ProgressBar::new(total as u64);
    let style = ProgressStyle::with_template(
        "{spinner} {pos}/{len} endpoints [{bar:30}] {rate} ETA {eta} {msg}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    // Whole endpoints per second; indicatif's own {per_sec} prints 4 decimals.
    .with_key(
        "rate",
        |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
            let _ = write!(w, "{:.0}/s", state.per_sec());
        },
    )
    .progress_chars("=> ");
    bar.set_style(style);
    bar.set_draw_target(ProgressDrawTarget::stderr());
    bar
}
