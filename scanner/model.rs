//! The records that flow between the stages, and the scan.json contract.
//!
//! Everything here is plain data. `probe` fills in [`EndpointEvidence`],
//! `analyze` turns evidence into [`EndpointReport`]s and [`ServerReport`]s,
//! and `report` renders a [`ScanReport`]. scan.json is a serialised
//! [`ScanReport`]; because it keeps every certificate's DER, `excert report`
//! can rebuild the evidence from it and analyse again without the network.
//!
//! Field names are a public contract (see docs/guide.md "scan.json"): add, never
//! rename or remove.

use std::borrow::Cow;
use std::net::IpAddr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

mod cipher;
mod connector;
mod crypto;
pub mod json;
mod protocol;
mod roles;
mod service;
pub mod template;

pub use cipher::CipherSuite;
pub use connector::ConnectorKind;
pub use crypto::{HashAlgorithm, KeyAlgorithm};
pub use protocol::TlsVersion;
pub use roles::{version_of, ServerRoles};
pub use service::ExchangeService;

/// The scan.json schema this build writes and reads.
pub const SCHEMA_VERSION: u32 = 1;

/// What a port is for: an IIS site, or a mail protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Default Web Site, normally 443: should present the public cert.
    Frontend,
    /// Exchange Back End, normally 444: should present the server's own
    /// "Microsoft Exchange" self-signed cert.
    Backend,
    /// SMTP with STARTTLS (`--smtp-ports`, normally 25).
    Smtp,
    /// IMAP: implicit TLS on 993, STARTTLS elsewhere (`--imap-ports`).
    Imap,
    /// POP3: implicit TLS on 995, STLS elsewhere (`--pop-ports`).
    Pop,
    /// A load balancer's virtual IP (`--load-balancer`), probed on the
    /// frontend and SMTP ports and compared with the servers behind it.
    #[serde(rename = "load_balancer")]
    LoadBalancer,
    /// An Edge server's EdgeSync LDAPS port (50636, implicit TLS).
    Edgesync,
    /// Any other implicit-TLS port given with `--tls-port LABEL:PORT`
    /// (WMSvc on 8172, Unified Messaging on 5061); the endpoint's `label`
    /// says which.
    Other,
}

impl Role {
    /// The string scan.json, report.csv and the report's `role=` filter use:
    /// `frontend`, `backend`, `smtp`, `imap`, `pop`, `load_balancer`,
    /// `edgesync` or `other`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Frontend => "frontend",
            Role::Backend => "backend",
            Role::Smtp => "smtp",
            Role::Imap => "imap",
            Role::Pop => "pop",
            Role::LoadBalancer => "load_balancer",
            Role::Edgesync => "edgesync",
            Role::Other => "other",
        }
    }

    /// SMTP, IMAP or POP: a transport or mailbox-access port, not IIS.
    pub fn is_mail(self) -> bool {
        matches!(self, Role::Smtp | Role::Imap | Role::Pop)
    }
}

impl Endpoint {
    /// The role whose protocol the port speaks: its own, or for a load
    /// balancer's VIP the role of the servers' port it stands for (an SMTP
    /// VIP needs the SMTP dialogue before STARTTLS).
    pub fn speaks(&self) -> Role {
        match (self.role, self.forwards_to) {
            (Role::LoadBalancer, Some(r)) => r,
            (role, _) => role,
        }
    }
}

/// What became of one attempt to read an endpoint's chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// A chain was read: a TLS handshake completed, or the legacy hello got the
    /// server's Certificate message. Says nothing yet about the chain's health.
    Ok,
    /// The TCP connection was refused: nothing listens on the port, or a
    /// firewall answers with a reset.
    Refused,
    /// No answer in time: the connect, the mail dialogue or the handshake ran
    /// past `--timeout` (or `--connect-timeout`).
    Timeout,
    /// The connect failed for another reason, e.g. no route to the host or the
    /// network unreachable.
    Unreachable,
    /// Something answered, but not TLS (e.g. plain HTTP on a TLS port), or a mail
    /// port did not speak its protocol.
    NotTls,
    /// The server spoke TLS but no chain could be read: an alert, a closed or
    /// reset connection, or a malformed or oversized handshake. `error` says which.
    HandshakeFailed,
    /// The host name did not resolve; `address` is null.
    DnsFailed,
    /// The scan was interrupted (Ctrl-C, SIGTERM) before this endpoint was
    /// probed. Never counted healthy.
    Cancelled,
    /// The port spoke SMTP (or IMAP, POP) but did not offer STARTTLS, or
    /// refused the command (`454`, `500`).
    NoStarttls,
}

impl Status {
    /// The string scan.json and report.csv use, e.g. `handshake_failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Refused => "refused",
            Status::Timeout => "timeout",
            Status::Unreachable => "unreachable",
            Status::NotTls => "not_tls",
            Status::HandshakeFailed => "handshake_failed",
            Status::DnsFailed => "dns_failed",
            Status::Cancelled => "cancelled",
            Status::NoStarttls => "no_starttls",
        }
    }
}

/// Which probe path got the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Method {
    /// A full rustls handshake (TLS 1.2 with modern suites, or TLS 1.3).
    Rustls,
    /// The hand-built ClientHello that reads the cleartext Certificate
    /// message of TLS 1.0-1.2 servers rustls cannot talk to.
    Legacy,
}

/// Optional grouping carried from the input (CSV columns), so the report can
/// show DAGs and sites.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    /// The Active Directory site (CSV `Site`, its last path part, or
    /// `--site`); absent when the input did not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    /// The database availability group (CSV `DatabaseAvailabilityGroup` or
    /// `DAG`); absent when the input did not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dag: Option<String>,
    /// The Exchange server role as exported (`ServerRole`, e.g. `Mailbox`,
    /// `Edge`), or `--role`; absent when the input did not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_role: Option<String>,
    /// The product, from `AdminDisplayVersion`: `2010`, `2013`, `2016`,
    /// `2019` or `SE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange_version: Option<String>,
    /// The build, e.g. `15.2.1544.4` (2019 CU14), from `AdminDisplayVersion`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange_build: Option<String>,
}

impl Group {
    /// True when the input carried no grouping at all; scan.json then leaves
    /// `group` out.
    pub fn is_empty(&self) -> bool {
        self.site.is_none()
            && self.dag.is_none()
            && self.server_role.is_none()
            && self.exchange_version.is_none()
            && self.exchange_build.is_none()
    }
}

impl Group {
    /// No grouping at all, as a constant [`SharedGroup`] can point at.
    pub const EMPTY: Group = Group {
        site: None,
        dag: None,
        server_role: None,
        exchange_version: None,
        exchange_build: None,
    };
}

/// A [`Group`] behind one pointer, shared by the endpoints and the server
/// it was read for, and nothing at all when empty: every endpoint and
/// server report holds one until the reports are written, and most inputs
/// carry no grouping (a `Group` is 120 bytes even then). Reads as a
/// `Group` (`Deref`); serialises exactly as one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SharedGroup(Option<Arc<Group>>);

impl SharedGroup {
    /// True when the input carried no grouping at all; scan.json then
    /// leaves `group` out.
    pub fn is_empty(&self) -> bool {
        Group::is_empty(self)
    }
}

impl From<Group> for SharedGroup {
    fn from(group: Group) -> Self {
        SharedGroup((!group.is_empty()).then(|| Arc::new(group)))
    }
}

impl PartialEq<Group> for SharedGroup {
    fn eq(&self, other: &Group) -> bool {
        **self == *other
    }
}

impl std::ops::Deref for SharedGroup {
    type Target = Group;
    fn deref(&self) -> &Group {
        self.0.as_deref().unwrap_or(&Group::EMPTY)
    }
}

impl std::ops::DerefMut for SharedGroup {
    /// A group of its own to change (copied when shared).
    fn deref_mut(&mut self) -> &mut Group {
        Arc::make_mut(self.0.get_or_insert_with(Default::default))
    }
}

impl Serialize for SharedGroup {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        Group::serialize(self, serializer)
    }
}

impl<'de> Deserialize<'de> for SharedGroup {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Group::deserialize(deserializer).map(SharedGroup::from)
    }
}

/// Where a target came from, for error messages and the dry run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// File name, `-` for stdin, or `args` for the command line.
    pub file: String,
    /// 1-based line number.
    pub line: usize,
}

/// One address:port to probe, with everything known before connecting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoint {
    /// The name or IP as the user gave it.
    pub host: String,
    /// The IP scanned; `None` when the name did not resolve.
    pub address: Option<IpAddr>,
    /// The TCP port probed.
    pub port: u16,
    /// What the port is for; decides which checks apply.
    pub role: Role,
    /// The name `--tls-port LABEL:PORT` gave an `other` port (`wmsvc`,
    /// `um`): lowercase letters, digits, `-` and `_`. Absent for every
    /// other role. A boxed `str`: every endpoint is held until the reports
    /// are written, and most have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<Box<str>>,
    /// The server name sent in the ClientHello, if any. Never an IP literal.
    #[serde(default)]
    pub sni: Option<String>,
    /// Other names given for the same address:port; it is probed once.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// DAG, site, role and version carried from the input; absent when the
    /// input said nothing about them.
    #[serde(default, skip_serializing_if = "SharedGroup::is_empty")]
    pub group: SharedGroup,
    /// The file and line the target was read from; absent when the endpoint
    /// was not read from a targets file or the command line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Source>,
    /// For a `load_balancer` endpoint, the servers' port this VIP port
    /// stands for: `frontend` (HTTPS, implicit TLS) or `smtp` (STARTTLS
    /// first). Absent for every other role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forwards_to: Option<Role>,
    /// The scan this observation came from, when `excert report` merged
    /// several scans. Boxed: most endpoints have none, and a large scan
    /// holds every endpoint until the reports are written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_scan: Option<Box<ScanOrigin>>,
}

/// Which scan.json an observation came from (`excert report A.json B.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanOrigin {
    /// The scan.json as given on the command line.
    pub file: String,
    /// When that scan started.
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    /// Older scans that also saw this endpoint; the newest observation won.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub superseded: Vec<ScanSeen>,
}

/// An older observation that a newer one replaced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanSeen {
    /// The scan.json as given on the command line.
    pub file: String,
    /// When that scan started.
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
}

/// An endpoint left out on purpose: the server's role or version says it
/// has no such site (an Edge server has no IIS, Exchange 2010 and CAS-only
/// 2013 servers have no Exchange Back End). Listed so the report shows why
/// it was not scanned; never counted healthy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkippedEndpoint {
    /// The endpoint that would have been probed; its fields sit directly in
    /// the skipped entry's JSON object.
    #[serde(flatten)]
    pub endpoint: Endpoint,
    /// Why this port is not expected on this server.
    pub reason: String,
}

/// A DER certificate, base64 in JSON. Shared, not copied: a fleet presents
/// the same public certificate and intermediates on every 443, and the
/// probe keeps one copy of each (see `probe::run`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Der(pub std::sync::Arc<[u8]>);

impl Der {
    /// The certificate's DER bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl From<Vec<u8>> for Der {
    fn from(bytes: Vec<u8>) -> Self {
        Der(bytes.into())
    }
}

impl Serialize for Der {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use base64::Engine;
        s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(&self.0))
    }
}

impl<'de> Deserialize<'de> for Der {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use base64::Engine;
        let text = String::deserialize(d)?;
        base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map(Der::from)
            .map_err(serde::de::Error::custom)
    }
}

/// What the handshake showed about the protocol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsInfo {
    /// Negotiated version, written e.g. `TLSv1.2`.
    pub version: TlsVersion,
    /// The negotiated suite, written as its IANA name, e.g.
    /// `TLS_RSA_WITH_AES_256_CBC_SHA`.
    pub cipher_suite: CipherSuite,
    /// Which probe path read the chain: `rustls` or `legacy`.
    pub method: Method,
    /// Every version the endpoint was seen to accept, oldest first, e.g.
    /// `["TLSv1.0", "TLSv1.2"]`. Only what was tested: with
    /// `--no-protocol-scan` it holds just what the handshake showed.
    #[serde(default)]
    pub versions: Vec<TlsVersion>,
    /// Whether hellos mapped every version below the negotiated one (TLS
    /// 1.0 and 1.1, and 1.2 under TLS 1.3); versions above it are refused,
    /// since a server answers with the best version it shares.
    #[serde(default)]
    pub versions_scanned: bool,
    /// How each fact above was obtained: one line per hello, in the order
    /// sent, saying what was offered and what came back, e.g. `chain:
    /// cleartext Certificate (TLSv1.2, TLS_RSA_WITH_AES_256_GCM_SHA384) after
    /// a hello offering only RSA key exchange; the server signed nothing`.
    /// Absent in scans made before it existed. Shared: a fleet repeats a
    /// few lines thousands of times, and the analysis keeps one of each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<Arc<str>>,
    /// The handshake followed a STARTTLS (SMTP, IMAP) or STLS (POP) command
    /// on the same connection. Absent (false) for implicit TLS.
    #[serde(default, skip_serializing_if = "is_false")]
    pub starttls: bool,
}

impl TlsInfo {
    /// Every named version the endpoint was seen to accept, the negotiated
    /// one included, oldest first and each once.
    pub fn known_versions(&self) -> Vec<TlsVersion> {
        let mut known: Vec<TlsVersion> = self
            .versions
            .iter()
            .chain([&self.version])
            .copied()
            .filter(|v| v.is_known())
            .collect();
        known.sort();
        known.dedup();
        known
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// What an SMTP port said in cleartext, before STARTTLS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmtpInfo {
    /// The first line of the greeting, e.g. `220 EX01.contoso.com Microsoft
    /// ESMTP MAIL Service ready at ...`, cut at 512 characters. Peer text:
    /// every renderer sanitises it.
    pub banner: String,
    /// The extensions the EHLO reply advertised, e.g. `STARTTLS`,
    /// `X-ANONYMOUSTLS`, `SIZE 37748736` (at most 64, each cut at 512
    /// characters).
    #[serde(default)]
    pub ehlo: Vec<String>,
    /// The banner is Exchange's own (`Microsoft ESMTP MAIL Service`). An
    /// admin can change the banner, so false does not mean "not Exchange".
    #[serde(default)]
    pub exchange_banner: bool,
}

/// What an IMAP or POP port said in cleartext, before STARTTLS/STLS.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxInfo {
    /// The greeting line, e.g. `* OK The Microsoft Exchange IMAP4 service
    /// is ready.`, cut at 512 characters.
    pub banner: String,
    /// The capabilities listed (IMAP `CAPABILITY`, POP3 `CAPA`).
    #[serde(default)]
    pub capabilities: Vec<String>,
    /// The banner names Microsoft Exchange.
    #[serde(default)]
    pub exchange_banner: bool,
}

/// The cleartext part of a mail port's dialogue; empty for IIS ports and
/// implicit TLS.
/// Each part is boxed: most endpoints have none, and every endpoint's
/// dialogue is held until the reports are written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dialogue {
    /// The SMTP greeting and EHLO reply; absent unless an SMTP port spoke SMTP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp: Option<Box<SmtpInfo>>,
    /// The IMAP greeting and capabilities; absent unless an IMAP port spoke IMAP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imap: Option<Box<MailboxInfo>>,
    /// The POP3 greeting and capabilities; absent unless a POP port spoke POP3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pop: Option<Box<MailboxInfo>>,
}

/// The raw result of one probe of one endpoint: what the server said, no
/// judgement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Observation {
    /// What became of the attempt.
    pub status: Status,
    /// Why it failed, in words (the socket, resolver, mail dialogue or TLS
    /// error); null when `status` is `ok`.
    pub error: Option<String>,
    /// What the handshake showed; null unless `status` is `ok`.
    pub tls: Option<TlsInfo>,
    /// Leaf first, as presented.
    pub chain: Vec<Der>,
    /// What a mail port said before TLS.
    #[serde(flatten)]
    pub dialogue: Dialogue,
}

impl Observation {
    /// An observation with no chain: the probe stopped with `status` and the
    /// reason `error`.
    pub fn failed(status: Status, error: impl Into<String>) -> Self {
        Observation {
            status,
            error: Some(error.into()),
            tls: None,
            chain: Vec::new(),
            dialogue: Dialogue::default(),
        }
    }
}

/// Everything the probe learned about one endpoint. This is the input to
/// `analyze`, live or rebuilt from scan.json.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointEvidence {
    /// The endpoint as targeted.
    pub endpoint: Endpoint,
    /// The probe with SNI (or without, when the endpoint has none).
    pub observation: Observation,
    /// A second probe without SNI (`--also-no-sni`). Boxed: most scans
    /// have none, and every endpoint's evidence is held until analysis.
    pub no_sni: Option<Box<Observation>>,
}

/// Severity of a finding, worst first in `Ord`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Act now: something is broken, or expires within `--critical-days`.
    Critical,
    /// Act soon: expires within `--warn-days`, or a weakness to fix.
    Warning,
    /// Worth knowing; never decides a verdict on its own.
    Info,
}

impl Severity {
    /// The string scan.json and the report use: `critical`, `warning`, `info`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// A server's overall grade: the worst finding, or `ok`.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Grade {
    /// At least one critical finding.
    Critical,
    /// At least one warning, no critical finding.
    Warning,
    /// Only info findings.
    Info,
    /// No finding at all.
    #[default]
    Ok,
}

impl Grade {
    /// The string scan.json and the report use: `critical`, `warning`, `info`
    /// or `ok`.
    pub fn as_str(self) -> &'static str {
        match self {
            Grade::Critical => "critical",
            Grade::Warning => "warning",
            Grade::Info => "info",
            Grade::Ok => "ok",
        }
    }

    /// The severity this grade stands for; None for `ok`. With
    /// `From<Severity>`, the one place the two are converted.
    pub fn severity(self) -> Option<Severity> {
        match self {
            Grade::Critical => Some(Severity::Critical),
            Grade::Warning => Some(Severity::Warning),
            Grade::Info => Some(Severity::Info),
            Grade::Ok => None,
        }
    }
}

impl From<Severity> for Grade {
    fn from(s: Severity) -> Self {
        match s {
            Severity::Critical => Grade::Critical,
            Severity::Warning => Grade::Warning,
            Severity::Info => Grade::Info,
        }
    }
}

/// How a certificate is classified from its shape on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Classification {
    /// The "Microsoft Exchange" self-signed server cert.
    ExchangeSelfSigned,
    /// "Microsoft Exchange Server Auth Certificate".
    ExchangeAuth,
    /// IIS Web Management Service cert.
    Wmsvc,
    /// Any other self-issued cert.
    SelfSigned,
    /// Issued by a certificate authority (public or internal, such as AD CS).
    CaIssued,
    /// DER that x509-parser could not read.
    Unparsable,
}

impl Classification {
    /// The string scan.json and report.csv use, e.g. `exchange_self_signed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Classification::ExchangeSelfSigned => "exchange_self_signed",
            Classification::ExchangeAuth => "exchange_auth",
            Classification::Wmsvc => "wmsvc",
            Classification::SelfSigned => "self_signed",
            Classification::CaIssued => "ca_issued",
            Classification::Unparsable => "unparsable",
        }
    }

    /// The label a person reads in the report.
    pub fn label(self) -> &'static str {
        match self {
            Classification::ExchangeSelfSigned => "Exchange self-signed",
            Classification::ExchangeAuth => "Exchange Auth",
            Classification::Wmsvc => "WMSvc",
            Classification::SelfSigned => "Self-signed",
            Classification::CaIssued => "CA-issued",
            Classification::Unparsable => "Unparsable",
        }
    }
}

/// The certificate's public key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyInfo {
    /// Written `RSA`, `EC`, `DSA`, `Ed25519`, `Ed448` or `unknown`.
    pub algorithm: KeyAlgorithm,
    /// Key size in bits (the modulus for RSA, the curve size for EC); 0 when
    /// unknown, e.g. for an unparsable certificate.
    pub bits: u32,
    /// Named curve for EC keys.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub curve: Option<String>,
}

/// Facts read from one certificate. Derived from `der_base64`, which is the
/// evidence; the rest is recomputed by `excert report`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertFacts {
    /// The subject distinguished name, as text (`CN=EX01`). For a certificate
    /// that does not parse, `(unparsable certificate: <reason>)`.
    pub subject: String,
    /// The issuer distinguished name, as text; empty when the certificate does
    /// not parse.
    pub issuer: String,
    /// The subject's first common name (`EX01`); null when there is none.
    pub subject_cn: Option<String>,
    /// DNS names and IP addresses from the subject alternative name, in order;
    /// empty when there is no SAN.
    pub sans: Vec<String>,
    /// The serial number, uppercase hex; empty when the certificate does not
    /// parse.
    pub serial: String,
    /// Null when the certificate could not be parsed: an unknown date is
    /// never made up.
    #[serde(with = "time::serde::rfc3339::option")]
    pub not_before: Option<OffsetDateTime>,
    /// Null when the certificate could not be parsed.
    #[serde(with = "time::serde::rfc3339::option")]
    pub not_after: Option<OffsetDateTime>,
    /// Uppercase hex, as `Get-ExchangeCertificate` shows it.
    pub sha1: String,
    /// Lowercase hex.
    pub sha256: String,
    /// The public key's algorithm and size.
    pub key: KeyInfo,
    /// The signature algorithm's name, e.g. `sha256WithRSAEncryption`; empty
    /// when the certificate does not parse.
    pub signature_algorithm: String,
    /// The hash the issuer signed with; null when the algorithm has none of
    /// its own (Ed25519, RSA-PSS) or is not known.
    #[serde(default)]
    pub signature_hash: Option<HashAlgorithm>,
    /// Subject equals issuer.
    pub self_issued: bool,
    /// Self-issued and the signature verifies with its own key.
    pub self_signed: bool,
    /// `Some(true)` for CA:TRUE, `Some(false)` for CA:FALSE, `None` when absent.
    pub basic_constraints_ca: Option<bool>,
    /// Key usage bits set, e.g. `digitalSignature`, `keyEncipherment`; empty when
    /// the extension is absent.
    pub key_usage: Vec<String>,
    /// Extended key usages, e.g. `serverAuth`; empty when the extension is absent.
    pub extended_key_usage: Vec<String>,
    /// What kind of certificate this is (see docs/guide.md "What excert checks").
    pub classification: Classification,
    /// Why the certificate got its classification: the Exchange guarantees it
    /// meets (or the first it misses) and the layout, key and hash signals.
    #[serde(default)]
    pub classification_reason: String,
    /// Whole days from the as-of time to not_after (negative once expired);
    /// null when the certificate could not be parsed.
    pub days_left: Option<i64>,
    /// The certificate as presented, base64 DER: the evidence everything else
    /// here is derived from.
    pub der_base64: Der,
    /// The friendly name in this server's store (`--inventory`), when the
    /// store holds this certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub friendly_name: Option<String>,
    /// The services it is enabled for in that store (`--inventory`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub services: Option<Vec<ExchangeService>>,
}

/// Result of chain validation against the trust roots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trust {
    /// The chain validates for TLS server use at the as-of time, against
    /// webpki-roots, the system store and `--ca-bundle` roots.
    pub trusted: bool,
    /// Why it does not validate (expired, unknown issuer, ...); null when
    /// trusted. Shared: a fleet's endpoints that serve one chain hold one
    /// copy.
    pub error: Option<Arc<str>>,
}

/// Declares [`FindingId`] from one table, so each id's string is written
/// once and [`FindingId::ALL`] cannot miss a variant.
macro_rules! finding_ids {
    ($($(#[$doc:meta])* $variant:ident = $id:literal,)*) => {
        /// Every finding id excert can report. The strings are a public
        /// contract (scan.json, CSV, monitoring): add, never rename. Each
        /// id's severity and text are in [`crate::analyze::catalog`], whose
        /// table is checked at compile time to have one entry per id.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum FindingId {
            $($(#[$doc])* #[serde(rename = $id)] $variant,)*
        }

        impl FindingId {
            /// Every id, in the order the report's appendix lists them.
            pub const ALL: &'static [FindingId] = &[$(FindingId::$variant,)*];

            /// The id as scan.json spells it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(FindingId::$variant => $id,)*
                }
            }
        }
    };
}

finding_ids! {
    /// The Exchange Back End (444) certificate has expired.
    BackendCertExpired = "backend-cert-expired",
    /// The Exchange Back End (444) certificate expires within `--warn-days`.
    BackendCertExpiring = "backend-cert-expiring",
    /// The Default Web Site (443) certificate has expired.
    FrontendCertExpired = "frontend-cert-expired",
    /// The Default Web Site (443) certificate expires within `--warn-days`.
    FrontendCertExpiring = "frontend-cert-expiring",
    /// 443 presents a self-signed certificate (the renewal trap).
    PublicBindingLost = "public-binding-lost",
    /// The presented certificate is not valid yet.
    NotYetValid = "not-yet-valid",
    /// The 443 chain does not validate, for a reason other than expiry.
    FrontendCertUntrusted = "frontend-cert-untrusted",
    /// The leaf's issuer is neither presented nor a known root.
    ChainIncomplete = "chain-incomplete",
    /// The 443 certificate does not cover a client namespace.
    NameMismatch = "name-mismatch",
    /// A certificate in the chain is signed with SHA-1 or MD5.
    WeakSignature = "weak-signature",
    /// A key is too short.
    WeakKey = "weak-key",
    /// 444 presents something other than the server's own Exchange cert.
    BackendUnexpectedCert = "backend-unexpected-cert",
    /// 443 presents another public cert than most of the fleet.
    PublicCertInconsistent = "public-cert-inconsistent",
    /// Nothing newer than TLS 1.1 is accepted.
    LegacyTlsOnly = "legacy-tls-only",
    /// TLS 1.0 or 1.1 is accepted next to TLS 1.2 or later.
    LegacyProtocolsEnabled = "legacy-protocols-enabled",
    /// Another chain is presented without SNI.
    SniDependentCert = "sni-dependent-cert",
    /// No certificate could be read.
    EndpointNotScanned = "endpoint-not-scanned",
    /// The presented certificate is not valid X.509.
    CertUnparsable = "cert-unparsable",
    /// The current Auth certificate (OAuth) has expired (`--inventory`).
    AuthCertExpired = "auth-cert-expired",
    /// The current Auth certificate expires within `--warn-days`.
    AuthCertExpiring = "auth-cert-expiring",
    /// The Auth certificate AuthConfig names is not in a server's store.
    AuthCertMissing = "auth-cert-missing",
    /// The store holds a newer valid certificate than the one a port presents.
    RenewedCertNotBound = "renewed-cert-not-bound",
    /// IIS in the store and what 443 presents disagree (pending iisreset).
    StoreBindingDrift = "store-binding-drift",
    /// A hybrid connector's TlsCertificateName names no valid certificate
    /// in the server's store.
    HybridConnectorCertInvalid = "hybrid-connector-cert-invalid",
    /// The certificate an SMTP port presents after STARTTLS has expired.
    SmtpCertExpired = "smtp-cert-expired",
    /// The SMTP certificate expires within `--warn-days`.
    SmtpCertExpiring = "smtp-cert-expiring",
    /// The certificate an IMAP port presents has expired.
    ImapCertExpired = "imap-cert-expired",
    /// The IMAP certificate expires within `--warn-days`.
    ImapCertExpiring = "imap-cert-expiring",
    /// The certificate a POP3 port presents has expired.
    PopCertExpired = "pop-cert-expired",
    /// The POP3 certificate expires within `--warn-days`.
    PopCertExpiring = "pop-cert-expiring",
    /// A mail port spoke its protocol but offered no STARTTLS, or refused it.
    StarttlsNotOffered = "starttls-not-offered",
    /// An SMTP port presents a self-signed certificate where most servers'
    /// same port presents a CA-issued one.
    SmtpCertInconsistent = "smtp-cert-inconsistent",
    /// A store certificate in use (services, a binding, a connector or
    /// AuthConfig) has expired; an unused one is info (`--inventory`).
    StoreCertExpired = "store-cert-expired",
    /// A store certificate in use expires within `--warn-days`.
    StoreCertExpiring = "store-cert-expiring",
    /// A store certificate in use has an RSA key under 2048 bits.
    StoreCertWeakKey = "store-cert-weak-key",
    /// A store certificate in use is signed with SHA-1 or MD5 (not Exchange's
    /// own self-signed certificates).
    StoreCertWeakSignature = "store-cert-weak-signature",
    /// A store certificate in use has an exported Status other than Valid.
    StoreCertInvalidStatus = "store-cert-invalid-status",
    /// The organisation's current Auth certificate is not in this server's
    /// store (it did not replicate there).
    AuthCertNotReplicated = "auth-cert-not-replicated",
    /// TLS 1.3 is accepted on a build that does not support it (before
    /// Exchange 2019 CU15, or 2016 and older).
    Tls13Unsupported = "tls13-unsupported",
    /// Servers of one site or namespace accept different TLS versions.
    TlsVersionsInconsistent = "tls-versions-inconsistent",
    /// The server's Exchange version is past its end of support.
    ExchangeOutOfSupport = "exchange-out-of-support",
    /// The certificate an Edge server presents on EdgeSync LDAPS (50636)
    /// has expired: the Mailbox servers' EdgeSync stops.
    EdgesyncCertExpired = "edgesync-cert-expired",
    /// The EdgeSync certificate expires within `--warn-days`.
    EdgesyncCertExpiring = "edgesync-cert-expiring",
    /// The certificate a `--tls-port` port presents has expired.
    OtherCertExpired = "other-cert-expired",
    /// The certificate a `--tls-port` port presents expires within
    /// `--warn-days`.
    OtherCertExpiring = "other-cert-expiring",
    /// The chain a `--tls-port` port presents does not validate.
    OtherCertUntrusted = "other-cert-untrusted",
    /// A load balancer's VIP presents another certificate than the servers
    /// behind it present on 443 (Extended Protection needs the same one).
    LbCertMismatch = "lb-cert-mismatch",
    /// The certificate a load balancer's VIP presents has expired.
    LbCertExpired = "lb-cert-expired",
    /// The VIP's certificate expires within `--warn-days`.
    LbCertExpiring = "lb-cert-expiring",
    /// The chain a VIP presents does not validate.
    LbCertUntrusted = "lb-cert-untrusted",
    /// The VIP's certificate does not cover the namespace it serves.
    LbNameMismatch = "lb-name-mismatch",
}

impl FindingId {
    /// The organisation's Auth certificate: `auth-cert-*`.
    pub fn is_auth(self) -> bool {
        matches!(
            self,
            FindingId::AuthCertExpired
                | FindingId::AuthCertExpiring
                | FindingId::AuthCertMissing
                | FindingId::AuthCertNotReplicated
        )
    }
}

impl std::fmt::Display for FindingId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem found on an endpoint (or, with `--inventory`, on a server's
/// store). Serialised by hand ([`json`]): scan.json's `remediation` is
/// rendered from the steps when it is written, not kept in memory.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Finding {
    /// Stable id from the catalogue.
    pub id: FindingId,
    /// How urgent, from the catalogue; an expiry warning turns critical within
    /// `--critical-days`.
    pub severity: Severity,
    /// One line saying what is wrong. Borrowed from the catalogue when the
    /// analysis made the finding: a large scan holds every finding.
    pub title: Cow<'static, str>,
    /// The concrete facts: dates, days left, thumbprint. Held as a
    /// template once the analysis is done: read it with `text()` or
    /// `Display`.
    pub detail: template::Detail,
    /// What to do, as read from a scan.json (kept, since a file written by
    /// an older excert may have the text and no steps). Empty when the
    /// analysis made the finding: the text is then rendered from
    /// `remediation_steps` on demand. Read it with
    /// [`Finding::remediation_text`]; scan.json always has the text.
    pub remediation: String,
    /// The same steps as data.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remediation_steps: Vec<Step>,
    /// The store certificate the finding is about (its SHA-1 thumbprint),
    /// for findings about one certificate in a server's store
    /// (`--inventory`); absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbprint: Option<String>,
}

/// What a remediation step achieves. The steps themselves are written in
/// `crate::analyze::remediation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Task {
    /// Renew the server's own "Microsoft Exchange" certificate.
    RenewBackend,
    /// Copy a certificate to Trusted Root Certification Authorities.
    TrustCertificate,
    /// Bind a certificate to Exchange Back End https/444.
    BindBackend,
    /// Find (or create) the server's own "Microsoft Exchange" certificate.
    FindOwnCertificate,
    /// Run iisreset at a safe time.
    Iisreset,
    /// Enable IIS on a public certificate that already exists.
    EnablePublic,
    /// Get a new public certificate from the CA.
    ReplacePublic,
    /// Fix the chain the server presents (a missing intermediate).
    ImportIntermediate,
    /// Bind a certificate that is valid now.
    BindValidCertificate,
    /// Check the IIS bindings of a site.
    CheckBinding,
    /// Change the protocols the server accepts.
    ConfigureProtocols,
    /// Find out why an endpoint could not be scanned.
    CheckEndpoint,
    /// Do the same on the other servers.
    RepeatOnOtherServers,
    /// Scan again to check the fix.
    Verify,
    /// Remove a replaced certificate once nothing refers to it.
    RemoveOldCertificate,
    /// Re-create the Edge Subscription after a certificate change on Edge.
    RecreateEdgeSubscription,
    /// Create and publish a new Auth certificate (`--inventory`).
    RotateAuthCert,
    /// Copy the Auth certificate into a server's store (`--inventory`).
    ImportAuthCert,
    /// Enable a renewed certificate that waits in the store (`--inventory`).
    EnableRenewed,
    /// Point a hybrid connector at a valid certificate (`--inventory`).
    UpdateHybridConnector,
    /// Enable a certificate for SMTP, IMAP or POP (`Enable-ExchangeCertificate
    /// -Services SMTP`).
    EnableTransport,
    /// Check or set a connector's `TlsCertificateName` after a renewal.
    CheckConnector,
    /// Make a mail port offer STARTTLS again.
    OfferStarttls,
    /// Import a certificate from a PFX file onto a server.
    ImportCertificate,
    /// Restart the services that cache a certificate (Auth rotation).
    RestartServices,
    /// Plan the move off a version past its end of support.
    PlanUpgrade,
    /// Make a new certificate for SMTP on an Edge Transport server, in its
    /// own shell: it becomes the default SMTP certificate, which EdgeSync
    /// presents (a new Edge Subscription follows).
    RenewEdgeCertificate,
    /// Put a certificate on a load balancer's virtual service (not an
    /// Exchange server: no Exchange cmdlet runs against it).
    ConfigureLoadBalancer,
    /// Turn TLS 1.3 off (SCHANNEL, server and client) where the Exchange
    /// build does not support it: one command, the same on every such
    /// server, unlike aligning a server's TLS versions with its peers.
    DisableTls13,
}

/// One thing to do, with everything needed to do it. Serialised by hand
/// ([`json`]): the command is written out as `powershell`. Two steps are
/// equal when they read the same, however their text is held.
#[derive(Debug, Clone)]
pub struct Step {
    /// What the step achieves, e.g. `renew-backend`.
    pub task: Task,
    /// The server to do it on; empty when it applies to every server.
    /// Shared: a large fleet names each server in many steps; held by a
    /// one-word pointer, as are the thumbprints.
    pub server: Arc<String>,
    /// The port of the IIS site concerned, when the step is about one site.
    pub port: Option<u16>,
    /// SHA-1 thumbprints the step names, as Get-ExchangeCertificate shows them.
    /// Shared, so the copy of a step in its server's verdict costs no
    /// second list, and held by a one-word pointer: a large scan holds
    /// hundreds of thousands of steps.
    pub thumbprints: Arc<Vec<String>>,
    /// The prose and the command, held together and shared: once the
    /// analysis is done the prose is a template ([`template`]) and the
    /// command names its server only as `'<server>'`, so the same step on
    /// every server is one record. Read them with [`Step::text`] and
    /// [`Step::command`]; `server` and the thumbprints already listed are
    /// not changed after that (a thumbprint may still be added).
    pub words: Arc<json::StepWords>,
}

/// The no-SNI probe of an endpoint, analysed (`--also-no-sni`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoSniReport {
    /// What became of the no-SNI attempt.
    pub status: Status,
    /// Why it failed, in words; null when `status` is `ok`.
    pub error: Option<String>,
    /// What its handshake showed; null unless `status` is `ok`.
    pub tls: Option<TlsInfo>,
    /// The chain presented without SNI, leaf first, analysed like `chain`.
    pub chain: Vec<Arc<CertFacts>>,
}

/// One endpoint in scan.json: the evidence plus what analysis made of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointReport {
    /// The endpoint as targeted; its fields sit directly in this JSON object.
    #[serde(flatten)]
    pub endpoint: Endpoint,
    /// What became of the probe; a chain is read only when it is `ok`.
    pub status: Status,
    /// Why the probe failed, in words; null when `status` is `ok`.
    pub error: Option<String>,
    /// What the handshake showed; null unless `status` is `ok`.
    pub tls: Option<TlsInfo>,
    /// The chain, leaf first, as presented; empty when none was read.
    /// Shared: a fleet presents a few distinct certificates many times
    /// over, and the analysis keeps one copy of each (JSON is unchanged).
    pub chain: Vec<Arc<CertFacts>>,
    /// What a mail port said before TLS (`smtp`, `imap`, `pop`).
    #[serde(flatten)]
    pub dialogue: Dialogue,
    /// The probe without SNI (`--also-no-sni`); absent otherwise. Boxed:
    /// most endpoints have none, and every endpoint report is held until
    /// the reports are written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub no_sni: Option<Box<NoSniReport>>,
    /// Chain validation; null when no chain was read.
    #[serde(default)]
    pub trust: Option<Trust>,
    /// Everything found on this endpoint, fleet-level findings included.
    pub findings: Vec<Finding>,
    /// This frontend presents an older public certificate than most of the
    /// fleet ([`FindingId::PublicCertInconsistent`]): binding the fleet's certificate
    /// fixes it, no renewal needed. Written only when true.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub lags_fleet: bool,
}

impl EndpointReport {
    /// The leaf certificate, when a chain was read.
    pub fn leaf(&self) -> Option<&CertFacts> {
        self.chain.first().map(|c| &**c)
    }

    /// The most severe finding's severity; `None` when there is no finding.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).min()
    }
}

/// A server's verdict, in precedence order (first is acted on first).
/// `crate::analyze::verdict` explains the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// 443 lost the public certificate, or serves an expiring one while a newer
    /// one is already rolled out: enable the newest valid one for IIS.
    RebindPublicCert,
    /// The "Microsoft Exchange" certificate on 444 is expired or expiring.
    RenewBackend,
    /// The public certificate is expiring, untrusted or misnamed.
    RenewPublicCert,
    /// The organisation's Auth certificate needs rotating (`--inventory`).
    RotateAuthCert,
    /// An SMTP, IMAP or POP port presents an expired, expiring or wrong
    /// certificate, or offers no STARTTLS; or an Edge server's EdgeSync
    /// LDAPS presents an expired or expiring one.
    FixTransportCert,
    /// 444 is bound to the wrong certificate.
    FixBackendBinding,
    /// An endpoint could not be scanned.
    Investigate,
    /// Other warnings (a missing intermediate, TLS 1.2 not enabled).
    Review,
    /// Nothing to do.
    Ok,
    /// A load balancer's VIP presents a certificate to replace on the
    /// balancer: expired, expiring, untrusted, misnamed, or another one
    /// than the servers behind it. Last in declaration only because
    /// variants are added at the end; a VIP's verdict is decided apart
    /// from the servers' (`crate::analyze::balancer`).
    FixLoadBalancerCert,
}

impl Verdict {
    /// The string scan.json and the report use.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::RenewBackend => "renew-backend",
            Verdict::RebindPublicCert => "rebind-public-cert",
            Verdict::RenewPublicCert => "renew-public-cert",
            Verdict::RotateAuthCert => "rotate-auth-cert",
            Verdict::FixTransportCert => "fix-transport-cert",
            Verdict::FixBackendBinding => "fix-backend-binding",
            Verdict::Investigate => "investigate",
            Verdict::Review => "review",
            Verdict::Ok => "ok",
            Verdict::FixLoadBalancerCert => "fix-load-balancer-cert",
        }
    }
}

/// One server (host) with its overall verdict. Serialised by hand
/// ([`json`]), like [`Finding`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ServerReport {
    /// The host as its first endpoint names it (names differing only in case
    /// are one server). A server known only from `--inventory` has no endpoints.
    pub host: String,
    /// The worst finding across its endpoints and store, or `ok`.
    pub severity: Grade,
    /// The first thing to do on this server.
    pub verdict: Verdict,
    /// The verdict in a sentence.
    #[serde(default)]
    pub summary: String,
    /// Numbered steps as read from a scan.json; empty when the analysis
    /// made the report (rendered from `remediation_steps` on demand). Read
    /// it with [`ServerReport::remediation_lines`]; scan.json always has
    /// the numbered steps (empty when there is nothing to do).
    #[serde(default)]
    pub remediation: Vec<String>,
    /// The same steps as data, in the same order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remediation_steps: Vec<Step>,
    /// Indexes into `endpoints`.
    pub endpoints: Vec<usize>,
    /// DAG, site, role and version carried from the input; absent when empty.
    #[serde(default, skip_serializing_if = "SharedGroup::is_empty")]
    pub group: SharedGroup,
    /// Findings about the server's certificate store (`--inventory`),
    /// shaped like endpoint findings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<Finding>,
    /// The server's store view: indexes into `inventory.certificates`,
    /// soonest expiry first (`--inventory`), so renderers need no join.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub store: Vec<usize>,
}

/// What concerns the whole organisation rather than one server
/// (`--inventory`): the Auth certificate, which every Exchange server
/// shares. Its findings are reported once here, not per server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Organisation {
    /// The worst organisation finding, or `ok`.
    pub severity: Grade,
    /// What to do, in a sentence; empty when nothing needs action.
    #[serde(default)]
    pub summary: String,
    /// `auth-cert-expired`, `auth-cert-expiring`, `auth-cert-missing`, each
    /// at most once.
    #[serde(default)]
    pub findings: Vec<Finding>,
    /// The organisation-level procedure, in order (run once, on the server
    /// each step names).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub remediation_steps: Vec<Step>,
    /// The current Auth certificate: Get-AuthConfig's, else the newest Auth
    /// certificate in the stores; null when neither is known.
    #[serde(default)]
    pub auth_thumbprint: Option<String>,
    /// Its expiry; null when no exported store holds it.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub auth_not_after: Option<OffsetDateTime>,
    /// The next Auth certificate AuthConfig stages; null when none.
    #[serde(default)]
    pub auth_next_thumbprint: Option<String>,
    /// Servers whose exported store lacks the current Auth certificate.
    #[serde(default)]
    pub auth_missing_on: Vec<String>,
}

/// The program that wrote the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolInfo {
    /// Always `excert`.
    pub name: String,
    /// The excert version (Cargo package version), e.g. `0.1.0`.
    pub version: String,
}

impl Default for ToolInfo {
    fn default() -> Self {
        ToolInfo {
            name: "excert".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// The settings the scan and the analysis ran with, kept as evidence.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Parameters {
    /// `--frontend-ports`: the ports probed as the Default Web Site.
    pub frontend_ports: Vec<u16>,
    /// `--backend-ports`: the ports probed as the Exchange Back End.
    pub backend_ports: Vec<u16>,
    /// `--timeout` in seconds; 0 when nothing was probed (a store-only report).
    pub timeout_secs: f64,
    /// `--concurrency`: endpoints probed at once; 0 when nothing was probed.
    pub concurrency: usize,
    /// `--warn-days`: an expiry within this many days is a warning.
    pub warn_days: i64,
    /// `--critical-days`: an expiry within this many days is critical.
    pub critical_days: i64,
    /// `--namespace NAME`: client names every site's public certificate must
    /// cover.
    pub namespaces: Vec<String>,
    /// `--namespace SITE:NAME`, by site.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub site_namespaces: std::collections::BTreeMap<String, Vec<String>>,
    /// Where no `--namespace` applied: the names common to the site's valid
    /// CA-issued 443 certificates, by site (`*` for servers with no known
    /// site), which the name check used instead.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub inferred_namespaces: std::collections::BTreeMap<String, Vec<String>>,
    /// The `--ca-bundle` files whose roots were trusted, as given.
    pub ca_bundles: Vec<String>,
    /// Whether TLS versions were mapped (false with `--no-protocol-scan`).
    #[serde(default)]
    pub protocol_scan: bool,
    /// `--smtp-ports`; absent when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub smtp_ports: Vec<u16>,
    /// `--imap-ports`; absent when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub imap_ports: Vec<u16>,
    /// `--pop-ports`; absent when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pop_ports: Vec<u16>,
    /// `--edgesync-ports`: the ports Edge servers were probed on as
    /// EdgeSync LDAPS; absent when empty (`none`, or an older scan).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub edgesync_ports: Vec<u16>,
    /// `--tls-port LABEL:PORT`: the extra implicit-TLS ports probed on
    /// every server, with their labels; absent when none was given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tls_ports: Vec<TlsPort>,
    /// `--load-balancer NAME[=ADDR]`, in the order given; absent when none
    /// was given. VIPs named in a targets CSV's `LoadBalancer` column are
    /// not repeated here: their endpoints' `source` names the file and row.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub load_balancers: Vec<LoadBalancer>,
}

/// One `--load-balancer NAME[=ADDR]`, as a saved scan records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoadBalancer {
    /// The namespace the VIP serves, lowercase: sent as SNI.
    pub namespace: String,
    /// The VIP's address or name as given (`ADDR`); null when the
    /// namespace itself was resolved.
    #[serde(default)]
    pub address: Option<String>,
}

/// One `--tls-port LABEL:PORT`: an implicit-TLS port probed on every
/// server as role `other`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TlsPort {
    /// What the port is, as the admin named it (`wmsvc`, `um`):
    /// lowercase letters, digits, `-` and `_`.
    pub label: String,
    /// The TCP port.
    pub port: u16,
}

/// A target line that could not be used (`--skip-invalid`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvalidTarget {
    /// The file it was read from (`-` for stdin, `args` for the command line).
    pub file: String,
    /// 1-based line number.
    pub line: usize,
    /// The line as read.
    pub text: String,
    /// What is wrong with it.
    pub error: String,
}

/// Backend certs that expire close together: servers installed together
/// fall over together.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpiryCliff {
    /// The earliest expiry in the cliff.
    #[serde(with = "time::serde::rfc3339")]
    pub from: OffsetDateTime,
    /// The latest expiry in the cliff, at most three weeks after `from`.
    #[serde(with = "time::serde::rfc3339")]
    pub to: OffsetDateTime,
    /// The servers whose backend certificates expire in that window.
    pub hosts: Vec<String>,
}

/// The whole of scan.json.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanReport {
    /// The scan.json layout version: [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The program and version that wrote the report.
    pub tool: ToolInfo,
    /// When the scan started (UTC).
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    /// When the scan finished (UTC).
    #[serde(with = "time::serde::rfc3339")]
    pub finished_at: OffsetDateTime,
    /// The time certificates were judged at: `--as-of`, else when the scan
    /// ran (`excert report` keeps the saved scan's). Days left and expiry
    /// are counted from it.
    #[serde(with = "time::serde::rfc3339")]
    pub as_of: OffsetDateTime,
    /// False when the scan was interrupted: some endpoints were not probed.
    #[serde(default = "yes")]
    pub complete: bool,
    /// The settings the scan and analysis ran with.
    #[serde(default)]
    pub parameters: Parameters,
    /// Every endpoint targeted and not skipped, with what analysis made of
    /// it; `status` says whether its chain was read.
    pub endpoints: Vec<EndpointReport>,
    /// One entry per server, with its verdict.
    pub servers: Vec<ServerReport>,
    /// Groups of backend certificates expiring within three weeks of each
    /// other on two or more servers.
    #[serde(default)]
    pub expiry_cliffs: Vec<ExpiryCliff>,
    /// Target lines that could not be used (`--skip-invalid`); empty otherwise.
    #[serde(default)]
    pub invalid_targets: Vec<InvalidTarget>,
    /// Ports not scanned because the server's role or version has no such
    /// site (from the targets CSV or `--role`).
    #[serde(default)]
    pub skipped_endpoints: Vec<SkippedEndpoint>,
    /// The scans `excert report` merged into this one, oldest first; empty
    /// for a single scan.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_from: Vec<MergedScan>,
    /// The certificate stores from the admin's exports (`--inventory`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inventory: Option<Inventory>,
    /// Organisation-level findings (the Auth certificate); absent without
    /// `--inventory`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation: Option<Organisation>,
}

/// One input of a merged report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergedScan {
    /// The scan.json as given on the command line.
    pub file: String,
    /// When that scan started.
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    /// When that scan finished.
    #[serde(with = "time::serde::rfc3339")]
    pub finished_at: OffsetDateTime,
    /// That scan's as-of time.
    #[serde(with = "time::serde::rfc3339")]
    pub as_of: OffsetDateTime,
    /// False when that scan was interrupted.
    pub complete: bool,
    /// Endpoints in that scan.
    pub endpoints: usize,
    /// Of those, how many were kept (not replaced by a newer observation).
    pub kept: usize,
}

fn yes() -> bool {
    true
}

impl EndpointReport {
    /// Rebuild the evidence this report was made from, for re-analysis.
    pub fn to_evidence(&self) -> EndpointEvidence {
        EndpointEvidence {
            endpoint: self.endpoint.clone(),
            observation: Observation {
                status: self.status,
                error: self.error.clone(),
                tls: self.tls.clone(),
                chain: self.chain.iter().map(|c| c.der_base64.clone()).collect(),
                dialogue: self.dialogue.clone(),
            },
            no_sni: self.no_sni.as_ref().map(|n| {
                Box::new(Observation {
                    status: n.status,
                    error: n.error.clone(),
                    tls: n.tls.clone(),
                    chain: n.chain.iter().map(|c| c.der_base64.clone()).collect(),
                    dialogue: Dialogue::default(),
                })
            }),
        }
    }
}

/// Where a store record came from: the export file and the 1-based object
/// (CLIXML) or line (CSV) in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventorySource {
    /// The export file as given to `--inventory`.
    pub file: String,
    /// The 1-based object (CLIXML) or data line (CSV) within it.
    pub object: usize,
}

impl CertFacts {
    /// The expiry date as text, or `unknown` for a certificate that could
    /// not be parsed.
    pub fn not_after_text(&self) -> String {
        date_text(self.not_after)
    }

    /// The start date as text, or `unknown`.
    pub fn not_before_text(&self) -> String {
        date_text(self.not_before)
    }

    /// Whether the certificate has expired at `t`; false when its dates are
    /// unknown (an unparsable certificate gets `cert-unparsable` instead).
    pub fn expired_at(&self, t: OffsetDateTime) -> bool {
        self.not_after.is_some_and(|a| a <= t)
    }
}

fn date_text(t: Option<OffsetDateTime>) -> String {
    t.map_or_else(|| "unknown".to_string(), |t| t.date().to_string())
}

/// One certificate in one server's store, from the admin's export
/// (`--inventory`). The evidence is `der_base64` when the export carried the
/// DER (CLIXML); a CSV record keeps the columns it had.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreCertificate {
    /// The server whose store holds it (from `Identity`, else `PSComputerName`).
    pub server: String,
    /// SHA-1 of the DER, upper-case hex, as PowerShell shows it.
    pub thumbprint: String,
    /// Null when the export does not carry it.
    pub friendly_name: Option<String>,
    /// E.g. `["IMAP","POP","IIS","SMTP"]`; null when unknown.
    pub services: Option<Vec<ExchangeService>>,
    /// Start of validity (UTC), from the DER or the export's `NotBefore`.
    #[serde(with = "time::serde::rfc3339")]
    pub not_before: OffsetDateTime,
    /// End of validity (UTC), from the DER or the export's `NotAfter`.
    #[serde(with = "time::serde::rfc3339")]
    pub not_after: OffsetDateTime,
    /// The subject distinguished name, from the DER or the export's `Subject`.
    pub subject: String,
    /// The issuer distinguished name, from the DER or the export's `Issuer`.
    pub issuer: String,
    /// Self-signed: verified from the DER when the export carried it, else the
    /// export's `IsSelfSigned`, else subject equals issuer.
    pub self_signed: bool,
    /// What kind of certificate this is, like a chain certificate's.
    pub classification: Classification,
    /// Why the classification was chosen, e.g. from the friendly name.
    #[serde(default)]
    pub classification_reason: Option<String>,
    /// The export record this came from.
    pub source: InventorySource,
    /// `Status` as exported (`Valid`, `DateInvalid`, ...), if any.
    #[serde(default)]
    pub status: Option<String>,
    /// The export gave dates without a UTC offset; UTC was assumed.
    #[serde(default)]
    pub dates_assumed_utc: bool,
    /// Whole days from the as-of time to not_after (negative once expired).
    #[serde(default)]
    pub days_left: i64,
    /// DNS names (SAN, or `CertificateDomains`), when known.
    #[serde(default)]
    pub names: Vec<String>,
    /// Where the scan saw this certificate presented, e.g. `["443"]`.
    #[serde(default)]
    pub bound: Vec<String>,
    /// The certificate's DER, when the export carried it (CLIXML `RawData` or
    /// `SerializationData`); absent otherwise (a CSV export).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub der_base64: Option<Der>,
}

/// The organisation's OAuth (Auth certificate) configuration, from
/// `Get-AuthConfig`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthConfig {
    /// SHA-1 thumbprint of the current Auth certificate (uppercase hex); null
    /// when not set.
    pub current_thumbprint: Option<String>,
    /// The next Auth certificate (`Set-AuthConfig -NewCertificateThumbprint`),
    /// which takes over at `next_effective_date`; null when none is set.
    pub next_thumbprint: Option<String>,
    /// When the next certificate takes over (RFC 3339); null when none is
    /// set.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub next_effective_date: Option<OffsetDateTime>,
    /// The certificate replaced by the current one; null when none.
    pub previous_thumbprint: Option<String>,
    /// The export record this came from; absent when unknown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<InventorySource>,
}

/// One `Get-ExchangeServer` record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeServerInfo {
    /// The server's name (`Name`).
    pub name: String,
    /// `Fqdn`; null when the export lacks it.
    pub fqdn: Option<String>,
    /// The AD site (`Site`); null when the export lacks it.
    pub site: Option<String>,
    /// `ServerRole`, e.g. `Mailbox` or `Edge`; null when the export lacks it.
    pub role: Option<String>,
    /// `AdminDisplayVersion`, e.g. `Version 15.2 (Build 1544.4)`; null when
    /// the export lacks it.
    pub version: Option<String>,
    /// The export record this came from.
    pub source: InventorySource,
}

/// One receive or send connector (`Get-ReceiveConnector`, `Get-SendConnector`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connector {
    /// `receive` or `send`.
    pub kind: ConnectorKind,
    /// The connector's name.
    pub name: String,
    /// The server it runs on (receive connectors), or its source transport
    /// servers (send connectors).
    pub servers: Vec<String>,
    /// The connector's `Fqdn` (the name it announces); null when not set.
    pub fqdn: Option<String>,
    /// `<I>issuer<S>subject`, when set.
    pub tls_certificate_name: Option<String>,
    /// Carries hybrid mail, as HealthChecker decides: a receive connector
    /// whose `TlsDomainCapabilities` has an `AcceptCloudServicesMail` entry,
    /// a send connector with `CloudServicesMailEnabled`.
    pub hybrid: bool,
    /// The export record this came from.
    pub source: InventorySource,
    /// A receive connector's `Bindings` (`0.0.0.0:25`, `[::]:25`); empty for
    /// send connectors or when not exported.
    #[serde(default)]
    pub bindings: Vec<String>,
    /// A receive connector's `TlsDomainCapabilities`
    /// (`mail.protection.outlook.com:AcceptCloudServicesMail`).
    #[serde(default)]
    pub tls_domain_capabilities: Vec<String>,
    /// A send connector's `SmartHosts`; empty when it uses DNS.
    #[serde(default)]
    pub smart_hosts: Vec<String>,
    /// A send connector's `TlsAuthLevel` (`CertificateValidation`,
    /// `DomainValidation`, ...); null when not set.
    #[serde(default)]
    pub tls_auth_level: Option<String>,
}

/// An export object that could not be read whole: skipped, or read from its
/// plain properties only. The rest of the file was read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryWarning {
    /// The export file as given to `--inventory`.
    pub file: String,
    /// The 1-based line where the object starts.
    pub line: usize,
    /// The 1-based object in the file.
    pub object: usize,
    /// What was wrong, and what was done about it.
    pub message: String,
}

/// Two records for one server and certificate that disagree on a field.
/// The record backed by the certificate's DER is kept, whatever the file
/// order; between equals, the first read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryConflict {
    /// The server whose store holds the certificate.
    pub server: String,
    /// The certificate's thumbprint.
    pub thumbprint: String,
    /// The field they disagree on (`not_after`, `services`, ...).
    pub field: String,
    /// The kept record's value, as text (empty when it has none).
    pub kept: String,
    /// Where the kept record came from.
    pub kept_source: InventorySource,
    /// The dropped record's value, as text.
    pub dropped: String,
    /// Where the dropped record came from.
    pub dropped_source: InventorySource,
}

/// What the admin's exports said about the stores (`--inventory`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    /// Every certificate in every exported store.
    pub certificates: Vec<StoreCertificate>,
    /// The organisation's `Get-AuthConfig`; null without that export.
    pub auth_config: Option<AuthConfig>,
    /// The `Get-ExchangeServer` records, when exported.
    #[serde(default)]
    pub exchange_servers: Vec<ExchangeServerInfo>,
    /// The receive and send connectors, when exported.
    #[serde(default)]
    pub connectors: Vec<Connector>,
    /// The export files read.
    #[serde(default)]
    pub files: Vec<String>,
    /// Objects that could not be read whole (the rest was read).
    #[serde(default)]
    pub warnings: Vec<InventoryWarning>,
    /// Records for one server and certificate that disagreed, and which won.
    #[serde(default)]
    pub conflicts: Vec<InventoryConflict>,
}

#[cfg(test)]
mod name_tests {
    use super::*;

    /// `as_str` of every listed variant is its serde name, and reads back.
    /// The list also feeds an exhaustive `match`, so a variant added to the
    /// enum but not here stops this test from compiling.
    macro_rules! as_str_is_serde_name {
        ($ty:ident: $($variant:ident),+ $(,)?) => {{
            let _exhaustive = |x: $ty| match x {
                $($ty::$variant)|+ => (),
            };
            for x in [$($ty::$variant),+] {
                let name = serde_json::Value::from(x.as_str());
                assert_eq!(serde_json::to_value(x).ok(), Some(name.clone()), "{x:?}");
                assert_eq!(serde_json::from_value::<$ty>(name).ok(), Some(x));
            }
        }};
    }

    #[test]
    fn status_names_are_serde_names() {
        as_str_is_serde_name!(Status: Ok, Refused, Timeout, Unreachable, NotTls,
            HandshakeFailed, DnsFailed, Cancelled, NoStarttls);
    }

    #[test]
    fn role_names_are_serde_names() {
        as_str_is_serde_name!(Role: Frontend, Backend, Smtp, Imap, Pop, LoadBalancer, Edgesync, Other);
    }

    #[test]
    fn grade_names_are_serde_names() {
        as_str_is_serde_name!(Grade: Critical, Warning, Info, Ok);
    }

    #[test]
    fn severity_names_are_serde_names() {
        as_str_is_serde_name!(Severity: Critical, Warning, Info);
    }

    #[test]
    fn classification_names_are_serde_names() {
        as_str_is_serde_name!(Classification: ExchangeSelfSigned, ExchangeAuth, Wmsvc,
            SelfSigned, CaIssued, Unparsable);
    }
}

#[cfg(test)]
mod size_tests {
    use super::*;

    /// A large scan holds one `EndpointReport` per endpoint and several
    /// `Step`s per finding until the reports are written: growing either
    /// shows at once in peak memory (`bench/run.sh memory`).
    #[test]
    fn records_held_per_endpoint_stay_small() {
        let (endpoint, step) = (size_of::<EndpointReport>(), size_of::<Step>());
        let server = size_of::<ServerReport>();
        println!("EndpointReport {endpoint} bytes, Step {step} bytes, ServerReport {server} bytes");
        assert!(endpoint <= 368, "EndpointReport is {endpoint} bytes");
        assert!(step <= 32, "Step is {step} bytes");
        assert!(server <= 184, "ServerReport is {server} bytes");
        assert_eq!(size_of::<SharedGroup>(), size_of::<usize>());
    }

    /// A shared group reads, serialises and changes as a `Group` of its
    /// own would.
    #[test]
    fn a_shared_group_is_a_group() -> Result<(), serde_json::Error> {
        let empty = SharedGroup::from(Group::default());
        assert!(empty.is_empty() && empty.0.is_none());
        assert_eq!(serde_json::to_string(&empty)?, "{}");
        let hq = SharedGroup::from(Group {
            site: Some("HQ".into()),
            ..Group::default()
        });
        let mut other = hq.clone();
        other.site = Some("Branch".into());
        assert_eq!(hq.site.as_deref(), Some("HQ"));
        assert_eq!(serde_json::to_string(&other)?, r#"{"site":"Branch"}"#);
        let read: SharedGroup = serde_json::from_str(r#"{"site":"HQ"}"#)?;
        assert_eq!(read, hq);
        Ok(())
    }
}
