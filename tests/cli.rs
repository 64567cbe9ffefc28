//! The `cctoken` command, run as a process against a loopback endpoint.
#![cfg(feature = "cli")]

mod common;

use common::{Reply, Server, TempDir};
use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const SECRET: &str = "cli-s3cret+/:";

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The command with a clean environment (no CCTOKEN_* from the caller).
/// `CLI_TEST_RUNNER` (set by `.ci/cross.sh` to `qemu-aarch64` or `qemu-arm`) runs the
/// binary through an emulator when it is built for another architecture.
fn cctoken(args: &[&str]) -> Command {
    let bin = env!("CARGO_BIN_EXE_cctoken");
    let mut cmd = match std::env::var_os("CLI_TEST_RUNNER") {
        Some(runner) => {
            let mut cmd = Command::new(runner);
            cmd.arg(bin);
            cmd
        }
        None => Command::new(bin),
    };
    cmd.args(args);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("CCTOKEN_") {
            cmd.env_remove(k);
        }
    }
    cmd
}

/// Runs with the server's URL, client id `cli-id` and the secret in a file.
fn run(server: &Server, dir: &TempDir, extra: &[&str]) -> Output {
    let secret = dir.write("secret", &format!("{SECRET}\n"), 0o600);
    let url = server.url("/token");
    let mut args = vec![
        "--token-url",
        url.as_str(),
        "--client-id",
        "cli-id",
        "--client-secret-file",
        secret.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    cctoken(&args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// Asserts the exit code and that stderr is at most one line without the
/// secret or the token.
fn check(o: &Output, code: i32) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(code), "stderr: {err}");
    assert!(err.lines().count() <= 1, "{err}");
    assert!(!err.contains(SECRET) && !err.contains("tok-"), "{err}");
}

fn token_server() -> Server {
    let n = AtomicUsize::new(0);
    Server::start(move |_| {
        let i = n.fetch_add(1, Ordering::SeqCst) + 1;
        Reply::json(
            200,
            &format!(
                r#"{{"access_token":"tok-{i}","token_type":"Bearer","expires_in":3600,"scope":"read"}}"#
            ),
        )
    })
}

#[test]
fn output_modes() {
    let server = token_server();
    let dir = TempDir::new("out");
    let o = run(&server, &dir, &[]);
    check(&o, 0);
    assert_eq!(stdout(&o), "tok-1\n");
    let o = run(&server, &dir, &["--output", "header"]);
    check(&o, 0);
    assert_eq!(stdout(&o), "Authorization: Bearer tok-2\n");
    let o = run(&server, &dir, &["--output=json"]);
    check(&o, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["access_token"], "tok-3");
    assert_eq!(v["token_type"], "Bearer");
    assert_eq!(v["scope"], "read");
    let left = v["expires_in"].as_u64().unwrap();
    // Usable lifetime: 3600 s less the 10 s skew.
    assert!((3580..=3590).contains(&left), "{left}");
}

#[test]
fn encodings_and_auth_methods_on_the_wire() {
    let server = token_server();
    let dir = TempDir::new("wire");
    for (flags, content_type, basic) in [
        (
            &["--encoding", "form"][..],
            "application/x-www-form-urlencoded",
            false,
        ),
        (&["--encoding", "json"][..], "application/json", false),
        (
            &["--encoding", "multipart"][..],
            "multipart/form-data; boundary=",
            false,
        ),
        (
            &["--auth", "basic"][..],
            "application/x-www-form-urlencoded",
            true,
        ),
        (
            &["--auth", "basic-unencoded", "--encoding", "json"][..],
            "application/json",
            true,
        ),
        (
            &["--auth", "body"][..],
            "application/x-www-form-urlencoded",
            false,
        ),
    ] {
        let o = run(&server, &dir, flags);
        check(&o, 0);
        let req = server.requests().pop().unwrap();
        let ct = req.header("content-type").unwrap();
        assert!(ct.starts_with(content_type), "{flags:?}: {ct}");
        assert_eq!(req.header("authorization").is_some(), basic, "{flags:?}");
        let body = req.body_text();
        assert_eq!(body.contains("client_secret"), !basic, "{flags:?}: {body}");
        assert!(body.contains("client_credentials"), "{body}");
    }
    // Scope and parameters reach the body.
    let o = run(
        &server,
        &dir,
        &["--scope", "read write", "--param", "audience=https://api"],
    );
    check(&o, 0);
    let body = server.requests().pop().unwrap().body_text();
    assert!(
        body.contains("scope=read%20write&audience=https%3A%2F%2Fapi"),
        "{body}"
    );
}

#[test]
fn exit_codes() {
    let dir = TempDir::new("exit");
    // 2: usage, including a secret on the command line.
    let o = cctoken(&["--client-secret", SECRET]).output().unwrap();
    check(&o, 2);
    assert!(stderr(&o).contains("--client-secret-file"));
    check(&cctoken(&["--frobnicate"]).output().unwrap(), 2);
    // 3: configuration / credentials file.
    let o = cctoken(&["--token-url", "https://a.example/t"])
        .output()
        .unwrap();
    check(&o, 3);
    assert!(stderr(&o).contains("CCTOKEN_CLIENT_ID"), "{}", stderr(&o));
    let open = dir.write(
        "creds.json",
        r#"{"client_id":"a","client_secret":"b","token_url":"https://a/t"}"#,
        0o644,
    );
    let o = cctoken(&["--credentials", open.to_str().unwrap()])
        .output()
        .unwrap();
    check(&o, 3);
    assert!(stderr(&o).contains("chmod 600"));
    // 4: OAuth refusal.
    let refuse = Server::start(|_| Reply::json(401, r#"{"error":"invalid_client"}"#));
    let o = run(&refuse, &dir, &[]);
    check(&o, 4);
    assert!(stderr(&o).contains("invalid_client"));
    // 5: network and HTTP errors.
    let down = common::closed_port_url("/token");
    let secret = dir.write("s2", SECRET, 0o600);
    let o = cctoken(&[
        "--token-url",
        &down,
        "--client-id",
        "x",
        "--client-secret-file",
        secret.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    check(&o, 5);
    let gateway =
        Server::start(|_| Reply::http(502, "text/html", &[], b"<html>bad gateway</html>"));
    check(&run(&gateway, &dir, &[]), 5);
    // 6: invalid or unsafe response.
    let bad = Server::start(|_| Reply::json(200, r#"{"access_token":"a\r\nX-Evil: 1"}"#));
    check(&run(&bad, &dir, &[]), 6);
}

#[test]
fn credentials_file_and_environment() {
    let server = token_server();
    let dir = TempDir::new("creds");
    let creds = dir.write(
        "creds.json",
        &format!(r#"{{"client_id":"file-id","client_secret":"{SECRET}","encoding":"json"}}"#),
        0o600,
    );
    let url = server.url("/token");
    let o = cctoken(&[
        "--credentials",
        creds.to_str().unwrap(),
        "--token-url",
        &url,
    ])
    .output()
    .unwrap();
    check(&o, 0);
    let req = server.requests().pop().unwrap();
    assert_eq!(
        req.header("content-type").as_deref(),
        Some("application/json")
    );
    assert!(req.body_text().contains("\"client_id\":\"file-id\""));
    // All from the environment.
    let o = cctoken(&[])
        .env("CCTOKEN_TOKEN_URL", &url)
        .env("CCTOKEN_CLIENT_ID", "env-id")
        .env("CCTOKEN_CLIENT_SECRET", SECRET)
        .env("CCTOKEN_SCOPE", "read")
        .output()
        .unwrap();
    check(&o, 0);
    let body = server.requests().pop().unwrap().body_text();
    assert!(
        body.contains("client_id=env-id") && body.contains("scope=read"),
        "{body}"
    );
}

#[test]
fn cache_ten_runs_one_request_then_refetch_after_expiry() {
    let server = token_server();
    let dir = TempDir::new("cache10");
    let cache = dir.path().join("token.json");
    for _ in 0..10 {
        let o = run(&server, &dir, &["--cache", cache.to_str().unwrap()]);
        check(&o, 0);
        assert_eq!(stdout(&o), "tok-1\n");
    }
    assert_eq!(server.count(), 1);
    assert_eq!(mode(&cache), 0o600);
    let text = std::fs::read_to_string(&cache).unwrap();
    assert!(!text.contains(SECRET));
    // Move the stored wall-clock expiry into the past, as if the hour had
    // gone by: the next run fetches again.
    let past = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        - 10;
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let aged = text
        .replace(
            &format!("\"refresh_at\":{}", v["refresh_at"]),
            &format!("\"refresh_at\":{}", past - 60),
        )
        .replace(
            &format!("\"expires_at\":{}", v["expires_at"]),
            &format!("\"expires_at\":{past}"),
        );
    assert_ne!(aged, text);
    std::fs::write(&cache, aged).unwrap();
    let o = run(&server, &dir, &["--cache", cache.to_str().unwrap()]);
    check(&o, 0);
    assert_eq!(stdout(&o), "tok-2\n");
    assert_eq!(server.count(), 2);
}

#[test]
fn eight_processes_on_a_cold_cache_send_one_request() {
    let n = AtomicUsize::new(0);
    let server = Server::start(move |_| {
        let i = n.fetch_add(1, Ordering::SeqCst) + 1;
        // Answer slowly, so that the other processes start meanwhile.
        Reply::token(&format!("tok-{i}"), 3600).after(Duration::from_millis(300))
    });
    let dir = TempDir::new("cache8");
    let cache = dir.path().join("token.json");
    let secret = dir.write("secret", SECRET, 0o600);
    let url = server.url("/token");
    let children: Vec<_> = (0..8)
        .map(|_| {
            cctoken(&[
                "--token-url",
                &url,
                "--client-id",
                "cli-id",
                "--client-secret-file",
                secret.to_str().unwrap(),
                "--cache",
                cache.to_str().unwrap(),
            ])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    for child in children {
        let o = child.wait_with_output().unwrap();
        check(&o, 0);
        assert_eq!(stdout(&o), "tok-1\n");
    }
    assert_eq!(server.count(), 1);
}

#[test]
fn bad_cache_files_are_ignored_and_rewritten() {
    let server = token_server();
    let dir = TempDir::new("cachebad");
    let cache = dir.path().join("token.json");
    let path = cache.to_str().unwrap();
    // A good cache for other credentials (another client id).
    let other = {
        let o = run(&server, &dir, &["--cache", path, "--scope", "other"]);
        check(&o, 0);
        std::fs::read_to_string(&cache).unwrap()
    };
    let good_len = other.len();
    let cases: [(&str, String, u32); 4] = [
        ("truncated", other[..good_len / 2].to_owned(), 0o600),
        ("bad JSON", "{not json".to_owned(), 0o600),
        ("other credentials", other.clone(), 0o600),
        ("mode 644", other.clone(), 0o644),
    ];
    let mut expected = server.count();
    for (what, text, file_mode) in cases {
        std::fs::write(&cache, &text).unwrap();
        set_mode(&cache, file_mode);
        // The mode-644 case holds a token for these very credentials.
        let extra: &[&str] = if what == "mode 644" {
            &["--cache", path, "--scope", "other"]
        } else {
            &["--cache", path]
        };
        let o = run(&server, &dir, extra);
        check(&o, 0);
        expected += 1;
        assert_eq!(
            server.count(),
            expected,
            "{what}: the file must not be trusted"
        );
        assert_eq!(mode(&cache), 0o600, "{what}");
        let rewritten = std::fs::read_to_string(&cache).unwrap();
        assert_ne!(rewritten, text, "{what}: rewritten");
        assert!(
            serde_json::from_str::<serde_json::Value>(&rewritten).is_ok(),
            "{what}"
        );
    }
}

#[test]
fn help_and_version() {
    let o = cctoken(&["--help"]).output().unwrap();
    check(&o, 0);
    assert!(stdout(&o).contains("--client-secret-file"));
    let o = cctoken(&["--version"]).output().unwrap();
    check(&o, 0);
    assert_eq!(
        stdout(&o),
        format!("cctoken {}\n", env!("CARGO_PKG_VERSION"))
    );
}
