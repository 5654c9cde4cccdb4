//! Which way a connector carries mail.

use serde::{Deserialize, Serialize};

/// A receive connector (`Get-ReceiveConnector`) or a send connector
/// (`Get-SendConnector`); written `receive` or `send`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConnectorKind {
    /// Accepts mail: bound to an address and port on one server.
    Receive,
    /// Sends mail: runs on its source transport servers.
    Send,
}

impl ConnectorKind {
    /// `receive` or `send`, as scan.json writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            ConnectorKind::Receive => "receive",
            ConnectorKind::Send => "send",
        }
    }
}

impl std::fmt::Display for ConnectorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
