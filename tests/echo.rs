//! Issue 11, "What to show" 2: a token endpoint that echoes everything it
//! received — request line, headers, body — back into its error, in every
//! place and form servers are seen to use. For secrets of 4, 7, 8, 16, 40
//! and 64 bytes drawn from all of printable ASCII, every body encoding and
//! every client authentication, the secret appears in no `Display`, no
//! `Debug` and no stderr of the command, in any of its forms: as it is,
//! percent-encoded (hex in either case, space as `+` or `%20`), JSON- and
//! HTML-escaped, and inside the `Authorization: Basic` value.

mod common;

use cctoken::{ClientAuth, Credentials, Encoding};
use common::{b64, Captured, Reply, Server};

const ID: &str = "echo-client";
const LENGTHS: [usize; 6] = [4, 7, 8, 16, 40, 64];
const MODES: [&str; 10] = [
    "description",
    "percent",
    "json",
    "html",
    "plain",
    "code",
    "basic",
    "redirect",
    "token-type",
    "cut",
];

/// Secrets of `len` bytes from printable ASCII (0x20–0x7E), from a fixed
/// seed so that every run tests the same strings.
fn secret(len: usize, seed: u64) -> String {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (0x20 + ((x >> 33) % 95) as u8) as char
        })
        .collect()
}

fn pct(s: &str, upper: bool, plus: bool) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            b' ' if plus => "+".to_owned(),
            _ if upper => format!("%{b:02X}"),
            _ => format!("%{b:02x}"),
        })
        .collect()
}

fn html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn json(s: &str) -> String {
    let quoted = serde_json::to_string(s).unwrap();
    quoted[1..quoted.len() - 1].to_owned()
}

/// Every form of `secret` that must never be shown.
fn forms(secret: &str) -> Vec<String> {
    let mut forms = vec![
        secret.to_owned(),
        pct(secret, true, false),
        pct(secret, false, false),
        pct(secret, true, true),
        pct(secret, false, true),
        json(secret),
        html(secret),
        b64::std(format!("{ID}:{}", pct(secret, true, false)).as_bytes()),
        b64::std(format!("{ID}:{secret}").as_bytes()),
    ];
    forms.sort();
    forms.dedup();
    forms
}

/// The echo server: the path names where and how the request is echoed.
fn reply(c: &Captured) -> Reply {
    let raw = String::from_utf8_lossy(&c.raw).into_owned();
    let mode = c
        .request_line()
        .split('/')
        .nth(2)
        .unwrap_or("")
        .split(' ')
        .next()
        .unwrap_or("");
    let oauth = |status: u16, code: &str, description: &str| {
        Reply::json(
            status,
            &serde_json::json!({"error": code, "error_description": description}).to_string(),
        )
    };
    match mode {
        "description" => oauth(400, "invalid_client", &raw),
        "percent" => oauth(400, "invalid_request", &pct(&raw, false, true)),
        "json" => oauth(400, "invalid_request", &serde_json::to_string(&raw).unwrap()),
        "html" => Reply::http(
            400,
            "text/html",
            &[],
            format!("<html><body><pre>{}</pre></body></html>", html(&raw)).as_bytes(),
        ),
        "plain" => Reply::http(500, "text/plain", &[], raw.as_bytes()),
        "code" => Reply::json(401, &serde_json::json!({ "error": raw }).to_string()),
        "basic" => {
            let decoded = c
                .header("authorization")
                .and_then(|v| v.strip_prefix("Basic ").map(b64::decode))
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .unwrap_or_else(|| raw.clone());
            oauth(401, "invalid_client", &format!("bad credentials: {decoded}"))
        }
        "redirect" => Reply::http(
            302,
            "",
            &[("Location", &format!("https://elsewhere.example/?echo={}", pct(&raw, true, false)))],
            b"",
        ),
        "token-type" => Reply::json(
            200,
            &serde_json::json!({"access_token": "t", "token_type": String::from_utf8_lossy(&c.body)}).to_string(),
        ),
        // The echo cut by the server itself, 30 bytes into the secret's
        // field: only the secret's first part is there.
        _ => {
            let body = String::from_utf8_lossy(&c.body).into_owned();
            let at = body.find("client_secret").map_or(body.len(), |i| i + 30);
            oauth(400, "invalid_client", &body[..at.min(body.len())])
        }
    }
}

fn combinations() -> Vec<(Encoding, ClientAuth)> {
    let mut all = Vec::new();
    for encoding in [Encoding::Form, Encoding::Json, Encoding::Multipart] {
        for auth in [
            ClientAuth::RequestBody,
            ClientAuth::Basic,
            ClientAuth::BasicUnencoded,
        ] {
            all.push((encoding, auth));
        }
    }
    all
}

/// The texts shown for an error must hold no form of `secret`; for a
/// secret of 8 bytes or more, also no 8-byte piece of it as it is.
fn assert_clean(shown: &str, secret: &str, what: &str) {
    for form in forms(secret) {
        assert!(!shown.contains(&form), "{what}: `{form}` in: {shown}");
    }
    if secret.len() >= 8 {
        for piece in secret.as_bytes().windows(8) {
            let piece = std::str::from_utf8(piece).unwrap();
            assert!(
                !shown.contains(piece),
                "{what}: piece `{piece}` in: {shown}"
            );
        }
    }
}

#[test]
fn echoed_secrets_never_show_in_errors() {
    let server = Server::start(reply);
    for (i, len) in LENGTHS.into_iter().enumerate() {
        let secret = secret(len, i as u64);
        for (encoding, auth) in combinations() {
            for mode in MODES {
                let before = server.count();
                let creds = Credentials::new(&server.url(&format!("/token/{mode}")), ID, &secret)
                    .unwrap()
                    .with_encoding(encoding)
                    .with_auth(auth);
                let e = creds.fetch().expect_err("the echo server always fails");
                let what = format!("{len}-byte secret, {encoding:?}, {auth:?}, {mode}");
                // The request reached the echo server: the error is its.
                assert_eq!(server.count(), before + 1, "{what}: {e}");
                assert_clean(&e.to_string(), &secret, &what);
                assert_clean(&format!("{e:?}"), &secret, &what);
                if len >= 8 && mode == "description" {
                    assert!(e.to_string().contains("[redacted]"), "{what}: {e}");
                }
                if len < 8 {
                    assert!(e.oauth_error_description().is_none(), "{what}: {e}");
                }
            }
        }
    }
}

#[cfg(feature = "cli")]
#[test]
fn echoed_secrets_never_show_on_the_command_s_stderr() {
    use std::process::Command;
    let server = Server::start(reply);
    let dir = common::TempDir::new("echo");
    let bin = env!("CARGO_BIN_EXE_cctoken");
    for (i, len) in LENGTHS.into_iter().enumerate() {
        let secret = secret(len, i as u64);
        let file = dir.write("secret", &secret, 0o600);
        // Each mode with one client authentication, in turn (the library
        // test above covers every combination; this one is about stderr).
        for (j, mode) in MODES.into_iter().enumerate() {
            {
                let auth = ["body", "basic", "basic-unencoded"][(i + j) % 3];
                let mut cmd = match std::env::var_os("CLI_TEST_RUNNER") {
                    Some(runner) => {
                        let mut c = Command::new(runner);
                        c.arg(bin);
                        c
                    }
                    None => Command::new(bin),
                };
                // Only the flags below: no CCTOKEN_* of the caller's.
                for (name, _) in std::env::vars_os() {
                    if name.to_string_lossy().starts_with("CCTOKEN_") {
                        cmd.env_remove(name);
                    }
                }
                let before = server.count();
                let o = cmd
                    .args(["--token-url", &server.url(&format!("/token/{mode}"))])
                    .args(["--client-id", ID, "--auth", auth])
                    .arg("--client-secret-file")
                    .arg(&file)
                    .output()
                    .unwrap();
                let what = format!("{len}-byte secret, {auth}, {mode}");
                let err = String::from_utf8_lossy(&o.stderr);
                assert_ne!(o.status.code(), Some(0), "{what}: {err}");
                // The command reached the echo server (it may retry a 5xx).
                assert!(server.count() > before, "{what}: {err}");
                assert_clean(&err, &secret, &what);
            }
        }
    }
}
