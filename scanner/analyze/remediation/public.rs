//! The public (443) certificate: CA-issued, for the namespaces, enabled
//! for IIS (and usually SMTP and the hybrid connectors).

use super::backend::new_own_backend;
use super::mail::check_connectors_at;
use super::{
    enable, iisreset, import_pfx, remove_old_at, shown_thumb, thumb_arg, Step, Task, UNKNOWN_PUBLIC,
};
use crate::analyze::commands::{Placeholder, Server};
use crate::model::{CertFacts, Role};

/// What `-Services IIS` does to a site that redirects HTTP to HTTPS.
const REQUIRE_SSL_NOTE: &str = "If the Default Web Site redirects HTTP to HTTPS (http://mail... \
     to /owa), add -DoNotRequireSsl: -Services IIS turns Require SSL on, which breaks the \
     redirect.";

/// Re-enable IIS on the public certificate (the server-level fix for a lost
/// binding), right away.
pub fn rebind_public(host: &str, public: Option<&str>) -> Step {
    let at = Server::new(host);
    let public = public.unwrap_or(UNKNOWN_PUBLIC);
    Step::new(
        Task::EnablePublic,
        host,
        format!(
            "Re-enable IIS on the public certificate {} on {} now, not at the off-hours \
             iisreset (import it first if it is not on this server). {REQUIRE_SSL_NOTE}",
            shown_thumb(public, Placeholder::PublicThumbprint),
            at.shown()
        ),
    )
    .run(enable(
        &at,
        &thumb_arg(public, Placeholder::PublicThumbprint),
        "IIS",
    ))
    .thumbprint(public)
}

/// 443 presents a self-signed certificate (finding level): re-enable IIS
/// on the public certificate, then iisreset.
pub fn public_binding_lost(host: &str, port: u16, public: Option<&str>) -> Vec<Step> {
    let first = rebind_public(host, public).port(port);
    vec![first, iisreset(host)]
}

/// Roll the newest public certificate for the same names out to a server
/// still on an older one.
pub fn bind_fleet_public(host: &str, port: u16, newest: &str) -> Vec<Step> {
    let at = Server::new(host);
    let t = shown_thumb(newest, Placeholder::PublicThumbprint);
    vec![
        import_pfx(&at, &format!("the fleet's newest public certificate {t}")),
        Step::new(
            Task::EnablePublic,
            host,
            format!("Enable {t} for IIS on {}. {REQUIRE_SSL_NOTE}", at.shown()),
        )
        .port(port)
        .run(enable(
            &at,
            &thumb_arg(newest, Placeholder::PublicThumbprint),
            "IIS",
        ))
        .thumbprint(newest),
        iisreset(host),
    ]
}

/// The full public renewal on `host`, as Microsoft documents it: import
/// the new certificate, enable it for IIS and SMTP (the old one usually
/// carries both, even when port 25 was not scanned), point the hybrid
/// connectors at it, iisreset, and remove the old one last.
fn public_renewal(host: &str, port: Option<u16>, first: Step, old: Option<&str>) -> Vec<Step> {
    let at = Server::new(host);
    let new = super::thumb_arg("", Placeholder::NewThumbprint);
    let mut enable_step = Step::new(
        Task::EnablePublic,
        host,
        format!(
            "Enable the new certificate for IIS and SMTP on {}. It asks whether to overwrite \
             the default SMTP certificate: answer N, so internal transport keeps the server's \
             own certificate. {REQUIRE_SSL_NOTE}",
            at.shown()
        ),
    )
    .run(enable(&at, &new, "IIS,SMTP"));
    if let Some(p) = port {
        enable_step = enable_step.port(p);
    }
    let mut steps = vec![
        first,
        import_pfx(
            &at,
            "the new public certificate (every server that uses it)",
        ),
        enable_step,
        check_connectors_at(&at, Placeholder::NewThumbprint.as_str()),
        iisreset(host),
    ];
    if let Some(old) = old {
        steps.push(remove_old_at(&at, old));
    }
    steps
}

/// The public certificate expires (finding level): renew it with the CA.
pub fn renew_public(host: &str, port: u16, old: &str) -> Vec<Step> {
    let first = Step::new(
        Task::ReplacePublic,
        host,
        format!(
            "Renew the public certificate {} with your CA (same names) and export it with its \
             private key as a .pfx file.",
            shown_thumb(old, Placeholder::Thumbprint)
        ),
    )
    .port(port)
    .thumbprint(old);
    public_renewal(host, Some(port), first, Some(old))
}

/// A self-signed certificate on 443 expires (finding level): replace it
/// with a CA-issued one.
pub fn replace_self_signed_public(host: &str, port: u16, old: &str) -> Vec<Step> {
    let first = Step::new(
        Task::ReplacePublic,
        host,
        format!(
            "Replace the self-signed certificate {} on 443 with a CA-issued certificate for \
             your namespaces, exported with its private key as a .pfx file.",
            shown_thumb(old, Placeholder::Thumbprint)
        ),
    )
    .port(port)
    .thumbprint(old);
    // The self-signed one is the server's own: it stays for 444 and
    // internal transport, so it is not removed.
    public_renewal(host, Some(port), first, None)
}

/// The public certificate itself is wrong (server level): get a new one and
/// enable IIS on it. `current` is what 443 presents, if known; a CA-issued
/// one is removed last (a self-signed one is the server's own, kept for
/// 444 and internal transport).
pub fn new_public_cert(host: &str, current: Option<&CertFacts>) -> Vec<Step> {
    let replaced = current.map_or("the current certificate".to_string(), |c| {
        shown_thumb(&c.sha1, Placeholder::Thumbprint)
    });
    let first = Step::new(
        Task::ReplacePublic,
        host,
        format!(
            "Get a new public certificate from your CA (SHA-256, RSA 2048+, every namespace in \
             the SAN) to replace {replaced}, exported with its private key as a .pfx file."
        ),
    );
    let first = match current {
        Some(c) => first.thumbprint(&c.sha1),
        None => first,
    };
    let old = current.filter(|c| !c.self_issued).map(|c| c.sha1.as_str());
    public_renewal(host, None, first, old)
}

/// The 443 chain does not validate.
pub fn trusted_public(host: &str, port: u16) -> Vec<Step> {
    let first = Step::new(
        Task::ReplacePublic,
        host,
        "Get a certificate from a CA your clients trust, exported with its private key as a \
         .pfx file; if the issuer is your enterprise CA, pass its root to excert with \
         --ca-bundle instead."
            .to_string(),
    )
    .port(port);
    public_renewal(host, Some(port), first, None)
}

/// The 443 certificate does not cover `missing` names.
pub fn add_names(host: &str, port: u16, missing: &[String]) -> Vec<Step> {
    let names: Vec<String> = missing
        .iter()
        .map(|n| crate::analyze::commands::shown(n))
        .collect();
    let first = Step::new(
        Task::ReplacePublic,
        host,
        format!(
            "Reissue the public certificate with {} in its SAN, exported with its private key \
             as a .pfx file.",
            names.join(", ")
        ),
    )
    .port(port);
    public_renewal(host, Some(port), first, None)
}

/// The public certificate reissued (`what` it needs), then the renewal.
fn reissue_public(host: &str, port: u16, what: &str) -> Vec<Step> {
    let first = Step::new(
        Task::ReplacePublic,
        host,
        format!("{what}, exported with its private key as a .pfx file."),
    )
    .port(port);
    public_renewal(host, Some(port), first, None)
}

/// A CA-issued certificate in the chain is signed with SHA-1 or MD5.
pub fn reissue_sha256(host: &str, port: u16, role: Role) -> Vec<Step> {
    match role {
        Role::Backend => new_own_backend(
            host,
            port,
            "444 should present the server's own certificate, signed SHA-256 when created now.",
        ),
        Role::Smtp | Role::Imap | Role::Pop => super::mail::reissue_mail(
            host,
            port,
            role,
            "Reissue the certificate signed with SHA-256",
        ),
        Role::Frontend => reissue_public(
            host,
            port,
            "Reissue the public certificate signed with SHA-256",
        ),
        Role::Edgesync => super::ports::reissue_edgesync(
            host,
            port,
            "Reissue the certificate signed with SHA-256",
        ),
        Role::Other => super::ports::reissue_port(
            host,
            port,
            None,
            "Reissue the certificate signed with SHA-256",
        ),
        Role::LoadBalancer => Vec::new(),
    }
}

/// A key in the chain is too short.
pub fn stronger_key(host: &str, port: u16, role: Role) -> Vec<Step> {
    match role {
        Role::Backend => new_own_backend(host, port, "The new certificate gets a 2048-bit key."),
        Role::Smtp | Role::Imap | Role::Pop => super::mail::reissue_mail(
            host,
            port,
            role,
            "Request a new certificate with an RSA 2048-bit (or larger) or P-256 key",
        ),
        Role::Frontend => reissue_public(
            host,
            port,
            "Request a new public certificate with an RSA 2048-bit (or larger) or P-256 key",
        ),
        Role::Edgesync => super::ports::reissue_edgesync(
            host,
            port,
            "Make a new certificate with an RSA 2048-bit (or larger) key",
        ),
        Role::Other => super::ports::reissue_port(
            host,
            port,
            None,
            "Request a new certificate with an RSA 2048-bit (or larger) or P-256 key",
        ),
        Role::LoadBalancer => Vec::new(),
    }
}
