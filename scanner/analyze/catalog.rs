//! The one finding catalogue: every id excert can report, with its default
//! severity and the text an Exchange admin reads.
//!
//! The ids themselves are [`FindingId`] (in `model`, since scan.json carries
//! them); [`entry`] gives each one its text from a table in id order whose
//! length and order are checked at compile time, so an id without an entry
//! does not compile. The per-endpoint rules and the fleet checks build their
//! findings from it, and the HTML report renders [`all`] as its appendix, so
//! a rule and its explanation can never drift apart. Ids are a public contract (scan.json, CSV,
//! monitoring): add, never rename.

use std::borrow::Cow;

use crate::model::{Finding, FindingId, Severity, Step};

/// One kind of finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// The id this entry explains.
    pub id: FindingId,
    /// The usual severity. Some rules escalate (expiring within
    /// `--critical-days` becomes critical) or soften (SHA-1 on a self-signed
    /// leaf is only info); the finding carries the severity that applied.
    pub severity: Severity,
    /// Short title, used as the finding title.
    pub title: &'static str,
    /// Why it matters, in the admin's words.
    pub why: &'static str,
    /// What to do, in general terms (findings carry the concrete steps).
    pub fix: &'static str,
}

/// Every entry, in [`FindingId`] order: entry `i` explains the id whose
/// discriminant is `i`, which the check below holds at compile time.
const CATALOGUE: &[Rule] = &[
    Rule {
        id: FindingId::BackendCertExpired,
        severity: Severity::Critical,
        title: "Backend (444) certificate expired",
        why: "The Exchange Back End site presents an expired certificate. Front-end-to-back-end \
              proxying (OWA, ECP, EWS, ActiveSync) and remote PowerShell fail, the event log names \
              https://<server>:444/, and the next CU setup fails with \"The certificate is expired\".",
        fix: "Re-enable IIS on the public certificate first if 443 lost it; re-create the \
              server's \"Microsoft Exchange\" certificate without IIS, copy it to Trusted Root, bind \
              it to Exchange Back End https on the scanned port (All Unassigned, removing the old \
              certificate from the binding first), then iisreset at a safe time and remove the old \
              certificate last.",
    },
    Rule {
        id: FindingId::BackendCertExpiring,
        severity: Severity::Warning,
        title: "Backend (444) certificate expiring",
        why: "When the Exchange Back End certificate expires, proxying to this server and remote \
              PowerShell stop working. It is critical within --critical-days.",
        fix: "Renew it before it expires, the same way as an expired one, and plan the iisreset.",
    },
    Rule {
        id: FindingId::FrontendCertExpired,
        severity: Severity::Critical,
        title: "Frontend (443) certificate expired",
        why: "Browsers, Outlook and mobile devices reject the Default Web Site certificate; \
              Autodiscover and ActiveSync fail, and hybrid needs a valid CA-issued certificate on IIS.",
        fix: "Renew the public certificate with your CA, import it on every server and enable IIS on it.",
    },
    Rule {
        id: FindingId::FrontendCertExpiring,
        severity: Severity::Warning,
        title: "Frontend (443) certificate expiring",
        why: "The public certificate on the Default Web Site expires soon; every client will then \
              show certificate errors. It is critical within --critical-days.",
        fix: "Renew the public certificate with your CA, import it on every server and enable IIS on it.",
    },
    Rule {
        id: FindingId::PublicBindingLost,
        severity: Severity::Critical,
        title: "443 lost its public certificate binding",
        why: "The Default Web Site presents a self-signed certificate. This is the renewal trap: \
              renewing the self-signed certificate gives the new one the IIS service, so 443 moves \
              to it. Browsers and Outlook show certificate warnings, ActiveSync and Autodiscover \
              fail for new profiles, and hybrid mailbox moves, free/busy and MailTips fail.",
        fix: "Re-enable IIS on the public certificate: Enable-ExchangeCertificate -Server \
              <server> -Thumbprint <public> -Services IIS, then iisreset at a safe time.",
    },
    Rule {
        id: FindingId::NotYetValid,
        severity: Severity::Critical,
        title: "Certificate not yet valid",
        why: "The presented certificate's not-before date is in the future, so every client \
              rejects it. Usually a certificate bound too early or a wrong server clock.",
        fix: "Bind a currently valid certificate and check the server's clock.",
    },
    Rule {
        id: FindingId::FrontendCertUntrusted,
        severity: Severity::Warning,
        title: "Frontend (443) certificate not trusted",
        why: "The 443 chain does not validate against the public roots, the OS store or the given \
              --ca-bundle files, for a reason other than expiry (unknown issuer, a CA certificate \
              used as the leaf, a bad signature). Clients that do not trust it show warnings.",
        fix: "Bind a certificate from a CA your clients trust, or pass your enterprise root with \
              --ca-bundle if it is trusted internally.",
    },
    Rule {
        id: FindingId::ChainIncomplete,
        severity: Severity::Warning,
        title: "Certificate chain incomplete",
        why: "The leaf's issuer is neither presented by the server nor a known root, so an \
              intermediate certificate is missing. Windows clients may fetch it; phones, Linux \
              and many appliances fail.",
        fix: "Install the issuing CA's intermediate certificate in the server's Intermediate \
              Certification Authorities store (Local Computer) and run iisreset at a safe time.",
    },
    Rule {
        id: FindingId::NameMismatch,
        severity: Severity::Warning,
        title: "Certificate does not cover a client namespace",
        why: "The 443 certificate does not cover a name clients use (RFC 6125 rules: a wildcard \
              covers exactly one leftmost label). Clients connecting by that name get a certificate \
              warning. On a --tls-port port, the name is the one the port was scanned by.",
        fix: "Reissue the public certificate with every namespace (mail, autodiscover, ...) in its \
              SAN and enable IIS on it.",
    },
    Rule {
        id: FindingId::WeakSignature,
        severity: Severity::Warning,
        title: "Weak signature algorithm (SHA-1 or MD5)",
        why: "A CA-issued certificate in the presented chain is signed with SHA-1 or MD5, which \
              current clients reject. On a self-signed certificate the signature protects nothing, \
              so it is at most info, and setup-made SHA-1 Exchange certificates are not flagged.",
        fix: "Reissue the certificate signed with SHA-256.",
    },
    Rule {
        id: FindingId::WeakKey,
        severity: Severity::Warning,
        title: "Weak key (RSA under 2048 or EC under 256 bits)",
        why: "Keys this short are rejected by current clients and graded red by HealthChecker.",
        fix: "Request a new certificate with an RSA 2048-bit (or larger) or P-256 key.",
    },
    Rule {
        id: FindingId::BackendUnexpectedCert,
        severity: Severity::Warning,
        title: "Backend (444) presents an unexpected certificate",
        why: "Exchange Back End should present the server's own \"Microsoft Exchange\" self-signed \
              certificate. A WMSvc or Auth certificate, another server's certificate, or the \
              public certificate (which works, but breaks when that certificate is renewed) is a \
              wrong binding.",
        fix: "In IIS Manager bind the server's own \"Microsoft Exchange\" certificate to Exchange \
              Back End https/444, keeping All Unassigned (*:444).",
    },
    Rule {
        id: FindingId::PublicCertInconsistent,
        severity: Severity::Info,
        title: "Public certificate differs from the rest of the fleet",
        why: "A newer valid CA-issued certificate for the same names is already on other servers \
              of this site: a rollout in progress. Info only while this server's certificate is \
              valid; when it expires, its expiry finding asks for the newer one.",
        fix: "Roll the newest certificate out to this server: Enable-ExchangeCertificate -Server \
              <server> -Thumbprint <newest> -Services IIS (import it first if needed).",
    },
    Rule {
        id: FindingId::LegacyTlsOnly,
        severity: Severity::Warning,
        title: "Only TLS 1.0/1.1 accepted",
        why: "The best protocol this endpoint accepts is older than TLS 1.2. Exchange Online \
              hybrid mail flow and modern clients require TLS 1.2.",
        fix: "Enable TLS 1.2 (Exchange 2013 CU19+ or 2016 CU8+, and the Windows/.NET TLS 1.2 \
              registry settings), then restart the server.",
    },
    Rule {
        id: FindingId::LegacyProtocolsEnabled,
        severity: Severity::Info,
        title: "TLS 1.0/1.1 still enabled",
        why: "TLS 1.0 or 1.1 is still accepted next to TLS 1.2 or later. HealthChecker flags this too.",
        fix: "Disable TLS 1.0 and 1.1 once every client speaks TLS 1.2.",
    },
    Rule {
        id: FindingId::SniDependentCert,
        severity: Severity::Info,
        title: "Different certificate without SNI",
        why: "IIS presents one chain when the client sends the server name (SNI) and another \
              without it. Old clients and probes by IP address get the second one.",
        fix: "Check the IIS bindings of the site: an SNI binding next to an All Unassigned binding \
              with a different certificate.",
    },
    Rule {
        id: FindingId::EndpointNotScanned,
        severity: Severity::Warning,
        title: "Endpoint could not be scanned",
        why: "No certificate could be read from this endpoint, so it cannot be counted healthy. \
              A refused 444 may simply mean Exchange 2010 or a CAS-only 2013 server, which have no \
              Exchange Back End site.",
        fix: "Check that the server is up, the port is open from the scanning host, and the site \
              is bound; then scan again. A mail port that answered but broke its protocol (a 554 \
              greeting, an over-long reply) is not a firewall matter: check what answers there.",
    },
    Rule {
        id: FindingId::CertUnparsable,
        severity: Severity::Warning,
        title: "Certificate could not be parsed",
        why: "The server presented bytes that are not a valid X.509 certificate, so nothing about \
              it can be checked.",
        fix: "Inspect the binding on the server (certlm.msc, IIS Manager) and rebind a valid \
              certificate.",
    },
    Rule {
        id: FindingId::AuthCertExpired,
        severity: Severity::Critical,
        title: "Exchange Server Auth Certificate expired",
        why: "The OAuth certificate Get-AuthConfig names (no port presents it) has expired. OWA \
              and ECP sign-in loop (\"redirect limit reached\"), and hybrid free/busy and OAuth \
              fail. Found only from the store exports (--inventory); reported once for the \
              organisation.",
        fix: "Rotate it once for the organisation, on one Mailbox server: New-ExchangeCertificate \
              for the Auth certificate (answer N to the default SMTP prompt), Set-AuthConfig \
              -NewCertificateThumbprint/-NewCertificateEffectiveDate, -PublishCertificate and \
              -ClearPreviousCertificate, then restart MSExchangeServiceHost and recycle the OWA \
              and ECP application pools on every server; in hybrid, re-run the Hybrid \
              Configuration Wizard.",
    },
    Rule {
        id: FindingId::AuthCertExpiring,
        severity: Severity::Warning,
        title: "Exchange Server Auth Certificate expiring",
        why: "When the OAuth certificate expires, OWA/ECP sign-in and hybrid free/busy break. \
              Critical within --critical-days. A staged next certificate and its effective date \
              are shown when AuthConfig has one.",
        fix: "Stage the next one before it expires, once for the organisation: \
              MonitorExchangeAuthCertificate.ps1, or New-ExchangeCertificate for the Auth \
              certificate (answer N to the default SMTP prompt) and Set-AuthConfig \
              -NewCertificateThumbprint with -NewCertificateEffectiveDate 30 days ahead; nothing \
              is published or cleared by hand.",
    },
    Rule {
        id: FindingId::AuthCertMissing,
        severity: Severity::Critical,
        title: "Exchange Server Auth Certificate missing",
        why: "Get-AuthConfig names no current Auth certificate, or none of the exported stores \
              holds the one it names. OAuth (OWA/ECP sign-in, hybrid free/busy) needs it on every \
              Exchange server except Edge. Reported once for the organisation.",
        fix: "Run MonitorExchangeAuthCertificate.ps1 first: with -ValidateAndRenewAuthCertificate \
              $true it creates and publishes a new Auth certificate when none is valid and repairs \
              servers missing the current one. Fallback: New-ExchangeCertificate for the Auth \
              certificate (answer N to the default SMTP prompt) and Set-AuthConfig, once for the \
              organisation.",
    },
    Rule {
        id: FindingId::RenewedCertNotBound,
        severity: Severity::Warning,
        title: "A renewed certificate waits in the store, unbound",
        why: "The store holds a newer, valid certificate of the same kind (same friendly name or \
              same names) than the one this port presents. Renewing again would not help: the \
              renewed certificate was never enabled.",
        fix: "Enable the renewed certificate for the service (Enable-ExchangeCertificate -Server \
              <server> -Thumbprint <new> -Services IIS) instead of renewing again.",
    },
    Rule {
        id: FindingId::StoreBindingDrift,
        severity: Severity::Warning,
        title: "443 and the store disagree on the IIS certificate",
        why: "443 presents a certificate the store does not have enabled for IIS, or the store's \
              IIS certificate is not what 443 presents. Usually an Enable-ExchangeCertificate \
              waiting for an iisreset, or a binding changed in IIS Manager behind Exchange's back.",
        fix: "Check the Default Web Site binding in IIS Manager, enable IIS on the intended \
              certificate, and run iisreset at a safe time.",
    },
    Rule {
        id: FindingId::HybridConnectorCertInvalid,
        severity: Severity::Critical,
        title: "Hybrid connector names no valid certificate",
        why: "Exchange Online requires TLS with a CA-issued certificate whose issuer and subject \
              match the hybrid connector's TlsCertificateName. No valid certificate in this \
              server's store matches it, so mail between Exchange Online and this server stops.",
        fix: "Enable a valid certificate matching TlsCertificateName for SMTP, or update \
              TlsCertificateName (re-run the Hybrid Configuration Wizard).",
    },
    Rule {
        id: FindingId::SmtpCertExpired,
        severity: Severity::Critical,
        title: "SMTP certificate expired",
        why: "The certificate this SMTP port presents after STARTTLS has expired. Transport logs \
              events 12015/12016; in hybrid, mail from Exchange Online stops, because it requires \
              TLS with a valid CA-issued certificate matching the connector's TlsCertificateName, \
              and partners that require TLS stop sending too.",
        fix: "Renew the certificate (the public one with your CA, or the server's own \
              \"Microsoft Exchange\" one without IIS), enable it for SMTP with \
              Enable-ExchangeCertificate -Server <server> -Thumbprint <new> -Services SMTP \
              (answer N to the default SMTP certificate prompt), and check the connectors' \
              TlsCertificateName.",
    },
    Rule {
        id: FindingId::SmtpCertExpiring,
        severity: Severity::Warning,
        title: "SMTP certificate expiring",
        why: "The certificate this SMTP port presents expires soon (transport event 12017). When \
              it does, TLS mail with Exchange Online and partners stops. It is critical within \
              --critical-days.",
        fix: "Renew it before it expires and enable the new one for SMTP; after a public \
              certificate renewal, check the hybrid connectors' TlsCertificateName.",
    },
    Rule {
        id: FindingId::ImapCertExpired,
        severity: Severity::Critical,
        title: "IMAP certificate expired",
        why: "The certificate this IMAP port presents has expired: IMAP clients refuse to \
              connect or show certificate warnings.",
        fix: "Renew it and enable the new one for IMAP: Enable-ExchangeCertificate -Server \
              <server> -Thumbprint <new> -Services IMAP.",
    },
    Rule {
        id: FindingId::ImapCertExpiring,
        severity: Severity::Warning,
        title: "IMAP certificate expiring",
        why: "The certificate this IMAP port presents expires soon; IMAP clients will then \
              refuse it. It is critical within --critical-days.",
        fix: "Renew it before it expires and enable the new one for IMAP.",
    },
    Rule {
        id: FindingId::PopCertExpired,
        severity: Severity::Critical,
        title: "POP3 certificate expired",
        why: "The certificate this POP3 port presents has expired: POP3 clients refuse to \
              connect or show certificate warnings.",
        fix: "Renew it and enable the new one for POP: Enable-ExchangeCertificate -Server \
              <server> -Thumbprint <new> -Services POP.",
    },
    Rule {
        id: FindingId::PopCertExpiring,
        severity: Severity::Warning,
        title: "POP3 certificate expiring",
        why: "The certificate this POP3 port presents expires soon; POP3 clients will then \
              refuse it. It is critical within --critical-days.",
        fix: "Renew it before it expires and enable the new one for POP.",
    },
    Rule {
        id: FindingId::StarttlsNotOffered,
        severity: Severity::Warning,
        title: "STARTTLS not offered",
        why: "The port speaks SMTP (or IMAP, POP3) but does not offer STARTTLS, or refuses it \
              (454, 500). Mail to and from Exchange Online and most partners needs TLS; Exchange \
              offers STARTTLS only while it has a valid certificate for the connector's FQDN \
              (event 12014 when it has none).",
        fix: "Enable a valid certificate whose names cover the connector's FQDN for SMTP, and \
              check that the receive connector's AuthMechanism includes Tls.",
    },
    Rule {
        id: FindingId::SmtpCertInconsistent,
        severity: Severity::Warning,
        title: "SMTP presents a self-signed certificate unlike the fleet",
        why: "Most servers present a CA-issued certificate on this SMTP port, this one its own \
              self-signed one. That is the transport side of the renewal trap: renewing the \
              \"Microsoft Exchange\" certificate and answering yes to \"overwrite the default \
              SMTP certificate\", or a renewed public certificate enabled for SMTP on some \
              servers only. Exchange Online and partners that check certificates refuse it.",
        fix: "Enable the fleet's public certificate for SMTP on this server \
              (Enable-ExchangeCertificate -Server <server> -Thumbprint <public> -Services SMTP, \
              answering N to the default SMTP certificate prompt) and check the connectors' \
              TlsCertificateName.",
    },
    Rule {
        id: FindingId::StoreCertExpired,
        severity: Severity::Critical,
        title: "Certificate in use in the store has expired",
        why: "A certificate in the server's store that is enabled for a service (IIS, SMTP, \
              IMAP, POP), presented on a port, or named by a connector or AuthConfig has expired. \
              HealthChecker reports it red. An expired certificate that nothing uses is only \
              info: remove it.",
        fix: "Renew it (the public one with your CA, the server's own \"Microsoft Exchange\" one \
              with Get-ExchangeCertificate | New-ExchangeCertificate), enable the new one for the \
              same services, then remove the expired one.",
    },
    Rule {
        id: FindingId::StoreCertExpiring,
        severity: Severity::Warning,
        title: "Certificate in use in the store expiring",
        why: "A certificate in the server's store that a service, port, connector or AuthConfig \
              uses expires within --warn-days (HealthChecker: yellow under 60 days, red under 30). \
              It is critical within --critical-days.",
        fix: "Renew it before it expires and enable the new one for the same services.",
    },
    Rule {
        id: FindingId::StoreCertWeakKey,
        severity: Severity::Warning,
        title: "Certificate in use in the store has a weak key",
        why: "A certificate in use in the server's store has an RSA key under 2048 bits, which \
              current clients reject and HealthChecker reports red.",
        fix: "Request a new certificate with an RSA 2048-bit (or larger) key and enable it for \
              the same services.",
    },
    Rule {
        id: FindingId::StoreCertWeakSignature,
        severity: Severity::Warning,
        title: "Certificate in use in the store signed with SHA-1 or MD5",
        why: "A CA-issued certificate in use in the server's store is signed with SHA-1 or MD5, \
              which current clients reject. Exchange's own self-signed certificates are not \
              flagged: their signature protects nothing.",
        fix: "Reissue the certificate signed with SHA-256 and enable it for the same services.",
    },
    Rule {
        id: FindingId::StoreCertInvalidStatus,
        severity: Severity::Warning,
        title: "Certificate in use in the store has a status other than Valid",
        why: "Get-ExchangeCertificate reports a Status other than Valid (RevocationCheckFailure, \
              Revoked, Untrusted, PendingRequest, ...) for a certificate a service, port, \
              connector or AuthConfig uses. A DateInvalid status explained by the dates is \
              reported as expired or not yet valid instead.",
        fix: "Check the certificate on the server (Get-ExchangeCertificate -Server <server> \
              -Thumbprint <thumbprint> | Format-List Status) and replace it if the status is right.",
    },
    Rule {
        id: FindingId::AuthCertNotReplicated,
        severity: Severity::Critical,
        title: "The current Auth certificate is not in this server's store",
        why: "The Auth certificate Get-AuthConfig names must be in the store of every Exchange \
              server except Edge. Other servers hold it, this one does not: it did not replicate \
              here, so OAuth (OWA/ECP sign-in, hybrid free/busy) fails on this server.",
        fix: "Export the Auth certificate with its private key from a server that holds it and \
              import it on this one.",
    },
    Rule {
        id: FindingId::Tls13Unsupported,
        severity: Severity::Warning,
        title: "TLS 1.3 accepted on a build that does not support it",
        why: "Exchange supports TLS 1.3 only from Exchange 2019 CU15 (15.2.1748) and Exchange \
              SE (15.2.2562), on Windows Server 2022 or later; 2016 and older never do. \
              HealthChecker reports TLS 1.3 left on elsewhere red, as known to cause issues \
              between Exchange servers. Windows Server 2022 has TLS 1.3 on unless it is \
              turned off.",
        fix: "Disable TLS 1.3 in SCHANNEL on the server (Protocols\\TLS 1.3, Server and \
              Client alike, since HealthChecker reports a client side that differs from the \
              server side red: Enabled 0, DisabledByDefault 1) and restart it; or update it to \
              Exchange 2019 CU15 or Exchange SE.",
    },
    Rule {
        id: FindingId::TlsVersionsInconsistent,
        severity: Severity::Warning,
        title: "Servers of one site or namespace accept different TLS versions",
        why: "Extended Protection (on by default since Exchange 2019 CU14) requires the same TLS \
              configuration on every Exchange server: CSS-Exchange's \
              ExchangeExtendedProtectionManagement.ps1 checks it before it enables anything. \
              Behind one load balancer, clients also get a different protocol depending on the \
              server they reach.",
        fix: "Decide the TLS versions the fleet accepts (TLS 1.2; TLS 1.3 only where every \
              build supports it; TLS 1.0 and 1.1 off once no client needs them), set the same \
              SCHANNEL protocol keys on every server, and restart each.",
    },
    Rule {
        id: FindingId::ExchangeOutOfSupport,
        severity: Severity::Info,
        title: "Exchange version past its end of support",
        why: "Microsoft no longer ships security updates for this version: Exchange 2010 support \
              ended on 2020-10-13, Exchange 2013 on 2023-04-11, Exchange 2016 and 2019 on \
              2025-10-14; Exchange Server SE is current. It changes no certificate verdict, but \
              matters for migration planning and compliance.",
        fix: "Plan the move to Exchange Server SE, Microsoft's current version.",
    },
    Rule {
        id: FindingId::EdgesyncCertExpired,
        severity: Severity::Critical,
        title: "EdgeSync (LDAPS) certificate expired",
        why: "The Edge server presents an expired certificate on EdgeSync LDAPS (50636), the port \
              the Mailbox servers' EdgeSync uses to copy recipients and configuration to it. It is \
              the Edge's own certificate, whose public key the Edge Subscription gave the Mailbox \
              servers, so trust is not the question; its dates are. Recipient lookup, safelists \
              and configuration on the Edge go stale.",
        fix: "In the Edge server's own Exchange Management Shell, create a new certificate for \
              SMTP (it becomes the default SMTP certificate EdgeSync presents), remove the old one, \
              then subscribe the Edge again: New-EdgeSubscription on the Edge, then on a Mailbox \
              server Remove-EdgeSubscription, New-EdgeSubscription -FileData ... -Site ... and \
              Start-EdgeSynchronization.",
    },
    Rule {
        id: FindingId::EdgesyncCertExpiring,
        severity: Severity::Warning,
        title: "EdgeSync (LDAPS) certificate expiring",
        why: "The certificate the Edge server presents on EdgeSync LDAPS (50636) expires soon; \
              then EdgeSync from the Mailbox servers stops. It is critical within --critical-days.",
        fix: "Replace it before it expires, the same way as an expired one: a new certificate for \
              SMTP in the Edge's own shell, then a new Edge Subscription.",
    },
    Rule {
        id: FindingId::OtherCertExpired,
        severity: Severity::Critical,
        title: "Certificate on another TLS port expired",
        why: "A port given with --tls-port (WMSvc on 8172, Unified Messaging on 5061, ...) \
              presents an expired certificate: its clients (IIS Manager remote administration, \
              Web Deploy, SIP peers) refuse to connect or warn.",
        fix: "Bind a valid certificate where that service takes it: for WMSvc in IIS Manager > \
              Management Service; for Unified Messaging the certificate enabled for the UM and UM \
              Call Router services.",
    },
    Rule {
        id: FindingId::OtherCertExpiring,
        severity: Severity::Warning,
        title: "Certificate on another TLS port expiring",
        why: "A port given with --tls-port presents a certificate that expires soon. It is \
              critical within --critical-days.",
        fix: "Replace it before it expires, where that service takes its certificate.",
    },
    Rule {
        id: FindingId::OtherCertUntrusted,
        severity: Severity::Warning,
        title: "Certificate on another TLS port not trusted",
        why: "The chain a --tls-port port presents does not validate against the public roots, \
              the OS store or --ca-bundle, for a reason other than expiry. A CA-issued certificate \
              that does not validate is a warning. A self-signed one (WMSvc's own \
              \"WMSvc-<host>\" certificate, made at install) is what the service ships with and \
              clients are asked to accept once: that is only info.",
        fix: "Bind a certificate from a CA the clients trust, or pass your enterprise root with \
              --ca-bundle if it is trusted internally.",
    },
    Rule {
        id: FindingId::LbCertMismatch,
        severity: Severity::Warning,
        title: "Load balancer presents another certificate than the servers",
        why: "The VIP (--load-balancer) presents another certificate on HTTPS than the servers \
              behind it present on 443. Extended Protection, on by default since Exchange 2019 \
              CU14, binds Windows authentication to the TLS channel the client sees: SSL \
              offloading is not supported, and with SSL bridging the balancer must present the \
              same certificate as the servers, or Outlook, EWS and ActiveSync sign-ins fail with \
              endless password prompts.",
        fix: "Import the servers' certificate (with its private key) on the load balancer and \
              select it for the virtual service; or, if the balancer's certificate is the one to \
              keep, put that one on every server behind it.",
    },
    Rule {
        id: FindingId::LbCertExpired,
        severity: Severity::Critical,
        title: "Load balancer certificate expired",
        why: "Clients connect to the VIP, not to the servers: when its certificate has expired, \
              browsers, Outlook and mobile devices reject every connection, whatever the servers \
              behind it present.",
        fix: "Import a valid certificate on the load balancer (the servers' renewed one, so \
              Extended Protection keeps working) and select it for the virtual service.",
    },
    Rule {
        id: FindingId::LbCertExpiring,
        severity: Severity::Warning,
        title: "Load balancer certificate expiring",
        why: "The certificate the VIP presents expires soon; every client will then see \
              certificate errors. A renewal on the servers does not reach the balancer by \
              itself. It is critical within --critical-days.",
        fix: "When the servers get the renewed certificate, import the same one on the load \
              balancer and select it for the virtual service.",
    },
    Rule {
        id: FindingId::LbCertUntrusted,
        severity: Severity::Warning,
        title: "Load balancer certificate untrusted",
        why: "The chain the VIP presents does not validate for a reason other than its dates \
              (an unknown issuer, a missing intermediate, a self-signed certificate): clients \
              that connect to the namespace see certificate warnings.",
        fix: "Import the CA-issued certificate the servers present on the load balancer, with \
              its intermediate certificates, and select the full chain for the virtual service.",
    },
    Rule {
        id: FindingId::LbNameMismatch,
        severity: Severity::Warning,
        title: "Load balancer certificate does not cover its namespace",
        why: "The certificate the VIP presents does not name the namespace it serves \
              (--load-balancer NAME): clients that connect to that name see a name warning, and \
              Autodiscover and ActiveSync fail.",
        fix: "Import on the load balancer a certificate whose names include the namespace (the \
              servers' public certificate normally does) and select it for the virtual service.",
    },
];

// The catalogue's guarantee: an id without an entry does not compile. A
// new variant lengthens `FindingId::ALL` (one table declares both), so the
// lengths differ; an entry out of place fails the order check.
const _: () = {
    assert!(
        CATALOGUE.len() == FindingId::ALL.len(),
        "every FindingId needs exactly one catalogue entry"
    );
    let mut rest = CATALOGUE;
    let mut i = 0;
    while let [rule, tail @ ..] = rest {
        assert!(
            rule.id as usize == i,
            "catalogue entries must be in FindingId order"
        );
        rest = tail;
        i += 1;
    }
};

/// The catalogue entry for `id`.
// The compile-time check above makes every id's discriminant an index of
// CATALOGUE, so this cannot be out of bounds.
#[allow(clippy::indexing_slicing)]
pub fn entry(id: FindingId) -> Rule {
    CATALOGUE[id as usize]
}

/// Every entry, in the order the report's appendix lists them.
pub fn all() -> Vec<Rule> {
    FindingId::ALL.iter().map(|&id| entry(id)).collect()
}

/// A finding for `id` with the catalogue's title, the given severity, and
/// the steps that fix it (from [`super::remediation`]).
pub(crate) fn finding(
    id: FindingId,
    severity: Severity,
    detail: String,
    steps: Vec<Step>,
) -> Finding {
    Finding {
        id,
        severity,
        title: Cow::Borrowed(entry(id).title),
        detail: detail.into(),
        // Rendered from the steps when needed (`Finding::remediation_text`).
        remediation: String::new(),
        remediation_steps: steps,
        thumbprint: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_is_kebab_case_with_text_and_serialises_as_spelt() {
        for &id in FindingId::ALL {
            let r = entry(id);
            assert_eq!(r.id, id);
            assert!(
                id.as_str()
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{id}"
            );
            assert_eq!(serde_json::to_string(&id).ok(), Some(format!("\"{id}\"")));
            assert!(!r.title.is_empty() && !r.why.is_empty() && !r.fix.is_empty());
        }
    }
}
