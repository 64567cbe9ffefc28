//! Fetches one OAuth 2.0 client credentials token and prints it, with
//! minreq + miniserde + rustls/ring directly: what cctoken does inside,
//! without its checks and error reporting.
//!
//! Usage: `TOKEN_URL=… CLIENT_ID=… CLIENT_SECRET=… footprint-baseline`, as
//! `examples/fetch.rs` (the secret never on the command line).

use miniserde::{json, Deserialize};
use std::process::exit;

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
}

/// `application/x-www-form-urlencoded` value (RFC 6749 appendix B).
fn form_encode(out: &mut String, value: &str) {
    for &b in value.as_bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                out.push(HEX[usize::from(b >> 4)] as char);
                out.push(HEX[usize::from(b & 15)] as char);
            }
        }
    }
}

fn var(name: &str) -> String {
    match std::env::var(name) {
        Ok(v) => v,
        Err(_) => {
            eprintln!("usage: TOKEN_URL=… CLIENT_ID=… CLIENT_SECRET=… footprint-baseline ({name} is not set)");
            exit(2)
        }
    }
}

fn main() {
    let url = var("TOKEN_URL");
    let id = var("CLIENT_ID");
    let secret = var("CLIENT_SECRET");

    #[cfg(any(feature = "https", feature = "https-os-roots"))]
    if url.starts_with("https://") {
        let _ = rustls::crypto::ring::default_provider().install_default();
    }

    let mut body = String::from("grant_type=client_credentials&client_id=");
    form_encode(&mut body, &id);
    body.push_str("&client_secret=");
    form_encode(&mut body, &secret);

    let response = minreq::post(url.as_str())
        .with_timeout(30)
        .with_follow_redirects(false)
        .with_header("Accept", "application/json")
        .with_header("Content-Type", "application/x-www-form-urlencoded")
        .with_body(body)
        .send();
    let response = match response {
        Ok(r) => r,
        Err(e) => {
            eprintln!("request failed: {e}");
            exit(1)
        }
    };
    if response.status_code != 200 {
        eprintln!("token endpoint answered {}", response.status_code);
        exit(1)
    }
    let text = match response.as_str() {
        Ok(t) => t,
        Err(e) => {
            eprintln!("response is not UTF-8: {e}");
            exit(1)
        }
    };
    match json::from_str::<TokenResponse>(text) {
        Ok(token) => println!("{}", token.access_token),
        Err(_) => {
            eprintln!("malformed token response");
            exit(1)
        }
    }
}
