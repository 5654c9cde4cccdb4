//! The protocol map: which versions below the negotiated one an endpoint
//! still accepts, one hello (and, on mail ports, one dialogue) per
//! connection, none of which makes the server sign.

use tokio::time::Instant;

use super::legacy::{self, LegacyError, LegacyVersion, Offer};
use super::link::Link;
use crate::model::{CipherSuite, Method, TlsInfo, TlsVersion};

/// What one handshake showed, with IANA names; the protocol map adds the
/// other versions later.
pub(crate) fn negotiated(version: u16, suite: u16, method: Method) -> TlsInfo {
    let version = TlsVersion::from_wire(version);
    TlsInfo {
        versions: vec![version],
        version,
        cipher_suite: CipherSuite(suite),
        method,
        versions_scanned: false,
        evidence: Vec::new(),
        starttls: false,
    }
}

/// The highest legacy hello cap below `version`.
fn below(version: TlsVersion) -> Option<LegacyVersion> {
    [
        LegacyVersion::Tls12,
        LegacyVersion::Tls11,
        LegacyVersion::Tls10,
    ]
    .into_iter()
    .find(|cap| TlsVersion::from_wire(cap.wire()) < version)
}

/// Where the protocol map stands: the next hello to send, and what the
/// hellos so far left open.
///
/// A server answers with the best version it shares with the client, so
/// versions above the negotiated one are already known to be refused, and
/// each hello below it tells about every version down to the one it gets
/// back: a TLS 1.2-only server needs one hello, capped at TLS 1.1. No
/// fallback SCSV is sent, so the server judges each hello on its version.
///
/// The hellos offer only RSA key exchange, so the server signs nothing
/// (unless the server is known to refuse it; see [`VersionMap::below`]). A
/// protocol_version alert refuses the version and every one below it. A
/// handshake_failure alert means the server settled on some version at or
/// below the cap and then refused the suites; the next hello, capped one
/// lower, says which: if it does not end the same way, the server chose
/// the cap itself, which is then "supported, suite unknown". Only a refusal
/// that says neither (a close or a reset, which is also how Schannel
/// refuses a version, or two suite refusals in a row) is asked again with
/// every suite, which may cost a signature.
#[derive(Debug, Clone)]
pub(super) struct VersionMap {
    next: Option<LegacyVersion>,
    offer: Offer,
    /// A cap whose hello got a suite refusal, settled by the next answer.
    pending: Option<LegacyVersion>,
    /// A hello got no verdict: the map stays unfinished.
    given_up: bool,
}

/// What to do after one answer.
pub(super) enum Step {
    /// Go on with the next hello, if any.
    Go,
    /// No verdict (timeout, not TLS, malformed): leave the map unfinished
    /// rather than guess.
    Unfinished,
}

impl VersionMap {
    /// A map that starts below the oldest version `tls` already holds,
    /// offering only RSA key exchange if the chain came with it.
    pub fn after(tls: &TlsInfo) -> Self {
        let rsa = tls.cipher_suite.is_rsa_key_exchange();
        Self::below(tls, if rsa { Offer::NoSign } else { Offer::Broad })
    }

    /// A map that starts below the oldest version `tls` already holds.
    /// [`Offer::Broad`] where the server is known to refuse RSA key
    /// exchange: hellos offering only that would tell nothing, and one
    /// offering every suite makes the server sign only where it accepts the
    /// old version, which is worth a finding.
    pub fn below(tls: &TlsInfo, offer: Offer) -> Self {
        let oldest = tls.versions.iter().copied().min().unwrap_or(tls.version);
        VersionMap {
            next: below(oldest),
            offer,
            pending: None,
            given_up: false,
        }
    }

    /// A map that starts with a hello capped at `cap`.
    pub fn from(cap: LegacyVersion) -> Self {
        VersionMap {
            next: Some(cap),
            offer: Offer::NoSign,
            pending: None,
            given_up: false,
        }
    }

    /// Whether no hello is left to send.
    pub fn is_complete(&self) -> bool {
        self.next.is_none() && self.pending.is_none() && !self.given_up
    }

    /// Send the remaining hellos, each on a fresh connection, adding what
    /// they show to `tls.versions` and each hello and its answer to
    /// `tls.evidence`; `tls.versions_scanned` once nothing is left open.
    pub async fn run(mut self, link: &Link<'_>, sni: Option<&str>, tls: &mut TlsInfo) {
        while let Some(cap) = self.next {
            if Instant::now() >= link.deadline {
                return;
            }
            let Ok((mut tcp, _)) = link.open(0).await else {
                return;
            };
            let limit = link.handshake_budget();
            let answer = legacy::version_answer(&mut tcp, sni, cap, self.offer, limit).await;
            drop(tcp);
            if let Step::Unfinished = self.take(cap, answer, tls) {
                return;
            }
        }
        self.finish(tls);
    }

    /// Mark the map done if nothing is left open.
    pub fn finish(&self, tls: &mut TlsInfo) {
        if self.is_complete() {
            tls.versions.sort();
            tls.versions_scanned = true;
        }
    }

    /// Record the answer to the hello capped at `cap` and choose the next.
    pub fn take(
        &mut self,
        cap: LegacyVersion,
        answer: Result<Option<u16>, LegacyError>,
        tls: &mut TlsInfo,
    ) -> Step {
        let asked = format!(
            "hello up to {} offering {}",
            cap.name(),
            match self.offer {
                Offer::NoSign => "only RSA key exchange",
                Offer::Broad => "every suite",
            }
        );
        let note = |tls: &mut TlsInfo, line: String| tls.evidence.push(line.into());
        match answer {
            Ok(Some(v)) => {
                let version = TlsVersion::from_wire(v);
                note(tls, format!("{asked}: ServerHello {}", version.name()));
                self.settle(tls);
                add(tls, version);
                self.next = below(version);
            }
            // Nothing at or below this cap.
            Ok(None) => {
                note(tls, format!("{asked}: refused"));
                self.settle(tls);
                self.next = None;
            }
            Err(e) if e.is_version_refusal() => {
                note(tls, format!("{asked}: refused ({e})"));
                self.settle(tls);
                self.next = None;
            }
            Err(e) if self.offer == Offer::NoSign && e.is_refusal() => {
                let lower = below(TlsVersion::from_wire(cap.wire()));
                if self.pending.is_none()
                    && matches!(e, LegacyError::Alert { .. })
                    && lower.is_some()
                {
                    note(
                        tls,
                        format!("{asked}: {e}: a version up to {} answered, its suites refused; asking below", cap.name()),
                    );
                    self.pending = Some(cap);
                    self.next = lower;
                } else {
                    note(tls, format!("{asked}: {e}; asking again with every suite"));
                    self.offer = Offer::Broad;
                    self.next = self.pending.take().or(Some(cap));
                }
            }
            Err(e) if e.is_refusal() => {
                note(tls, format!("{asked}: refused ({e})"));
                self.next = None;
            }
            Err(e) => {
                note(
                    tls,
                    format!("{asked}: no verdict ({e}); the map stops here"),
                );
                self.given_up = true;
                self.next = None;
                return Step::Unfinished;
            }
        }
        Step::Go
    }

    /// The hello capped below the pending cap did not end in refused
    /// suites, so the server chose the pending cap itself.
    fn settle(&mut self, tls: &mut TlsInfo) {
        if let Some(cap) = self.pending.take() {
            let version = TlsVersion::from_wire(cap.wire());
            tls.evidence.push(
                format!(
                    "{}: supported, suite unknown (the server chose it for the hello up to it, \
                     and nothing below it the same way)",
                    version.name()
                )
                .into(),
            );
            add(tls, version);
        }
    }
}

fn add(tls: &mut TlsInfo, version: TlsVersion) {
    if !tls.versions.contains(&version) {
        tls.versions.push(version);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(description: u8) -> Result<Option<u16>, LegacyError> {
        Err(LegacyError::Alert {
            level: 2,
            description,
        })
    }

    #[test]
    fn refused_suites_then_a_refused_version_below_prove_the_cap() {
        let mut tls = negotiated(0x0304, 0x1302, Method::Rustls);
        let mut map = VersionMap::from(LegacyVersion::Tls12);
        let _ = map.take(LegacyVersion::Tls12, alert(40), &mut tls);
        assert_eq!(map.next, Some(LegacyVersion::Tls11));
        let _ = map.take(LegacyVersion::Tls11, alert(70), &mut tls);
        map.finish(&mut tls);
        assert_eq!(tls.versions, [TlsVersion::Tls12, TlsVersion::Tls13]);
        assert!(tls.versions_scanned);
        assert!(tls.evidence.iter().any(|l| l.contains("suite unknown")));
    }

    #[test]
    fn no_verdict_leaves_the_map_unfinished_and_asks_nothing_more() {
        let mut tls = negotiated(0x0304, 0x1302, Method::Rustls);
        let mut map = VersionMap::from(LegacyVersion::Tls12);
        let _ = map.take(LegacyVersion::Tls12, Err(LegacyError::Timeout), &mut tls);
        assert_eq!(map.next, None);
        map.finish(&mut tls);
        assert!(!tls.versions_scanned);
    }

    #[test]
    fn two_suite_refusals_in_a_row_ask_the_first_cap_again_with_every_suite() {
        let mut tls = negotiated(0x0304, 0x1302, Method::Rustls);
        let mut map = VersionMap::from(LegacyVersion::Tls12);
        let _ = map.take(LegacyVersion::Tls12, alert(40), &mut tls);
        let _ = map.take(LegacyVersion::Tls11, alert(40), &mut tls);
        assert_eq!(map.next, Some(LegacyVersion::Tls12));
        assert_eq!(map.offer, Offer::Broad);
        assert_eq!(tls.versions, [TlsVersion::Tls13], "nothing guessed");
    }
}
