//! Opening TCP connections politely and turning socket errors into statuses.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::TcpStream;

use crate::model::Status;

/// How often to wait and try again when the process is out of file
/// descriptors: a crowded scan should slow down, not fail endpoints.
const EMFILE_RETRIES: u32 = 50;
const EMFILE_PAUSE: Duration = Duration::from_millis(100);

/// Why no connection was made.
#[derive(Debug)]
pub struct ConnectError {
    /// `refused`, `timeout` or `unreachable`.
    pub status: Status,
    /// The error as scan.json's `error` says it, e.g. `connect: Connection refused`.
    pub message: String,
}

fn out_of_descriptors(e: &io::Error) -> bool {
    // EMFILE/ENFILE on Unix, WSAEMFILE on Windows.
    matches!(e.raw_os_error(), Some(24) | Some(23) | Some(10024))
}

/// Map a connect error to the status a person expects.
pub fn connect_status(e: &io::Error) -> Status {
    match e.kind() {
        io::ErrorKind::ConnectionRefused => Status::Refused,
        io::ErrorKind::TimedOut => Status::Timeout,
        _ => Status::Unreachable,
    }
}

/// Connect with a timeout. Only a connect timeout is retried (`retries`
/// times): a refusal is an answer, and retrying it would only be rude.
pub async fn connect(
    addr: SocketAddr,
    timeout: Duration,
    retries: u32,
) -> Result<TcpStream, ConnectError> {
    let mut timeouts = 0;
    let mut emfile = 0;
    loop {
        match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
            Ok(Ok(stream)) => {
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Ok(Err(e)) if out_of_descriptors(&e) && emfile < EMFILE_RETRIES => {
                emfile += 1;
                tokio::time::sleep(EMFILE_PAUSE).await;
            }
            Ok(Err(e)) => {
                return Err(ConnectError {
                    status: connect_status(&e),
                    message: format!("connect: {e}"),
                })
            }
            Err(_) if timeouts < retries => timeouts += 1,
            Err(_) => {
                return Err(ConnectError {
                    status: Status::Timeout,
                    message: format!(
                        "connect: no answer within {:.1} s ({} attempt{})",
                        timeout.as_secs_f64(),
                        timeouts + 1,
                        if timeouts == 0 { "" } else { "s" }
                    ),
                })
            }
        }
    }
}

/// Descriptors kept free beyond those already open when the scan starts:
/// the report set (up to five temporary files), a folder sync, the
/// resolver and stdio.
const FD_HEADROOM: u64 = 16;

/// Never fewer endpoints at once than this, however low the limit: a
/// connect that finds no descriptor waits and retries (see [`connect`]),
/// which is slower but still finishes, while a concurrency of 1 turns a
/// /24 of filtered addresses into a quarter-hour.
pub const MIN_CONCURRENCY: usize = 8;

/// The open-files limit after raising it, and how many sockets the probes
/// may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FdBudget {
    /// The open-files soft limit, after raising it.
    pub limit: u64,
    /// Sockets the probes may hold at once: the limit less the descriptors
    /// already open and a reserve for the report files.
    pub sockets: usize,
}

/// Raise the open-files soft limit to the hard limit, and size the budget
/// for sockets to what is left once the descriptors already open and the
/// report files are reserved. `None` where the limit cannot be read.
pub fn raise_fd_limit() -> Option<FdBudget> {
    #[cfg(unix)]
    {
        // Handles macOS's OPEN_MAX cap as well as Linux's hard limit.
        let limit = rlimit::increase_nofile_limit(u64::MAX).ok()?;
        let open = std::fs::read_dir("/proc/self/fd")
            .or_else(|_| std::fs::read_dir("/dev/fd"))
            .map_or(64, |d| d.count() as u64);
        let sockets = limit.saturating_sub(open + FD_HEADROOM);
        Some(FdBudget {
            limit,
            sockets: usize::try_from(sockets).unwrap_or(usize::MAX),
        })
    }
    #[cfg(not(unix))]
    {
        None
    }
}
