use super::*;
use std::collections::HashMap;

use crate::test_dirs::TempDir;

fn load_err(text: &str) -> String {
    let dir = TempDir::new("err");
    let p = dir.file("creds.json", text, 0o600);
    let e = Credentials::from_json_file(&p).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Credentials);
    let shown = e.to_string();
    assert!(shown.contains(&p.display().to_string()), "{shown}");
    shown
}

#[test]
fn full_file_loads() {
    let dir = TempDir::new("full");
    let p = dir.file(
        "creds.json",
        r#"{"client_id":"id","client_secret":"pw","token_url":"https://a.example/t",
            "scope":"read","audience":"https://api","encoding":"json","auth":"basic"}"#,
        0o600,
    );
    let c = Credentials::from_json_file(&p).unwrap();
    assert_eq!(c.token_url(), "https://a.example/t");
    assert_eq!(c.client_id(), "id");
    assert_eq!(c.scope(), Some("read"));
    assert_eq!(
        c.params().collect::<Vec<_>>(),
        [("audience", "https://api")]
    );
    assert_eq!(c.encoding(), Encoding::Json);
    assert_eq!(c.auth(), ClientAuth::Basic);
}

#[test]
fn url_from_caller_when_file_has_none() {
    let dir = TempDir::new("url");
    let p = dir.file(
        "creds.json",
        r#"{"client_id":"id","client_secret":"pw"}"#,
        0o600,
    );
    let c = Credentials::from_json_file_with_url(&p, "https://b.example/t").unwrap();
    assert_eq!(c.token_url(), "https://b.example/t");
    let e = Credentials::from_json_file(&p).unwrap_err();
    assert!(e.to_string().contains("`token_url` is missing"), "{e}");
}

#[cfg(unix)]
#[test]
fn group_or_other_access_is_refused_with_chmod_hint() {
    let dir = TempDir::new("mode");
    for mode in [0o644, 0o640, 0o604, 0o620] {
        let p = dir.file(
            "creds.json",
            r#"{"client_id":"id","client_secret":"pw"}"#,
            mode,
        );
        let e = Credentials::from_json_file_with_url(&p, "https://a/t").unwrap_err();
        let shown = e.to_string();
        assert_eq!(e.kind(), ErrorKind::Credentials);
        assert!(shown.contains("chmod 600"), "{shown}");
        assert!(shown.contains(&p.display().to_string()), "{shown}");
        assert!(shown.contains(&format!("{mode:04o}")), "{shown}");
    }
}

#[test]
fn malformed_files_name_the_problem() {
    assert!(load_err("not json").contains("not valid JSON"));
    assert!(load_err("[1]").contains("not a JSON object"));
    assert!(load_err("").contains("the file is empty"));
    // Two secrets: which one is meant is unknowable, so neither is used.
    assert!(load_err(
        r#"{"client_id":"id","client_secret":"a","client_secret":"b","token_url":"https://a/t"}"#
    )
    .contains("duplicate member names"));
    assert!(load_err(&format!(
        r#"{{"client_id":{}1{}}}"#,
        "[".repeat(40),
        "]".repeat(40)
    ))
    .contains("nested deeper than 32 levels"));
    assert!(
        load_err(r#"{"client_secret":"pw","token_url":"https://a/t"}"#)
            .contains("`client_id` is missing")
    );
    assert!(load_err(r#"{"client_id":"id","token_url":"https://a/t"}"#)
        .contains("`client_secret` is missing"));
    assert!(
        load_err(r#"{"client_id":7,"client_secret":"pw","token_url":"https://a/t"}"#)
            .contains("`client_id` is not a string")
    );
    assert!(
        load_err(r#"{"client_id":"","client_secret":"pw","token_url":"https://a/t"}"#)
            .contains("`client_id` is empty")
    );
    assert!(load_err(
        r#"{"client_id":"i","client_secret":"pw","token_url":"https://a/t","scopes":"x"}"#
    )
    .contains("unknown member `scopes`"));
    assert!(load_err(
        r#"{"client_id":"i","client_secret":"pw","token_url":"https://a/t","encoding":"xml"}"#
    )
    .contains("`encoding` is `xml`"));
    assert!(load_err(
        r#"{"client_id":"i","client_secret":"pw","token_url":"https://a/t","auth":"digest"}"#
    )
    .contains("`auth` is `digest`"));
    assert!(
        load_err(r#"{"client_id":"i","client_secret":"pw","token_url":"ftp://a/t"}"#)
            .contains("ftp")
    );
}

#[test]
fn missing_file_names_it() {
    let e = Credentials::from_json_file("/nonexistent/cctoken/creds.json").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Credentials);
    assert!(
        e.to_string().contains("/nonexistent/cctoken/creds.json"),
        "{e}"
    );
}

#[cfg(unix)]
#[test]
fn fifo_is_refused_without_blocking() {
    let dir = TempDir::new("fifo");
    let p = dir.0.join("creds.json");
    let made = std::process::Command::new("mkfifo")
        .arg("-m")
        .arg("600")
        .arg(&p)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    // Before the fix, opening the FIFO blocked here for ever.
    let e = Credentials::from_json_file(&p).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Credentials);
    assert!(e.to_string().contains("not a regular file"), "{e}");
    let e = Credentials::from_json_file(&dir.0).unwrap_err();
    assert!(e.to_string().contains("not a regular file"), "{e}");
}

#[test]
fn oversized_file_is_refused() {
    let dir = TempDir::new("big");
    let p = dir.file("creds.json", &" ".repeat(70_000), 0o600);
    let e = Credentials::from_json_file(&p).unwrap_err();
    assert!(e.to_string().contains("larger than"), "{e}");
}

fn env(vars: &[(&str, &str)]) -> Result<Credentials> {
    let map: HashMap<String, OsString> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), OsString::from(v)))
        .collect();
    from_lookup(|name| map.get(name).cloned())
}

#[test]
fn env_complete() {
    let c = env(&[
        ("CCTOKEN_TOKEN_URL", "https://a.example/t"),
        ("CCTOKEN_CLIENT_ID", "id"),
        ("CCTOKEN_CLIENT_SECRET", "pw"),
        ("CCTOKEN_SCOPE", "read"),
        ("CCTOKEN_AUDIENCE", "https://api"),
    ])
    .unwrap();
    assert_eq!(c.client_id(), "id");
    assert_eq!(c.scope(), Some("read"));
    assert_eq!(
        c.params().collect::<Vec<_>>(),
        [("audience", "https://api")]
    );
}

#[test]
fn env_missing_or_conflicting_names_the_variable() {
    let url = ("CCTOKEN_TOKEN_URL", "https://a/t");
    let e = env(&[url, ("CCTOKEN_CLIENT_SECRET", "pw")]).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Credentials);
    assert!(
        e.to_string().contains("CCTOKEN_CLIENT_ID is not set"),
        "{e}"
    );
    let e = env(&[("CCTOKEN_CLIENT_ID", "id"), ("CCTOKEN_CLIENT_SECRET", "pw")]).unwrap_err();
    assert!(e.to_string().contains("CCTOKEN_TOKEN_URL"), "{e}");
    let e = env(&[url, ("CCTOKEN_CLIENT_ID", "id")]).unwrap_err();
    assert!(e.to_string().contains("CCTOKEN_CLIENT_SECRET_FILE"), "{e}");
    let e = env(&[
        url,
        ("CCTOKEN_CLIENT_ID", "id"),
        ("CCTOKEN_CLIENT_SECRET", "pw"),
        ("CCTOKEN_CLIENT_SECRET_FILE", "/x"),
    ])
    .unwrap_err();
    assert!(e.to_string().contains("are all set; set one"), "{e}");
    let e = env(&[
        ("CCTOKEN_TOKEN_URL", "nope"),
        ("CCTOKEN_CLIENT_ID", "id"),
        ("CCTOKEN_CLIENT_SECRET", "pw"),
    ])
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Credentials);
    assert!(e.to_string().contains("token URL"), "{e}");
}

#[test]
fn env_secret_file_trims_one_newline_and_checks_mode() {
    let dir = TempDir::new("envfile");
    let p = dir.file("secret", "pw with space\n", 0o600);
    let path = p.to_str().unwrap();
    let c = env(&[
        ("CCTOKEN_TOKEN_URL", "https://a/t"),
        ("CCTOKEN_CLIENT_ID", "id"),
        ("CCTOKEN_CLIENT_SECRET_FILE", path),
    ])
    .unwrap();
    assert_eq!(c.secret(), "pw with space");
    #[cfg(unix)]
    {
        let p = dir.file("open", "pw\n", 0o644);
        let e = env(&[
            ("CCTOKEN_TOKEN_URL", "https://a/t"),
            ("CCTOKEN_CLIENT_ID", "id"),
            ("CCTOKEN_CLIENT_SECRET_FILE", p.to_str().unwrap()),
        ])
        .unwrap_err();
        assert!(e.to_string().contains("chmod 600"), "{e}");
    }
}

#[test]
fn env_private_key_and_assertion_file() {
    let dir = TempDir::new("envkey");
    let pem = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/keys/p256-pkcs8.pem"
    ))
    .unwrap();
    let key = dir.file("key.pem", &pem, 0o600);
    let key = key.to_str().unwrap();
    let base = [
        ("CCTOKEN_TOKEN_URL", "https://a/t"),
        ("CCTOKEN_CLIENT_ID", "id"),
    ];
    if cfg!(any(
        feature = "https",
        feature = "https-os-roots",
        feature = "aws-lc-rs"
    )) {
        let c = env(&[
            base[0],
            base[1],
            ("CCTOKEN_PRIVATE_KEY_FILE", key),
            ("CCTOKEN_KEY_ID", "k1"),
        ])
        .unwrap();
        assert_eq!(c.auth(), ClientAuth::PrivateKeyJwt);
        let e = env(&[
            base[0],
            base[1],
            ("CCTOKEN_PRIVATE_KEY_FILE", key),
            ("CCTOKEN_ALG", "RS256"),
        ])
        .unwrap_err();
        assert!(
            e.to_string()
                .contains("CCTOKEN_ALG: this P-256 key cannot sign RS256"),
            "{e}"
        );
    }
    let c = env(&[
        base[0],
        base[1],
        ("CCTOKEN_CLIENT_ASSERTION_FILE", "/var/run/secrets/token"),
    ])
    .unwrap();
    assert_eq!(c.auth(), ClientAuth::PrivateKeyJwt);
    let e = env(&[
        base[0],
        base[1],
        ("CCTOKEN_CLIENT_SECRET", "pw"),
        ("CCTOKEN_PRIVATE_KEY_FILE", key),
    ])
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("CCTOKEN_CLIENT_SECRET and CCTOKEN_PRIVATE_KEY_FILE are all set"),
        "{e}"
    );
    let e = env(&[
        base[0],
        base[1],
        ("CCTOKEN_CLIENT_SECRET", "pw"),
        ("CCTOKEN_KEY_ID", "k"),
    ])
    .unwrap_err();
    assert!(
        e.to_string()
            .contains("CCTOKEN_KEY_ID: applies to a private key only"),
        "{e}"
    );
}
