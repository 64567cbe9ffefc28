//! cctoken end to end, offline: this program starts its own token endpoint
//! on loopback (127.0.0.1, a port the OS picks), fetches tokens from it in
//! each body style the seed vendors use, and prints what it got — never the
//! token itself.
//!
//! Run: `cargo run --example demo`

use cctoken::{ClientAuth, Credentials, Encoding, TokenSource};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

const CLIENT_ID: &str = "demo-client";
const SECRET: &str = "demo-secret";

/// Reads one request: the head up to the blank line, then the body.
fn read_request(conn: &mut TcpStream) -> Option<(String, String)> {
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..end]).into_owned();
            let length = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().ok())
                })
                .flatten()
                .unwrap_or(0);
            while raw.len() < end + 4 + length {
                let n = conn.read(&mut buf).ok().filter(|&n| n > 0)?;
                raw.extend_from_slice(&buf[..n]);
            }
            let body = String::from_utf8_lossy(&raw[end + 4..end + 4 + length]).into_owned();
            return Some((head, body));
        }
        let n = conn.read(&mut buf).ok().filter(|&n| n > 0)?;
        raw.extend_from_slice(&buf[..n]);
    }
}

/// The token endpoint: checks the grant type and the client's secret
/// (in the body or in a Basic header), and answers with a token whose scope
/// and lifetime depend on the body's encoding.
fn answer(head: &str, body: &str, n: usize) -> (u16, String) {
    let header = |name: &str| {
        head.lines().find_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.trim().to_owned())
        })
    };
    let content_type = header("content-type").unwrap_or_default();
    let grant = body.contains("grant_type=client_credentials")
        || body.contains(r#""grant_type":"client_credentials""#)
        || body.contains("name=\"grant_type\"\r\n\r\nclient_credentials");
    let secret_ok =
        body.contains(SECRET) || header("authorization").is_some_and(|a| a.starts_with("Basic "));
    if !grant {
        return (400, r#"{"error":"invalid_request"}"#.into());
    }
    if !secret_ok {
        return (
            401,
            r#"{"error":"invalid_client","error_description":"bad client credentials"}"#.into(),
        );
    }
    let (scope, life) = if content_type.starts_with("application/json") {
        ("ALL:ALL", 3600)
    } else if content_type.starts_with("multipart/form-data") {
        ("public", 7200)
    } else {
        ("read write", 300)
    };
    let token = format!(
        r#"{{"access_token":"demo-token-{n}","token_type":"Bearer","expires_in":{life},"scope":"{scope}"}}"#
    );
    (200, token)
}

fn main() -> Result<(), cctoken::Error> {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let url = format!(
        "http://{}/oauth/token",
        listener.local_addr().expect("address")
    );
    let stop = Arc::new(AtomicBool::new(false));
    let requests = Arc::new(AtomicUsize::new(0));
    let server = {
        let (stop, requests) = (stop.clone(), requests.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut conn) = conn else { continue };
                if let Some((head, body)) = read_request(&mut conn) {
                    let n = requests.fetch_add(1, Ordering::SeqCst) + 1;
                    let (status, json) = answer(&head, &body, n);
                    let reply = format!(
                        "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{json}",
                        json.len()
                    );
                    let _ = conn.write_all(reply.as_bytes());
                }
            }
        })
    };

    println!("token endpoint on {url}\n");
    let base = || Credentials::new(&url, CLIENT_ID, SECRET);
    let styles = [
        ("form body (Hydrosat)", base()?),
        (
            "JSON body (Stampede)",
            base()?.with_encoding(Encoding::Json),
        ),
        (
            "JSON + audience (Alluvial)",
            base()?
                .with_encoding(Encoding::Json)
                .with_param("audience", "https://api.example.com"),
        ),
        (
            "multipart (Learn Amp)",
            base()?.with_encoding(Encoding::Multipart),
        ),
        ("form + HTTP Basic", base()?.with_auth(ClientAuth::Basic)),
    ];
    for (style, creds) in &styles {
        let token = creds.fetch()?;
        println!(
            "{style:<28} type {:<7} scope {:<11} lifetime {:>5} s",
            token.token_type(),
            token.scope().unwrap_or("-"),
            token.lifetime().map_or(0, |d| d.as_secs()),
        );
    }

    // A TokenSource fetches once and serves the cached token afterwards.
    let before = requests.load(Ordering::SeqCst);
    let source = TokenSource::new(base()?);
    for _ in 0..100 {
        source.token()?;
    }
    println!(
        "\nTokenSource: 100 calls, {} token request",
        requests.load(Ordering::SeqCst) - before
    );

    // A refusal is a typed error with the server's status and code.
    let err = Credentials::new(&url, CLIENT_ID, "wrong")?
        .fetch()
        .unwrap_err();
    println!(
        "wrong secret: kind {:?}, status {:?}, error {:?}",
        err.kind(),
        err.status(),
        err.oauth_error()
    );
    println!("  ({err})");

    stop.store(true, Ordering::SeqCst);
    let _ = TcpStream::connect(
        url.trim_start_matches("http://")
            .trim_end_matches("/oauth/token"),
    );
    server.join().expect("server thread");
    Ok(())
}
