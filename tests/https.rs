//! HTTPS over loopback against a rustls server with certificates made at
//! test time. A test binary of its own: minreq builds its TLS configuration
//! once per process (reading `SSL_CERT_FILE` then, with `https-os-roots`),
//! so every scenario runs in one test, in order, after the variable is set.
//!
//! Run the full path with the OS trust store:
//! `cargo test --no-default-features --features https-os-roots --test https`.
//! With the bundled roots (`https`, the default) the test CA cannot be
//! trusted, and the test checks that instead.
// Without TLS support only the last test is built; the server is unused.
#![cfg_attr(
    not(any(feature = "https", feature = "https-os-roots")),
    allow(dead_code, unused_imports)
)]

mod common;

use cctoken::{Credentials, ErrorKind, TrustRoots};
use common::TempDir;
use rcgen::{BasicConstraints, Certificate, CertificateParams, DnType, IsCa, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

const TOKEN: &str = r#"{"access_token":"tls-token","token_type":"Bearer","expires_in":60}"#;

struct Ca {
    cert: Certificate,
    key: KeyPair,
}

fn ca(name: &str) -> Ca {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.distinguished_name.push(DnType::CommonName, name);
    Ca {
        cert: params.self_signed(&key).unwrap(),
        key,
    }
}

/// A leaf certificate for `host`, signed by `ca`, and its key.
fn leaf(ca: &Ca, host: &str) -> (CertificateDer<'static>, PrivateKeyDer<'static>) {
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec![host.to_owned()])
        .unwrap()
        .signed_by(&key, &ca.cert, &ca.key)
        .unwrap();
    let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    (cert.der().clone(), der)
}

/// A TLS server on 127.0.0.1:0 answering every request with a token, on a
/// provider of its own (so it does not install a process default before
/// cctoken does). Stopped and joined on drop.
struct TlsServer {
    port: u16,
    requests: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

fn server_provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

impl TlsServer {
    fn start(cert: CertificateDer<'static>, key: PrivateKeyDer<'static>) -> TlsServer {
        let config = rustls::ServerConfig::builder_with_provider(server_provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert], key)
            .unwrap();
        TlsServer::with_config(config)
    }

    /// A server that requires a client certificate from `client_ca`.
    fn mutual(
        cert: CertificateDer<'static>,
        key: PrivateKeyDer<'static>,
        client_ca: &Ca,
    ) -> TlsServer {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(client_ca.cert.der().clone()).unwrap();
        let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
            Arc::new(roots),
            server_provider(),
        )
        .build()
        .unwrap();
        let config = rustls::ServerConfig::builder_with_provider(server_provider())
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_client_cert_verifier(verifier)
            .with_single_cert(vec![cert], key)
            .unwrap();
        TlsServer::with_config(config)
    }

    fn with_config(config: rustls::ServerConfig) -> TlsServer {
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (requests, stop) = (requests.clone(), stop.clone());
            std::thread::spawn(move || {
                for tcp in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(tcp) = tcp else { continue };
                    let _ = tcp.set_read_timeout(Some(Duration::from_secs(5)));
                    let conn = rustls::ServerConnection::new(config.clone()).unwrap();
                    let mut tls = rustls::StreamOwned::new(conn, tcp);
                    if read_request(&mut tls) {
                        requests.fetch_add(1, Ordering::SeqCst);
                        let reply = format!(
                            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                             Content-Length: {}\r\nConnection: close\r\n\r\n{TOKEN}",
                            TOKEN.len()
                        );
                        let _ = tls.write_all(reply.as_bytes());
                        tls.conn.send_close_notify();
                        let _ = tls.flush();
                    }
                }
            })
        };
        TlsServer {
            port,
            requests,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Reads a request head and its `Content-Length` body; false when the
/// handshake or the read failed (the client refused the certificate).
fn read_request(tls: &mut impl Read) -> bool {
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if raw.len() >= end + 4 + len {
                return head.starts_with("post /token ");
            }
        }
        match tls.read(&mut buf) {
            Ok(0) | Err(_) => return false,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
        }
    }
}

/// A server on 127.0.0.1:0 that, on each connection, reads whatever
/// arrives first (a ClientHello), writes `reply` and closes. Stopped and
/// joined on drop.
struct FirstBytes {
    port: u16,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl FirstBytes {
    fn answer(reply: &[u8]) -> FirstBytes {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let reply = reply.to_vec();
        let thread = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                for tcp in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(mut tcp) = tcp else { continue };
                    let _ = tcp.set_read_timeout(Some(Duration::from_secs(5)));
                    let mut buf = [0u8; 4096];
                    let _ = tcp.read(&mut buf);
                    let _ = tcp.write_all(&reply);
                    let _ = tcp.shutdown(std::net::Shutdown::Write);
                    // Let the client read the reply before the socket closes.
                    let _ = tcp.read(&mut buf);
                }
            })
        };
        FirstBytes {
            port,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for FirstBytes {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn fetch(host: &str, port: u16) -> cctoken::Result<cctoken::Token> {
    Credentials::new(&format!("https://{host}:{port}/token"), "id", "secret")?
        .with_timeout(Duration::from_secs(5))
        .fetch()
}

#[cfg(any(feature = "https", feature = "https-os-roots"))]
#[test]
fn https_trust_untrusted_and_wrong_host() {
    let trusted = ca("cctoken test CA");
    let stranger = ca("cctoken untrusted CA");
    let dir = TempDir::new("https");
    let ca_file = dir.write("ca.pem", &trusted.cert.pem(), 0o600);
    // Before the first HTTPS request of this process.
    std::env::set_var("SSL_CERT_FILE", &ca_file);
    std::env::remove_var("SSL_CERT_DIR");

    let (cert, key) = leaf(&trusted, "localhost");
    let good = TlsServer::start(cert, key);
    let (cert, key) = leaf(&stranger, "localhost");
    let untrusted = TlsServer::start(cert, key);
    let (cert, key) = leaf(&trusted, "other.example");
    let wrong_host = TlsServer::start(cert, key);

    match cctoken::trust_roots() {
        TrustRoots::OsStore => {
            let token = fetch("localhost", good.port).expect("trusted test CA");
            assert_eq!(token.access_token(), "tls-token");
            assert_eq!(good.requests.load(Ordering::SeqCst), 1);
        }
        _ => {
            // Bundled roots: the test CA is not among them.
            let e = fetch("localhost", good.port).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Tls, "{e}");
            assert!(e.to_string().contains("not trusted"), "{e}");
            assert_eq!(good.requests.load(Ordering::SeqCst), 0);
        }
    }

    let e = fetch("localhost", untrusted.port).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Tls, "{e}");
    assert!(e.to_string().contains("not trusted"), "{e}");
    assert_eq!(untrusted.requests.load(Ordering::SeqCst), 0);

    let e = fetch("localhost", wrong_host.port).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Tls, "{e}");
    if cctoken::trust_roots() == TrustRoots::OsStore {
        assert!(e.to_string().contains("another host name"), "{e}");
    }
    assert_eq!(wrong_host.requests.load(Ordering::SeqCst), 0);

    // Item 11 of issue 11: each TLS failure says what to do about it.
    // A server that requires a client certificate (mutual TLS). With the
    // bundled roots the test CA is untrusted and the handshake stops there.
    if cctoken::trust_roots() == TrustRoots::OsStore {
        let (cert, key) = leaf(&trusted, "localhost");
        let mutual = TlsServer::mutual(cert, key, &stranger);
        let e = fetch("localhost", mutual.port).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Tls, "{e}");
        assert!(
            e.to_string().contains("requires a client certificate"),
            "{e}"
        );
    }

    // A CA certificate used as the server's own (`openssl req -x509`).
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let self_signed = TlsServer::start(
        params.self_signed(&key).unwrap().der().clone(),
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
    );
    let e = fetch("localhost", self_signed.port).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Tls, "{e}");
    assert!(e.to_string().contains("is a CA's"), "{e}");

    // Plain HTTP on an https:// URL: the server answers the ClientHello
    // with an HTTP error, as nginx does.
    let plain = FirstBytes::answer(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
    let e = fetch("127.0.0.1", plain.port).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Tls, "{e}");
    assert!(e.to_string().contains("plain http://"), "{e}");

    // A server that speaks only TLS 1.0 or 1.1: it answers the ClientHello
    // with a protocol_version alert (OpenSSL), or with an old ServerHello.
    let alert = FirstBytes::answer(&[0x15, 0x03, 0x01, 0x00, 0x02, 0x02, 0x46]);
    let mut hello = vec![
        0x16, 0x03, 0x01, 0x00, 0x2a, 0x02, 0x00, 0x00, 0x26, 0x03, 0x01,
    ];
    hello.extend_from_slice(&[7; 32]);
    hello.extend_from_slice(&[0x00, 0x00, 0x2f, 0x00]);
    let old_hello = FirstBytes::answer(&hello);
    for old in [alert, old_hello] {
        let e = fetch("127.0.0.1", old.port).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Tls, "{e}");
        assert!(e.to_string().contains("neither TLS 1.2 nor 1.3"), "{e}");
    }

    // Untrusted: the message says where trust comes from in this build.
    let e = fetch("localhost", untrusted.port).unwrap_err();
    let needle = match cctoken::trust_roots() {
        TrustRoots::OsStore => "SSL_CERT_FILE",
        _ => "https-os-roots and SSL_CERT_FILE",
    };
    assert!(e.to_string().contains(needle), "{e}");

    // The provider in use is the one cctoken installed: ring, or aws-lc-rs
    // with that feature (nothing in this process installed another first).
    let provider = rustls::crypto::CryptoProvider::get_default().expect("a provider is installed");
    let expected = if cfg!(feature = "aws-lc-rs") {
        rustls::crypto::aws_lc_rs::default_provider()
    } else {
        rustls::crypto::ring::default_provider()
    };
    let names = |p: &rustls::crypto::CryptoProvider| {
        p.cipher_suites
            .iter()
            .map(|s| format!("{:?}", s.suite()))
            .collect::<Vec<_>>()
    };
    assert_eq!(names(provider), names(&expected));
    assert_eq!(
        format!("{:?}", provider.kx_groups),
        format!("{:?}", expected.kx_groups)
    );
}

#[cfg(not(any(feature = "https", feature = "https-os-roots")))]
#[test]
fn https_without_tls_support_is_a_config_error() {
    assert_eq!(cctoken::trust_roots(), TrustRoots::None);
    let e = fetch("localhost", 1).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config, "{e}");
    assert!(e.to_string().contains("https"), "{e}");
}
