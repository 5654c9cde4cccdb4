//! The commands, one entry function each. main.rs parses the command line
//! and calls [`run`]; this module turns each command into the library's
//! pipeline and decides the exit code in one place.

use std::path::{Path, PathBuf};

use time::OffsetDateTime;

use crate::cancel::Signals;
use crate::cli::{
    AnalysisArgs, Cli, Command, DemoArgs, DiffArgs, FailOn, ReportArgs, ScanArgs, TargetsArgs,
};
use crate::config::{AnalysisSettings, OutputOptions, ProbeOptions, TargetOptions};
use crate::error::{say, Error};
use crate::input::files;
use crate::model::{ScanReport, SCHEMA_VERSION};
use crate::report::outputs::{self, NamedPath};
use crate::{exit, lab, report, targets};

/// Run a parsed command line; returns the process exit code.
pub fn run(cli: Cli) -> i32 {
    // One thread: a scan waits on the network, not the CPU (excert's CPU is
    // a fraction of its wall time even on loopback), and on one thread the
    // analysis reuses the memory the finished probes gave back; with worker
    // threads, glibc kept that memory in the workers' arenas and a
    // 10,000-endpoint scan peaked about 14 MB higher (docs/guide.md "Performance").
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            say(format!("cannot start the async runtime: {e}"));
            return exit::UNKNOWN;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Scan(a) => scan(a).await,
            Command::Report(a) => {
                // Nothing to cancel: a signal lets the set being written
                // finish, as in scan's write phase, rather than ending the
                // process mid-set.
                let _finish = writing_only();
                report_cmd(a)
            }
            Command::Demo(a) => demo(a).await,
            Command::Targets(a) => dry_run(a).await,
            Command::Diff(a) => {
                let _finish = writing_only();
                diff_cmd(a)
            }
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

/// Stop signals (SIGTERM, SIGHUP, Ctrl-C) handled from here on, for a
/// command that only writes: the handlers replace the default action of
/// ending the process, so the set being written is finished.
fn writing_only() -> Signals {
    let signals = Signals::install();
    signals.start_writing();
    signals
}

fn print_error(e: &Error) {
    if let Error::BadTargets(list) = e {
        for one in list {
            say(one);
        }
    }
    say(e);
}

/// Print to stdout; a closed pipe or terminal must not abort the run.
fn print_out(text: &str) {
    use std::io::Write;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// `excert scan`: probe real servers.
async fn scan(a: ScanArgs) -> Result<i32, Error> {
    let output = OutputOptions::from_args(&a.output, "excert-report", FailOn::Warning);
    let target_opts = TargetOptions::from_args(&a.targets)?;
    let probe_opts = ProbeOptions::from_args(&a.probe, output.quiet)?;
    let settings = AnalysisSettings::from_args(&a.analysis, OffsetDateTime::now_utc(), None)?;
    // A bad export stops here, before any packet or output.
    let inventory = crate::inventory::load(&a.inventory.inventory)?;
    let mut inputs = target_opts.input_files();
    inputs.extend(bundle_inputs(&a.analysis.ca_bundle));
    inputs.extend(inventory_inputs(&a.inventory.inventory));
    check_outputs(&output, &inputs)?;
    scan_and_finish(&target_opts, &probe_opts, &settings, inventory, &output).await
}

fn inventory_inputs(files: &[PathBuf]) -> Vec<NamedPath> {
    files
        .iter()
        .map(|p| NamedPath::new(p, "--inventory"))
        .collect()
}

fn bundle_inputs(bundles: &[PathBuf]) -> Vec<NamedPath> {
    bundles
        .iter()
        .map(|p| NamedPath::new(p, "--ca-bundle"))
        .collect()
}

/// Before any work: no output may replace an input or another output
/// (exit 64), and every output must be creatable (exit 73).
fn check_outputs(output: &OutputOptions, inputs: &[NamedPath]) -> Result<(), Error> {
    let files = output.files();
    outputs::check_collisions(&files, inputs)?;
    outputs::check_writable(&files)
}

/// The live pipeline shared by `scan` and `demo`: read the targets (bad
/// input stops here, before any packet), scan, write, exit code.
async fn scan_and_finish(
    target_opts: &TargetOptions,
    probe_opts: &ProbeOptions,
    settings: &AnalysisSettings,
    inventory: Option<crate::model::Inventory>,
    output: &OutputOptions,
) -> Result<i32, Error> {
    let list = targets::load(target_opts)?;
    let signals = Signals::install();
    let mut report = crate::scan(
        list,
        target_opts,
        probe_opts,
        settings,
        inventory,
        signals.token(),
    )
    .await;
    // On one thread the signal listener runs only at an await: let it see
    // a signal that came during the analysis, before the write phase.
    tokio::task::yield_now().await;
    if signals.start_writing() {
        // The signal came after the last probe but before the write: the
        // user asked to stop, so the result says interrupted everywhere.
        report.complete = false;
    }
    let result = match finish(&report, output) {
        Err(e @ Error::Write { .. }) => Err(save_fallback(&report, e)),
        other => other,
    };
    // And one that came while writing gets its "finishing them" note.
    tokio::task::yield_now().await;
    result
}

/// Write the report set, print the summary, and pick the exit code.
fn finish(report: &ScanReport, output: &OutputOptions) -> Result<i32, Error> {
    // Every output is one set: renamed into place together or not at all.
    let mut set = report::atomic::Set::default();
    let written = report::stage_all(
        report,
        &output.out_dir,
        output.csv_findings.as_deref(),
        &mut set,
    )?;
    if let Some(path) = &output.prom {
        let text = report::prom::render(report);
        report::stage(&mut set, path, |w| w.write_all(text.as_bytes()))?;
    }
    report::commit(set)?;
    if !output.quiet {
        let shape = report::terminal::Shape {
            color: output.color,
            verbose: output.verbose,
            width: report::terminal::width_from_env(),
        };
        print_out(&report::terminal::summary_shaped(report, &written, shape));
    }
    Ok(exit::for_report(report, output.fail_on))
}

/// The reports could not be written after a scan: keep the evidence
/// anyway, in the temp folder or else the current one, and say where.
fn save_fallback(report: &ScanReport, e: Error) -> Error {
    let stamp = OffsetDateTime::now_utc().unix_timestamp();
    let name = format!("excert-scan-{stamp}-{}.json", std::process::id());
    for dir in [std::env::temp_dir(), PathBuf::from(".")] {
        let path = dir.join(&name);
        if report::atomic::write_with(&path, |w| report::json::write(report, w)).is_ok() {
            say(format!(
                "the reports could not be written, so the scan's evidence was saved to {} \
                 (render it later with: excert report {} --out DIR)",
                path.display(),
                path.display()
            ));
            return e;
        }
    }
    say("the reports could not be written, and no fallback location was writable either");
    e
}

/// Read and check a saved scan.json (at most
/// [`files::MAX_SCAN_JSON_BYTES`]; a UTF-8 byte order mark, as Windows
/// editors add, is skipped).
pub fn load_saved(path: &Path) -> Result<ScanReport, Error> {
    let bytes = files::read_limited(path, files::MAX_SCAN_JSON_BYTES, "a scan.json")?;
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    // Read the version alone first, so a newer schema gets "unsupported
    // version" rather than a confusing field error. Unknown fields are
    // skipped without building a copy of the document.
    #[derive(serde::Deserialize)]
    struct Version {
        schema_version: Option<u64>,
    }
    let version: Version = serde_json::from_slice(body)
        .map_err(|e| Error::bad_file(path, format!("not valid JSON: {}", json_error(&e))))?;
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
    serde_json::from_slice(body).map_err(|e| {
        Error::bad_file(
            path,
            format!("does not follow the scan.json schema: {}", json_error(&e)),
        )
    })
}

/// serde's message quotes the offending value in full (a 50 MB string
/// would reach the terminal): keep a short, sanitised excerpt and the
/// position.
fn json_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let position = format!(" at line {} column {}", e.line(), e.column());
    let message = text.strip_suffix(&position).unwrap_or(&text);
    format!("{}{position}", crate::text::excerpt(message))
}

/// `excert report`: judge saved evidence again, with no network.
fn report_cmd(a: ReportArgs) -> Result<i32, Error> {
    let mut output = OutputOptions::from_args(&a.output, "excert-report", FailOn::Warning);
    // Exports first: a bad one stops before anything is read or written.
    let inventory = crate::inventory::load(&a.inventory.inventory)?;
    let mut saved = match (&a.scan, &inventory) {
        (Some(first), _) => load_merged(first, &a.more, output.quiet)?,
        (None, Some(_)) => store_only(&a.analysis)?,
        (None, None) => {
            return Err(Error::usage(
                "give a scan.json, or --inventory FILE for a store-only audit",
            ))
        }
    };
    if let Some(inv) = inventory {
        crate::inventory::merge_saved(saved.inventory.get_or_insert_with(Default::default), inv);
    }
    let settings = saved_settings(&a.analysis, &saved)?;
    let mut inputs: Vec<NamedPath> = a
        .scan
        .iter()
        .chain(&a.more)
        .map(|m| NamedPath::new(m, "SCAN.json"))
        .collect();
    inputs.extend(inventory_inputs(&a.inventory.inventory));
    inputs.extend(
        settings
            .ca_bundles
            .iter()
            .map(|b| NamedPath::new(b, "--ca-bundle")),
    );
    if a.output.out.is_none() {
        output.out_dir = default_report_dir(&output, &inputs, &settings);
    }
    check_outputs(&output, &inputs)?;
    let report = crate::reanalyze(&saved, &settings);
    drop(saved);
    finish(&report, &output)
}

/// The empty scan a store-only audit (`excert report --inventory ...`)
/// judges: no endpoints, as of --as-of or now.
fn store_only(a: &AnalysisArgs) -> Result<ScanReport, Error> {
    let now = OffsetDateTime::now_utc();
    let settings = AnalysisSettings::from_args(a, now, None)?;
    Ok(ScanReport {
        schema_version: SCHEMA_VERSION,
        tool: crate::model::ToolInfo::default(),
        started_at: now,
        finished_at: now,
        as_of: settings.as_of,
        complete: true,
        parameters: crate::parameters(&TargetOptions::default(), None, &settings),
        endpoints: Vec::new(),
        servers: Vec::new(),
        expiry_cliffs: Vec::new(),
        invalid_targets: Vec::new(),
        merged_from: Vec::new(),
        skipped_endpoints: Default::default(),
        inventory: None,
        organisation: None,
    })
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
    let out_dir = a.out.clone().unwrap_or_else(|| "excert-diff".into());
    let files = crate::diff::output::files(&out_dir);
    let mut inputs = vec![
        NamedPath::new(&a.old, "OLD.json"),
        NamedPath::new(&a.new, "NEW.json"),
    ];
    inputs.extend(bundle_inputs(&a.analysis.ca_bundle));
    // Before anything is judged: never overwrite an input, and fail early
    // on an output that cannot be written.
    outputs::check_collisions(&files, &inputs)?;
    let old = load_saved(&a.old)?;
    let new = load_saved(&a.new)?;
    let newer = if old.started_at > new.started_at {
        &old
    } else {
        &new
    };
    let settings = saved_settings(&a.analysis, newer)?;
    inputs.extend(
        settings
            .ca_bundles
            .iter()
            .map(|b| NamedPath::new(b, "--ca-bundle")),
    );
    outputs::check_collisions(&files, &inputs)?;
    outputs::check_writable(&files)?;
    use crate::diff::{compare, ScanRef};
    let diff = compare(
        &crate::reanalyze(&old, &settings),
        &crate::reanalyze(&new, &settings),
        ScanRef::of(&old, &a.old.display().to_string()),
        ScanRef::of(&new, &a.new.display().to_string()),
    );
    let (json, page) = crate::diff::output::write(&diff, &out_dir)?;
    if !a.quiet {
        print_out(&crate::diff::output::summary(&diff, &json, &page));
    }
    Ok(exit::for_diff(&diff))
}

/// Without `--out`, `excert report excert-report/scan.json` would replace
/// the evidence it reads. Saved evidence is never rewritten: the reports go
/// to `excert-report-as-of-<date>` instead, and stderr says so.
fn default_report_dir(
    output: &OutputOptions,
    inputs: &[NamedPath],
    settings: &AnalysisSettings,
) -> PathBuf {
    let collides = output
        .files()
        .iter()
        .any(|f| inputs.iter().any(|i| outputs::same_file(&i.path, &f.path)));
    if !collides {
        return output.out_dir.clone();
    }
    let other = PathBuf::from(format!(
        "{}-as-of-{}",
        output.out_dir.display(),
        settings.as_of.date()
    ));
    say(format!(
        "note: {} holds the scan.json being read, which is never overwritten; writing to {} (use --out to choose)",
        output.out_dir.display(),
        other.display()
    ));
    other
}

/// The scan's `--ca-bundle` files, where they still exist, so trust is
/// judged as it was.
fn saved_bundles(saved: &ScanReport) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for b in &saved.parameters.ca_bundles {
        let path = PathBuf::from(b);
        if path.is_file() {
            found.push(path);
        } else {
            say(format!(
                "note: CA bundle {b} from the scan is not here; pass --ca-bundle to use another"
            ));
        }
    }
    found
}

/// `excert demo`: start the simulated fleet, scan it like any other.
async fn demo(a: DemoArgs) -> Result<i32, Error> {
    let output = OutputOptions::from_args(&a.output, "excert-demo", FailOn::Never);
    let now = OffsetDateTime::now_utc();
    let fleet = lab::demo_fleet(now);
    let ca_path = output.out_dir.join("lab-root-ca.pem");
    let mut inputs = bundle_inputs(&a.analysis.ca_bundle);
    inputs.push(NamedPath::new(&ca_path, "the demo's CA file"));
    check_outputs(&output, &inputs)?;
    report::atomic::write(&ca_path, fleet.ca.root_pem().as_bytes())
        .map_err(|e| Error::write(&ca_path, e))?;
    let mut analysis: AnalysisArgs = a.analysis.clone();
    analysis.ca_bundle.push(ca_path);
    if analysis.namespace.is_empty() {
        analysis.namespace = fleet.namespaces.clone();
    }
    let settings = AnalysisSettings::from_args(&analysis, now, None)?;
    let host_count = fleet.hosts.len();
    let fleet_sites = fleet.sites;
    let balancers = fleet.balancers.len();
    let lab = lab::Lab::start_with_balancers(fleet.hosts, fleet.balancers)
        .await
        .map_err(|e| Error::usage(format!("cannot start the demo fleet on loopback: {e}")))?;
    if !output.quiet {
        print_out(&format!(
            "Simulated fleet: {host_count} Exchange servers ({} ... {}) and {balancers} load balancer VIP ({}), ports {} (Default Web Site), {} (Exchange Back End) and {} (SMTP)\n",
            lab.hosts.first().map(|h| h.ip.to_string()).unwrap_or_default(),
            lab.hosts.last().map(|h| h.ip.to_string()).unwrap_or_default(),
            lab.balancers.iter().map(|b| format!("{} at {}", b.namespace, b.ip)).collect::<Vec<_>>().join(", "),
            lab.frontend_port,
            lab.backend_port,
            lab.smtp_port
        ));
    }
    let mut target_opts = lab.target_options();
    target_opts.sites = fleet_sites;
    let probe_opts = ProbeOptions {
        progress: !output.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr()),
        ..ProbeOptions::default()
    };
    let code = scan_and_finish(&target_opts, &probe_opts, &settings, None, &output).await;
    drop(lab);
    code
}

/// `excert targets`: show what would be scanned, without connecting.
async fn dry_run(a: TargetsArgs) -> Result<i32, Error> {
    let target_opts = TargetOptions::from_args(&a.targets)?;
    for line in targets::dry_run(&target_opts).await? {
        print_out(&format!("{line}\n"));
    }
    Ok(exit::OK)
}
