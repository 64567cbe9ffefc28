//! The exact token request on the wire, over a real loopback server: the
//! request line, every header, and the body bytes, for each seed vendor
//! style and each client authentication method.

mod common;

use cctoken::{ClientAuth, Credentials, Encoding, ErrorKind, Request, Response};
use common::{Captured, Reply, Server, TempDir};
use std::sync::atomic::{AtomicUsize, Ordering};

const USER_AGENT: &str = concat!("cctoken/", env!("CARGO_PKG_VERSION"));

/// An id and a secret with every awkward character: space, `+`, `:`, `/`,
/// `%`, `&`, `=`, `?`, `~`, `"`, `\`, non-ASCII letters, and the unreserved
/// `-._~` that must stay as they are.
const ID: &str = "my-id._ +:/%&=?~\"\\éß";
const SECRET: &str = "s3 cr+:/%&=?~\"\\étß";
/// `ID` without `:`, which `BasicUnencoded` cannot carry.
const ID_NO_COLON: &str = "my-id._ +/%&=?~\"\\éß";

/// A server answering every request with token `tok`.
fn token_server() -> Server {
    Server::start(|_| Reply::token("tok", 3600))
}

/// Fetches once from `server` and returns the one request it received.
fn fetch_once(server: &Server, creds: &Credentials) -> Captured {
    let token = creds.fetch().expect("fetch");
    assert_eq!(token.access_token(), "tok");
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "exactly one request");
    requests.into_iter().next().unwrap()
}

/// What a request must look like.
struct Expect<'a> {
    /// The request target: path and query.
    target: &'a str,
    content_type: &'a str,
    /// The decoded `user-pass` of a Basic `Authorization` header; `None`:
    /// no `Authorization` header at all.
    basic: Option<&'a str>,
    body: &'a [u8],
}

/// Asserts the request line, the exact set of headers (no more, no
/// fewer), the body bytes, and that nothing else was sent.
fn assert_request(c: &Captured, host: &str, expect: &Expect<'_>) {
    assert_eq!(c.request_line(), format!("POST {} HTTP/1.1", expect.target));
    let mut got: Vec<(String, String)> = c
        .head
        .split("\r\n")
        .skip(1)
        .map(|line| {
            let (k, v) = line
                .split_once(": ")
                .unwrap_or_else(|| panic!("header line `{line}` is not `Name: value`"));
            (k.to_owned(), v.to_owned())
        })
        .collect();
    // The Authorization value is checked by decoding it; compare the rest.
    if let Some(user_pass) = expect.basic {
        let value = c.header("Authorization").expect("Authorization header");
        let b64 = value
            .strip_prefix("Basic ")
            .unwrap_or_else(|| panic!("`{value}` does not start with `Basic `"));
        let decoded = String::from_utf8(base64_decode(b64)).expect("user-pass is UTF-8");
        assert_eq!(decoded, user_pass);
    }
    for (k, v) in &mut got {
        if k == "Authorization" {
            *v = "<checked>".to_owned();
        }
    }
    let mut want: Vec<(String, String)> = vec![
        ("Host".into(), host.into()),
        ("Accept".into(), "application/json".into()),
        ("Content-Type".into(), expect.content_type.into()),
        ("User-Agent".into(), USER_AGENT.into()),
        ("Content-Length".into(), expect.body.len().to_string()),
    ];
    if expect.basic.is_some() {
        want.push(("Authorization".into(), "<checked>".into()));
    }
    got.sort();
    want.sort();
    assert_eq!(got, want, "headers");
    assert_eq!(
        String::from_utf8_lossy(&c.body),
        String::from_utf8_lossy(expect.body),
        "body"
    );
    assert_eq!(c.body, expect.body, "body bytes");
    let mut raw = c.head.clone().into_bytes();
    raw.extend_from_slice(b"\r\n\r\n");
    raw.extend_from_slice(expect.body);
    assert_eq!(c.raw, raw, "nothing else on the wire");
}

/// `127.0.0.1:<port>`, the `Host` header for `server`.
fn host(server: &Server) -> String {
    server.addr().to_string()
}

/// Standard base64 (RFC 4648 §4) with padding, strictly: independent of
/// the crate's encoder.
fn base64_decode(text: &str) -> Vec<u8> {
    fn value(c: u8) -> u32 {
        u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => panic!("`{}` is not a base64 character", c as char),
        })
    }
    let bytes = text.as_bytes();
    assert_eq!(bytes.len() % 4, 0, "base64 length is a multiple of 4");
    let mut out = Vec::new();
    let chunks = bytes.len() / 4;
    for (i, chunk) in bytes.chunks(4).enumerate() {
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        assert!(pad <= 2 && (pad == 0 || i == chunks - 1), "bad padding");
        let mut n = 0u32;
        for &c in &chunk[..4 - pad] {
            n = (n << 6) | value(c);
        }
        n <<= 6 * pad;
        out.push((n >> 16) as u8);
        if pad < 2 {
            out.push((n >> 8) as u8);
        }
        if pad < 1 {
            out.push(n as u8);
        }
    }
    out
}

/// A strict `multipart/form-data` decoder for bodies without preamble or
/// epilogue: `--B CRLF headers CRLF CRLF value CRLF` per part, then
/// `--B-- CRLF`. Returns `(name, value)` per part, in order.
fn decode_multipart(body: &[u8], boundary: &str) -> Vec<(String, String)> {
    let text = std::str::from_utf8(body).expect("multipart body is UTF-8");
    for (i, b) in text.bytes().enumerate() {
        if b == b'\n' {
            assert!(i > 0 && text.as_bytes()[i - 1] == b'\r', "bare LF at {i}");
        }
        if b == b'\r' {
            assert_eq!(text.as_bytes().get(i + 1), Some(&b'\n'), "bare CR at {i}");
        }
    }
    let close = format!("--{boundary}--\r\n");
    let inner = text
        .strip_suffix(close.as_str())
        .expect("body ends with the close delimiter");
    let delimiter = format!("--{boundary}\r\n");
    let mut pieces = inner.split(delimiter.as_str());
    assert_eq!(pieces.next(), Some(""), "body starts with a delimiter");
    let mut fields = Vec::new();
    for piece in pieces {
        let part = piece
            .strip_suffix("\r\n")
            .expect("CRLF before the next delimiter");
        let (headers, value) = part
            .split_once("\r\n\r\n")
            .expect("blank line after part headers");
        let mut name = None;
        for line in headers.split("\r\n") {
            let (k, v) = line.split_once(':').expect("part header `Name: value`");
            assert!(k.eq_ignore_ascii_case("content-disposition"), "header {k}");
            let params = v
                .trim()
                .strip_prefix("form-data;")
                .expect("form-data disposition");
            let quoted = params.trim().strip_prefix("name=").expect("name=");
            let n = quoted
                .strip_prefix('"')
                .and_then(|q| q.strip_suffix('"'))
                .expect("quoted name");
            name = Some(n.to_owned());
        }
        fields.push((name.expect("part has a name"), value.to_owned()));
    }
    fields
}

fn pairs(fields: &[(&str, &str)]) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn stampede_json_body_with_client_credentials() {
    let server = token_server();
    let creds = Credentials::new(
        &server.url("/oauth/token"),
        "stampede-id",
        "stampede-secret",
    )
    .unwrap()
    .with_encoding(Encoding::Json);
    let c = fetch_once(&server, &creds);
    let body = r#"{"grant_type":"client_credentials","client_id":"stampede-id","client_secret":"stampede-secret"}"#;
    assert_request(
        &c,
        &host(&server),
        &Expect {
            target: "/oauth/token",
            content_type: "application/json",
            basic: None,
            body: body.as_bytes(),
        },
    );
    let parsed: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&c.body).expect("body is a JSON object");
    assert_eq!(parsed.len(), 3);
    assert_eq!(parsed["client_id"], "stampede-id");
    assert_eq!(parsed["client_secret"], "stampede-secret");
    assert_eq!(parsed["grant_type"], "client_credentials");
}

#[test]
fn json_body_escapes_quotes_backslashes_and_controls() {
    let server = token_server();
    let creds = Credentials::new(&server.url("/token"), ID, "a\"b\\c\td\u{1}é")
        .unwrap()
        .with_encoding(Encoding::Json);
    let c = fetch_once(&server, &creds);
    assert_eq!(
        c.body_text(),
        r#"{"grant_type":"client_credentials","client_id":"my-id._ +:/%&=?~\"\\éß","client_secret":"a\"b\\c\td\u0001é"}"#
    );
    let parsed: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&c.body).unwrap();
    assert_eq!(parsed["client_id"], ID);
    assert_eq!(parsed["client_secret"], "a\"b\\c\td\u{1}é");
}

#[test]
fn learn_amp_multipart_body_is_well_formed() {
    let server = token_server();
    let secret = "s3cr3t é&=+ \"x\"";
    let creds = Credentials::new(&server.url("/oauth/token"), "learnamp-id", secret)
        .unwrap()
        .with_encoding(Encoding::Multipart);
    let c = fetch_once(&server, &creds);

    let content_type = c.header("Content-Type").expect("Content-Type");
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .unwrap_or_else(|| panic!("Content-Type `{content_type}`"))
        .to_owned();
    // RFC 2046 §5.1.1: 1 to 70 characters; these need no quoting.
    assert!((1..=70).contains(&boundary.len()), "boundary `{boundary}`");
    assert!(
        boundary
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"'()+_,-./=?".contains(&b)),
        "boundary `{boundary}` needs quoting"
    );
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"grant_type\"\r\n\r\nclient_credentials\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"client_id\"\r\n\r\nlearnamp-id\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"client_secret\"\r\n\r\n{secret}\r\n\
         --{boundary}--\r\n"
    );
    assert_request(
        &c,
        &host(&server),
        &Expect {
            target: "/oauth/token",
            content_type: &content_type,
            basic: None,
            body: body.as_bytes(),
        },
    );
    assert_eq!(
        decode_multipart(&c.body, &boundary),
        pairs(&[
            ("grant_type", "client_credentials"),
            ("client_id", "learnamp-id"),
            ("client_secret", secret),
        ])
    );
}

#[test]
fn multipart_boundary_differs_between_requests() {
    let server = token_server();
    let creds = Credentials::new(&server.url("/token"), "id", "secret")
        .unwrap()
        .with_encoding(Encoding::Multipart);
    creds.fetch().unwrap();
    creds.fetch().unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let a = requests[0].header("Content-Type").unwrap();
    let b = requests[1].header("Content-Type").unwrap();
    assert_ne!(a, b);
}

#[test]
fn hydrosat_form_body_from_creds_json_with_url() {
    let server = token_server();
    let dir = TempDir::new("wire-hydrosat");
    let path = dir.write(
        "creds.json",
        r#"{"client_id": "hydro-id", "client_secret": "hydro secret+&=%"}"#,
        0o600,
    );
    let creds = Credentials::from_json_file_with_url(&path, &server.url("/oauth/token")).unwrap();
    let c = fetch_once(&server, &creds);
    assert_request(
        &c,
        &host(&server),
        &Expect {
            target: "/oauth/token",
            content_type: "application/x-www-form-urlencoded",
            basic: None,
            body: b"grant_type=client_credentials&client_id=hydro-id&client_secret=hydro%20secret%2B%26%3D%25",
        },
    );
}

#[test]
fn hydrosat_form_body_from_creds_json_with_token_url_member() {
    let server = token_server();
    let dir = TempDir::new("wire-hydrosat-url");
    let path = dir.write(
        "creds.json",
        &format!(
            r#"{{"client_id": "hydro-id", "client_secret": "hydro-secret", "token_url": "{}", "scope": "read"}}"#,
            server.url("/auth/token")
        ),
        0o600,
    );
    let creds = Credentials::from_json_file(&path).unwrap();
    let c = fetch_once(&server, &creds);
    assert_request(
        &c,
        &host(&server),
        &Expect {
            target: "/auth/token",
            content_type: "application/x-www-form-urlencoded",
            basic: None,
            body: b"grant_type=client_credentials&client_id=hydro-id&client_secret=hydro-secret&scope=read",
        },
    );
}

#[test]
fn alluvial_json_body_with_audience_and_scope() {
    let server = token_server();
    let creds = Credentials::new(
        &server.url("/oauth/token"),
        "alluvial-id",
        "alluvial-secret",
    )
    .unwrap()
    .with_encoding(Encoding::Json)
    .with_scope("read:positions read:prices")
    .with_param("audience", "https://api.alluvial.finance/");
    let c = fetch_once(&server, &creds);
    let body = r#"{"grant_type":"client_credentials","client_id":"alluvial-id","client_secret":"alluvial-secret","scope":"read:positions read:prices","audience":"https://api.alluvial.finance/"}"#;
    assert_request(
        &c,
        &host(&server),
        &Expect {
            target: "/oauth/token",
            content_type: "application/json",
            basic: None,
            body: body.as_bytes(),
        },
    );
    let parsed: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&c.body).unwrap();
    assert_eq!(parsed.len(), 5);
    assert_eq!(parsed["audience"], "https://api.alluvial.finance/");
    assert_eq!(parsed["scope"], "read:positions read:prices");
}

#[test]
fn basic_percent_encodes_id_and_secret_and_keeps_them_out_of_the_body() {
    let server = token_server();
    let creds = Credentials::new(&server.url("/token"), ID, SECRET)
        .unwrap()
        .with_auth(ClientAuth::Basic)
        .with_scope("read");
    let c = fetch_once(&server, &creds);
    assert_request(
        &c,
        &host(&server),
        &Expect {
            target: "/token",
            content_type: "application/x-www-form-urlencoded",
            basic: Some(
                "my-id._%20%2B%3A%2F%25%26%3D%3F~%22%5C%C3%A9%C3%9F\
                 :s3%20cr%2B%3A%2F%25%26%3D%3F~%22%5C%C3%A9t%C3%9F",
            ),
            body: b"grant_type=client_credentials&scope=read",
        },
    );
    let body = c.body_text();
    assert!(!body.contains("client_id") && !body.contains("client_secret"));
}

#[test]
fn basic_with_json_body_has_no_client_members() {
    let server = token_server();
    let creds = Credentials::new(&server.url("/token"), "id", "secret")
        .unwrap()
        .with_auth(ClientAuth::Basic)
        .with_encoding(Encoding::Json);
    let c = fetch_once(&server, &creds);
    assert_request(
        &c,
        &host(&server),
        &Expect {
            target: "/token",
            content_type: "application/json",
            basic: Some("id:secret"),
            body: br#"{"grant_type":"client_credentials"}"#,
        },
    );
}

#[test]
fn basic_unencoded_sends_raw_id_colon_secret() {
    let server = token_server();
    let creds = Credentials::new(&server.url("/token"), ID_NO_COLON, SECRET)
        .unwrap()
        .with_auth(ClientAuth::BasicUnencoded);
    let c = fetch_once(&server, &creds);
    assert_request(
        &c,
        &host(&server),
        &Expect {
            target: "/token",
            content_type: "application/x-www-form-urlencoded",
            basic: Some("my-id._ +/%&=?~\"\\éß:s3 cr+:/%&=?~\"\\étß"),
            body: b"grant_type=client_credentials",
        },
    );
    let body = c.body_text();
    assert!(!body.contains("client_id") && !body.contains("client_secret"));
}

#[test]
fn basic_unencoded_refuses_an_id_with_a_colon_before_sending() {
    let server = token_server();
    let creds = Credentials::new(&server.url("/token"), ID, SECRET)
        .unwrap()
        .with_auth(ClientAuth::BasicUnencoded);
    let e = creds.validate().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.to_string().contains("client id contains `:`"), "{e}");
    assert!(!e.to_string().contains(SECRET), "{e}");

    let e = creds.fetch().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert_eq!(server.connections(), 0);

    let calls = AtomicUsize::new(0);
    let e = creds
        .fetch_with(&|_: &Request| {
            calls.fetch_add(1, Ordering::SeqCst);
            Ok(Response::new(200, r#"{"access_token":"tok"}"#))
        })
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[test]
fn path_and_query_of_the_url_are_the_request_target() {
    let server = token_server();
    let creds = Credentials::new(
        &server.url("/realms/demo/protocol/openid-connect/token?tenant=a-b"),
        "id",
        "secret",
    )
    .unwrap();
    let c = fetch_once(&server, &creds);
    assert_request(
        &c,
        &host(&server),
        &Expect {
            target: "/realms/demo/protocol/openid-connect/token?tenant=a-b",
            content_type: "application/x-www-form-urlencoded",
            basic: None,
            body: b"grant_type=client_credentials&client_id=id&client_secret=secret",
        },
    );
}

/// Item 8 of issue 11: a URL with a query and no path goes out as
/// `/?query`, not `?query`.
#[test]
fn query_without_a_path_gets_the_root_path() {
    let server = token_server();
    let url = format!("http://{}?tenant=x", server.addr());
    let creds = Credentials::new(&url, "id", "secret").unwrap();
    assert_eq!(
        creds.token_url(),
        format!("http://{}/?tenant=x", server.addr())
    );
    let c = fetch_once(&server, &creds);
    assert_eq!(c.request_line(), "POST /?tenant=x HTTP/1.1");
}

#[test]
fn repeated_resource_repeats_the_form_field() {
    let server = token_server();
    let creds = Credentials::new(&server.url("/token"), "id", "secret")
        .unwrap()
        .with_param("resource", "https://a.example/api")
        .with_param("resource", "https://b.example/api");
    let c = fetch_once(&server, &creds);
    assert_request(
        &c,
        &host(&server),
        &Expect {
            target: "/token",
            content_type: "application/x-www-form-urlencoded",
            basic: None,
            body: b"grant_type=client_credentials&client_id=id&client_secret=secret\
                    &resource=https%3A%2F%2Fa.example%2Fapi&resource=https%3A%2F%2Fb.example%2Fapi",
        },
    );
}

#[test]
fn repeated_resource_becomes_a_json_array() {
    let server = token_server();
    let creds = Credentials::new(&server.url("/token"), "id", "secret")
        .unwrap()
        .with_encoding(Encoding::Json)
        .with_param("resource", "https://a.example/api")
        .with_param("audience", "aud")
        .with_param("resource", "https://b.example/api");
    let c = fetch_once(&server, &creds);
    let body = r#"{"grant_type":"client_credentials","client_id":"id","client_secret":"secret","resource":["https://a.example/api","https://b.example/api"],"audience":"aud"}"#;
    assert_request(
        &c,
        &host(&server),
        &Expect {
            target: "/token",
            content_type: "application/json",
            basic: None,
            body: body.as_bytes(),
        },
    );
    let parsed: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&c.body).unwrap();
    assert_eq!(
        parsed["resource"],
        serde_json::json!(["https://a.example/api", "https://b.example/api"])
    );
}

#[test]
fn repeated_resource_repeats_the_multipart_part() {
    let server = token_server();
    let creds = Credentials::new(&server.url("/token"), "id", "secret")
        .unwrap()
        .with_encoding(Encoding::Multipart)
        .with_param("resource", "https://a.example/api")
        .with_param("resource", "https://b.example/api");
    let c = fetch_once(&server, &creds);
    let content_type = c.header("Content-Type").unwrap();
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .unwrap();
    assert_eq!(
        decode_multipart(&c.body, boundary),
        pairs(&[
            ("grant_type", "client_credentials"),
            ("client_id", "id"),
            ("client_secret", "secret"),
            ("resource", "https://a.example/api"),
            ("resource", "https://b.example/api"),
        ])
    );
}

#[test]
fn test_decoders_reject_what_they_should() {
    // The independent decoders above are only worth something if they are
    // strict; check them against known values and known-bad input.
    assert_eq!(base64_decode("aWQ6c2VjcmV0"), b"id:secret");
    assert_eq!(base64_decode("YQ=="), b"a");
    assert_eq!(base64_decode("YWI="), b"ab");
    assert!(std::panic::catch_unwind(|| base64_decode("YQ==YQ==")).is_err());
    assert!(std::panic::catch_unwind(|| base64_decode("YQ")).is_err());
    assert!(std::panic::catch_unwind(|| base64_decode("Y-==")).is_err());
    let good = b"--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--B--\r\n";
    assert_eq!(decode_multipart(good, "B"), pairs(&[("a", "1")]));
    let bare_lf = b"--B\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--B--\r\n";
    assert!(std::panic::catch_unwind(|| decode_multipart(bare_lf, "B")).is_err());
    let no_close = b"--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n";
    assert!(std::panic::catch_unwind(|| decode_multipart(no_close, "B")).is_err());
}
