//! `openssl s_server` as a real legacy peer: TLS 1.0/1.1 and CBC-only
//! servers that rustls cannot talk to. Shared by the tests that need one.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

/// A root -> intermediate -> leaf RSA 2048 chain made with the openssl CLI.
pub struct Pki {
    pub dir: PathBuf,
    /// DER, leaf first.
    pub chain: Vec<Vec<u8>>,
}

impl Pki {
    pub fn path(&self, name: &str) -> String {
        self.dir.join(name).display().to_string()
    }
}

pub fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the openssl CLI must be installed");
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn pem_to_der(pem: &[u8]) -> Vec<Vec<u8>> {
    x509_parser::pem::Pem::iter_from_buffer(pem)
        .map(|p| p.expect("valid PEM").contents)
        .collect()
}

/// Made once per test binary: RSA key generation is the slow part.
pub fn pki() -> &'static Pki {
    static PKI: OnceLock<Pki> = OnceLock::new();
    PKI.get_or_init(|| {
        let dir =
            PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("legacy-pki-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("ca.ext"),
            "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n",
        )
        .unwrap();
        std::fs::write(
            dir.join("leaf.ext"),
            "basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        let d = &dir;
        openssl(d, &["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "root.key",
            "-out", "root.pem", "-subj", "/CN=excert test root", "-days", "3650",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
        openssl(d, &["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "int.key", "-out",
            "int.csr", "-subj", "/CN=excert test intermediate"]);
        openssl(d, &["x509", "-req", "-in", "int.csr", "-CA", "root.pem", "-CAkey", "root.key",
            "-set_serial", "0x1001", "-days", "3650", "-extfile", "ca.ext", "-out", "int.pem"]);
        openssl(d, &["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "leaf.key", "-out",
            "leaf.csr", "-subj", "/CN=localhost"]);
        openssl(d, &["x509", "-req", "-in", "leaf.csr", "-CA", "int.pem", "-CAkey", "int.key",
            "-set_serial", "0x2002", "-days", "365", "-extfile", "leaf.ext", "-out", "leaf.pem"]);
        let read = |n: &str| std::fs::read(dir.join(n)).unwrap();
        let mut chain_pem = read("int.pem");
        chain_pem.extend(read("root.pem"));
        std::fs::write(dir.join("chain.pem"), &chain_pem).unwrap();
        let mut chain = pem_to_der(&read("leaf.pem"));
        chain.extend(pem_to_der(&chain_pem));
        assert_eq!(chain.len(), 3);
        Pki { dir, chain }
    })
}

/// A running `openssl s_server`, killed on drop.
pub struct Server {
    child: Child,
    pub port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start `openssl s_server` with the test chain and `extra` flags, on
/// 127.0.0.1 and a port the kernel picks, and wait until it listens.
pub fn s_server(extra: &[&str]) -> Server {
    let pki = pki();
    let mut child = Command::new("openssl")
        .args(["s_server", "-accept", "127.0.0.1:0", "-cert"])
        .arg(pki.path("leaf.pem"))
        .arg("-key")
        .arg(pki.path("leaf.key"))
        .arg("-cert_chain")
        .arg(pki.path("chain.pem"))
        .args(extra)
        // s_server quits at EOF on stdin, so keep stdin open (and unused).
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the openssl CLI must be installed");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout);
    let mut port = None;
    let mut line = String::new();
    // "ACCEPT 127.0.0.1:PORT" is printed once the socket listens.
    while lines.read_line(&mut line).unwrap_or(0) > 0 {
        if let Some(addr) = line.trim().strip_prefix("ACCEPT ") {
            port = addr.rsplit(':').next().and_then(|p| p.parse().ok());
            break;
        }
        line.clear();
    }
    let Some(port) = port else {
        let _ = child.kill();
        panic!("openssl s_server {extra:?} did not start");
    };
    // Keep draining stdout, or s_server blocks once the pipe is full.
    std::thread::spawn(move || std::io::copy(&mut lines, &mut std::io::sink()));
    Server { child, port }
}
