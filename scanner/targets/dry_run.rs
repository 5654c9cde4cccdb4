//! `excert targets`: what a scan would probe, one JSON object per line, so it
//! can be read by people and by `jq` alike.

use std::net::IpAddr;

use serde::Serialize;

use crate::model::{Endpoint, Group, Role, SkippedEndpoint};

/// One line of the dry run. Every key is always present (null or empty when
/// unknown), so scripts need no special cases. Field order is the key order.
#[derive(Debug, Serialize)]
pub struct DryRunLine<'a> {
    /// The name or IP as the user gave it.
    pub host: &'a str,
    /// Null when the name did not resolve.
    pub address: Option<IpAddr>,
    /// The TCP port that would be probed.
    pub port: u16,
    /// What the port is for (`frontend`, `backend`, `smtp`, `imap`, `pop`,
    /// `edgesync`, `other`).
    pub role: Role,
    /// An `other` port's `--tls-port` label; the one key left out when
    /// absent, so the lines of every other role read as they always have.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<&'a str>,
    /// Null for IP literals without `--sni`.
    pub sni: Option<&'a str>,
    /// `{}` when the input had no Site/ServerRole/DAG columns.
    pub group: &'a Group,
    /// Input file, `args` or `-` (stdin).
    pub file: Option<&'a str>,
    /// 1-based line in `file`; null when the target has no source.
    pub line: Option<usize>,
    /// Other names that reach the same address:port.
    pub aliases: &'a [String],
    /// The resolver's message when the name did not resolve.
    pub error: Option<&'a str>,
    /// Why this port is not scanned (the server's role or version has no
    /// such site); null for ports that are scanned.
    pub skipped: Option<&'a str>,
    /// For a `--load-balancer` VIP, the servers' port it stands for
    /// (`frontend` or `smtp`); null for every other endpoint.
    pub forwards_to: Option<Role>,
}

impl<'a> DryRunLine<'a> {
    /// The line for one resolved endpoint and its resolver error, if any.
    pub fn new(endpoint: &'a Endpoint, error: Option<&'a str>) -> Self {
        DryRunLine {
            host: &endpoint.host,
            address: endpoint.address,
            port: endpoint.port,
            role: endpoint.role,
            label: endpoint.label.as_deref(),
            sni: endpoint.sni.as_deref(),
            group: &endpoint.group,
            file: endpoint.source.as_ref().map(|s| s.file.as_str()),
            line: endpoint.source.as_ref().map(|s| s.line),
            aliases: &endpoint.aliases,
            error,
            skipped: None,
            forwards_to: endpoint.forwards_to,
        }
    }
}

/// The dry-run output: one compact JSON object per endpoint, in scan order.
pub fn dry_run_lines(endpoints: &[(Endpoint, Option<String>)]) -> Vec<String> {
    endpoints
        .iter()
        .map(|(e, err)| json_line(&DryRunLine::new(e, err.as_deref())))
        .collect()
}

/// The lines for ports skipped by role or version, after the scanned ones.
pub fn skipped_lines(skipped: &[SkippedEndpoint]) -> Vec<String> {
    skipped
        .iter()
        .map(|s| {
            json_line(&DryRunLine {
                skipped: Some(&s.reason),
                ..DryRunLine::new(&s.endpoint, None)
            })
        })
        .collect()
}

fn json_line(line: &DryRunLine<'_>) -> String {
    // Serialising plain strings, numbers and an IpAddr cannot fail; an
    // empty object keeps the line count right if it ever did.
    serde_json::to_string(line).unwrap_or_else(|_| "{}".to_string())
}
