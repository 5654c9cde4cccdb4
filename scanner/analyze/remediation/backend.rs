//! The backend (444) certificate: the server's own "Microsoft Exchange"
//! certificate, bound to the Exchange Back End site.

use super::{get_cert, iisreset, remove_old, shown_thumb, thumb_arg, Step, Task};
use crate::analyze::commands::{Arg, Cmd, Placeholder, Server};
use crate::model::{CertFacts, Group};

/// Re-create the server's own certificate without IIS. `-Force` answers
/// yes to "overwrite the default SMTP certificate?": intended, the new
/// certificate replaces the old default one for internal transport.
pub(super) fn recreate_own(at: &Server, cn: Option<&str>, bits: u32) -> Cmd {
    let bits = if bits == 4096 { 4096 } else { 2048 };
    Cmd::new("New-ExchangeCertificate")
        .server(at)
        .arg("DomainName", &Arg::netbios(cn, at.shown()))
        .switch("IncludeServerFQDN")
        .arg("Services", &Arg::fixed("SMTP"))
        .arg("KeySize", &Arg::number(bits))
        .arg("PrivateKeyExportable", &Arg::fixed("$true"))
        .arg("FriendlyName", &Arg::fixed("\"Microsoft Exchange\""))
        .switch("Force")
}

/// What the text says about `-Force` in [`recreate_own`].
pub(super) const FORCE_NOTE: &str = "-Force answers yes to \"overwrite the existing default SMTP \
     certificate?\": intended here, since the new certificate takes over internal transport \
     from the old self-signed one.";

/// The Exchange Back End binding on `port`, set on the server: the old
/// certificate is removed from the binding first (HTTP.sys keeps one
/// certificate per IP:port, so adding to a bound binding fails).
pub(super) fn bind_script(at: &Server, port: u16, thumb: &Arg) -> Cmd {
    let get = Cmd::new("Get-WebBinding")
        .arg("Name", &Arg::fixed("'Exchange Back End'"))
        .arg("Protocol", &Arg::fixed("https"))
        .arg("Port", &Arg::number(u32::from(port)))
        .assign("b");
    at.run(&[
        Cmd::new("Import-Module").positional(&Arg::fixed("WebAdministration")),
        get,
        Cmd::call("b", "RemoveSslCertificate", &[]),
        Cmd::call("b", "AddSslCertificate", &[thumb, &Arg::fixed("'My'")]),
    ])
}

fn find_own(at: &Server) -> Cmd {
    Cmd::new("Get-ExchangeCertificate")
        .server(at)
        .pipe(
            Cmd::new("Where-Object")
                .positional(&Arg::fixed("FriendlyName"))
                .arg("eq", &Arg::fixed("'Microsoft Exchange'")),
        )
        .pipe(Cmd::new("Format-List").positional(&Arg::fixed("Thumbprint,NotAfter,Services")))
}

pub(super) fn trust_copy(host: &str, thumb: &str) -> Step {
    let at = Server::new(host);
    // A thumbprint not known yet (the certificate is created by an earlier
    // step) is shown as that placeholder.
    let shown = shown_thumb(thumb, Placeholder::NewThumbprint);
    Step::new(
        Task::TrustCertificate,
        host,
        format!(
            "On {h} copy {shown} from Personal to Trusted Root Certification Authorities \
             (certlm.msc, Local Computer): the other servers' front ends trust the back end \
             through it.",
            h = at.shown()
        ),
    )
    .thumbprint(thumb)
}

/// Bind `thumb` to the Exchange Back End site on `port`.
pub(super) fn bind_backend(host: &str, port: u16, thumb: &str, missing: Placeholder) -> Step {
    let at = Server::new(host);
    Step::new(
        Task::BindBackend,
        host,
        format!(
            "Bind {} to Exchange Back End https/{port} on {}, removing the certificate the \
             binding has first (or IIS Manager > Exchange Back End > Bindings > https {port}). \
             Keep the binding on All Unassigned (*:{port}): a single-IP binding breaks Extended \
             Protection.",
            shown_thumb(thumb, missing),
            at.shown()
        ),
    )
    .port(port)
    .run(bind_script(
        &at,
        port,
        &Arg::thumbprint_string(thumb, missing),
    ))
    .thumbprint(thumb)
}

/// Where certificate management is in the GUI on this version, if known.
fn gui_note(group: &Group) -> &'static str {
    let build: Vec<u32> = group
        .exchange_build
        .as_deref()
        .unwrap_or("")
        .split('.')
        .filter_map(|p| p.parse().ok())
        .collect();
    let cu_build = build.get(2).copied();
    match (group.exchange_version.as_deref(), cu_build) {
        (Some("2010"), _) => " On Exchange 2010 the EMC (Server Configuration > Exchange Certificates) shows the result.",
        // 2016 CU23 is build 15.1.2507; 2019 CU12 is 15.2.1118 and CU15
        // (certificate management back in EAC) is 15.2.1748.
        (Some("2016"), Some(b)) if b >= 2507 => " This build has no certificate management in EAC (removed in 2016 CU23): use the Exchange Management Shell.",
        (Some("2019"), Some(b)) if (1118..1748).contains(&b) => " This build has no certificate management in EAC (removed in 2019 CU12, back in CU15): use the Exchange Management Shell.",
        (Some(_), _) => " Do not use EAC > Servers > Certificates > Renew for this: it copies IIS to the new certificate.",
        (None, _) => " Do not use EAC \"Renew\" for this (where EAC has it: not in 2016 CU23+ or 2019 CU12-CU14): it copies IIS to the new certificate.",
    }
}

/// Renew an expired or expiring backend certificate without ever moving
/// 443: re-create it for SMTP only, trust it, bind it to the scanned
/// backend `port`, iisreset, and remove the old one last.
pub fn renew_backend(host: &str, port: u16, group: &Group, old: &CertFacts) -> Vec<Step> {
    let at = Server::new(host);
    vec![
        Step::new(
            Task::RenewBackend,
            host,
            format!(
                "Create {h}'s new \"Microsoft Exchange\" certificate without IIS, so the \
                 Default Web Site keeps its public certificate. {FORCE_NOTE} Note the new \
                 thumbprint ({new}) for the next steps.{}",
                gui_note(group),
                h = at.shown(),
                new = Placeholder::NewThumbprint,
            ),
        )
        .port(port)
        .run(recreate_own(&at, old.subject_cn.as_deref(), old.key.bits))
        .thumbprint(&old.sha1),
        trust_copy(host, Placeholder::NewThumbprint.as_str()),
        bind_backend(host, port, "", Placeholder::NewThumbprint),
        iisreset(host),
        remove_old(host, &old.sha1),
    ]
}

/// The renewal trap's 444 fix when the renewed certificate already exists
/// (443 presents it): bind the renewed one to 444, no new renewal. The 443
/// half (re-enable IIS on the public certificate, first) is the server's
/// first step and the 443 finding's fix, never part of a 444 fix.
pub fn bind_renewed(host: &str, port: u16, new: &CertFacts) -> Vec<Step> {
    let at = Server::new(host);
    vec![
        Step::new(
            Task::TrustCertificate,
            host,
            format!(
                "The renewed self-signed certificate {} (expires {}) already exists on {h}: do \
                 not renew again. Copy it from Personal to Trusted Root Certification \
                 Authorities on {h} (certlm.msc, Local Computer) if it is not there yet.",
                shown_thumb(&new.sha1, Placeholder::Thumbprint),
                new.not_after_text(),
                h = at.shown()
            ),
        )
        .run(get_cert(
            &at,
            &thumb_arg(&new.sha1, Placeholder::Thumbprint),
        ))
        .thumbprint(&new.sha1),
        bind_backend(host, port, &new.sha1, Placeholder::Thumbprint),
        iisreset(host),
    ]
}

/// 444 presents the wrong certificate (server level): find the server's own
/// Exchange certificate (or create one without IIS), bind it, iisreset.
pub fn fix_backend_binding(host: &str, port: u16) -> Vec<Step> {
    let at = Server::new(host);
    vec![
        Step::new(
            Task::FindOwnCertificate,
            host,
            format!(
                "Find {h}'s own \"Microsoft Exchange\" certificate and note its thumbprint ({}). \
                 If it is missing or expired, create one without IIS first (a new \"Microsoft \
                 Exchange\" certificate for SMTP only, as for a renewal) and copy it to Trusted Root on {h}.",
                Placeholder::ItsThumbprint,
                h = at.shown()
            ),
        )
        .port(port)
        .run(find_own(&at)),
        bind_backend(host, port, "", Placeholder::ItsThumbprint),
        iisreset(host),
    ]
}

/// 444 presents an unexpected certificate (finding level): bind the
/// server's own one instead of `wrong`.
pub fn bind_own_backend(host: &str, port: u16, wrong: &str) -> Vec<Step> {
    let mut steps = fix_backend_binding(host, port);
    if let Some(first) = steps.first_mut() {
        let text = format!(
            "{} It replaces {} on the Exchange Back End binding.",
            first.text(),
            shown_thumb(wrong, Placeholder::Thumbprint)
        );
        first.set_text(text);
        *first = first.clone().thumbprint(wrong);
    }
    steps
}

/// 444 presents an expiring certificate that is not the server's own: do not
/// renew it, bind the right one.
pub fn do_not_renew_backend(host: &str, port: u16, wrong: &str) -> Vec<Step> {
    let mut steps = fix_backend_binding(host, port);
    if let Some(first) = steps.first_mut() {
        let text = format!(
            "Do not renew {} for the Exchange Back End: it is not {}'s own certificate. {}",
            shown_thumb(wrong, Placeholder::Thumbprint),
            Server::new(host).shown(),
            first.text()
        );
        first.set_text(text);
        *first = first.clone().thumbprint(wrong);
    }
    steps
}

/// Every DAG member has its own backend certificate.
pub fn repeat_on_dag_members(host: &str) -> Step {
    Step::new(
        Task::RepeatOnOtherServers,
        host,
        format!(
            "Check the other members of {}'s DAG too: each has its own self-signed \
             certificate, renewed on its own (the report lists each server).",
            Server::new(host).shown()
        ),
    )
}

/// A 444 certificate is weak: give the server a new own certificate and
/// bind it to the Back End (never `-Services IIS`, which would move 443).
pub(super) fn new_own_backend(host: &str, port: u16, why: &str) -> Vec<Step> {
    let at = Server::new(host);
    vec![
        Step::new(
            Task::RenewBackend,
            host,
            format!(
                "{why} Create {h}'s own certificate without IIS. {FORCE_NOTE} Note the new \
                 thumbprint ({}) and copy it to Trusted Root on {h}.",
                Placeholder::NewThumbprint,
                h = at.shown()
            ),
        )
        .port(port)
        .run(recreate_own(&at, None, 2048)),
        bind_backend(host, port, "", Placeholder::NewThumbprint),
        iisreset(host),
    ]
}
