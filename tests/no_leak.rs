//! No secret leaks: `{:?}` and `Display` of every `Credentials`, `Token`,
//! `Error`, `Request` and `Response` the scenarios below produce must
//! contain neither the client secret nor any access token.

mod common;

use cctoken::{
    ClientAuth, Credentials, Encoding, Error, Request, Response, Retry, Token, TokenSource,
};
use common::{Reply, Server, TempDir};
use std::fmt::Debug;
use std::sync::Mutex;
use std::time::Duration;

const SECRET: &str = "S3cr3t-sw0rdf1sh/+:%";
const TOKEN: &str = "tok-Zq8xL2mN5vB7cR4tY9";

/// Everything shown, and every secret to look for.
#[derive(Default)]
struct Collector {
    shown: Vec<String>,
    secrets: Vec<String>,
}

impl Collector {
    fn debug(&mut self, x: &impl Debug) {
        self.shown.push(format!("{x:?}"));
        self.shown.push(format!("{x:#?}"));
    }

    fn error(&mut self, e: &Error) {
        self.debug(e);
        self.shown.push(e.to_string());
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            self.shown.push(s.to_string());
            source = s.source();
        }
    }

    fn result(&mut self, r: &Result<Token, Error>) {
        match r {
            Ok(t) => {
                self.secrets.push(t.access_token().to_owned());
                self.debug(t);
            }
            Err(e) => self.error(e),
        }
    }
}

fn creds(url: &str) -> Credentials {
    Credentials::new(url, "leak-test-client", SECRET).unwrap()
}

#[test]
fn nothing_shown_contains_a_secret() {
    let mut c = Collector {
        secrets: vec![SECRET.to_owned(), TOKEN.to_owned()],
        ..Collector::default()
    };

    // Credentials built every way.
    let base = creds("https://auth.example.com/token");
    for encoding in [Encoding::Form, Encoding::Json, Encoding::Multipart] {
        for auth in [
            ClientAuth::RequestBody,
            ClientAuth::Basic,
            ClientAuth::BasicUnencoded,
        ] {
            let cr = base
                .clone()
                .with_encoding(encoding)
                .with_auth(auth)
                .with_scope("read")
                .with_param("audience", "https://api");
            c.debug(&cr);
            // The request and its Debug, as a transport sees it.
            let seen = Mutex::new(Vec::new());
            let r = cr.fetch_with(&|req: &Request| {
                seen.lock().unwrap().push(format!("{req:?}"));
                let resp = Response::new(200, format!(r#"{{"access_token":"{TOKEN}"}}"#));
                seen.lock().unwrap().push(format!("{resp:?}"));
                Ok(resp)
            });
            c.shown.extend(seen.into_inner().unwrap());
            c.result(&r);
        }
    }
    let dir = TempDir::new("noleak");
    let file = dir.write(
        "creds.json",
        &format!(
            r#"{{"client_id":"id","client_secret":"{SECRET}","token_url":"https://a.example/t"}}"#
        ),
        0o600,
    );
    c.debug(&Credentials::from_json_file(&file).unwrap());
    let open = dir.write(
        "open.json",
        &format!(r#"{{"client_id":"id","client_secret":"{SECRET}"}}"#),
        0o644,
    );
    c.error(&Credentials::from_json_file_with_url(&open, "https://a/t").unwrap_err());
    let bad = dir.write(
        "bad.json",
        &format!(r#"{{"client_id":"id","client_secret":"{SECRET}","x"#),
        0o600,
    );
    c.error(&Credentials::from_json_file(&bad).unwrap_err());

    // Configuration errors.
    for p in ["grant_type", "client_secret", "scope", "bad name"] {
        c.error(&base.clone().with_param(p, SECRET).validate().unwrap_err());
    }
    c.error(&creds("http://auth.example.com/t").validate().unwrap_err());
    c.error(&Credentials::new("https://a/t", "", SECRET).unwrap_err());

    // Every fixture.
    for line in include_str!("fixtures/responses.jsonl").lines() {
        let case: serde_json::Value = serde_json::from_str(line).unwrap();
        let body = case["body"].as_str().unwrap().to_owned();
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&body) {
            if let Some(t) = v["access_token"].as_str() {
                c.secrets.push(t.to_owned());
            }
        }
        let status = case["status"].as_u64().unwrap() as u16;
        let r = base.fetch_with(&|_: &Request| Ok(Response::new(status, body.clone())));
        c.result(&r);
    }

    // Over real sockets: refusals, a gateway page echoing the secret and a
    // token, timeouts, refused connections, oversized bodies, redirects.
    let scenarios: Vec<Reply> = vec![
        Reply::json(401, r#"{"error":"invalid_client"}"#),
        Reply::json(
            400,
            &format!(r#"{{"error":"invalid_request","error_description":"bad secret {SECRET}"}}"#),
        ),
        Reply::http(
            502,
            "text/html",
            &[],
            format!("<html>client_secret={SECRET}</html>").as_bytes(),
        ),
        Reply::http(
            500,
            "text/plain",
            &[],
            format!("access_token={TOKEN}").as_bytes(),
        ),
        Reply::http(302, "", &[("Location", "https://elsewhere.example/")], b""),
        Reply::json(
            200,
            &format!(r#"{{"access_token":"{TOKEN}","token_type":"mac"}}"#),
        ),
        Reply::json(
            200,
            &format!(r#"{{"access_token":"{TOKEN}","expires_in":-1}}"#),
        ),
        Reply::json(
            200,
            &format!(r#"{{"access_token":"{TOKEN}","access_token":"{TOKEN}"}}"#),
        ),
        Reply::http(200, "application/json", &[], &vec![b' '; 100_000]),
        Reply::Hang,
    ];
    for reply in scenarios {
        let reply = std::sync::Mutex::new(Some(reply));
        let server = Server::start(move |_| reply.lock().unwrap().take().unwrap_or(Reply::Close));
        let cr = creds(&server.url("/token")).with_timeout(Duration::from_secs(1));
        c.result(&cr.fetch());
    }
    c.result(&creds(&common::closed_port_url("/token")).fetch());

    // A TokenSource and its errors.
    let server = Server::start(|_| Reply::token(TOKEN, 3600));
    let source = TokenSource::new(creds(&server.url("/token"))).with_retry(Retry::none());
    c.debug(&source);
    c.result(&source.token());
    let down = TokenSource::new(creds(&common::closed_port_url("/t"))).with_retry(Retry::none());
    c.result(&down.token());

    // The check.
    assert!(
        c.shown.len() > 150,
        "only {} strings collected",
        c.shown.len()
    );
    assert!(
        c.secrets.len() > 10,
        "only {} secrets collected",
        c.secrets.len()
    );
    for shown in &c.shown {
        for secret in &c.secrets {
            assert!(
                !shown.contains(secret.as_str()),
                "{secret:?} appears in {shown:?}"
            );
        }
    }
}

/// Review finding: `Request`'s `Debug` masked only `Authorization`, so a
/// DPoP proof (which names the token's key and, for an API request, the
/// token's hash) was printed whole, and `Response`'s `Debug` printed every
/// header a server sent (a `Set-Cookie`, an echo of the request). Only a
/// short list of harmless headers is shown now; every other value is its
/// length.
#[cfg(feature = "https")]
#[test]
fn request_and_response_debug_show_only_harmless_header_values() {
    let key = cctoken::PrivateKey::generate().unwrap();
    let cr = creds("https://auth.example.com/token").with_dpop(key);
    let seen = Mutex::new(Vec::new());
    let _ = cr.fetch_with(&|req: &Request| {
        let proof = req
            .headers()
            .find(|(k, _)| k.eq_ignore_ascii_case("dpop"))
            .map(|(_, v)| v.to_owned())
            .expect("a DPoP request carries a proof");
        seen.lock().unwrap().push((proof, format!("{req:?}")));
        Ok(Response::new(400, "{}"))
    });
    let seen = seen.into_inner().unwrap();
    assert!(!seen.is_empty());
    for (proof, shown) in &seen {
        assert!(!shown.contains(proof.as_str()), "{shown}");
        assert!(!shown.contains(&proof[..20]), "{shown}");
        assert!(
            shown.contains(&format!("(\"dpop\", [{} bytes])", proof.len()))
                || shown.contains(&format!("(\"DPoP\", [{} bytes])", proof.len())),
            "{shown}"
        );
        assert!(
            shown.contains("application/x-www-form-urlencoded"),
            "{shown}"
        );
    }

    let resp = Response::new(401, "{}")
        .with_header("content-type", "application/json")
        .with_header("set-cookie", format!("session={TOKEN}"))
        .with_header("x-echo", SECRET)
        .with_header("Retry-After", "5");
    let shown = format!("{resp:?}");
    assert!(!shown.contains(TOKEN) && !shown.contains(SECRET), "{shown}");
    assert!(shown.contains("application/json"), "{shown}");
    assert!(shown.contains("\"5\""), "{shown}");
    assert!(
        shown.contains(&format!("[{} bytes]", SECRET.len())),
        "{shown}"
    );
}
