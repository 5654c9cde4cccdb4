//! How findings, steps and servers are written to scan.json, with the
//! remediation text scan.json carries but memory does not.
//!
//! A finding's `remediation` and a server's `remediation` are renderings of
//! their `remediation_steps` ([`inline`] and [`numbered`], here because
//! the model renders them; the steps are written in
//! `crate::analyze::remediation`). Keeping both the steps and
//! their text doubled the largest part of a 10,000-endpoint report, so the
//! analysis keeps only the steps and the text is rendered when scan.json is
//! written or a report asks for it. Text read from a
//! scan.json is kept as read, so an older file is written back unchanged.
//!
//! The hand-written `Serialize` impls go through borrowing mirrors with the
//! same fields in the same order as the structs, so scan.json does not
//! change by a byte.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::Arc;

use serde::{Deserialize, Serialize, Serializer};

use super::template::StepText;
use super::{Finding, FindingId, Grade, Group, ServerReport, Severity, Step, Task, Verdict};

/// Steps as scan.json's `servers[].remediation` and the reports show them:
/// `1. ...`, `2. ...`. A step's text is prose; its command, when it has
/// one that the text does not spell out, follows as ` Run: ...`.
pub fn numbered(steps: &[Step]) -> Vec<String> {
    steps
        .iter()
        .enumerate()
        .map(|(i, s)| format!("{}. {}", i + 1, s.with_command()))
        .collect()
}

/// Steps as one finding's `remediation` string: a single step as it is,
/// several numbered on one line.
pub fn inline(steps: &[Step]) -> String {
    match steps {
        [one] => one.with_command(),
        _ => numbered(steps).join(" "),
    }
}

impl Finding {
    /// What to do: the text read from scan.json, or else the steps as one
    /// line (a single step as it is, several numbered).
    pub fn remediation_text(&self) -> Cow<'_, str> {
        if self.remediation.is_empty() {
            Cow::Owned(inline(&self.remediation_steps))
        } else {
            Cow::Borrowed(&self.remediation)
        }
    }
}

impl ServerReport {
    /// The numbered steps (`1. ...`): as read from scan.json, or else
    /// rendered from `remediation_steps`. Empty when there is nothing to do.
    pub fn remediation_lines(&self) -> Cow<'_, [String]> {
        if self.remediation.is_empty() {
            Cow::Owned(numbered(&self.remediation_steps))
        } else {
            Cow::Borrowed(&self.remediation)
        }
    }
}

/// Where a step's PowerShell command is kept: its own string (the prose
/// no longer spells commands out), or, for a step whose text does hold
/// it, its place there, so the text is not doubled in memory.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StepCommand {
    /// The command is `text[start..start + len]`.
    InText {
        /// Byte offset in the step's text.
        start: usize,
        /// Length in bytes.
        len: usize,
    },
    /// A string of its own: read from a scan.json, or not in the text.
    /// Shared: most commands name their server as `'<server>'`, so the
    /// same command serves every server.
    Own(Arc<str>),
}

impl StepCommand {
    /// `command` for a step whose text is `text`: its place there when
    /// the text spells it out.
    pub fn new(text: &str, command: &str) -> StepCommand {
        match text.find(command) {
            Some(start) => StepCommand::InText {
                start,
                len: command.len(),
            },
            None => StepCommand::Own(Arc::from(command)),
        }
    }

    /// The same command once `by` bytes are put in front of the text.
    pub fn shifted(&self, by: usize) -> StepCommand {
        match self {
            StepCommand::InText { start, len } => StepCommand::InText {
                start: start + by,
                len: *len,
            },
            StepCommand::Own(c) => StepCommand::Own(Arc::clone(c)),
        }
    }
}

impl<'de> Deserialize<'de> for StepCommand {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(|c| StepCommand::Own(Arc::from(c)))
    }
}

/// A step's prose and command: what two steps that read alike share.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StepWords {
    /// The step as the admin reads it, with names and thumbprints filled
    /// in by [`Step::text`]. A template once the analysis is done.
    pub text: StepText,
    /// The PowerShell command to run, when the step has one (scan.json's
    /// `powershell`). Read it with [`Step::command`].
    pub command: Option<StepCommand>,
}

impl Step {
    /// A step with this prose and no command.
    pub fn with_words(
        task: super::Task,
        server: Arc<String>,
        port: Option<u16>,
        thumbprints: Arc<Vec<String>>,
        text: impl Into<StepText>,
    ) -> Step {
        Step {
            task,
            server,
            port,
            thumbprints,
            words: Arc::new(StepWords {
                text: text.into(),
                command: None,
            }),
        }
    }

    /// The step as the admin reads it, with names and thumbprints filled in.
    pub fn text(&self) -> Cow<'_, str> {
        self.words.text.fill(&self.server, &self.thumbprints)
    }

    /// Say the step with this prose instead.
    pub fn set_text(&mut self, text: impl Into<StepText>) {
        Arc::make_mut(&mut self.words).text = text.into();
    }

    /// Give the step this command (scan.json's `powershell`).
    pub fn set_command(&mut self, command: Option<StepCommand>) {
        Arc::make_mut(&mut self.words).command = command;
    }

    /// Where the command is kept, when the step has one.
    pub fn command_held(&self) -> Option<&StepCommand> {
        self.words.command.as_ref()
    }

    /// The prose, then ` Run: <command>` when the step has a command the
    /// prose does not hold.
    pub fn with_command(&self) -> String {
        let text = self.text();
        match (self.command_held(), self.command()) {
            (Some(StepCommand::Own(_)), Some(c)) if !text.contains(c) => {
                format!("{text} Run: {c}")
            }
            _ => text.into_owned(),
        }
    }

    /// The PowerShell command to run, when the step has one.
    pub fn command(&self) -> Option<&str> {
        match self.command_held()? {
            // A step whose text holds its command is never made a template.
            StepCommand::InText { start, len } => match &self.words.text {
                StepText::Plain(t) => t.get(*start..start.checked_add(*len)?),
                StepText::Template(_) => None,
            },
            StepCommand::Own(c) => Some(c),
        }
    }

    /// Give back spare capacity and keep one copy of each text, command
    /// and step wording in `shared`: a large scan holds every step until
    /// the reports are written.
    pub(crate) fn compact(&mut self, shared: &mut Shared) {
        shared.share_server(&mut self.server);
        shared.share_thumbprints(&mut self.thumbprints);
        let in_text = matches!(self.command_held(), Some(StepCommand::InText { .. }));
        let mut words = StepWords::clone(&self.words);
        if let Some(StepCommand::Own(c)) = &mut words.command {
            shared.share(c);
        }
        if let (StepText::Plain(t), false) = (&words.text, in_text) {
            words.text = StepText::template(t, &self.server, &self.thumbprints);
        }
        shared.share(words.text.held());
        self.words = shared.share_words(words);
    }
}

/// [`Step`] as scan.json spells it, for reading.
#[derive(Deserialize)]
struct StepIn {
    task: super::Task,
    server: Arc<String>,
    #[serde(default)]
    port: Option<u16>,
    #[serde(default, rename = "powershell")]
    command: Option<StepCommand>,
    #[serde(default)]
    thumbprints: Arc<Vec<String>>,
    text: StepText,
}

impl<'de> Deserialize<'de> for Step {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = StepIn::deserialize(d)?;
        Ok(Step {
            task: s.task,
            server: s.server,
            port: s.port,
            thumbprints: s.thumbprints,
            words: Arc::new(StepWords {
                text: s.text,
                command: s.command,
            }),
        })
    }
}

impl PartialEq for Step {
    fn eq(&self, other: &Step) -> bool {
        self.task == other.task
            && *self.server == *other.server
            && self.port == other.port
            && self.command() == other.command()
            && self.thumbprints == other.thumbprints
            && self.text() == other.text()
    }
}

impl Eq for Step {}

impl Finding {
    /// [`Step::compact`] for the finding's text and steps; the detail is
    /// held as a template for `host`, the endpoint it names.
    pub(crate) fn compact(&mut self, host: &str, shared: &mut Shared) {
        let mut host = Arc::from(host);
        shared.share(&mut host);
        self.detail.compact(&host, |t| shared.share(t));
        self.remediation.shrink_to_fit();
        self.remediation_steps.shrink_to_fit();
        self.remediation_steps
            .iter_mut()
            .for_each(|s| s.compact(shared));
    }
}

/// One copy of each distinct text, for the texts a scan holds many times
/// over (steps repeated across findings and verdicts, commands that name
/// their server only as a placeholder, probe evidence lines), and of each
/// distinct step wording.
#[derive(Debug, Default)]
pub struct Shared {
    texts: HashSet<Arc<str>>,
    words: HashSet<Arc<StepWords>>,
    thumbprints: HashSet<Arc<Vec<String>>>,
    servers: HashSet<Arc<String>>,
}

impl Shared {
    /// Point `text` at the kept copy of the same text, keeping it when it
    /// is the first.
    pub fn share(&mut self, text: &mut Arc<str>) {
        match self.texts.get(text) {
            Some(kept) => *text = Arc::clone(kept),
            None => {
                self.texts.insert(Arc::clone(text));
            }
        }
    }

    /// Point `server` at the kept copy of the same name.
    pub fn share_server(&mut self, server: &mut Arc<String>) {
        match self.servers.get(server) {
            Some(kept) => *server = Arc::clone(kept),
            None => {
                self.servers.insert(Arc::clone(server));
            }
        }
    }

    /// Point `list` at the kept copy of the same thumbprint list (an
    /// empty list too: each is an allocation of its own).
    pub fn share_thumbprints(&mut self, list: &mut Arc<Vec<String>>) {
        match self.thumbprints.get(list) {
            Some(kept) => *list = Arc::clone(kept),
            None => {
                self.thumbprints.insert(Arc::clone(list));
            }
        }
    }

    /// The kept copy of `words`, keeping it when it is the first.
    pub fn share_words(&mut self, words: StepWords) -> Arc<StepWords> {
        match self.words.get(&words) {
            Some(kept) => Arc::clone(kept),
            None => {
                let kept = Arc::new(words);
                self.words.insert(Arc::clone(&kept));
                kept
            }
        }
    }
}

fn no_steps(steps: &&[Step]) -> bool {
    steps.is_empty()
}

/// [`Finding`] as scan.json spells it.
#[derive(Serialize)]
struct FindingJson<'a> {
    id: FindingId,
    severity: Severity,
    title: &'a str,
    detail: Cow<'a, str>,
    remediation: Cow<'a, str>,
    #[serde(skip_serializing_if = "no_steps")]
    remediation_steps: &'a [Step],
    #[serde(skip_serializing_if = "Option::is_none")]
    thumbprint: Option<&'a str>,
}

impl Serialize for Finding {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        FindingJson {
            id: self.id,
            severity: self.severity,
            title: &self.title,
            detail: self.detail.text(),
            remediation: self.remediation_text(),
            remediation_steps: &self.remediation_steps,
            thumbprint: self.thumbprint.as_deref(),
        }
        .serialize(s)
    }
}

fn no_thumbprints(t: &&[String]) -> bool {
    t.is_empty()
}

/// [`Step`] as scan.json spells it.
#[derive(Serialize)]
struct StepJson<'a> {
    task: Task,
    server: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    port: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    powershell: Option<&'a str>,
    #[serde(skip_serializing_if = "no_thumbprints")]
    thumbprints: &'a [String],
    text: Cow<'a, str>,
}

impl Serialize for Step {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        StepJson {
            task: self.task,
            server: &self.server,
            port: self.port,
            powershell: self.command(),
            thumbprints: &self.thumbprints,
            text: self.text(),
        }
        .serialize(s)
    }
}

fn no_group(g: &&Group) -> bool {
    g.is_empty()
}

fn no_findings(f: &&[Finding]) -> bool {
    f.is_empty()
}

/// [`ServerReport`] as scan.json spells it.
#[derive(Serialize)]
struct ServerJson<'a> {
    host: &'a str,
    severity: Grade,
    verdict: Verdict,
    summary: &'a str,
    remediation: Cow<'a, [String]>,
    #[serde(skip_serializing_if = "no_steps")]
    remediation_steps: &'a [Step],
    endpoints: &'a [usize],
    #[serde(skip_serializing_if = "no_group")]
    group: &'a Group,
    #[serde(skip_serializing_if = "no_findings")]
    findings: &'a [Finding],
    #[serde(skip_serializing_if = "no_indexes")]
    store: &'a [usize],
}

fn no_indexes(i: &&[usize]) -> bool {
    i.is_empty()
}

impl Serialize for ServerReport {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ServerJson {
            host: &self.host,
            severity: self.severity,
            verdict: self.verdict,
            summary: &self.summary,
            remediation: self.remediation_lines(),
            remediation_steps: &self.remediation_steps,
            endpoints: &self.endpoints,
            group: &self.group,
            findings: &self.findings,
            store: &self.store,
        }
        .serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same step on two servers is one wording and one thumbprint
    /// list once compacted, and still reads as each server's own.
    #[test]
    fn steps_alike_but_for_their_server_share_their_words() {
        let mut shared = Shared::default();
        let mut steps = ["EX01", "EX02"].map(|host| {
            let mut s = Step::with_words(
                Task::Iisreset,
                Arc::new(host.to_string()),
                None,
                Arc::default(),
                format!("Restart IIS on {host} off-hours."),
            );
            s.set_command(Some(StepCommand::Own(Arc::from("iisreset '<server>'"))));
            s
        });
        steps.iter_mut().for_each(|s| s.compact(&mut shared));
        let [one, two] = &steps;
        assert!(Arc::ptr_eq(&one.words, &two.words));
        assert!(Arc::ptr_eq(&one.thumbprints, &two.thumbprints));
        assert_eq!(one.text(), "Restart IIS on EX01 off-hours.");
        assert_eq!(two.text(), "Restart IIS on EX02 off-hours.");
        assert_eq!(two.command(), Some("iisreset '<server>'"));
        assert_eq!(
            two.with_command(),
            "Restart IIS on EX02 off-hours. Run: iisreset '<server>'"
        );
    }
}
