//! Every case of `tests/fixtures/responses.jsonl` (copied from the shared
//! fixtures) through the parser, one named test per line, honouring
//! `expect` and checking the normalisation each note asks for.

mod common;

use cctoken::{Credentials, Error, ErrorKind, Request, Response, Token, MAX_LIFETIME};
use std::time::Duration;

const FIXTURES: &str = include_str!("fixtures/responses.jsonl");
const SECRET: &str = "s3cr3t-8f2a9c";

struct Case {
    status: u16,
    body: Vec<u8>,
    expect: String,
    json: serde_json::Value,
}

/// Line `n` (from 1) of the fixtures.
fn case(n: usize) -> Case {
    let line = FIXTURES.lines().nth(n - 1).expect("fixture line");
    let json: serde_json::Value = serde_json::from_str(line).unwrap();
    let mut body = json["body"].as_str().unwrap().as_bytes().to_vec();
    if json["body_escapes"].as_bool() == Some(true) {
        let text = String::from_utf8(body).unwrap();
        body = text.replace("\\xff", "\u{ff}").into_bytes();
    }
    Case {
        status: json["status"].as_u64().unwrap() as u16,
        body,
        expect: json["expect"].as_str().unwrap().to_owned(),
        json,
    }
}

/// The case's response through `fetch_with` (a closure transport).
fn run(c: &Case) -> Result<Token, Error> {
    let mut response = Response::new(c.status, c.body.clone())
        .with_header("Content-Type", c.json["content_type"].as_str().unwrap());
    if let Some(headers) = c.json["headers"].as_object() {
        for (k, v) in headers {
            response = response.with_header(k.as_str(), v.as_str().unwrap());
        }
    }
    let creds = Credentials::new("https://auth.example.com/token", "id", SECRET).unwrap();
    let slot = std::sync::Mutex::new(Some(response));
    creds.fetch_with(&|_: &Request| Ok(slot.lock().unwrap().take().unwrap()))
}

/// Runs line `n` and checks `expect`: `ok` gives a token, `error` a typed
/// OAuth error (status, code, description) or an HTTP error with the
/// status, `reject` an invalid response.
fn check(n: usize) -> (Case, Result<Token, Error>) {
    let c = case(n);
    let result = run(&c);
    let body: Option<serde_json::Value> = serde_json::from_slice(&c.body).ok();
    match c.expect.as_str() {
        "ok" => {
            let t = result.as_ref().expect("a token");
            let want = body.as_ref().unwrap()["access_token"].as_str().unwrap();
            assert_eq!(t.access_token(), want);
            assert_eq!(t.token_type(), "Bearer");
        }
        "error" => {
            let e = result.as_ref().expect_err("an error");
            assert_eq!(e.status(), Some(c.status));
            match body.as_ref().and_then(|b| b["error"].as_str()) {
                Some(code) => {
                    assert_eq!(e.kind(), ErrorKind::OAuth, "{e}");
                    assert_eq!(e.oauth_error(), Some(code));
                    let description = body.as_ref().unwrap()["error_description"].as_str();
                    if let Some(d) = description {
                        let shown = e.oauth_error_description().expect("description");
                        assert_eq!(shown.replace("\\r", "\r").replace("\\n", "\n"), d);
                    }
                }
                None => assert_eq!(e.kind(), ErrorKind::Http, "{e}"),
            }
        }
        "reject" => {
            let e = result.as_ref().expect_err("rejected");
            assert_eq!(e.kind(), ErrorKind::InvalidResponse, "{e}");
        }
        other => panic!("unknown expect {other}"),
    }
    (c, result)
}

macro_rules! fixtures {
    ($($name:ident: $line:expr $(=> $extra:expr)?;)*) => {$(
        #[test]
        fn $name() {
            #[allow(unused_variables)]
            let (c, result) = check($line);
            $( ($extra)(&c, result); )?
        }
    )*};
}

fn secs(n: u64) -> Option<Duration> {
    Some(Duration::from_secs(n))
}

fixtures! {
    stampede_ok: 1 => |_: &Case, r: Result<Token, Error>| {
        let t = r.unwrap();
        assert_eq!(t.scope(), Some("ALL:ALL"));
        assert_eq!(t.lifetime(), secs(3600));
    };
    stampede_400_invalid_client: 2;
    learnamp_ok_created_at_is_an_extra: 3 => |_: &Case, r: Result<Token, Error>| {
        let t = r.unwrap();
        assert_eq!(t.extra("created_at"), Some("1601480215"));
        assert_eq!(t.scope(), Some("public"));
        // Expiry from receipt, not from created_at.
        assert_eq!(t.lifetime(), secs(7200));
        assert!(!t.is_expired());
    };
    hydrosat_ok: 4 => |_: &Case, r: Result<Token, Error>| {
        assert_eq!(r.unwrap().lifetime(), secs(3600));
    };
    alluvial_ok_space_separated_scope: 5 => |_: &Case, r: Result<Token, Error>| {
        let t = r.unwrap();
        assert_eq!(t.scope(), Some("read:eth-oracle read:eth-contracts read:eth-operators"));
        assert_eq!(t.lifetime(), secs(86400));
    };
    auth0_401_access_denied_not_transient: 6 => |_: &Case, r: Result<Token, Error>| {
        assert!(!r.unwrap_err().is_transient());
    };
    auth0_403_escaped_quotes: 7 => |_: &Case, r: Result<Token, Error>| {
        let e = r.unwrap_err();
        assert!(e.oauth_error_description().unwrap().contains("\"https://api.example.com\""));
    };
    azure_v1_numeric_string_expires_in: 8 => |_: &Case, r: Result<Token, Error>| {
        let t = r.unwrap();
        assert_eq!(t.lifetime(), secs(3599));
        assert_eq!(t.extra("expires_on"), Some("1388452167"));
        assert_eq!(t.extra("resource"), Some("https://service.contoso.com/"));
    };
    entra_v2_ok: 9 => |_: &Case, r: Result<Token, Error>| {
        assert_eq!(r.unwrap().extra("ext_expires_in"), Some("3599"));
    };
    entra_v2_400_crlf_description_escaped: 10 => |_: &Case, r: Result<Token, Error>| {
        let e = r.unwrap_err();
        let d = e.oauth_error_description().unwrap();
        assert!(!d.contains('\r') && !d.contains('\n'), "{d}");
        assert!(d.contains("AADSTS70011") && d.contains("\\r\\nTrace ID"), "{d}");
        let shown = e.to_string();
        assert!(!shown.contains('\r') && !shown.contains('\n'), "{shown}");
    };
    entra_429_plain_text_retry_after: 11 => |_: &Case, r: Result<Token, Error>| {
        let e = r.unwrap_err();
        assert_eq!(e.retry_after(), secs(60));
        assert!(e.is_transient());
    };
    keycloak_ok_extra_members_ignored: 12 => |_: &Case, r: Result<Token, Error>| {
        let t = r.unwrap();
        assert_eq!(t.scope(), Some("profile email"));
        assert_eq!(t.lifetime(), secs(300));
        assert_eq!(t.extra("not-before-policy"), Some("0"));
    };
    salesforce_no_expires_in: 13 => |_: &Case, r: Result<Token, Error>| {
        let t = r.unwrap();
        assert_eq!(t.lifetime(), None);
        assert_eq!(t.expires_in(), None);
        assert!(t.access_token().contains('!'));
        assert_eq!(t.extra("instance_url"), Some("https://instance_name.my.salesforce.com"));
        assert_eq!(t.extra("issued_at"), Some("1712345678901"));
    };
    github_error_with_status_200: 14 => |_: &Case, r: Result<Token, Error>| {
        let e = r.unwrap_err();
        assert_eq!(e.status(), Some(200));
        assert!(e.oauth_error_uri().unwrap().starts_with("/apps/"));
    };
    nginx_502_html_is_http_with_short_excerpt: 15 => |c: &Case, r: Result<Token, Error>| {
        let e = r.unwrap_err();
        assert!(e.is_transient());
        let shown = e.to_string();
        assert!(shown.contains("502 Bad Gateway"), "{shown}");
        assert!(shown.len() < c.body.len() + 80, "{shown}");
        assert!(!shown.contains('\r') && !shown.contains('\n'), "{shown}");
    };
    empty_body_200_rejected: 16;
    crlf_in_token_rejected: 17 => |_: &Case, r: Result<Token, Error>| {
        assert!(r.unwrap_err().to_string().contains("printable ASCII"));
    };
    huge_expires_in_clamped: 18 => |_: &Case, r: Result<Token, Error>| {
        let t = r.unwrap();
        assert_eq!(t.lifetime(), Some(MAX_LIFETIME));
        assert!(!t.is_expired());
    };
    negative_expires_in_rejected: 19 => |_: &Case, r: Result<Token, Error>| {
        assert!(r.unwrap_err().to_string().contains("negative"));
    };
    zero_expires_in_usable_once: 20 => |_: &Case, r: Result<Token, Error>| {
        let t = r.unwrap();
        assert_eq!(t.lifetime(), Some(Duration::ZERO));
        assert!(t.is_expired(), "used once, never cached");
    };
}

#[test]
fn every_fixture_line_has_a_test() {
    assert_eq!(FIXTURES.lines().count(), 20);
}

/// Normalisations no fixture shows on its own.
#[test]
fn missing_token_type_is_bearer_and_lowercase_bearer_accepted() {
    for body in [
        r#"{"access_token":"a"}"#,
        r#"{"access_token":"a","token_type":"bearer"}"#,
    ] {
        let c = Case {
            status: 200,
            body: body.as_bytes().to_vec(),
            expect: "ok".into(),
            json: serde_json::json!({"content_type": "application/json"}),
        };
        assert_eq!(run(&c).unwrap().token_type(), "Bearer");
    }
}

#[test]
fn array_scope_is_joined_with_spaces() {
    let c = Case {
        status: 200,
        body: br#"{"access_token":"a","scope":["read","write"]}"#.to_vec(),
        expect: "ok".into(),
        json: serde_json::json!({"content_type": "application/json"}),
    };
    assert_eq!(run(&c).unwrap().scope(), Some("read write"));
}

/// The same fixtures over a real loopback socket give the same results.
#[test]
fn fixtures_over_the_wire() {
    for n in [1, 2, 11, 13, 15, 17] {
        let c = case(n);
        let mut raw = format!(
            "HTTP/1.1 {} X\r\nContent-Type: {}\r\nContent-Length: {}\r\n",
            c.status,
            c.json["content_type"].as_str().unwrap(),
            c.body.len()
        );
        if let Some(headers) = c.json["headers"].as_object() {
            for (k, v) in headers {
                raw.push_str(&format!("{k}: {}\r\n", v.as_str().unwrap()));
            }
        }
        raw.push_str("\r\n");
        let mut raw = raw.into_bytes();
        raw.extend_from_slice(&c.body);
        let server = common::Server::always(raw);
        let creds = Credentials::new(&server.url("/token"), "id", SECRET).unwrap();
        let (direct, wire) = (run(&c), creds.fetch());
        match (direct, wire) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a.access_token(), b.access_token());
                assert_eq!(a.scope(), b.scope());
                assert_eq!(a.lifetime(), b.lifetime());
            }
            (Err(a), Err(b)) => {
                assert_eq!(a.kind(), b.kind(), "line {n}");
                assert_eq!(a.status(), b.status());
                assert_eq!(a.oauth_error(), b.oauth_error());
                assert_eq!(a.retry_after(), b.retry_after());
            }
            (a, b) => panic!("line {n}: {a:?} vs {b:?}"),
        }
    }
}
