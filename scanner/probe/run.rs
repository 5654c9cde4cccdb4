//! Running many probes at once: a global limit, a per-address limit, a
//! progress bar, and cancellation.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::config::ProbeOptions;
use crate::model::{Endpoint, EndpointEvidence, Observation, Status};
use crate::Cancel;

use super::gate::Gate;

/// Evidence for every endpoint, in input order.
pub struct Probed {
    pub evidence: Vec<EndpointEvidence>,
    /// False when cancelled before every endpoint was probed.
    pub complete: bool,
}

/// Connection attempts at once, as a multiple of `--concurrency` (and never
/// more than the descriptors we have). A sweep of dark addresses spends its
/// time waiting for connect timeouts, which cost a socket and nothing else;
/// only connected probes take part in `--concurrency` ([`Gate`]).
const CONNECT_FACTOR: usize = 16;

/// Probes in the TLS phase that waited past the gate's stall time still
/// hold a socket each; this many times `--concurrency` may be in that phase
/// at once.
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
// Every index comes from enumerating `endpoints`, and `slots`, `waiting` and
// `dns_errors` have its length. TODO(issue 10): use get_mut and drop this.
#[allow(clippy::indexing_slicing)]
pub async fn probe_all(
    endpoints: Vec<(Endpoint, Option<String>)>,
    opts: &ProbeOptions,
    cancel: Cancel,
) -> Probed {
    let concurrency = opts.concurrency.max(1);
    let mut sockets = concurrency.saturating_mul(CONNECT_FACTOR);
    if let Some(budget) = super::net::raise_fd_limit() {
        // Each probe holds one socket at a time.
        let usable = budget.sockets.max(super::net::MIN_CONCURRENCY);
        if usable < concurrency {
            crate::error::say(format!(
                "the open-files limit ({}) allows {usable} endpoints at once instead of \
                 {concurrency}; raise it (ulimit -n) for a faster scan",
                budget.limit
            ));
        }
        sockets = sockets.min(usable);
    }
    let gate = Gate::new(
        concurrency.min(sockets),
        concurrency.saturating_mul(IN_FLIGHT_FACTOR).min(sockets),
    );
    let sockets = Arc::new(Semaphore::new(sockets));
    let mut per_address: HashMap<IpAddr, Arc<Semaphore>> = HashMap::new();
    let bar = progress_bar(endpoints.len(), opts.progress);
    let failed = Arc::new(AtomicUsize::new(0));
    let ok = Arc::new(AtomicUsize::new(0));

    let mut slots: Vec<Option<EndpointEvidence>> = vec![None; endpoints.len()];
    let mut order = spawn_order(&endpoints).into_iter();
    // Endpoints not yet handed to a task; a task's endpoint is kept beside
    // its id, so an abandoned or failed probe still gets its row.
    let mut waiting: Vec<Option<Endpoint>> = Vec::with_capacity(endpoints.len());
    let mut dns_errors = Vec::with_capacity(endpoints.len());
    for (endpoint, dns_error) in endpoints {
        dns_errors.push(dns_error.filter(|_| endpoint.address.is_none()));
        waiting.push(Some(endpoint));
    }
    let mut running: HashMap<tokio::task::Id, (usize, Endpoint)> = HashMap::new();
    let mut tasks = JoinSet::new();
    let mut complete = true;
    let mut next = order.next();
    loop {
        // A name that did not resolve needs no task.
        while let Some(index) = next.filter(|&i| dns_errors[i].is_some()) {
            if let (Some(endpoint), Some(message)) =
                (waiting[index].take(), dns_errors[index].take())
            {
                bar.inc(1);
                failed.fetch_add(1, Ordering::Relaxed);
                slots[index] = Some(EndpointEvidence {
                    endpoint,
                    observation: Observation::failed(Status::DnsFailed, message),
                    no_sni: None,
                });
            }
            next = order.next();
        }
        if next.is_none() && tasks.is_empty() {
            break;
        }
        tokio::select! {
            biased;
            _ = cancel.cancelled() => {
                tasks.abort_all();
                complete = false;
                break;
            }
            Some(done) = tasks.join_next_with_id(), if !tasks.is_empty() => match done {
                Ok((id, (index, evidence))) => {
                    running.remove(&id);
                    slots[index] = Some(evidence);
                }
                // A panicking probe is a bug; it costs that endpoint (filled
                // in below as failed), never the scan.
                Err(e) => {
                    if let Some((index, endpoint)) = running.remove(&e.id()) {
                        waiting[index] = Some(endpoint);
                    }
                }
            },
            Ok(socket) = sockets.clone().acquire_owned(), if next.is_some() => {
                let Some(index) = next else { continue };
                next = order.next();
                let Some(endpoint) = waiting[index].take() else { continue };
                let host_limit = endpoint.address.map(|ip| {
                    per_address
                        .entry(ip)
                        .or_insert_with(|| Arc::new(Semaphore::new(opts.per_address.max(1))))
                        .clone()
                });
                let (gate, opts) = (gate.clone(), opts.clone());
                let (bar, ok, failed) = (bar.clone(), ok.clone(), failed.clone());
                let kept = endpoint.clone();
                let task = tasks.spawn(async move {
                    let _socket = socket;
                    let _host = match host_limit {
                        Some(s) => Some(s.acquire_owned().await),
                        None => None,
                    };
                    let (observation, no_sni) =
                        super::probe_endpoint_gated(&endpoint, &opts, &gate).await;
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
                running.insert(task.id(), (index, kept));
            }
        }
    }
    for (_, (index, endpoint)) in running {
        waiting[index] = Some(endpoint);
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
        .zip(waiting)
        .filter_map(|(slot, endpoint)| {
            slot.or_else(|| {
                Some(EndpointEvidence {
                    endpoint: endpoint?,
                    observation: Observation::failed(status, reason),
                    no_sni: None,
                })
            })
        })
        .collect();
    Probed { evidence, complete }
}

/// The order probes start in: every address's first endpoint in input
/// order, then every address's second one, and so on. A probe holds its
/// socket place while it waits for its address's turn, so starting the
/// ports of one host side by side would leave places idle in a sweep.
fn spawn_order(endpoints: &[(Endpoint, Option<String>)]) -> Vec<usize> {
    let mut seen: HashMap<Option<IpAddr>, usize> = HashMap::new();
    let mut keyed: Vec<(usize, usize)> = endpoints
        .iter()
        .enumerate()
        .map(|(index, (endpoint, _))| {
            let round = seen.entry(endpoint.address).or_default();
            *round += 1;
            (*round, index)
        })
        .collect();
    keyed.sort_unstable();
    keyed.into_iter().map(|(_, index)| index).collect()
}
