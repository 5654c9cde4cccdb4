//! Every remediation step excert gives, in one place.
//!
//! A [`Step`] is data (declared in `model`, since scan.json carries it): what
//! to do ([`Task`]), where (server, and the port when the step concerns one
//! site), the sentence an admin reads (`text`, prose only), and the
//! PowerShell command when there is one (`powershell`), kept apart so it
//! can be copied on its own. Commands are built only by
//! [`crate::analyze::commands`], from checked values: nothing a scanned
//! server, a targets file or an export chooses can run when pasted.
//!
//! Numbering is done once, by [`numbered`] and [`inline`].
//!
//! Rules every step follows (Microsoft's documented procedure for each
//! cmdlet; the parameters are checked against the cmdlet's own):
//! - a load balancer's VIP is no Exchange server: no Exchange cmdlet runs
//!   against it (`balancer.rs`);
//! - every Exchange cmdlet names its server with `-Server`, except on an
//!   Edge Transport server, whose commands run in its own shell; commands
//!   that are not Exchange cmdlets run through `Invoke-Command`;
//! - 443 fixes enable IIS on a public certificate; 444 fixes bind the
//!   Exchange Back End site on the scanned port, removing the old
//!   certificate from the binding first, and never use `-Services IIS`;
//! - renewing the server's own certificate never touches IIS (the renewal
//!   trap): it is re-created with `-Services SMTP`;
//! - every prompt a command raises has its answer in the step's text;
//! - the old certificate is removed last, once nothing refers to it.

mod backend;
mod balancer;
mod mail;
mod other;
mod ports;
mod public;
mod store;
mod versions;

/// How steps read as text (`1. ...`), beside the steps themselves in the
/// model, which renders scan.json's remediation text from them.
pub use crate::model::json::{inline, numbered};
pub use crate::model::{Step, Task};

pub use backend::*;
pub use balancer::*;
pub use mail::*;
pub use other::*;
pub use ports::*;
pub use public::*;
pub use store::*;
pub use versions::*;

use std::sync::Arc;

use crate::analyze::commands::{Arg, Cmd, Placeholder, Server, Thumbprint};
use crate::model::json::StepCommand;

/// What to type when the public thumbprint is unknown.
pub const UNKNOWN_PUBLIC: &str = "<public thumbprint>";

impl Step {
    fn new(task: Task, server: &str, text: String) -> Step {
        Step::with_words(
            task,
            Arc::new(server.to_string()),
            None,
            Arc::default(),
            text,
        )
    }

    fn port(mut self, port: u16) -> Step {
        self.port = Some(port);
        self
    }

    fn run(mut self, command: Cmd) -> Step {
        self.set_command(Some(StepCommand::Own(command.into_string().into())));
        self
    }

    /// Lists `sha1` among the step's thumbprints when it is one.
    fn thumbprint(mut self, sha1: &str) -> Step {
        if let Some(t) = Thumbprint::parse(sha1) {
            let mut all = self.thumbprints.to_vec();
            all.push(t.as_str().to_string());
            self.thumbprints = all.into();
        }
        self
    }
}

/// A thumbprint for prose: the checked one, else the placeholder.
fn shown_thumb(sha1: &str, missing: Placeholder) -> String {
    Thumbprint::parse(sha1).map_or(missing.as_str().to_string(), |t| t.as_str().to_string())
}

/// A thumbprint as a command value, else the placeholder.
fn thumb_arg(sha1: &str, missing: Placeholder) -> Arg {
    Arg::thumbprint(sha1, missing)
}

/// `Enable-ExchangeCertificate -Server S -Thumbprint 'T' -Services X`.
fn enable(at: &Server, thumb: &Arg, services: &'static str) -> Cmd {
    Cmd::new("Enable-ExchangeCertificate")
        .server(at)
        .arg("Thumbprint", thumb)
        .arg("Services", &Arg::fixed(services))
}

/// `Get-ExchangeCertificate -Server S -Thumbprint 'T'`.
fn get_cert(at: &Server, thumb: &Arg) -> Cmd {
    Cmd::new("Get-ExchangeCertificate")
        .server(at)
        .arg("Thumbprint", thumb)
}

/// Run iisreset, at a time that does not hurt.
pub fn iisreset(host: &str) -> Step {
    let at = Server::new(host);
    let h = at.shown();
    Step::new(
        Task::Iisreset,
        host,
        format!(
            "Restart IIS on {h} (iisreset): off-hours on a standalone server, or after moving \
             the active databases off {h} in a DAG. Until IIS restarts, Exchange may keep using \
             the previous certificate."
        ),
    )
    .run(Cmd::new("iisreset").positional(at.arg()))
}

/// Import a PFX onto a server (`-FileData` is mandatory in every set).
fn import_pfx(at: &Server, what: &str) -> Step {
    let cmd = Cmd::new("Import-ExchangeCertificate")
        .server(at)
        .arg("FileData", &Arg::file_bytes(Placeholder::PfxPath))
        .arg(
            "Password",
            &Arg::fixed("(Read-Host -AsSecureString 'PFX password')"),
        );
    Step::new(
        Task::ImportCertificate,
        at.shown(),
        format!(
            "Import {what} on {} from its .pfx file (with the private key), unless it is there \
             already; replace {} with the file's path. Note its thumbprint ({}).",
            at.shown(),
            Placeholder::PfxPath,
            Placeholder::NewThumbprint,
        ),
    )
    .run(cmd)
}

/// Remove a replaced certificate, last.
pub fn remove_old(host: &str, old: &str) -> Step {
    remove_old_at(&Server::new(host), old)
}

fn remove_old_at(at: &Server, old: &str) -> Step {
    let cmd = Cmd::new("Remove-ExchangeCertificate")
        .server(at)
        .arg("Thumbprint", &thumb_arg(old, Placeholder::Thumbprint));
    Step::new(
        Task::RemoveOldCertificate,
        at.shown(),
        format!(
            "Last, once no IIS binding, connector (TlsCertificateName) or AuthConfig refers to \
             {} any more, remove it from {}. An expired certificate left bound to IIS makes the \
             next CU setup fail.",
            shown_thumb(old, Placeholder::Thumbprint),
            at.shown()
        ),
    )
    .run(cmd)
    .thumbprint(old)
}

#[cfg(test)]
mod tests;
