//! `Credentials::from_env`. Environment variables are global to the
//! process, so this binary holds exactly one test and runs its cases in
//! order, resetting every `CCTOKEN_*` variable before each.

mod common;

use cctoken::{Credentials, ErrorKind};
use common::{Reply, Server, TempDir};

const VARS: [&str; 6] = [
    "CCTOKEN_TOKEN_URL",
    "CCTOKEN_CLIENT_ID",
    "CCTOKEN_CLIENT_SECRET",
    "CCTOKEN_CLIENT_SECRET_FILE",
    "CCTOKEN_SCOPE",
    "CCTOKEN_AUDIENCE",
];

/// Clears every `CCTOKEN_*` variable, then sets `vars`.
fn set_env(vars: &[(&str, &str)]) {
    for name in VARS {
        std::env::remove_var(name);
    }
    for (name, value) in vars {
        std::env::set_var(name, value);
    }
}

/// `from_env` fails with kind `Credentials` and a message naming each of
/// `needles`; returns the message.
#[track_caller]
fn assert_refused(needles: &[&str]) -> String {
    let e = Credentials::from_env().expect_err("from_env should fail");
    assert_eq!(e.kind(), ErrorKind::Credentials, "{e:?}");
    let shown = e.to_string();
    for needle in needles {
        assert!(shown.contains(needle), "`{shown}` does not name `{needle}`");
    }
    shown
}

#[test]
fn from_env_cases_in_sequence() {
    let dir = TempDir::new("env");
    // A case that fetches needs the server's URL before from_env runs.
    let server = Server::start(|_| Reply::token("tok", 3600));
    let url = server.url("/oauth/token");

    // Nothing set: the URL is named first.
    set_env(&[]);
    assert_refused(&["CCTOKEN_TOKEN_URL"]);

    // No client id.
    set_env(&[
        ("CCTOKEN_TOKEN_URL", &url),
        ("CCTOKEN_CLIENT_SECRET", "env-secret"),
    ]);
    assert_refused(&["CCTOKEN_CLIENT_ID"]);

    // An empty client id counts as missing.
    set_env(&[
        ("CCTOKEN_TOKEN_URL", &url),
        ("CCTOKEN_CLIENT_ID", ""),
        ("CCTOKEN_CLIENT_SECRET", "env-secret"),
    ]);
    assert_refused(&["CCTOKEN_CLIENT_ID"]);

    // Complete: URL, id, secret, scope and audience.
    set_env(&[
        ("CCTOKEN_TOKEN_URL", &url),
        ("CCTOKEN_CLIENT_ID", "env-id"),
        ("CCTOKEN_CLIENT_SECRET", "env secret&="),
        ("CCTOKEN_SCOPE", "read write"),
        ("CCTOKEN_AUDIENCE", "https://api.example.com"),
    ]);
    let creds = Credentials::from_env().expect("complete environment");
    assert_eq!(creds.token_url(), url);
    assert_eq!(creds.client_id(), "env-id");
    assert_eq!(creds.scope(), Some("read write"));
    assert_eq!(
        creds.params().collect::<Vec<_>>(),
        vec![("audience", "https://api.example.com")]
    );
    let debug = format!("{creds:?}");
    assert!(!debug.contains("env secret"), "{debug}");
    creds.fetch().expect("fetch");
    assert_eq!(server.count(), 1);
    assert_eq!(
        server.requests()[0].body_text(),
        "grant_type=client_credentials&client_id=env-id&client_secret=env%20secret%26%3D\
         &scope=read%20write&audience=https%3A%2F%2Fapi.example.com"
    );
    drop(server);

    // Neither secret variable: both are named.
    set_env(&[
        ("CCTOKEN_TOKEN_URL", "https://auth.example.com/token"),
        ("CCTOKEN_CLIENT_ID", "env-id"),
    ]);
    assert_refused(&[
        "CCTOKEN_CLIENT_SECRET,",
        "CCTOKEN_CLIENT_SECRET_FILE",
        "CCTOKEN_PRIVATE_KEY_FILE",
        "CCTOKEN_CLIENT_ASSERTION_FILE",
    ]);

    // The secret from a mode-600 file; one trailing newline is dropped.
    let secret_file = dir.write("secret", "file-secret\n", 0o600);
    let secret_path = secret_file.to_str().expect("UTF-8 temp path");
    let server = Server::start(|_| Reply::token("tok", 3600));
    let url = server.url("/token");
    set_env(&[
        ("CCTOKEN_TOKEN_URL", &url),
        ("CCTOKEN_CLIENT_ID", "file-id"),
        ("CCTOKEN_CLIENT_SECRET_FILE", secret_path),
    ]);
    let creds = Credentials::from_env().expect("secret file with mode 600");
    assert_eq!(creds.client_id(), "file-id");
    assert_eq!(creds.scope(), None);
    assert_eq!(creds.params().count(), 0);
    creds.fetch().expect("fetch");
    assert_eq!(server.count(), 1);
    assert_eq!(
        server.requests()[0].body_text(),
        "grant_type=client_credentials&client_id=file-id&client_secret=file-secret"
    );
    drop(server);

    // The same file with mode 644 is refused, naming it and the fix.
    #[cfg(unix)]
    {
        let secret_file = dir.write("secret", "file-secret\n", 0o644);
        assert_eq!(secret_file.to_str(), Some(secret_path));
        let shown = assert_refused(&[secret_path, "chmod 600"]);
        assert!(!shown.contains("file-secret"), "{shown}");
    }

    // Both secret variables set: both are named, neither is chosen.
    dir.write("secret", "file-secret\n", 0o600);
    set_env(&[
        ("CCTOKEN_TOKEN_URL", "https://auth.example.com/token"),
        ("CCTOKEN_CLIENT_ID", "env-id"),
        ("CCTOKEN_CLIENT_SECRET", "env-secret"),
        ("CCTOKEN_CLIENT_SECRET_FILE", secret_path),
    ]);
    let shown = assert_refused(&["CCTOKEN_CLIENT_SECRET ", "CCTOKEN_CLIENT_SECRET_FILE"]);
    assert!(!shown.contains("env-secret"), "{shown}");

    // A bad URL from the environment is a Credentials error naming it.
    set_env(&[
        ("CCTOKEN_TOKEN_URL", "ftp://auth.example.com/token"),
        ("CCTOKEN_CLIENT_ID", "env-id"),
        ("CCTOKEN_CLIENT_SECRET", "env-secret"),
    ]);
    assert_refused(&["`ftp`"]);

    set_env(&[]);
}
