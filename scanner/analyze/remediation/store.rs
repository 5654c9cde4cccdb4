//! Steps from the certificate store (`--inventory`): the organisation's
//! Auth certificate, renewed certificates waiting in a store, IIS and
//! connector settings.

use super::backend::bind_script;
use super::{enable, get_cert, iisreset, shown_thumb, thumb_arg, Step, Task};
use crate::analyze::commands::{shown, Arg, Cmd, Placeholder, Server};
use crate::model::{ExchangeService, Role};

/// CSS-Exchange's script, run from its folder in the Exchange Management
/// Shell; with `-ValidateAndRenewAuthCertificate $true` it renews or
/// stages the next Auth certificate and repairs servers missing it.
fn monitor_script(renew: bool) -> Cmd {
    let c = Cmd::new(".\\MonitorExchangeAuthCertificate.ps1");
    if renew {
        c.arg("ValidateAndRenewAuthCertificate", &Arg::fixed("$true"))
    } else {
        c
    }
}

fn new_auth_cert(at: &Server) -> Cmd {
    Cmd::new("New-ExchangeCertificate")
        .server(at)
        .arg("KeySize", &Arg::number(2048))
        .arg("PrivateKeyExportable", &Arg::fixed("$true"))
        .arg(
            "SubjectName",
            &Arg::fixed("\"cn=Microsoft Exchange Server Auth Certificate\""),
        )
        .arg(
            "FriendlyName",
            &Arg::fixed("\"Microsoft Exchange Server Auth Certificate\""),
        )
        .arg("DomainName", &Arg::fixed("@()"))
}

fn set_next(when: &'static str) -> Cmd {
    Cmd::new("Set-AuthConfig")
        .arg(
            "NewCertificateThumbprint",
            &Arg::placeholder(Placeholder::NewThumbprint),
        )
        .arg("NewCertificateEffectiveDate", &Arg::fixed(when))
}

/// Whether a step belongs to the organisation's one Auth procedure, not
/// to the server it is listed under.
pub fn organisation_wide(task: Task) -> bool {
    matches!(task, Task::RotateAuthCert | Task::RestartServices)
}

/// Restart what caches the Auth certificate, on every server of
/// `servers` (`host` when the list is empty).
pub fn restart_everywhere(host: &str, servers: &[&str]) -> Step {
    let mut names: Vec<&str> = servers.to_vec();
    if names.is_empty() {
        names.push(host);
    }
    let cmd = Cmd::foreach_server(&names, |s| {
        s.run(&[
            Cmd::new("Restart-Service").positional(&Arg::fixed("MSExchangeServiceHost")),
            Cmd::new("Import-Module").positional(&Arg::fixed("WebAdministration")),
            Cmd::new("Restart-WebAppPool").positional(&Arg::fixed("MSExchangeOWAAppPool")),
            Cmd::new("Restart-WebAppPool").positional(&Arg::fixed("MSExchangeECPAppPool")),
        ])
    });
    Step::new(
        Task::RestartServices,
        host,
        "On every Exchange server (Edge excepted), restart the Microsoft Exchange Service Host \
         and recycle the OWA and ECP application pools, so they load the new certificate."
            .to_string(),
    )
    .run(cmd)
}

/// Rotate the organisation's Auth certificate, once for the whole
/// organisation (AuthConfig lives in Active Directory), from `host`, a
/// Mailbox server. `servers`: every Exchange server of the organisation
/// (the restarts run on each).
///
/// - A next certificate already staged: do not create another; once
///   expired, publish it now.
/// - Not expired yet: stage the next one (MonitorExchangeAuthCertificate.ps1,
///   or by hand with an effective date 30 days ahead); the servicelet
///   rolls it over, nothing is published or cleared now.
/// - Expired: create, set as next effective now, publish, clear the
///   previous one, restart on every server.
///
/// Hybrid: re-run the Hybrid Configuration Wizard afterwards.
pub fn rotate_auth(
    host: &str,
    expired: bool,
    staged: Option<(&str, time::Date)>,
    hybrid: bool,
    servers: &[&str],
) -> Vec<Step> {
    let at = Server::new(host);
    let h = at.shown();
    let mut steps = Vec::new();
    let publish = |steps: &mut Vec<Step>| {
        steps.push(
            Step::new(
                Task::RotateAuthCert,
                host,
                "Publish the new Auth certificate to the organisation (Set-AuthConfig has no \
                 -Server: it changes AuthConfig in Active Directory)."
                    .to_string(),
            )
            .run(Cmd::new("Set-AuthConfig").switch("PublishCertificate")),
        );
        steps.push(
            Step::new(
                Task::RotateAuthCert,
                host,
                "Clear the previous Auth certificate from AuthConfig.".to_string(),
            )
            .run(Cmd::new("Set-AuthConfig").switch("ClearPreviousCertificate")),
        );
        steps.push(restart_everywhere(host, servers));
    };
    match (staged, expired) {
        (Some((next, date)), false) => steps.push(
            Step::new(
                Task::RotateAuthCert,
                host,
                format!(
                    "A next Auth certificate {} is already staged (effective {date}): do not \
                     create another. The Exchange servicelet makes it current on that date; \
                     check it then (the command shows Current and Next).",
                    shown_thumb(next, Placeholder::Thumbprint)
                ),
            )
            .run(Cmd::new("Get-AuthConfig"))
            .thumbprint(next),
        ),
        (Some((next, date)), true) => {
            steps.push(
                Step::new(
                    Task::RotateAuthCert,
                    host,
                    format!(
                        "The current Auth certificate has expired and {} is staged (effective \
                         {date}): do not create another; publish the staged one now.",
                        shown_thumb(next, Placeholder::Thumbprint)
                    ),
                )
                .thumbprint(next),
            );
            publish(&mut steps);
        }
        (None, false) => {
            steps.push(
                Step::new(
                    Task::RotateAuthCert,
                    host,
                    format!(
                        "Stage the next Auth certificate before the current one expires, once \
                         for the organisation: run CSS-Exchange's MonitorExchangeAuthCertificate.ps1 \
                         in the Exchange Management Shell on {h}. It creates the certificate and \
                         stages it 30 days ahead; the servicelet rolls it over. Do not publish \
                         or clear anything now. By hand instead: the next two steps."
                    ),
                )
                .run(monitor_script(true)),
            );
            steps.push(
                Step::new(
                    Task::RotateAuthCert,
                    host,
                    format!(
                        "By hand: create the new Auth certificate on {h}. It asks whether to \
                         overwrite the default SMTP certificate: answer N. Note its thumbprint \
                         ({}).",
                        Placeholder::NewThumbprint
                    ),
                )
                .run(new_auth_cert(&at)),
            );
            steps.push(
                Step::new(
                    Task::RotateAuthCert,
                    host,
                    "By hand: stage it as the next Auth certificate, effective in 30 days (at \
                     least 48 hours ahead, so every server has it by then)."
                        .to_string(),
                )
                .run(set_next("((Get-Date).AddDays(30))")),
            );
        }
        (None, true) => {
            steps.push(
                Step::new(
                    Task::RotateAuthCert,
                    host,
                    format!(
                        "The Auth certificate has expired: rotate it once for the organisation, \
                         in the Exchange Management Shell on {h} (CSS-Exchange's \
                         MonitorExchangeAuthCertificate.ps1 -ValidateAndRenewAuthCertificate $true \
                         does the same: a new certificate, active at once). Create the new \
                         certificate; it asks whether to overwrite the default SMTP certificate: \
                         answer N. Note its thumbprint ({}).",
                        Placeholder::NewThumbprint
                    ),
                )
                .run(new_auth_cert(&at)),
            );
            steps.push(
                Step::new(
                    Task::RotateAuthCert,
                    host,
                    "Set it as the next Auth certificate, effective now (answer Y to the \
                     warning that the date is less than 48 hours away)."
                        .to_string(),
                )
                .run(set_next("(Get-Date)")),
            );
            publish(&mut steps);
        }
    }
    if hybrid {
        steps.push(Step::new(
            Task::UpdateHybridConnector,
            host,
            "In hybrid, re-run the Hybrid Configuration Wizard afterwards, so Exchange Online \
             trusts the new Auth certificate."
                .to_string(),
        ));
    }
    steps
}

/// The current Auth certificate is not in this server's store: check the
/// replication first; exporting and importing by hand is the fallback.
pub fn import_auth(host: &str, current: &str) -> Step {
    let h = shown(host);
    Step::new(
        Task::ImportAuthCert,
        host,
        format!(
            "{h} lacks the current Auth certificate {}. Run CSS-Exchange's \
             MonitorExchangeAuthCertificate.ps1 in the Exchange Management Shell first: it \
             checks every server and, with -ValidateAndRenewAuthCertificate $true, copies the \
             certificate where it is missing. Fallback by hand: export it with its private key \
             on a server that holds it (Export-ExchangeCertificate -Server <server> -Thumbprint \
             {t} -BinaryEncoded -Password ...) and import it on {h} (Import-ExchangeCertificate \
             -Server {h} -FileData ... -Password ...).",
            shown_thumb(current, Placeholder::Thumbprint),
            t = shown_thumb(current, Placeholder::Thumbprint),
        ),
    )
    .run(monitor_script(false))
    .thumbprint(current)
}

/// A renewed certificate waits in the store: enable it for the service
/// the port belongs to, do not renew again.
pub fn enable_renewed(host: &str, port: u16, old: &str, new: &str, role: Role) -> Vec<Step> {
    let at = Server::new(host);
    let held = format!(
        "{} already holds the renewed certificate {}: do not renew {} again.",
        at.shown(),
        shown_thumb(new, Placeholder::Thumbprint),
        shown_thumb(old, Placeholder::Thumbprint)
    );
    let t = thumb_arg(new, Placeholder::Thumbprint);
    if role == Role::Backend {
        let t = Arg::thumbprint_string(new, Placeholder::Thumbprint);
        return vec![
            Step::new(
                Task::EnableRenewed,
                host,
                format!(
                    "{held} Bind it to Exchange Back End https/{port} (or in IIS Manager), \
                     removing the binding's current certificate first and keeping All \
                     Unassigned."
                ),
            )
            .port(port)
            .run(bind_script(&at, port, &t))
            .thumbprint(new),
            iisreset(host),
        ];
    }
    let service = match role {
        Role::Smtp => "SMTP",
        Role::Imap => "IMAP",
        Role::Pop => "POP",
        Role::Frontend | Role::Backend => "IIS",
        Role::LoadBalancer | Role::Edgesync | Role::Other => "IIS",
    };
    let note = match role {
        Role::Smtp => {
            " It asks whether to overwrite the default SMTP certificate: answer N. A hybrid \
             connector's TlsCertificateName must name the new one if its issuer or subject \
             changed."
        }
        Role::Frontend => {
            " If the Default Web Site redirects HTTP to HTTPS, add -DoNotRequireSsl: -Services \
             IIS turns Require SSL on."
        }
        _ => "",
    };
    let mut steps = vec![Step::new(
        Task::EnableRenewed,
        host,
        format!("{held} Enable it for {service}.{note}"),
    )
    .port(port)
    .run(enable(&at, &t, service))
    .thumbprint(new)];
    if service == "IIS" {
        steps.push(iisreset(host));
    }
    steps
}

/// IIS in the store and what 443 presents disagree.
pub fn check_iis_binding(host: &str, port: u16, intended: Option<&str>) -> Vec<Step> {
    let at = Server::new(host);
    let h = at.shown();
    let mut steps = vec![Step::new(
        Task::CheckBinding,
        host,
        format!(
            "Check the Default Web Site https/{port} binding on {h} in IIS Manager against the \
             certificate Exchange has enabled for IIS (the command lists them)."
        ),
    )
    .port(port)
    .run(Cmd::new("Get-ExchangeCertificate").server(&at).pipe(
        Cmd::new("Format-List").positional(&Arg::fixed("Thumbprint,Services,NotAfter,Subject")),
    ))];
    if let Some(t) = intended {
        steps.push(
            Step::new(
                Task::EnablePublic,
                host,
                format!(
                    "Enable IIS on the intended certificate {} on {h}. If the Default Web Site \
                     redirects HTTP to HTTPS, add -DoNotRequireSsl.",
                    shown_thumb(t, Placeholder::Thumbprint)
                ),
            )
            .port(port)
            .run(enable(&at, &thumb_arg(t, Placeholder::Thumbprint), "IIS"))
            .thumbprint(t),
        );
    }
    steps.push(iisreset(host));
    steps
}

/// A hybrid connector's TlsCertificateName names no valid certificate.
pub fn fix_hybrid_connector(host: &str, connector: &str) -> Step {
    let at = Server::new(host);
    Step::new(
        Task::UpdateHybridConnector,
        host,
        format!(
            "Enable a valid CA-issued certificate for SMTP on {} whose issuer and subject match \
             the TlsCertificateName of \"{}\" (answer N to the default SMTP certificate prompt), \
             or point TlsCertificateName at the valid one: re-run the Hybrid Configuration \
             Wizard. The command lists the certificates with their issuer and subject.",
            at.shown(),
            shown(connector)
        ),
    )
    .run(
        Cmd::new("Get-ExchangeCertificate").server(&at).pipe(
            Cmd::new("Format-List")
                .positional(&Arg::fixed("Thumbprint,Services,NotAfter,Issuer,Subject")),
        ),
    )
}

/// Exchange's `-Services` value for the services a store certificate
/// serves, from the names Exchange uses; anything else an export says is
/// left out, so no exported text reaches a command. None when none is known.
fn services_value(services: &[ExchangeService]) -> Option<&'static str> {
    use ExchangeService::{Iis, Imap, Pop, Smtp};
    const NAMES: [ExchangeService; 4] = [Imap, Pop, Iis, Smtp];
    // Every combination, in Exchange's order, as a fixed string.
    const VALUES: [&str; 16] = [
        "",
        "IMAP",
        "POP",
        "IMAP,POP",
        "IIS",
        "IMAP,IIS",
        "POP,IIS",
        "IMAP,POP,IIS",
        "SMTP",
        "IMAP,SMTP",
        "POP,SMTP",
        "IMAP,POP,SMTP",
        "IIS,SMTP",
        "IMAP,IIS,SMTP",
        "POP,IIS,SMTP",
        "IMAP,POP,IIS,SMTP",
    ];
    let mask = NAMES
        .iter()
        .enumerate()
        .filter(|(_, n)| services.contains(n))
        .fold(0usize, |m, (i, _)| m | (1 << i));
    VALUES.get(mask).copied().filter(|v| !v.is_empty())
}

/// What enabling a certificate for `value` asks or changes, for the prose.
fn services_note(services: &[ExchangeService]) -> &'static str {
    match (
        services.contains(&ExchangeService::Smtp),
        services.contains(&ExchangeService::Iis),
    ) {
        (true, true) => {
            " It asks whether to overwrite the default SMTP certificate: answer N unless the old \
             one was the default. If the Default Web Site redirects HTTP to HTTPS, add \
             -DoNotRequireSsl: -Services IIS turns Require SSL on."
        }
        (true, false) => {
            " It asks whether to overwrite the default SMTP certificate: answer N unless the old \
             one was the default."
        }
        (false, true) => {
            " If the Default Web Site redirects HTTP to HTTPS, add -DoNotRequireSsl: -Services \
             IIS turns Require SSL on."
        }
        (false, false) => "",
    }
}

/// A certificate in use in the store must be replaced (expired, expiring,
/// weak): renew it and enable the new one for what the old one served.
/// `own`: the server's self-signed "Microsoft Exchange" certificate, with
/// its CN and key size when known; it is re-created without IIS, as
/// [`renew_backend`](super::renew_backend) does, and bound to the Exchange
/// Back End site (444: a store export does not say another port) when it
/// served IIS.
pub fn replace_store_cert(
    host: &str,
    old: &str,
    services: &[ExchangeService],
    own: Option<(Option<&str>, u32)>,
) -> Vec<Step> {
    let at = Server::new(host);
    let h = at.shown();
    let value = services_value(services);
    if let Some((cn, bits)) = own {
        let mut steps = vec![Step::new(
            Task::RenewBackend,
            host,
            format!(
                "Create {h}'s new \"Microsoft Exchange\" certificate without IIS, so the Default \
                 Web Site keeps its public certificate. {} Note the new thumbprint ({}); it \
                 replaces {}.",
                super::backend::FORCE_NOTE,
                Placeholder::NewThumbprint,
                shown_thumb(old, Placeholder::Thumbprint)
            ),
        )
        .run(super::backend::recreate_own(&at, cn, bits))
        .thumbprint(old)];
        if services.contains(&ExchangeService::Iis) {
            steps.push(super::backend::trust_copy(
                host,
                Placeholder::NewThumbprint.as_str(),
            ));
            steps.push(super::backend::bind_backend(
                host,
                444,
                "",
                Placeholder::NewThumbprint,
            ));
            steps.push(iisreset(host));
        }
        steps.push(super::remove_old(host, old));
        return steps;
    }
    let mut steps = vec![import_pfx_for(&at, old)];
    if let Some(v) = value {
        steps.push(
            Step::new(
                Task::EnableRenewed,
                host,
                format!(
                    "Enable the new certificate on {h} for {v}, what {} served.{}",
                    shown_thumb(old, Placeholder::Thumbprint),
                    services_note(services)
                ),
            )
            .run(enable(&at, &thumb_arg("", Placeholder::NewThumbprint), v)),
        );
        if services.contains(&ExchangeService::Iis) {
            steps.push(iisreset(host));
        }
    }
    steps.push(super::remove_old(host, old));
    steps
}

/// Ask the CA for the replacement of `old` and import it.
fn import_pfx_for(at: &Server, old: &str) -> Step {
    let mut step = super::import_pfx(
        at,
        &format!(
            "the replacement of {} (request it from your CA with the same names)",
            shown_thumb(old, Placeholder::Thumbprint)
        ),
    );
    step.task = Task::ReplacePublic;
    step.thumbprint(old)
}

/// The store's Status of a certificate in use is not Valid: check it.
/// `status` is the export's word, shown in the prose only.
pub fn check_store_status(host: &str, thumbprint: &str, status: &str) -> Step {
    let at = Server::new(host);
    let status: String = status
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(40)
        .collect();
    Step::new(
        Task::CheckBinding,
        host,
        format!(
            "Find out why Exchange reports the certificate {} as {status} on {} (the command \
             shows its Status, issuer, expiry and services). Replace it if the status holds \
             (revoked, untrusted, or its chain or revocation list cannot be reached).",
            shown_thumb(thumbprint, Placeholder::Thumbprint),
            at.shown()
        ),
    )
    .run(
        get_cert(&at, &thumb_arg(thumbprint, Placeholder::Thumbprint)).pipe(
            Cmd::new("Format-List").positional(&Arg::fixed("Status,Issuer,NotAfter,Services")),
        ),
    )
    .thumbprint(thumbprint)
}

/// A public certificate in use expires while its renewal waits in the
/// store, enabled for nothing yet: enable the renewal for the same
/// services, restart IIS when IIS moves, remove the old one last.
pub fn enable_waiting_renewal(
    host: &str,
    old: &str,
    new: &str,
    services: &[ExchangeService],
) -> Vec<Step> {
    let at = Server::new(host);
    let Some(value) = services_value(services) else {
        return vec![super::remove_old(host, old)];
    };
    let mut steps = vec![Step::new(
        Task::EnableRenewed,
        host,
        format!(
            "{} already holds the renewed certificate {}: do not renew {} again. Enable it for \
             {value}.{}",
            at.shown(),
            shown_thumb(new, Placeholder::Thumbprint),
            shown_thumb(old, Placeholder::Thumbprint),
            services_note(services)
        ),
    )
    .run(enable(&at, &thumb_arg(new, Placeholder::Thumbprint), value))
    .thumbprint(new)];
    if services.contains(&ExchangeService::Iis) {
        steps.push(iisreset(host));
    }
    steps.push(super::remove_old(host, old));
    steps
}
