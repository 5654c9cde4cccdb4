//! The act-now list for a large fleet: servers that need the same whole
//! set of work (their verdict plus every task of their fix) form one group
//! ("37 servers: renew the back-end certificate"), so 2,000 servers read
//! as a handful of jobs, and a server with two problems never hides under
//! the heading of one of them.
//!
//! Built on [`act_now`]: groups are ordered by their most urgent server,
//! and servers keep the act-now order within a group.

use super::labels::{task_label, verdict_label};
use super::triage::{act_now, Action};
use crate::model::{ScanReport, ServerReport, Severity, Task, Verdict};

/// Servers that need the same work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionGroup<'a> {
    /// The worst severity among the group's servers.
    pub severity: Severity,
    /// The verdict every server of the group has.
    pub verdict: Verdict,
    /// The work besides the verdict's, in words, in the order of the
    /// steps; the same for every server of the group.
    pub work: Vec<&'static str>,
    /// Most urgent first.
    pub actions: Vec<Action<'a>>,
}

impl ActionGroup<'_> {
    /// The work in a sentence: `Renew the back-end certificate, and
    /// enable a certificate for SMTP, IMAP or POP`. Distinct groups have
    /// distinct headlines, since the words are the grouping key.
    pub fn work_text(&self) -> String {
        let mut text = verdict_label(self.verdict).to_string();
        if !self.work.is_empty() {
            text.push_str(", and ");
            text.push_str(&self.work.join(", "));
        }
        text
    }

    /// `37 servers: Renew the back-end certificate`.
    pub fn title(&self) -> String {
        format!(
            "{}: {}",
            super::labels::count(self.actions.len(), "server"),
            self.work_text()
        )
    }
}

/// A server's whole work in a sentence, as its act-now group's headline
/// says it (servers.csv's `action`).
pub fn work_text(server: &ServerReport) -> String {
    let work = work_of(server);
    let mut text = verdict_label(server.verdict).to_string();
    if !work.is_empty() {
        text.push_str(", and ");
        text.push_str(&work.join(", "));
    }
    text
}

/// The work of a server beyond what its verdict's label already says.
fn work_of(server: &ServerReport) -> Vec<&'static str> {
    let headline = verdict_label(server.verdict).to_lowercase();
    let steps = &server.remediation_steps;
    // Trusting and binding the new certificate are part of renewing it.
    let renews = steps.iter().any(|s| s.task == Task::RenewBackend);
    let mut work: Vec<&'static str> = Vec::new();
    for step in steps {
        let part_of_renewal = matches!(
            step.task,
            Task::TrustCertificate | Task::BindBackend | Task::FindOwnCertificate
        );
        if renews && part_of_renewal {
            continue;
        }
        if let Some(label) = task_label(step.task) {
            if !work.contains(&label) && !headline.contains(label) {
                work.push(label);
            }
        }
    }
    work
}

/// The act-now list, grouped by verdict and the work of the fix.
pub fn act_now_groups(report: &ScanReport) -> Vec<ActionGroup<'_>> {
    let mut groups: Vec<ActionGroup<'_>> = Vec::new();
    for action in act_now(report) {
        let verdict = action.server.verdict;
        let work = work_of(action.server);
        let found = groups
            .iter_mut()
            .find(|g| g.verdict == verdict && g.work == work);
        match found {
            Some(g) => {
                g.severity = g.severity.min(action.severity);
                g.actions.push(action);
            }
            None => groups.push(ActionGroup {
                severity: action.severity,
                verdict,
                work,
                actions: vec![action],
            }),
        }
    }
    groups
}
