//! Discovery (RFC 8414, OpenID Connect Discovery) over a real loopback
//! server: where it looks and in which order, when it falls back, the
//! issuer check, the URL policy, the transport rules (no redirects, size
//! cap, timeout) and the exact request on the wire. Hosts other than
//! 127.0.0.1 are only ever served by closure transports.

mod common;

use cctoken::{Discovery, ErrorKind, Request, Response, ServerMetadata};
use common::{Reply, Server, Witness};
use std::sync::Mutex;
use std::time::Duration;

const USER_AGENT: &str = concat!("cctoken/", env!("CARGO_PKG_VERSION"));
const OAUTH: &str = "/.well-known/oauth-authorization-server";
const OIDC: &str = "/.well-known/openid-configuration";

/// A metadata document for `issuer` with its token endpoint at
/// `<issuer>/token` (trailing slash of the issuer dropped).
fn document(issuer: &str) -> String {
    format!(
        r#"{{"issuer":"{issuer}","token_endpoint":"{}/token","token_endpoint_auth_methods_supported":["private_key_jwt","client_secret_basic"]}}"#,
        issuer.trim_end_matches('/')
    )
}

/// The request targets the server received, in order.
fn targets(server: &Server) -> Vec<String> {
    server
        .requests()
        .iter()
        .map(|c| c.request_line().to_owned())
        .collect()
}

fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1")
}

#[test]
fn rfc8414_location_first() {
    let server = Server::start(|c| {
        let issuer = format!("http://{}", c.header("host").unwrap());
        if c.request_line() == get(OAUTH) {
            Reply::json(200, &document(&issuer))
        } else {
            Reply::json(404, "{}")
        }
    });
    let issuer = server.url("");
    let m = ServerMetadata::discover(&issuer).expect("discovered");
    assert_eq!(m.issuer(), issuer);
    assert_eq!(m.token_endpoint(), format!("{issuer}/token"));
    assert_eq!(
        m.token_endpoint_auth_methods(),
        ["private_key_jwt", "client_secret_basic"]
    );
    assert_eq!(targets(&server), [get(OAUTH)], "one request, no fallback");
}

#[test]
fn rfc8414_path_insertion() {
    let server = Server::start(|c| {
        let issuer = format!("http://{}/tenant/x", c.header("host").unwrap());
        if c.request_line() == get("/.well-known/oauth-authorization-server/tenant/x") {
            Reply::json(200, &document(&issuer))
        } else {
            Reply::json(404, "{}")
        }
    });
    let issuer = server.url("/tenant/x");
    let m = ServerMetadata::discover(&issuer).expect("discovered");
    assert_eq!(m.issuer(), issuer);
    assert_eq!(
        targets(&server),
        [get("/.well-known/oauth-authorization-server/tenant/x")]
    );
}

#[test]
fn oidc_location_is_the_fallback_after_404() {
    let server = Server::start(|c| {
        let issuer = format!("http://{}/tenant", c.header("host").unwrap());
        if c.request_line() == get("/tenant/.well-known/openid-configuration") {
            Reply::json(200, &document(&issuer))
        } else {
            Reply::http(404, "text/html", &[], b"<h1>Not Found</h1>")
        }
    });
    let issuer = server.url("/tenant");
    let m = ServerMetadata::discover(&issuer).expect("discovered");
    assert_eq!(m.token_endpoint(), format!("{issuer}/token"));
    assert_eq!(
        targets(&server),
        [
            get("/.well-known/oauth-authorization-server/tenant"),
            get("/tenant/.well-known/openid-configuration"),
        ]
    );
}

#[test]
fn trailing_slash_issuer_locations() {
    // The issuer keeps its slash for the comparison; the URLs drop it.
    let server = Server::start(|c| {
        let issuer = format!("http://{}/tenant/", c.header("host").unwrap());
        if c.request_line() == get("/tenant/.well-known/openid-configuration") {
            Reply::json(200, &document(&issuer))
        } else {
            Reply::json(404, "{}")
        }
    });
    let issuer = server.url("/tenant/");
    let m = ServerMetadata::discover(&issuer).expect("discovered");
    assert_eq!(m.issuer(), issuer);
    assert_eq!(
        targets(&server),
        [
            get("/.well-known/oauth-authorization-server/tenant"),
            get("/tenant/.well-known/openid-configuration"),
        ]
    );

    let root = Server::start(|c| {
        let issuer = format!("http://{}/", c.header("host").unwrap());
        if c.request_line() == get(OIDC) {
            Reply::json(200, &document(&issuer))
        } else {
            Reply::json(404, "{}")
        }
    });
    ServerMetadata::discover(&root.url("/")).expect("discovered");
    assert_eq!(targets(&root), [get(OAUTH), get(OIDC)]);
}

/// Each 4xx at the first location but 408 and 429 sends discovery on.
#[test]
fn other_4xx_fall_back_too() {
    for status in [400, 401, 403, 405, 410] {
        let server = Server::start(move |c| {
            let issuer = format!("http://{}", c.header("host").unwrap());
            if c.request_line() == get(OIDC) {
                Reply::json(200, &document(&issuer))
            } else {
                Reply::http(status, "text/plain", &[], b"no")
            }
        });
        ServerMetadata::discover(&server.url("")).unwrap_or_else(|e| panic!("after {status}: {e}"));
        assert_eq!(targets(&server), [get(OAUTH), get(OIDC)], "{status}");
    }
}

/// 5xx, 408, 429, a redirect and an invalid 200 at the first location are
/// reported, never skipped.
#[test]
fn no_fallback_on_server_errors_and_bad_documents() {
    let cases: [(u16, &str, ErrorKind); 6] = [
        (500, "oops", ErrorKind::Http),
        (503, "busy", ErrorKind::Http),
        (408, "slow", ErrorKind::Http),
        (429, "later", ErrorKind::Http),
        (200, "<html>an SPA page</html>", ErrorKind::InvalidResponse),
        (
            200,
            r#"{"issuer":"http://elsewhere"}"#,
            ErrorKind::InvalidResponse,
        ),
    ];
    for (status, body, kind) in cases {
        let server = Server::start(move |c| {
            let issuer = format!("http://{}", c.header("host").unwrap());
            if c.request_line() == get(OIDC) {
                Reply::json(200, &document(&issuer))
            } else {
                Reply::http(
                    status,
                    "text/plain",
                    &[("Retry-After", "7")],
                    body.as_bytes(),
                )
            }
        });
        let e = ServerMetadata::discover(&server.url("")).expect_err("reported");
        assert_eq!(e.kind(), kind, "{status}: {e}");
        assert_eq!(e.status(), Some(status), "{e}");
        assert!(
            e.to_string()
                .contains(&format!("(GET {}{OAUTH})", server.url(""))),
            "{e}"
        );
        assert_eq!(
            targets(&server),
            [get(OAUTH)],
            "{status}: no second request"
        );
        if status != 200 {
            assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
            assert!(e.is_transient(), "{status}");
        }
    }
}

#[test]
fn not_found_at_both_locations() {
    let server = Server::start(|_| Reply::http(404, "text/html", &[], b"<h1>nope</h1>"));
    let issuer = server.url("/t");
    let e = ServerMetadata::discover(&issuer).expect_err("nothing there");
    assert_eq!(e.kind(), ErrorKind::Http);
    assert_eq!(e.status(), Some(404));
    let shown = e.to_string();
    let base = server.url("");
    assert!(
        shown.starts_with(
            "metadata endpoint returned an HTTP error (HTTP 404): no metadata document at"
        ),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("`{base}{OAUTH}/t` (HTTP 404)")),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("`{base}/t{OIDC}` (HTTP 404)")),
        "{shown}"
    );
    assert!(!e.is_transient());
    assert_eq!(server.count(), 2);
}

#[test]
fn fallback_reports_errors_at_the_second_location() {
    let server = Server::start(|c| {
        if c.request_line() == get(OIDC) {
            Reply::http(502, "text/html", &[], b"<h1>Bad Gateway</h1>")
        } else {
            Reply::json(404, "{}")
        }
    });
    let e = ServerMetadata::discover(&server.url("")).expect_err("502");
    assert_eq!(e.kind(), ErrorKind::Http);
    assert_eq!(e.status(), Some(502));
    assert!(
        e.to_string().contains("body starts `<h1>Bad Gateway</h1>`"),
        "{e}"
    );
    assert!(e.to_string().contains(OIDC), "{e}");
    assert!(e.is_transient());
}

#[test]
fn connection_errors_are_reported_not_skipped() {
    let issuer = common::closed_port_url("");
    let e = ServerMetadata::discover(&issuer).expect_err("refused");
    assert_eq!(e.kind(), ErrorKind::Connect, "{e}");
    let shown = e.to_string();
    assert!(
        shown.starts_with("connection for the server metadata failed"),
        "{shown}"
    );
    assert!(shown.contains(&format!("(GET {issuer}{OAUTH})")), "{shown}");
}

/// The issuer in the document differs from the one asked for by one byte.
#[test]
fn issuer_must_match_byte_for_byte() {
    // What the document says, given the issuer asked for.
    type Says = fn(&str) -> String;
    let variants: [(&str, Says); 3] = [
        ("trailing slash", |asked| format!("{asked}/")),
        ("scheme", |asked| asked.replacen("http://", "https://", 1)),
        ("path case", |asked| asked.replace("/tenant", "/Tenant")),
    ];
    for (what, says) in variants {
        let server = Server::start(move |c| {
            let asked = format!("http://{}/tenant", c.header("host").unwrap());
            Reply::json(200, &document(&says(&asked)))
        });
        let asked = server.url("/tenant");
        let e = ServerMetadata::discover(&asked).expect_err(what);
        assert_eq!(e.kind(), ErrorKind::InvalidResponse, "{what}: {e}");
        let shown = e.to_string();
        assert!(
            shown.contains(&format!(
                "`issuer` is `{}`, not the issuer asked for, `{asked}`",
                says(&asked)
            )),
            "{what}: {shown}"
        );
        assert!(
            shown.starts_with("invalid server metadata (HTTP 200): "),
            "{shown}"
        );
        assert_eq!(server.count(), 1, "{what}: no fallback after a mismatch");
    }
}

/// A closure transport serving `body` for every GET, counting requests.
fn canned(
    body: String,
    calls: &Mutex<Vec<String>>,
) -> impl Fn(&Request) -> cctoken::Result<Response> + Send + Sync + '_ {
    move |r: &Request| {
        calls.lock().unwrap().push(r.url().to_owned());
        Ok(Response::new(200, body.clone()))
    }
}

#[test]
fn host_case_differs() {
    let calls = Mutex::new(Vec::new());
    let body = document("https://Auth.example.com");
    let e = ServerMetadata::discover_with("https://auth.example.com", &canned(body, &calls))
        .expect_err("case differs");
    assert_eq!(e.kind(), ErrorKind::InvalidResponse);
    assert!(e.to_string().contains("differ in letter case"), "{e}");
}

#[test]
fn http_token_endpoint_of_a_remote_issuer_is_refused() {
    let calls = Mutex::new(Vec::new());
    let body =
        r#"{"issuer":"https://auth.example.com","token_endpoint":"http://auth.example.com/token"}"#;
    let e = ServerMetadata::discover_with("https://auth.example.com", &canned(body.into(), &calls))
        .expect_err("http token endpoint");
    assert_eq!(e.kind(), ErrorKind::InvalidResponse);
    assert!(
        e.to_string().contains("`token_endpoint` `http://auth.example.com/token` is plain http:// to a non-loopback host"),
        "{e}"
    );
    assert_eq!(calls.lock().unwrap().len(), 1);
}

#[test]
fn remote_http_issuer_is_refused_before_any_traffic() {
    let calls = Mutex::new(Vec::new());
    for issuer in [
        "http://auth.example.com",
        "http://10.0.0.1/t",
        "https://auth.example.com/t?x=1",
        "https://auth.example.com/#f",
        "https://u@auth.example.com",
        "auth.example.com",
    ] {
        let e = ServerMetadata::discover_with(issuer, &canned(document(issuer), &calls))
            .expect_err(issuer);
        assert_eq!(e.kind(), ErrorKind::Config, "{issuer}: {e}");
    }
    assert!(calls.lock().unwrap().is_empty(), "no request made");
}

#[test]
fn redirects_are_not_followed() {
    let witness = Witness::new();
    let to = witness.url(OAUTH);
    let server = Server::start(move |_| Reply::http(302, "", &[("Location", to.as_str())], b""));
    let e = ServerMetadata::discover(&server.url("")).expect_err("redirect");
    assert_eq!(e.kind(), ErrorKind::Redirect);
    assert_eq!(e.status(), Some(302));
    let shown = e.to_string();
    assert!(
        shown.starts_with(
            "metadata endpoint answered with a redirect (HTTP 302): to `http://127.0.0.1:"
        ),
        "{shown}"
    );
    assert!(!witness.was_contacted(), "the Location got no connection");
    assert_eq!(server.count(), 1, "no fallback after a redirect");
}

#[test]
fn size_cap_applies() {
    let server = Server::start(|c| {
        let issuer = format!("http://{}", c.header("host").unwrap());
        let pad = "x".repeat(70 * 1024);
        let body =
            format!(r#"{{"issuer":"{issuer}","token_endpoint":"{issuer}/token","pad":"{pad}"}}"#);
        Reply::json(200, &body)
    });
    let e = ServerMetadata::discover(&server.url("")).expect_err("too large");
    assert_eq!(e.kind(), ErrorKind::ResponseTooLarge, "{e}");
    assert!(
        e.to_string()
            .starts_with("server metadata too large (HTTP 200)"),
        "{e}"
    );

    // A smaller cap, and a document just under it.
    let e = Discovery::new(&server.url(""))
        .with_max_response_bytes(1024)
        .fetch()
        .expect_err("too large");
    assert_eq!(e.kind(), ErrorKind::ResponseTooLarge, "{e}");
    let fits = Discovery::new(&server.url(""))
        .with_max_response_bytes(80 * 1024)
        .fetch()
        .expect("fits");
    assert_eq!(fits.extra("pad").map(str::len), Some(70 * 1024));
}

/// An over-long 404 page at the first location still means "not here".
#[test]
fn large_404_page_still_falls_back() {
    let server = Server::start(|c| {
        let issuer = format!("http://{}", c.header("host").unwrap());
        if c.request_line() == get(OIDC) {
            Reply::json(200, &document(&issuer))
        } else {
            Reply::http(
                404,
                "text/html",
                &[],
                "<p>lost</p>".repeat(10_000).as_bytes(),
            )
        }
    });
    ServerMetadata::discover(&server.url("")).expect("discovered after a large 404");
    assert_eq!(targets(&server), [get(OAUTH), get(OIDC)]);
}

#[test]
fn timeout_applies() {
    let server = Server::start(|_| Reply::Hang);
    let e = Discovery::new(&server.url(""))
        .with_timeout(Duration::from_secs(1))
        .fetch()
        .expect_err("timeout");
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(
        e.to_string()
            .starts_with("server metadata request timed out"),
        "{e}"
    );
    assert_eq!(server.connections(), 1, "no fallback after a timeout");
}

#[test]
fn zero_limits_are_configuration_errors() {
    let calls = Mutex::new(Vec::new());
    let t = canned(String::new(), &calls);
    let e = Discovery::new("https://a.example")
        .with_timeout(Duration::ZERO)
        .fetch_with(&t);
    assert_eq!(e.unwrap_err().kind(), ErrorKind::Config);
    let e = Discovery::new("https://a.example")
        .with_max_response_bytes(0)
        .fetch_with(&t);
    assert_eq!(e.unwrap_err().kind(), ErrorKind::Config);
    assert!(calls.lock().unwrap().is_empty());
}

/// The exact bytes of a discovery request: a plain GET, the exact header
/// set, no body, no credentials.
#[test]
fn nothing_but_a_plain_get_on_the_wire() {
    let server = Server::start(|c| {
        let issuer = format!("http://{}/t", c.header("host").unwrap());
        if c.request_line() == get("/t/.well-known/openid-configuration") {
            Reply::json(200, &document(&issuer))
        } else {
            Reply::json(404, "{}")
        }
    });
    ServerMetadata::discover(&server.url("/t")).expect("discovered");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let host = server.addr().to_string();
    for (c, path) in requests.iter().zip([
        "/.well-known/oauth-authorization-server/t",
        "/t/.well-known/openid-configuration",
    ]) {
        let want = format!(
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nAccept: application/json\r\nUser-Agent: {USER_AGENT}\r\n\r\n"
        );
        assert_eq!(String::from_utf8_lossy(&c.raw), want);
        assert_eq!(c.raw, want.as_bytes(), "nothing else on the wire");
        assert!(c.body.is_empty());
        assert_eq!(c.header("authorization"), None);
        assert_eq!(c.header("content-length"), None);
    }
}

/// What a transport of one's own sees: `GET`, two headers, no body, the
/// timeout and cap set.
#[test]
fn closure_transport_sees_a_get() {
    let seen = Mutex::new(Vec::new());
    let m = Discovery::new("https://auth.example.com/t")
        .with_timeout(Duration::from_millis(2500))
        .with_max_response_bytes(4096)
        .fetch_with(&|r: &Request| {
            let headers: Vec<(String, String)> = r
                .headers()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            seen.lock().unwrap().push((
                r.method().to_owned(),
                r.url().to_owned(),
                headers,
                r.body().len(),
                r.timeout(),
                r.max_response_bytes(),
            ));
            Ok(if r.url().ends_with(OIDC) {
                Response::new(200, document("https://auth.example.com/t"))
            } else {
                Response::new(404, "")
            })
        })
        .expect("discovered");
    assert_eq!(m.token_endpoint(), "https://auth.example.com/t/token");
    let seen = seen.into_inner().unwrap();
    let headers = vec![
        ("Accept".to_owned(), "application/json".to_owned()),
        ("User-Agent".to_owned(), USER_AGENT.to_owned()),
    ];
    let limits = (Duration::from_millis(2500), 4096);
    assert_eq!(
        seen,
        [
            (
                "GET".to_owned(),
                format!("https://auth.example.com{OAUTH}/t"),
                headers.clone(),
                0,
                limits.0,
                limits.1
            ),
            (
                "GET".to_owned(),
                format!("https://auth.example.com/t{OIDC}"),
                headers,
                0,
                limits.0,
                limits.1
            ),
        ]
    );
}

#[test]
fn request_debug_shows_get() {
    let slot = Mutex::new(String::new());
    let _ = ServerMetadata::discover_with("https://a.example", &|r: &Request| {
        *slot.lock().unwrap() = format!("{r:?}");
        Ok(Response::new(500, ""))
    });
    let shown = slot.into_inner().unwrap();
    assert!(shown.starts_with("Request { method: \"GET\", url: \"https://a.example/.well-known/oauth-authorization-server\""), "{shown}");
    assert!(shown.contains("[0 bytes redacted]"), "{shown}");
}

#[test]
fn metadata_is_clone_and_debug() {
    let calls = Mutex::new(Vec::new());
    let m = ServerMetadata::discover_with(
        "https://auth.example.com",
        &canned(document("https://auth.example.com"), &calls),
    )
    .unwrap();
    let copy = m.clone();
    assert_eq!(copy.token_endpoint(), m.token_endpoint());
    let shown = format!("{copy:?}");
    assert!(
        shown.starts_with("ServerMetadata { issuer: \"https://auth.example.com\""),
        "{shown}"
    );
    assert!(
        shown.contains(
            "document_url: \"https://auth.example.com/.well-known/oauth-authorization-server\""
        ),
        "{shown}"
    );
}

/// A transport of one's own that returns more than the cap: cctoken
/// checks the size again.
#[test]
fn size_cap_applies_to_any_transport() {
    let calls = Mutex::new(Vec::new());
    let pad = "x".repeat(70 * 1024);
    let body = format!(
        r#"{{"issuer":"https://auth.example.com","token_endpoint":"https://auth.example.com/t","pad":"{pad}"}}"#
    );
    let e = ServerMetadata::discover_with("https://auth.example.com", &canned(body, &calls))
        .expect_err("too large");
    assert_eq!(e.kind(), ErrorKind::ResponseTooLarge, "{e}");
    assert!(e.to_string().contains("exceeds the 65536-byte cap"), "{e}");
}
