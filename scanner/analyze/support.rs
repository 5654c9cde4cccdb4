//! Exchange versions, as `Get-ExchangeServer`'s `AdminDisplayVersion` gives
//! them (the CSV's `Group.exchange_version` and `Group.exchange_build`):
//! which builds support TLS 1.3, which versions are past their end of
//! support, and the `exchange-out-of-support` finding.
//!
//! The facts, with their sources in docs/guide.md ("Exchange versions"):
//! - TLS 1.3 is supported from Exchange 2019 CU15 (15.2.1748) and in every
//!   Exchange SE build (15.2.2562 and later), on Windows Server 2022 or
//!   later; 2016 and older never support it (HealthChecker's
//!   `Invoke-AnalyzerSecuritySettings.ps1`).
//! - Support ended for Exchange 2010 on 2020-10-13, 2013 on 2023-04-11,
//!   2016 and 2019 on 2025-10-14; Exchange SE is current.
//!
//! A version read only in part is unknown, never guessed: `15.2` without a
//! build number may be 2019 or SE, so it gives no finding.

use time::macros::date;
use time::Date;

use crate::config::AnalysisSettings;
use crate::model::{EndpointEvidence, Finding, FindingId, Group, Role, Severity};

use super::catalog::finding;
use super::remediation;

/// An Exchange product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Product {
    E2010,
    E2013,
    E2016,
    E2019,
    Se,
}

impl Product {
    /// As Microsoft names it: `Exchange 2019`, `Exchange Server SE`.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Product::E2010 => "Exchange 2010",
            Product::E2013 => "Exchange 2013",
            Product::E2016 => "Exchange 2016",
            Product::E2019 => "Exchange 2019",
            Product::Se => "Exchange Server SE",
        }
    }

    /// The last day of Microsoft's support; `None` while it is current.
    pub(crate) fn end_of_support(self) -> Option<Date> {
        match self {
            Product::E2010 => Some(date!(2020 - 10 - 13)),
            Product::E2013 => Some(date!(2023 - 04 - 11)),
            Product::E2016 | Product::E2019 => Some(date!(2025 - 10 - 14)),
            Product::Se => None,
        }
    }
}

/// The first Exchange 2019 build with TLS 1.3 (CU15).
const TLS13_FROM_2019_BUILD: u32 = 1748;
/// The first Exchange SE build (RTM).
const SE_FROM_BUILD: u32 = 2562;

/// A server's version, as far as the export says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Version {
    pub product: Product,
    /// The build number (`1544` in `15.2.1544.4`), when given.
    pub build: Option<u32>,
    /// The build as exported, for the finding's detail.
    pub text: Option<String>,
}

impl Version {
    /// The server's version from its group; `None` when unknown.
    pub(crate) fn of(group: &Group) -> Option<Version> {
        let text = group.exchange_build.as_deref().map(str::trim);
        let named = group.exchange_version.as_deref().map(str::trim);
        let Some(text) = text.filter(|t| !t.is_empty()) else {
            let product = match named? {
                "2010" => Product::E2010,
                "2013" => Product::E2013,
                "2016" => Product::E2016,
                "2019" => Product::E2019,
                n if n.eq_ignore_ascii_case("SE") => Product::Se,
                _ => return None,
            };
            return Some(Version {
                product,
                build: None,
                text: None,
            });
        };
        // Digits and dots only, as `AdminDisplayVersion` writes builds: the
        // text goes into the finding as it is.
        if !text.chars().all(|c| c.is_ascii_digit() || c == '.') {
            return None;
        }
        let mut parts = text.split('.').map(|p| p.parse::<u32>().ok());
        let (major, minor) = (parts.next()??, parts.next()??);
        let build = parts.next().flatten();
        let product = match (major, minor, build) {
            (14, _, _) => Product::E2010,
            (15, 0, _) => Product::E2013,
            (15, 1, _) => Product::E2016,
            (15, 2, Some(b)) if b >= SE_FROM_BUILD => Product::Se,
            (15, 2, Some(_)) => Product::E2019,
            // No build number: 2019 or SE, unless the export said SE.
            (15, 2, None) if named.is_some_and(|n| n.eq_ignore_ascii_case("SE")) => Product::Se,
            _ => return None,
        };
        Some(Version {
            product,
            build,
            text: Some(text.to_string()),
        })
    }

    /// Whether this build supports TLS 1.3; `None` when the build number
    /// that decides it is unknown.
    pub(crate) fn supports_tls13(&self) -> Option<bool> {
        match self.product {
            Product::E2010 | Product::E2013 | Product::E2016 => Some(false),
            Product::Se => Some(true),
            Product::E2019 => self.build.map(|b| b >= TLS13_FROM_2019_BUILD),
        }
    }

    /// `Exchange 2019 (build 15.2.1544.4)`.
    pub(crate) fn describe(&self) -> String {
        match &self.text {
            Some(t) => format!("{} (build {t})", self.product.name()),
            None => self.product.name().to_string(),
        }
    }
}

/// The endpoint a server-wide finding sits on: its first frontend, else
/// its first endpoint.
pub(crate) fn anchor(members: &[usize], evidence: &[EndpointEvidence]) -> Option<usize> {
    members
        .iter()
        .copied()
        .find(|&i| {
            evidence
                .get(i)
                .is_some_and(|e| e.endpoint.role == Role::Frontend)
        })
        .or_else(|| members.first().copied())
}

/// The server's group: the first one its endpoints carry.
pub(crate) fn group_of<'a>(
    members: &[usize],
    evidence: &'a [EndpointEvidence],
) -> Option<&'a Group> {
    members
        .iter()
        .filter_map(|&i| evidence.get(i))
        .map(|e| &*e.endpoint.group)
        .find(|g| !g.is_empty())
}

/// `exchange-out-of-support`: one info finding per server whose version's
/// support ended before the as-of date, on its [`anchor`] endpoint.
pub(crate) fn out_of_support(
    evidence: &[EndpointEvidence],
    servers: &[(String, Vec<usize>)],
    settings: &AnalysisSettings,
) -> Vec<(usize, Finding)> {
    let today = settings.as_of.date();
    servers
        .iter()
        .filter_map(|(host, members)| {
            let version = Version::of(group_of(members, evidence)?)?;
            let ended = version.product.end_of_support().filter(|d| *d < today)?;
            let at = anchor(members, evidence)?;
            let detail = format!(
                "{host} runs {}, whose support ended on {ended}: Microsoft ships no more \
                 security updates for it. This changes no certificate verdict.",
                version.describe()
            );
            let steps = vec![remediation::plan_upgrade(
                host,
                version.product.name(),
                &ended.to_string(),
            )];
            Some((
                at,
                finding(
                    FindingId::ExchangeOutOfSupport,
                    Severity::Info,
                    detail,
                    steps,
                ),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(version: Option<&str>, build: Option<&str>) -> Group {
        Group {
            exchange_version: version.map(str::to_string),
            exchange_build: build.map(str::to_string),
            ..Group::default()
        }
    }

    #[test]
    fn tls13_support_follows_the_build() {
        let tls13 = |v: Option<&str>, b: Option<&str>| {
            Version::of(&group(v, b)).and_then(|v| v.supports_tls13())
        };
        assert_eq!(tls13(Some("2019"), Some("15.2.1544.4")), Some(false));
        assert_eq!(tls13(Some("2019"), Some("15.2.1748.10")), Some(true));
        assert_eq!(tls13(Some("SE"), Some("15.2.2562.17")), Some(true));
        assert_eq!(tls13(Some("2016"), Some("15.1.2507.6")), Some(false));
        assert_eq!(tls13(Some("2010"), Some("14.3.123.4")), Some(false));
        // 15.2 alone may be 2019 or SE; nothing is guessed.
        assert_eq!(tls13(Some("2019"), Some("15.2")), None);
        assert_eq!(tls13(None, None), None);
        assert_eq!(tls13(Some("2019"), Some("banana")), None);
        assert_eq!(tls13(Some("2019"), Some("15.2.1544.4\u{1b}[31m")), None);
    }

    #[test]
    fn end_of_support_by_product() {
        let product = |b: &str| Version::of(&group(None, Some(b))).map(|v| v.product);
        assert_eq!(product("15.2.2562.17"), Some(Product::Se));
        assert_eq!(product("15.2.1748.10"), Some(Product::E2019));
        assert_eq!(product("15.2"), None);
        assert_eq!(Product::Se.end_of_support(), None);
        assert_eq!(Product::E2019.end_of_support(), Some(date!(2025 - 10 - 14)));
    }
}
