//! Stage 1: inputs become endpoints.
//!
//! Reading and parsing ([`load`]) is separate from name resolution
//! ([`resolve`]) so that every bad line is reported, with its file and line,
//! before anything touches the network.
//!
//! Inputs are command-line arguments, `--targets-file` files and stdin
//! (`-`). A file is either one target per line or a CSV such as
//! `Export-Csv` writes; see `csv_input.rs` and `parse.rs` for the formats
//! and [`crate::input::decode`] for the encodings.
//!
//! Choices a user may notice:
//! - Each target becomes one endpoint per `--frontend-ports` port, then one
//!   per `--backend-ports`, `--smtp-ports`, `--imap-ports` and `--pop-ports`
//!   port, one per `--edgesync-ports` port when its role is Edge, and one
//!   per `--tls-port` (role `other`, with its label), in input order.
//!   `host:port` scans that port only, with the role of the list the port
//!   is in; a port in no list is an error, because the role decides which
//!   findings apply.
//! - IPv4 CIDR ranges skip the network and broadcast addresses for prefixes
//!   shorter than /31 (no Exchange server lives there, and probing a
//!   broadcast address is noise); IPv6 ranges include every address.
//! - The SNI is the name as given, lowercased and without a trailing dot;
//!   IP literals get none. `--sni` replaces it for every endpoint.

pub(crate) mod balancer;
pub(crate) mod csv_input;
mod dry_run;
pub(crate) mod error;
pub(crate) mod parse;
pub(crate) mod ports;
mod resolve;
pub(crate) mod roles;

use std::collections::HashMap;
use std::io::Read;
use std::net::IpAddr;
use std::path::Path;

use ipnet::IpNet;

use crate::config::{Input, TargetOptions};
use crate::error::Error;
use crate::input::files;
use crate::model::{Endpoint, Group, InvalidTarget, Role, SharedGroup, SkippedEndpoint, Source};

pub use csv_input::HOST_COLUMNS;
pub use dry_run::{dry_run_lines, skipped_lines, DryRunLine};
pub use error::{FileError, NameError, RoleError, TargetError, TlsPortError};
pub use parse::MAX_TARGET_CHARS;
pub use roles::skip_reason;

/// Largest file (or stdin) read, in bytes. A real fleet list is a few KB.
pub const MAX_FILE_BYTES: usize = crate::input::files::MAX_TARGETS_BYTES as usize;

/// Largest CIDR range expanded without `--allow-large-ranges` (a /16).
pub const LARGE_RANGE: u64 = 65_536;

/// Most endpoints one run may hold, and so the largest CIDR range expanded
/// even with `--allow-large-ranges` (a /11): past this the endpoint records
/// alone need gigabytes, and no Exchange fleet is that large.
pub const MAX_ENDPOINTS: u64 = 1 << 21;

/// The `file` of targets typed on the command line.
pub const ARGS_FILE: &str = "args";
/// The `file` of targets read from stdin.
pub const STDIN_FILE: &str = "-";
/// The `file` of a `--load-balancer` VIP; its `line` is the flag's
/// position among the `--load-balancer` flags.
pub const BALANCER_FILE: &str = "--load-balancer";

/// Most invalid entries one file may hold. Past this it is not a server
/// list with typos but the wrong file, and listing a million errors helps
/// nobody.
pub const MAX_BAD_PER_FILE: usize = 1000;

/// Longest target text kept in an error message.
const MAX_SHOWN_CHARS: usize = 200;

/// Parsed targets, not yet resolved.
#[derive(Debug, Clone, Default)]
pub struct TargetList {
    /// One per host and port; `address` is set for IP literals and pins.
    pub endpoints: Vec<Endpoint>,
    /// Lines skipped under `--skip-invalid`.
    pub invalid: Vec<InvalidTarget>,
    /// Ports the server's role or version says it does not have.
    pub skipped: Vec<SkippedEndpoint>,
}

/// Read every input and expand it into endpoints.
///
/// Every bad entry is collected; if there are any and `--skip-invalid` was
/// not given, the result is [`Error::BadTargets`] holding one
/// [`Error::BadTarget`] per entry, so nothing gets scanned from a bad input.
/// A file that cannot be read is an [`Error::Io`] or [`Error::BadFile`]
/// (too large, not a regular file) at once, and one that is not a list of
/// targets (not text, no host column, mostly invalid lines) an
/// [`Error::BadTargetsFile`].
pub fn load(opts: &TargetOptions) -> Result<TargetList, Error> {
    load_with_stdin(opts, &mut std::io::stdin().lock())
}

/// [`load`], reading [`Input::Stdin`] from `stdin` instead of the process's
/// standard input (tests, or an embedding program). Stdin is read once even
/// if `-` is given twice.
pub fn load_with_stdin(opts: &TargetOptions, stdin: &mut dyn Read) -> Result<TargetList, Error> {
    if port_lists(opts).iter().all(|l| l.ports.is_empty()) {
        return Err(Error::usage(
            "no ports to scan: give --frontend-ports, --backend-ports, --smtp-ports, \
             --imap-ports, --pop-ports or --tls-port",
        ));
    }
    let mut acc = Collector::new(opts);
    let mut stdin_read = false;
    for (i, input) in opts.inputs.iter().enumerate() {
        match input {
            // Hosts come first in `inputs`, so the index is the argument's
            // position among the HOST arguments.
            Input::Arg(text) => acc.target(ARGS_FILE, i + 1, text.trim(), Group::default()),
            Input::File(path) => {
                let bytes = files::read_limited(path, files::MAX_TARGETS_BYTES, "a targets file")?;
                acc.file(&path.display().to_string(), path, &bytes)?;
            }
            Input::Stdin if stdin_read => {}
            Input::Stdin => {
                stdin_read = true;
                let path = Path::new(STDIN_FILE);
                let bytes = files::read_capped(
                    &mut *stdin,
                    path,
                    files::MAX_TARGETS_BYTES,
                    "a targets file",
                )?;
                acc.file(STDIN_FILE, path, &bytes)?;
            }
        }
    }
    for (i, b) in opts.balancers.iter().enumerate() {
        let source = Source {
            file: BALANCER_FILE.to_string(),
            line: i + 1,
        };
        acc.balancer(source, b, Group::default());
    }
    for (b, source, site) in std::mem::take(&mut acc.csv_balancers) {
        let group = Group {
            site,
            ..Group::default()
        };
        acc.balancer(source, &b, group);
    }
    acc.finish()
}

/// Resolve names concurrently, apply SNI rules and de-duplicate by
/// address:port. Names that do not resolve keep `address: None` and are
/// reported as `dns_failed` by the probe.
///
/// The `Option<String>` is the resolver's message for a name that did not
/// resolve. Each distinct name is looked up once. With `--all-addresses`
/// a name yields one endpoint per address; otherwise the first IPv4, else
/// the first IPv6. An address:port reached through several names is kept
/// once, under the first name in input order, with the others in `aliases`
/// (its SNI stays the first name's).
pub async fn resolve(list: TargetList, opts: &TargetOptions) -> Vec<(Endpoint, Option<String>)> {
    resolve::resolve(list.endpoints, opts).await
}

/// The whole dry run: load, resolve, and one JSON line per endpoint. Reads
/// the process's stdin if `-` is among the inputs.
pub async fn dry_run(opts: &TargetOptions) -> Result<Vec<String>, Error> {
    let list = load(opts)?;
    let skipped = skipped_lines(&list.skipped);
    let mut lines = dry_run_lines(&resolve(list, opts).await);
    lines.extend(skipped);
    Ok(lines)
}

/// One host of an entry: as shown, its address if known, its SNI.
type Host = (String, Option<IpAddr>, Option<String>);

/// A bad entry: where, what, why.
struct Bad {
    source: Source,
    text: String,
    error: TargetError,
}

/// Accumulates endpoints and bad entries across all inputs.
struct Collector<'a> {
    opts: &'a TargetOptions,
    /// `--resolve` pins by lowercase name, in the order given.
    pins: HashMap<String, Vec<IpAddr>>,
    /// Lowercase `--sni`, if given.
    sni: Option<String>,
    endpoints: Vec<Endpoint>,
    skipped: Vec<SkippedEndpoint>,
    bad: Vec<Bad>,
    /// VIPs named in a CSV's `LoadBalancer` column, once each, with where
    /// they were first named and the site of the servers behind them
    /// (`None` once two sites name the same VIP).
    csv_balancers: Vec<(crate::config::Balancer, Source, Option<String>)>,
    /// Each CSV VIP's place in `csv_balancers`, by namespace and address
    /// (lowercase), so a large file stays linear.
    csv_balancer_index: HashMap<(String, Option<String>), usize>,
}

impl<'a> Collector<'a> {
    fn new(opts: &'a TargetOptions) -> Self {
        let mut pins: HashMap<String, Vec<IpAddr>> = HashMap::new();
        for (host, addr) in &opts.pins {
            let list = pins.entry(resolve::name_key(host)).or_default();
            if !list.contains(addr) {
                list.push(*addr);
            }
        }
        Collector {
            opts,
            pins,
            sni: opts.sni.as_deref().map(|s| resolve::name_key(s.trim())),
            endpoints: Vec::new(),
            skipped: Vec::new(),
            bad: Vec::new(),
            csv_balancers: Vec::new(),
            csv_balancer_index: HashMap::new(),
        }
    }

    /// A whole file (or stdin): decode, then CSV or text lines. Past
    /// [`MAX_BAD_PER_FILE`] bad entries the whole file is refused.
    fn file(&mut self, name: &str, path: &Path, bytes: &[u8]) -> Result<(), Error> {
        let refuse = |error: FileError| Error::BadTargetsFile {
            path: path.to_path_buf(),
            error,
        };
        let text = crate::input::decode::decode(bytes).map_err(|e| refuse(e.into()))?;
        let column = self.opts.column.as_deref();
        let bad_before = self.bad.len();
        if csv_input::looks_like_csv(&text, column) {
            for row in csv_input::rows(&text, column).map_err(refuse)? {
                match row {
                    Ok(r) => {
                        if let Some(cell) = &r.balancer {
                            self.csv_balancer(name, r.line, cell, r.group.site.as_deref());
                        }
                        self.target(name, r.line, &r.host, r.group)
                    }
                    Err(b) => self.bad(name, b.line, &b.text, b.error),
                }
                self.check_bad(bad_before).map_err(refuse)?;
            }
        } else {
            for (line, target) in parse::text_lines(&text) {
                self.target(name, line, target, Group::default());
                self.check_bad(bad_before).map_err(refuse)?;
            }
        }
        Ok(())
    }

    /// More than [`MAX_BAD_PER_FILE`] bad entries since `before`: not a
    /// server list with typos but the wrong file.
    fn check_bad(&self, before: usize) -> Result<(), FileError> {
        if self.bad.len() - before > MAX_BAD_PER_FILE {
            return Err(FileError::TooManyInvalid {
                limit: MAX_BAD_PER_FILE,
            });
        }
        Ok(())
    }

    fn target(&mut self, file: &str, line: usize, text: &str, group: Group) {
        let source = Source {
            file: file.to_string(),
            line,
        };
        let result = parse::parse_entry(text).and_then(|e| self.expand(e, &source, &group));
        if let Err(error) = result {
            self.bad(file, line, text, error);
        }
    }

    fn bad(&mut self, file: &str, line: usize, text: &str, error: TargetError) {
        let text = if text.chars().count() > MAX_SHOWN_CHARS {
            let mut t: String = text.chars().take(MAX_SHOWN_CHARS).collect();
            t.push_str("...");
            t
        } else {
            text.to_string()
        };
        self.bad.push(Bad {
            source: Source {
                file: file.to_string(),
                line,
            },
            text,
            error,
        });
    }

    /// The ports an entry is scanned on, with their roles (and labels).
    fn ports(&self, port: Option<u16>) -> Result<Vec<PortRole>, TargetError> {
        let lists = port_lists(self.opts);
        let all = lists.iter().flat_map(|l| {
            l.ports
                .iter()
                .map(move |(p, label)| (*p, l.role, label.map(str::to_string)))
        });
        let Some(p) = port else {
            return Ok(all.collect());
        };
        let found = all
            .clone()
            .find(|(q, _, _)| *q == p)
            .or_else(|| well_known(p));
        found
            .map(|r| vec![r])
            .ok_or_else(|| TargetError::PortNotListed {
                port: p,
                // The two IIS lists always, the others when in use (EdgeSync
                // is for Edge servers only, so never offered here).
                lists: lists
                    .iter()
                    .filter(|l| match l.role {
                        Role::Frontend | Role::Backend => true,
                        Role::Edgesync => false,
                        _ => !l.ports.is_empty(),
                    })
                    .map(|l| (l.flag, l.ports.iter().map(|(p, _)| *p).collect()))
                    .collect(),
            })
    }

    /// Refuse to grow past [`MAX_ENDPOINTS`].
    fn check_total(&self, hosts: u64, ports: usize) -> Result<(), TargetError> {
        let adding = hosts.saturating_mul(ports as u64);
        if (self.endpoints.len() as u64).saturating_add(adding) > MAX_ENDPOINTS {
            return Err(TargetError::TooManyEndpoints {
                limit: MAX_ENDPOINTS,
            });
        }
        Ok(())
    }

    /// Add an entry's endpoints, all or none.
    fn expand(
        &mut self,
        entry: parse::Entry,
        source: &Source,
        group: &Group,
    ) -> Result<(), TargetError> {
        let ports = self.ports(entry.port)?;
        let hosts: Vec<Host> = match entry.spec {
            parse::Spec::Name(name) => self.named(name),
            parse::Spec::Addr(a) => vec![(a.to_string(), Some(a), self.sni.clone())],
            parse::Spec::Range(net) => {
                // Checked before expanding, so a huge range never allocates.
                self.check_total(self.range_size(&net)?, ports.len())?;
                net.hosts()
                    .map(|a| (a.to_string(), Some(a), self.sni.clone()))
                    .collect()
            }
        };
        self.check_total(hosts.len() as u64, ports.len())?;
        for (host, address, sni) in hosts {
            // One copy for all of the host's ports.
            let group = SharedGroup::from(self.overridden(&host, group));
            for (port, role, label) in &ports {
                // EdgeSync runs on Edge servers only: other servers are
                // not probed on its port, and not listed as skipped either
                // (they never had it). A port typed as host:port is.
                if *role == Role::Edgesync && entry.port.is_none() && !group.roles().is_edge() {
                    continue;
                }
                let endpoint = Endpoint {
                    host: host.clone(),
                    address,
                    port: *port,
                    role: *role,
                    label: label.as_deref().map(Box::from),
                    sni: sni.clone(),
                    aliases: Vec::new(),
                    group: group.clone(),
                    source: Some(source.clone()),
                    forwards_to: None,
                    from_scan: None,
                };
                // A port typed as host:port is scanned whatever the role.
                match roles::skip_reason(&group, *role).filter(|_| entry.port.is_none()) {
                    Some(reason) => self.skipped.push(SkippedEndpoint { endpoint, reason }),
                    None => self.endpoints.push(endpoint),
                }
            }
        }
        Ok(())
    }

    /// A CSV row's `LoadBalancer` cell: the VIP is probed once, however
    /// many rows name it, in the site of its servers when they agree.
    fn csv_balancer(&mut self, file: &str, line: usize, cell: &str, site: Option<&str>) {
        let b = match balancer::parse(cell) {
            Ok(b) => b,
            Err(reason) => {
                return self.bad(file, line, cell, TargetError::BadBalancer { reason });
            }
        };
        let key = (
            b.namespace.clone(),
            b.vip.as_deref().map(str::to_ascii_lowercase),
        );
        let known = self
            .csv_balancer_index
            .get(&key)
            .and_then(|&i| self.csv_balancers.get_mut(i));
        match known {
            Some((_, _, known_site)) => {
                let agrees =
                    matches!((&*known_site, site), (Some(a), Some(s)) if a.eq_ignore_ascii_case(s));
                if !agrees {
                    *known_site = None;
                }
            }
            None => {
                self.csv_balancer_index
                    .insert(key, self.csv_balancers.len());
                self.csv_balancers.push((
                    b,
                    Source {
                        file: file.to_string(),
                        line,
                    },
                    site.map(str::to_string),
                ));
            }
        }
    }

    /// A `--load-balancer` VIP: one endpoint per frontend and SMTP port,
    /// role `load_balancer`, the namespace as SNI whatever `--sni` says
    /// (the namespace is what the balancer selects its certificate by).
    fn balancer(&mut self, source: Source, b: &crate::config::Balancer, group: Group) {
        let group = SharedGroup::from(group);
        let target = b.vip.as_deref().unwrap_or(&b.namespace);
        let hosts: Vec<Host> = match target.parse::<IpAddr>() {
            Ok(a) => vec![(target.to_string(), Some(a), None)],
            Err(_) => self.named(target.to_string()),
        };
        let ports = self
            .opts
            .frontend_ports
            .iter()
            .map(|p| (*p, Role::Frontend))
            .chain(self.opts.smtp_ports.iter().map(|p| (*p, Role::Smtp)));
        let ports: Vec<(u16, Role)> = ports.collect();
        if let Err(error) = self.check_total(hosts.len() as u64, ports.len()) {
            let text = match &b.vip {
                Some(v) => format!("{}={v}", b.namespace),
                None => b.namespace.clone(),
            };
            return self.bad(&source.file, source.line, &text, error);
        }
        for (host, address, _) in hosts {
            for (port, forwards_to) in &ports {
                self.endpoints.push(Endpoint {
                    host: host.clone(),
                    address,
                    port: *port,
                    role: Role::LoadBalancer,
                    sni: Some(b.namespace.clone()),
                    aliases: Vec::new(),
                    group: group.clone(),
                    source: Some(source.clone()),
                    forwards_to: Some(*forwards_to),
                    label: None,
                    from_scan: None,
                });
            }
        }
    }

    /// A name's hosts: one per `--resolve` pin (only the first without
    /// `--all-addresses`), else the name, to be resolved later.
    fn named(&self, name: String) -> Vec<Host> {
        let key = resolve::name_key(&name);
        let sni = Some(self.sni.clone().unwrap_or_else(|| key.clone()));
        match self.pins.get(&key) {
            Some(addrs) => {
                let take = if self.opts.all_addresses {
                    addrs.len()
                } else {
                    1
                };
                addrs
                    .iter()
                    .take(take)
                    .map(|a| (name.clone(), Some(*a), sni.clone()))
                    .collect()
            }
            None => vec![(name, None, sni)],
        }
    }

    /// How many addresses a range holds, if it may be expanded: up to
    /// [`LARGE_RANGE`], or [`MAX_ENDPOINTS`] with `--allow-large-ranges`.
    fn range_size(&self, net: &IpNet) -> Result<u64, TargetError> {
        let bits = u32::from(net.max_prefix_len() - net.prefix_len());
        match 1u64.checked_shl(bits).filter(|s| *s <= MAX_ENDPOINTS) {
            Some(s) if s <= LARGE_RANGE || self.opts.allow_large_ranges => Ok(s),
            Some(s) => Err(TargetError::RangeTooLarge {
                addresses: s,
                limit: LARGE_RANGE,
            }),
            None => Err(TargetError::RangeTooHuge {
                bits,
                limit: MAX_ENDPOINTS,
            }),
        }
    }

    /// The input's grouping with `--role` and `--site` applied (the last
    /// matching flag wins).
    fn overridden(&self, host: &str, group: &Group) -> Group {
        let mut group = group.clone();
        let matching = |list: &'a [(String, String)]| {
            list.iter()
                .rev()
                .find(|(h, _)| roles::host_matches(h, host))
                .map(|(_, v)| v.clone())
        };
        if let Some(role) = matching(&self.opts.roles) {
            group.server_role = Some(role);
        }
        if let Some(site) = matching(&self.opts.sites) {
            group.site = Some(site);
        }
        group
    }

    fn finish(self) -> Result<TargetList, Error> {
        let bad_targets = |bad: Vec<Bad>| {
            Error::BadTargets(
                bad.into_iter()
                    .map(|b| Error::BadTarget {
                        file: b.source.file,
                        line: b.source.line,
                        text: b.text,
                        error: b.error,
                    })
                    .collect(),
            )
        };
        if !self.bad.is_empty() && (!self.opts.skip_invalid || self.endpoints.is_empty()) {
            return Err(bad_targets(self.bad));
        }
        if let (true, Some(first)) = (self.endpoints.is_empty(), self.skipped.first()) {
            return Err(Error::usage(format!(
                "nothing to scan: every port was skipped for the server's role or version \
                 ({}: {})",
                first.endpoint.host, first.reason
            )));
        }
        if self.endpoints.is_empty() {
            return Err(Error::usage(if self.opts.inputs.is_empty() {
                "no targets: give hosts, --targets-file FILE, or - to read stdin"
            } else {
                "no targets: the inputs hold only blank lines, comments or a CSV header"
            }));
        }
        Ok(TargetList {
            endpoints: self.endpoints,
            skipped: self.skipped,
            invalid: self
                .bad
                .into_iter()
                .map(|b| InvalidTarget {
                    file: b.source.file,
                    line: b.source.line,
                    text: b.text,
                    error: b.error.to_string(),
                })
                .collect(),
        })
    }
}

/// A port with its role and, for `--tls-port`, its label.
type PortRole = (u16, Role, Option<String>);

/// A port typed as `host:port` that is in no list but that Exchange
/// servers are known to serve with implicit TLS: scanned as `--tls-port`
/// would (role `other`), under the label the guide gives it.
fn well_known(port: u16) -> Option<PortRole> {
    let label = match port {
        // IIS Web Management Service (remote IIS Manager, Web Deploy).
        8172 => "wmsvc",
        // Unified Messaging's SIP over TLS (Exchange 2013 and 2016).
        5061 => "um",
        _ => return None,
    };
    Some((port, Role::Other, Some(label.to_string())))
}

/// One port flag: its name, its role, and its ports with their labels.
struct PortList<'a> {
    flag: &'static str,
    role: Role,
    ports: Vec<(u16, Option<&'a str>)>,
}

/// Every port list with its flag and role, in scan order: each target is
/// scanned on the frontend ports, then backend, SMTP, IMAP, POP, EdgeSync
/// (Edge servers only) and the `--tls-port` ports.
fn port_lists(opts: &TargetOptions) -> Vec<PortList<'_>> {
    let plain = |flag, role, ports: &[u16]| PortList {
        flag,
        role,
        ports: ports.iter().map(|p| (*p, None)).collect(),
    };
    vec![
        plain("--frontend-ports", Role::Frontend, &opts.frontend_ports),
        plain("--backend-ports", Role::Backend, &opts.backend_ports),
        plain("--smtp-ports", Role::Smtp, &opts.smtp_ports),
        plain("--imap-ports", Role::Imap, &opts.imap_ports),
        plain("--pop-ports", Role::Pop, &opts.pop_ports),
        plain("--edgesync-ports", Role::Edgesync, &opts.edgesync_ports),
        PortList {
            flag: "--tls-port",
            role: Role::Other,
            ports: opts
                .tls_ports
                .iter()
                .map(|t| (t.port, Some(t.label.as_str())))
                .collect(),
        },
    ]
}
