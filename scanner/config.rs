//! What the command line means: validated settings with defaults resolved.
//!
//! [`crate::cli`] holds what was typed; this module turns it into what it
//! means. Everything past here works with these types and never with raw
//! flags. Loading trust roots and parsing `--as-of` happen
//! here, so that `analyze` stays free of I/O and of the clock.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;

use crate::analyze::trust::TrustRoots;
use crate::cli::{self, FailOn};
use crate::error::Error;
use crate::report::outputs::NamedPath;

/// Default `--warn-days`, as HealthChecker grades (60 days fine, under 30 red).
pub const DEFAULT_WARN_DAYS: i64 = 60;
/// Default `--critical-days` (HealthChecker's red).
pub const DEFAULT_CRITICAL_DAYS: i64 = 30;

/// Inputs for `analyze`: everything that changes a verdict.
#[derive(Debug, Clone)]
pub struct AnalysisSettings {
    /// The time certificates are judged at (`--as-of`, else now, or the
    /// saved scan's for `excert report`).
    pub as_of: OffsetDateTime,
    /// An expiry within this many days is a warning.
    pub warn_days: i64,
    /// An expiry within this many days is critical; never above `warn_days`.
    pub critical_days: i64,
    /// Client-facing names, lowercase.
    pub namespaces: Vec<String>,
    /// `--namespace SITE:NAME`: names for one AD site, lowercase, by site.
    pub site_namespaces: std::collections::BTreeMap<String, Vec<String>>,
    /// webpki-roots, the OS store and every `--ca-bundle`, loaded once.
    pub roots: Arc<TrustRoots>,
    /// The `--ca-bundle` paths, kept for the report's parameters.
    pub ca_bundles: Vec<String>,
}

/// How the probe behaves.
#[derive(Debug, Clone)]
pub struct ProbeOptions {
    /// Each TCP connect (`--connect-timeout`, else `--timeout`).
    pub connect_timeout: Duration,
    /// Each handshake (and each read within it).
    pub handshake_timeout: Duration,
    /// Hard cap on everything one endpoint may cost.
    pub endpoint_deadline: Duration,
    /// Endpoints in the TLS phase at once (`--concurrency`).
    pub concurrency: usize,
    /// Connections at once to one IP, to stay polite.
    pub per_address: usize,
    /// Retries after a connect timeout, and only then (`--retries`).
    pub retries: u32,
    /// Map the TLS versions each endpoint accepts (off with
    /// `--no-protocol-scan`).
    pub protocol_scan: bool,
    /// Probe a second time without SNI (`--also-no-sni`).
    pub also_no_sni: bool,
    /// Show a progress bar on stderr.
    pub progress: bool,
}

impl Default for ProbeOptions {
    fn default() -> Self {
        ProbeOptions {
            connect_timeout: Duration::from_secs(5),
            handshake_timeout: Duration::from_secs(5),
            endpoint_deadline: Duration::from_secs(30),
            concurrency: 256,
            per_address: 2,
            retries: 1,
            protocol_scan: true,
            also_no_sni: false,
            progress: false,
        }
    }
}

/// Where the target list comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// One target typed on the command line.
    Arg(String),
    /// A `--targets-file`.
    File(PathBuf),
    /// `-`: targets read from standard input.
    Stdin,
}

/// How targets become endpoints.
#[derive(Debug, Clone, Default)]
pub struct TargetOptions {
    /// HOST arguments, then `--targets-file`s, in order; `-` is stdin.
    pub inputs: Vec<Input>,
    /// Ports probed as the Default Web Site (`--frontend-ports`).
    pub frontend_ports: Vec<u16>,
    /// Ports probed as the Exchange Back End (`--backend-ports`).
    pub backend_ports: Vec<u16>,
    /// SMTP ports (STARTTLS).
    pub smtp_ports: Vec<u16>,
    /// IMAP ports (implicit TLS on 993, STARTTLS elsewhere).
    pub imap_ports: Vec<u16>,
    /// POP3 ports (implicit TLS on 995, STLS elsewhere).
    pub pop_ports: Vec<u16>,
    /// EdgeSync LDAPS ports (implicit TLS), probed on Edge servers only
    /// (`--edgesync-ports`).
    pub edgesync_ports: Vec<u16>,
    /// `--tls-port LABEL:PORT`: implicit-TLS ports probed on every server
    /// as role `other`, in the order given.
    pub tls_ports: Vec<crate::model::TlsPort>,
    /// `--column`: the CSV column holding the host, when not the default.
    pub column: Option<String>,
    /// `--resolve` pins, names lowercase.
    pub pins: Vec<(String, IpAddr)>,
    /// Scan every address a name resolves to (`--all-addresses`).
    pub all_addresses: bool,
    /// `--sni`: the server name sent to every endpoint instead of its own.
    pub sni: Option<String>,
    /// Expand CIDR ranges of more than 65,536 addresses.
    pub allow_large_ranges: bool,
    /// Scan the valid targets and list the bad lines (`--skip-invalid`).
    pub skip_invalid: bool,
    /// `--role HOST=ROLE`: host (lowercase) and canonical role list.
    pub roles: Vec<(String, String)>,
    /// `--site HOST=SITE`: host (lowercase) and site name.
    pub sites: Vec<(String, String)>,
    /// `--load-balancer NAME[=ADDR]`: the VIPs to probe, in the order given.
    pub balancers: Vec<Balancer>,
}

/// One `--load-balancer NAME[=ADDR]`, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Balancer {
    /// The namespace the VIP serves, lowercase: sent as SNI, and the name
    /// its certificate must cover.
    pub namespace: String,
    /// The VIP as given: an IP address, or a name to resolve; `None` when
    /// the namespace itself is resolved.
    pub vip: Option<String>,
}

/// Where and how to write.
#[derive(Debug, Clone)]
pub struct OutputOptions {
    /// The folder for scan.json, report.csv and report.html (`--out`).
    pub out_dir: PathBuf,
    /// `--csv-findings`: one CSV row per finding.
    pub csv_findings: Option<PathBuf>,
    /// `--prom`: the Prometheus textfile to write.
    pub prom: Option<PathBuf>,
    /// Print nothing but errors (`--quiet`).
    pub quiet: bool,
    /// The lowest severity that makes the exit code non-zero.
    pub fail_on: FailOn,
    /// Colour in the terminal summary.
    pub color: bool,
    /// Every server and step in the terminal summary (`--verbose`).
    pub verbose: bool,
}

/// Shortest timeout accepted: below this no TLS handshake can complete,
/// even on loopback, and every endpoint would be reported as a timeout.
pub const MIN_TIMEOUT_SECS: f64 = 0.01;

fn secs(value: f64, flag: &str) -> Result<Duration, Error> {
    if !(value.is_finite() && (MIN_TIMEOUT_SECS..=3600.0).contains(&value)) {
        return Err(Error::usage(format!(
            "{flag} must be between {MIN_TIMEOUT_SECS} and 3600 seconds, got {value}"
        )));
    }
    Ok(Duration::from_secs_f64(value))
}

/// A name typed as `--namespace` or `--sni`: a DNS name as it is sent and
/// matched (wildcards allowed for namespaces), never empty, no spaces or
/// control characters.
fn check_dns_name(flag: &str, text: &str, wildcard: bool) -> Result<(), Error> {
    let name = if wildcard {
        text.strip_prefix("*.").unwrap_or(text)
    } else {
        text
    };
    let valid = crate::targets::parse::check_name(name).is_ok()
        && rustls_pki_types::DnsName::try_from(name).is_ok();
    if valid {
        return Ok(());
    }
    Err(Error::usage(format!(
        "{flag} {:?}: not a DNS name (letters, digits, '-' and '.', e.g. mail.contoso.com)",
        crate::text::excerpt(text)
    )))
}

impl ProbeOptions {
    /// Check the probe flags and derive the endpoint deadline; a progress
    /// bar only on a terminal and without `--quiet`.
    pub fn from_args(a: &cli::ProbeArgs, quiet: bool) -> Result<Self, Error> {
        let handshake_timeout = secs(a.timeout, "--timeout")?;
        let connect_timeout = secs(a.connect_timeout.unwrap_or(a.timeout), "--connect-timeout")?;
        if a.concurrency == 0 {
            return Err(Error::usage("--concurrency must be at least 1"));
        }
        if a.retries > 10 {
            return Err(Error::usage("--retries must be 10 or less"));
        }
        // Connect (with retries), the rustls attempt, the legacy fallback and
        // two version hellos each get their own timeout; the deadline caps the
        // sum so one endpoint can never stall the scan for long.
        let endpoint_deadline = connect_timeout * (a.retries + 1) + handshake_timeout * 4;
        Ok(ProbeOptions {
            connect_timeout,
            handshake_timeout,
            endpoint_deadline,
            concurrency: a.concurrency,
            per_address: 2,
            retries: a.retries,
            protocol_scan: !a.no_protocol_scan,
            also_no_sni: a.also_no_sni,
            progress: !quiet && std::io::IsTerminal::is_terminal(&std::io::stderr()),
        })
    }
}

impl TargetOptions {
    /// The files this run reads targets from, for the output checks.
    pub fn input_files(&self) -> Vec<NamedPath> {
        self.inputs
            .iter()
            .filter_map(|i| match i {
                Input::File(p) => Some(NamedPath::new(p, "--targets-file")),
                _ => None,
            })
            .collect()
    }

    /// Check the target flags: port lists, `--resolve`, `--sni`, `--role`
    /// and `--site`.
    pub fn from_args(a: &cli::TargetArgs) -> Result<Self, Error> {
        let smtp_ports = ports_or_none("--smtp-ports", &a.smtp_ports, "25,587")?;
        let edgesync_ports = ports_or_none("--edgesync-ports", &a.edgesync_ports, "50636")?;
        let tls_ports = tls_ports(&a.tls_port)?;
        let tls_port_numbers: Vec<u16> = tls_ports.iter().map(|t| t.port).collect();
        let lists: [(&str, &[u16]); 7] = [
            ("--frontend-ports", &a.frontend_ports),
            ("--backend-ports", &a.backend_ports),
            ("--smtp-ports", &smtp_ports),
            ("--imap-ports", &a.imap_ports),
            ("--pop-ports", &a.pop_ports),
            ("--edgesync-ports", &edgesync_ports),
            ("--tls-port", &tls_port_numbers),
        ];
        check_port_lists(&lists)?;
        let pins = a
            .resolve
            .iter()
            .map(|r| parse_pin(r))
            .collect::<Result<_, _>>()?;
        let sni = sni(a.sni.as_deref())?;
        let (roles, sites) = overrides(a)?;
        let balancers = a
            .load_balancer
            .iter()
            .map(|b| balancer(b))
            .collect::<Result<_, _>>()?;
        Ok(TargetOptions {
            roles,
            sites,
            balancers,
            inputs: inputs(a),
            frontend_ports: a.frontend_ports.clone(),
            backend_ports: a.backend_ports.clone(),
            smtp_ports,
            imap_ports: a.imap_ports.clone(),
            pop_ports: a.pop_ports.clone(),
            edgesync_ports,
            tls_ports,
            column: a.column.clone(),
            pins,
            all_addresses: a.all_addresses,
            sni,
            allow_large_ranges: a.allow_large_ranges,
            skip_invalid: a.skip_invalid,
        })
    }
}

/// HOST arguments, then `--targets-file`s, in order; `-` is stdin.
fn inputs(a: &cli::TargetArgs) -> Vec<Input> {
    let hosts = a.hosts.iter().map(|h| {
        if h == "-" {
            Input::Stdin
        } else {
            Input::Arg(h.clone())
        }
    });
    let files = a.targets_file.iter().map(|f| {
        if f.as_os_str() == "-" {
            Input::Stdin
        } else {
            Input::File(f.clone())
        }
    });
    hosts.chain(files).collect()
}

/// `--sni`: a DNS name. Refused rather than silently not sent: scan.json
/// records the SNI as sent, so it must be one rustls will send.
fn sni(given: Option<&str>) -> Result<Option<String>, Error> {
    match given {
        Some(s) if s.parse::<IpAddr>().is_ok() => Err(Error::usage(format!(
            "--sni {s}: SNI must be a DNS name, not an IP address"
        ))),
        Some(s) if s.trim().is_empty() => Err(Error::usage("--sni must not be empty")),
        Some(s) => {
            check_dns_name("--sni", s.trim(), false)?;
            Ok(Some(s.to_string()))
        }
        None => Ok(None),
    }
}

/// `--role HOST=ROLE` (roles in canonical names) and `--site HOST=SITE`.
type Overrides = (Vec<(String, String)>, Vec<(String, String)>);

/// `--role` and `--site`, in the order given.
fn overrides(a: &cli::TargetArgs) -> Result<Overrides, Error> {
    let mut roles = Vec::new();
    for r in &a.role {
        let (host, role) = parse_assignment("--role", r, "HOST=ROLE, e.g. edge01=Edge")?;
        let role = crate::targets::roles::parse_roles(&role)
            .map_err(|e| Error::usage(format!("--role {r}: {e}")))?;
        roles.push((host, role));
    }
    let mut sites = Vec::new();
    for r in &a.site {
        let (host, site) = parse_assignment("--site", r, "HOST=SITE, e.g. ex05=Branch-1")?;
        sites.push((host, crate::targets::roles::site_name(site)));
    }
    Ok((roles, sites))
}

/// `--load-balancer NAME[=ADDR]`, checked (`crate::targets::balancer`).
fn balancer(text: &str) -> Result<Balancer, Error> {
    crate::targets::balancer::parse(text).map_err(|why| {
        Error::usage(format!(
            "--load-balancer {:?}: {why}; expected NAME[=ADDR], e.g. \
             mail.contoso.com=10.1.2.50",
            crate::text::excerpt(text)
        ))
    })
}

/// `--smtp-ports` or `--edgesync-ports`: port numbers, or `none`.
fn ports_or_none(flag: &str, items: &[String], example: &str) -> Result<Vec<u16>, Error> {
    if items.len() == 1 && items.iter().all(|i| i.trim().eq_ignore_ascii_case("none")) {
        return Ok(Vec::new());
    }
    items
        .iter()
        .map(|i| {
            i.trim().parse::<u16>().map_err(|_| {
                Error::usage(format!(
                    "{flag} {}: expected port numbers (e.g. {example}) or none",
                    crate::text::excerpt(i)
                ))
            })
        })
        .collect()
}

/// Each `--tls-port LABEL:PORT`, checked; a port given twice is refused
/// (one port, one label).
fn tls_ports(given: &[String]) -> Result<Vec<crate::model::TlsPort>, Error> {
    let mut out: Vec<crate::model::TlsPort> = Vec::new();
    for g in given {
        let t = crate::targets::ports::parse_tls_port(g)
            .map_err(|e| Error::usage(format!("--tls-port {}: {e}", crate::text::excerpt(g))))?;
        if let Some(first) = out.iter().find(|o| o.port == t.port) {
            return Err(Error::usage(format!(
                "--tls-port {}: port {} is already given as {}:{}",
                crate::text::excerpt(g),
                t.port,
                first.label,
                first.port
            )));
        }
        out.push(t);
    }
    Ok(out)
}

/// At least one port, no port 0, and no port in two lists (a port has one
/// role).
fn check_port_lists(lists: &[(&str, &[u16])]) -> Result<(), Error> {
    if lists.iter().all(|(_, ports)| ports.is_empty()) {
        return Err(Error::usage(
            "no ports to scan: give --frontend-ports, --backend-ports, --smtp-ports, \
             --imap-ports, --pop-ports or --tls-port",
        ));
    }
    if lists.iter().any(|(_, ports)| ports.contains(&0)) {
        return Err(Error::usage("port 0 cannot be scanned"));
    }
    for (i, (flag, ports)) in lists.iter().enumerate() {
        for (other, other_ports) in lists.iter().skip(i + 1) {
            if let Some(p) = ports.iter().find(|p| other_ports.contains(p)) {
                return Err(Error::usage(format!(
                    "port {p} is in both {flag} and {other}"
                )));
            }
        }
    }
    Ok(())
}

/// `HOST=VALUE`, both non-empty and free of control characters; the host
/// lowercase, without a trailing dot.
fn parse_assignment(flag: &str, text: &str, expected: &str) -> Result<(String, String), Error> {
    let bad = || Error::usage(format!("{flag} {text}: expected {expected}"));
    let (host, value) = text.split_once('=').ok_or_else(bad)?;
    let (host, value) = (host.trim(), value.trim());
    if host.is_empty() || value.is_empty() || text.chars().any(char::is_control) {
        return Err(bad());
    }
    Ok((
        host.trim_end_matches('.').to_ascii_lowercase(),
        value.to_string(),
    ))
}

/// `HOST:ADDR`, where ADDR may be an IPv6 literal with or without brackets.
/// curl's `HOST:PORT:ADDR` form is accepted too; the port is ignored since
/// the port lists decide what is scanned.
fn parse_pin(text: &str) -> Result<(String, IpAddr), Error> {
    let bad = || {
        Error::usage(format!(
            "--resolve {text}: expected HOST:ADDR, e.g. ex01:10.1.2.3"
        ))
    };
    let (host, rest) = text.split_once(':').ok_or_else(bad)?;
    let addr_text = match rest.split_once(':') {
        Some((port, addr)) if port.parse::<u16>().is_ok() && !rest.starts_with('[') => addr,
        _ => rest,
    };
    let addr_text = addr_text.trim_start_matches('[').trim_end_matches(']');
    let addr = addr_text.parse::<IpAddr>().map_err(|_| bad())?;
    if host.is_empty() {
        return Err(bad());
    }
    Ok((host.to_ascii_lowercase(), addr))
}

/// Parse `--as-of`: a date (midnight UTC) or an RFC 3339 time.
pub fn parse_as_of(text: &str) -> Result<OffsetDateTime, Error> {
    use time::format_description::well_known::Rfc3339;
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        return Ok(t);
    }
    let fmt = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text, &fmt)
        .map(|d| d.midnight().assume_utc())
        .map_err(|_| {
            Error::usage(format!(
                "--as-of {text}: expected YYYY-MM-DD or an RFC 3339 time"
            ))
        })
}

/// `--namespace` values (`NAME` or `SITE:NAME`) as (fleet-wide names,
/// names by site).
type Namespaces = (Vec<String>, BTreeMap<String, Vec<String>>);

impl AnalysisSettings {
    /// Validate the thresholds and load the trust roots (webpki-roots, the OS
    /// store and every `--ca-bundle`). `now` is used when `--as-of` is absent.
    pub fn from_args(
        a: &cli::AnalysisArgs,
        now: OffsetDateTime,
        defaults: Option<&crate::model::Parameters>,
    ) -> Result<Self, Error> {
        let (warn_days, critical_days) = thresholds(a, defaults)?;
        let as_of = match &a.as_of {
            Some(t) if t.eq_ignore_ascii_case("now") => now,
            Some(t) => parse_as_of(t)?,
            None => now,
        };
        let (namespaces, site_namespaces) = match defaults {
            Some(p) if a.namespace.is_empty() => (p.namespaces.clone(), p.site_namespaces.clone()),
            _ => namespaces(&a.namespace)?,
        };
        let roots = load_roots(&a.ca_bundle)?;
        Ok(AnalysisSettings {
            as_of,
            warn_days,
            critical_days,
            namespaces,
            site_namespaces,
            roots: Arc::new(roots),
            ca_bundles: a
                .ca_bundle
                .iter()
                .map(|p| p.display().to_string())
                .collect(),
        })
    }
}

/// `(warn_days, critical_days)`: the flags, else the saved scan.json's
/// values, else the defaults; neither negative, critical not above warn.
fn thresholds(
    a: &cli::AnalysisArgs,
    defaults: Option<&crate::model::Parameters>,
) -> Result<(i64, i64), Error> {
    let warn_days = a
        .warn_days
        .or(defaults.map(|p| p.warn_days))
        .unwrap_or(DEFAULT_WARN_DAYS);
    let critical_days = a
        .critical_days
        .or(defaults.map(|p| p.critical_days))
        .unwrap_or(DEFAULT_CRITICAL_DAYS);
    // Name where each value came from: a flag, or the saved scan.json
    // when the user gave no flag.
    let name = |flag: &'static str, field: &'static str, given: bool| {
        if given || defaults.is_none() {
            flag.to_string()
        } else {
            format!("{field} in the saved scan.json")
        }
    };
    let warn_name = name("--warn-days", "warn_days", a.warn_days.is_some());
    let crit_name = name(
        "--critical-days",
        "critical_days",
        a.critical_days.is_some(),
    );
    if warn_days < 0 {
        return Err(Error::usage(format!(
            "{warn_name} must not be negative, got {warn_days}"
        )));
    }
    if critical_days < 0 {
        return Err(Error::usage(format!(
            "{crit_name} must not be negative, got {critical_days}"
        )));
    }
    if critical_days > warn_days {
        return Err(Error::usage(format!(
            "{crit_name} ({critical_days}) must not exceed {warn_name} ({warn_days})"
        )));
    }
    Ok((warn_days, critical_days))
}

/// Each `--namespace`, checked and lowercased: `NAME` for the whole fleet,
/// `SITE:NAME` for one AD site.
fn namespaces(given: &[String]) -> Result<Namespaces, Error> {
    let mut namespaces: Vec<String> = Vec::new();
    let mut site_namespaces: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for n in given {
        // DNS names never hold a colon, so SITE:NAME is unambiguous.
        match n.split_once(':') {
            Some((site, name)) if !site.trim().is_empty() && !name.trim().is_empty() => {
                check_dns_name("--namespace", name.trim(), true)?;
                site_namespaces
                    .entry(site.trim().to_string())
                    .or_default()
                    .push(name.trim().to_ascii_lowercase());
            }
            Some(_) => {
                return Err(Error::usage(format!(
                    "--namespace {n}: expected NAME or SITE:NAME, e.g. HQ:mail.contoso.com"
                )))
            }
            None => {
                check_dns_name("--namespace", n.trim(), true)?;
                namespaces.push(n.trim().to_ascii_lowercase());
            }
        }
    }
    Ok((namespaces, site_namespaces))
}

impl OutputOptions {
    /// Every file this run will write, with the flag that names it, for
    /// [`crate::report::outputs`]'s checks. Commands that add outputs add
    /// them here.
    pub fn files(&self) -> Vec<NamedPath> {
        let mut files: Vec<NamedPath> = [
            "scan.json",
            "report.csv",
            "servers.csv",
            "report.html",
            "remediation.ps1",
        ]
        .into_iter()
        .map(|name| NamedPath::new(self.out_dir.join(name), "--out"))
        .collect();
        if let Some(path) = &self.csv_findings {
            files.push(NamedPath::new(path, "--csv-findings"));
        }
        if let Some(path) = &self.prom {
            files.push(NamedPath::new(path, "--prom"));
        }
        files
    }

    /// The output settings, with the command's default folder and `--fail-on`.
    pub fn from_args(a: &cli::OutputArgs, default_dir: &str, default_fail: FailOn) -> Self {
        let fail_on = a.fail_on.unwrap_or(default_fail);
        let color = std::io::IsTerminal::is_terminal(&std::io::stdout())
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        OutputOptions {
            out_dir: a.out.clone().unwrap_or_else(|| PathBuf::from(default_dir)),
            csv_findings: a.csv_findings.clone(),
            prom: a.prom.clone(),
            quiet: a.quiet,
            fail_on,
            color,
            verbose: a.verbose,
        }
    }
}

/// The roots chains are validated against: webpki-roots, the OS store and
/// every `--ca-bundle` file. The files are read here, so that analysis gets
/// its roots as data and never opens a file.
pub fn load_roots(ca_bundles: &[PathBuf]) -> Result<TrustRoots, Error> {
    TrustRoots::from_sources(&crate::input::ca_bundle::read(ca_bundles)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_accept_v4_v6_and_curl_form() {
        assert_eq!(
            parse_pin("EX01:10.0.0.1").unwrap(),
            ("ex01".into(), "10.0.0.1".parse().unwrap())
        );
        assert_eq!(
            parse_pin("ex01:[::1]").unwrap().1,
            "::1".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            parse_pin("ex01:::1").unwrap().1,
            "::1".parse::<IpAddr>().unwrap()
        );
        assert_eq!(
            parse_pin("ex01:444:10.0.0.2").unwrap().1,
            "10.0.0.2".parse::<IpAddr>().unwrap()
        );
        assert!(parse_pin("ex01").is_err());
        assert!(parse_pin("ex01:notanip").is_err());
    }

    #[test]
    fn as_of_takes_dates_and_rfc3339() {
        assert_eq!(
            parse_as_of("2027-06-30").unwrap().unix_timestamp(),
            1_814_313_600
        );
        assert!(parse_as_of("2027-06-30T12:00:00Z").is_ok());
        assert!(parse_as_of("next tuesday").is_err());
    }

    #[test]
    fn bad_bundle_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("not-a-bundle.pem");
        std::fs::write(&path, "hello, no certificates here\n").unwrap();
        let err = load_roots(std::slice::from_ref(&path)).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "{}: no PEM certificate (-----BEGIN CERTIFICATE-----) found",
                path.display()
            )
        );
        assert_eq!(err.exit_code(), crate::exit::USAGE);
        std::fs::write(
            &path,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let err = load_roots(std::slice::from_ref(&path)).unwrap_err();
        assert!(
            matches!(
                err,
                crate::error::Error::BadCaBundle {
                    error: crate::analyze::trust::BundleError::NotUsableRoot { index: 1, .. },
                    ..
                }
            ),
            "{err}"
        );
        assert!(err
            .to_string()
            .contains("certificate 1 is not a usable root: "));
    }
}
