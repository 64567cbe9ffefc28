//! With the OS trust store, an `SSL_CERT_FILE` that names a missing file
//! (or one without certificates) leaves no trust root at all: cctoken says
//! so as a configuration error naming the variable, before any connection,
//! instead of reporting every server as untrusted. A test binary of its
//! own: minreq reads the variable once per process.
//!
//! `cargo test --no-default-features --features https-os-roots --test https_roots_missing`
#![cfg(all(feature = "https-os-roots", not(feature = "https")))]

mod common;

use cctoken::{Credentials, ErrorKind};
use common::{TempDir, Witness};
use std::time::Duration;

#[test]
fn missing_or_empty_ssl_cert_file_is_a_config_error() {
    let dir = TempDir::new("noroots");
    let witness = Witness::new();
    let url = witness.url("/token").replacen("http://", "https://", 1);
    let creds = Credentials::new(&url, "id", "secret-long-enough")
        .unwrap()
        .with_timeout(Duration::from_secs(5));
    let missing = dir.path().join("no-such-ca.pem");
    let empty = dir.write("empty.pem", "not a certificate\n", 0o644);
    for (file, needle) in [
        (&missing, "cannot be read"),
        (&empty, "holds no PEM certificate"),
    ] {
        std::env::set_var("SSL_CERT_FILE", file);
        std::env::remove_var("SSL_CERT_DIR");
        let e = creds.fetch().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config, "{e}");
        let shown = e.to_string();
        assert!(shown.contains("SSL_CERT_FILE="), "{shown}");
        assert!(shown.contains(&file.display().to_string()), "{shown}");
        assert!(shown.contains(needle), "{shown}");
        assert!(shown.contains("no trust roots"), "{shown}");
    }
    std::env::remove_var("SSL_CERT_FILE");
    std::env::set_var("SSL_CERT_DIR", dir.path().join("no-such-dir"));
    let e = creds.fetch().unwrap_err();
    assert!(e.to_string().contains("SSL_CERT_DIR="), "{e}");
    assert!(!witness.was_contacted(), "nothing was sent");
}
