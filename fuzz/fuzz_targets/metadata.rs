//! Server metadata documents (RFC 8414, OpenID Connect Discovery): the
//! whole input is the document. The issuer asked for depends on the
//! input's length: the document's own `issuer` (as serde_json reads it, so
//! that the checks after the issuer comparison are reached), that plus a
//! trailing `/`, or a fixed one. The document goes through the parser
//! directly, and through `discover_with` served at the second location.
#![no_main]

use cctoken::fuzzing::{metadata_locations, parse_metadata};
use cctoken::{Credentials, Error, ErrorKind, Request, Response, ServerMetadata};
use libfuzzer_sys::fuzz_target;

fn check_error(e: &Error) {
    let shown = e.to_string();
    assert!(shown.len() < 8 * 1024, "error text too long: {}", shown.len());
    assert!(
        !shown.contains('\r') && !shown.contains('\n'),
        "control chars in {shown:?}"
    );
    let _ = format!("{e:?}");
}

fn check_metadata(m: &ServerMetadata, asked: &str) {
    assert_eq!(m.issuer(), asked);
    // The token endpoint passes the token URL policy: https, or http to
    // loopback.
    let creds = Credentials::new(m.token_endpoint(), "id", "secret").expect("a token URL");
    creds.validate().expect("https or loopback");
    for name in m
        .token_endpoint_auth_methods()
        .iter()
        .chain(m.dpop_signing_algs())
        .chain(m.token_endpoint_auth_signing_algs())
    {
        assert!(!name.is_empty() && !name.contains(' '), "{name:?}");
    }
    assert!(m.extra("issuer").is_none() && m.extra("token_endpoint").is_none());
    let _ = format!("{m:?}");
}

fuzz_target!(|data: &[u8]| {
    let own = serde_json::from_slice::<serde_json::Value>(data)
        .ok()
        .and_then(|v| v.get("issuer")?.as_str().map(str::to_owned));
    let asked = match (data.len() % 3, own) {
        (0, Some(own)) => own,
        (1, Some(own)) => own + "/",
        _ => "https://auth.example.com".to_owned(),
    };

    let direct = parse_metadata(data, &asked);
    match &direct {
        Ok(m) => check_metadata(m, &asked),
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::InvalidResponse, "{e}");
            check_error(e);
        }
    }

    let Ok([first, second]) = metadata_locations(&asked) else {
        // Refused before any request.
        let e = ServerMetadata::discover_with(&asked, &|_: &Request| -> cctoken::Result<Response> {
            panic!("a request for an unusable issuer")
        })
        .expect_err("unusable issuer");
        assert_eq!(e.kind(), ErrorKind::Config, "{e}");
        check_error(&e);
        return;
    };
    assert_ne!(first, second);
    let fetched = ServerMetadata::discover_with(&asked, &|r: &Request| {
        assert_eq!(r.method(), "GET");
        assert!(r.body().is_empty() && r.header("authorization").is_none());
        Ok(if r.url() == second {
            Response::new(200, data)
        } else {
            assert_eq!(r.url(), first);
            Response::new(404, "")
        })
    });
    match (&direct, &fetched) {
        (Ok(_), Ok(m)) => check_metadata(m, &asked),
        (Err(d), Err(f)) => {
            check_error(f);
            // Over the 64 KiB cap, discovery stops before parsing.
            if data.len() <= 64 * 1024 {
                assert_eq!(d.kind(), f.kind(), "{d} / {f}");
            } else {
                assert_eq!(f.kind(), ErrorKind::ResponseTooLarge, "{f}");
            }
        }
        (Ok(_), Err(f)) if data.len() > 64 * 1024 => {
            assert_eq!(f.kind(), ErrorKind::ResponseTooLarge, "{f}");
        }
        (d, f) => panic!("parser and discovery disagree: {d:?} / {f:?}"),
    }
});
