//! Every remediation step excert gives, in one place.
//!
//! A [`Step`] is data (declared in `model`, since scan.json carries it): what
//! to do ([`Task`]), where (server, and the port when the step concerns one
//! IIS site), the PowerShell command when there is one, the thumbprints it
//! names, and the sentence an admin reads. The rules
//! and the server verdicts ask this module for steps; nothing else writes
//! remediation text. One function per situation, so the wording of a fix is
//! edited in one place.
//!
//! Numbering is done once, by [`numbered`] (scan.json's
//! `servers[].remediation`, the HTML report) and [`inline`] (a finding's
//! `remediation`); step texts never carry their own numbers.

pub use crate::model::{Step, Task};

use crate::model::{CertFacts, Role, Status};

impl Step {
    fn new(task: Task, server: &str, text: String) -> Step {
        Step {
            task,
            server: server.to_string(),
            port: None,
            powershell: None,
            thumbprints: Vec::new(),
            text,
        }
    }

    fn port(mut self, port: u16) -> Step {
        self.port = Some(port);
        self
    }

    fn powershell(mut self, command: &str) -> Step {
        self.powershell = Some(command.to_string());
        self
    }

    fn thumbprint(mut self, sha1: &str) -> Step {
        if !sha1.is_empty() && !sha1.starts_with('<') {
            self.thumbprints.push(sha1.to_string());
        }
        self
    }
}

/// What to type when the public thumbprint is unknown.
pub const UNKNOWN_PUBLIC: &str = "<public thumbprint>";

/// Steps as scan.json's `servers[].remediation` and the reports show them:
/// `1. ...`, `2. ...`.
pub fn numbered(steps: &[Step]) -> Vec<String> {
    steps
        .iter()
        .enumerate()
        .map(|(i, s)| format!("{}. {}", i + 1, s.text))
        .collect()
}

/// Steps as one finding's `remediation` string: a single step as it is,
/// several numbered on one line.
pub fn inline(steps: &[Step]) -> String {
    match steps {
        [one] => one.text.clone(),
        _ => numbered(steps).join(" "),
    }
}

/// The same steps, each saying which endpoint it is about (`EX01:444: ...`).
pub fn at_endpoint(host: &str, port: u16, steps: &[Step]) -> Vec<Step> {
    steps
        .iter()
        .map(|s| Step {
            text: format!("{host}:{port}: {}", s.text),
            ..s.clone()
        })
        .collect()
}

fn enable_iis(thumbprint: &str) -> String {
    format!("Enable-ExchangeCertificate -Thumbprint {thumbprint} -Services IIS")
}

fn iisreset(host: &str) -> Step {
    Step::new(
        Task::Iisreset,
        host,
        format!(
            "Run iisreset: off-hours on a standalone server, or after moving the active \
             databases off {host} in a DAG."
        ),
    )
}

// ---- The backend (444) certificate -------------------------------------

/// Renew an expired or expiring backend certificate, from renewal to
/// re-enabling IIS on the public certificate.
pub fn renew_backend(host: &str, old: &str, public: Option<&str>) -> Vec<Step> {
    let renew = format!(
        "Get-ExchangeCertificate -Thumbprint {old} | New-ExchangeCertificate -Force \
         -PrivateKeyExportable $true"
    );
    let public = public.unwrap_or(UNKNOWN_PUBLIC);
    let enable = enable_iis(public);
    vec![
        Step::new(
            Task::RenewBackend,
            host,
            format!(
                "Renew the backend certificate on {host}: EAC > Servers > Certificates > Renew, \
                 or {renew}."
            ),
        )
        .powershell(&renew)
        .thumbprint(old),
        Step::new(
            Task::TrustCertificate,
            host,
            "Copy the new certificate from Personal to Trusted Root Certification Authorities \
             (certlm.msc, Local Computer); renewal does not do this."
                .to_string(),
        ),
        Step::new(
            Task::BindBackend,
            host,
            "In IIS Manager open Exchange Back End > Bindings > https 444 and select the new \
             certificate. Keep the binding on All Unassigned (*:444): a single-IP binding \
             breaks Extended Protection."
                .to_string(),
        ),
        iisreset(host),
        Step::new(
            Task::EnablePublic,
            host,
            format!(
                "Re-enable IIS on the public certificate, since renewal moves IIS to the new \
                 self-signed one: {enable}."
            ),
        )
        .powershell(&enable)
        .thumbprint(public),
    ]
}

/// The renewal trap's fix when the renewed certificate already exists (443
/// presents it): re-enable IIS on the public cert, bind the renewed one to
/// 444, no new renewal.
pub fn bind_renewed(host: &str, new: &CertFacts, public: Option<&str>) -> Vec<Step> {
    vec![
        rebind_public(host, public),
        Step::new(
            Task::TrustCertificate,
            host,
            format!(
                "The renewed self-signed certificate {} (expires {}) already exists on {host}: \
                 do not renew again. Copy it from Personal to Trusted Root Certification \
                 Authorities (certlm.msc, Local Computer) if it is not there yet.",
                new.sha1,
                new.not_after_text()
            ),
        )
        .thumbprint(&new.sha1),
        Step::new(
            Task::BindBackend,
            host,
            format!(
                "In IIS Manager open Exchange Back End > Bindings > https 444 and select {}. \
                 Keep the binding on All Unassigned (*:444): a single-IP binding breaks \
                 Extended Protection.",
                new.sha1
            ),
        )
        .thumbprint(&new.sha1),
        iisreset(host),
    ]
}

/// 444 presents the wrong certificate (server level): find the server's own
/// Exchange certificate, bind it, iisreset.
pub fn fix_backend_binding(host: &str) -> Vec<Step> {
    let find = "Get-ExchangeCertificate | Where-Object FriendlyName -eq 'Microsoft Exchange'";
    vec![
        Step::new(
            Task::FindOwnCertificate,
            host,
            format!(
                "Find {host}'s own \"Microsoft Exchange\" certificate ({find}); create one with \
                 New-ExchangeCertificate and copy it to Trusted Root if it is missing or expired."
            ),
        )
        .powershell(find),
        Step::new(
            Task::BindBackend,
            host,
            "In IIS Manager open Exchange Back End > Bindings > https 444 and select that \
             certificate, keeping All Unassigned (*:444)."
                .to_string(),
        ),
        iisreset(host),
    ]
}

/// 444 presents an unexpected certificate (finding level): bind the
/// server's own one instead of `wrong`.
pub fn bind_own_backend(host: &str, port: u16, wrong: &str) -> Step {
    let find = "Get-ExchangeCertificate | Where-Object FriendlyName -eq 'Microsoft Exchange'";
    Step::new(
        Task::BindBackend,
        host,
        format!(
            "On {host} find the \"Microsoft Exchange\" certificate ({find}); in IIS Manager open \
             Exchange Back End > Bindings > https 444 and select it instead of {wrong}, keeping \
             All Unassigned (*:444). If it is missing or expired, create one with \
             New-ExchangeCertificate and copy it to Trusted Root first. Then iisreset off-hours \
             (after moving DAG databases)."
        ),
    )
    .port(port)
    .powershell(find)
    .thumbprint(wrong)
}

/// 444 presents an expiring certificate that is not the server's own: do not
/// renew it, bind the right one.
pub fn do_not_renew_backend(host: &str, port: u16, wrong: &str) -> Step {
    Step::new(
        Task::BindBackend,
        host,
        format!(
            "Do not renew {wrong} for 444: bind {host}'s own \"Microsoft Exchange\" certificate \
             to Exchange Back End https/444 (*:444) instead, then iisreset off-hours (after \
             moving DAG databases)."
        ),
    )
    .port(port)
    .thumbprint(wrong)
}

/// Every DAG member has its own backend certificate.
pub fn repeat_on_dag_members() -> Step {
    Step::new(
        Task::RepeatOnOtherServers,
        "",
        "Repeat on every DAG member: each has its own self-signed certificate and must be \
         checked and renewed on its own."
            .to_string(),
    )
}

// ---- The public (443) certificate --------------------------------------

/// Re-enable IIS on the public certificate (the server-level fix for a lost
/// binding).
pub fn rebind_public(host: &str, public: Option<&str>) -> Step {
    let public = public.unwrap_or(UNKNOWN_PUBLIC);
    let enable = enable_iis(public);
    Step::new(
        Task::EnablePublic,
        host,
        format!(
            "Re-enable IIS on the public certificate on {host}: {enable} (import it first with \
             Import-ExchangeCertificate if it is not on this server)."
        ),
    )
    .powershell(&enable)
    .thumbprint(public)
}

/// 443 presents a self-signed certificate (finding level).
pub fn public_binding_lost(host: &str, port: u16, public: Option<&str>) -> Step {
    let public = public.unwrap_or(UNKNOWN_PUBLIC);
    let enable = enable_iis(public);
    Step::new(
        Task::EnablePublic,
        host,
        format!(
            "On {host} run {enable} (import the public certificate first if it is not on this \
             server), then check that https://{host}/ presents it."
        ),
    )
    .port(port)
    .powershell(&enable)
    .thumbprint(public)
}

/// 443 presents another public certificate than the fleet: bind the
/// fleet's one.
pub fn bind_fleet_public(host: &str, port: u16, majority: &str) -> Step {
    let enable = enable_iis(majority);
    Step::new(
        Task::EnablePublic,
        host,
        format!(
            "On {host} import the fleet's public certificate if needed \
             (Import-ExchangeCertificate) and run {enable}."
        ),
    )
    .port(port)
    .powershell(&enable)
    .thumbprint(majority)
}

/// The public certificate expires (finding level): renew it with the CA.
pub fn renew_public(host: &str, port: u16, old: &str) -> Step {
    Step::new(
        Task::ReplacePublic,
        host,
        format!(
            "Renew the public certificate {old} with your CA (same names), import it on every \
             server with Import-ExchangeCertificate, and run {} on each.",
            enable_iis("<new>")
        ),
    )
    .port(port)
    .thumbprint(old)
}

/// A self-signed certificate on 443 expires (finding level): replace it
/// with a CA-issued one.
pub fn replace_self_signed_public(host: &str, port: u16, old: &str) -> Step {
    Step::new(
        Task::ReplacePublic,
        host,
        format!(
            "Replace the self-signed certificate {old} with a CA-issued certificate for your \
             namespaces, import it on every server and run {}.",
            enable_iis("<new>")
        ),
    )
    .port(port)
    .thumbprint(old)
}

/// The public certificate itself is wrong (server level): get a new one and
/// enable IIS on it. `current` is the thumbprint 443 presents, if known.
pub fn new_public_cert(host: &str, current: Option<&str>) -> Vec<Step> {
    let replaced = current.unwrap_or("the current certificate");
    let first = Step::new(
        Task::ReplacePublic,
        host,
        format!(
            "Get a new public certificate from your CA (SHA-256, RSA 2048+, every namespace in \
             the SAN) to replace {replaced}; import it on every server with \
             Import-ExchangeCertificate."
        ),
    );
    let first = match current {
        Some(t) => first.thumbprint(t),
        None => first,
    };
    let enable = enable_iis("<new>");
    vec![
        first,
        Step::new(Task::EnablePublic, host, format!("On {host} run {enable}.")).powershell(&enable),
    ]
}

/// The 443 chain does not validate.
pub fn trusted_public(host: &str, port: u16) -> Step {
    Step::new(
        Task::ReplacePublic,
        host,
        format!(
            "Bind a certificate from a CA your clients trust and enable IIS on it ({}); if the \
             issuer is your enterprise CA, pass its root with --ca-bundle.",
            enable_iis("<new>")
        ),
    )
    .port(port)
}

/// The 443 certificate does not cover `missing` names.
pub fn add_names(host: &str, port: u16, missing: &[String]) -> Step {
    Step::new(
        Task::ReplacePublic,
        host,
        format!(
            "Reissue the public certificate with {} in its SAN, import it on every server and \
             run {}.",
            missing.join(", "),
            enable_iis("<new>")
        ),
    )
    .port(port)
}

/// The leaf's issuer is not presented.
pub fn import_intermediate(host: &str, port: u16, issuer: &str) -> Step {
    Step::new(
        Task::ImportIntermediate,
        host,
        format!(
            "On {host} import the intermediate certificate of \"{issuer}\" into Intermediate \
             Certification Authorities (certlm.msc, Local Computer) and run iisreset at a safe \
             time."
        ),
    )
    .port(port)
}

/// A CA-issued certificate in the chain is signed with SHA-1 or MD5.
pub fn reissue_sha256(host: &str, port: u16) -> Step {
    Step::new(
        Task::ReplacePublic,
        host,
        format!(
            "Reissue the certificate signed with SHA-256 and enable IIS on the new one ({}).",
            enable_iis("<new>")
        ),
    )
    .port(port)
}

/// A key in the chain is too short.
pub fn stronger_key(host: &str, port: u16) -> Step {
    Step::new(
        Task::ReplacePublic,
        host,
        format!(
            "Request a new certificate with an RSA 2048-bit (or larger) or P-256 key, import it \
             and enable it for IIS ({}).",
            enable_iis("<new>")
        ),
    )
    .port(port)
}

// ---- Either site ---------------------------------------------------------

/// The certificate is not valid yet.
pub fn bind_valid_now(host: &str, port: u16, cert: &str, valid_from: time::Date) -> Step {
    Step::new(
        Task::BindValidCertificate,
        host,
        format!(
            "Check the clock on {host}; bind a certificate that is valid now instead of {cert} \
             until {valid_from}."
        ),
    )
    .port(port)
    .thumbprint(cert)
}

/// The presented bytes are not a certificate.
pub fn rebind_unparsable(host: &str, port: u16) -> Step {
    Step::new(
        Task::CheckBinding,
        host,
        "Check the IIS binding of this site (IIS Manager, certlm.msc) and bind a valid \
         certificate."
            .to_string(),
    )
    .port(port)
}

/// A different chain is presented without SNI.
pub fn check_sni_bindings(host: &str, port: u16) -> Step {
    Step::new(
        Task::CheckBinding,
        host,
        format!(
            "In IIS Manager check the bindings of the site on port {port}: an SNI binding next \
             to an All Unassigned binding with another certificate. Bind the same certificate \
             to both unless the difference is intended."
        ),
    )
    .port(port)
}

/// Nothing newer than TLS 1.1 is accepted.
pub fn enable_tls12(host: &str, port: u16) -> Step {
    Step::new(
        Task::ConfigureProtocols,
        host,
        format!(
            "Enable TLS 1.2 on {host}: Exchange 2013 CU19+ or 2016 CU8+, then the SCHANNEL TLS \
             1.2 and .NET SchUseStrongCrypto registry settings, and restart the server."
        ),
    )
    .port(port)
}

/// TLS 1.0 or 1.1 is still accepted next to TLS 1.2.
pub fn disable_legacy_tls(host: &str, port: u16) -> Step {
    Step::new(
        Task::ConfigureProtocols,
        host,
        format!(
            "Once every client speaks TLS 1.2, disable TLS 1.0 and 1.1 on {host} (SCHANNEL \
             registry settings) and restart the server."
        ),
    )
    .port(port)
}

/// An endpoint could not be scanned: what to check, by what happened.
pub fn check_endpoint(host: &str, port: u16, role: Role, status: Status) -> Step {
    let text = match status {
        Status::DnsFailed => format!(
            "Check that {host} resolves from the scanning host (or pin it with --resolve), then \
             scan again."
        ),
        Status::Refused if role == Role::Backend => format!(
            "If {host} is an Exchange 2013+ Mailbox server, check that the Exchange Back End \
             site is started and bound to https *:{port} in IIS Manager (HttpEvent 15021 in the \
             System log means the binding points to a deleted certificate); otherwise no action."
        ),
        _ => format!(
            "Check that {host} is up, that port {port} is reachable from the scanning host, and \
             that the IIS site is bound to a certificate; then scan again."
        ),
    };
    Step::new(Task::CheckEndpoint, host, text).port(port)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbering_is_added_once() {
        let steps = vec![
            rebind_unparsable("EX01", 443),
            check_sni_bindings("EX01", 443),
        ];
        let n = numbered(&steps);
        assert!(n.first().is_some_and(|s| s.starts_with("1. Check the IIS")));
        assert!(n.get(1).is_some_and(|s| s.starts_with("2. In IIS Manager")));
        assert!(inline(&steps).contains(" 2. In IIS Manager"));
        assert_eq!(inline(&steps[..1]), steps[0].text);
    }

    #[test]
    fn unknown_thumbprints_are_not_listed() {
        let s = rebind_public("EX01", None);
        assert!(s.text.contains(UNKNOWN_PUBLIC));
        assert!(s.thumbprints.is_empty());
    }
}
