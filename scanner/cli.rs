//! What was typed: clap's view of the command line and nothing more.
//!
//! These structs are parsed and then handed to [`crate::config`], which
//! validates them and resolves defaults. Code past `config` never sees raw
//! flags. Flag names here are a public contract (docs/guide.md "Commands").

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const EXAMPLES: &str = "\
Examples:
  excert demo                                   simulated fleet on loopback, writes ./excert-demo
  excert scan ex01.contoso.local ex02.contoso.local
  excert scan --targets-file servers.csv --namespace mail.contoso.com --out report-2026-11
  excert scan 10.1.2.0/28 --sni mail.contoso.com --ca-bundle corp-root.pem
  excert scan ex01 ex02 --tls-port wmsvc:8172 --tls-port um:5061
                                                 also read IIS Web Management and UM certificates
  excert scan edge01 --role edge01=Edge         Edge: SMTP 25 and EdgeSync LDAPS 50636
  excert scan --targets-file servers.csv --load-balancer mail.contoso.com=10.1.2.50
                                                 also check the balancer's VIP against its servers
  excert targets --targets-file servers.txt     dry run: what would be scanned
  excert report excert-report/scan.json --as-of 2027-06-30
                                                 re-judge saved evidence for a migration date
  excert report site-a/scan.json site-b/scan.json   merge segment scans into one fleet report
  excert diff before/scan.json after/scan.json  what a maintenance window changed

Exit codes: 0 nothing at warning or above, 1 warning, 2 critical,
3 nothing could be scanned, 64 usage or input error, 73 cannot write an
output, 130 interrupted.";

/// Read-only TLS certificate audit for Microsoft Exchange fleets.
///
/// Connects to the Default Web Site (443), the Exchange Back End (444) and
/// SMTP (25, after STARTTLS) of every server, reads the presented
/// certificate chains, and reports which servers need their backend
/// certificate renewed or have lost their public certificate binding.
/// Writes report.html, report.csv and scan.json.
#[derive(Debug, Parser)]
#[command(name = "excert", version, after_help = EXAMPLES, arg_required_else_help = true)]
pub struct Cli {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

// One value per run: its size does not matter, boxing would only add noise.
#[allow(clippy::large_enum_variant)]
/// The commands (`excert scan`, `report`, `demo`, `targets`, `diff`).
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan servers and write the reports.
    #[command(after_help = EXAMPLES)]
    Scan(ScanArgs),
    /// Re-analyse a saved scan.json (no network) and write the reports.
    #[command(after_help = EXAMPLES)]
    Report(ReportArgs),
    /// Start a simulated Exchange fleet on loopback, scan it, write the reports.
    Demo(DemoArgs),
    /// Dry run: print the endpoints a scan would probe, one JSON object per line.
    Targets(TargetsArgs),
    /// Compare two saved scans (before and after a change); write diff.json and diff.html.
    #[command(after_help = DIFF_EXAMPLES)]
    Diff(DiffArgs),
}

const DIFF_EXAMPLES: &str = "\
Examples:
  excert diff before/scan.json after/scan.json
  excert diff 2026-10/scan.json 2026-11/scan.json --out changes --as-of 2026-12-01

Both scans are judged again at one as-of time (the newer scan's, or --as-of).
Exit codes: 0 the new scan adds no warning or critical finding, 1 it adds a
warning, 2 it adds a critical finding, 64 unreadable input.";

/// Where targets come from and how they map to endpoints.
#[derive(Debug, Args, Clone, Default)]
pub struct TargetArgs {
    /// Hosts, IPs, host:port, `[v6]:port` or CIDR ranges; `-` reads stdin.
    #[arg(value_name = "HOST")]
    pub hosts: Vec<String>,
    /// A file of targets: text lines, or a CSV such as Export-Csv writes
    /// (UTF-8 or UTF-16 with BOM). Repeatable; `-` is stdin.
    #[arg(long = "targets-file", value_name = "FILE")]
    pub targets_file: Vec<PathBuf>,
    /// CSV column holding the host (default: Fqdn, Name, Identity, Server, Host, Address).
    #[arg(long, value_name = "NAME")]
    pub column: Option<String>,
    /// Default Web Site ports (comma list or repeated).
    #[arg(
        long = "frontend-ports",
        value_name = "PORTS",
        value_delimiter = ',',
        default_value = "443"
    )]
    pub frontend_ports: Vec<u16>,
    /// Exchange Back End ports (comma list or repeated).
    #[arg(
        long = "backend-ports",
        value_name = "PORTS",
        value_delimiter = ',',
        default_value = "444"
    )]
    pub backend_ports: Vec<u16>,
    /// SMTP ports, read after STARTTLS (comma list or repeated; 587, 2525
    /// and 465 are common additions); `none` scans no SMTP port.
    #[arg(
        long = "smtp-ports",
        value_name = "PORTS",
        value_delimiter = ',',
        default_value = "25"
    )]
    pub smtp_ports: Vec<String>,
    /// IMAP ports: implicit TLS on 993, STARTTLS on others (default: none).
    #[arg(long = "imap-ports", value_name = "PORTS", value_delimiter = ',')]
    pub imap_ports: Vec<u16>,
    /// POP3 ports: implicit TLS on 995, STLS on others (default: none).
    #[arg(long = "pop-ports", value_name = "PORTS", value_delimiter = ',')]
    pub pop_ports: Vec<u16>,
    /// EdgeSync LDAPS ports (implicit TLS), probed on Edge servers only
    /// (ServerRole Edge, or --role HOST=Edge); `none` scans none.
    #[arg(
        long = "edgesync-ports",
        value_name = "PORTS",
        value_delimiter = ',',
        default_value = "50636"
    )]
    pub edgesync_ports: Vec<String>,
    /// Another implicit-TLS port to probe on every server, named by LABEL
    /// (lowercase letters, digits, - and _), e.g. wmsvc:8172 or um:5061.
    /// Repeatable.
    #[arg(long = "tls-port", value_name = "LABEL:PORT")]
    pub tls_port: Vec<String>,
    /// Pin HOST to ADDR without DNS (curl's convention). Repeatable.
    #[arg(long, value_name = "HOST:ADDR")]
    pub resolve: Vec<String>,
    /// Scan every address a name resolves to (default: first IPv4, else first IPv6).
    #[arg(long = "all-addresses")]
    pub all_addresses: bool,
    /// Send this server name (SNI) to every endpoint, e.g. mail.contoso.com.
    #[arg(long, value_name = "NAME")]
    pub sni: Option<String>,
    /// Expand CIDR ranges of more than 65,536 addresses.
    #[arg(long = "allow-large-ranges")]
    pub allow_large_ranges: bool,
    /// Scan the valid entries even if some are invalid (they are listed in scan.json).
    #[arg(long = "skip-invalid")]
    pub skip_invalid: bool,
    /// Exchange role of HOST (Mailbox, ClientAccess, Edge; comma list), as
    /// the CSV's ServerRole column says; decides which ports it has. Repeatable.
    #[arg(long, value_name = "HOST=ROLE")]
    pub role: Vec<String>,
    /// AD site of HOST, as the CSV's Site column says; consistency checks and
    /// --namespace SITE:NAME work per site. Repeatable.
    #[arg(long, value_name = "HOST=SITE")]
    pub site: Vec<String>,
    /// A load balancer's virtual IP: NAME is the namespace it serves (sent
    /// as SNI, e.g. mail.contoso.com), ADDR the VIP's address or name
    /// (default: NAME resolved). Probed on the frontend and SMTP ports and
    /// compared with the servers. Repeatable.
    #[arg(long = "load-balancer", value_name = "NAME[=ADDR]")]
    pub load_balancer: Vec<String>,
}

/// Settings that change verdicts; shared by `scan`, `report` and `demo`.
#[derive(Debug, Args, Clone, Default)]
pub struct AnalysisArgs {
    /// Extra trust roots (PEM), e.g. the company's AD CS root. Repeatable.
    #[arg(long = "ca-bundle", value_name = "PEM")]
    pub ca_bundle: Vec<PathBuf>,
    /// Client-facing name the public cert must cover, e.g. mail.contoso.com;
    /// SITE:NAME for one AD site only. Repeatable. Default: the names common
    /// to the fleet's CA-issued 443 certificates.
    #[arg(long, value_name = "[SITE:]NAME")]
    pub namespace: Vec<String>,
    /// Warn when a certificate expires within this many days.
    #[arg(long = "warn-days", value_name = "DAYS")]
    pub warn_days: Option<i64>,
    /// Critical when a certificate expires within this many days.
    #[arg(long = "critical-days", value_name = "DAYS")]
    pub critical_days: Option<i64>,
    /// Judge expiry as of this date or time (YYYY-MM-DD, RFC 3339, or `now`).
    /// Default: now for scan and demo; the scan's own as-of for report.
    #[arg(long = "as-of", value_name = "DATE")]
    pub as_of: Option<String>,
}

/// Where and how results are written.
#[derive(Debug, Args, Clone, Default)]
pub struct OutputArgs {
    /// Folder for scan.json, report.csv and report.html.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Also write one CSV row per finding to FILE (for pivot tables).
    #[arg(long = "csv-findings", value_name = "FILE")]
    pub csv_findings: Option<PathBuf>,
    /// Also write a Prometheus textfile-collector file (atomically), e.g.
    /// /var/lib/prometheus/node-exporter/excert.prom.
    #[arg(long, value_name = "FILE")]
    pub prom: Option<PathBuf>,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
    /// Print every server that needs work, each with all its steps and
    /// commands (default: a few lines per group, step 1 only).
    #[arg(long, short)]
    pub verbose: bool,
    /// Lowest finding severity that makes the exit code non-zero.
    #[arg(long = "fail-on", value_enum, value_name = "LEVEL")]
    pub fail_on: Option<FailOn>,
}

/// Lowest severity that makes the exit code non-zero (the one `FailOn`:
/// config and exit use this type too).
// `help = None` keeps the doc comments below out of `--help`: clap would
// list them per value and switch the whole help to its long layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Exit 0 whatever was found (`demo`'s default).
    #[value(help = None::<&str>)]
    Never,
    /// A warning or critical finding makes the exit code non-zero.
    #[value(help = None::<&str>)]
    Warning,
    /// Only a critical finding makes the exit code non-zero.
    #[value(help = None::<&str>)]
    Critical,
}

/// How hard to probe.
#[derive(Debug, Args, Clone, Default)]
pub struct ProbeArgs {
    /// Seconds allowed for each connect and each handshake.
    #[arg(long, value_name = "SECS", default_value = "5")]
    pub timeout: f64,
    /// Seconds allowed for the TCP connect (default: --timeout).
    #[arg(long = "connect-timeout", value_name = "SECS")]
    pub connect_timeout: Option<f64>,
    /// Endpoints probed at once.
    #[arg(long, value_name = "N", default_value = "256")]
    pub concurrency: usize,
    /// Retries after a connect timeout (only then).
    #[arg(long, value_name = "N", default_value = "1")]
    pub retries: u32,
    /// Skip the extra TLS 1.0/1.1 hellos that map protocol support.
    #[arg(long = "no-protocol-scan")]
    pub no_protocol_scan: bool,
    /// Also probe without SNI and report when the chain differs.
    #[arg(long = "also-no-sni")]
    pub also_no_sni: bool,
}

/// The admin's exports of the certificate stores.
#[derive(Debug, Args, Clone, Default)]
pub struct InventoryArgs {
    /// An export of the certificate stores: Export-Clixml of
    /// Get-ExchangeCertificate, Get-AuthConfig, Get-ExchangeServer or
    /// Get-ReceiveConnector/Get-SendConnector, or Export-Csv of
    /// Get-ExchangeCertificate (recognised from the content). Repeatable.
    #[arg(long = "inventory", value_name = "FILE")]
    pub inventory: Vec<PathBuf>,
}

/// `excert scan`'s flags.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// What to scan.
    #[command(flatten)]
    pub targets: TargetArgs,
    /// How hard to probe.
    #[command(flatten)]
    pub probe: ProbeArgs,
    /// Store exports to join with the scan.
    #[command(flatten)]
    pub inventory: InventoryArgs,
    /// Settings that change verdicts.
    #[command(flatten)]
    pub analysis: AnalysisArgs,
    /// Where and how results are written.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `excert report`'s arguments.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// A scan.json written by `excert scan` or `excert demo`; may be left
    /// out with --inventory for a store-only audit.
    #[arg(value_name = "SCAN.json")]
    pub scan: Option<PathBuf>,
    /// More scans (one per site or network segment) merged into one fleet
    /// report; the newest observation of an endpoint wins.
    #[arg(value_name = "MORE.json")]
    pub more: Vec<PathBuf>,
    /// Store exports to join with the saved evidence.
    #[command(flatten)]
    pub inventory: InventoryArgs,
    /// Settings that change verdicts.
    #[command(flatten)]
    pub analysis: AnalysisArgs,
    /// Where and how results are written.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `excert demo`'s flags.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Settings that change verdicts.
    #[command(flatten)]
    pub analysis: AnalysisArgs,
    /// Where and how results are written.
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `excert diff`'s arguments.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier scan.json.
    #[arg(value_name = "OLD.json")]
    pub old: PathBuf,
    /// The later scan.json.
    #[arg(value_name = "NEW.json")]
    pub new: PathBuf,
    /// Settings both scans are judged again with.
    #[command(flatten)]
    pub analysis: AnalysisArgs,
    /// Folder for diff.json and diff.html.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Print nothing but errors.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `excert targets`'s flags.
#[derive(Debug, Args)]
pub struct TargetsArgs {
    /// What a scan would probe.
    #[command(flatten)]
    pub targets: TargetArgs,
}
