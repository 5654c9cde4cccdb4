//! A step's prose, held with its server's name and thumbprints taken out.
//!
//! Steps name their server and the certificates they concern, so no two
//! servers' texts are the same and a large scan held several KB of prose
//! per server until the reports were written. Held as a template (the
//! server's name and each of the step's thumbprints replaced by a marker
//! character), the same step on every server is one shared string, and
//! the text is filled in again whenever it is read or written. A text the
//! markers could be mistaken in is kept as it is.

use std::borrow::Cow;
use std::sync::Arc;

use serde::{Deserialize, Deserializer};

/// Stands for the step's server.
const SERVER: char = '\u{E000}';
/// The first of the markers for the step's thumbprints, one per index.
const THUMBPRINT: u32 = 0xE001;
/// How many thumbprints a template can stand for.
const MAX_THUMBPRINTS: usize = 16;

/// What a step says, as written or as a template.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum StepText {
    /// The text itself.
    Plain(Arc<str>),
    /// The text with the server and thumbprints as markers; read it with
    /// [`StepText::fill`].
    Template(Arc<str>),
}

fn is_marker(c: char) -> bool {
    let n = u32::from(c);
    n == u32::from(SERVER) || (THUMBPRINT..THUMBPRINT + MAX_THUMBPRINTS as u32).contains(&n)
}

fn thumbprint_marker(i: usize) -> Option<char> {
    u32::try_from(i)
        .ok()
        .filter(|&i| (i as usize) < MAX_THUMBPRINTS)
        .and_then(|i| char::from_u32(THUMBPRINT + i))
}

impl StepText {
    /// The text, with `server` and `thumbprints` put back in a template.
    pub fn fill<'a>(&'a self, server: &str, thumbprints: &[String]) -> Cow<'a, str> {
        match self {
            StepText::Plain(t) => Cow::Borrowed(t),
            StepText::Template(t) => Cow::Owned(fill(t, server, thumbprints)),
        }
    }

    /// The text held as a template for `server` and `thumbprints` when that
    /// gives exactly the same text back, else as it is.
    pub fn template(text: &str, server: &str, thumbprints: &[String]) -> StepText {
        let plain = || StepText::Plain(Arc::from(text));
        let names = std::iter::once(server).chain(thumbprints.iter().map(String::as_str));
        if thumbprints.len() > MAX_THUMBPRINTS
            || text.chars().any(is_marker)
            || names.clone().any(|n| n.chars().any(is_marker))
        {
            return plain();
        }
        let mut t = text.to_string();
        if !server.is_empty() {
            t = t.replace(server, &SERVER.to_string());
        }
        for (i, thumb) in thumbprints.iter().enumerate() {
            if let (false, Some(m)) = (thumb.is_empty(), thumbprint_marker(i)) {
                t = t.replace(thumb.as_str(), &m.to_string());
            }
        }
        if t == text || fill(&t, server, thumbprints) != text {
            return plain();
        }
        StepText::Template(Arc::from(t))
    }

    /// The string held, for sharing one copy of each.
    pub(crate) fn held(&mut self) -> &mut Arc<str> {
        match self {
            StepText::Plain(t) | StepText::Template(t) => t,
        }
    }
}

fn fill(template: &str, server: &str, thumbprints: &[String]) -> String {
    let mut out = String::with_capacity(template.len() + 4 * server.len());
    for c in template.chars() {
        if c == SERVER {
            out.push_str(server);
        } else if is_marker(c) {
            let i = (u32::from(c) - THUMBPRINT) as usize;
            out.push_str(thumbprints.get(i).map_or("", String::as_str));
        } else {
            out.push(c);
        }
    }
    out
}

impl From<String> for StepText {
    fn from(text: String) -> StepText {
        StepText::Plain(Arc::from(text))
    }
}

impl From<&str> for StepText {
    fn from(text: &str) -> StepText {
        StepText::Plain(Arc::from(text))
    }
}

impl<'de> Deserialize<'de> for StepText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(StepText::from)
    }
}

/// A finding's detail: the text, or, once the analysis is done, a
/// template with its endpoint's host as a marker. The details of a fleet
/// differ mostly in the host they name, so the same detail on every
/// server is then one shared string.
#[derive(Debug, Clone)]
pub struct Detail {
    /// The host the template's marker stands for; empty for plain text.
    host: Arc<str>,
    text: StepText,
}

impl Detail {
    /// The detail as written, with the host filled in.
    pub fn text(&self) -> Cow<'_, str> {
        self.text.fill(&self.host, &[])
    }

    /// Whether the detail says `pattern`.
    pub fn contains(&self, pattern: &str) -> bool {
        self.text().contains(pattern)
    }

    /// True when there is no detail.
    pub fn is_empty(&self) -> bool {
        self.text().is_empty()
    }

    /// Held as a template for `host` when that gives the same text back,
    /// with one copy of each template kept in `share`.
    pub(crate) fn compact(&mut self, host: &Arc<str>, share: impl FnOnce(&mut Arc<str>)) {
        if let StepText::Plain(t) = &self.text {
            let text = StepText::template(t, host, &[]);
            if matches!(text, StepText::Template(_)) {
                self.text = text;
                self.host = Arc::clone(host);
            }
        }
        share(self.text.held());
    }
}

impl PartialEq for Detail {
    fn eq(&self, other: &Detail) -> bool {
        self.text() == other.text()
    }
}

impl Eq for Detail {}

impl std::fmt::Display for Detail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text())
    }
}

impl From<String> for Detail {
    fn from(text: String) -> Detail {
        Detail {
            host: Arc::from(""),
            text: text.into(),
        }
    }
}

impl From<&str> for Detail {
    fn from(text: &str) -> Detail {
        Detail {
            host: Arc::from(""),
            text: text.into(),
        }
    }
}

impl<'de> Deserialize<'de> for Detail {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Detail::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_gives_the_text_back() {
        let thumbs = vec!["AB12".to_string(), "CD34".to_string()];
        let text = "Bind AB12 on EX01, not CD34 (EX01 keeps AB12).";
        let t = StepText::template(text, "EX01", &thumbs);
        assert!(matches!(t, StepText::Template(_)));
        assert_eq!(t.fill("EX01", &thumbs), text);
        // Another server's same step is the same template.
        let mut other = StepText::template(
            "Bind AB12 on EX02, not CD34 (EX02 keeps AB12).",
            "EX02",
            &thumbs,
        );
        assert_eq!(other.held(), t.clone().held());
    }

    #[test]
    fn texts_the_markers_could_be_mistaken_in_stay_as_they_are() {
        let text = "Restart EX01 \u{E000}";
        assert!(matches!(
            StepText::template(text, "EX01", &[]),
            StepText::Plain(_)
        ));
        // A server name inside a thumbprint, or an empty one, still
        // gives the text back.
        let thumbs = vec!["EX01EX".to_string(), String::new()];
        let text = "EX01 replaces EX01EX.";
        assert_eq!(
            StepText::template(text, "EX01", &thumbs).fill("EX01", &thumbs),
            text
        );
        assert_eq!(
            StepText::template(text, "E", &thumbs).fill("E", &thumbs),
            text
        );
    }

    #[test]
    fn details_alike_but_for_their_host_are_one_string() {
        let mut kept: Vec<Arc<str>> = Vec::new();
        let mut share = |t: &mut Arc<str>| match kept.iter().find(|k| ***k == **t) {
            Some(k) => *t = Arc::clone(k),
            None => kept.push(Arc::clone(t)),
        };
        let mut details = ["EX01", "EX02"].map(|host| {
            let mut d = Detail::from(format!("{host}:444 presents CN={host}, expired."));
            d.compact(&Arc::from(host), &mut share);
            d
        });
        assert_eq!(details[0].text(), "EX01:444 presents CN=EX01, expired.");
        assert_eq!(
            details[1].to_string(),
            "EX02:444 presents CN=EX02, expired."
        );
        assert!(details[1].contains("CN=EX02") && !details[1].contains("EX01"));
        // Compacting again changes nothing; a detail without its host
        // stays as written.
        details[0].compact(&Arc::from("EX01"), &mut share);
        assert_eq!(details[0].text(), "EX01:444 presents CN=EX01, expired.");
        let mut plain = Detail::from("No next certificate is staged.");
        plain.compact(&Arc::from("EX01"), &mut share);
        assert_eq!(plain, Detail::from("No next certificate is staged."));
        assert_eq!(
            kept.len(),
            2,
            "one template for both details, one plain text"
        );
    }
}
