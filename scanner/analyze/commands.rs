//! Every PowerShell command excert prints is built here, from typed values.
//!
//! A scanned server chooses the names in the certificates it presents, a
//! targets file or an export chooses host and friendly names: none of it
//! may ever run when an admin pastes a command. So no command is made by
//! pasting text into a format string. A command is a cmdlet name and
//! parameters whose values are one of:
//! - a [`Host`]: a DNS or NetBIOS name, checked letter by letter;
//! - a [`Thumbprint`]: 40 upper-case hex digits;
//! - a NetBIOS label for `-DomainName` (`[A-Za-z0-9-]{1,15}`);
//! - free text, always single-quoted with every quote PowerShell reads as a
//!   single quote (`'`, `‘`, `’`, `‚`, `‛`) doubled, and control
//!   characters refused;
//! - a [`Placeholder`], a value the admin fills in, written as a quoted
//!   string (`'<new thumbprint>'`) so the line still parses and nothing
//!   runs if it is pasted unfilled;
//! - a fixed expression from this module (`$true`, `(Get-Date)`).
//!
//! Anything that fails its check becomes the placeholder for its kind.

use std::fmt;
use std::io;

/// A value for the admin to fill in. Written into commands as a quoted
/// string (`'<new thumbprint>'`) and into prose as `<new thumbprint>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholder {
    /// The thumbprint of the certificate the previous step creates or imports.
    NewThumbprint,
    /// The thumbprint of the fleet's public certificate, when unknown.
    PublicThumbprint,
    /// The thumbprint of the server's own certificate, found by the previous step.
    ItsThumbprint,
    /// A thumbprint the admin chooses.
    Thumbprint,
    /// The server's name, when the scanned name is not a host name.
    Server,
    /// The server's NetBIOS name, when neither certificate nor host gives one.
    NetbiosName,
    /// Where the admin keeps the PFX file.
    PfxPath,
    /// The Active Directory site of the Edge subscription.
    Site,
    /// The receive connector to change.
    Connector,
    /// The `<I>issuer<S>subject` value the connector should name.
    TlsCertificateName,
    /// The Edge Transport server's name.
    EdgeServer,
}

impl Placeholder {
    /// The placeholder as prose shows it: `<new thumbprint>`.
    pub fn as_str(self) -> &'static str {
        match self {
            Placeholder::NewThumbprint => "<new thumbprint>",
            Placeholder::PublicThumbprint => "<public thumbprint>",
            Placeholder::ItsThumbprint => "<its thumbprint>",
            Placeholder::Thumbprint => "<thumbprint>",
            Placeholder::Server => "<server>",
            Placeholder::NetbiosName => "<NetBIOS name>",
            Placeholder::PfxPath => "<\\\\fileserver\\share\\certificate.pfx>",
            Placeholder::Site => "<site>",
            Placeholder::Connector => "<connector identity>",
            Placeholder::TlsCertificateName => "<I>issuer<S>subject",
            Placeholder::EdgeServer => "<edge server>",
        }
    }
}

impl fmt::Display for Placeholder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Characters PowerShell reads as a single quote.
const SINGLE_QUOTES: [char; 5] = ['\'', '\u{2018}', '\u{2019}', '\u{201A}', '\u{201B}'];

/// `text` as a PowerShell single-quoted string, or `None` when it holds a
/// control character (a newline would end the pasted line).
pub fn quoted(text: &str) -> Option<String> {
    if text.chars().any(char::is_control) {
        return None;
    }
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        if SINGLE_QUOTES.contains(&c) {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    Some(out)
}

/// A DNS or NetBIOS host name: labels of ASCII letters, digits and `-`
/// (not at either end), at most 63 each and 253 in all, not an IP
/// address (which `-Server` does not take).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host(String);

impl Host {
    /// `name` when it is a host name.
    pub fn parse(name: &str) -> Option<Host> {
        let name = name.strip_suffix('.').unwrap_or(name);
        if name.is_empty() || name.len() > 253 || name.parse::<std::net::IpAddr>().is_ok() {
            return None;
        }
        let labels_ok = name.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
        // A name of digits and dots only is an address, not a host.
        let has_letter = name.chars().any(|c| c.is_ascii_alphabetic());
        (labels_ok && has_letter).then(|| Host(name.to_string()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first label, as the NetBIOS name (at most 15 characters).
    pub fn netbios(&self) -> Option<String> {
        let first: String = self.0.split('.').next()?.chars().take(15).collect();
        netbios_label(&first)
    }
}

/// `label` when it is a NetBIOS name `-DomainName` can take: 1 to 15 of
/// ASCII letters, digits and `-`, with at least one letter.
fn netbios_label(label: &str) -> Option<String> {
    let ok = (1..=15).contains(&label.len())
        && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        && label.chars().any(|c| c.is_ascii_alphabetic());
    ok.then(|| label.to_string())
}

/// A certificate's SHA-1 thumbprint: 40 upper-case hex digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Thumbprint(String);

impl Thumbprint {
    /// `text` as a thumbprint (upper-cased first), when it is one.
    pub fn parse(text: &str) -> Option<Thumbprint> {
        let t = text.to_ascii_uppercase();
        (t.len() == 40 && t.chars().all(|c| c.is_ascii_hexdigit())).then_some(Thumbprint(t))
    }

    /// The thumbprint.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// One value in a command. Its variants can only be made through the
/// checks above or from fixed text in this crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arg(String);

impl Arg {
    /// A placeholder, as a quoted string.
    pub fn placeholder(p: Placeholder) -> Arg {
        Arg(quoted(p.as_str()).unwrap_or_default())
    }

    /// A host name, else `<server>`.
    pub fn host(name: &str) -> Arg {
        Host::parse(name).map_or(Arg::placeholder(Placeholder::Server), |h| Arg(h.0))
    }

    /// A thumbprint, else `missing`. Bare, as Microsoft writes it, unless
    /// PowerShell would read it as a number (all digits, or digits around
    /// one `D` or `E`): then quoted.
    pub fn thumbprint(text: &str, missing: Placeholder) -> Arg {
        match Thumbprint::parse(text) {
            Some(t) if t.0.chars().filter(|c| !c.is_ascii_digit()).count() > 1 => Arg(t.0),
            Some(t) => Arg::text(&t.0, missing),
            None => Arg::placeholder(missing),
        }
    }

    /// A thumbprint as a string literal (a .NET method's argument), else
    /// `missing`.
    pub fn thumbprint_string(text: &str, missing: Placeholder) -> Arg {
        match Thumbprint::parse(text) {
            Some(t) => Arg::text(&t.0, missing),
            None => Arg::placeholder(missing),
        }
    }

    /// Free text, single-quoted; `missing` when it cannot be.
    pub fn text(text: &str, missing: Placeholder) -> Arg {
        quoted(text).map_or(Arg::placeholder(missing), Arg)
    }

    /// The `-DomainName` NetBIOS label: the certificate's CN when it is
    /// one, else the host's first label, else `<NetBIOS name>`. An IP
    /// target has no label to give.
    pub fn netbios(cn: Option<&str>, host: &str) -> Arg {
        cn.and_then(netbios_label)
            .or_else(|| Host::parse(host).and_then(|h| h.netbios()))
            .map(|l| Arg(l.to_ascii_uppercase()))
            .unwrap_or_else(|| Arg::placeholder(Placeholder::NetbiosName))
    }

    /// A number.
    pub fn number(n: u32) -> Arg {
        Arg(n.to_string())
    }

    /// Fixed PowerShell from this crate (`$true`, `@()`, `(Get-Date)`).
    pub fn fixed(expr: &'static str) -> Arg {
        Arg(expr.to_string())
    }

    /// `([System.IO.File]::ReadAllBytes('<path>'))`, the bytes `-FileData`
    /// takes, from a placeholder path.
    pub fn file_bytes(path: Placeholder) -> Arg {
        Arg(format!(
            "([System.IO.File]::ReadAllBytes({}))",
            Arg::placeholder(path).0
        ))
    }

    /// The same for a fixed, already quoted path of this crate.
    pub fn file_bytes_of(path: &'static str) -> Arg {
        Arg(format!("([System.IO.File]::ReadAllBytes({path}))"))
    }

    /// The value as PowerShell.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a server's commands run: Exchange cmdlets from a central shell
/// with `-Server`, other commands through `Invoke-Command`; or, for an
/// Edge Transport server (not in Active Directory), in the Edge server's
/// own shell, without `-Server`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    name: Arg,
    shown: String,
    edge: bool,
}

impl Server {
    /// A server managed from the central Exchange Management Shell.
    pub fn new(host: &str) -> Server {
        Server {
            name: Arg::host(host),
            shown: shown(host),
            edge: false,
        }
    }

    /// An Edge Transport server: its own shell, no `-Server`.
    pub fn edge(host: &str) -> Server {
        Server {
            edge: true,
            ..Server::new(host)
        }
    }

    /// Either, by `edge`.
    pub fn at(host: &str, edge: bool) -> Server {
        if edge {
            Server::edge(host)
        } else {
            Server::new(host)
        }
    }

    /// Whether this is an Edge Transport server.
    pub fn is_edge(&self) -> bool {
        self.edge
    }

    /// The name for prose: as scanned, control characters removed.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// The name as a command argument (`<server>` when it is no host name).
    pub fn arg(&self) -> &Arg {
        &self.name
    }

    /// `script` run on this server: through `Invoke-Command` from the
    /// central shell, or as it is in an Edge server's own shell.
    pub fn run(&self, script: &[Cmd]) -> Cmd {
        let body: Vec<&str> = script.iter().map(|c| c.0.as_str()).collect();
        if self.edge {
            return Cmd(body.join("; "));
        }
        Cmd(format!(
            "Invoke-Command -ComputerName {} -ScriptBlock {{ {} }}",
            self.name,
            body.join("; ")
        ))
    }
}

/// `text` for prose and comments: one line, no control characters.
pub fn shown(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// One PowerShell command line, built from a cmdlet and checked values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cmd(String);

impl Cmd {
    /// A cmdlet (or other command) by its fixed name.
    pub fn new(cmdlet: &'static str) -> Cmd {
        Cmd(cmdlet.to_string())
    }

    /// ` -Name value`.
    pub fn arg(mut self, name: &'static str, value: &Arg) -> Cmd {
        self.0.push_str(" -");
        self.0.push_str(name);
        self.0.push(' ');
        self.0.push_str(&value.0);
        self
    }

    /// ` value`, a positional argument.
    pub fn positional(mut self, value: &Arg) -> Cmd {
        self.0.push(' ');
        self.0.push_str(&value.0);
        self
    }

    /// ` -Name`, a switch.
    pub fn switch(mut self, name: &'static str) -> Cmd {
        self.0.push_str(" -");
        self.0.push_str(name);
        self
    }

    /// ` -Server name`, except in an Edge server's own shell.
    pub fn server(self, at: &Server) -> Cmd {
        if at.edge {
            self
        } else {
            self.arg("Server", &at.name)
        }
    }

    /// `self | next`.
    pub fn pipe(mut self, next: Cmd) -> Cmd {
        self.0.push_str(" | ");
        self.0.push_str(&next.0);
        self
    }

    /// `self; next`.
    pub fn then(mut self, next: Cmd) -> Cmd {
        self.0.push_str("; ");
        self.0.push_str(&next.0);
        self
    }

    /// A fixed statement of this crate, e.g. `$b.RemoveSslCertificate()`.
    pub fn fixed(statement: &'static str) -> Cmd {
        Cmd(statement.to_string())
    }

    /// An `excert scan` line that `remediation::verify_command` built
    /// from plain or single-quoted words.
    pub(crate) fn verbatim_excert(line: &str) -> Cmd {
        Cmd(line.to_string())
    }

    /// `[System.IO.File]::WriteAllBytes('<path>', $var.Property)`: the
    /// bytes a cmdlet returned (e.g. `Export-ExchangeCertificate
    /// -BinaryEncoded`'s `FileData`) written to a file the admin names.
    pub fn write_all_bytes(path: Placeholder, var: &'static str, property: &'static str) -> Cmd {
        Cmd(format!(
            "[System.IO.File]::WriteAllBytes({}, ${var}.{property})",
            Arg::placeholder(path).0
        ))
    }

    /// `$var = self`.
    pub fn assign(self, var: &'static str) -> Cmd {
        Cmd(format!("${var} = {}", self.0))
    }

    /// `$var.Method(args, ...)`.
    pub fn call(var: &'static str, method: &'static str, args: &[&Arg]) -> Cmd {
        let args: Vec<&str> = args.iter().map(|a| a.as_str()).collect();
        Cmd(format!("${var}.{method}({})", args.join(",")))
    }

    /// `foreach ($s in 'EX01','EX02') { body }`: `body` built for a
    /// server named `$s`.
    pub fn foreach_server(hosts: &[&str], body: impl Fn(&Server) -> Cmd) -> Cmd {
        // In a `foreach` list a bare word would run as a command: each
        // name is a quoted string.
        let names: Vec<String> = hosts.iter().map(|h| foreach_name(h)).collect();
        let var = Server {
            name: Arg::fixed("$s"),
            shown: "$s".to_string(),
            edge: false,
        };
        Cmd(format!(
            "foreach ($s in {}) {{ {} }}",
            names.join(","),
            body(&var).0
        ))
    }

    /// The command line.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The command line, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Cmd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `host` as an item of a `foreach` list: a quoted string (a bare word
/// would run as a command), or the server placeholder.
fn foreach_name(host: &str) -> String {
    Host::parse(host)
        .and_then(|h| quoted(&h.0))
        .unwrap_or_else(|| Arg::placeholder(Placeholder::Server).0)
}

/// `commands` (one per server, built for `hosts`, in the same order) as
/// one `foreach ($s in 'EX01','EX02') { ... }` line, when they differ only
/// in the server's name where a command names its server (`-Server`,
/// `-ComputerName`, `-Identity`, `iisreset`) and hold no placeholder,
/// which would need a value per server.
pub fn for_each_server(hosts: &[&str], commands: &[&str]) -> Option<String> {
    let body = for_each_body(hosts, commands)?;
    let mut line = String::new();
    let _ = write_for_each(hosts, &body, &mut |piece| {
        line.push_str(piece);
        Ok(())
    });
    Some(line)
}

/// The one command, naming its server `$s`, that [`for_each_server`]
/// runs for each of `hosts`; `None` when the commands differ in more than
/// the server's name.
pub fn for_each_body(hosts: &[&str], commands: &[&str]) -> Option<String> {
    if hosts.len() < 2 || hosts.len() != commands.len() {
        return None;
    }
    let mut template: Option<String> = None;
    for (host, cmd) in hosts.iter().zip(commands) {
        let name = Host::parse(host)?;
        if cmd.contains("'<") || cmd.contains("foreach") || cmd.contains("$s") {
            return None;
        }
        let t = with_server_var(cmd, name.as_str())?;
        match &template {
            Some(first) if *first != t => return None,
            Some(_) => {}
            None => template = Some(t),
        }
    }
    template
}

/// The [`for_each_server`] line for `hosts` and `body`, written a piece
/// at a time: a group of thousands of servers names them all, and the
/// line need never be held whole.
pub fn write_for_each(
    hosts: &[&str],
    body: &str,
    out: &mut dyn FnMut(&str) -> io::Result<()>,
) -> io::Result<()> {
    out("foreach ($s in ")?;
    for (i, host) in hosts.iter().enumerate() {
        if i > 0 {
            out(",")?;
        }
        out(&foreach_name(host))?;
    }
    out(") { ")?;
    out(body)?;
    out(" }")
}

/// `cmd` with `host` replaced by `$s` where a command names its server;
/// `None` when it names it nowhere or also elsewhere.
fn with_server_var(cmd: &str, host: &str) -> Option<String> {
    let mut out = cmd.to_string();
    let mut found = false;
    for lead in ["-Server ", "-ComputerName ", "-Identity ", "iisreset "] {
        let needle = format!("{lead}{host}");
        let mut from = 0;
        while let Some(at) = out.get(from..).and_then(|r| r.find(&needle)) {
            let start = from + at;
            let end = start + needle.len();
            let next = out.get(end..).and_then(|r| r.chars().next());
            if matches!(next, None | Some(' ' | ';' | '}')) {
                out.replace_range(start + lead.len()..end, "$s");
                found = true;
                from = start + lead.len() + 2;
            } else {
                from = end;
            }
        }
    }
    (found && !out.contains(host)).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_are_doubled_and_newlines_refused() {
        assert_eq!(quoted("it's").as_deref(), Some("'it''s'"));
        assert_eq!(
            quoted("a\u{2019}b").as_deref(),
            Some("'a\u{2019}\u{2019}b'")
        );
        assert_eq!(quoted("a\nb"), None);
        assert_eq!(
            Arg::text("a\nb", Placeholder::Connector).as_str(),
            "'<connector identity>'"
        );
    }

    #[test]
    fn hosts_are_names_not_addresses() {
        assert!(Host::parse("ex01.contoso.com").is_some());
        assert!(Host::parse("EX01").is_some());
        assert!(Host::parse("127.0.0.1").is_none());
        assert!(Host::parse("::1").is_none());
        assert!(Host::parse("X;calc;#").is_none());
        assert_eq!(Arg::host("10.0.0.5").as_str(), "'<server>'");
    }

    #[test]
    fn domain_name_is_a_netbios_label() {
        assert_eq!(
            Arg::netbios(Some("EX01"), "ex01.contoso.com").as_str(),
            "EX01"
        );
        assert_eq!(
            Arg::netbios(Some("X;calc;#"), "ex01.contoso.com").as_str(),
            "EX01"
        );
        assert_eq!(Arg::netbios(None, "127.0.0.1").as_str(), "'<NetBIOS name>'");
        assert_eq!(
            Arg::netbios(Some("$(calc)"), "10.1.2.3").as_str(),
            "'<NetBIOS name>'"
        );
        assert_eq!(
            Arg::netbios(None, "exchange-mailbox01.contoso.com").as_str(),
            "EXCHANGE-MAILBO"
        );
    }

    #[test]
    fn thumbprints_are_forty_hex_digits() {
        let t = "ab".repeat(20);
        assert_eq!(
            Arg::thumbprint(&t, Placeholder::Thumbprint).as_str(),
            "AB".repeat(20)
        );
        assert_eq!(
            Arg::thumbprint("AB;calc", Placeholder::NewThumbprint).as_str(),
            "'<new thumbprint>'"
        );
        let numeric = format!("1E{}", "9".repeat(38));
        assert_eq!(
            Arg::thumbprint(&numeric, Placeholder::Thumbprint).as_str(),
            format!("'{numeric}'")
        );
    }

    #[test]
    fn a_group_shares_one_line_when_only_the_server_differs() {
        let line = for_each_server(&["EX01", "EX02"], &["iisreset EX01", "iisreset EX02"]);
        assert_eq!(
            line.as_deref(),
            Some("foreach ($s in 'EX01','EX02') { iisreset $s }")
        );
        assert_eq!(
            for_each_server(
                &["EX01", "EX02"],
                &[
                    "Remove-ExchangeCertificate -Server EX01 -Thumbprint A",
                    "Remove-ExchangeCertificate -Server EX02 -Thumbprint B"
                ],
            ),
            None
        );
        assert_eq!(
            for_each_server(
                &["EX01", "EX02"],
                &[
                    "x -Thumbprint '<new thumbprint>' -Server EX01",
                    "x -Thumbprint '<new thumbprint>' -Server EX02"
                ]
            ),
            None
        );
    }

    #[test]
    fn edge_commands_have_no_server() {
        let c = Cmd::new("Get-ExchangeCertificate").server(&Server::edge("edge01"));
        assert_eq!(c.as_str(), "Get-ExchangeCertificate");
        let c = Cmd::new("Get-ExchangeCertificate").server(&Server::new("ex01"));
        assert_eq!(c.as_str(), "Get-ExchangeCertificate -Server ex01");
    }
}
