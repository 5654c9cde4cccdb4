//! Steps for what the server's versions call for: TLS 1.3 off where the
//! build does not support it, the same TLS versions on every server, and
//! the move off a version past its end of support.

use super::{Step, Task};
use crate::analyze::commands::{shown, Cmd, Server};

/// SCHANNEL's TLS 1.3 off for server and client alike: HealthChecker
/// reports a client side that differs from the server side red. Keys are
/// created only when missing: `New-Item -Force` on an existing registry key
/// would empty it.
const TLS13_OFF_SCRIPT: &str = concat!(
    "foreach ($side in 'Server','Client') { ",
    "$p = \"HKLM:\\SYSTEM\\CurrentControlSet\\Control\\SecurityProviders\\SCHANNEL\\Protocols\\TLS 1.3\\$side\"; ",
    "if (-not (Test-Path $p)) { New-Item -Path $p -Force | Out-Null }; ",
    "New-ItemProperty -Path $p -Name Enabled -Value 0 -PropertyType DWord -Force | Out-Null; ",
    "New-ItemProperty -Path $p -Name DisabledByDefault -Value 1 -PropertyType DWord -Force | Out-Null }"
);

/// TLS 1.3 is accepted on a build that does not support it. On an Edge
/// Transport server (`edge`) the command runs in its own shell.
pub fn disable_tls13(host: &str, edge: bool) -> Step {
    let at = Server::at(host, edge);
    let h = at.shown();
    Step::new(
        Task::DisableTls13,
        host,
        format!(
            "Disable TLS 1.3 on {h}, whose Exchange build does not support it: the command sets \
             SCHANNEL Protocols\\TLS 1.3, Server and Client, to Enabled 0 and DisabledByDefault \
             1; then restart {h} (SCHANNEL reads them at start). Or update {h} to Exchange 2019 \
             CU15 or Exchange SE, which support TLS 1.3."
        ),
    )
    .run(at.run(&[Cmd::fixed(TLS13_OFF_SCRIPT)]))
}

/// The server's frontend (`port`) accepts other TLS versions than the
/// servers of its site or namespace. Which set is right is the admin's
/// call, so no command is given.
pub fn align_tls_versions(host: &str, port: u16) -> Step {
    let h = shown(host);
    Step::new(
        Task::ConfigureProtocols,
        host,
        format!(
            "Give {h} the same TLS versions as the other servers of its site and namespace: \
             decide the set the fleet accepts (TLS 1.2; TLS 1.3 only where every build supports \
             it; TLS 1.0 and 1.1 off once no client needs them), set the same SCHANNEL \
             Protocols keys (Server and Client) on every server, and restart each. Extended \
             Protection needs the same TLS configuration on all of them."
        ),
    )
    .port(port)
}

/// The server runs `product`, whose support ended on `ended`.
pub fn plan_upgrade(host: &str, product: &str, ended: &str) -> Step {
    let (h, product, ended) = (shown(host), shown(product), shown(ended));
    Step::new(
        Task::PlanUpgrade,
        host,
        format!(
            "Plan the move of {h} from {product} (support ended on {ended}) to Exchange Server \
             SE, Microsoft's current version. No certificate depends on it."
        ),
    )
}
