//! DPoP (RFC 9449) end to end, offline: this program starts its own
//! authorization server and API on loopback (127.0.0.1, a port the OS
//! picks). The token endpoint first asks for a nonce (400
//! `use_dpop_nonce`, which cctoken answers by itself), then issues a
//! DPoP-bound token; the API asks for a nonce of its own (401 with
//! `WWW-Authenticate: DPoP error="use_dpop_nonce"`), which the program
//! answers with a new proof. It prints what happened — never the token.
//!
//! Run: `cargo run --example dpop`

use cctoken::{Credentials, PrivateKey, TokenSource};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};

/// Reads one request: the request line and headers, then the body.
fn read_request(conn: &mut TcpStream) -> Option<(String, Vec<(String, String)>)> {
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..end]).into_owned();
            let mut lines = head.split("\r\n");
            let line = lines.next()?.to_owned();
            let headers: Vec<(String, String)> = lines
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
                .collect();
            let length: usize = headers
                .iter()
                .find(|(k, _)| k == "content-length")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            while raw.len() < end + 4 + length {
                let n = conn.read(&mut buf).ok().filter(|&n| n > 0)?;
                raw.extend_from_slice(&buf[..n]);
            }
            return Some((line, headers));
        }
        let n = conn.read(&mut buf).ok().filter(|&n| n > 0)?;
        raw.extend_from_slice(&buf[..n]);
    }
}

/// The claims of a proof, as text (the server here only looks; a real one
/// verifies the signature with the proof's `jwk`, as oidc-provider does in
/// this project's interop suite).
fn claims(proof: &str) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let part = proof.split('.').nth(1).unwrap_or("");
    let (mut acc, mut bits, mut out) = (0u32, 0, Vec::new());
    for c in part.bytes() {
        let Some(v) = T.iter().position(|t| *t == c) else {
            break;
        };
        acc = (acc << 6) | v as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Answers a request to the loopback server.
fn answer(line: &str, headers: &[(String, String)]) -> (u16, Vec<(&'static str, String)>, String) {
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let proof = claims(&header("dpop").unwrap_or_default());
    if line.starts_with("POST /token ") {
        if !proof.contains(r#""nonce":"as-nonce-1""#) {
            let body = r#"{"error":"use_dpop_nonce","error_description":"a nonce, please"}"#;
            return (400, vec![("DPoP-Nonce", "as-nonce-1".into())], body.into());
        }
        let body = r#"{"access_token":"bound-token","token_type":"DPoP","expires_in":300}"#;
        return (200, vec![], body.into());
    }
    let authorized = header("authorization").as_deref() == Some("DPoP bound-token")
        && proof.contains(r#""htm":"GET""#)
        && proof.contains(r#""ath":""#);
    if !authorized {
        return (
            401,
            vec![("WWW-Authenticate", r#"DPoP error="invalid_token""#.into())],
            String::new(),
        );
    }
    if !proof.contains(r#""nonce":"api-nonce-7""#) {
        let challenge =
            r#"DPoP error="use_dpop_nonce", error_description="Resource server requires nonce""#;
        let headers = vec![
            ("WWW-Authenticate", challenge.into()),
            ("DPoP-Nonce", "api-nonce-7".into()),
        ];
        return (401, headers, String::new());
    }
    (200, vec![], r#"{"things":["a","b"]}"#.into())
}

/// The loopback server, on a thread that ends with the process (never
/// joined: a count of connections to wait for would hang the example if
/// the exchange changed).
fn serve(listener: TcpListener) {
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let Some((line, headers)) = read_request(&mut conn) else {
                continue;
            };
            let (status, extra, body) = answer(&line, &headers);
            let mut reply = format!("HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n");
            for (k, v) in extra {
                reply += &format!("{k}: {v}\r\n");
            }
            reply += &format!(
                "Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = conn.write_all(reply.as_bytes());
        }
    });
}

/// A GET with the token and a proof, by hand (any HTTP client does).
fn api_get(url: &str, authorization: &str, proof: &str) -> (u16, Option<String>) {
    let rest = url.strip_prefix("http://").expect("a loopback http URL");
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut conn = TcpStream::connect(authority).expect("the loopback API");
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {authority}\r\nAuthorization: {authorization}\r\nDPoP: {proof}\r\nConnection: close\r\n\r\n"
    );
    conn.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    let status = answer.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let nonce = answer
        .lines()
        .find_map(|l| l.strip_prefix("DPoP-Nonce: "))
        .map(str::to_owned);
    (status, nonce)
}

fn main() -> Result<(), cctoken::Error> {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let base = format!("http://{}", listener.local_addr().unwrap());
    // Two token requests (the nonce dance), two API requests.
    serve(listener);

    // A key for this process only (load one with PrivateKey::from_pem_file
    // to share tokens through a file cache).
    let key = PrivateKey::generate()?;
    println!(
        "DPoP key {} (thumbprint {})",
        key.algorithm(),
        key.thumbprint()
    );
    let creds =
        Credentials::new(&format!("{base}/token"), "demo-client", "demo-secret")?.with_dpop(key);
    let source = TokenSource::new(creds);
    let token = source.token()?;
    println!(
        "token: type {}, expires in {:?} (the token endpoint asked for a nonce first)",
        token.token_type(),
        token.expires_in()
    );

    let url = format!("{base}/api/things?page=1");
    let mut nonce: Option<String> = None;
    let mut status = 0;
    for attempt in 1..=2 {
        let proof = token.dpop_proof("GET", &url, nonce.as_deref())?;
        let asked;
        (status, asked) = api_get(&url, &token.authorization_header(), &proof);
        println!("API GET, attempt {attempt}: HTTP {status}");
        match (status, asked) {
            (401, Some(n)) => nonce = Some(n), // use_dpop_nonce: once more with it
            _ => break,
        }
    }
    if status != 200 {
        eprintln!("the API refused the token and its proof (HTTP {status})");
        std::process::exit(1);
    }
    Ok(())
}
