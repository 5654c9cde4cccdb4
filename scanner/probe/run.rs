//! Running many probes at once: a global limit, a per-address limit, a
//! progress bar, and cancellation.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::config::ProbeOptions;
use crate::model::{Endpoint, EndpointEvidence, Observation, Status};
use crate::Cancel;

/// Evidence for every endpoint, in input order.
pub struct Probed {
    pub evidence: Vec<EndpointEvidence>,
    /// False when cancelled before every endpoint was probed.
    pub complete: bool,
}

/// File descriptors kept free for the runtime, stdio and report files.
const FD_RESERVE: u64 = 64;

/// A probe that has held a working slot this long is waiting on a slow or
/// silent server, not working: it hands the slot to the next endpoint and
/// goes on waiting for its own timeout. So a fleet where 10% of hosts hang
/// costs about one timeout more, not one timeout per wave of `concurrency`.
const STALL: Duration = Duration::from_millis(500);

/// Probes waiting past [`STALL`] still hold a socket each; this many times
/// `--concurrency` may be in flight at once (and never more than the
/// descriptors we have).
const IN_FLIGHT_FACTOR: usize = 4;

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

/// Probe all endpoints with bounded concurrency. The `Option<String>` beside
/// each endpoint is a resolver error, which becomes `dns_failed`.
///
/// On cancel no new probe starts, probes in flight are abandoned, and the
/// endpoints not probed get status `cancelled`, with `complete: false`.
pub async fn probe_all(
    endpoints: Vec<(Endpoint, Option<String>)>,
    opts: &ProbeOptions,
    cancel: Cancel,
) -> Probed {
    let mut concurrency = opts.concurrency.max(1);
    let mut max_in_flight = concurrency.saturating_mul(IN_FLIGHT_FACTOR);
    if let Some(limit) = super::net::raise_fd_limit() {
        // Each probe holds one socket at a time.
        let usable = limit.saturating_sub(FD_RESERVE).max(1) as usize;
        concurrency = concurrency.min(usable);
        max_in_flight = max_in_flight.min(usable);
    }
    let global = Arc::new(Semaphore::new(concurrency));
    let in_flight = Arc::new(Semaphore::new(max_in_flight));
    let mut per_address: HashMap<IpAddr, Arc<Semaphore>> = HashMap::new();
    let bar = progress_bar(endpoints.len(), opts.progress);
    let failed = Arc::new(AtomicUsize::new(0));
    let ok = Arc::new(AtomicUsize::new(0));

    let mut slots: Vec<Option<EndpointEvidence>> = vec![None; endpoints.len()];
    let all: Vec<Endpoint> = endpoints.iter().map(|(e, _)| e.clone()).collect();
    let mut tasks = JoinSet::new();
    for (index, (endpoint, dns_error)) in endpoints.into_iter().enumerate() {
        if let Some(message) = dns_error.filter(|_| endpoint.address.is_none()) {
            bar.inc(1);
            failed.fetch_add(1, Ordering::Relaxed);
            let Some(slot) = slots.get_mut(index) else {
                continue;
            };
            *slot = Some(EndpointEvidence {
                endpoint,
                observation: Observation::failed(Status::DnsFailed, message),
                no_sni: None,
            });
            continue;
        }
        let host_limit = endpoint.address.map(|ip| {
            per_address
                .entry(ip)
                .or_insert_with(|| Arc::new(Semaphore::new(opts.per_address.max(1))))
                .clone()
        });
        let (global, in_flight) = (global.clone(), in_flight.clone());
        let opts = opts.clone();
        let (bar, ok, failed) = (bar.clone(), ok.clone(), failed.clone());
        tasks.spawn(async move {
            // Take the per-address permit first, so a host with many ports
            // does not hold global slots while it waits for itself.
            let _host = match host_limit {
                Some(s) => Some(s.acquire_owned().await),
                None => None,
            };
            let _socket = in_flight.acquire_owned().await;
            let mut slot = Some(global.acquire_owned().await);
            let (observation, no_sni) = {
                let probe = super::probe_endpoint(&endpoint, &opts);
                tokio::pin!(probe);
                loop {
                    tokio::select! {
                        result = &mut probe => break result,
                        _ = tokio::time::sleep(STALL), if slot.is_some() => slot = None,
                    }
                }
            };
            let counter = if observation.status == Status::Ok {
                &ok
            } else {
                &failed
            };
            counter.fetch_add(1, Ordering::Relaxed);
            bar.set_message(format!(
                "ok {} failed {}",
                ok.load(Ordering::Relaxed),
                failed.load(Ordering::Relaxed)
            ));
            bar.inc(1);
            (
                index,
                EndpointEvidence {
                    endpoint,
                    observation,
                    no_sni,
                },
            )
        });
    }

    let mut complete = true;
    loop {
        tokio::select! {
            biased;
            _ = cancel.cancelled() => {
                tasks.abort_all();
                complete = false;
                break;
            }
            next = tasks.join_next() => match next {
                Some(Ok((index, evidence))) => {
                    if let Some(slot) = slots.get_mut(index) {
                        *slot = Some(evidence);
                    }
                }
                // A panicking probe is a bug; it costs that endpoint (filled
                // in below as failed), never the scan.
                Some(Err(_)) => {}
                None => break,
            },
        }
    }
    bar.finish_and_clear();
    // Every endpoint gets a status and a reason, probed or not.
    let (status, reason) = if complete {
        (
            Status::HandshakeFailed,
            "internal error: the probe of this endpoint failed",
        )
    } else {
        (
            Status::Cancelled,
            "scan interrupted before this endpoint was probed",
        )
    };
    let evidence = slots
        .into_iter()
        .zip(all)
        .map(|(slot, endpoint)| {
            slot.unwrap_or_else(|| EndpointEvidence {
                endpoint,
                observation: Observation::failed(status, reason),
                no_sni: None,
            })
        })
        .collect();
    Probed { evidence, complete }
}
