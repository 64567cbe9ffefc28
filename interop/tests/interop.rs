//! cctoken against OAuth 2.0 servers we did not write: panva's oidc-provider
//! (Node), authlib's AuthorizationServer (Python/Flask) and
//! django-oauth-toolkit (Python/Django, on oauthlib), each over HTTP and
//! HTTPS. `bash interop/run.sh` installs and starts them, then runs
//! these tests with `--ignored`; without the servers they are skipped.
//!
//! Every case records what the server answered (`INTEROP` lines, and the
//! summary run.sh prints), then asserts what this server is known to do, so
//! a change on either side shows up as a failure.

use cctoken::{
    ClientAuth, Credentials, Encoding, ErrorKind, HttpTransport, Request, Result, Token,
    TokenSource, Transport, TrustRoots,
};
use cctoken_interop::{config, record, Scheme, Server};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What a server answers where servers differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// A token.
    Token,
    /// An OAuth error with this HTTP status and `error` code.
    Refused(u16, &'static str),
}

/// What a server does with `resource` (RFC 8707).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resource {
    /// Ignored: a token without an audience.
    Ignored,
    /// Only registered resources: the token is bound to it, an unknown one
    /// is `invalid_target`.
    Registered,
    /// Any absolute URI: the token is bound to it, and the protected
    /// resource refuses a token bound to another.
    AnyUri,
}

struct Expect {
    /// A JSON request body.
    json: Answer,
    /// A `multipart/form-data` request body.
    multipart: Answer,
    /// What `resource` (RFC 8707) does.
    resource: Resource,
    /// The HTTP status of `invalid_client` for a wrong secret, by auth mode.
    wrong_secret_status: u16,
    /// The answer to `BasicUnencoded` with the secret full of special
    /// characters (servers percent-decode the Basic credentials).
    unencoded_special: Answer,
    /// The answer to a scope the server does not know.
    unknown_scope: Answer,
}

fn expect(server: &Server) -> Expect {
    match server.key.as_str() {
        "oidc_provider" => Expect {
            json: Answer::Refused(400, "invalid_request"),
            multipart: Answer::Refused(400, "invalid_request"),
            resource: Resource::Registered,
            wrong_secret_status: 401,
            unencoded_special: Answer::Refused(400, "invalid_request"),
            // Dropped silently: a token with no scope member at all.
            unknown_scope: Answer::Token,
        },
        "authlib" => Expect {
            json: Answer::Refused(400, "unsupported_grant_type"),
            multipart: Answer::Token,
            resource: Resource::Ignored,
            wrong_secret_status: 401,
            unencoded_special: Answer::Refused(401, "invalid_client"),
            unknown_scope: Answer::Refused(400, "invalid_scope"),
        },
        "dot" => Expect {
            json: Answer::Refused(400, "unsupported_grant_type"),
            multipart: Answer::Token,
            resource: Resource::AnyUri,
            wrong_secret_status: 401,
            unencoded_special: Answer::Refused(401, "invalid_client"),
            unknown_scope: Answer::Refused(400, "invalid_scope"),
        },
        other => panic!("no expectations for server {other}"),
    }
}

const TIMEOUT: Duration = Duration::from_secs(10);

fn server(key: &str) -> &'static Server {
    config().server(key)
}

fn creds(server: &Server, scheme: Scheme, role: &str) -> Credentials {
    let client = config().client(role);
    Credentials::new(&server.token_url(scheme), &client.id, &client.secret)
        .expect("valid credentials")
        .with_timeout(TIMEOUT)
}

fn describe(result: &Result<Token>) -> String {
    match result {
        Ok(t) => format!(
            "token ({}, expires_in {}, scope {})",
            t.token_type(),
            t.lifetime()
                .map_or("none".to_string(), |d| d.as_secs().to_string()),
            t.scope().map_or("none".to_string(), |s| format!("{s:?}")),
        ),
        Err(e) => {
            let mut s = format!("refused: {:?}", e.kind());
            if let Some(status) = e.status() {
                s += &format!(" HTTP {status}");
            }
            if let Some(code) = e.oauth_error() {
                s += &format!(" error={code}");
            }
            if let Some(d) = e.oauth_error_description() {
                s += &format!(" description={d:?}");
            }
            if e.oauth_error().is_none() {
                s += &format!(" ({e})");
            }
            s
        }
    }
}

/// Fetches, records, and returns the result.
fn fetch(server: &Server, scheme: &str, case: &str, creds: &Credentials) -> Result<Token> {
    let result = creds.fetch();
    record(server, scheme, case, &describe(&result));
    result
}

/// The token must be accepted by the server's protected resource (validated
/// with the server's own code); returns what the resource says of it.
fn accepted(server: &Server, token: &Token) -> Value {
    let (status, body) = server.get("/resource", Some(token.access_token()));
    assert_eq!(
        status, 200,
        "{}: resource refused the token: {body}",
        server.key
    );
    serde_json::from_str(&body).expect("resource answers JSON")
}

fn token(server: &Server, scheme: Scheme, case: &str, creds: &Credentials) -> Token {
    let token = fetch(server, scheme.name(), case, creds)
        .unwrap_or_else(|e| panic!("{} {}: {case}: {e}", server.key, scheme.name()));
    assert!(token.token_type().eq_ignore_ascii_case("bearer"));
    assert_eq!(
        token.lifetime(),
        Some(Duration::from_secs(server.ttl)),
        "the server's configured lifetime"
    );
    token
}

fn check_answer(server: &Server, case: &str, result: &Result<Token>, want: Answer) {
    match (want, result) {
        (Answer::Token, Ok(_)) => {}
        (Answer::Refused(status, code), Err(e)) => {
            assert_eq!(e.kind(), ErrorKind::OAuth, "{}: {case}: {e}", server.key);
            assert_eq!(e.status(), Some(status), "{}: {case}: {e}", server.key);
            assert_eq!(e.oauth_error(), Some(code), "{}: {case}: {e}", server.key);
        }
        (want, got) => panic!(
            "{}: {case}: expected {want:?}, got {}",
            server.key,
            describe(got)
        ),
    }
}

mod cases {
    use super::*;

    pub fn request_body(key: &str, scheme: Scheme) {
        let s = server(key);
        let c = creds(s, scheme, "post").with_auth(ClientAuth::RequestBody);
        let t = token(s, scheme, "client_secret_post", &c);
        let info = accepted(s, &t);
        assert_eq!(info["client_id"], config().client("post").id.as_str());
    }

    pub fn basic(key: &str, scheme: Scheme) {
        let s = server(key);
        let c = creds(s, scheme, "basic").with_auth(ClientAuth::Basic);
        let t = token(s, scheme, "client_secret_basic", &c);
        let info = accepted(s, &t);
        assert_eq!(info["client_id"], config().client("basic").id.as_str());
    }

    pub fn basic_special_secret(key: &str, scheme: Scheme) {
        let s = server(key);
        let c = creds(s, scheme, "special").with_auth(ClientAuth::Basic);
        let t = token(s, scheme, "basic, special secret", &c);
        let info = accepted(s, &t);
        assert_eq!(info["client_id"], config().client("special").id.as_str());
    }

    pub fn basic_unencoded(key: &str, scheme: Scheme) {
        let s = server(key);
        // A secret without special characters: the same bytes as Basic.
        let c = creds(s, scheme, "basic").with_auth(ClientAuth::BasicUnencoded);
        let t = token(s, scheme, "basic unencoded", &c);
        accepted(s, &t);
        // With special characters the server's percent-decoding mangles it.
        let c = creds(s, scheme, "special").with_auth(ClientAuth::BasicUnencoded);
        let r = fetch(s, scheme.name(), "basic unencoded, special", &c);
        check_answer(
            s,
            "basic unencoded, special",
            &r,
            expect(s).unencoded_special,
        );
    }

    pub fn scope(key: &str, scheme: Scheme) {
        let s = server(key);
        let c = creds(s, scheme, "post").with_scope("api:read");
        let t = token(s, scheme, "scope api:read", &c);
        assert_eq!(t.scope(), Some("api:read"));
        assert_eq!(accepted(s, &t)["scope"], "api:read");

        // Two calls to with_scope: space-joined.
        let c = creds(s, scheme, "basic")
            .with_auth(ClientAuth::Basic)
            .with_scope("api:read")
            .with_scope("api:write");
        let t = token(s, scheme, "scope api:read api:write", &c);
        let mut got: Vec<&str> = t.scope().unwrap_or("").split(' ').collect();
        got.sort_unstable();
        assert_eq!(got, ["api:read", "api:write"]);

        let c = creds(s, scheme, "post").with_scope("api:unknown");
        let r = fetch(s, scheme.name(), "scope api:unknown", &c);
        check_answer(s, "scope api:unknown", &r, expect(s).unknown_scope);
        if let Ok(t) = r {
            // No `scope` in the response, which RFC 6749 §5.1 reserves for
            // "the scope requested": cctoken reports None.
            assert_eq!(t.scope(), None);
            assert_eq!(accepted(s, &t)["scope"], Value::Null);
        }
    }

    /// The audiences `/resource` reports: a string, an array, or none.
    fn audiences(aud: &Value) -> Vec<String> {
        match aud {
            Value::String(a) => vec![a.clone()],
            Value::Array(a) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        }
    }

    pub fn resource(key: &str, scheme: Scheme) {
        let s = server(key);
        let other = "https://api.interop.test/";
        let resource = s.resource.clone().unwrap_or_else(|| other.to_owned());
        let c = creds(s, scheme, "post")
            .with_scope("api:read")
            .with_param("resource", &resource);
        let t = token(s, scheme, "resource indicator", &c);
        assert_eq!(t.scope(), Some("api:read"));
        let info = accepted(s, &t);
        let aud = audiences(&info["aud"]);
        record(
            s,
            scheme.name(),
            "resource: token audience",
            &format!("{aud:?}"),
        );
        match expect(s).resource {
            Resource::Ignored => assert!(aud.is_empty(), "resource unexpectedly honoured"),
            Resource::Registered => {
                assert_eq!(aud, [resource]);
                // A resource the server does not know: invalid_target.
                let c = creds(s, scheme, "post")
                    .with_param("resource", "https://unknown.interop.test/");
                let r = fetch(s, scheme.name(), "unknown resource", &c);
                check_answer(
                    s,
                    "unknown resource",
                    &r,
                    Answer::Refused(400, "invalid_target"),
                );
            }
            Resource::AnyUri => {
                assert_eq!(aud, [resource]);
                // Bound to another resource: issued, but refused here.
                let c = creds(s, scheme, "post").with_param("resource", other);
                let t = token(s, scheme, "resource elsewhere", &c);
                let (status, body) = s.get("/resource", Some(t.access_token()));
                record(
                    s,
                    scheme.name(),
                    "resource elsewhere: used here",
                    &format!("HTTP {status} {body}"),
                );
                assert_eq!(status, 401, "{body}");
            }
        }
    }

    pub fn json(key: &str, scheme: Scheme) {
        let s = server(key);
        let c = creds(s, scheme, "post").with_encoding(Encoding::Json);
        let r = fetch(s, scheme.name(), "JSON body", &c);
        check_answer(s, "JSON body", &r, expect(s).json);
        if let Ok(t) = r {
            accepted(s, &t);
        }
    }

    pub fn multipart(key: &str, scheme: Scheme) {
        let s = server(key);
        let c = creds(s, scheme, "post").with_encoding(Encoding::Multipart);
        let r = fetch(s, scheme.name(), "multipart body", &c);
        check_answer(s, "multipart body", &r, expect(s).multipart);
        if let Ok(t) = r {
            accepted(s, &t);
        }
    }

    fn wrong_secret(key: &str, scheme: Scheme, role: &str, auth: ClientAuth, case: &str) {
        let s = server(key);
        let client = config().client(role);
        let wrong = format!("{}-wrong", client.secret);
        let c = Credentials::new(&s.token_url(scheme), &client.id, &wrong)
            .unwrap()
            .with_auth(auth)
            .with_timeout(TIMEOUT);
        let r = fetch(s, scheme.name(), case, &c);
        check_answer(
            s,
            case,
            &r,
            Answer::Refused(expect(s).wrong_secret_status, "invalid_client"),
        );
    }

    pub fn wrong_secret_post(key: &str, scheme: Scheme) {
        wrong_secret(
            key,
            scheme,
            "post",
            ClientAuth::RequestBody,
            "wrong secret, post",
        );
    }

    pub fn wrong_secret_basic(key: &str, scheme: Scheme) {
        wrong_secret(
            key,
            scheme,
            "basic",
            ClientAuth::Basic,
            "wrong secret, basic",
        );
    }

    fn tls_failure(key: &str, listener: &str, host: &str, case: &str) {
        let s = server(key);
        let client = config().client("post");
        let c = Credentials::new(&s.https_url(listener, host), &client.id, &client.secret)
            .unwrap()
            .with_timeout(TIMEOUT);
        let r = fetch(s, "https", case, &c);
        match r {
            Err(e) => assert_eq!(e.kind(), ErrorKind::Tls, "{}: {case}: {e}", s.key),
            Ok(_) => panic!("{}: {case}: got a token", s.key),
        }
    }

    pub fn tls_untrusted_ca(key: &str) {
        tls_failure(key, "https_untrusted", "127.0.0.1", "TLS: untrusted CA");
    }

    pub fn tls_other_host_name(key: &str) {
        tls_failure(
            key,
            "https_wronghost",
            "127.0.0.1",
            "TLS: cert for other host",
        );
    }

    pub fn https_by_host_name(key: &str) {
        // The same certificate through its DNS name rather than its IP.
        let s = server(key);
        let client = config().client("post");
        let c = Credentials::new(
            &s.https_url("https", "localhost"),
            &client.id,
            &client.secret,
        )
        .unwrap()
        .with_timeout(TIMEOUT);
        let t = token(s, Scheme::Https, "https://localhost", &c);
        accepted(s, &t);
    }

    /// A `TokenSource` shared by 8 threads for three token lifetimes and a
    /// bit: every refresh is exactly one request (counted by the transport
    /// and by the server), and every token handed out is accepted by the
    /// server's protected resource when used.
    pub fn token_source(key: &str, scheme: Scheme) {
        token_source_with(key, scheme, None)
    }

    pub fn token_source_margin_0(key: &str, scheme: Scheme) {
        token_source_with(key, scheme, Some(Duration::ZERO))
    }

    fn token_source_with(key: &str, scheme: Scheme, margin: Option<Duration>) {
        const THREADS: u64 = 8;
        let s = server(key);
        // Its own client per variant: the server counts requests per client.
        let role = format!(
            "source_{}{}",
            scheme.name(),
            if margin.is_some() { "_m0" } else { "" }
        );
        let case = match margin {
            None => "TokenSource, 8 threads".to_string(),
            Some(m) => format!("TokenSource, margin {} s", m.as_secs()),
        };
        let client_id = config().client(&role).id.clone();
        let c = creds(s, scheme, &role).with_auth(ClientAuth::Basic);
        let sent = Arc::new(AtomicU64::new(0));
        let counter = sent.clone();
        let http = HttpTransport::new();
        let mut source = TokenSource::with_transport(c, move |request: &Request| {
            counter.fetch_add(1, Ordering::SeqCst);
            http.send(request)
        });
        if let Some(margin) = margin {
            source = source.with_refresh_margin(margin);
        }

        let before = s.stats();
        let run_for = Duration::from_secs(3 * s.ttl + 2);
        let start = Instant::now();
        // Token → (uses, first use, last use), seconds since start.
        let seen: Mutex<HashMap<String, (u64, f64, f64)>> = Mutex::new(HashMap::new());
        // Uses the resource refused: (lifetime left by cctoken's clock just
        // before the call, how long the call took, what happened).
        let rejected: Mutex<Vec<(Duration, Duration, String)>> = Mutex::new(Vec::new());
        let errors: Mutex<Vec<String>> = Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            for i in 0..THREADS {
                let (source, seen, rejected, errors) = (&source, &seen, &rejected, &errors);
                scope.spawn(move || {
                    while start.elapsed() < run_for {
                        match source.token() {
                            Ok(t) => {
                                let left = t.expires_in().unwrap_or(Duration::MAX);
                                let called = Instant::now();
                                let (status, body) = s.get("/resource", Some(t.access_token()));
                                let took = called.elapsed();
                                let at = start.elapsed().as_secs_f64();
                                if status != 200 {
                                    rejected.lock().unwrap().push((
                                        left,
                                        took,
                                        format!(
                                            "thread {i} at {at:.2} s, {:.3} s left: resource answered {status}: {body}",
                                            left.as_secs_f64()
                                        ),
                                    ));
                                }
                                let mut seen = seen.lock().unwrap();
                                let e = seen
                                    .entry(t.access_token().to_owned())
                                    .or_insert((0, at, at));
                                e.0 += 1;
                                e.2 = at;
                            }
                            Err(e) => errors.lock().unwrap().push(format!("thread {i}: {e}")),
                        }
                        std::thread::sleep(Duration::from_millis(250 + 20 * i));
                    }
                });
            }
        });
        let after = s.stats();
        let delta = |table: &str| after.count(table, &client_id) - before.count(table, &client_id);
        let server_requests = delta("token_requests");
        let issued = delta("tokens_issued");
        let client_requests = sent.load(Ordering::SeqCst);
        let seen = seen.into_inner().unwrap();
        let rejected = rejected.into_inner().unwrap();
        let errors = errors.into_inner().unwrap();
        let uses: u64 = seen.values().map(|v| v.0).sum();
        let mut spans: Vec<(f64, f64)> = seen.values().map(|v| (v.1, v.2)).collect();
        spans.sort_by(|a, b| a.0.total_cmp(&b.0));
        let spans: Vec<String> = spans
            .iter()
            .map(|(a, b)| format!("{a:.1}-{b:.1}"))
            .collect();
        let most_left = rejected.iter().map(|r| r.0).max();
        record(
            s,
            scheme.name(),
            &case,
            &format!(
                "{:.0} s, ttl {} s: {} tokens, {} requests seen by the transport, {} by the server ({} issued), {} uses, {} refused by the resource{}, {} errors; token in use (s): {}",
                run_for.as_secs_f64(),
                s.ttl,
                seen.len(),
                client_requests,
                server_requests,
                issued,
                uses,
                rejected.len(),
                most_left.map_or(String::new(), |d| format!(
                    " (with at most {:.3} s left by cctoken's clock)",
                    d.as_secs_f64()
                )),
                errors.len(),
                spans.join(" ")
            ),
        );
        assert!(errors.is_empty(), "{}: {errors:#?}", s.key);
        match margin {
            // The default margin refreshes at half-life: every token handed
            // out is accepted when used.
            None => assert!(rejected.is_empty(), "{}: {rejected:#?}", s.key),
            // Without a margin a token is handed out until cctoken's computed
            // expiry, but oidc-provider and Authlib count the lifetime from a
            // whole-second issue time, so they refuse it up to 1 s earlier,
            // and a call made in the last milliseconds arrives too late
            // anywhere (finding 1 in the README). Anything refused earlier
            // than that (allowing for the time the call took) is a failure.
            Some(_) => {
                let early: Vec<&String> = rejected
                    .iter()
                    .filter(|r| r.0 >= Duration::from_secs(1) + r.1 + Duration::from_millis(100))
                    .map(|r| &r.2)
                    .collect();
                assert!(early.is_empty(), "{}: {early:#?}", s.key);
            }
        }
        assert_eq!(
            client_requests, server_requests,
            "transport vs server count"
        );
        assert_eq!(server_requests, issued, "every request issued a token");
        assert_eq!(
            seen.len() as u64,
            issued,
            "each request's token was handed out"
        );
        // Three lifetimes: at least three tokens (about 6 with the default
        // margin, 60 s capped at half the lifetime).
        assert!(
            seen.len() as u64 > run_for.as_secs() / s.ttl,
            "too few refreshes: {}",
            seen.len()
        );
        assert!(
            (seen.len() as u64) <= 2 * (run_for.as_secs() / s.ttl + 1),
            "too many refreshes: {}",
            seen.len()
        );
    }
}

#[test]
#[ignore = "needs the servers: bash interop/run.sh"]
fn trust_roots_are_the_os_store() {
    assert_eq!(cctoken::trust_roots(), TrustRoots::OsStore);
    assert!(std::env::var_os("SSL_CERT_FILE").is_some());
}

macro_rules! scheme_cases {
    ($server:literal, $scheme:expr) => {
        #[test]
        #[ignore = "needs the servers: bash interop/run.sh"]
        fn client_secret_post() {
            cases::request_body($server, $scheme)
        }
        #[test]
        #[ignore = "needs the servers: bash interop/run.sh"]
        fn client_secret_basic() {
            cases::basic($server, $scheme)
        }
        #[test]
        #[ignore = "needs the servers: bash interop/run.sh"]
        fn basic_special_secret() {
            cases::basic_special_secret($server, $scheme)
        }
        #[test]
        #[ignore = "needs the servers: bash interop/run.sh"]
        fn basic_unencoded() {
            cases::basic_unencoded($server, $scheme)
        }
        #[test]
        #[ignore = "needs the servers: bash interop/run.sh"]
        fn scope() {
            cases::scope($server, $scheme)
        }
        #[test]
        #[ignore = "needs the servers: bash interop/run.sh"]
        fn resource() {
            cases::resource($server, $scheme)
        }
        #[test]
        #[ignore = "needs the servers: bash interop/run.sh"]
        fn json_body() {
            cases::json($server, $scheme)
        }
        #[test]
        #[ignore = "needs the servers: bash interop/run.sh"]
        fn multipart_body() {
            cases::multipart($server, $scheme)
        }
        #[test]
        #[ignore = "needs the servers: bash interop/run.sh"]
        fn wrong_secret_post() {
            cases::wrong_secret_post($server, $scheme)
        }
        #[test]
        #[ignore = "needs the servers: bash interop/run.sh"]
        fn wrong_secret_basic() {
            cases::wrong_secret_basic($server, $scheme)
        }
        #[test]
        #[ignore = "needs the servers: bash interop/run.sh"]
        fn token_source_8_threads() {
            cases::token_source($server, $scheme)
        }
        #[test]
        #[ignore = "needs the servers: bash interop/run.sh"]
        fn token_source_margin_0() {
            cases::token_source_margin_0($server, $scheme)
        }
    };
}

macro_rules! server_suite {
    ($module:ident, $server:literal) => {
        mod $module {
            use super::*;
            mod http {
                use super::*;
                scheme_cases!($server, Scheme::Http);
            }
            mod https {
                use super::*;
                scheme_cases!($server, Scheme::Https);
            }
            #[test]
            #[ignore = "needs the servers: bash interop/run.sh"]
            fn tls_untrusted_ca() {
                cases::tls_untrusted_ca($server)
            }
            #[test]
            #[ignore = "needs the servers: bash interop/run.sh"]
            fn tls_other_host_name() {
                cases::tls_other_host_name($server)
            }
            #[test]
            #[ignore = "needs the servers: bash interop/run.sh"]
            fn https_by_host_name() {
                cases::https_by_host_name($server)
            }
        }
    };
}

server_suite!(oidc_provider, "oidc_provider");
server_suite!(authlib, "authlib");
server_suite!(dot, "dot");
