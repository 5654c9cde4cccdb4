//! The protocol map: which versions below the negotiated one an endpoint
//! still accepts, one hello (and, on mail ports, one dialogue) per
//! connection.

use tokio::time::Instant;

use super::legacy::{self, LegacyVersion};
use super::link::Link;
use crate::model::{TlsInfo, TlsVersion};

/// Add the versions below the negotiated one that the endpoint still
/// accepts (TLS 1.0 and 1.1, and 1.2 under a TLS 1.3 server) to
/// `tls.versions`, with hellos that stop at the ServerHello.
///
/// A server answers with the best version it shares with the client, so
/// versions above the negotiated one are already known to be refused, and
/// each hello below it tells about every version down to the one it gets
/// back: a TLS 1.2-only server needs one hello, capped at TLS 1.1. No
/// fallback SCSV is sent, so the server judges each hello on its version.
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
    let mut next = below(tls.version);
    while let Some(cap) = next {
        if Instant::now() >= link.deadline {
            return;
        }
        let Ok((mut tcp, _)) = link.open(0).await else {
            return;
        };
        let limit = link.handshake_budget();
        next = match legacy::best_version(&mut tcp, sni, cap, limit).await {
            Ok(Some(v)) => {
                let version = TlsVersion::from_wire(v);
                if !tls.versions.contains(&version) {
                    tls.versions.push(version);
                }
                below(version)
            }
            // Refused: nothing at or below this cap.
            Ok(None) => None,
            // No verdict: leave the map unfinished rather than guess.
            Err(_) => return,
        };
    }
    tls.versions.sort();
    tls.versions_scanned = true;
}
