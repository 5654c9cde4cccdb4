//! The TLS phase's share of the concurrency.
//!
//! Connecting is cheap and mostly waiting: a filtered address costs a
//! connect timeout and nothing else. So a probe connects under the socket
//! limit alone, and only a probe whose first connection is open passes the
//! gate into the TLS phase, where `--concurrency` counts.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;

/// A probe that has held a working slot this long is waiting on a slow or
/// silent server, not working: it hands the slot to the next endpoint and
/// goes on waiting for its own timeout. So a fleet where 10% of hosts hang
/// costs about one timeout more, not one timeout per wave of `concurrency`.
const STALL: Duration = Duration::from_millis(500);

/// Limits for the TLS phase: `slots` working probes, `in_flight` probes in
/// the phase at all (working, or waiting past the `STALL` time of 0.5 s).
#[derive(Debug, Clone, Default)]
pub struct Gate {
    limits: Option<(Arc<Semaphore>, Arc<Semaphore>)>,
}

impl Gate {
    /// No limit: one probe on its own, as in tests.
    pub fn open() -> Self {
        Gate::default()
    }

    /// At most `slots` probes working in the TLS phase and `in_flight` in it
    /// at all (each at least 1).
    pub fn new(slots: usize, in_flight: usize) -> Self {
        Gate {
            limits: Some((
                Arc::new(Semaphore::new(slots.max(1))),
                Arc::new(Semaphore::new(in_flight.max(1))),
            )),
        }
    }

    /// Run the TLS phase once a slot is free, giving the slot back (but not
    /// the in-flight place) after `STALL` (0.5 s). `work` makes the phase's future
    /// only then, so a probe waiting here holds no handshake state.
    pub async fn pass<F: Future>(&self, work: impl FnOnce() -> F) -> F::Output {
        let Some((slots, in_flight)) = &self.limits else {
            return work().await;
        };
        let _in_flight = in_flight.clone().acquire_owned().await;
        let mut slot = Some(slots.clone().acquire_owned().await);
        let work = work();
        tokio::pin!(work);
        loop {
            tokio::select! {
                result = &mut work => return result,
                _ = tokio::time::sleep(STALL), if slot.is_some() => slot = None,
            }
        }
    }
}
