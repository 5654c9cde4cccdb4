//! Steps for a load balancer's VIP (`--load-balancer`). A balancer is not
//! an Exchange server: no Exchange cmdlet ever runs against it. The one
//! command is the export of the servers' certificate, run against the
//! Exchange server that holds it; the import on the balancer is the
//! vendor's own procedure, so it is said in words.

use super::{shown_thumb, thumb_arg, Step, Task};
use crate::analyze::commands::{shown, Arg, Cmd, Placeholder, Server};
use crate::model::{CertFacts, Role, Status};

/// Which VIP a step is about.
#[derive(Debug, Clone, Copy)]
pub struct Vip<'a> {
    /// The VIP as scanned (its address or name).
    pub host: &'a str,
    /// The namespace it serves (`--load-balancer NAME`).
    pub namespace: &'a str,
    /// The port probed.
    pub port: u16,
    /// The servers' port it stands for: frontend (HTTPS) or SMTP.
    pub forwards_to: Role,
}

impl Vip<'_> {
    /// `openssl s_client -connect ADDR:PORT -servername NAME`, for prose:
    /// what the VIP presents, seen by hand (`-starttls smtp` on SMTP).
    fn openssl(&self, extra: &str) -> String {
        let starttls = if self.forwards_to == Role::Smtp {
            " -starttls smtp"
        } else {
            ""
        };
        let host = match self.host.parse::<std::net::IpAddr>() {
            Ok(std::net::IpAddr::V6(a)) => format!("[{a}]"),
            _ => shown(self.host),
        };
        format!(
            "openssl s_client -connect {host}:{} -servername {}{starttls}{extra}",
            self.port,
            shown(self.namespace)
        )
    }

    /// `the virtual service of mail.contoso.com at 10.1.2.50:443 (HTTPS)`.
    fn service(&self) -> String {
        let what = if self.forwards_to == Role::Smtp {
            "SMTP"
        } else {
            "HTTPS"
        };
        format!(
            "the virtual service of {} at {}:{} ({what})",
            shown(self.namespace),
            shown(self.host),
            self.port
        )
    }
}

/// `CN=mail.contoso.com (SHA-1 ..., names a, b, expires 2027-01-01)`.
pub fn described(c: &CertFacts) -> String {
    let names = if c.sans.is_empty() {
        c.subject_cn.as_deref().map_or("none".to_string(), shown)
    } else {
        shown(&c.sans.join(", "))
    };
    format!(
        "{} (SHA-1 {}, names {names}, expires {})",
        shown(&c.subject),
        shown_thumb(&c.sha1, Placeholder::Thumbprint),
        c.not_after_text()
    )
}

/// Export `cert` with its private key from `server`, an Exchange server
/// that presents it, to a .pfx file for the balancer.
pub fn export_for_balancer(server: &str, cert: &CertFacts) -> Step {
    let at = Server::new(server);
    let export = Cmd::new("Export-ExchangeCertificate")
        .server(&at)
        .arg(
            "Thumbprint",
            &thumb_arg(&cert.sha1, Placeholder::Thumbprint),
        )
        .switch("BinaryEncoded")
        .arg(
            "Password",
            &Arg::fixed("(Read-Host -AsSecureString 'PFX password')"),
        )
        .assign("pfx")
        .then(Cmd::write_all_bytes(
            Placeholder::PfxPath,
            "pfx",
            "FileData",
        ));
    Step::new(
        Task::ConfigureLoadBalancer,
        server,
        format!(
            "Export the servers' certificate {} with its private key from {}, which presents \
             it on 443, to a .pfx file; replace {} with where to write it. If the private key \
             is not exportable, use the .pfx the certificate was imported from instead.",
            described(cert),
            at.shown(),
            Placeholder::PfxPath
        ),
    )
    .run(export)
    .thumbprint(&cert.sha1)
}

/// Import `cert` on the balancer and select it for the VIP's virtual
/// service, in place of `current`.
pub fn import_on_balancer(vip: &Vip<'_>, cert: &CertFacts, current: &CertFacts) -> Step {
    Step::new(
        Task::ConfigureLoadBalancer,
        vip.host,
        format!(
            "On the load balancer, import that .pfx and select it, with its intermediate \
             certificates, for {}, in place of {}. Keep SSL bridging (re-encryption to the \
             servers) or passthrough: Extended Protection does not support SSL offloading. \
             Check by hand with: {}",
            vip.service(),
            described(current),
            vip.openssl("")
        ),
    )
    .port(vip.port)
    .thumbprint(&cert.sha1)
    .thumbprint(&current.sha1)
}

/// The balancer presents a newer certificate than the servers behind it:
/// they follow it, not the other way round.
pub fn servers_follow_balancer(vip: &Vip<'_>, cert: &CertFacts, servers: &[&str]) -> Step {
    let list: Vec<String> = servers.iter().map(|s| shown(s)).collect();
    Step::new(
        Task::ImportCertificate,
        "",
        format!(
            "{} presents {}, newer than the servers' certificate: import that certificate \
             (its .pfx, with the private key) on every server behind it ({}) with \
             Import-ExchangeCertificate -Server <server>, enable it for IIS on each \
             (Enable-ExchangeCertificate -Server <server> -Thumbprint {} -Services IIS) and \
             run iisreset at a safe time.",
            capitalised(&vip.service()),
            described(cert),
            list.join(", "),
            shown_thumb(&cert.sha1, Placeholder::Thumbprint)
        ),
    )
    .thumbprint(&cert.sha1)
}

/// The VIP presents the servers' own certificate, which needs renewing:
/// the balancer follows the servers' renewal.
pub fn follow_servers_renewal(vip: &Vip<'_>, current: &CertFacts) -> Step {
    Step::new(
        Task::ConfigureLoadBalancer,
        vip.host,
        format!(
            "{} presents the same certificate as the servers behind it, {}. Renew it for the \
             servers (their own steps), then export the renewed certificate from one of them \
             (Export-ExchangeCertificate -BinaryEncoded) and import the same .pfx on the load \
             balancer for that service, so Extended Protection keeps working.",
            capitalised(&vip.service()),
            described(current)
        ),
    )
    .port(vip.port)
    .thumbprint(&current.sha1)
}

/// The VIP presents another certificate than the servers, whose own is
/// out of date too: the balancer takes the servers' renewed one.
pub fn after_servers_renewal(vip: &Vip<'_>, servers: &CertFacts, current: &CertFacts) -> Step {
    Step::new(
        Task::ConfigureLoadBalancer,
        vip.host,
        format!(
            "The servers' certificate {} is not valid now. Renew it for the servers \
             (their own steps), then export the renewed certificate from one of them \
             (Export-ExchangeCertificate -BinaryEncoded) and import the same .pfx on the load \
             balancer for {}, in place of {}, so Extended Protection works.",
            described(servers),
            vip.service(),
            described(current)
        ),
    )
    .port(vip.port)
    .thumbprint(&servers.sha1)
    .thumbprint(&current.sha1)
}

/// The VIP presents its leaf without the intermediate it was issued by.
pub fn complete_balancer_chain(vip: &Vip<'_>, current: &CertFacts) -> Step {
    Step::new(
        Task::ConfigureLoadBalancer,
        vip.host,
        format!(
            "On the load balancer, import the intermediate certificate of \"{}\" and select \
             the full chain (leaf and intermediates) for {}, which presents {} alone. Check by \
             hand with: {}",
            shown(&current.issuer),
            vip.service(),
            described(current),
            vip.openssl(" -showcerts")
        ),
    )
    .port(vip.port)
    .thumbprint(&current.sha1)
}

/// No certificate of the servers fits: the balancer needs a certificate
/// from the CA (`why` says what the current one lacks).
pub fn new_balancer_cert(vip: &Vip<'_>, current: &CertFacts, why: &str) -> Step {
    let same = if vip.forwards_to == Role::Smtp {
        ""
    } else {
        " Put the same certificate on every server behind it (Extended Protection needs one \
         certificate on both)."
    };
    Step::new(
        Task::ConfigureLoadBalancer,
        vip.host,
        format!(
            "{} presents {}, which {why}. Get a certificate from the CA that covers {} (with \
             its intermediate certificates), import it on the load balancer and select it for \
             that service.{same}",
            capitalised(&vip.service()),
            described(current),
            shown(vip.namespace)
        ),
    )
    .port(vip.port)
    .thumbprint(&current.sha1)
}

/// The VIP accepts TLS 1.0 or 1.1 (`only`: nothing newer): the
/// balancer's own TLS settings for the service, not the servers'.
pub fn balancer_protocols(vip: &Vip<'_>, only: bool) -> Step {
    let text = if only {
        format!(
            "In the load balancer's TLS (SSL profile) settings for {}, enable TLS 1.2: clients \
             and Exchange Online need it. The servers' Schannel settings do not change what the \
             balancer accepts.",
            vip.service()
        )
    } else {
        format!(
            "Once every client speaks TLS 1.2, disable TLS 1.0 and 1.1 in the load balancer's \
             TLS (SSL profile) settings for {}, as on the servers behind it (Extended \
             Protection wants one TLS configuration).",
            vip.service()
        )
    };
    Step::new(Task::ConfigureProtocols, vip.host, text).port(vip.port)
}

/// The VIP could not be read, or presented no certificate that parses.
pub fn check_vip(vip: &Vip<'_>, status: Status) -> Step {
    let h = shown(vip.host);
    let text = match status {
        Status::DnsFailed => format!(
            "Check that {h} resolves from the scanning host, or give the VIP's address: \
             --load-balancer {}=ADDR.",
            shown(vip.namespace)
        ),
        Status::Ok => format!(
            "On the load balancer, check the certificate selected for {} and select a valid \
             one.",
            vip.service()
        ),
        _ => format!(
            "Check that {} is enabled and reachable from the scanning host (a firewall, or a \
             source-address rule on the balancer); then scan again.",
            vip.service()
        ),
    };
    Step::new(Task::CheckEndpoint, vip.host, text).port(vip.port)
}

/// The last step: scan the VIP again, with the servers behind it.
pub fn verify_balancer(host: &str, command: &str) -> Step {
    Step::new(
        Task::Verify,
        host,
        format!(
            "Verify: scan the load balancer {} again with the servers behind it, once the \
             steps above are done.",
            shown(host)
        ),
    )
    .run(Cmd::verbatim_excert(command))
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_uppercase().chain(chars).collect::<String>()
    })
}

/// `excert scan --load-balancer NAME=ADDR SERVERS...` with the ports this
/// scan used for the VIP: the VIP again, with the servers it is compared
/// with. Every value is a plain word or single-quoted.
pub fn balancer_verify_command(
    host: &str,
    namespaces: &[&str],
    ports: (&[u16], &[u16]),
    servers: &[&str],
    settings: &crate::config::AnalysisSettings,
) -> String {
    let mut cmd = "excert scan".to_string();
    for n in namespaces {
        let spec = if n.eq_ignore_ascii_case(host) {
            n.to_string()
        } else {
            format!("{n}={host}")
        };
        cmd.push_str(&format!(" --load-balancer {}", super::other::word(&spec)));
    }
    let list = |p: &[u16]| {
        p.iter()
            .map(u16::to_string)
            .collect::<Vec<String>>()
            .join(",")
    };
    let (frontend, smtp) = ports;
    if !frontend.is_empty() && list(frontend) != "443" {
        cmd.push_str(&format!(" --frontend-ports {}", list(frontend)));
    }
    if smtp.is_empty() {
        cmd.push_str(" --smtp-ports none");
    } else if list(smtp) != "25" {
        cmd.push_str(&format!(" --smtp-ports {}", list(smtp)));
    }
    for b in &settings.ca_bundles {
        cmd.push_str(&format!(" --ca-bundle {}", super::other::word(b)));
    }
    for s in servers {
        cmd.push_str(&format!(" {}", super::other::word(s)));
    }
    cmd
}
