//! What an Exchange server is: its roles (`Get-ExchangeServer`'s
//! `ServerRole`, or `--role`) and its product and build
//! (`AdminDisplayVersion`). Parsed here, once, for every stage: targets use
//! it to skip ports a server cannot have, analysis to word Edge commands.

use std::fmt;

use super::Group;

/// `Get-ExchangeServer`'s role names (canonical spelling first) and the
/// spellings accepted for each.
const ROLES: [(&str, &[&str]); 5] = [
    ("Mailbox", &["mailbox", "mbx"]),
    ("ClientAccess", &["clientaccess", "cas"]),
    ("Edge", &["edge", "edgetransport"]),
    ("HubTransport", &["hubtransport", "hub"]),
    ("UnifiedMessaging", &["unifiedmessaging", "um"]),
];

/// The roles of one Exchange server, as a set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServerRoles {
    /// Bit `i` set when the server has role `ROLES[i]`.
    bits: u8,
}

impl ServerRoles {
    /// The canonical role names, in `Get-ExchangeServer`'s order.
    pub const NAMES: [&'static str; 5] = [
        "Mailbox",
        "ClientAccess",
        "Edge",
        "HubTransport",
        "UnifiedMessaging",
    ];

    /// A role list as written (`Mailbox, ClientAccess`, `mbx;cas`). `Err`
    /// holds the first word that names no role, or `None` when there is no
    /// word at all.
    pub fn parse(text: &str) -> Result<Self, Option<String>> {
        let mut roles = ServerRoles::default();
        for word in words(text) {
            roles.bits |= bit(word).ok_or_else(|| Some(word.to_string()))?;
        }
        if roles.bits == 0 {
            return Err(None);
        }
        Ok(roles)
    }

    /// The roles an export or a saved scan names; words that are not roles
    /// are ignored, since an export is not ours to refuse.
    pub fn lenient(text: &str) -> Self {
        let bits = words(text).filter_map(bit).fold(0, |a, b| a | b);
        ServerRoles { bits }
    }

    fn has(self, name: &str) -> bool {
        bit(name).is_some_and(|b| self.bits & b != 0)
    }

    /// An Edge Transport server: no IIS, commands run in its own shell.
    pub fn is_edge(self) -> bool {
        self.has("Edge")
    }

    /// Client Access without Mailbox (Exchange 2010 or 2013): no Exchange
    /// Back End site.
    pub fn client_access_only(self) -> bool {
        self.has("ClientAccess") && !self.has("Mailbox")
    }
}

/// Canonical names joined by `, `, as scan.json's `server_role` holds them.
impl fmt::Display for ServerRoles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (i, name) in Self::NAMES.iter().enumerate() {
            if self.bits & (1 << i) != 0 {
                if !first {
                    f.write_str(", ")?;
                }
                f.write_str(name)?;
                first = false;
            }
        }
        Ok(())
    }
}

impl Group {
    /// The server's roles, from `server_role`; empty when the input did
    /// not say.
    pub fn roles(&self) -> ServerRoles {
        self.server_role
            .as_deref()
            .map(ServerRoles::lenient)
            .unwrap_or_default()
    }
}

fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split([',', ' ', ';', '+'])
        .map(str::trim)
        .filter(|w| !w.is_empty())
}

fn bit(word: &str) -> Option<u8> {
    let w = word.to_ascii_lowercase();
    let i = ROLES.iter().position(|(name, spellings)| {
        spellings.contains(&w.as_str()) || name.eq_ignore_ascii_case(&w)
    })?;
    Some(1 << i)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_strictly_or_leniently() {
        let r = ServerRoles::parse("mailbox,cas").unwrap();
        assert_eq!(r.to_string(), "Mailbox, ClientAccess");
        assert!(!r.is_edge() && !r.client_access_only());
        assert!(ServerRoles::parse("EdgeTransport").unwrap().is_edge());
        assert_eq!(ServerRoles::parse("Gateway"), Err(Some("Gateway".into())));
        assert_eq!(ServerRoles::parse(" , "), Err(None));
        assert!(ServerRoles::lenient("Edge, Gateway").is_edge());
        assert!(!ServerRoles::lenient("Hedge").is_edge());
        assert!(ServerRoles::lenient("ClientAccess").client_access_only());
    }

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
}
