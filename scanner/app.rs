//! The commands, one entry function each. main.rs parses the command line
//! and calls [`run`]; this module turns each command into the library's
//! pipeline and decides the exit code in one place.

use std::path::Path;

use time::OffsetDateTime;

use crate::cli::{
    AnalysisArgs, Cli, Command, DemoArgs, DiffArgs, ReportArgs, ScanArgs, TargetsArgs,
};
use crate::config::{AnalysisSettings, FailOn, OutputOptions, ProbeOptions, TargetOptions};
use crate::error::Error;
use crate::model::{ScanReport, SCHEMA_VERSION};
use crate::{exit, lab, report, targets, Cancel};

/// Run a parsed command line; returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("excert: cannot start the async runtime: {e}");
            return exit::UNKNOWN;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Scan(a) => scan(a).await,
            Command::Report(a) => report_cmd(a),
            Command::Demo(a) => demo(a).await,
            Command::Targets(a) => dry_run(a).await,
            Command::Diff(a) => diff_cmd(a),
        }
    });
    // Don't wait for lingering lab connections or abandoned probes.
    runtime.shutdown_background();
    match result {
        Ok(code) => code,
        Err(e) => {
            print_error(&e);
            e.exit_code()
        }
    }
}

fn print_error(e: &Error) {
    if let Error::BadTargets(list) = e {
        for one in list {
            eprintln!("excert: {one}");
        }
    }
    eprintln!("excert: {e}");
}

/// Cancel the scan on Ctrl-C or SIGTERM, so what was collected is still
/// written, marked incomplete.
fn cancel_on_signal() -> Cancel {
    let cancel = Cancel::default();
    let trigger = cancel.clone();
    tokio::spawn(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let Ok(mut term) = signal(SignalKind::terminate()) else {
                return;
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        eprintln!("excert: interrupted; writing what was collected");
        trigger.cancel();
    });
    cancel
}

/// `excert scan`: probe real servers.
async fn scan(a: ScanArgs) -> Result<i32, Error> {
    let output = OutputOptions::from_args(&a.output, "excert-report", FailOn::Warning);
    let target_opts = TargetOptions::from_args(&a.targets)?;
    let probe_opts = ProbeOptions::from_args(&a.probe, output.quiet)?;
    let settings = AnalysisSettings::from_args(&a.analysis, OffsetDateTime::now_utc(), None)?;
    scan_and_finish(&target_opts, &probe_opts, &settings, &output).await
}

/// The live pipeline shared by `scan` and `demo`: read the targets (bad
/// input stops here, before any packet), scan, write, exit code.
async fn scan_and_finish(
    target_opts: &TargetOptions,
    probe_opts: &ProbeOptions,
    settings: &AnalysisSettings,
    output: &OutputOptions,
) -> Result<i32, Error> {
    let list = targets::load(target_opts)?;
    let report = crate::scan(list, target_opts, probe_opts, settings, cancel_on_signal()).await;
    finish(&report, output)
}

/// Write the three reports, print the summary, and pick the exit code.
fn finish(report: &ScanReport, output: &OutputOptions) -> Result<i32, Error> {
    let written = report::write_all(report, &output.out_dir, output.csv_findings.as_deref())?;
    if let Some(path) = &output.prom {
        report::prom::write(report, path)?;
    }
    if !output.quiet {
        print!(
            "{}",
            report::terminal::summary(report, &written, output.color)
        );
    }
    Ok(exit::for_report(report, output.fail_on))
}

/// Read and check a saved scan.json.
pub fn load_saved(path: &Path) -> Result<ScanReport, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    // Read the version alone first, so a newer schema gets "unsupported
    // version" rather than a confusing field error. Unknown fields are
    // skipped without building a copy of the document.
    #[derive(serde::Deserialize)]
    struct Version {
        schema_version: Option<u64>,
    }
    let version: Version = serde_json::from_str(&text)
        .map_err(|e| Error::bad_file(path, format!("not valid JSON: {e}")))?;
    match version.schema_version {
        Some(v) if v == u64::from(SCHEMA_VERSION) => {}
        Some(v) => {
            return Err(Error::bad_file(
                path,
                format!("schema_version {v} is not supported (this excert reads {SCHEMA_VERSION})"),
            ))
        }
        None => {
            return Err(Error::bad_file(
                path,
                "no schema_version: is this an excert scan.json?",
            ))
        }
    }
    serde_json::from_str(&text)
        .map_err(|e| Error::bad_file(path, format!("does not follow the scan.json schema: {e}")))
}

/// `excert report`: judge saved evidence again, with no network.
fn report_cmd(a: ReportArgs) -> Result<i32, Error> {
    let output = OutputOptions::from_args(&a.output, "excert-report", FailOn::Warning);
    let saved = load_merged(&a.scan, &a.more, output.quiet)?;
    let settings = saved_settings(&a.analysis, &saved)?;
    let report = crate::reanalyze(&saved, &settings);
    drop(saved);
    finish(&report, &output)
}

/// Read one saved scan, or several merged into one fleet
/// ([`crate::merge`]).
fn load_merged(
    first: &Path,
    more: &[std::path::PathBuf],
    quiet: bool,
) -> Result<ScanReport, Error> {
    if more.is_empty() {
        return load_saved(first);
    }
    let mut scans = Vec::new();
    for path in std::iter::once(first).chain(more.iter().map(|p| p.as_path())) {
        scans.push((path.display().to_string(), load_saved(path)?));
    }
    let merged = crate::merge::merge(scans);
    if !quiet {
        let replaced: usize = merged
            .merged_from
            .iter()
            .map(|m| m.endpoints - m.kept)
            .sum();
        println!(
            "Merged {} scans: {} endpoints ({replaced} older observations replaced by newer ones)",
            merged.merged_from.len(),
            merged.endpoints.len()
        );
    }
    Ok(merged)
}

/// The settings to judge a saved scan with: the flags given, else the
/// scan's own as-of time, thresholds, namespaces and CA bundles, so the
/// same evidence gets the same findings.
fn saved_settings(a: &AnalysisArgs, saved: &ScanReport) -> Result<AnalysisSettings, Error> {
    let mut analysis = a.clone();
    if analysis.as_of.is_none() {
        analysis.as_of = Some(
            saved
                .as_of
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
        );
    }
    if analysis.ca_bundle.is_empty() {
        analysis.ca_bundle = saved_bundles(saved);
    }
    AnalysisSettings::from_args(
        &analysis,
        OffsetDateTime::now_utc(),
        Some(&saved.parameters),
    )
}

/// `excert diff`: compare two saved scans, both judged with the newer
/// scan's settings (or the flags given) at one as-of time.
fn diff_cmd(a: DiffArgs) -> Result<i32, Error> {
    let old = load_saved(&a.old)?;
    let new = load_saved(&a.new)?;
    let newer = if old.started_at > new.started_at {
        &old
    } else {
        &new
    };
    let settings = saved_settings(&a.analysis, newer)?;
    use crate::diff::{compare, ScanRef};
    let diff = compare(
        &crate::reanalyze(&old, &settings),
        &crate::reanalyze(&new, &settings),
        ScanRef::of(&old, &a.old.display().to_string()),
        ScanRef::of(&new, &a.new.display().to_string()),
    );
    let out_dir = a.out.unwrap_or_else(|| "excert-diff".into());
    let (json, page) = crate::diff::output::write(&diff, &out_dir)?;
    if !a.quiet {
        print!("{}", crate::diff::output::summary(&diff, &json, &page));
    }
    Ok(exit::for_diff(&diff))
}

/// The scan's `--ca-bundle` files, where they still exist, so trust is
/// judged as it was.
fn saved_bundles(saved: &ScanReport) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for b in &saved.parameters.ca_bundles {
        let path = std::path::PathBuf::from(b);
        if path.is_file() {
            found.push(path);
        } else {
            eprintln!("excert: note: CA bundle {b} from the scan is not here; pass --ca-bundle to use another");
        }
    }
    found
}

/// `excert demo`: start the simulated fleet, scan it like any other.
async fn demo(a: DemoArgs) -> Result<i32, Error> {
    let output = OutputOptions::from_args(&a.output, "excert-demo", FailOn::Never);
    let now = OffsetDateTime::now_utc();
    let fleet = lab::demo_fleet(now);
    std::fs::create_dir_all(&output.out_dir).map_err(|e| Error::io(&output.out_dir, e))?;
    let ca_path = output.out_dir.join("lab-root-ca.pem");
    std::fs::write(&ca_path, fleet.ca.root_pem()).map_err(|e| Error::io(&ca_path, e))?;
    let mut analysis: AnalysisArgs = a.analysis.clone();
    analysis.ca_bundle.push(ca_path);
    if analysis.namespace.is_empty() {
        analysis.namespace = fleet.namespaces.clone();
    }
    let settings = AnalysisSettings::from_args(&analysis, now, None)?;
    let host_count = fleet.hosts.len();
    let lab = lab::Lab::start(fleet.hosts)
        .await
        .map_err(|e| Error::usage(format!("cannot start the demo fleet on loopback: {e}")))?;
    if !output.quiet {
        println!(
            "Simulated fleet: {host_count} Exchange servers ({} ... {}), ports {} (Default Web Site), {} (Exchange Back End) and {} (SMTP)",
            lab.hosts.first().map(|h| h.ip.to_string()).unwrap_or_default(),
            lab.hosts.last().map(|h| h.ip.to_string()).unwrap_or_default(),
            lab.frontend_port,
            lab.backend_port,
            lab.smtp_port
        );
    }
    let target_opts = lab.target_options();
    let probe_opts = ProbeOptions {
        progress: !output.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr()),
        ..ProbeOptions::default()
    };
    let code = scan_and_finish(&target_opts, &probe_opts, &settings, &output).await;
    drop(lab);
    code
}

/// `excert targets`: show what would be scanned, without connecting.
async fn dry_run(a: TargetsArgs) -> Result<i32, Error> {
    let target_opts = TargetOptions::from_args(&a.targets)?;
    for line in targets::dry_run(&target_opts).await? {
        println!("{line}");
    }
    Ok(exit::OK)
}
