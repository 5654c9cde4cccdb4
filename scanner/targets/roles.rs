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
use crate::model::{Group, Role, ServerRoles};

/// `ServerRole` as written (`Mailbox, ClientAccess`), in canonical names;
/// `Err` names the first word that is not a role.
pub(crate) fn parse_roles(text: &str) -> Result<String, RoleError> {
    match ServerRoles::parse(text) {
        Ok(roles) => Ok(roles.to_string()),
        Err(Some(word)) => Err(RoleError::Unknown {
            word,
            expected: ServerRoles::NAMES.to_vec(),
        }),
        Err(None) => Err(RoleError::Empty),
    }
}

/// Why `group`'s server has no site on a port of this role, or `None` when
/// it is expected (or nothing is known).
pub fn skip_reason(group: &Group, role: Role) -> Option<String> {
    let v2010 = group.exchange_version.as_deref() == Some("2010");
    let roles = group.roles();
    let cas_only = roles.client_access_only();
    match role {
        Role::Frontend | Role::Backend if roles.is_edge() => Some(
            "an Edge Transport server has no IIS: no Default Web Site (443) and no Exchange Back \
             End (444); it is checked on SMTP and EdgeSync"
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
