//! Hostile and broken token endpoints, one named test per misbehaviour.
//!
//! Each row serves one misbehaviour from its own loopback server and states
//! exactly what the user of
//! `Credentials::new(url, "id", "secret")?.with_timeout(2 s).fetch()` gets:
//! a token (`Ok`) or an error of one `ErrorKind`. Rows marked
//! `#[ignore = "bug: …"]` assert what a careful user should get and the
//! library does not give yet; `cargo test --test hostile -- --ignored`
//! shows them failing.
//!
//! Every reply that can outlive its request polls the server's stop flag,
//! so dropping a server ends it: the file finishes even when a server never
//! closes. Nothing here asserts a duration.

mod common;

use cctoken::{Credentials, ErrorKind};
use common::{Reply, Server};
use std::io::{ErrorKind as IoKind, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// A well-formed token response body.
const TOKEN: &str = r#"{"access_token":"tok","token_type":"Bearer","expires_in":3600}"#;

/// [`TOKEN`], gzip-compressed (Python: `gzip.compress(TOKEN, mtime=0)`).
const TOKEN_GZIP: [u8; 74] = [
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xab, 0x56, 0x4a, 0x4c, 0x4e, 0x4e,
    0x2d, 0x2e, 0x8e, 0x2f, 0xc9, 0xcf, 0x4e, 0xcd, 0x53, 0xb2, 0x52, 0x02, 0xd2, 0x4a, 0x3a, 0x4a,
    0x60, 0x5e, 0x7c, 0x49, 0x65, 0x41, 0x2a, 0x50, 0xc8, 0x29, 0x35, 0xb1, 0x28, 0xb5, 0x08, 0x28,
    0x9a, 0x5a, 0x51, 0x90, 0x59, 0x94, 0x5a, 0x1c, 0x9f, 0x09, 0x54, 0x68, 0x6c, 0x66, 0x60, 0x50,
    0x0b, 0x00, 0x43, 0xc9, 0x32, 0xae, 0x3e, 0x00, 0x00, 0x00,
];

/// Fetches from a server that answers with `reply()` and checks the
/// outcome; prints it for `--nocapture`.
fn check(
    name: &str,
    reply: impl Fn() -> Reply + Send + Sync + 'static,
    cap: Option<usize>,
    expected: Result<(), ErrorKind>,
) {
    let server = Server::start(move |_| reply());
    let mut creds = Credentials::new(&server.url("/token"), "id", "secret")
        .unwrap()
        .with_timeout(Duration::from_secs(2));
    if let Some(cap) = cap {
        creds = creds.with_max_response_bytes(cap);
    }
    let result = creds.fetch();
    match &result {
        Ok(t) => println!("{name}: Ok, token of {} bytes", t.access_token().len()),
        Err(e) => println!("{name}: {:?}: {e}", e.kind()),
    }
    let got = result.as_ref().map(|_| ()).map_err(|e| e.kind());
    assert_eq!(got, expected, "{name}: {result:?}");
    assert_eq!(server.count(), 1, "{name}: exactly one request");
}

macro_rules! outcome {
    (Ok) => {
        Ok(())
    };
    ($kind:ident) => {
        Err(ErrorKind::$kind)
    };
}

/// `name [cap = bytes]: reply => Ok | ErrorKind;` — one `#[test]` per row.
macro_rules! hostile {
    ($(
        $(#[$attr:meta])*
        $name:ident $([cap = $cap:expr])? : $reply:expr => $kind:ident;
    )*) => {$(
        $(#[$attr])*
        #[test]
        fn $name() {
            let cap: Option<usize> = None $(.or(Some($cap)))?;
            check(stringify!($name), || $reply, cap, outcome!($kind));
        }
    )*};
}

// ---- building replies ----------------------------------------------------

/// Exactly these bytes, then close.
fn raw(bytes: impl AsRef<[u8]>) -> Reply {
    Reply::Raw(bytes.as_ref().to_vec())
}

/// `head` lines joined with CRLF, the blank line, then `body`: nothing is
/// added (no `Content-Length` unless a line says so).
fn message(head: &[&str], body: impl AsRef<[u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    for line in head {
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body.as_ref());
    out
}

/// The parts, joined.
fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// A 200 with `Content-Length` and `body`, then close.
fn ok_with(content_type: &str, body: impl AsRef<[u8]>) -> Reply {
    Reply::http(200, content_type, &[], body.as_ref())
}

/// A 200 JSON response with `Content-Length`, then close.
fn json(body: impl AsRef<[u8]>) -> Reply {
    ok_with("application/json", body)
}

/// `body` with a chunked head, as one chunk of its own size, the last
/// chunk, then close.
fn chunked(body: &str) -> Vec<u8> {
    message(
        &["HTTP/1.1 200 OK", "Transfer-Encoding: chunked"],
        format!("{:x}\r\n{body}\r\n0\r\n\r\n", body.len()),
    )
}

/// Writes `bytes` whole unless the peer goes away or the server stops
/// (polled every 50 ms while the peer is not reading). Returns whether all
/// was written.
fn put(conn: &mut TcpStream, mut bytes: &[u8], stop: &AtomicBool) -> bool {
    let _ = conn.set_write_timeout(Some(Duration::from_millis(50)));
    while !bytes.is_empty() {
        if stop.load(Ordering::SeqCst) {
            return false;
        }
        match conn.write(bytes) {
            Ok(0) => return false,
            Ok(n) => bytes = &bytes[n..],
            Err(e) if matches!(e.kind(), IoKind::WouldBlock | IoKind::TimedOut) => {}
            Err(e) if e.kind() == IoKind::Interrupted => {}
            Err(_) => return false,
        }
    }
    let _ = conn.flush();
    true
}

/// Waits `how_long` (forever if `None`) or until the server stops, polling
/// every 10 ms. Returns whether the server is stopping.
fn pause(stop: &AtomicBool, how_long: Option<Duration>) -> bool {
    let start = Instant::now();
    while !stop.load(Ordering::SeqCst) {
        if how_long.is_some_and(|d| start.elapsed() >= d) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    true
}

/// `bytes` (however large), then close.
fn send(bytes: Vec<u8>) -> Reply {
    Reply::Script(Box::new(move |conn, stop| {
        put(conn, &bytes, stop);
    }))
}

/// `bytes`, then the connection stays open, silent, until the server stops.
fn then_hold(bytes: impl AsRef<[u8]>) -> Reply {
    let bytes = bytes.as_ref().to_vec();
    Reply::Script(Box::new(move |conn, stop| {
        if put(conn, &bytes, stop) {
            pause(stop, None);
        }
    }))
}

/// `prefix`, then `unit` again and again until the client goes away or the
/// server stops.
fn forever(prefix: impl AsRef<[u8]>, unit: impl AsRef<[u8]>) -> Reply {
    let (prefix, unit) = (prefix.as_ref().to_vec(), unit.as_ref().to_vec());
    Reply::Script(Box::new(move |conn, stop| {
        if !put(conn, &prefix, stop) {
            return;
        }
        while put(conn, &unit, stop) {}
    }))
}

/// `prefix`, then `rest` one byte per second, then silence until the server
/// stops.
fn trickle(prefix: impl AsRef<[u8]>, rest: impl AsRef<[u8]>) -> Reply {
    let (prefix, rest) = (prefix.as_ref().to_vec(), rest.as_ref().to_vec());
    Reply::Script(Box::new(move |conn, stop| {
        if !put(conn, &prefix, stop) {
            return;
        }
        for byte in rest {
            if pause(stop, Some(Duration::from_secs(1))) || !put(conn, &[byte], stop) {
                return;
            }
        }
        pause(stop, None);
    }))
}

/// `bytes`, a moment for the client to read them, then a TCP reset
/// (`SO_LINGER` 0, then close) instead of an orderly close.
#[cfg(target_os = "linux")]
fn then_reset(bytes: Vec<u8>) -> Reply {
    Reply::Script(Box::new(move |conn, stop| {
        if put(conn, &bytes, stop) && !pause(stop, Some(Duration::from_millis(200))) {
            abort_on_close(conn);
        }
    }))
}

/// Makes the coming close of `conn` send RST (std has no stable
/// `set_linger`).
#[cfg(target_os = "linux")]
fn abort_on_close(conn: &TcpStream) {
    use std::os::fd::AsRawFd;
    #[repr(C)]
    struct Linger {
        onoff: i32,
        seconds: i32,
    }
    extern "C" {
        fn setsockopt(fd: i32, level: i32, name: i32, value: *const Linger, len: u32) -> i32;
    }
    const SOL_SOCKET: i32 = 1;
    const SO_LINGER: i32 = 13;
    let linger = Linger {
        onoff: 1,
        seconds: 0,
    };
    // SAFETY: a valid socket descriptor owned by `conn`, and a pointer to a
    // live `struct linger` with its exact size.
    let rc = unsafe {
        setsockopt(
            conn.as_raw_fd(),
            SOL_SOCKET,
            SO_LINGER,
            &linger,
            std::mem::size_of::<Linger>() as u32,
        )
    };
    assert_eq!(rc, 0, "setsockopt(SO_LINGER)");
}

/// A TLS 1.2 ServerHello record, as an HTTPS server might send first (no
/// `\n` in it; the random and session id are bytes 0x80 and up).
fn tls_server_hello() -> Vec<u8> {
    let mut hello = vec![0x03, 0x03];
    hello.extend(0x80..=0x9fu8); // random
    hello.push(32);
    hello.extend(0xa0..=0xbfu8); // session id
    hello.extend([0xc0, 0x2f, 0x00]); // cipher suite, compression
    hello.extend([0x00, 0x05, 0xff, 0x01, 0x00, 0x01, 0x00]); // renegotiation_info
    let mut handshake = vec![0x02, 0x00, 0x00, hello.len() as u8];
    handshake.extend(hello);
    let mut record = vec![0x16, 0x03, 0x03, 0x00, handshake.len() as u8];
    record.extend(handshake);
    record
}

/// `{"access_token":"tok","nest":` + `[` × depth + `]` × (closed ? depth :
/// 0) + `}`.
fn nested(depth: usize, closed: bool) -> String {
    let close = if closed {
        "]".repeat(depth)
    } else {
        String::new()
    };
    format!(
        r#"{{"access_token":"tok","nest":{}{close}}}"#,
        "[".repeat(depth)
    )
}

/// A token response whose access token is `len` bytes of `a`.
fn big_token(len: usize) -> String {
    format!(r#"{{"access_token":"{}"}}"#, "a".repeat(len))
}

// ---- the table -----------------------------------------------------------

hostile! {
    // -- the status line --

    /// Not a status line at all. minreq reports an unparsable status line
    /// exactly as it reports no answer (its made-up 503), so cctoken cannot
    /// tell them apart and says `Connect`; the message reads "the server
    /// closed the connection or sent no HTTP status line".
    garbage_status_line: raw("GARBAGE\r\n\r\n") => Connect;
    /// HTTP/0.9: a bare body, no status line, then close. The same made-up
    /// 503 as above.
    http09_bare_body: raw(TOKEN) => Connect;
    /// HTTP/1.0, body delimited by the close.
    http10_reply_without_length: raw(message(
        &["HTTP/1.0 200 OK", "Content-Type: application/json"],
        TOKEN,
    )) => Ok;
    /// RFC 9112 makes `HTTP` case-sensitive; tolerating `http` hurts no one.
    lowercase_http_version: raw(message(
        &["http/1.1 200 OK", &format!("Content-Length: {}", TOKEN.len())],
        TOKEN,
    )) => Ok;
    status_line_without_reason_phrase: raw(message(
        &["HTTP/1.1 200", &format!("Content-Length: {}", TOKEN.len())],
        TOKEN,
    )) => Ok;
    /// Not a success, whatever the body says.
    status_999_with_a_token: raw(message(
        &["HTTP/1.1 999 Whatever", &format!("Content-Length: {}", TOKEN.len())],
        TOKEN,
    )) => Http;
    status_line_over_1_kib: raw(message(
        &[&format!("HTTP/1.1 200 {}", "O".repeat(2000)), "Content-Length: 0"],
        "",
    )) => InvalidResponse;
    status_line_never_ends: forever("HTTP/1.1 200 ", "OKOKOKOKOKOKOKOK") => InvalidResponse;
    status_line_not_utf8: raw(cat(&[b"HTTP/1.1 200 \xff\xfe\r\n", b"Content-Length: 0\r\n\r\n"])) => InvalidResponse;
    /// An HTTPS port behind an http:// URL: its ServerHello holds bytes
    /// that are not UTF-8.
    tls_server_hello_on_http_url: raw(tls_server_hello()) => InvalidResponse;
    /// An HTTPS server that answers plain text with a TLS alert and closes:
    /// seven ASCII bytes, no status line, so the made-up 503 again.
    tls_alert_on_http_url: raw([0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x46]) => Connect;
    server_closes_immediately: Reply::Close => Connect;
    empty_head_then_close: raw("\r\n\r\n") => Connect;
    /// The head stops after the status line and the connection closes: the
    /// empty body is what a 200 cannot be.
    status_line_then_close: raw("HTTP/1.1 200 OK\r\n") => InvalidResponse;
    hang_after_status_line: then_hold("HTTP/1.1 200 OK\r\n") => Timeout;

    // -- header fields --

    /// Header lines forever: the 16 KiB header budget ends it, not the
    /// timeout.
    headers_never_end: forever(
        "HTTP/1.1 200 OK\r\n",
        "X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n",
    ) => InvalidResponse;
    one_header_line_over_16_kib: raw(message(
        &["HTTP/1.1 200 OK", &format!("X-Big: {}", "b".repeat(20_000)), "Content-Length: 0"],
        "",
    )) => InvalidResponse;
    /// Slowloris in the head: one byte a second. The deadline covers the
    /// whole exchange.
    headers_trickle_one_byte_per_second: trickle(
        "HTTP/1.1 200 OK\r\n",
        format!("Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{TOKEN}", TOKEN.len()),
    ) => Timeout;
    header_line_without_colon: raw(message(
        &["HTTP/1.1 200 OK", "ThisIsNotAHeader", &format!("Content-Length: {}", TOKEN.len())],
        TOKEN,
    )) => Ok;
    /// Latin-1 in a header cctoken never reads. minreq refuses any non-UTF-8
    /// head (`InvalidUtf8InResponse`), before cctoken sees it.
    non_utf8_header_value: raw(cat(&[
        b"HTTP/1.1 200 OK\r\nServer: caf\xe9\r\n",
        format!("Content-Length: {}\r\n\r\n{TOKEN}", TOKEN.len()).as_bytes(),
    ])) => InvalidResponse;
    bare_lf_line_endings: raw(format!(
        "HTTP/1.1 200 OK\nContent-Type: application/json\nContent-Length: {}\n\n{TOKEN}",
        TOKEN.len()
    )) => Ok;
    /// A NUL in a header cctoken never reads (it reads only `Retry-After`
    /// and `Location`, and sanitises what it shows).
    nul_in_unread_header_value: raw(message(
        &["HTTP/1.1 200 OK", "X-Odd: a\0b", &format!("Content-Length: {}", TOKEN.len())],
        TOKEN,
    )) => Ok;

    // -- Content-Length --

    content_length_larger_than_sent_then_close: raw(message(
        &["HTTP/1.1 200 OK", "Content-Length: 500"],
        TOKEN,
    )) => InvalidResponse;
    content_length_zero: raw(message(&["HTTP/1.1 200 OK", "Content-Length: 0"], TOKEN)) => InvalidResponse;
    /// Extra bytes after the declared length are not read.
    body_longer_than_content_length: raw(message(
        &["HTTP/1.1 200 OK", &format!("Content-Length: {}", TOKEN.len())],
        format!("{TOKEN}GARBAGE"),
    )) => Ok;
    content_length_negative: raw(message(&["HTTP/1.1 200 OK", "Content-Length: -1"], TOKEN)) => InvalidResponse;
    content_length_with_surrounding_spaces: raw(message(
        &["HTTP/1.1 200 OK", &format!("Content-Length:    {}   ", TOKEN.len())],
        TOKEN,
    )) => Ok;
    content_length_with_inner_space: raw(message(&["HTTP/1.1 200 OK", "Content-Length: 6 2"], TOKEN)) => InvalidResponse;
    content_length_not_a_number: raw(message(&["HTTP/1.1 200 OK", "Content-Length: lots"], TOKEN)) => InvalidResponse;
    content_length_beyond_u64: raw(message(
        &["HTTP/1.1 200 OK", "Content-Length: 99999999999999999999999999"],
        TOKEN,
    )) => InvalidResponse;
    /// Two lengths that differ: the framing is invalid (RFC 9112 §6.3 rule
    /// 5) and must be refused. minreq frames by the last one, cctoken
    /// checks the first one.
    two_content_lengths_first_smaller: raw(message(
        &["HTTP/1.1 200 OK", "Content-Length: 5", &format!("Content-Length: {}", TOKEN.len())],
        TOKEN,
    )) => InvalidResponse;
    two_content_lengths_last_smaller: raw(message(
        &["HTTP/1.1 200 OK", &format!("Content-Length: {}", TOKEN.len()), "Content-Length: 5"],
        TOKEN,
    )) => InvalidResponse;
    /// Both framings, the length being that of the chunked wire form:
    /// minreq decodes the chunks, and the decoded body is shorter than the
    /// length.
    chunked_and_content_length_of_the_wire_form: {
        let body = format!("{:x}\r\n{TOKEN}\r\n0\r\n\r\n", TOKEN.len());
        raw(message(
            &["HTTP/1.1 200 OK", "Transfer-Encoding: chunked", &format!("Content-Length: {}", body.len())],
            body,
        ))
    } => InvalidResponse;
    /// Both framings, the length shorter than the decoded body: ambiguous
    /// framing (RFC 9112 §6.3: "ought to be handled as an error").
    chunked_and_smaller_content_length: raw(message(
        &["HTTP/1.1 200 OK", "Transfer-Encoding: chunked", "Content-Length: 5"],
        format!("{:x}\r\n{TOKEN}\r\n0\r\n\r\n", TOKEN.len()),
    )) => InvalidResponse;

    // -- chunked transfer coding --

    chunked_with_extensions_and_trailers: raw(message(
        &["HTTP/1.1 200 OK", "Transfer-Encoding: chunked"],
        format!(
            "10;name=value\r\n{}\r\n{:x}\r\n{}\r\n0\r\nX-Trailer: yes\r\n\r\n",
            &TOKEN[..16],
            TOKEN.len() - 16,
            &TOKEN[16..]
        ),
    )) => Ok;
    transfer_encoding_in_capitals: raw(message(
        &["HTTP/1.1 200 OK", "TRANSFER-ENCODING: CHUNKED"],
        format!("{:x}\r\n{TOKEN}\r\n0\r\n\r\n", TOKEN.len()),
    )) => Ok;
    /// 1 KiB chunks forever: the 64 KiB cap ends it.
    endless_chunked_body: forever(
        message(&["HTTP/1.1 200 OK", "Transfer-Encoding: chunked"], ""),
        format!("400\r\n{}\r\n", " ".repeat(1024)),
    ) => ResponseTooLarge;
    chunk_size_not_hex: raw(message(
        &["HTTP/1.1 200 OK", "Transfer-Encoding: chunked"],
        format!("zz\r\n{TOKEN}\r\n0\r\n\r\n"),
    )) => InvalidResponse;
    chunk_size_overflows: raw(message(
        &["HTTP/1.1 200 OK", "Transfer-Encoding: chunked"],
        format!("fffffffffffffffffffff\r\n{TOKEN}\r\n0\r\n\r\n"),
    )) => InvalidResponse;
    chunk_size_negative: raw(message(
        &["HTTP/1.1 200 OK", "Transfer-Encoding: chunked"],
        format!("-3e\r\n{TOKEN}\r\n0\r\n\r\n"),
    )) => InvalidResponse;
    chunk_size_line_over_1_kib: raw(message(
        &["HTTP/1.1 200 OK", "Transfer-Encoding: chunked"],
        format!("{:x};ext={}\r\n{TOKEN}\r\n0\r\n\r\n", TOKEN.len(), "e".repeat(2000)),
    )) => InvalidResponse;
    chunk_data_not_followed_by_crlf: raw(message(
        &["HTTP/1.1 200 OK", "Transfer-Encoding: chunked"],
        format!("{:x}\r\n{TOKEN}XYZ0\r\n\r\n", TOKEN.len()),
    )) => InvalidResponse;
    /// A chunk cut off inside the JSON, then close.
    chunk_shorter_than_declared_then_close: raw(message(
        &["HTTP/1.1 200 OK", "Transfer-Encoding: chunked"],
        format!("{:x}\r\n{}", TOKEN.len(), &TOKEN[..20]),
    )) => InvalidResponse;
    /// The whole JSON in a chunk, then close without the last chunk.
    /// minreq takes the end of the stream for the end of the body; the
    /// token is complete (JSON is self-delimiting), so it is accepted.
    chunked_without_last_chunk_then_close: raw(message(
        &["HTTP/1.1 200 OK", "Transfer-Encoding: chunked"],
        format!("{:x}\r\n{TOKEN}\r\n", TOKEN.len()),
    )) => Ok;
    /// Trailer lines forever: the header budget also bounds trailers.
    chunked_trailers_never_end: forever(
        chunked(TOKEN).strip_suffix(b"\r\n").unwrap(),
        "X-Trailer: ttttttttttttttttttttttttttttttttttttttttttttttttt\r\n",
    ) => InvalidResponse;
    /// A coding minreq does not decode: the body stays chunked-encoded
    /// text, which is not JSON.
    transfer_encoding_gzip_chunked: raw(message(
        &["HTTP/1.1 200 OK", "Transfer-Encoding: gzip, chunked"],
        format!("{:x}\r\n{TOKEN}\r\n0\r\n\r\n", TOKEN.len()),
    )) => InvalidResponse;

    // -- statuses without the expected body --

    /// cctoken sends no `Accept-Encoding` and decompresses nothing: gzip
    /// bytes are not UTF-8, not JSON.
    content_encoding_gzip: raw(message(
        &[
            "HTTP/1.1 200 OK",
            "Content-Type: application/json",
            "Content-Encoding: gzip",
            &format!("Content-Length: {}", TOKEN_GZIP.len()),
        ],
        TOKEN_GZIP,
    )) => InvalidResponse;
    /// An interim 100 before the real answer. RFC 9110 §15.2: a client
    /// should skip 1xx responses it did not ask for. minreq returns the 100
    /// as the status and the whole real response as its body, so cctoken
    /// refuses it without reading or showing that body (a known limit).
    continue_100_before_the_reply: raw(cat(&[
        b"HTTP/1.1 100 Continue\r\n\r\n",
        &message(&["HTTP/1.1 200 OK", &format!("Content-Length: {}", TOKEN.len())], TOKEN),
    ])) => InvalidResponse;
    /// 103 Early Hints (RFC 8297), as CDNs send them, before the answer.
    early_hints_103_before_the_reply: raw(cat(&[
        b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n",
        &message(&["HTTP/1.1 200 OK", &format!("Content-Length: {}", TOKEN.len())], TOKEN),
    ])) => InvalidResponse;
    no_content_204_then_close: raw("HTTP/1.1 204 No Content\r\n\r\n") => InvalidResponse;
    /// A 204 has no body by definition (RFC 9112 §6.3 rule 1), so the
    /// answer is complete at the blank line. minreq's lazy reader waits for
    /// a close instead, and the request times out.
    no_content_204_kept_alive: then_hold("HTTP/1.1 204 No Content\r\n\r\n") => InvalidResponse;
    not_modified_304: raw("HTTP/1.1 304 Not Modified\r\n\r\n") => Http;

    // -- JSON that is hard to parse --

    /// Nesting a token response may really have (RFC 9396
    /// `authorization_details` reaches 3 or 4 levels).
    nested_8_deep: json(nested(8, true)) => Ok;
    /// 100,000 nested arrays in an extra member, under a raised cap: refused
    /// (deeper than 32 levels) before anything is built.
    nested_100_000_deep [cap = 1 << 20]: json(nested(100_000, true)) => InvalidResponse;
    nested_100_000_deep_unclosed [cap = 1 << 20]: json(nested(100_000, false)) => InvalidResponse;
    /// An integer beyond f64: miniserde refuses the document (RFC 8259 §9
    /// lets a parser limit numbers).
    expires_in_with_10_000_digits: json(format!(
        r#"{{"access_token":"tok","expires_in":1{}}}"#,
        "0".repeat(9_999)
    )) => InvalidResponse;
    /// 10,000 digits that round to zero: a token that may be used once.
    expires_in_fraction_with_10_000_digits: json(format!(
        r#"{{"access_token":"tok","expires_in":0.{}1}}"#,
        "0".repeat(9_998)
    )) => Ok;
    lone_high_surrogate_in_token: json(r#"{"access_token":"ab\ud800cd"}"#) => InvalidResponse;
    lone_low_surrogate_in_token: json(r#"{"access_token":"ab\udc00cd"}"#) => InvalidResponse;
    /// A valid pair, but the token is then not ASCII.
    surrogate_pair_in_token: json(r#"{"access_token":"ab\ud83d\ude00cd"}"#) => InvalidResponse;
    utf8_bom_before_json: json(format!("\u{feff}{TOKEN}")) => Ok;
    utf16le_body_with_bom: json(cat(&[
        &[0xff, 0xfe],
        &TOKEN.bytes().flat_map(|b| [b, 0]).collect::<Vec<u8>>(),
    ])) => InvalidResponse;
    trailing_bytes_after_json: json(format!("{TOKEN}garbage")) => InvalidResponse;
    two_json_objects: json(format!("{TOKEN}{TOKEN}")) => InvalidResponse;
    trailing_whitespace_after_json: json(format!("{TOKEN}\r\n\t ")) => Ok;
    raw_nul_in_token: json(b"{\"access_token\":\"to\0k\"}") => InvalidResponse;
    escaped_nul_in_token: json(r#"{"access_token":"to\u0000k"}"#) => InvalidResponse;
    nul_after_json: json(format!("{TOKEN}\0")) => InvalidResponse;
    duplicate_access_token: json(r#"{"access_token":"a","access_token":"b"}"#) => InvalidResponse;
    escaped_crlf_in_token: json(r#"{"access_token":"tok\r\nX-Injected: 1"}"#) => InvalidResponse;
    json_with_comment: json(format!("// token\n{TOKEN}")) => InvalidResponse;
    nan_expires_in: json(r#"{"access_token":"tok","expires_in":NaN}"#) => InvalidResponse;
    empty_json_object: json("{}") => InvalidResponse;

    // -- size and time --

    /// A 1 MiB token under the default 64 KiB cap, declared up front.
    token_of_1_mib_with_content_length: send({
        let body = big_token(1 << 20);
        message(&["HTTP/1.1 200 OK", &format!("Content-Length: {}", body.len())], body)
    }) => ResponseTooLarge;
    /// The same, delimited by the close: the cap stops the read.
    token_of_1_mib_until_close: send(message(&["HTTP/1.1 200 OK"], big_token(1 << 20))) => ResponseTooLarge;
    body_never_ends_until_close: forever(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n",
        "                                                                ",
    ) => ResponseTooLarge;
    /// One byte a second: every read makes progress, only the deadline for
    /// the whole exchange ends it.
    body_trickles_one_byte_per_second: trickle(
        message(&["HTTP/1.1 200 OK", &format!("Content-Length: {}", TOKEN.len())], ""),
        TOKEN,
    ) => Timeout;
    /// No length, no chunking, and the connection stays open: the body
    /// ends only at a close that never comes.
    kept_alive_without_length: then_hold(message(&["HTTP/1.1 200 OK", "Connection: keep-alive"], TOKEN)) => Timeout;
    kept_alive_with_length: then_hold(message(
        &["HTTP/1.1 200 OK", "Connection: keep-alive", &format!("Content-Length: {}", TOKEN.len())],
        TOKEN,
    )) => Ok;
    /// RST in the middle of the body.
    #[cfg(target_os = "linux")]
    connection_reset_after_headers: then_reset(message(
        &["HTTP/1.1 200 OK", &format!("Content-Length: {}", TOKEN.len())],
        &TOKEN[..10],
    )) => Connect;

    // -- bodies of the wrong kind --

    html_200: ok_with("text/html", "<html><body><h1>Welcome to nginx!</h1></body></html>") => InvalidResponse;
    /// cctoken decides on the body, not on the Content-Type.
    text_plain_200_with_a_json_token: ok_with("text/plain", TOKEN) => Ok;
    /// GitHub's OAuth apps answer in this form unless asked for JSON.
    form_urlencoded_token_github_style: ok_with(
        "application/x-www-form-urlencoded",
        "access_token=gho_16C7e42F292c6912E7710c838347Ae178B4a&scope=repo&token_type=bearer",
    ) => InvalidResponse;
    xml_token: ok_with(
        "application/xml",
        "<?xml version=\"1.0\"?><token><access_token>tok</access_token></token>",
    ) => InvalidResponse;
    json_array: json(format!("[{TOKEN}]")) => InvalidResponse;
    json_string: json(r#""tok""#) => InvalidResponse;
    access_token_null: json(r#"{"access_token":null,"token_type":"Bearer"}"#) => InvalidResponse;
    token_type_mac: json(r#"{"access_token":"tok","token_type":"MAC","mac_key":"k"}"#) => InvalidResponse;
    /// Some servers send OAuth errors with 200.
    oauth_error_with_200: json(r#"{"error":"invalid_client","error_description":"bad secret"}"#) => OAuth;

    // -- error statuses --

    unauthorized_401_with_www_authenticate_and_no_body: Reply::http(
        401,
        "",
        &[("WWW-Authenticate", "Basic realm=\"token\"")],
        b"",
    ) => Http;
    found_302_with_location: Reply::http(302, "text/html", &[("Location", "https://elsewhere.example/token")], b"") => Redirect;
    redirect_to_a_file_url: Reply::http(307, "", &[("Location", "file:///etc/passwd")], b"") => Redirect;
    too_many_requests_429_without_retry_after: Reply::http(429, "text/plain", &[], b"slow down") => Http;
    internal_error_500_html: Reply::http(500, "text/html", &[], b"<h1>500 Internal Server Error</h1>") => Http;
}

/// An error must never show the access token (DESIGN.md, "Secrets"). After
/// an interim 1xx, the real token response becomes the "body" of an HTTP
/// error, and the error's excerpt of that body shows the token.
#[test]
fn interim_response_error_does_not_show_the_token() {
    const SECRET_TOKEN: &str = "tok-7f3a9c-do-not-log";
    let server = Server::start(|_| {
        let body = format!(r#"{{"access_token":"{SECRET_TOKEN}","token_type":"Bearer"}}"#);
        raw(cat(&[
            b"HTTP/1.1 100 Continue\r\n\r\n",
            &message(
                &[
                    "HTTP/1.1 200 OK",
                    &format!("Content-Length: {}", body.len()),
                ],
                body,
            ),
        ]))
    });
    let result = Credentials::new(&server.url("/token"), "id", "secret")
        .unwrap()
        .with_timeout(Duration::from_secs(2))
        .fetch();
    if let Err(e) = result {
        assert!(!e.to_string().contains(SECRET_TOKEN), "Display: {e}");
        assert!(!format!("{e:?}").contains(SECRET_TOKEN), "Debug: {e:?}");
    }
}
