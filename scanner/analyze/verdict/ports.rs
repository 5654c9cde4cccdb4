//! EdgeSync and `--tls-port` ports in a server's verdict: their steps, how
//! they are named in a summary, and the summary when only they need a look.
//!
//! Their findings carry their own steps. An Edge server often presents one
//! certificate on SMTP and on EdgeSync, so the same new certificate would
//! be made twice: a step is left out when one with the same task, command
//! and thumbprints is already there, whatever port it names.

use crate::model::{EndpointReport, Finding, FindingId, Role, Severity, Step};

/// Whether findings on this role bring their own steps here rather than
/// through the mail ports' loop.
pub(super) fn own_steps(role: Role) -> bool {
    matches!(role, Role::Edgesync | Role::Other)
}

/// Whether `step` would repeat one already in `steps`.
fn repeats(steps: &[Step], step: &Step) -> bool {
    steps.iter().any(|s| {
        s == step
            || (s.task == step.task
                && s.command().is_some()
                && s.command() == step.command()
                && s.thumbprints == step.thumbprints)
    })
}

/// The steps of the actionable EdgeSync and `--tls-port` findings in
/// `all`, each once. Endpoints that could not be scanned get theirs with
/// the other unscanned ones.
pub(super) fn add_steps(steps: &mut Vec<Step>, all: &[(&EndpointReport, &Finding)]) {
    let mine = all.iter().filter(|(e, f)| {
        own_steps(e.endpoint.role)
            && f.severity <= Severity::Warning
            && !matches!(
                f.id,
                FindingId::EndpointNotScanned | FindingId::CertUnparsable
            )
    });
    for (_, f) in mine {
        for step in &f.remediation_steps {
            if !repeats(steps, step) {
                steps.push(step.clone());
            }
        }
    }
}

/// How a summary names the port: `EdgeSync 50636`, `wmsvc 8172`, `SMTP 25`.
pub(super) fn port_name(e: &EndpointReport) -> String {
    let what = match (e.endpoint.role, e.endpoint.label.as_deref()) {
        (Role::Edgesync, _) => "EdgeSync".to_string(),
        (Role::Other, Some(label)) => crate::analyze::commands::shown(label),
        (role, _) => role.as_str().to_ascii_uppercase(),
    };
    format!("{what} {}", e.endpoint.port)
}

/// `ex01: a certificate on another TLS port needs work (wmsvc 8172:
/// certificate expired).`, when every finding that decided the review is
/// on a `--tls-port` port; `None` otherwise.
pub(super) fn other_summary(host: &str, decided: &[(&EndpointReport, &Finding)]) -> Option<String> {
    if decided.is_empty() || decided.iter().any(|(e, _)| e.endpoint.role != Role::Other) {
        return None;
    }
    let mut parts: Vec<String> = Vec::new();
    for (e, f) in decided {
        let what = match f.id {
            FindingId::OtherCertExpired => "certificate expired",
            FindingId::OtherCertExpiring => "certificate expiring",
            FindingId::OtherCertUntrusted => "certificate not trusted",
            FindingId::NameMismatch => "certificate does not cover its name",
            _ => &f.title,
        };
        let part = format!("{}: {what}", port_name(e));
        if !parts.contains(&part) {
            parts.push(part);
        }
    }
    Some(format!(
        "{host}: a certificate on another TLS port needs work ({}); replace it where that \
         service binds it.",
        parts.join("; ")
    ))
}
