//! Debian's Postfix and Dovecot as real mail servers on a private loopback
//! address, with private config dirs under a temp dir: started by the test,
//! stopped (SIGTERM) when dropped, no system service touched.
//!
//! Both need root (Postfix's master and Dovecot drop privileges to their
//! own users) and the packages `postfix`, `dovecot-imapd` and
//! `dovecot-pop3d` (.ci/run installs them). Without them the tests skip,
//! unless `EXCERT_REQUIRE_MAIL_SERVERS=1` (set by .ci/run) makes that a
//! failure.
#![allow(dead_code)]

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use excert::lab::Served;

const POSTFIX_MASTER: &str = "/usr/lib/postfix/sbin/master";
const DOVECOT: &str = "/usr/sbin/dovecot";

/// Whether the mail servers can run here; prints why not.
pub fn available() -> bool {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let installed = Path::new(POSTFIX_MASTER).exists() && Path::new(DOVECOT).exists();
    if root && installed {
        return true;
    }
    let why = if root {
        "postfix or dovecot is not installed (apt-get install postfix dovecot-imapd dovecot-pop3d)"
    } else {
        "not running as root"
    };
    assert!(
        std::env::var_os("EXCERT_REQUIRE_MAIL_SERVERS").is_none(),
        "EXCERT_REQUIRE_MAIL_SERVERS is set but {why}"
    );
    eprintln!("skipping: {why}");
    false
}

/// A loopback address of its own, so the servers can use the real ports
/// (25, 143, 993, ...) without meeting anything else.
pub fn private_loopback() -> Ipv4Addr {
    let n = std::process::id();
    Ipv4Addr::new(127, 200, ((n >> 8) & 0xff) as u8, (1 + n % 250) as u8)
}

/// `der` as PEM.
pub fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let body: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        body.join("\n")
    )
}

/// Write a served chain and its key as `<name>.pem` and `<name>.key`.
pub fn write_served(dir: &Path, name: &str, served: &Served) -> (PathBuf, PathBuf) {
    let chain: String = served
        .chain
        .iter()
        .map(|c| pem("CERTIFICATE", c.as_ref()))
        .collect();
    let (cert, key) = (
        dir.join(format!("{name}.pem")),
        dir.join(format!("{name}.key")),
    );
    std::fs::write(&cert, chain).unwrap();
    std::fs::write(&key, pem("PRIVATE KEY", served.key.secret_der())).unwrap();
    (cert, key)
}

/// The daemons' own users must be able to walk into the temp dir, which
/// tempfile makes 0700.
fn open_up(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// Start `command` in a process group of its own: Postfix's master signals
/// its whole group when it stops, which must not include the test.
fn spawn(mut command: Command, what: &str) -> Child {
    use std::os::unix::process::CommandExt;
    command
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{what} starts: {e}"))
}

/// Wait until every port accepts a connection. The daemons signal nothing
/// when ready, so this polls (every 50 ms, up to 15 s): a readiness wait,
/// not a fixed sleep.
fn wait_listening(ip: Ipv4Addr, ports: &[u16], log: &Path) {
    let started = Instant::now();
    for &port in ports {
        let addr = SocketAddr::new(IpAddr::V4(ip), port);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "{addr} never listened; log: {}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A running server process, stopped with SIGTERM on drop (so Postfix's
/// master and Dovecot stop their children too).
pub struct Daemon {
    child: Child,
    pub log: PathBuf,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

impl Daemon {
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

/// One Postfix smtpd listener: port, and the certificate it presents
/// (`None`: TLS off, so no STARTTLS).
pub struct Listener<'a> {
    pub port: u16,
    pub tls: Option<(&'a Path, &'a Path)>,
}

/// Postfix's master in the foreground with one smtpd per listener, each
/// with its own certificate (`-o smtpd_tls_cert_file=...`).
pub fn postfix(dir: &Path, ip: Ipv4Addr, listeners: &[Listener<'_>]) -> Daemon {
    open_up(dir);
    let conf = dir.join("postfix");
    let queue = dir.join("postfix-queue");
    let data = dir.join("postfix-data");
    for d in [&conf, &queue, &data] {
        std::fs::create_dir_all(d).unwrap();
    }
    let log = dir.join("postfix.log");
    let main_cf = format!(
        "compatibility_level = 3.6\n\
         queue_directory = {queue}\n\
         data_directory = {data}\n\
         mail_owner = postfix\n\
         myhostname = mx.postfix.test\n\
         inet_interfaces = loopback-only\n\
         inet_protocols = ipv4\n\
         maillog_file_prefixes = {dir}\n\
         maillog_file = {log}\n\
         smtpd_banner = $myhostname ESMTP Postfix (Debian)\n\
         local_recipient_maps =\n\
         alias_maps =\n\
         alias_database =\n",
        queue = queue.display(),
        data = data.display(),
        dir = dir.display(),
        log = log.display(),
    );
    std::fs::write(conf.join("main.cf"), main_cf).unwrap();
    let mut master_cf = String::new();
    for l in listeners {
        let tls = match l.tls {
            Some((cert, key)) => format!(
                "-o smtpd_tls_security_level=may -o smtpd_tls_cert_file={} -o smtpd_tls_key_file={}",
                cert.display(),
                key.display()
            ),
            None => "-o smtpd_tls_security_level=none".into(),
        };
        master_cf.push_str(&format!("{ip}:{} inet n - n - - smtpd {tls}\n", l.port));
    }
    master_cf.push_str(
        "tlsmgr unix - - n 1000? 1 tlsmgr\n\
         proxymap unix - - n - - proxymap\n\
         anvil unix - - n - 1 anvil\n\
         postlog unix-dgram n - n - 1 postlogd\n",
    );
    std::fs::write(conf.join("master.cf"), master_cf).unwrap();
    // `postfix check` makes the queue directories with their owners.
    let check = Command::new("postfix")
        .arg("-c")
        .arg(&conf)
        .arg("check")
        .output()
        .expect("postfix runs");
    assert!(check.status.success(), "postfix check: {check:?}");
    let _ = Command::new("chown").arg("postfix").arg(&data).status();
    let mut command = Command::new(POSTFIX_MASTER);
    command.arg("-c").arg(&conf).arg("-d");
    let child = spawn(command, "postfix master");
    let daemon = Daemon { child, log };
    let ports: Vec<u16> = listeners.iter().map(|l| l.port).collect();
    wait_listening(ip, &ports, &daemon.log);
    daemon
}

/// Dovecot in the foreground with IMAP on 143 (STARTTLS) and 993
/// (implicit), POP3 on 110 (STLS) and 995 (implicit), all presenting
/// `cert`.
pub fn dovecot(dir: &Path, ip: Ipv4Addr, cert: &Path, key: &Path) -> Daemon {
    open_up(dir);
    let base = dir.join("dovecot");
    for sub in ["run", "state", "mail", "home"] {
        std::fs::create_dir_all(base.join(sub)).unwrap();
    }
    let log = base.join("dovecot.log");
    let conf = format!(
        "base_dir = {b}/run\n\
         state_dir = {b}/state\n\
         log_path = {log}\n\
         protocols = imap pop3\n\
         listen = {ip}\n\
         ssl = yes\n\
         ssl_cert = <{cert}\n\
         ssl_key = <{key}\n\
         default_internal_user = dovecot\n\
         default_login_user = dovenull\n\
         mail_location = maildir:{b}/mail\n\
         passdb {{\n  driver = static\n  args = password=unused-by-the-scanner\n}}\n\
         userdb {{\n  driver = static\n  args = uid=nobody gid=nogroup home={b}/home\n}}\n\
         service imap-login {{\n\
           inet_listener imap {{\n    port = 143\n  }}\n\
           inet_listener imaps {{\n    port = 993\n    ssl = yes\n  }}\n\
         }}\n\
         service pop3-login {{\n\
           inet_listener pop3 {{\n    port = 110\n  }}\n\
           inet_listener pop3s {{\n    port = 995\n    ssl = yes\n  }}\n\
         }}\n",
        b = base.display(),
        log = log.display(),
        cert = cert.display(),
        key = key.display(),
    );
    let path = base.join("dovecot.conf");
    std::fs::write(&path, conf).unwrap();
    let mut command = Command::new(DOVECOT);
    command.arg("-F").arg("-c").arg(&path);
    let child = spawn(command, "dovecot");
    let daemon = Daemon { child, log };
    wait_listening(ip, &[143, 993, 110, 995], &daemon.log);
    daemon
}
