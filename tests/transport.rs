//! The built-in transport against misbehaving servers, each over its own
//! loopback server: redirects, oversized and truncated bodies, silence,
//! refused connections, gateway pages, rate limits, and the URL policy.

mod common;

use cctoken::{Credentials, ErrorKind, Request, Response};
use common::{closed_port_url, Reply, Server, Witness};
use std::io::Write;
use std::sync::atomic::Ordering;
use std::sync::Mutex;
use std::time::Duration;

const TOKEN_JSON: &str = r#"{"access_token":"tok","token_type":"Bearer","expires_in":3600}"#;

fn creds(url: &str) -> Credentials {
    Credentials::new(url, "id", "secret-value").unwrap()
}

/// A reply that writes `bytes`, then keeps the connection open (neither
/// more bytes nor a close) until the server stops. A client that waits for
/// the rest of such a response waits for its timeout.
fn write_then_hold(bytes: Vec<u8>) -> Reply {
    Reply::Script(Box::new(move |conn, stop| {
        let _ = conn.write_all(&bytes);
        let _ = conn.flush();
        while !stop.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(10));
        }
    }))
}

/// A transport that records the URLs it is asked for and answers with a
/// token.
struct Recorder {
    urls: Mutex<Vec<String>>,
}

impl Recorder {
    fn new() -> Recorder {
        Recorder {
            urls: Mutex::new(Vec::new()),
        }
    }

    fn urls(&self) -> Vec<String> {
        self.urls.lock().unwrap().clone()
    }
}

impl cctoken::Transport for Recorder {
    fn send(&self, request: &Request) -> cctoken::Result<Response> {
        self.urls.lock().unwrap().push(request.url().to_owned());
        Ok(Response::new(200, TOKEN_JSON))
    }
}

fn assert_redirect_not_followed(status: u16) {
    let witness = Witness::new();
    let location = witness.url("/token");
    let server = {
        let location = location.clone();
        Server::start(move |_| {
            Reply::http(
                status,
                "text/html",
                &[("Location", &location)],
                b"<a href=\"elsewhere\">moved</a>",
            )
        })
    };
    let e = creds(&server.url("/token")).fetch().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Redirect, "{status}: {e:?}");
    assert_eq!(e.status(), Some(status));
    assert!(e.to_string().contains(&status.to_string()), "{e}");
    assert!(!e.is_transient());
    assert_eq!(server.count(), 1);
    assert!(!witness.was_contacted(), "{status}: redirect was followed");
}

#[test]
fn redirect_302_is_not_followed() {
    assert_redirect_not_followed(302);
}

#[test]
fn redirect_307_is_not_followed() {
    assert_redirect_not_followed(307);
}

#[test]
fn redirects_301_303_308_are_not_followed() {
    for status in [301, 303, 308] {
        assert_redirect_not_followed(status);
    }
}

#[test]
fn witness_sees_a_connection() {
    // The redirect tests rely on the witness noticing a connection.
    let witness = Witness::new();
    let addr = witness.url("").trim_start_matches("http://").to_owned();
    let _conn = std::net::TcpStream::connect(addr).unwrap();
    assert!(witness.was_contacted());
}

#[test]
fn declared_length_over_the_cap_is_refused() {
    let mut raw = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                    Content-Length: 1048576\r\nConnection: close\r\n\r\n"
        .to_vec();
    raw.extend(std::iter::repeat_n(b' ', 1 << 20));
    let server = Server::always(raw);
    let e = creds(&server.url("/token"))
        .with_max_response_bytes(1024)
        .fetch()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ResponseTooLarge, "{e:?}");
    assert_eq!(e.status(), Some(200));
    assert!(e.to_string().contains("1024"), "{e}");
}

#[test]
fn declared_length_over_the_cap_is_refused_without_reading_the_rest() {
    // 2 KiB of a declared 1 MiB, then silence: waiting for the rest would
    // end in a timeout, not ResponseTooLarge.
    let server = Server::start(|_| {
        let mut raw = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                        Content-Length: 1048576\r\n\r\n"
            .to_vec();
        raw.extend(std::iter::repeat_n(b' ', 2048));
        write_then_hold(raw)
    });
    let e = creds(&server.url("/token"))
        .with_max_response_bytes(1024)
        .with_timeout(Duration::from_secs(10))
        .fetch()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ResponseTooLarge, "{e:?}");
    assert_eq!(e.status(), Some(200));
}

#[test]
fn body_until_close_over_the_cap_is_refused_without_reading_the_rest() {
    // No Content-Length: the body runs until the connection closes, which
    // it never does.
    let server = Server::start(|_| {
        let mut raw = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n".to_vec();
        raw.extend(std::iter::repeat_n(b' ', 2048));
        write_then_hold(raw)
    });
    let e = creds(&server.url("/token"))
        .with_max_response_bytes(1024)
        .with_timeout(Duration::from_secs(10))
        .fetch()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ResponseTooLarge, "{e:?}");
    assert_eq!(e.status(), Some(200));
}

#[test]
fn chunked_body_over_the_cap_is_refused_without_reading_the_rest() {
    // One 2 KiB chunk, then neither the next chunk nor the last.
    let server = Server::start(|_| {
        let mut raw = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                        Transfer-Encoding: chunked\r\n\r\n800\r\n"
            .to_vec();
        raw.extend(std::iter::repeat_n(b' ', 0x800));
        raw.extend_from_slice(b"\r\n");
        write_then_hold(raw)
    });
    let e = creds(&server.url("/token"))
        .with_max_response_bytes(1024)
        .with_timeout(Duration::from_secs(10))
        .fetch()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ResponseTooLarge, "{e:?}");
    assert_eq!(e.status(), Some(200));
}

#[test]
fn body_of_exactly_the_cap_is_accepted_and_one_more_byte_is_not() {
    let padded = |len: usize| {
        let mut body = TOKEN_JSON.to_owned();
        body.push_str(&" ".repeat(len - body.len()));
        body
    };
    let server = Server::start(move |_| Reply::json(200, &padded(1024)));
    let token = creds(&server.url("/token"))
        .with_max_response_bytes(1024)
        .fetch()
        .unwrap();
    assert_eq!(token.access_token(), "tok");
    drop(server);

    let server = Server::start(move |_| Reply::json(200, &padded(1025)));
    let e = creds(&server.url("/token"))
        .with_max_response_bytes(1024)
        .fetch()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ResponseTooLarge);

    // The same over chunked framing, where no length is declared.
    let chunked = |len: usize| {
        let body = padded(len);
        let mut raw = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        for piece in body.as_bytes().chunks(100) {
            raw.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
            raw.extend_from_slice(piece);
            raw.extend_from_slice(b"\r\n");
        }
        raw.extend_from_slice(b"0\r\n\r\n");
        raw
    };
    let server = Server::always(chunked(1024));
    let token = creds(&server.url("/token"))
        .with_max_response_bytes(1024)
        .fetch()
        .unwrap();
    assert_eq!(token.access_token(), "tok");
    drop(server);
    let server = Server::always(chunked(1025));
    let e = creds(&server.url("/token"))
        .with_max_response_bytes(1024)
        .fetch()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ResponseTooLarge);
}

#[test]
fn silent_server_times_out() {
    let server = Server::start(|_| Reply::Hang);
    let e = creds(&server.url("/token"))
        .with_timeout(Duration::from_secs(1))
        .fetch()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e:?}");
    assert!(e.is_transient());
    assert_eq!(e.status(), None);
    assert_eq!(server.count(), 1, "the request was sent whole");
}

#[test]
fn trickling_body_times_out_as_a_whole() {
    // Every read makes progress, so only a deadline for the whole exchange
    // (not a per-read timeout) ends this.
    let server = Server::start(|_| {
        Reply::Script(Box::new(|conn, stop| {
            let head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
                         Content-Length: 1000\r\n\r\n";
            if conn.write_all(head).is_err() {
                return;
            }
            for _ in 0..1000 {
                if stop.load(Ordering::SeqCst) || conn.write_all(b" ").is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }))
    });
    let e = creds(&server.url("/token"))
        .with_timeout(Duration::from_secs(1))
        .fetch()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e:?}");
}

#[test]
fn stalled_chunked_body_times_out() {
    // One complete chunk, then nothing: the client times out waiting for
    // the next chunk-size line. That is a timeout (transient, retried),
    // not a malformed response.
    let server = Server::start(|_| {
        write_then_hold(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\
              Transfer-Encoding: chunked\r\n\r\n5\r\n{\"acc\r\n"
                .to_vec(),
        )
    });
    let e = creds(&server.url("/token"))
        .with_timeout(Duration::from_secs(1))
        .fetch()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e:?}");
    assert!(e.is_transient());
}

#[test]
fn refused_connection_is_connect() {
    let e = creds(&closed_port_url("/token")).fetch().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Connect, "{e:?}");
    assert!(e.is_transient());
    assert_eq!(e.status(), None);
}

#[test]
fn close_without_answer_is_connect() {
    let server = Server::start(|_| Reply::Close);
    let e = creds(&server.url("/token")).fetch().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Connect, "{e:?}");
    assert_eq!(server.count(), 1);
}

#[test]
fn plain_http_to_remote_hosts_is_refused_before_any_connection() {
    for url in [
        "http://auth.example.com/token",
        "http://10.1.2.3/token",
        "http://128.0.0.1/token",
        "http://localhost.example.com/token",
    ] {
        let creds = creds(url);
        let e = creds.validate().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config, "{url}");
        let host = url.trim_start_matches("http://").trim_end_matches("/token");
        assert!(e.to_string().contains(host), "{url}: {e}");
        assert!(e.to_string().contains("https://"), "{url}: {e}");

        let recorder = Recorder::new();
        let e = creds.fetch_with(&recorder).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config, "{url}");
        assert_eq!(recorder.urls(), Vec::<String>::new(), "{url}");
    }
}

#[test]
fn plain_http_to_remote_hosts_is_refused_by_fetch() {
    // If the policy were missing, these would try the network: the
    // reserved `.invalid` name never resolves, and the short timeout
    // bounds an attempt on the private address.
    for url in ["http://auth.example.invalid/token", "http://10.1.2.3/token"] {
        let e = creds(url)
            .with_timeout(Duration::from_secs(1))
            .fetch()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config, "{url}: {e:?}");
    }
}

#[test]
fn dangerous_allow_http_lifts_the_refusal() {
    let creds = creds("http://auth.example.com/token").dangerous_allow_http();
    creds.validate().unwrap();
    let recorder = Recorder::new();
    let token = creds.fetch_with(&recorder).unwrap();
    assert_eq!(token.access_token(), "tok");
    assert_eq!(recorder.urls(), vec!["http://auth.example.com/token"]);
}

#[test]
fn plain_http_to_loopback_hosts_is_allowed() {
    let server = Server::start(|_| Reply::token("tok", 3600));
    let port = server.addr().port();
    for url in [
        format!("http://127.0.0.2:{port}/token"),
        format!("http://127.255.255.254:{port}/token"),
        format!("http://localhost:{port}/token"),
        format!("http://LocalHost:{port}/token"),
        format!("http://[::1]:{port}/token"),
    ] {
        let creds = creds(&url);
        creds.validate().unwrap_or_else(|e| panic!("{url}: {e}"));
        let recorder = Recorder::new();
        creds.fetch_with(&recorder).unwrap();
        assert_eq!(recorder.urls(), vec![url]);
    }
    // And over the wire, by name.
    let token = creds(&format!("http://localhost:{port}/token"))
        .fetch()
        .unwrap();
    assert_eq!(token.access_token(), "tok");
    assert_eq!(server.count(), 1);
    assert_eq!(
        server.requests()[0].header("Host").as_deref(),
        Some(format!("localhost:{port}").as_str())
    );
}

#[test]
fn ipv6_literal_is_refused_by_the_built_in_transport() {
    let creds = creds("http://[::1]:1/token");
    creds.validate().unwrap(); // loopback: the URL policy allows it
    let e = creds.fetch().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config, "{e:?}");
    assert!(e.to_string().contains("IPv6"), "{e}");
    // Another transport can take it.
    let recorder = Recorder::new();
    creds.fetch_with(&recorder).unwrap();
    assert_eq!(recorder.urls(), vec!["http://[::1]:1/token"]);
}

#[test]
fn body_shorter_than_its_content_length_is_invalid() {
    let server = Server::always(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\
          Connection: close\r\n\r\n{\"access_token\":\"tok\"}"
            .to_vec(),
    );
    let e = creds(&server.url("/token")).fetch().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidResponse, "{e:?}");
    assert_eq!(e.status(), Some(200));
    assert!(!e.is_transient());
}

#[test]
fn html_502_from_a_gateway_is_http_and_transient() {
    let page = format!(
        "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>{}END-OF-PAGE</body></html>",
        "<p>upstream unavailable</p>".repeat(20)
    );
    let server = Server::start(move |_| Reply::http(502, "text/html", &[], page.as_bytes()));
    let e = creds(&server.url("/token")).fetch().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Http, "{e:?}");
    assert_eq!(e.status(), Some(502));
    assert!(e.is_transient());
    assert_eq!(e.retry_after(), None);
    assert_eq!(e.oauth_error(), None);
    let shown = e.to_string();
    assert!(shown.contains("502"), "{shown}");
    assert!(shown.contains("502 Bad Gateway"), "an excerpt: {shown}");
    assert!(
        !shown.contains("END-OF-PAGE"),
        "never the whole body: {shown}"
    );
    assert!(!shown.contains('\r') && !shown.contains('\n'), "{shown}");
}

#[test]
fn plain_text_429_with_retry_after() {
    let server = Server::start(|_| {
        Reply::http(
            429,
            "text/plain",
            &[("Retry-After", "60")],
            b"Too Many Requests",
        )
    });
    let e = creds(&server.url("/token")).fetch().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Http, "{e:?}");
    assert_eq!(e.status(), Some(429));
    assert_eq!(e.retry_after(), Some(Duration::from_secs(60)));
    assert!(e.is_transient());
}

#[test]
fn a_well_behaved_server_is_asked_once() {
    // The baseline the failures above are measured against.
    let server = Server::start(|_| Reply::token("tok", 3600));
    let token = creds(&server.url("/token")).fetch().unwrap();
    assert_eq!(token.access_token(), "tok");
    assert_eq!(token.lifetime(), Some(Duration::from_secs(3600)));
    assert_eq!(server.count(), 1);
    assert_eq!(server.connections(), 1);
}

/// Review finding: the transport's own errors about a response (a body
/// over the cap, one cut short) carried the status but dropped
/// `Retry-After`, so a 503 saying "come back in 7 s" was retried at once.
#[test]
fn transport_errors_keep_the_status_and_retry_after() {
    let big = vec![b'x'; 100];
    let server =
        Server::start(move |_| Reply::http(503, "text/plain", &[("Retry-After", "7")], &big));
    let e = creds(&server.url("/token"))
        .with_max_response_bytes(16)
        .fetch()
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ResponseTooLarge, "{e}");
    assert_eq!(e.status(), Some(503));
    assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));

    // Cut short: 10 of the 100 bytes declared, then the connection closes.
    let cut = Server::start(|_| {
        Reply::Script(Box::new(|conn, _| {
            let _ = conn.write_all(
                b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 9\r\nContent-Length: 100\r\n\
                  Connection: close\r\n\r\n0123456789",
            );
        }))
    });
    let e = creds(&cut.url("/token")).fetch().unwrap_err();
    assert_eq!(e.status(), Some(503), "{e}");
    assert_eq!(e.retry_after(), Some(Duration::from_secs(9)), "{e}");
}
