//! excert: a read-only TLS certificate audit for Microsoft Exchange fleets.
//!
//! Every Exchange server binds its own self-signed "Microsoft Exchange"
//! certificate to the Exchange Back End site on port 444, and a public
//! certificate to the Default Web Site on 443. excert reads both chains from
//! every server and says which servers need the backend cert renewed and
//! which lost their public binding.
//!
//! The data flows one way, one module per stage:
//!
//! 1. [`targets`]: command line and files become a list of [`model::Endpoint`]s.
//! 2. [`probe`]: each endpoint is read over the network into
//!    [`model::EndpointEvidence`] (a cleartext hello that needs no signature
//!    first; one signed handshake only when that cannot get the chain).
//! 3. [`analyze`]: evidence plus settings become facts, findings and a verdict
//!    per server. Pure: no I/O, and the as-of time is an input.
//! 4. [`report`]: scan.json, report.csv and report.html, plus the terminal summary.
//!
//! A whole `excert scan`, as [`app`] runs it:
//!
//! ```text
//! let list = targets::load(&target_opts)?;        // 1. read inputs; any bad line stops here
//! let inventory = inventory::load(&inventory_files)?; // optional certificate-store exports
//! let report = scan(list, &target_opts, &probe_opts, &settings, inventory, cancel).await;
//!                                                  // 1-3. resolve, probe, analyse
//! report::write_all(&report, &out_dir, None)?;     // 4. scan.json, report.csv, report.html
//! ```
//!
//! [`reanalyze`] runs stage 3 again on a saved scan.json (`excert report`).
//! [`app`] holds one entry function per command and decides exit codes.
#![forbid(unsafe_code)]
// Unit tests may unwrap and index: a panic there is a failed test.
#![cfg_attr(
    test,
    allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)
)]

pub mod analyze;
pub mod app;
pub mod cancel;
pub mod cli;
pub mod config;
pub mod diff;
pub mod error;
pub mod exit;
pub mod input;
pub mod inventory;
// The simulated fleet for `demo` and the tests: fixed inputs, where a
// failure is a bug in excert and may panic.
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
pub mod lab;
pub mod merge;
pub mod model;
pub mod probe;
pub mod report;
pub mod targets;
pub mod text;

use time::OffsetDateTime;

use config::{AnalysisSettings, ProbeOptions, TargetOptions};
use model::{Parameters, ScanReport, ToolInfo, SCHEMA_VERSION};

pub use error::Error;

/// Stops a scan early (Ctrl-C, SIGTERM): no new probes start, in-flight ones
/// are abandoned, and the report is marked incomplete.
pub use cancel::Cancel;

/// Run the live pipeline: resolve the targets, probe every endpoint, analyse.
///
/// `targets` comes from [`targets::load`], so bad input was already reported
/// before any packet is sent.
pub async fn scan(
    targets: targets::TargetList,
    target_opts: &TargetOptions,
    probe_opts: &ProbeOptions,
    settings: &AnalysisSettings,
    inventory: Option<model::Inventory>,
    cancel: Cancel,
) -> ScanReport {
    let started_at = OffsetDateTime::now_utc();
    let invalid_targets = targets.invalid.clone();
    let skipped_endpoints = targets.skipped.clone();
    let endpoints = targets::resolve(targets, target_opts).await;
    let probed = probe::probe_all(endpoints, probe_opts, cancel).await;
    let complete = probed.complete;
    // The evidence is dropped as soon as the endpoints are analysed, so a
    // large fleet never holds its raw chains and its findings at once.
    let analysis = analyze::analyze(probed.evidence, inventory.as_ref(), settings);
    let mut parameters = parameters(target_opts, Some(probe_opts), settings);
    parameters.inferred_namespaces = analysis.inferred_namespaces.clone();
    ScanReport {
        schema_version: SCHEMA_VERSION,
        tool: ToolInfo::default(),
        started_at,
        finished_at: OffsetDateTime::now_utc(),
        as_of: settings.as_of,
        complete,
        parameters,
        endpoints: analysis.endpoints,
        servers: analysis.servers,
        expiry_cliffs: analysis.expiry_cliffs,
        invalid_targets,
        skipped_endpoints,
        merged_from: Vec::new(),
        inventory: analysis.inventory,
        organisation: analysis.organisation,
    }
}

/// Run the analysis again on a saved scan.json with new settings (a later
/// as-of date, other thresholds or namespaces). Nothing touches the network.
pub fn reanalyze(saved: &ScanReport, settings: &AnalysisSettings) -> ScanReport {
    let evidence: Vec<_> = saved.endpoints.iter().map(|e| e.to_evidence()).collect();
    let analysis = analyze::analyze(evidence, saved.inventory.as_ref(), settings);
    let mut parameters = saved.parameters.clone();
    parameters.warn_days = settings.warn_days;
    parameters.critical_days = settings.critical_days;
    parameters.namespaces = settings.namespaces.clone();
    parameters.site_namespaces = settings.site_namespaces.clone();
    parameters.ca_bundles = settings.ca_bundles.clone();
    parameters.inferred_namespaces = analysis.inferred_namespaces;
    ScanReport {
        as_of: settings.as_of,
        parameters,
        endpoints: analysis.endpoints,
        servers: analysis.servers,
        expiry_cliffs: analysis.expiry_cliffs,
        inventory: analysis.inventory,
        organisation: analysis.organisation,
        ..saved.clone()
    }
}

/// The settings a report was made with, kept in scan.json as evidence.
pub fn parameters(t: &TargetOptions, p: Option<&ProbeOptions>, s: &AnalysisSettings) -> Parameters {
    Parameters {
        frontend_ports: t.frontend_ports.clone(),
        backend_ports: t.backend_ports.clone(),
        timeout_secs: p.map_or(0.0, |p| p.handshake_timeout.as_secs_f64()),
        concurrency: p.map_or(0, |p| p.concurrency),
        warn_days: s.warn_days,
        critical_days: s.critical_days,
        namespaces: s.namespaces.clone(),
        site_namespaces: s.site_namespaces.clone(),
        ca_bundles: s.ca_bundles.clone(),
        protocol_scan: p.is_some_and(|p| p.protocol_scan),
        inferred_namespaces: Default::default(),
        smtp_ports: t.smtp_ports.clone(),
        imap_ports: t.imap_ports.clone(),
        pop_ports: t.pop_ports.clone(),
        edgesync_ports: t.edgesync_ports.clone(),
        tls_ports: t.tls_ports.clone(),
        load_balancers: t
            .balancers
            .iter()
            .map(|b| model::LoadBalancer {
                namespace: b.namespace.clone(),
                address: b.vip.clone(),
            })
            .collect(),
    }
}
