//! Configuration and credential-file errors: the right kind, and a message
//! that names the problem, found before any network traffic.

mod common;

use cctoken::{Credentials, Error, ErrorKind, Request, Response};
use common::TempDir;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const URL: &str = "https://auth.example.com/oauth/token";

/// Asserts `result` failed with `kind` and a message containing every one
/// of `needles`; returns the message.
#[track_caller]
fn assert_error<T: std::fmt::Debug>(
    result: cctoken::Result<T>,
    kind: ErrorKind,
    needles: &[&str],
) -> String {
    let e: Error = result.expect_err("an error");
    assert_eq!(e.kind(), kind, "{e:?}");
    let shown = e.to_string();
    for needle in needles {
        assert!(shown.contains(needle), "`{shown}` does not name `{needle}`");
    }
    shown
}

/// Fetches over a transport that counts its calls and would answer with a
/// token; returns the result and the number of calls.
fn fetch_counting(creds: &Credentials) -> (cctoken::Result<cctoken::Token>, usize) {
    let calls = AtomicUsize::new(0);
    let result = creds.fetch_with(&|_: &Request| {
        calls.fetch_add(1, Ordering::SeqCst);
        Ok(Response::new(200, r#"{"access_token":"tok"}"#))
    });
    (result, calls.load(Ordering::SeqCst))
}

#[test]
fn empty_client_id_is_config() {
    assert_error(
        Credentials::new(URL, "", "secret"),
        ErrorKind::Config,
        &["client id is empty"],
    );
}

#[test]
fn empty_client_secret_is_config() {
    assert_error(
        Credentials::new(URL, "id", ""),
        ErrorKind::Config,
        &["client secret is empty"],
    );
}

#[test]
fn url_without_scheme_is_config() {
    assert_error(
        Credentials::new("auth.example.com/oauth/token", "id", "secret"),
        ErrorKind::Config,
        &["token URL", "https://"],
    );
}

#[test]
fn url_with_ftp_scheme_is_config() {
    assert_error(
        Credentials::new("ftp://auth.example.com/oauth/token", "id", "secret"),
        ErrorKind::Config,
        &["token URL", "`ftp`"],
    );
}

#[test]
fn url_with_bad_ports_is_config() {
    for (url, port) in [
        ("https://auth.example.com:99999/token", "`99999`"),
        ("https://auth.example.com:0/token", "`0`"),
        ("https://auth.example.com:44x/token", "`44x`"),
        ("https://auth.example.com:-1/token", "`-1`"),
        ("https://auth.example.com:/token", "``"),
    ] {
        let shown = assert_error(
            Credentials::new(url, "id", "secret"),
            ErrorKind::Config,
            &["token URL", "port", port],
        );
        assert!(shown.contains("invalid port"), "{url}: {shown}");
    }
}

#[test]
fn url_with_empty_host_is_config() {
    for url in [
        "https:///token",
        "https://:443/token",
        "https://",
        "https://?x=1",
    ] {
        assert_error(
            Credentials::new(url, "id", "secret"),
            ErrorKind::Config,
            &["token URL", "no host"],
        );
    }
}

#[test]
fn url_with_user_info_is_config_and_does_not_echo_it() {
    let shown = assert_error(
        Credentials::new(
            "https://alice:hunter22@auth.example.com/token",
            "id",
            "secret",
        ),
        ErrorKind::Config,
        &["token URL", "user info"],
    );
    assert!(!shown.contains("hunter22"), "{shown}");
}

#[test]
fn url_with_fragment_or_whitespace_is_config() {
    assert_error(
        Credentials::new("https://auth.example.com/token#frag", "id", "secret"),
        ErrorKind::Config,
        &["token URL", "fragment"],
    );
    assert_error(
        Credentials::new("https://auth.example.com/to ken", "id", "secret"),
        ErrorKind::Config,
        &["token URL", "whitespace"],
    );
}

#[test]
fn reserved_parameter_names_are_config_before_the_transport() {
    for name in ["grant_type", "client_id", "client_secret", "scope"] {
        let creds = Credentials::new(URL, "id", "secret")
            .unwrap()
            .with_param(name, "x");
        let needle = format!("`{name}`");
        assert_error(creds.validate(), ErrorKind::Config, &[&needle, "reserved"]);
        let (result, calls) = fetch_counting(&creds);
        assert_error(result, ErrorKind::Config, &[&needle, "reserved"]);
        assert_eq!(calls, 0, "{name}: the transport was called");
    }
}

#[test]
fn scope_as_parameter_points_to_with_scope() {
    let creds = Credentials::new(URL, "id", "secret")
        .unwrap()
        .with_param("scope", "read");
    assert_error(creds.validate(), ErrorKind::Config, &["with_scope"]);
}

#[test]
fn unreserved_parameters_are_fine() {
    let creds = Credentials::new(URL, "id", "secret")
        .unwrap()
        .with_param("audience", "https://api.example.com")
        .with_param("resource", "a")
        .with_param("resource", "b");
    creds.validate().unwrap();
    let (result, calls) = fetch_counting(&creds);
    assert_eq!(result.unwrap().access_token(), "tok");
    assert_eq!(calls, 1);
}

#[test]
fn malformed_parameter_name_is_config() {
    let creds = Credentials::new(URL, "id", "secret")
        .unwrap()
        .with_param("bad name", "x");
    assert_error(creds.validate(), ErrorKind::Config, &["`bad name`"]);
    let (result, calls) = fetch_counting(&creds);
    assert_error(result, ErrorKind::Config, &["`bad name`"]);
    assert_eq!(calls, 0);
}

#[test]
fn zero_timeout_and_zero_cap_are_config() {
    let creds = Credentials::new(URL, "id", "secret")
        .unwrap()
        .with_timeout(Duration::ZERO);
    assert_error(creds.validate(), ErrorKind::Config, &["timeout is zero"]);
    assert_eq!(fetch_counting(&creds).1, 0);
    let creds = Credentials::new(URL, "id", "secret")
        .unwrap()
        .with_max_response_bytes(0);
    assert_error(
        creds.validate(),
        ErrorKind::Config,
        &["response cap is zero"],
    );
    assert_eq!(fetch_counting(&creds).1, 0);
}

#[cfg(unix)]
#[test]
fn creds_json_readable_by_others_is_refused_with_chmod_600() {
    let dir = TempDir::new("config-644");
    let path = dir.write(
        "creds.json",
        r#"{"client_id": "id", "client_secret": "very-secret-value", "token_url": "https://auth.example.com/token"}"#,
        0o644,
    );
    let shown = path.display().to_string();
    let message = assert_error(
        Credentials::from_json_file(&path),
        ErrorKind::Credentials,
        &[&shown, "chmod 600", "0644"],
    );
    assert!(!message.contains("very-secret-value"), "{message}");
    assert_error(
        Credentials::from_json_file_with_url(&path, URL),
        ErrorKind::Credentials,
        &[&shown, "chmod 600"],
    );
    // Group-readable only is refused too; 600 and 400 are fine.
    let path = dir.write(
        "group.json",
        r#"{"client_id": "id", "client_secret": "s", "token_url": "https://auth.example.com/token"}"#,
        0o640,
    );
    assert_error(
        Credentials::from_json_file(&path),
        ErrorKind::Credentials,
        &["chmod 600"],
    );
    for mode in [0o600, 0o400] {
        let path = dir.write(
            "ok.json",
            r#"{"client_id": "id", "client_secret": "s", "token_url": "https://auth.example.com/token"}"#,
            mode,
        );
        let creds = Credentials::from_json_file(&path).unwrap();
        assert_eq!(creds.client_id(), "id");
        assert_eq!(creds.token_url(), "https://auth.example.com/token");
        std::fs::remove_file(&path).unwrap();
    }
}

#[test]
fn creds_json_that_is_not_json_names_the_file() {
    let dir = TempDir::new("config-notjson");
    let path = dir.write("creds.json", "client_id = id\nclient_secret = s\n", 0o600);
    let shown = path.display().to_string();
    assert_error(
        Credentials::from_json_file(&path),
        ErrorKind::Credentials,
        &[&shown, "not valid JSON"],
    );
    let path = dir.write("array.json", r#"["id", "secret"]"#, 0o600);
    assert_error(
        Credentials::from_json_file_with_url(&path, URL),
        ErrorKind::Credentials,
        &[&path.display().to_string(), "not a JSON object"],
    );
}

#[test]
fn creds_json_without_client_secret_names_it() {
    let dir = TempDir::new("config-nosecret");
    let path = dir.write(
        "creds.json",
        r#"{"client_id": "id", "token_url": "https://auth.example.com/token"}"#,
        0o600,
    );
    assert_error(
        Credentials::from_json_file(&path),
        ErrorKind::Credentials,
        &[&path.display().to_string(), "`client_secret`", "missing"],
    );
}

#[test]
fn creds_json_without_token_url_needs_one() {
    let dir = TempDir::new("config-nourl");
    let path = dir.write(
        "creds.json",
        r#"{"client_id": "id", "client_secret": "s"}"#,
        0o600,
    );
    assert_error(
        Credentials::from_json_file(&path),
        ErrorKind::Credentials,
        &[&path.display().to_string(), "`token_url`", "missing"],
    );
    let creds = Credentials::from_json_file_with_url(&path, URL).unwrap();
    assert_eq!(creds.token_url(), URL);
}

#[test]
fn creds_json_with_a_misspelt_member_names_it() {
    let dir = TempDir::new("config-unknown");
    let path = dir.write(
        "creds.json",
        r#"{"client_id": "id", "client_secret": "s", "token_uri": "https://auth.example.com/token"}"#,
        0o600,
    );
    assert_error(
        Credentials::from_json_file(&path),
        ErrorKind::Credentials,
        &[&path.display().to_string(), "`token_uri`"],
    );
}

#[test]
fn missing_creds_json_names_the_file() {
    let dir = TempDir::new("config-missing");
    let path = dir.path().join("creds.json");
    assert_error(
        Credentials::from_json_file(&path),
        ErrorKind::Credentials,
        &[&path.display().to_string(), "cannot open"],
    );
}

#[test]
fn creds_json_with_a_bad_url_is_credentials_naming_the_problem() {
    let dir = TempDir::new("config-badurl");
    let path = dir.write(
        "creds.json",
        r#"{"client_id": "id", "client_secret": "s", "token_url": "ftp://auth.example.com/token"}"#,
        0o600,
    );
    assert_error(
        Credentials::from_json_file(&path),
        ErrorKind::Credentials,
        &[&path.display().to_string(), "`ftp`"],
    );
}
