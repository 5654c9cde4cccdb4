//! What a server is, from `Get-ExchangeServer`'s `ServerRole`,
//! `AdminDisplayVersion` and `Site` columns or from `--role` / `--site`, and
//! which sites (so which ports) it has.
//!
//! An Edge Transport server has no IIS (no 443, no 444); Exchange 2010 has
//! no Exchange Back End site, and neither has a Client Access-only 2013
//! server: only Mailbox servers do. Probing a port a server cannot have
//! would only produce a "could not be scanned" warning for nothing, so such
//! ports are skipped and listed with the reason.

use super::error::RoleError;
use crate::model::{Group, Role};

/// `Get-ExchangeServer`'s role names, and the spellings accepted for them.
const ROLE_NAMES: [(&str, &[&str]); 5] = [
    ("Mailbox", &["mailbox", "mbx"]),
    ("ClientAccess", &["clientaccess", "cas"]),
    ("Edge", &["edge", "edgetransport"]),
    ("HubTransport", &["hubtransport", "hub"]),
    ("UnifiedMessaging", &["unifiedmessaging", "um"]),
];

/// `ServerRole` as written (`Mailbox, ClientAccess`), in canonical names;
/// `Err` names the first word that is not a role.
pub(crate) fn parse_roles(text: &str) -> Result<String, RoleError> {
    let mut out: Vec<&str> = Vec::new();
    for word in text
        .split([',', ' ', ';', '+'])
        .filter(|w| !w.trim().is_empty())
    {
        let w = word.trim().to_ascii_lowercase();
        let Some((name, _)) = ROLE_NAMES.iter().find(|(_, s)| s.contains(&w.as_str())) else {
            return Err(RoleError::Unknown {
                word: word.to_string(),
                expected: ROLE_NAMES.map(|(n, _)| n).to_vec(),
            });
        };
        if !out.contains(name) {
            out.push(name);
        }
    }
    if out.is_empty() {
        return Err(RoleError::Empty);
    }
    Ok(out.join(", "))
}

fn has_role(group: &Group, name: &str) -> bool {
    group.server_role.as_deref().is_some_and(|r| {
        r.split([',', ' ', ';', '+'])
            .any(|w| w.trim().eq_ignore_ascii_case(name))
    })
}

/// Whether the server is an Edge Transport server.
pub fn is_edge(group: &Group) -> bool {
    has_role(group, "Edge") || has_role(group, "EdgeTransport")
}

/// Why `group`'s server has no site on a port of this role, or `None` when
/// it is expected (or nothing is known).
pub fn skip_reason(group: &Group, role: Role) -> Option<String> {
    let v2010 = group.exchange_version.as_deref() == Some("2010");
    let cas_only = has_role(group, "ClientAccess") && !has_role(group, "Mailbox");
    match role {
        Role::Frontend | Role::Backend if is_edge(group) => Some(
            "an Edge Transport server has no IIS: no Default Web Site (443) and no Exchange Back \
             End (444); it is checked on SMTP only"
                .into(),
        ),
        Role::Backend if v2010 => Some("Exchange 2010 has no Exchange Back End site (444)".into()),
        Role::Backend if cas_only => Some(
            "a Client Access-only server (Exchange 2010 or 2013) has no Exchange Back End site \
             (444): only Mailbox servers do"
                .into(),
        ),
        _ => None,
    }
}

/// The product and build from `AdminDisplayVersion` (`Version 15.2 (Build
/// 1544.4)`) or a plain build (`15.2.1544.4`): `("2019", "15.2.1544.4")`.
/// 14.x is 2010, 15.0 2013, 15.1 2016, 15.2 2019; 15.2 builds from 2562
/// (the first Subscription Edition build) are `SE`.
pub fn version_of(text: &str) -> Option<(String, String)> {
    let t = text.trim();
    let t = t.strip_prefix("Version").unwrap_or(t).trim();
    let (major_minor, build) = match t.split_once('(') {
        Some((mm, rest)) => {
            let b = rest
                .trim()
                .trim_end_matches(')')
                .trim()
                .strip_prefix("Build")?
                .trim();
            (mm.trim().to_string(), b.to_string())
        }
        None => {
            let mut parts = t.splitn(3, '.');
            let (a, b) = (parts.next()?, parts.next()?);
            (format!("{a}.{b}"), parts.next().unwrap_or("").to_string())
        }
    };
    let (major, minor) = major_minor.split_once('.')?;
    let (major, minor): (u32, u32) = (major.trim().parse().ok()?, minor.trim().parse().ok()?);
    if !build.is_empty() && !build.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let build_major: u32 = build
        .split('.')
        .next()
        .and_then(|b| b.parse().ok())
        .unwrap_or(0);
    let product = match (major, minor) {
        (14, _) => "2010",
        (15, 0) => "2013",
        (15, 1) => "2016",
        (15, 2) if build_major >= 2562 => "SE",
        (15, 2) => "2019",
        _ => return None,
    };
    let full = if build.is_empty() {
        format!("{major}.{minor}")
    } else {
        format!("{major}.{minor}.{build}")
    };
    Some((product.to_string(), full))
}

/// Whether `--role`/`--site`'s HOST (lowercase) names `host`: the same
/// name, or the short name of an FQDN (`ex05` names `ex05.contoso.com`).
pub(crate) fn host_matches(key: &str, host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    if host == key {
        return true;
    }
    if key.contains('.') || host.parse::<std::net::IpAddr>().is_ok() {
        return false;
    }
    host.split('.').next() == Some(key)
}

/// `Get-ExchangeServer` exports the site as its AD path,
/// `contoso.local/Configuration/Sites/Default-First-Site-Name`; admins know
/// it by the last part, as AD Sites and Services shows it.
pub(crate) fn site_name(v: String) -> String {
    match v.rsplit_once("/Sites/") {
        Some((_, name)) if !name.is_empty() => name.to_string(),
        _ => v,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_from_admin_display_version() {
        let v = |t: &str| version_of(t).map(|(p, b)| format!("{p} {b}"));
        assert_eq!(
            v("Version 15.2 (Build 1544.4)").as_deref(),
            Some("2019 15.2.1544.4")
        );
        assert_eq!(
            v("Version 15.1 (Build 2507.6)").as_deref(),
            Some("2016 15.1.2507.6")
        );
        assert_eq!(
            v("Version 15.0 (Build 1497.2)").as_deref(),
            Some("2013 15.0.1497.2")
        );
        assert_eq!(
            v("Version 14.3 (Build 123.4)").as_deref(),
            Some("2010 14.3.123.4")
        );
        assert_eq!(
            v("Version 15.2 (Build 2562.17)").as_deref(),
            Some("SE 15.2.2562.17")
        );
        assert_eq!(v("15.2.1748.10").as_deref(), Some("2019 15.2.1748.10"));
        assert_eq!(v("Version 8.3 (Build 83.6)"), None);
        assert_eq!(v("banana"), None);
        assert_eq!(v(""), None);
    }

    #[test]
    fn roles_parse_and_decide_ports() {
        assert_eq!(parse_roles("mailbox,cas").unwrap(), "Mailbox, ClientAccess");
        assert_eq!(parse_roles("Edge").unwrap(), "Edge");
        assert!(parse_roles("Gateway")
            .unwrap_err()
            .to_string()
            .contains("Gateway"));
        let g = |role: &str, version: Option<&str>| Group {
            server_role: Some(role.into()),
            exchange_version: version.map(str::to_string),
            ..Group::default()
        };
        assert!(skip_reason(&g("Edge", None), Role::Frontend).is_some());
        assert!(skip_reason(&g("Edge", None), Role::Backend).is_some());
        assert!(skip_reason(&g("ClientAccess", Some("2013")), Role::Backend).is_some());
        assert!(skip_reason(&g("ClientAccess", Some("2013")), Role::Frontend).is_none());
        assert!(skip_reason(&g("Mailbox, ClientAccess", Some("2010")), Role::Backend).is_some());
        assert!(skip_reason(&g("Mailbox, ClientAccess", Some("2016")), Role::Backend).is_none());
        assert!(skip_reason(&g("Mailbox", Some("2019")), Role::Backend).is_none());
        assert!(skip_reason(&Group::default(), Role::Backend).is_none());
    }

    #[test]
    fn override_hosts_match_short_and_full_names() {
        assert!(host_matches("ex05", "EX05.contoso.com"));
        assert!(host_matches("ex05.contoso.com", "ex05.contoso.com."));
        assert!(!host_matches("ex05.contoso.com", "ex05.fabrikam.com"));
        assert!(!host_matches("10", "10.0.0.1"));
        assert!(host_matches("10.0.0.1", "10.0.0.1"));
    }
}
