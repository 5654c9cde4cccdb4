//! Mail ports (SMTP, IMAP, POP): certificates enabled per service, the
//! connectors that name one, and STARTTLS.

use super::backend::{recreate_own, FORCE_NOTE};
use super::{enable, import_pfx, remove_old_at, shown_thumb, thumb_arg, Step, Task};
use crate::analyze::commands::{Arg, Cmd, Placeholder, Server};
use crate::model::{CertFacts, Role};

/// The `-Services` value for a mail role.
fn service(role: Role) -> &'static str {
    match role {
        Role::Imap => "IMAP",
        Role::Pop => "POP",
        Role::Smtp | Role::Frontend | Role::Backend => "SMTP",
        Role::LoadBalancer | Role::Edgesync | Role::Other => "SMTP",
    }
}

/// What the step says about the prompt `-Services SMTP` raises.
const SMTP_PROMPT: &str = "It asks whether to overwrite the default SMTP certificate: answer N \
     (Y would also make it the certificate internal transport uses between servers).";

/// Enable `thumbprint` on the server `at` for the port's service.
fn enable_at(at: &Server, port: u16, role: Role, thumbprint: &str, missing: Placeholder) -> Step {
    let note = match role {
        Role::Smtp => format!(
            " {SMTP_PROMPT} Port {port} presents it when the receive connector's \
             TlsCertificateName names it or, without one, when its names cover the connector's \
             FQDN."
        ),
        Role::Imap => " Then restart the MSExchangeIMAP4 and MSExchangeIMAP4BE services.".into(),
        Role::Pop => " Then restart the MSExchangePOP3 and MSExchangePOP3BE services.".into(),
        Role::Frontend | Role::Backend => String::new(),
        Role::LoadBalancer | Role::Edgesync | Role::Other => String::new(),
    };
    let edge = if at.is_edge() {
        " Run it in the Edge server's own Exchange Management Shell, as a local administrator."
    } else {
        ""
    };
    Step::new(
        Task::EnableTransport,
        at.shown(),
        format!(
            "On {} enable {} for {} (import it first if it is not on this server).{note}{edge}",
            at.shown(),
            shown_thumb(thumbprint, missing),
            service(role)
        ),
    )
    .port(port)
    .run(enable(at, &thumb_arg(thumbprint, missing), service(role)))
    .thumbprint(thumbprint)
}

/// Enable a certificate that is already there (or imported first) for the
/// port's service. `edge`: the server is an Edge Transport server.
pub fn enable_transport(host: &str, port: u16, role: Role, thumbprint: &str, edge: bool) -> Step {
    enable_at(
        &Server::at(host, edge),
        port,
        role,
        thumbprint,
        Placeholder::Thumbprint,
    )
}

/// After a certificate change on SMTP: the connectors that name a
/// certificate (hybrid) must name the new one.
pub fn check_connectors(host: &str, thumbprint: &str) -> Step {
    check_connectors_at(&Server::new(host), thumbprint)
}

pub(super) fn check_connectors_at(at: &Server, thumbprint: &str) -> Step {
    let cert = Cmd::new("Get-ExchangeCertificate")
        .server(at)
        .arg(
            "Thumbprint",
            &thumb_arg(thumbprint, Placeholder::NewThumbprint),
        )
        .assign("c");
    let cmd =
        cert.then(Cmd::fixed("\"<I>$($c.Issuer)<S>$($c.Subject)\""))
            .then(Cmd::new("Get-ReceiveConnector").server(at).pipe(
                Cmd::new("Format-List").positional(&Arg::fixed("Identity,Fqdn,TlsCertificateName")),
            ))
            .then(Cmd::new("Get-SendConnector").pipe(
                Cmd::new("Format-List").positional(&Arg::fixed("Identity,TlsCertificateName")),
            ));
    Step::new(
        Task::CheckConnector,
        at.shown(),
        format!(
            "Check the connectors that name a certificate: the command prints the \
             <I>issuer<S>subject value of {} and each connector's TlsCertificateName. Where a \
             connector's value no longer matches, set it (Set-ReceiveConnector -Identity {} \
             -TlsCertificateName {}, Set-SendConnector likewise), or re-run the Hybrid \
             Configuration Wizard in hybrid: Exchange Online requires the match.",
            shown_thumb(thumbprint, Placeholder::NewThumbprint),
            Placeholder::Connector,
            Placeholder::TlsCertificateName,
        ),
    )
    .run(cmd)
    .thumbprint(thumbprint)
}

/// An expired or expiring certificate on a mail port. With `fleet` (a
/// valid CA-issued certificate for this server's site and names, other
/// than this one), enabling that one is the fix; otherwise renew: the
/// server's own certificate without IIS, a CA-issued one with the CA.
pub fn renew_transport(
    host: &str,
    port: u16,
    role: Role,
    old: &CertFacts,
    fleet: Option<&str>,
    edge: bool,
) -> Vec<Step> {
    let at = Server::at(host, edge);
    let connectors = |t: &str| (role == Role::Smtp).then(|| check_connectors_at(&at, t));
    if let Some(public) = fleet.filter(|p| *p != old.sha1 && !old.self_issued) {
        return std::iter::once(enable_at(&at, port, role, public, Placeholder::Thumbprint))
            .chain(connectors(public))
            .collect();
    }
    let new = Placeholder::NewThumbprint.as_str();
    let mut steps = Vec::new();
    if old.self_issued {
        steps.push(
            Step::new(
                // On an Edge server it is the Edge's certificate (no back
                // end there), and a new subscription follows.
                if edge {
                    Task::RenewEdgeCertificate
                } else {
                    Task::RenewBackend
                },
                host,
                format!(
                    "Create {h}'s new \"Microsoft Exchange\" certificate without IIS (it \
                     replaces {} for {}; the Default Web Site keeps its certificate). \
                     {FORCE_NOTE} Note the new thumbprint ({new}).",
                    shown_thumb(&old.sha1, Placeholder::Thumbprint),
                    service(role),
                    h = at.shown()
                ),
            )
            .port(port)
            .run(recreate_own(&at, old.subject_cn.as_deref(), old.key.bits))
            .thumbprint(&old.sha1),
        );
        if role != Role::Smtp {
            steps.push(enable_at(&at, port, role, new, Placeholder::NewThumbprint));
        }
    } else {
        steps.push(
            Step::new(
                Task::ReplacePublic,
                host,
                format!(
                    "Renew {} with your CA (same names) and export it with its private key as \
                     a .pfx file.",
                    shown_thumb(&old.sha1, Placeholder::Thumbprint)
                ),
            )
            .port(port)
            .thumbprint(&old.sha1),
        );
        steps.push(import_pfx(&at, "the renewed certificate"));
        steps.push(enable_at(&at, port, role, new, Placeholder::NewThumbprint));
    }
    steps.extend(connectors(new));
    steps.push(remove_old_at(&at, &old.sha1));
    steps
}

/// A mail certificate to reissue (weak signature or key): `what` it
/// needs, then import and enable the new one.
pub(super) fn reissue_mail(host: &str, port: u16, role: Role, what: &str) -> Vec<Step> {
    let at = Server::new(host);
    vec![
        Step::new(
            Task::ReplacePublic,
            host,
            format!("{what}, exported with its private key as a .pfx file."),
        )
        .port(port),
        import_pfx(&at, "the new certificate"),
        enable_at(
            &at,
            port,
            role,
            Placeholder::NewThumbprint.as_str(),
            Placeholder::NewThumbprint,
        ),
    ]
}

/// A mail port that offers no STARTTLS, or refuses it. `exchange`: the
/// banner is Exchange's; `edge`: the server is an Edge Transport server.
pub fn offer_starttls(host: &str, port: u16, role: Role, exchange: bool, edge: bool) -> Step {
    let at = Server::at(host, edge);
    let h = at.shown();
    match (role, exchange) {
        (Role::Smtp, true) => Step::new(
            Task::OfferStarttls,
            host,
            format!(
                "Make {h}:{port} offer STARTTLS again: Exchange offers it only with a valid \
                 certificate enabled for SMTP whose names cover the receive connector's FQDN \
                 (event 12014 in the Application log names an FQDN without one). The command \
                 lists the connectors: AuthMechanism must include Tls. Then enable a valid \
                 certificate on {h} with -Services SMTP (answer N to the default SMTP \
                 certificate prompt)."
            ),
        )
        .port(port)
        .run(Cmd::new("Get-ReceiveConnector").server(&at).pipe(
            Cmd::new("Format-List").positional(&Arg::fixed(
                "Identity,Bindings,Fqdn,AuthMechanism,TlsCertificateName",
            )),
        )),
        (Role::Imap | Role::Pop, true) => {
            let mut s = enable_at(&at, port, role, "", Placeholder::Thumbprint);
            s.task = Task::OfferStarttls;
            let text = format!(
                "Make {h}:{port} offer {} again: enable a valid certificate for {}. {}",
                if role == Role::Pop {
                    "STLS"
                } else {
                    "STARTTLS"
                },
                service(role),
                s.text()
            );
            s.set_text(text);
            s
        }
        _ => Step::new(
            Task::OfferStarttls,
            host,
            format!(
                "The server answering {h}:{port} is not identified as Exchange by its banner: \
                 configure a valid certificate for STARTTLS in its own TLS settings, or check \
                 that the port is the one meant (a load balancer or mail gateway may answer)."
            ),
        )
        .port(port),
    }
}

/// The transport side of the renewal trap: this SMTP port presents the
/// server's self-signed certificate where the server's site presents
/// `public`.
pub fn smtp_fleet_cert(host: &str, port: u16, public: &str, edge: bool) -> Vec<Step> {
    let at = Server::at(host, edge);
    vec![
        enable_at(&at, port, Role::Smtp, public, Placeholder::Thumbprint),
        check_connectors_at(&at, public),
    ]
}
