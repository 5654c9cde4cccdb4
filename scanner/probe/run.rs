//! Running many probes at once: a global limit, a per-address limit, a
//! progress bar, and cancellation.

use std::collections::{HashMap, HashSet};
use std::net::IpAddr;
use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::task::{JoinError, JoinSet};

use crate::config::ProbeOptions;
use crate::model::{Endpoint, EndpointEvidence, Observation, Status};
use crate::Cancel;

use super::gate::Gate;
use super::progress::Progress;

/// Evidence for every endpoint, in input order.
pub struct Probed {
    /// One entry per endpoint given, probed or not (`cancelled` when the
    /// scan stopped first).
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
    let (gate, sockets) = limits(opts);
    let progress = Progress::new(endpoints.len(), opts.progress);
    let mut run = Run::new(endpoints, opts, gate, sockets, progress.clone());
    let complete = run.drive(&cancel).await;
    let evidence = run.into_evidence(complete);
    progress.finish();
    Probed { evidence, complete }
}

/// The [`Gate`] for the TLS phase and the connection attempts allowed at
/// once, from `--concurrency` and the open-files limit.
fn limits(opts: &ProbeOptions) -> (Gate, Arc<Semaphore>) {
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
    (gate, Arc::new(Semaphore::new(sockets)))
}

/// What every probe task needs, cloned into each.
#[derive(Clone)]
struct Shared {
    gate: Gate,
    opts: ProbeOptions,
    progress: Progress,
}

/// One endpoint's row, by input index: its endpoint, then its evidence.
/// Held in the row itself, not boxed: every row ends up with evidence, and
/// the list of rows becomes the list the analysis takes in place, where
/// boxed evidence was copied into a new list, beside the boxes, at the
/// largest moment of a large scan.
enum Row {
    /// No task holds the endpoint: not yet started, or given back by a
    /// probe that failed or was abandoned. With the resolver's error, for
    /// an endpoint with no address.
    Waiting(Endpoint, Option<String>),
    /// A probe task holds the endpoint.
    Running,
    /// The evidence.
    Done(EndpointEvidence),
}

/// The state of one [`probe_all`]: every row, the start order, the tasks.
struct Run {
    rows: Vec<Row>,
    order: std::vec::IntoIter<usize>,
    /// The next endpoint to start, if any.
    next: Option<usize>,
    /// A task's endpoint is kept beside its id, so an abandoned or failed
    /// probe still gets its row.
    running: HashMap<tokio::task::Id, (usize, Endpoint)>,
    tasks: JoinSet<(usize, EndpointEvidence)>,
    /// One limit per IP: at most `per_address` probes at once to one address.
    per_address: HashMap<IpAddr, Arc<Semaphore>>,
    sockets: Arc<Semaphore>,
    shared: Shared,
    /// One copy of each distinct certificate seen: a fleet presents the
    /// same public certificate and intermediates on every 443, so the
    /// evidence kept until analysis grows with the distinct certificates,
    /// not with the endpoints.
    certificates: HashSet<Arc<[u8]>>,
    /// One copy of each distinct `tls.evidence` line: most endpoints of a
    /// fleet got the same answers, in the same words.
    lines: HashSet<Arc<str>>,
}

impl Run {
    fn new(
        endpoints: Vec<(Endpoint, Option<String>)>,
        opts: &ProbeOptions,
        gate: Gate,
        sockets: Arc<Semaphore>,
        progress: Progress,
    ) -> Self {
        let mut order = spawn_order(&endpoints).into_iter();
        let rows = endpoints
            .into_iter()
            .map(|(endpoint, dns_error)| {
                let dns_error = dns_error.filter(|_| endpoint.address.is_none());
                Row::Waiting(endpoint, dns_error)
            })
            .collect();
        Run {
            rows,
            next: order.next(),
            order,
            running: HashMap::new(),
            tasks: JoinSet::new(),
            per_address: HashMap::new(),
            certificates: HashSet::new(),
            lines: HashSet::new(),
            sockets,
            shared: Shared {
                gate,
                opts: opts.clone(),
                progress,
            },
        }
    }

    /// Start probes as sockets free up and collect them, until every
    /// endpoint has a row or `cancel` fires. True when it ran to the end.
    async fn drive(&mut self, cancel: &Cancel) -> bool {
        loop {
            self.skip_unresolved();
            if self.next.is_none() && self.tasks.is_empty() {
                return true;
            }
            tokio::select! {
                biased;
                _ = cancel.cancelled() => {
                    self.tasks.abort_all();
                    return false;
                }
                Some(done) = self.tasks.join_next_with_id(), if !self.tasks.is_empty() => {
                    self.finished(done);
                }
                Ok(socket) = self.sockets.clone().acquire_owned(), if self.next.is_some() => {
                    self.start(socket);
                }
            }
        }
    }

    /// A name that did not resolve needs no task: record it and move on.
    fn skip_unresolved(&mut self) {
        while let Some(index) = self.next {
            let Some(row) = self
                .rows
                .get_mut(index)
                .filter(|r| matches!(r, Row::Waiting(_, Some(_))))
            else {
                return;
            };
            if let Row::Waiting(endpoint, Some(message)) = std::mem::replace(row, Row::Running) {
                self.shared.progress.unresolved();
                *row = Row::Done(EndpointEvidence {
                    endpoint,
                    observation: Observation::failed(Status::DnsFailed, message),
                    no_sni: None,
                });
            }
            self.next = self.order.next();
        }
    }

    /// Spawn the probe of the next endpoint, holding `socket`.
    fn start(&mut self, socket: OwnedSemaphorePermit) {
        let Some(index) = self.next else { return };
        self.next = self.order.next();
        let Some(row) = self.rows.get_mut(index) else {
            return;
        };
        let endpoint = match std::mem::replace(row, Row::Running) {
            Row::Waiting(endpoint, _) => endpoint,
            other => {
                *row = other;
                return;
            }
        };
        let host_limit = endpoint.address.map(|ip| {
            self.per_address
                .entry(ip)
                .or_insert_with(|| Arc::new(Semaphore::new(self.shared.opts.per_address.max(1))))
                .clone()
        });
        let kept = endpoint.clone();
        let probe = probe_one(self.shared.clone(), socket, host_limit, index, endpoint);
        let task = self.tasks.spawn(probe);
        self.running.insert(task.id(), (index, kept));
    }

    /// File a finished task's evidence. A panicking probe is a bug; it
    /// costs that endpoint (filled in at the end as failed), never the scan.
    fn finished(&mut self, done: Result<(tokio::task::Id, (usize, EndpointEvidence)), JoinError>) {
        match done {
            Ok((id, (index, mut evidence))) => {
                self.running.remove(&id);
                self.share_certificates(&mut evidence);
                if let Some(row) = self.rows.get_mut(index) {
                    *row = Row::Done(evidence);
                }
            }
            Err(e) => {
                if let Some((index, endpoint)) = self.running.remove(&e.id()) {
                    self.give_back(index, endpoint);
                }
            }
        }
    }

    /// Point every certificate and evidence line of `evidence` at the copy
    /// already kept, or keep this one.
    fn share_certificates(&mut self, evidence: &mut EndpointEvidence) {
        let chains = std::iter::once(&mut evidence.observation)
            .chain(evidence.no_sni.as_deref_mut())
            .flat_map(|o| o.chain.iter_mut());
        for der in chains {
            match self.certificates.get(&der.0) {
                Some(kept) => der.0 = Arc::clone(kept),
                None => {
                    self.certificates.insert(Arc::clone(&der.0));
                }
            }
        }
        let lines = std::iter::once(&mut evidence.observation)
            .chain(evidence.no_sni.as_deref_mut())
            .filter_map(|o| o.tls.as_mut())
            .flat_map(|t| t.evidence.iter_mut());
        for line in lines {
            match self.lines.get(line) {
                Some(kept) => *line = Arc::clone(kept),
                None => {
                    self.lines.insert(Arc::clone(line));
                }
            }
        }
    }

    fn give_back(&mut self, index: usize, endpoint: Endpoint) {
        if let Some(row) = self
            .rows
            .get_mut(index)
            .filter(|r| matches!(r, Row::Running))
        {
            *row = Row::Waiting(endpoint, None);
        }
    }

    /// Every endpoint's evidence, in input order. Every endpoint gets a
    /// status and a reason, probed or not.
    fn into_evidence(mut self, complete: bool) -> Vec<EndpointEvidence> {
        for (_, (index, endpoint)) in std::mem::take(&mut self.running) {
            self.give_back(index, endpoint);
        }
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
        // Collected in place: the rows' buffer becomes the evidence list,
        // so a large fleet's evidence is never held twice.
        self.rows
            .into_iter()
            .filter_map(|row| match row {
                Row::Done(evidence) => Some(evidence),
                Row::Waiting(endpoint, _) => Some(EndpointEvidence {
                    endpoint,
                    observation: Observation::failed(status, reason),
                    no_sni: None,
                }),
                Row::Running => None,
            })
            .collect()
    }
}

/// One probe task: wait for the endpoint's address to be free, probe it,
/// count it.
async fn probe_one(
    shared: Shared,
    socket: OwnedSemaphorePermit,
    host_limit: Option<Arc<Semaphore>>,
    index: usize,
    endpoint: Endpoint,
) -> (usize, EndpointEvidence) {
    let _socket = socket;
    let _host = match host_limit {
        Some(s) => Some(s.acquire_owned().await),
        None => None,
    };
    let (observation, no_sni) =
        super::endpoint::probe_endpoint_gated(&endpoint, &shared.opts, &shared.gate).await;
    shared.progress.probed(observation.status);
    (
        index,
        EndpointEvidence {
            endpoint,
            observation,
            no_sni: no_sni.map(Box::new),
        },
    )
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
