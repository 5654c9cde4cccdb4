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
//!
//! Rules every step follows, because admins paste them from one central
//! Exchange Management Shell (facts: ../shared/reference/exchange.md):
//! - every Exchange cmdlet names its server with `-Server` (without it the
//!   cmdlet acts on the local server and the thumbprint is "not found");
//!   commands that are not Exchange cmdlets run on the server through
//!   `Invoke-Command -ComputerName`;
//! - 443 fixes enable IIS on a public certificate (`-Services IIS` binds
//!   the Default Web Site); 444 fixes bind the Exchange Back End site and
//!   never use `-Services IIS`, which would move 443;
//! - renewing the server's own certificate never touches IIS: it is
//!   re-created with `-Services SMTP` (CSS-Exchange's internal transport
//!   certificate guidance) instead of EAC "Renew" or `Get-ExchangeCertificate
//!   | New-ExchangeCertificate`, which copy IIS to the new certificate and
//!   leave 443 on a self-signed one (the renewal trap);
//! - an older certificate is never enabled: the public thumbprints given
//!   here come from `fleet`, which picks the newest for the same names;
//! - the old certificate is removed last, once nothing refers to it.

pub use crate::model::{Step, Task};

use crate::model::text::Command;
/// How steps read as text (`1. ...`), beside the steps themselves in the
/// model, which renders scan.json's remediation text from them.
pub use crate::model::text::{inline, numbered};

use crate::model::{CertFacts, Group, Role, Status};

impl Step {
    fn new(task: Task, server: &str, text: String) -> Step {
        Step {
            task,
            server: server.to_string(),
            port: None,
            command: None,
            thumbprints: Vec::new(),
            text,
        }
    }

    fn port(mut self, port: u16) -> Step {
        self.port = Some(port);
        self
    }

    fn powershell(mut self, command: &str) -> Step {
        self.command = Some(Command::new(&self.text, command));
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

/// What to type for a certificate that the previous step creates.
const NEW: &str = "<new thumbprint>";

/// The same steps, each saying which endpoint it is about (`EX01:444: ...`).
pub fn at_endpoint(host: &str, port: u16, steps: &[Step]) -> Vec<Step> {
    steps
        .iter()
        .map(|s| {
            let at = format!("{host}:{port}: ");
            Step {
                command: s.command.as_ref().map(|c| c.shifted(at.len())),
                text: at + &s.text,
                ..s.clone()
            }
        })
        .collect()
}

fn enable_iis(host: &str, thumbprint: &str) -> String {
    format!("Enable-ExchangeCertificate -Server {host} -Thumbprint {thumbprint} -Services IIS")
}

/// `host` as an Exchange server name: the NetBIOS name, as the server's own
/// certificate names it, when `cn` is not known.
fn netbios(host: &str, cn: Option<&str>) -> String {
    cn.map(str::to_string)
        .unwrap_or_else(|| super::classify::netbios_name(host).to_ascii_uppercase())
}

/// Re-create the server's own certificate without IIS.
fn recreate_own(host: &str, cn: Option<&str>, bits: u32) -> String {
    let bits = if bits == 4096 { 4096 } else { 2048 };
    format!(
        "New-ExchangeCertificate -Server {host} -DomainName {} -IncludeServerFQDN -Services SMTP \
         -KeySize {bits} -PrivateKeyExportable $true -FriendlyName \"Microsoft Exchange\" -Force",
        netbios(host, cn)
    )
}

/// The scripted Exchange Back End binding, run on the server.
fn bind_444_script(host: &str, thumbprint: &str) -> String {
    format!(
        "Invoke-Command -ComputerName {host} -ScriptBlock {{ Import-Module WebAdministration; \
         (Get-WebBinding -Name 'Exchange Back End' -Protocol https -Port 444).AddSslCertificate('{thumbprint}','My') }}"
    )
}

fn find_own(host: &str) -> String {
    format!(
        "Get-ExchangeCertificate -Server {host} | Where-Object FriendlyName -eq 'Microsoft \
         Exchange' | Format-List Thumbprint,NotAfter,Services"
    )
}

fn iisreset(host: &str) -> Step {
    Step::new(
        Task::Iisreset,
        host,
        format!(
            "Run iisreset {host}: off-hours on a standalone server, or after moving the active \
             databases off {host} in a DAG."
        ),
    )
    .powershell(&format!("iisreset {host}"))
}

fn trust_copy(host: &str, thumbprint: &str) -> Step {
    Step::new(
        Task::TrustCertificate,
        host,
        format!(
            "On {host} copy {thumbprint} from Personal to Trusted Root Certification Authorities \
             (certlm.msc, Local Computer): the other servers' front ends trust the back end \
             through it."
        ),
    )
    .thumbprint(thumbprint)
}

fn bind_backend(host: &str, thumbprint: &str) -> Step {
    let script = bind_444_script(host, thumbprint);
    Step::new(
        Task::BindBackend,
        host,
        format!(
            "Bind {thumbprint} to Exchange Back End https/444 on {host}: {script} (or IIS \
             Manager > Exchange Back End > Bindings > https 444). Keep the binding on All \
             Unassigned (*:444): a single-IP binding breaks Extended Protection."
        ),
    )
    .powershell(&script)
    .thumbprint(thumbprint)
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

// ---- The backend (444) certificate -------------------------------------

/// Renew an expired or expiring backend certificate without ever moving
/// 443: re-create it for SMTP only, trust it, bind it to 444, iisreset, and
/// remove the old one last.
pub fn renew_backend(host: &str, group: &Group, old: &CertFacts) -> Vec<Step> {
    let create = recreate_own(host, old.subject_cn.as_deref(), old.key.bits);
    vec![
        Step::new(
            Task::RenewBackend,
            host,
            format!(
                "Create {host}'s new \"Microsoft Exchange\" certificate without IIS, so the \
                 Default Web Site keeps its public certificate: {create}. Note the new \
                 thumbprint ({NEW}).{}",
                gui_note(group)
            ),
        )
        .powershell(&create)
        .thumbprint(&old.sha1),
        trust_copy(host, NEW),
        bind_backend(host, NEW),
        iisreset(host),
        remove_old(host, &old.sha1),
    ]
}

/// The renewal trap's 444 fix when the renewed certificate already exists
/// (443 presents it): bind the renewed one to 444, no new renewal. The 443
/// half (re-enable IIS on the public certificate, first) is the server's
/// first step and the 443 finding's fix, never part of a 444 fix.
pub fn bind_renewed(host: &str, new: &CertFacts) -> Vec<Step> {
    vec![
        Step::new(
            Task::TrustCertificate,
            host,
            format!(
                "The renewed self-signed certificate {} (expires {}) already exists on {host}: \
                 do not renew again. Copy it from Personal to Trusted Root Certification \
                 Authorities on {host} (certlm.msc, Local Computer) if it is not there yet.",
                new.sha1,
                new.not_after_text()
            ),
        )
        .thumbprint(&new.sha1),
        bind_backend(host, &new.sha1),
        iisreset(host),
    ]
}

/// 444 presents the wrong certificate (server level): find the server's own
/// Exchange certificate (or create one without IIS), bind it, iisreset.
pub fn fix_backend_binding(host: &str) -> Vec<Step> {
    let find = find_own(host);
    let create = recreate_own(host, None, 2048);
    vec![
        Step::new(
            Task::FindOwnCertificate,
            host,
            format!(
                "Find {host}'s own \"Microsoft Exchange\" certificate: {find}. If it is missing \
                 or expired, create one without IIS ({create}) and copy it to Trusted Root on \
                 {host}."
            ),
        )
        .powershell(&find),
        bind_backend(host, "<its thumbprint>"),
        iisreset(host),
    ]
}

/// 444 presents an unexpected certificate (finding level): bind the
/// server's own one instead of `wrong`.
pub fn bind_own_backend(host: &str, port: u16, wrong: &str) -> Step {
    let find = find_own(host);
    let bind = bind_444_script(host, "<its thumbprint>");
    Step::new(
        Task::BindBackend,
        host,
        format!(
            "Find {host}'s \"Microsoft Exchange\" certificate ({find}) and bind it to Exchange \
             Back End instead of {wrong}: {bind}, keeping All Unassigned (*:444). If it is \
             missing or expired, create one first ({}) and copy it to Trusted Root. Then \
             iisreset {host} off-hours (after moving DAG databases).",
            recreate_own(host, None, 2048)
        ),
    )
    .port(port)
    .powershell(&find)
    .thumbprint(wrong)
}

/// 444 presents an expiring certificate that is not the server's own: do not
/// renew it, bind the right one.
pub fn do_not_renew_backend(host: &str, port: u16, wrong: &str) -> Step {
    let bind = bind_444_script(host, "<its thumbprint>");
    Step::new(
        Task::BindBackend,
        host,
        format!(
            "Do not renew {wrong} for 444: bind {host}'s own \"Microsoft Exchange\" certificate \
             ({}) to Exchange Back End instead: {bind} (*:444), then iisreset {host} off-hours \
             (after moving DAG databases).",
            find_own(host)
        ),
    )
    .port(port)
    .powershell(&bind)
    .thumbprint(wrong)
}

/// Every DAG member has its own backend certificate.
pub fn repeat_on_dag_members(host: &str) -> Step {
    Step::new(
        Task::RepeatOnOtherServers,
        host,
        format!(
            "Check the other members of {host}'s DAG too: each has its own self-signed \
             certificate, renewed on its own (the report lists each server)."
        ),
    )
}

/// Remove a replaced certificate, last.
pub fn remove_old(host: &str, old: &str) -> Step {
    let remove = format!("Remove-ExchangeCertificate -Server {host} -Thumbprint {old}");
    Step::new(
        Task::RemoveOldCertificate,
        host,
        format!(
            "Once no IIS binding, receive connector (TlsCertificateName) or AuthConfig refers to \
             {old} any more, remove it: {remove}. An expired certificate left bound to IIS makes \
             the next CU setup fail."
        ),
    )
    .powershell(&remove)
    .thumbprint(old)
}

/// After a certificate change on an Edge Transport server.
pub fn edge_subscription(host: &str) -> Step {
    Step::new(
        Task::RecreateEdgeSubscription,
        host,
        format!(
            "{host} is an Edge Transport server: after renewing the certificate EdgeSync uses, \
             re-create the Edge Subscription (New-EdgeSubscription on {host}, then \
             New-EdgeSubscription -FileData on a Mailbox server of the site)."
        ),
    )
}

/// The last step: scan again with the same options.
pub fn verify(host: &str, command: &str) -> Step {
    Step::new(Task::Verify, host, format!("Verify: {command}")).powershell(command)
}

/// `excert scan HOST` with the options this scan used for it: its ports,
/// trust roots, namespaces, role and site.
pub fn verify_command(
    host: &str,
    endpoints: &[&crate::model::EndpointReport],
    settings: &crate::config::AnalysisSettings,
) -> String {
    let ports = |role: Role| {
        let mut p: Vec<String> = endpoints
            .iter()
            .filter(|e| e.endpoint.role == role)
            .map(|e| e.endpoint.port.to_string())
            .collect();
        p.dedup();
        p.join(",")
    };
    let mut cmd = format!("excert scan {}", quoted(host));
    // Each port list with its default, said only when it differs.
    for (flag, role, default) in [
        ("--frontend-ports", Role::Frontend, "443"),
        ("--backend-ports", Role::Backend, "444"),
        ("--smtp-ports", Role::Smtp, "25"),
        ("--imap-ports", Role::Imap, ""),
        ("--pop-ports", Role::Pop, ""),
    ] {
        let p = ports(role);
        if !p.is_empty() && p != default {
            cmd.push_str(&format!(" {flag} {p}"));
        }
    }
    for b in &settings.ca_bundles {
        cmd.push_str(&format!(" --ca-bundle {}", quoted(b)));
    }
    for n in &settings.namespaces {
        cmd.push_str(&format!(" --namespace {}", quoted(n)));
    }
    let group = endpoints
        .iter()
        .map(|e| &e.endpoint.group)
        .find(|g| !g.is_empty());
    if let Some(site) = group.and_then(|g| g.site.as_deref()) {
        for (s, names) in &settings.site_namespaces {
            if s.eq_ignore_ascii_case(site) {
                for n in names {
                    cmd.push_str(&format!(" --namespace {}", quoted(&format!("{s}:{n}"))));
                }
            }
        }
        cmd.push_str(&format!(" --site {}", quoted(&format!("{host}={site}"))));
    }
    if let Some(role) = group.and_then(|g| g.server_role.as_deref()) {
        cmd.push_str(&format!(" --role {}", quoted(&format!("{host}={role}"))));
    }
    cmd
}

/// A shell word: as it is when plain, else in single quotes (which both
/// POSIX shells and PowerShell read literally).
fn quoted(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._:/=,@".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "''"))
    }
}

// ---- The public (443) certificate --------------------------------------

/// Re-enable IIS on the public certificate (the server-level fix for a lost
/// binding), right away.
pub fn rebind_public(host: &str, public: Option<&str>) -> Step {
    let public = public.unwrap_or(UNKNOWN_PUBLIC);
    let enable = enable_iis(host, public);
    Step::new(
        Task::EnablePublic,
        host,
        format!(
            "Re-enable IIS on the public certificate on {host} now: {enable} (import it first \
             with Import-ExchangeCertificate -Server {host} if it is not on this server)."
        ),
    )
    .powershell(&enable)
    .thumbprint(public)
}

/// 443 presents a self-signed certificate (finding level).
pub fn public_binding_lost(host: &str, port: u16, public: Option<&str>) -> Step {
    let public = public.unwrap_or(UNKNOWN_PUBLIC);
    let enable = enable_iis(host, public);
    Step::new(
        Task::EnablePublic,
        host,
        format!(
            "Run {enable} (import the public certificate first with Import-ExchangeCertificate \
             -Server {host} if it is not on this server), then check that https://{host}/ \
             presents it."
        ),
    )
    .port(port)
    .powershell(&enable)
    .thumbprint(public)
}

/// Roll the newest public certificate for the same names out to a server
/// still on an older one.
pub fn bind_fleet_public(host: &str, port: u16, newest: &str) -> Step {
    let enable = enable_iis(host, newest);
    Step::new(
        Task::EnablePublic,
        host,
        format!(
            "Roll out {newest} to {host}: import it if it is not there yet \
             (Import-ExchangeCertificate -Server {host} -FileData \
             ([System.IO.File]::ReadAllBytes('<pfx path>')) -Password (Read-Host -AsSecureString \
             'PFX password')), then run {enable}."
        ),
    )
    .port(port)
    .powershell(&enable)
    .thumbprint(newest)
}

/// The public certificate expires (finding level): renew it with the CA.
pub fn renew_public(host: &str, port: u16, old: &str) -> Step {
    Step::new(
        Task::ReplacePublic,
        host,
        format!(
            "Renew the public certificate {old} with your CA (same names), import it on every \
             server (Import-ExchangeCertificate -Server <server>), and on {host} run {}.",
            enable_iis(host, "<new>")
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
             namespaces, import it (Import-ExchangeCertificate -Server {host}) and run {}.",
            enable_iis(host, "<new>")
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
             the SAN) to replace {replaced}; import it on every server \
             (Import-ExchangeCertificate -Server <server>)."
        ),
    );
    let first = match current {
        Some(t) => first.thumbprint(t),
        None => first,
    };
    let enable = enable_iis(host, "<new>");
    vec![
        first,
        Step::new(Task::EnablePublic, host, format!("Run {enable}.")).powershell(&enable),
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
            enable_iis(host, "<new>")
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
            "Reissue the public certificate with {} in its SAN, import it on every server \
             (Import-ExchangeCertificate -Server <server>) and run {}.",
            missing.join(", "),
            enable_iis(host, "<new>")
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
             Certification Authorities (certlm.msc, Local Computer) and run iisreset {host} at a \
             safe time."
        ),
    )
    .port(port)
}

/// A 444 certificate is weak: give the server a new own certificate and
/// bind it to the Back End (never `-Services IIS`, which would move 443).
fn new_own_backend(host: &str, port: u16, why: &str) -> Step {
    let create = recreate_own(host, None, 2048);
    let bind = bind_444_script(host, NEW);
    Step::new(
        Task::RenewBackend,
        host,
        format!(
            "{why} Create {host}'s own certificate without IIS ({create}), copy it to Trusted \
             Root on {host}, bind it to Exchange Back End: {bind} (*:444), then iisreset {host} \
             off-hours."
        ),
    )
    .port(port)
    .powershell(&create)
}

/// A CA-issued certificate in the chain is signed with SHA-1 or MD5.
pub fn reissue_sha256(host: &str, port: u16, role: Role) -> Step {
    match role {
        Role::Backend => new_own_backend(
            host,
            port,
            "444 should present the server's own certificate, signed SHA-256 when created now.",
        ),
        Role::Smtp | Role::Imap | Role::Pop => Step::new(
            Task::ReplacePublic,
            host,
            format!(
                "Reissue the certificate signed with SHA-256 and enable the new one for {} ({}).",
                service(role),
                enable_service(host, role, "<new>")
            ),
        )
        .port(port),
        Role::Frontend => Step::new(
            Task::ReplacePublic,
            host,
            format!(
                "Reissue the certificate signed with SHA-256 and enable IIS on the new one ({}).",
                enable_iis(host, "<new>")
            ),
        )
        .port(port),
    }
}

/// A key in the chain is too short.
pub fn stronger_key(host: &str, port: u16, role: Role) -> Step {
    match role {
        Role::Backend => new_own_backend(host, port, "The new certificate gets a 2048-bit key."),
        Role::Smtp | Role::Imap | Role::Pop => Step::new(
            Task::ReplacePublic,
            host,
            format!(
                "Request a new certificate with an RSA 2048-bit (or larger) or P-256 key, import \
                 it and enable it for {} ({}).",
                service(role),
                enable_service(host, role, "<new>")
            ),
        )
        .port(port),
        Role::Frontend => Step::new(
            Task::ReplacePublic,
            host,
            format!(
                "Request a new certificate with an RSA 2048-bit (or larger) or P-256 key, import \
                 it and enable it for IIS ({}).",
                enable_iis(host, "<new>")
            ),
        )
        .port(port),
    }
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
        format!(
            "On {host} check the IIS binding of the site on port {port} (IIS Manager, certlm.msc) \
             and bind a valid certificate."
        ),
    )
    .port(port)
}

/// A different chain is presented without SNI.
pub fn check_sni_bindings(host: &str, port: u16) -> Step {
    Step::new(
        Task::CheckBinding,
        host,
        format!(
            "In IIS Manager on {host} check the bindings of the site on port {port}: an SNI \
             binding next to an All Unassigned binding with another certificate. Bind the same \
             certificate to both unless the difference is intended."
        ),
    )
    .port(port)
}

/// The registry settings TLS 1.2 needs, run on the server: SCHANNEL TLS 1.2
/// for server and client, and for .NET 4 and 2, 64- and 32-bit, both
/// `SystemDefaultTlsVersions` and `SchUseStrongCrypto` (HealthChecker
/// checks all of them). Keys are created only when missing: `New-Item
/// -Force` on an existing registry key would empty it.
fn tls12_script(host: &str) -> String {
    format!(
        "Invoke-Command -ComputerName {host} -ScriptBlock {{ \
         foreach ($side in 'Server','Client') {{ \
         $p = \"HKLM:\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.2\\$side\"; \
         if (-not (Test-Path $p)) {{ New-Item -Path $p -Force | Out-Null }}; \
         New-ItemProperty -Path $p -Name Enabled -Value 1 -PropertyType DWord -Force | Out-Null; \
         New-ItemProperty -Path $p -Name DisabledByDefault -Value 0 -PropertyType DWord -Force | Out-Null }}; \
         foreach ($p in 'HKLM:\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319','HKLM:\\SOFTWARE\\WOW6432Node\\Microsoft\\.NETFramework\\v4.0.30319','HKLM:\\SOFTWARE\\Microsoft\\.NETFramework\\v2.0.50727','HKLM:\\SOFTWARE\\WOW6432Node\\Microsoft\\.NETFramework\\v2.0.50727') {{ \
         if (-not (Test-Path $p)) {{ New-Item -Path $p -Force | Out-Null }}; \
         New-ItemProperty -Path $p -Name SystemDefaultTlsVersions -Value 1 -PropertyType DWord -Force | Out-Null; \
         New-ItemProperty -Path $p -Name SchUseStrongCrypto -Value 1 -PropertyType DWord -Force | Out-Null }} }}"
    )
}

/// Nothing newer than TLS 1.1 is accepted.
pub fn enable_tls12(host: &str, port: u16) -> Step {
    let script = tls12_script(host);
    Step::new(
        Task::ConfigureProtocols,
        host,
        format!(
            "Enable TLS 1.2 on {host} first, before disabling anything: Exchange 2013 needs \
             CU19+, 2016 CU8+, and Exchange 2010 on Windows Server 2008 R2 needs SP3 RU19 or \
             later; then set the SCHANNEL TLS 1.2 keys and, for .NET 4 and 2 (64- and 32-bit), \
             both SystemDefaultTlsVersions and SchUseStrongCrypto to 1: {script}; then restart \
             {host}."
        ),
    )
    .port(port)
    .powershell(&script)
}

/// TLS 1.0 or 1.1 is still accepted next to TLS 1.2.
pub fn disable_legacy_tls(host: &str, port: u16) -> Step {
    Step::new(
        Task::ConfigureProtocols,
        host,
        format!(
            "Once every client speaks TLS 1.2, and with SchUseStrongCrypto and \
             SystemDefaultTlsVersions set for .NET on {host}, disable TLS 1.0 and 1.1 on {host} \
             (SCHANNEL Protocols\\TLS 1.0 and TLS 1.1, Server and Client: Enabled 0, \
             DisabledByDefault 1) and restart it."
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
             System log means the binding points to a deleted certificate); if it is Exchange \
             2010, a Client Access-only or an Edge server, it has no such site: give its role \
             (--role {host}=ClientAccess, or the CSV's ServerRole and AdminDisplayVersion) and \
             this port is skipped."
        ),
        _ if role.is_mail() => format!(
            "If {host} should accept {} on port {port}, check that it is reachable from the \
             scanning host (firewalls often block it between workstations and servers); then \
             scan again.",
            role.as_str().to_ascii_uppercase()
        ),
        _ => format!(
            "Check that {host} is up, that port {port} is reachable from the scanning host, and \
             that the IIS site is bound to a certificate; then scan again."
        ),
    };
    Step::new(Task::CheckEndpoint, host, text).port(port)
}

// ---- Mail ports (SMTP, IMAP, POP) ---------------------------------------

/// The `-Services` value for a mail role.
fn service(role: Role) -> &'static str {
    match role {
        Role::Imap => "IMAP",
        Role::Pop => "POP",
        Role::Smtp | Role::Frontend | Role::Backend => "SMTP",
    }
}

fn enable_service(host: &str, role: Role, thumbprint: &str) -> String {
    format!(
        "Enable-ExchangeCertificate -Server {host} -Thumbprint {thumbprint} -Services {}",
        service(role)
    )
}

/// Enable a certificate that is already there (or imported first) for the
/// port's service.
pub fn enable_transport(host: &str, port: u16, role: Role, thumbprint: &str) -> Step {
    let enable = enable_service(host, role, thumbprint);
    let presented = if role == Role::Smtp {
        format!(
            " Port {port} presents it when the receive connector's TlsCertificateName names it \
             or, without one, when its names cover the connector's FQDN."
        )
    } else {
        String::new()
    };
    Step::new(
        Task::EnableTransport,
        host,
        format!(
            "On {host} enable {thumbprint} for {}: {enable} (import it first with \
             Import-ExchangeCertificate -Server {host} if it is not on this server).{presented}",
            service(role)
        ),
    )
    .port(port)
    .powershell(&enable)
    .thumbprint(thumbprint)
}

/// After a certificate change on SMTP: the connectors that name a
/// certificate (hybrid) must name the new one.
pub fn check_connectors(host: &str, thumbprint: &str) -> Step {
    let name = format!(
        "$c = Get-ExchangeCertificate -Server {host} -Thumbprint {thumbprint}; \
         \"<I>$($c.Issuer)<S>$($c.Subject)\""
    );
    Step::new(
        Task::CheckConnector,
        host,
        format!(
            "Check the connectors that name a certificate: Get-ReceiveConnector -Server {host} | \
             Format-List Identity,Fqdn,TlsCertificateName and Get-SendConnector | Format-List \
             Identity,TlsCertificateName. TlsCertificateName reads <I>issuer<S>subject; if it no \
             longer matches the certificate SMTP should present ({name}), set it with \
             Set-ReceiveConnector <identity> -TlsCertificateName <that value> (Set-SendConnector \
             likewise), or re-run the Hybrid Configuration Wizard: Exchange Online requires the \
             match."
        ),
    )
    .powershell(&name)
    .thumbprint(thumbprint)
}

/// An expired or expiring certificate on a mail port. With `fleet` (a
/// valid public certificate the fleet already uses, other than this one),
/// enabling that one is the fix; otherwise renew: the server's own
/// certificate without IIS, a CA-issued one with the CA.
pub fn renew_transport(
    host: &str,
    port: u16,
    role: Role,
    old: &CertFacts,
    fleet: Option<&str>,
) -> Vec<Step> {
    let connectors = |t: &str| (role == Role::Smtp).then(|| check_connectors(host, t));
    if let Some(public) = fleet.filter(|p| *p != old.sha1 && !old.self_issued) {
        return std::iter::once(enable_transport(host, port, role, public))
            .chain(connectors(public))
            .collect();
    }
    let mut steps = Vec::new();
    if old.self_issued {
        let create = recreate_own(host, old.subject_cn.as_deref(), old.key.bits);
        steps.push(
            Step::new(
                Task::RenewBackend,
                host,
                format!(
                    "Create {host}'s new \"Microsoft Exchange\" certificate without IIS (it \
                     replaces {} for SMTP; the Default Web Site keeps its certificate): {create}. \
                     Note the new thumbprint ({NEW}).",
                    old.sha1
                ),
            )
            .port(port)
            .powershell(&create)
            .thumbprint(&old.sha1),
        );
        if role != Role::Smtp {
            steps.push(enable_transport(host, port, role, NEW));
        }
    } else {
        steps.push(
            Step::new(
                Task::ReplacePublic,
                host,
                format!(
                    "Renew {} with your CA (same names) and import the new certificate on {host} \
                     (Import-ExchangeCertificate -Server {host}).",
                    old.sha1
                ),
            )
            .port(port)
            .thumbprint(&old.sha1),
        );
        steps.push(enable_transport(host, port, role, NEW));
    }
    steps.extend(connectors(NEW));
    steps.push(remove_old(host, &old.sha1));
    steps
}

/// A mail port that offers no STARTTLS, or refuses it. `exchange`: the
/// banner is Exchange's.
pub fn offer_starttls(host: &str, port: u16, role: Role, exchange: bool) -> Step {
    let text = match (role, exchange) {
        (Role::Smtp, true) => format!(
            "Make {host}:{port} offer STARTTLS again: Exchange offers it only with a valid \
             certificate enabled for SMTP whose names cover the receive connector's FQDN (event \
             12014 in the Application log names an FQDN without one). Check Get-ReceiveConnector \
             -Server {host} | Format-List Identity,Bindings,Fqdn,AuthMechanism,TlsCertificateName \
             (AuthMechanism must include Tls), then {}.",
            enable_service(host, role, "<thumbprint>")
        ),
        (Role::Imap | Role::Pop, true) => format!(
            "Make {host}:{port} offer {} again: enable a valid certificate for {} ({}).",
            if role == Role::Pop {
                "STLS"
            } else {
                "STARTTLS"
            },
            service(role),
            enable_service(host, role, "<thumbprint>")
        ),
        _ => format!(
            "The server answering {host}:{port} is not identified as Exchange by its banner: \
             configure a valid certificate for STARTTLS in its own TLS settings, or check that \
             the port is the one meant (a load balancer or mail gateway may answer)."
        ),
    };
    Step::new(Task::OfferStarttls, host, text).port(port)
}

/// The transport side of the renewal trap: this SMTP port presents the
/// server's self-signed certificate where the fleet presents `public`.
pub fn smtp_fleet_cert(host: &str, port: u16, public: &str) -> Vec<Step> {
    vec![
        enable_transport(host, port, Role::Smtp, public),
        check_connectors(host, public),
    ]
}

/// What a verdict asks of the admin, as the heading of a group of servers
/// in the act-now list ("37 servers: renew the backend certificate").
pub fn verdict_action(verdict: crate::model::Verdict) -> &'static str {
    use crate::model::Verdict;
    match verdict {
        Verdict::RenewBackend => "renew the backend certificate",
        Verdict::RebindPublicCert => "bind the public certificate to the Default Web Site again",
        Verdict::RenewPublicCert => "renew the public certificate",
        Verdict::RotateAuthCert => "rotate the Exchange Auth certificate",
        Verdict::FixTransportCert => "fix the certificate on SMTP, IMAP or POP",
        Verdict::FixBackendBinding => "bind the server's own certificate to the Exchange Back End",
        Verdict::Investigate => "find out why an endpoint could not be scanned",
        Verdict::Review => "review the findings",
        Verdict::Ok => "no action needed",
    }
}

// ---- The certificate store (--inventory) -------------------------------

/// Rotate the organisation's Auth certificate, as Microsoft documents it:
/// create it on one server, stage it, publish it, clear the old one. When a
/// next certificate is already staged, only the publishing is left.
pub fn rotate_auth(host: &str, staged: Option<(&str, time::Date)>, hybrid: bool) -> Vec<Step> {
    let mut steps = Vec::new();
    match staged {
        Some((next, date)) => steps.push(
            Step::new(
                Task::RotateAuthCert,
                host,
                format!(
                    "A next Auth certificate {next} is already staged (effective {date}): do not \
                     create another. From that date run Set-AuthConfig -PublishCertificate, \
                     then Set-AuthConfig -ClearPreviousCertificate."
                ),
            )
            .powershell("Set-AuthConfig -PublishCertificate")
            .thumbprint(next),
        ),
        None => {
            let new = "New-ExchangeCertificate -KeySize 2048 -PrivateKeyExportable $true \
                       -SubjectName \"cn=Microsoft Exchange Server Auth Certificate\" \
                       -FriendlyName \"Microsoft Exchange Server Auth Certificate\" -DomainName @()";
            steps.push(
                Step::new(
                    Task::RotateAuthCert,
                    host,
                    format!(
                        "Run MonitorExchangeAuthCertificate.ps1 (CSS-Exchange), or by hand on \
                         {host}: {new}; then Set-AuthConfig -NewCertificateThumbprint <new> \
                         -NewCertificateEffectiveDate (Get-Date)."
                    ),
                )
                .powershell(new),
            );
            steps.push(
                Step::new(
                    Task::RotateAuthCert,
                    host,
                    "Publish it and clear the old one: Set-AuthConfig -PublishCertificate, then \
                     Set-AuthConfig -ClearPreviousCertificate."
                        .to_string(),
                )
                .powershell("Set-AuthConfig -PublishCertificate"),
            );
        }
    }
    if hybrid {
        steps.push(Step::new(
            Task::UpdateHybridConnector,
            host,
            "In hybrid, re-run the Hybrid Configuration Wizard afterwards.".to_string(),
        ));
    }
    steps
}

/// The current Auth certificate is not in this server's store.
pub fn import_auth(host: &str, current: &str) -> Step {
    Step::new(
        Task::ImportAuthCert,
        host,
        format!(
            "Copy the Auth certificate {current} with its private key from a server that holds \
             it (export it there, then Import-ExchangeCertificate on {host}), \
             or rotate the Auth certificate."
        ),
    )
    .thumbprint(current)
}

/// A renewed certificate waits in the store: enable it for the service
/// the port belongs to, do not renew again.
pub fn enable_renewed(host: &str, port: u16, old: &str, new: &str, role: Role) -> Vec<Step> {
    let held =
        format!("{host} already holds the renewed certificate {new}: do not renew {old} again.");
    if role == Role::Backend {
        let bind = format!(
            "(Get-WebBinding -Name 'Exchange Back End' -Protocol https -Port {port}).AddSslCertificate('{new}','My')"
        );
        return vec![
            Step::new(
                Task::EnableRenewed,
                host,
                format!(
                    "{held} Bind it to Exchange Back End https/{port} (IIS Manager, or on the \
                     server: {bind}), keeping All Unassigned."
                ),
            )
            .port(port)
            .powershell(&bind)
            .thumbprint(new),
            iisreset(host),
        ];
    }
    let service = match role {
        Role::Smtp => "SMTP",
        Role::Imap => "IMAP",
        Role::Pop => "POP",
        Role::Frontend | Role::Backend => "IIS",
    };
    let enable =
        format!("Enable-ExchangeCertificate -Server {host} -Thumbprint {new} -Services {service}");
    let note = if role == Role::Smtp {
        " It asks whether to overwrite the default SMTP certificate; a hybrid connector's \
         TlsCertificateName must name the new one if its issuer or subject changed."
    } else {
        ""
    };
    let mut steps = vec![Step::new(
        Task::EnableRenewed,
        host,
        format!("{held} Enable it: {enable}.{note}"),
    )
    .port(port)
    .powershell(&enable)
    .thumbprint(new)];
    if service == "IIS" {
        steps.push(iisreset(host));
    }
    steps
}

/// IIS in the store and what 443 presents disagree.
pub fn check_iis_binding(host: &str, port: u16, intended: Option<&str>) -> Vec<Step> {
    let mut steps = vec![Step::new(
        Task::CheckBinding,
        host,
        format!(
            "Check the Default Web Site https/{port} binding on {host} in IIS Manager against \
             Get-ExchangeCertificate -Server {host} (the certificate enabled for IIS)."
        ),
    )
    .port(port)];
    if let Some(t) = intended {
        let enable =
            format!("Enable-ExchangeCertificate -Server {host} -Thumbprint {t} -Services IIS");
        steps.push(
            Step::new(
                Task::EnablePublic,
                host,
                format!("Enable IIS on the intended certificate: {enable}."),
            )
            .port(port)
            .powershell(&enable)
            .thumbprint(t),
        );
    }
    steps.push(iisreset(host));
    steps
}

/// A hybrid connector's TlsCertificateName names no valid certificate.
pub fn fix_hybrid_connector(host: &str, connector: &str) -> Step {
    Step::new(
        Task::UpdateHybridConnector,
        host,
        format!(
            "Enable a valid CA-issued certificate for SMTP on {host} whose issuer and subject \
             match the TlsCertificateName of \"{connector}\", or update TlsCertificateName \
             (re-run the Hybrid Configuration Wizard)."
        ),
    )
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
        assert!(n
            .first()
            .is_some_and(|s| s.starts_with("1. On EX01 check the IIS")));
        assert!(n
            .get(1)
            .is_some_and(|s| s.starts_with("2. In IIS Manager on EX01")));
        assert!(inline(&steps).contains(" 2. In IIS Manager"));
        assert_eq!(inline(&steps[..1]), steps[0].text);
    }

    #[test]
    fn unknown_thumbprints_are_not_listed() {
        let s = rebind_public("EX01", None);
        assert!(s.text.contains("-Server EX01"));
        assert!(s.text.contains(UNKNOWN_PUBLIC));
        assert!(s.thumbprints.is_empty());
    }
}
