//! Lab listeners: real TLS servers (tokio-rustls) and the misbehaving ones a
//! fleet also has.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::ServerConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

use super::certs::Served;

/// A hand-written peer for hostile-server tests.
pub type RawHandler =
    Arc<dyn Fn(TcpStream) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// What one port of a lab host does.
#[derive(Clone)]
pub enum Service {
    /// Nothing listens: connections are refused.
    Closed,
    /// A TLS server presenting this chain.
    Tls(Served),
    /// A TLS server choosing the chain by SNI (lowercase name), with a
    /// default for hellos without SNI or with an unknown name.
    BySni {
        /// (lowercase server name, chain) pairs.
        names: Vec<(String, Served)>,
        /// The chain for any other hello.
        default: Served,
    },
    /// A TLS server limited to TLS 1.3.
    Tls13Only(Served),
    /// Accepts and never says a word.
    Silent,
    /// Answers like a plain HTTP server.
    PlainHttp,
    /// Anything else.
    Raw(RawHandler),
    /// An Exchange-like SMTP port (see [`super::smtp`]).
    Smtp(super::smtp::SmtpSpec),
    /// A TLS server limited to TLS 1.2, as Windows serves Exchange builds
    /// that do not support TLS 1.3 (before 2019 CU15).
    Tls12Only(Served),
    /// `before` until `switched` is set, then `after`: a fleet that changes
    /// between two scans on the same addresses and ports, as between two
    /// scans `excert diff` compares.
    Switch {
        /// Served first.
        before: Box<Service>,
        /// Served once `switched` is set.
        after: Box<Service>,
        /// Set it to change over; connections already open are not cut.
        switched: Arc<AtomicBool>,
    },
}

#[derive(Debug)]
struct BySni {
    names: HashMap<String, Arc<CertifiedKey>>,
    default: Arc<CertifiedKey>,
}

impl ResolvesServerCert for BySni {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let name = hello.server_name().map(|n| n.to_ascii_lowercase());
        Some(
            name.and_then(|n| self.names.get(&n).cloned())
                .unwrap_or_else(|| self.default.clone()),
        )
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn certified(served: &Served) -> Arc<CertifiedKey> {
    let key = provider()
        .key_provider
        .load_private_key(served.key.clone_key())
        .expect("lab key loads");
    Arc::new(CertifiedKey::new(served.chain.clone(), key))
}

/// Which TLS versions a lab listener accepts.
#[derive(Clone, Copy)]
enum Versions {
    Both,
    Tls13Only,
    Tls12Only,
}

fn tls_config(resolver: Arc<dyn ResolvesServerCert>, versions: Versions) -> Arc<ServerConfig> {
    let versions: &[&rustls::SupportedProtocolVersion] = match versions {
        Versions::Tls13Only => &[&rustls::version::TLS13],
        Versions::Tls12Only => &[&rustls::version::TLS12],
        Versions::Both => &[&rustls::version::TLS13, &rustls::version::TLS12],
    };
    let config = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(versions)
        .expect("ring supports these versions")
        .with_no_client_auth()
        .with_cert_resolver(resolver);
    Arc::new(config)
}

/// A listener's behaviour, prepared once.
enum Prepared {
    Tls(TlsAcceptor),
    Silent,
    PlainHttp,
    Raw(RawHandler),
    Smtp(super::smtp::Prepared),
    /// Closes every connection (the `Closed` side of a switch).
    Close,
    Switch {
        before: Box<Prepared>,
        after: Box<Prepared>,
        switched: Arc<AtomicBool>,
    },
}

fn prepare(service: &Service) -> Option<Prepared> {
    let single = |s: &Served| -> Arc<dyn ResolvesServerCert> {
        Arc::new(BySni {
            names: HashMap::new(),
            default: certified(s),
        })
    };
    Some(match service {
        Service::Closed => return None,
        Service::Tls(s) => Prepared::Tls(TlsAcceptor::from(tls_config(single(s), Versions::Both))),
        Service::Tls13Only(s) => Prepared::Tls(TlsAcceptor::from(tls_config(
            single(s),
            Versions::Tls13Only,
        ))),
        Service::Tls12Only(s) => Prepared::Tls(TlsAcceptor::from(tls_config(
            single(s),
            Versions::Tls12Only,
        ))),
        Service::BySni { names, default } => {
            let names = names
                .iter()
                .map(|(n, s)| (n.to_ascii_lowercase(), certified(s)))
                .collect();
            let resolver = Arc::new(BySni {
                names,
                default: certified(default),
            });
            Prepared::Tls(TlsAcceptor::from(tls_config(resolver, Versions::Both)))
        }
        Service::Switch {
            before,
            after,
            switched,
        } => {
            let side = |s: &Service| Box::new(prepare(s).unwrap_or(Prepared::Close));
            Prepared::Switch {
                before: side(before),
                after: side(after),
                switched: switched.clone(),
            }
        }
        Service::Silent => Prepared::Silent,
        Service::PlainHttp => Prepared::PlainHttp,
        Service::Raw(h) => Prepared::Raw(h.clone()),
        Service::Smtp(spec) => {
            let acceptor = match &spec.starttls {
                super::smtp::Starttls::Tls(s) => {
                    Some(TlsAcceptor::from(tls_config(single(s), Versions::Both)))
                }
                super::smtp::Starttls::Tls12(s) => Some(TlsAcceptor::from(tls_config(
                    single(s),
                    Versions::Tls12Only,
                ))),
                _ => None,
            };
            Prepared::Smtp(super::smtp::prepare(spec, acceptor))
        }
    })
}

/// Connections the lab keeps open at most this long, so a forgotten client
/// cannot pin a task forever.
const CONNECTION_LIFETIME: Duration = Duration::from_secs(120);

async fn handle(prepared: Arc<Prepared>, mut stream: TcpStream) {
    let current = match &*prepared {
        Prepared::Switch {
            before,
            after,
            switched,
        } => {
            if switched.load(Ordering::SeqCst) {
                &**after
            } else {
                &**before
            }
        }
        other => other,
    };
    match current {
        Prepared::Tls(acceptor) => {
            if let Ok(mut tls) = acceptor.accept(stream).await {
                // The scanner closes after the handshake; wait for that.
                let mut buf = [0u8; 512];
                let _ = tls.read(&mut buf).await;
            }
        }
        Prepared::Silent => {
            let mut buf = [0u8; 4096];
            while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {}
        }
        Prepared::PlainHttp => {
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf).await;
            let body = "<html><body>400 Bad Request</body></html>";
            let reply = format!(
                "HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(reply.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
        Prepared::Raw(handler) => handler(stream).await,
        Prepared::Smtp(p) => super::smtp::session(p, stream).await,
        // A switch inside a switch is not made by the lab.
        Prepared::Close | Prepared::Switch { .. } => {}
    }
}

/// Serve `service` on `listener` until the task is aborted.
pub(crate) async fn serve(listener: TcpListener, service: Service) {
    let Some(prepared) = prepare(&service).map(Arc::new) else {
        return;
    };
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let prepared = prepared.clone();
        tokio::spawn(async move {
            let _ = tokio::time::timeout(CONNECTION_LIFETIME, handle(prepared, stream)).await;
        });
    }
}
