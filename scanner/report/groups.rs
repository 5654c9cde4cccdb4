//! The act-now list for a large fleet: servers that share a verdict and
//! the same remediation steps form one group ("37 servers: renew the
//! backend certificate"), so 2,000 servers read as a handful of jobs.
//!
//! Built on [`act_now`]: groups are ordered by their most urgent server,
//! and servers keep the act-now order within a group.

use super::triage::{act_now, Action};
use crate::analyze::remediation::{verdict_action, Task};
use crate::model::{ScanReport, Severity, Verdict};

/// Servers that need the same work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionGroup<'a> {
    /// The severity every server of the group has.
    pub severity: Severity,
    /// The verdict every server of the group has.
    pub verdict: Verdict,
    /// The remediation steps every server of the group has, in order.
    pub tasks: Vec<Task>,
    /// Most urgent first.
    pub actions: Vec<Action<'a>>,
}

impl ActionGroup<'_> {
    /// `37 servers: renew the backend certificate`.
    pub fn title(&self) -> String {
        let n = self.actions.len();
        let servers = if n == 1 { "server" } else { "servers" };
        format!("{n} {servers}: {}", verdict_action(self.verdict))
    }
}

/// The act-now list, grouped by severity, verdict and remediation steps.
pub fn act_now_groups(report: &ScanReport) -> Vec<ActionGroup<'_>> {
    let mut groups: Vec<ActionGroup<'_>> = Vec::new();
    for action in act_now(report) {
        let tasks: Vec<Task> = action
            .server
            .remediation_steps
            .iter()
            .map(|s| s.task)
            .collect();
        let verdict = action.server.verdict;
        let found = groups
            .iter_mut()
            .find(|g| g.severity == action.severity && g.verdict == verdict && g.tasks == tasks);
        match found {
            Some(g) => g.actions.push(action),
            None => groups.push(ActionGroup {
                severity: action.severity,
                verdict,
                tasks,
                actions: vec![action],
            }),
        }
    }
    groups
}
