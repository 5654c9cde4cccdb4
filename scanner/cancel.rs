//! Stopping a scan early (Ctrl-C, SIGTERM, SIGHUP), and what a signal means
//! in each phase of a run.
//!
//! While probing, a signal cancels the scan: what was collected is written,
//! marked `complete: false`, and the exit code is 130. Once every probe has
//! finished and the reports are being written, a signal no longer changes
//! the result: the set being written is complete, so it is finished and
//! the message says so. SIGHUP (a dropped SSH session) is treated like
//! SIGTERM, so a lost connection does not lose the scan.

use std::sync::{Arc, Mutex, PoisonError};

use crate::error::say;

/// Stops a scan early. Cloneable; `cancel()` on any clone wakes every
/// `cancelled()`. tokio-util's token does exactly this.
pub use tokio_util::sync::CancellationToken as Cancel;

/// The signal handler of one run. Needs a running tokio runtime.
#[derive(Debug, Clone)]
pub struct Signals {
    cancel: Cancel,
    /// True once the write phase began; the lock orders it against the
    /// handler, so a signal is either a cancel or a "finishing" note.
    writing: Arc<Mutex<bool>>,
}

impl Signals {
    /// Listen for SIGINT, SIGTERM and SIGHUP (Ctrl-C elsewhere).
    pub fn install() -> Self {
        let signals = Signals {
            cancel: Cancel::new(),
            writing: Arc::new(Mutex::new(false)),
        };
        let handler = signals.clone();
        // The handlers are registered here, not when the task first runs: a
        // signal that comes before the first probe still cancels, rather than
        // ending the process with nothing written.
        let stops = stop_signals();
        tokio::spawn(async move { listen(stops, move || handler.on_signal()).await });
        signals
    }

    /// The token the probes watch.
    pub fn token(&self) -> Cancel {
        self.cancel.clone()
    }

    /// Enter the write phase. Returns true when a signal cancelled the scan
    /// before this point, so the report must be marked incomplete even if
    /// the last probe had already finished.
    pub fn start_writing(&self) -> bool {
        let mut writing = self.writing.lock().unwrap_or_else(PoisonError::into_inner);
        *writing = true;
        self.cancel.is_cancelled()
    }

    fn on_signal(&self) {
        let writing = self.writing.lock().unwrap_or_else(PoisonError::into_inner);
        if *writing {
            say("signal received while writing the reports; finishing them (the scan itself was complete)");
        } else if !self.cancel.is_cancelled() {
            say("interrupted; writing what was collected, marked incomplete");
            self.cancel.cancel();
        }
    }
}

/// The stop signals, registered with the runtime; None where one could not
/// be (the default action then applies).
#[cfg(unix)]
type Stops = Option<[tokio::signal::unix::Signal; 3]>;
#[cfg(not(unix))]
type Stops = ();

#[cfg(unix)]
fn stop_signals() -> Stops {
    use tokio::signal::unix::{signal, SignalKind};
    Some([
        signal(SignalKind::interrupt()).ok()?,
        signal(SignalKind::terminate()).ok()?,
        signal(SignalKind::hangup()).ok()?,
    ])
}

#[cfg(not(unix))]
fn stop_signals() -> Stops {}

/// Call `on_signal` for every stop signal, for the life of the run.
#[cfg(unix)]
async fn listen(stops: Stops, on_signal: impl Fn()) {
    let Some([mut int, mut term, mut hup]) = stops else {
        return;
    };
    loop {
        tokio::select! {
            _ = int.recv() => {}
            _ = term.recv() => {}
            _ = hup.recv() => {}
        }
        on_signal();
    }
}

/// Call `on_signal` for every Ctrl-C, for the life of the run.
#[cfg(not(unix))]
async fn listen(_stops: Stops, on_signal: impl Fn()) {
    while tokio::signal::ctrl_c().await.is_ok() {
        on_signal();
    }
}
