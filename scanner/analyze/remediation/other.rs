//! Steps for either site and for the scan itself: protocols, endpoints
//! that could not be scanned, Edge subscriptions, verification.

use super::{shown_thumb, Step, Task};
use crate::analyze::commands::{quoted, shown, Arg, Cmd, Placeholder, Server};
use crate::model::{Role, Status};

/// The same steps, each saying which endpoint it is about (`EX01:444: ...`).
pub fn at_endpoint(host: &str, port: u16, steps: &[Step]) -> Vec<Step> {
    let at = format!("{}:{port}: ", shown(host));
    steps
        .iter()
        .map(|s| {
            let mut s = s.clone();
            s.set_text(format!("{at}{}", s.text()));
            s
        })
        .collect()
}

/// Where an Edge subscription file is written and read.
const EDGE_FILE: &str = "'C:\\EdgeSubscription.xml'";

/// After a certificate change on an Edge Transport server, Microsoft's
/// full subscription procedure: a new subscription file on the Edge
/// server, then on a Mailbox server of the subscribed site remove the old
/// subscription, subscribe again and synchronise.
pub fn edge_subscription(host: &str, site: Option<&str>) -> Vec<Step> {
    let edge = Server::edge(host);
    let h = edge.shown();
    let site_arg = site.map_or(Arg::placeholder(Placeholder::Site), |s| {
        Arg::text(s, Placeholder::Site)
    });
    let site_shown = site.map_or(Placeholder::Site.as_str().to_string(), shown);
    vec![
        Step::new(
            Task::RecreateEdgeSubscription,
            host,
            format!(
                "{h} is an Edge Transport server: after its certificate changed, subscribe it \
                 again. First, in the Exchange Management Shell on {h} itself (a local \
                 administrator; Edge is not in Active Directory, so no -Server), export a new \
                 subscription file, and copy it to a Mailbox server of site {site_shown} within \
                 24 hours (it expires)."
            ),
        )
        .run(Cmd::new("New-EdgeSubscription").arg("FileName", &Arg::fixed(EDGE_FILE))),
        Step::new(
            Task::RecreateEdgeSubscription,
            host,
            format!(
                "On that Mailbox server, remove the old subscription of {h} (answer Y to the \
                 confirmation)."
            ),
        )
        .run(Cmd::new("Remove-EdgeSubscription").arg("Identity", edge.arg())),
        Step::new(
            Task::RecreateEdgeSubscription,
            host,
            format!("On the same Mailbox server, subscribe {h} again for site {site_shown}."),
        )
        .run(
            Cmd::new("New-EdgeSubscription")
                .arg("FileData", &Arg::file_bytes_of(EDGE_FILE))
                .arg("Site", &site_arg),
        ),
        Step::new(
            Task::RecreateEdgeSubscription,
            host,
            "Then start EdgeSync on the same Mailbox server, and delete the subscription file \
             (it holds credentials)."
                .to_string(),
        )
        .run(Cmd::new("Start-EdgeSynchronization")),
    ]
}

/// The last step: scan again with the same options.
pub fn verify(host: &str, command: &str) -> Step {
    let text = if command.starts_with("excert scan --targets-file ") {
        format!(
            "Verify: once the steps above are done, scan the targets file {} came from again \
             with this scan's options: its TLS versions are judged against its Exchange build \
             and the other servers of its site, which the file gives.",
            shown(host)
        )
    } else {
        format!(
            "Verify: excert scan {} again with this scan's options, once the steps above are \
             done.",
            shown(host)
        )
    };
    Step::new(Task::Verify, host, text).run(Cmd::verbatim_excert(command))
}

/// The targets file to scan again instead of the server alone, when the
/// server's TLS versions were judged against its build (the CSV's
/// `AdminDisplayVersion`) or against its peers: a scan of the one name
/// knows neither, so it could never show those findings again. `None`
/// when no such finding fired, or the server was not read from a file
/// (`args`, stdin `-`, or a `--load-balancer` flag).
fn fleet_file<'a>(endpoints: &[&'a crate::model::EndpointReport]) -> Option<&'a str> {
    use crate::model::FindingId;
    let needs_fleet = endpoints.iter().flat_map(|e| &e.findings).any(|f| {
        matches!(
            f.id,
            FindingId::Tls13Unsupported | FindingId::TlsVersionsInconsistent
        )
    });
    if !needs_fleet {
        return None;
    }
    endpoints
        .iter()
        .find_map(|e| e.endpoint.source.as_ref())
        .map(|s| s.file.as_str())
        .filter(|f| !matches!(*f, "args" | "-" | "--load-balancer"))
}

/// `excert scan HOST` with the options this scan used for it: its ports,
/// trust roots, namespaces, role and site; `excert scan --targets-file
/// FILE` instead when its TLS versions need the fleet's file to be judged
/// (`fleet_file`). Every value is a plain word or single-quoted, so the
/// line is safe in PowerShell and POSIX shells.
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
    let mut cmd = match fleet_file(endpoints) {
        Some(file) => format!("excert scan --targets-file {}", word(file)),
        None => format!("excert scan {}", word(host)),
    };
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
    let edgesync = ports(Role::Edgesync);
    if !edgesync.is_empty() && edgesync != "50636" {
        cmd.push_str(&format!(" --edgesync-ports {edgesync}"));
    }
    let mut tls_ports: Vec<String> = Vec::new();
    for e in endpoints.iter().filter(|e| e.endpoint.role == Role::Other) {
        let label = e.endpoint.label.as_deref().unwrap_or("other");
        let given = word(&format!("{label}:{}", e.endpoint.port));
        if !tls_ports.contains(&given) {
            tls_ports.push(given);
        }
    }
    for t in tls_ports {
        cmd.push_str(&format!(" --tls-port {t}"));
    }
    for b in &settings.ca_bundles {
        cmd.push_str(&format!(" --ca-bundle {}", word(b)));
    }
    for n in &settings.namespaces {
        cmd.push_str(&format!(" --namespace {}", word(n)));
    }
    let group = endpoints
        .iter()
        .map(|e| &e.endpoint.group)
        .find(|g| !g.is_empty());
    if let Some(site) = group.and_then(|g| g.site.as_deref()) {
        for (s, names) in &settings.site_namespaces {
            if s.eq_ignore_ascii_case(site) {
                for n in names {
                    cmd.push_str(&format!(" --namespace {}", word(&format!("{s}:{n}"))));
                }
            }
        }
        cmd.push_str(&format!(" --site {}", word(&format!("{host}={site}"))));
    }
    if let Some(role) = group.and_then(|g| g.server_role.as_deref()) {
        cmd.push_str(&format!(" --role {}", word(&format!("{host}={role}"))));
    }
    cmd
}

/// A shell word: as it is when plain (and not read as a number or an
/// operator), else single-quoted; a value with control characters
/// becomes `'<value>'`.
pub(super) fn word(text: &str) -> String {
    let plain = text.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._:/=".contains(c));
    if plain {
        text.to_string()
    } else {
        quoted(text).unwrap_or_else(|| "'<value>'".to_string())
    }
}

/// The leaf's issuer is not presented.
pub fn import_intermediate(host: &str, port: u16, issuer: &str) -> Step {
    let h = shown(host);
    Step::new(
        Task::ImportIntermediate,
        host,
        format!(
            "On {h} import the intermediate certificate of \"{}\" into Intermediate \
             Certification Authorities (certlm.msc, Local Computer) and run iisreset on {h} at \
             a safe time.",
            shown(issuer)
        ),
    )
    .port(port)
}

/// The certificate is not valid yet.
pub fn bind_valid_now(host: &str, port: u16, cert: &str, valid_from: time::Date) -> Step {
    Step::new(
        Task::BindValidCertificate,
        host,
        format!(
            "Check the clock on {}; bind a certificate that is valid now instead of {} until \
             {valid_from}.",
            shown(host),
            shown_thumb(cert, Placeholder::Thumbprint)
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
            "On {} check the IIS binding of the site on port {port} (IIS Manager, certlm.msc) \
             and bind a valid certificate.",
            shown(host)
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
            "In IIS Manager on {} check the bindings of the site on port {port}: an SNI \
             binding next to an All Unassigned binding with another certificate. Bind the same \
             certificate to both unless the difference is intended.",
            shown(host)
        ),
    )
    .port(port)
}

/// The registry settings TLS 1.2 needs: SCHANNEL TLS 1.2 for server and
/// client, and for .NET 4 and 2, 64- and 32-bit, both
/// `SystemDefaultTlsVersions` and `SchUseStrongCrypto` (HealthChecker
/// checks all of them). Keys are created only when missing: `New-Item
/// -Force` on an existing registry key would empty it.
const TLS12_SCRIPT: &str = concat!(
    "foreach ($side in 'Server','Client') { ",
    "$p = \"HKLM:\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.2\\$side\"; ",
    "if (-not (Test-Path $p)) { New-Item -Path $p -Force | Out-Null }; ",
    "New-ItemProperty -Path $p -Name Enabled -Value 1 -PropertyType DWord -Force | Out-Null; ",
    "New-ItemProperty -Path $p -Name DisabledByDefault -Value 0 -PropertyType DWord -Force | Out-Null }; ",
    "foreach ($p in 'HKLM:\\SOFTWARE\\Microsoft\\.NETFramework\\v4.0.30319','HKLM:\\SOFTWARE\\WOW6432Node\\Microsoft\\.NETFramework\\v4.0.30319','HKLM:\\SOFTWARE\\Microsoft\\.NETFramework\\v2.0.50727','HKLM:\\SOFTWARE\\WOW6432Node\\Microsoft\\.NETFramework\\v2.0.50727') { ",
    "if (-not (Test-Path $p)) { New-Item -Path $p -Force | Out-Null }; ",
    "New-ItemProperty -Path $p -Name SystemDefaultTlsVersions -Value 1 -PropertyType DWord -Force | Out-Null; ",
    "New-ItemProperty -Path $p -Name SchUseStrongCrypto -Value 1 -PropertyType DWord -Force | Out-Null }"
);

/// Nothing newer than TLS 1.1 is accepted.
pub fn enable_tls12(host: &str, port: u16) -> Step {
    let at = Server::new(host);
    let h = at.shown();
    Step::new(
        Task::ConfigureProtocols,
        host,
        format!(
            "Enable TLS 1.2 on {h} first, before disabling anything: Exchange 2013 needs \
             CU19+, 2016 CU8+, and Exchange 2010 on Windows Server 2008 R2 needs SP3 RU19 or \
             later. The command sets the SCHANNEL TLS 1.2 keys and, for .NET 4 and 2 (64- and \
             32-bit), both SystemDefaultTlsVersions and SchUseStrongCrypto to 1; then restart \
             {h}."
        ),
    )
    .port(port)
    .run(at.run(&[Cmd::fixed(TLS12_SCRIPT)]))
}

/// TLS 1.0 or 1.1 is still accepted next to TLS 1.2.
pub fn disable_legacy_tls(host: &str, port: u16) -> Step {
    let h = shown(host);
    Step::new(
        Task::ConfigureProtocols,
        host,
        format!(
            "Once every client speaks TLS 1.2, and with SchUseStrongCrypto and \
             SystemDefaultTlsVersions set for .NET on {h}, disable TLS 1.0 and 1.1 on {h} \
             (SCHANNEL Protocols\\TLS 1.0 and TLS 1.1, Server and Client: Enabled 0, \
             DisabledByDefault 1) and restart it."
        ),
    )
    .port(port)
}

/// An endpoint could not be scanned: what to check, by what happened.
pub fn check_endpoint(host: &str, port: u16, role: Role, status: Status) -> Step {
    let host_shown = shown(host);
    let h = host_shown.as_str();
    let text = match status {
        Status::DnsFailed => format!(
            "Check that {h} resolves from the scanning host (or pin it with --resolve), then \
             scan again."
        ),
        Status::Refused if role == Role::Backend => format!(
            "If {h} is an Exchange 2013+ Mailbox server, check that the Exchange Back End \
             site is started and bound to https *:{port} in IIS Manager (HttpEvent 15021 in the \
             System log means the binding points to a deleted certificate); if it is Exchange \
             2010, a Client Access-only or an Edge server, it has no such site: give its role \
             (--role {h}=ClientAccess, or the CSV's ServerRole and AdminDisplayVersion) and \
             this port is skipped."
        ),
        // It answered: a firewall is not the cause. A 554 greeting, an
        // over-long reply or another protocol means the service itself
        // (or a device in front of it) refused the dialogue.
        Status::NotTls | Status::HandshakeFailed if role.is_mail() => format!(
            "{h}:{port} answered but did not complete the {} dialogue (for example a 554 \
             greeting, a reply over 64 lines, or another protocol): check what listens there \
             (a mail gateway or load balancer in front of Exchange, or a receive connector \
             refusing the scanning host's address) and the Application log on {h}; then scan \
             again.",
            role.as_str().to_ascii_uppercase()
        ),
        _ if role.is_mail() => format!(
            "If {h} should accept {} on port {port}, check that it is reachable from the \
             scanning host (firewalls often block it between workstations and servers); then \
             scan again.",
            role.as_str().to_ascii_uppercase()
        ),
        Status::Refused | Status::Timeout | Status::Unreachable if role == Role::Edgesync => {
            format!(
                "If {h} is a subscribed Edge Transport server, check that EdgeSync LDAPS (port \
                 {port}, the AD LDS instance) answers from the scanning host: perimeter \
                 firewalls usually open it only from the Mailbox servers, so scan from one of \
                 them (or give --edgesync-ports none to leave it out); then scan again."
            )
        }
        _ if role == Role::Edgesync => format!(
            "{h}:{port} answered but gave no readable certificate on EdgeSync LDAPS: check that \
             the Microsoft Exchange ADAM (AD LDS) service runs on {h} and what listens on port \
             {port}; then scan again."
        ),
        Status::Refused | Status::Timeout | Status::Unreachable if role == Role::Other => {
            format!(
                "If {h} should run a TLS service on port {port}, check that it is started and \
                 reachable from the scanning host; a server without that service refuses the \
                 port, which needs no action. Then scan again."
            )
        }
        _ if role == Role::Other => format!(
            "{h}:{port} answered but gave no readable certificate: check which service listens \
             on port {port} and its certificate binding; then scan again."
        ),
        _ => format!(
            "Check that {h} is up, that port {port} is reachable from the scanning host, and \
             that the IIS site is bound to a certificate; then scan again."
        ),
    };
    Step::new(Task::CheckEndpoint, host, text).port(port)
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
        Verdict::FixTransportCert => "fix the certificate on SMTP, IMAP, POP or EdgeSync",
        Verdict::FixBackendBinding => "bind the server's own certificate to the Exchange Back End",
        Verdict::Investigate => "find out why an endpoint could not be scanned",
        Verdict::Review => "review the findings",
        Verdict::Ok => "no action needed",
        Verdict::FixLoadBalancerCert => "put the right certificate on the load balancer",
    }
}
