//! The words people read for ids that scan.json and the CSVs keep as ids:
//! verdicts, remediation tasks and counted nouns. One place, so the page,
//! the terminal and the CSV's `action` column say the same thing, and a
//! verdict id never shows as text in report.html.

use crate::model::{Role, Task, Verdict};

/// A verdict as a heading: `Renew the back-end certificate`.
pub fn verdict_label(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::RenewBackend => "Renew the back-end certificate",
        Verdict::RebindPublicCert => "Bind the public certificate again",
        Verdict::RenewPublicCert => "Renew the public certificate",
        Verdict::RotateAuthCert => "Rotate the Exchange Auth certificate",
        Verdict::FixTransportCert => "Fix the SMTP, IMAP, POP or EdgeSync certificate",
        Verdict::FixBackendBinding => "Fix the back-end binding",
        Verdict::Investigate => "Find out why a port did not answer",
        Verdict::Review => "Look into the warnings",
        Verdict::Ok => "Healthy",
        Verdict::FixLoadBalancerCert => "Put the certificate on the load balancer",
    }
}

/// The work a task stands for, in a few words; `None` for the tasks that
/// come with every fix (scan again, iisreset, repeat elsewhere, clean up),
/// so they do not split groups or lengthen headlines.
pub fn task_label(task: Task) -> Option<&'static str> {
    Some(match task {
        Task::RenewBackend => "renew the back-end certificate",
        Task::RenewEdgeCertificate => "make a new Edge certificate",
        Task::TrustCertificate | Task::BindBackend | Task::FindOwnCertificate => {
            "fix the back-end binding"
        }
        Task::EnablePublic => "bind the public certificate again",
        // Also the step of EdgeSync and `--tls-port` ports, whose
        // certificate may be self-signed: no "public" here.
        Task::ReplacePublic => "get a new certificate",
        Task::ImportIntermediate => "fix the chain",
        Task::BindValidCertificate => "bind a valid certificate",
        Task::CheckBinding => "check the IIS bindings",
        Task::ConfigureProtocols => "change the TLS versions",
        Task::CheckEndpoint => "find out why a port did not answer",
        Task::RecreateEdgeSubscription => "re-create the Edge Subscription",
        Task::RotateAuthCert => "rotate the Auth certificate",
        Task::ImportAuthCert => "copy the Auth certificate",
        Task::EnableRenewed => "enable the renewed certificate",
        Task::UpdateHybridConnector => "fix the hybrid connector",
        Task::EnableTransport => "enable a certificate for SMTP, IMAP or POP",
        Task::OfferStarttls => "offer STARTTLS again",
        Task::ImportCertificate => "import the certificate from its .pfx",
        Task::CheckConnector => "check the connectors",
        Task::PlanUpgrade => "plan the move to a supported version",
        Task::ConfigureLoadBalancer => "put the certificate on the load balancer",
        Task::DisableTls13 => "turn TLS 1.3 off",
        Task::Iisreset
        | Task::RepeatOnOtherServers
        | Task::Verify
        | Task::RemoveOldCertificate
        | Task::RestartServices => return None,
    })
}

/// Any task in words, the incidental ones included.
pub fn task_words(task: Task) -> &'static str {
    task_label(task).unwrap_or(match task {
        Task::Iisreset => "run iisreset at a safe time",
        Task::RepeatOnOtherServers => "do the same on the other servers",
        Task::Verify => "scan again to check",
        Task::RemoveOldCertificate => "remove the replaced certificate",
        Task::RestartServices => "restart the services",
        _ => "",
    })
}

/// `1 finding`, `2 findings`; `noun` is the singular, plural adds `s`.
pub fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// The first letter upper-cased.
pub fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// An Exchange server role as the page shows it: Exchange's own words
/// (`Mailbox, ClientAccess`), and "Load balancer" for a VIP.
pub fn server_role(role: &str) -> &str {
    if role == Role::LoadBalancer.as_str() {
        "Load balancer"
    } else {
        role
    }
}

/// A port role as the filters offer it.
pub fn port_role(role: Role) -> &'static str {
    match role {
        Role::LoadBalancer => "load balancer",
        Role::Edgesync => "EdgeSync",
        Role::Other => "other TLS port",
        other => other.as_str(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_say_one_without_s() {
        assert_eq!(count(1, "finding"), "1 finding");
        assert_eq!(count(0, "finding"), "0 findings");
        assert_eq!(count(217, "server"), "217 servers");
    }

    #[test]
    fn labels_never_show_the_id() {
        for v in [
            Verdict::RenewBackend,
            Verdict::RebindPublicCert,
            Verdict::RenewPublicCert,
            Verdict::RotateAuthCert,
            Verdict::FixTransportCert,
            Verdict::FixBackendBinding,
            Verdict::Investigate,
            Verdict::Review,
            Verdict::Ok,
            Verdict::FixLoadBalancerCert,
        ] {
            let words = verdict_label(v).to_lowercase();
            assert!(!words.contains(v.as_str()), "{}", v.as_str());
            assert!(
                !words.contains(&v.as_str().replace('-', " ")),
                "{}",
                v.as_str()
            );
        }
    }
}
