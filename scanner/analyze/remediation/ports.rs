//! EdgeSync LDAPS on an Edge server, and the ports given with `--tls-port`.
//!
//! EdgeSync presents the Edge server's default SMTP certificate, and the
//! Edge Subscription carried that certificate's public key to the Mailbox
//! servers: a new certificate means a new subscription (Microsoft's Edge
//! Subscription procedure, [`super::edge_subscription`]). The Edge's
//! commands run in its own Exchange Management Shell, never with `-Server`.
//!
//! An `other` port is no Exchange site: where its certificate is bound
//! depends on the service. WMSvc takes it in IIS Manager (Management
//! Service); Unified Messaging from the certificate enabled for its UM and
//! UM Call Router services. Those steps are plain words: no command is
//! given where none is known to be right for the service.

use super::backend::recreate_own;
use super::{import_pfx, remove_old_at, shown_thumb, thumb_arg, Step, Task};
use crate::analyze::commands::{shown, Cmd, Placeholder, Server};
use crate::model::CertFacts;

/// What `-Force` answers on an Edge server, and why that is wanted there.
const EDGE_FORCE_NOTE: &str = "-Force answers yes to \"overwrite the existing default SMTP \
     certificate?\": intended on an Edge server, since the default SMTP certificate is the one \
     EdgeSync presents and the new subscription carries.";

/// An expired or expiring certificate on EdgeSync LDAPS: a new
/// certificate for SMTP on the Edge (a self-signed one re-created, a
/// CA-issued one renewed with the CA), the old one removed, then the Edge
/// subscribed again for `site`.
pub fn renew_edgesync(host: &str, port: u16, old: &CertFacts, site: Option<&str>) -> Vec<Step> {
    let edge = Server::edge(host);
    let h = edge.shown();
    let new = Placeholder::NewThumbprint;
    let old_shown = shown_thumb(&old.sha1, Placeholder::Thumbprint);
    let shell = "in its own Exchange Management Shell, as a local administrator (an Edge \
                 server is not in Active Directory, so no -Server)";
    let mut steps = Vec::new();
    if old.self_issued {
        steps.push(
            Step::new(
                Task::RenewEdgeCertificate,
                host,
                format!(
                    "On {h}, {shell}, create a new self-signed certificate for SMTP: EdgeSync \
                     (LDAPS, port {port}) presents the Edge's default SMTP certificate, today \
                     {old_shown}. {EDGE_FORCE_NOTE} Note the new thumbprint ({new})."
                ),
            )
            .port(port)
            .run(recreate_own(&edge, old.subject_cn.as_deref(), old.key.bits))
            .thumbprint(&old.sha1),
        );
    } else {
        steps.push(
            Step::new(
                Task::ReplacePublic,
                host,
                format!(
                    "Renew {old_shown} (the certificate {h} presents on EdgeSync, port {port}) \
                     with your CA, same names, and export it with its private key as a .pfx \
                     file."
                ),
            )
            .port(port)
            .thumbprint(&old.sha1),
        );
        steps.push(import_pfx(&edge, "the renewed certificate"));
        let t = thumb_arg(new.as_str(), new);
        steps.push(
            Step::new(
                Task::EnableTransport,
                host,
                format!(
                    "On {h}, {shell}, enable {new} for SMTP and answer Y to \"overwrite the \
                     existing default SMTP certificate?\": the default SMTP certificate is the \
                     one EdgeSync presents and the new subscription carries."
                ),
            )
            .port(port)
            .run(
                Cmd::new("Enable-ExchangeCertificate")
                    .arg("Thumbprint", &t)
                    .arg("Services", &crate::analyze::commands::Arg::fixed("SMTP")),
            ),
        );
    }
    let mut remove = remove_old_at(&edge, &old.sha1);
    remove.set_text(format!(
        "On {h}, once the new certificate is enabled for SMTP, remove {old_shown}: the new \
         subscription file must carry the new certificate, and EdgeSync must not present the \
         old one."
    ));
    steps.push(remove);
    steps.extend(super::edge_subscription(host, site));
    steps
}

/// `wmsvc 8172`, `port 8172`: the service as the admin named it.
fn service(label: Option<&str>, port: u16) -> String {
    match label {
        Some(l) => format!("{} (port {port})", shown(l)),
        None => format!("the service on port {port}"),
    }
}

/// Where the service behind a label takes its certificate, in words.
fn where_bound(h: &str, label: Option<&str>, port: u16) -> String {
    match label.map(str::to_ascii_lowercase).as_deref() {
        Some("wmsvc") => format!(
            "In IIS Manager on {h}, select the server, open Management Service, stop the \
             service, choose the new certificate under SSL certificate, Apply, and start the \
             service again (IIS Manager and Web Deploy clients connect to port {port})."
        ),
        Some("um" | "umcallrouter" | "um-callrouter" | "um_callrouter") => format!(
            "On {h} enable the new certificate for the UM and UM Call Router services (Exchange \
             admin center, or Enable-ExchangeCertificate with those services), then restart the \
             MSExchangeUM and MSExchangeUMCR services; Lync or Skype for Business must trust its \
             issuer."
        ),
        _ => format!(
            "Bind the new certificate to {} on {h}, where that service takes its certificate \
             (for a service on HTTP.sys, netsh http show sslcert lists the certificate bound to \
             each port).",
            service(label, port)
        ),
    }
}

/// An expired or expiring certificate on a `--tls-port` port.
pub fn replace_other(host: &str, port: u16, label: Option<&str>, old: &CertFacts) -> Vec<Step> {
    let h = shown(host);
    let old_shown = shown_thumb(&old.sha1, Placeholder::Thumbprint);
    let get = if old.self_issued {
        format!(
            "Make a new certificate for {} on {h} to replace {old_shown}: a CA-issued one the \
             clients trust is best; a new self-signed one works where clients accept it once.",
            service(label, port)
        )
    } else {
        format!(
            "Renew {old_shown}, which {} on {h} presents, with your CA (same names), and import \
             it on {h} with its private key.",
            service(label, port)
        )
    };
    vec![
        Step::new(Task::ReplacePublic, host, get)
            .port(port)
            .thumbprint(&old.sha1),
        Step::new(
            Task::BindValidCertificate,
            host,
            where_bound(&h, label, port),
        )
        .port(port),
    ]
}

/// A CA-issued certificate on a `--tls-port` port whose chain does not
/// validate.
pub fn trust_other(host: &str, port: u16, label: Option<&str>) -> Vec<Step> {
    let h = shown(host);
    vec![Step::new(
        Task::BindValidCertificate,
        host,
        format!(
            "Give {} on {h} a certificate from a CA its clients trust (or pass your enterprise \
             root with --ca-bundle if it is trusted internally). {}",
            service(label, port),
            where_bound(&h, label, port)
        ),
    )
    .port(port)]
}

/// A CA-issued certificate on a `--tls-port` port that does not cover the
/// name clients use (`name`, the name it was scanned by).
pub fn rename_other(host: &str, port: u16, label: Option<&str>, name: &str) -> Vec<Step> {
    let h = shown(host);
    vec![Step::new(
        Task::BindValidCertificate,
        host,
        format!(
            "Give {} on {h} a certificate that covers {}, the name its clients connect to. {}",
            service(label, port),
            shown(name),
            where_bound(&h, label, port)
        ),
    )
    .port(port)]
}

/// A weak signature or key on EdgeSync: the Edge's certificate, replaced
/// and enabled for SMTP in its own shell; the new subscription follows
/// (added once per server by the verdict).
pub(super) fn reissue_edgesync(host: &str, port: u16, what: &str) -> Vec<Step> {
    let edge = Server::edge(host);
    let h = edge.shown();
    vec![Step::new(
        Task::ReplacePublic,
        host,
        format!(
            "{what} for EdgeSync (port {port}) on {h}; in {h}'s own Exchange Management Shell, \
             enable it for SMTP and answer Y to \"overwrite the existing default SMTP \
             certificate?\" (the default SMTP certificate is the one EdgeSync presents), then \
             subscribe the Edge again."
        ),
    )
    .port(port)]
}

/// A weak signature or key on a `--tls-port` port.
pub(super) fn reissue_port(host: &str, port: u16, label: Option<&str>, what: &str) -> Vec<Step> {
    let h = shown(host);
    vec![
        Step::new(
            Task::ReplacePublic,
            host,
            format!("{what} for {} on {h}.", service(label, port)),
        )
        .port(port),
        Step::new(
            Task::BindValidCertificate,
            host,
            where_bound(&h, label, port),
        )
        .port(port),
    ]
}
