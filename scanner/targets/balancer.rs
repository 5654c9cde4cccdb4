//! A load balancer's VIP as typed: `NAME[=ADDR]`, from `--load-balancer`
//! or a targets CSV's `LoadBalancer` column.

use std::net::IpAddr;

use crate::config::Balancer;

/// `NAME[=ADDR]`: NAME a DNS name (no wildcard, not an address: it is sent
/// as SNI), ADDR an IP address or a host name, without a port (the port
/// lists decide what is probed). `Err` says what is wrong, for the caller
/// to place (a flag, or a file and line).
pub(crate) fn parse(text: &str) -> Result<Balancer, &'static str> {
    let (name, vip) = match text.split_once('=') {
        Some((name, vip)) => (name.trim(), Some(vip.trim())),
        None => (text.trim(), None),
    };
    if name.is_empty() {
        return Err("the namespace NAME is empty");
    }
    if name.parse::<IpAddr>().is_ok() {
        return Err("NAME is the namespace clients use (sent as SNI), not an IP address");
    }
    let name_ok =
        super::parse::check_name(name).is_ok() && rustls_pki_types::DnsName::try_from(name).is_ok();
    if !name_ok {
        return Err("NAME is not a DNS name");
    }
    let vip = match vip {
        None => None,
        Some("") => return Err("ADDR is empty"),
        Some(v) if v.parse::<IpAddr>().is_ok() => Some(v.to_string()),
        Some(v) if super::parse::check_name(v).is_ok() => Some(v.to_string()),
        Some(_) => return Err("ADDR is neither an IP address nor a host name"),
    };
    Ok(Balancer {
        namespace: name.trim_end_matches('.').to_ascii_lowercase(),
        vip,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn name_and_address_are_checked() {
        let b = parse("Mail.Contoso.com.=10.1.2.50").unwrap();
        assert_eq!(b.namespace, "mail.contoso.com");
        assert_eq!(b.vip.as_deref(), Some("10.1.2.50"));
        assert_eq!(parse("mail.contoso.com").unwrap().vip, None);
        assert_eq!(
            parse("mail.contoso.com=vip01.contoso.local")
                .unwrap()
                .vip
                .as_deref(),
            Some("vip01.contoso.local")
        );
        assert!(parse("mail.contoso.com=fd00::50").is_ok());
        for bad in [
            "",
            "=10.1.2.50",
            "10.1.2.50",
            "*.contoso.com",
            "a b",
            "mail.contoso.com=",
            "mail.contoso.com=10.1.2.50:443",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
