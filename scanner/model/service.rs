//! The services Exchange enables a certificate for (`Enable-ExchangeCertificate
//! -Services`, the `Services` column of `Get-ExchangeCertificate`).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One Exchange service a certificate is enabled for. Written as Exchange
/// spells it (`IIS`, `SMTP`, ...); a word Exchange does not use is kept as
/// exported, never dropped and never guessed at.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ExchangeService {
    /// Internet Information Services: OWA, EWS, ActiveSync and the rest.
    Iis,
    /// SMTP transport.
    Smtp,
    /// IMAP4.
    Imap,
    /// POP3.
    Pop,
    /// Unified Messaging (Exchange 2013-2016).
    Um,
    /// The Unified Messaging Call Router.
    UmCallRouter,
    /// Federation.
    Federation,
    /// A value this version of excert does not know, as exported.
    Other(String),
}

const KNOWN: [(ExchangeService, &str); 7] = [
    (ExchangeService::Iis, "IIS"),
    (ExchangeService::Smtp, "SMTP"),
    (ExchangeService::Imap, "IMAP"),
    (ExchangeService::Pop, "POP"),
    (ExchangeService::Um, "UM"),
    (ExchangeService::UmCallRouter, "UMCallRouter"),
    (ExchangeService::Federation, "Federation"),
];

impl ExchangeService {
    /// One service by name, in any case; an unknown word is
    /// [`ExchangeService::Other`].
    pub fn parse(word: &str) -> Self {
        let word = word.trim();
        KNOWN
            .iter()
            .find(|(_, name)| name.eq_ignore_ascii_case(word))
            .map_or_else(
                || ExchangeService::Other(word.to_string()),
                |(s, _)| s.clone(),
            )
    }

    /// A list as PowerShell prints it (`IMAP, POP, IIS, SMTP`); `None`, the
    /// flags' zero, is the empty list.
    pub fn list(text: &str) -> Vec<Self> {
        text.split([',', ' '])
            .map(str::trim)
            .filter(|s| !s.is_empty() && !s.eq_ignore_ascii_case("None"))
            .map(ExchangeService::parse)
            .collect()
    }

    /// The name Exchange uses, or the exported text for an unknown value.
    pub fn name(&self) -> &str {
        match self {
            ExchangeService::Other(text) => text,
            known => KNOWN
                .iter()
                .find(|(s, _)| s == known)
                .map_or("", |(_, name)| name),
        }
    }

    /// The services of `list`, joined by `sep` (`IIS, SMTP`).
    pub fn join(list: &[Self], sep: &str) -> String {
        list.iter()
            .map(ExchangeService::name)
            .collect::<Vec<_>>()
            .join(sep)
    }
}

impl Serialize for ExchangeService {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for ExchangeService {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Ok(match ExchangeService::parse(&text) {
            // Kept exactly as written, so a saved scan reads back unchanged.
            ExchangeService::Other(_) => ExchangeService::Other(text),
            known => known,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_read_as_powershell_prints_them() {
        use ExchangeService::*;
        assert_eq!(
            ExchangeService::list("IMAP, POP, IIS, SMTP"),
            [Imap, Pop, Iis, Smtp]
        );
        assert_eq!(ExchangeService::list("None"), []);
        assert_eq!(
            ExchangeService::list("iis,umcallrouter"),
            [Iis, UmCallRouter]
        );
        assert_eq!(ExchangeService::parse("Pager"), Other("Pager".into()));
        assert_eq!(
            ExchangeService::join(&[Iis, Other("Pager".into())], ", "),
            "IIS, Pager"
        );
    }
}
