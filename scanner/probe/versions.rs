//! The protocol map: which versions below the negotiated one an endpoint
//! still accepts, one hello (and, on mail ports, one dialogue) per
//! connection.

use tokio::time::Instant;

use super::legacy::{self, LegacyVersion, Offer};
use super::link::Link;
use crate::model::{Method, TlsInfo, TlsVersion};

/// What one handshake showed, with IANA names; the protocol map adds the
/// other versions later.
pub(crate) fn negotiated(version: u16, suite: u16, method: Method) -> TlsInfo {
    let version = TlsVersion::from_wire(version);
    TlsInfo {
        versions: vec![version],
        version,
        cipher_suite: legacy::suite_name(suite),
        method,
        versions_scanned: false,
        evidence: Vec::new(),
        starttls: false,
    }
}

/// Add the versions below the negotiated one that the endpoint still
/// accepts (TLS 1.0 and 1.1, and 1.2 under a TLS 1.3 server) to
/// `tls.versions`, with hellos that stop at the ServerHello.
///
/// A server answers with the best version it shares with the client, so
/// versions above the negotiated one are already known to be refused, and
/// each hello below it tells about every version down to the one it gets
/// back: a TLS 1.2-only server needs one hello, capped at TLS 1.1. No
/// fallback SCSV is sent, so the server judges each hello on its version.
///
/// Where the chain came with RSA key exchange, the hellos offer only that,
/// so the server signs nothing. A refusal that does not name the version
/// (handshake_failure, a close or a reset, which is also how Schannel
/// refuses a version) is then asked again with every suite before the
/// version counts as refused. Under TLS 1.3 nothing says whether RSA key
/// exchange would work, and a second hello per refusal would cost more
/// connections than it saves signatures, so those hellos offer every
/// suite. Each hello and its answer go into `tls.evidence`.
pub(super) async fn map_versions(link: &Link<'_>, sni: Option<&str>, tls: &mut TlsInfo) {
    let below = |version: TlsVersion| {
        [
            LegacyVersion::Tls12,
            LegacyVersion::Tls11,
            LegacyVersion::Tls10,
        ]
        .into_iter()
        .find(|cap| TlsVersion::from_wire(cap.wire()) < version)
    };
    let mut offer = if tls.cipher_suite.starts_with("TLS_RSA_") {
        Offer::NoSign
    } else {
        Offer::Broad
    };
    let mut next = below(tls.version);
    while let Some(cap) = next {
        if Instant::now() >= link.deadline {
            return;
        }
        let Ok((mut tcp, _)) = link.open(0).await else {
            return;
        };
        let limit = link.handshake_budget();
        let answer = legacy::version_answer(&mut tcp, sni, cap, offer, limit).await;
        let asked = format!(
            "hello up to {} offering {}",
            cap.name(),
            match offer {
                Offer::NoSign => "only RSA key exchange",
                Offer::Broad => "every suite",
            }
        );
        next = match answer {
            Ok(Some(v)) => {
                let version = TlsVersion::from_wire(v);
                tls.evidence
                    .push(format!("{asked}: ServerHello {}", version.name()).into());
                if !tls.versions.contains(&version) {
                    tls.versions.push(version);
                }
                below(version)
            }
            // Nothing at or below this cap.
            Ok(None) => {
                tls.evidence.push(format!("{asked}: refused").into());
                None
            }
            Err(e) if offer == Offer::NoSign && e.is_refusal() && !e.is_version_refusal() => {
                tls.evidence
                    .push(format!("{asked}: {e}; asking again").into());
                offer = Offer::Broad;
                Some(cap)
            }
            Err(e) if e.is_refusal() => {
                tls.evidence.push(format!("{asked}: refused ({e})").into());
                None
            }
            // No verdict: leave the map unfinished rather than guess.
            Err(_) => return,
        };
    }
    tls.versions.sort();
    tls.versions_scanned = true;
}
