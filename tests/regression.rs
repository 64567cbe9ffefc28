//! Regression tests for bugs found along the way, one named test each.

mod common;

use cctoken::{Credentials, ErrorKind};
use common::Server;
use std::time::Duration;

fn fetch_kind(raw: Vec<u8>) -> Result<String, ErrorKind> {
    let server = Server::always(raw);
    let creds = Credentials::new(&server.url("/token"), "id", "secret-xyz")
        .unwrap()
        .with_timeout(Duration::from_secs(3));
    creds
        .fetch()
        .map(|t| t.access_token().to_owned())
        .map_err(|e| e.kind())
}

/// minreq 3.0.0 subtracts `line.len() + 2` from its header budget without
/// checking. A header line of exactly budget - 1 bytes ending in a bare LF
/// underflows it: with overflow checks minreq panics (and its timeout thread
/// passes the panic to the caller); without, the budget wraps and any amount
/// of headers is read and the response accepted. Both must be an error.
#[test]
fn minreq_header_budget_underflow_on_bare_lf_line() {
    let mut raw = b"HTTP/1.1 200 OK\nX-Long: ".to_vec();
    raw.extend(std::iter::repeat_n(b'a', 16383 - 8));
    raw.extend(b"\n");
    for _ in 0..2000 {
        raw.extend(b"X-More: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n");
    }
    raw.extend(b"Content-Length: 20\n\n{\"access_token\":\"a\"}");
    assert_eq!(fetch_kind(raw), Err(ErrorKind::InvalidResponse));
}

/// The same arithmetic runs on chunked trailers.
#[test]
fn minreq_trailer_budget_underflow_on_bare_lf_line() {
    let body = b"{\"access_token\":\"a\"}";
    let mut raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
    raw.extend(format!("{:x}\r\n", body.len()).as_bytes());
    raw.extend(body);
    raw.extend(b"\r\n0\r\n");
    // Trailer budget left: 16384 minus the header line above (25 + 2).
    let left = 16384 - ("Transfer-Encoding: chunked".len() + 2);
    raw.extend(b"X-T: ");
    raw.extend(std::iter::repeat_n(b'a', left - 1 - 5));
    raw.extend(b"\n");
    for _ in 0..2000 {
        raw.extend(b"X-More: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\n");
    }
    raw.extend(b"\n");
    assert_eq!(fetch_kind(raw), Err(ErrorKind::InvalidResponse));
}

/// Redacting a short client secret replaced every occurrence of its letters
/// in ordinary messages ("header[redacted]" for secret "s").
#[test]
fn short_secret_does_not_mangle_error_messages() {
    let mut raw = b"HTTP/1.1 200 OK\r\n".to_vec();
    raw.extend(std::iter::repeat_n(b'a', 20_000));
    let server = Server::always(raw);
    let e = Credentials::new(&server.url("/t"), "id", "s")
        .unwrap()
        .fetch()
        .unwrap_err();
    assert!(e.to_string().contains("headers exceed"), "{e}");
}
