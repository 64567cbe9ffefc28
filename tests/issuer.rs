//! Issue 14: credentials configured from the issuer's metadata
//! (`Credentials::with_metadata`), and credentials named by an issuer
//! (`creds.json`'s `issuer`, the command's `--issuer`), over loopback.

mod common;

use cctoken::{ClientAuth, Credentials, ErrorKind, Request, Response, ServerMetadata};
use common::TempDir;

const SECRET: &str = "a-client-secret-of-32-bytes-0123";

/// Metadata listing `methods` (JSON array text, or `None` to omit it).
fn metadata(methods: Option<&str>, extra: &str) -> ServerMetadata {
    let body = format!(
        r#"{{"issuer":"https://as.example","token_endpoint":"https://as.example/token"{}{extra}}}"#,
        methods.map_or(String::new(), |m| format!(
            r#","token_endpoint_auth_methods_supported":{m}"#
        ))
    );
    ServerMetadata::discover_with("https://as.example", &move |_: &Request| {
        Ok(Response::new(200, body.clone()))
    })
    .unwrap()
}

fn secret_creds() -> Credentials {
    Credentials::new("https://as.example/token", "c", SECRET).unwrap()
}

#[test]
fn the_method_is_chosen_from_what_the_server_lists() {
    for (methods, want) in [
        (
            Some(r#"["client_secret_basic","client_secret_post"]"#),
            ClientAuth::RequestBody,
        ),
        (
            Some(r#"["client_secret_basic","private_key_jwt"]"#),
            ClientAuth::Basic,
        ),
        (
            Some(r#"["client_secret_jwt","private_key_jwt"]"#),
            ClientAuth::ClientSecretJwt,
        ),
        (None, ClientAuth::Basic), // RFC 8414's default: client_secret_basic
    ] {
        let creds = secret_creds()
            .with_metadata(&metadata(methods, ""))
            .unwrap();
        assert_eq!(creds.auth(), want, "{methods:?}");
        assert_eq!(creds.issuer(), Some("https://as.example"));
    }
    // A short secret cannot sign HS256, and nothing else is listed.
    let short = Credentials::new("https://as.example/token", "c", "short-secret").unwrap();
    let e = short
        .with_metadata(&metadata(
            Some(r#"["client_secret_jwt","private_key_jwt"]"#),
            "",
        ))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.to_string().contains("none fits a client secret"), "{e}");
}

#[cfg(any(feature = "https", feature = "https-os-roots", feature = "aws-lc-rs"))]
#[test]
fn keys_need_private_key_jwt_and_a_listed_algorithm() {
    let key = cctoken::PrivateKey::generate().unwrap();
    let creds =
        || Credentials::with_private_key("https://as.example/token", "c", key.clone()).unwrap();
    let ok = creds()
        .with_metadata(&metadata(
            Some(r#"["private_key_jwt"]"#),
            r#","token_endpoint_auth_signing_alg_values_supported":["RS256","ES256"]"#,
        ))
        .unwrap();
    assert_eq!(ok.auth(), ClientAuth::PrivateKeyJwt);
    let e = creds()
        .with_metadata(&metadata(Some(r#"["client_secret_basic"]"#), ""))
        .unwrap_err();
    assert!(e.to_string().contains("none fits a private key"), "{e}");
    let e = creds()
        .with_metadata(&metadata(
            Some(r#"["private_key_jwt"]"#),
            r#","token_endpoint_auth_signing_alg_values_supported":["RS256"]"#,
        ))
        .unwrap_err();
    assert!(
        e.to_string()
            .contains("`ES256` among its client assertion algorithms"),
        "{e}"
    );
    let e = secret_creds()
        .with_dpop(key.clone())
        .with_metadata(&metadata(
            Some(r#"["client_secret_post"]"#),
            r#","dpop_signing_alg_values_supported":["RS256"]"#,
        ))
        .unwrap_err();
    assert!(e.to_string().contains("DPoP algorithms"), "{e}");
}

#[test]
fn a_chosen_method_the_server_does_not_list_and_another_token_url_are_refused() {
    let e = secret_creds()
        .with_auth(ClientAuth::Basic)
        .with_metadata(&metadata(Some(r#"["client_secret_post"]"#), ""))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(
        e.to_string()
            .contains("does not list `client_secret_basic`"),
        "{e}"
    );
    let e = Credentials::new("https://as.example/other-token", "c", SECRET)
        .unwrap()
        .with_metadata(&metadata(None, ""))
        .unwrap_err();
    assert!(
        e.to_string().contains("is not the server's token endpoint"),
        "{e}"
    );
}

#[test]
fn a_credentials_file_may_name_the_issuer_instead_of_the_token_url() {
    let server = common::issuer_server("issued");
    let dir = TempDir::new("issuerfile");
    let file = dir.write(
        "creds.json",
        &format!(
            r#"{{"client_id":"c","client_secret":"{SECRET}","issuer":"{}"}}"#,
            server.url("")
        ),
        0o600,
    );
    let creds = Credentials::from_json_file(&file).unwrap();
    assert_eq!(creds.token_url(), server.url("/oauth/token"));
    assert_eq!(creds.auth(), ClientAuth::Basic, "chosen from the metadata");
    assert_eq!(creds.fetch().unwrap().access_token(), "issued");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert!(requests[0].request_line().starts_with("GET /.well-known/"));
    assert!(
        requests[0].header("authorization").is_none(),
        "no credentials during discovery"
    );
    // An issuer the metadata does not claim: refused.
    let wrong = dir.write(
        "wrong.json",
        &format!(
            r#"{{"client_id":"c","client_secret":"{SECRET}","issuer":"{}/"}}"#,
            server.url("")
        ),
        0o600,
    );
    let e = Credentials::from_json_file(&wrong).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidResponse, "{e}");
}

/// Review finding: with both an issuer and a token URL, discovery used to
/// replace the token URL with the discovered one, so a token URL that the
/// metadata does not name was silently ignored. It is checked now: the one
/// the metadata names works, another is a `Config` error naming both.
#[test]
fn a_token_url_given_with_the_issuer_is_checked_not_replaced() {
    let server = common::issuer_server("issued");
    let dir = TempDir::new("issuerurl");
    let write = |name: &str, url: &str| {
        dir.write(
            name,
            &format!(
                r#"{{"client_id":"c","client_secret":"{SECRET}","issuer":"{}","token_url":"{url}"}}"#,
                server.url("")
            ),
            0o600,
        )
    };
    let right = write("right.json", &server.url("/oauth/token"));
    let creds = Credentials::from_json_file(&right).unwrap();
    assert_eq!(creds.token_url(), server.url("/oauth/token"));
    assert_eq!(creds.fetch().unwrap().access_token(), "issued");
    let other = write("other.json", &server.url("/other/token"));
    let e = Credentials::from_json_file(&other).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config, "{e}");
    assert!(e.to_string().contains("/other/token"), "{e}");
    assert!(e.to_string().contains("/oauth/token"), "{e}");
}
