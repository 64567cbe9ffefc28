//! The `cctoken` command, run as a process against a loopback endpoint.
#![cfg(feature = "cli")]

mod common;

use common::{is_root, skipped, Reply, Server, TempDir};
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
fn damaged_cache_files_of_ours_are_ignored_and_rewritten() {
    let server = token_server();
    let dir = TempDir::new("cachebad");
    let cache = dir.path().join("token.json");
    let path = cache.to_str().unwrap();
    // A good cache for other credentials (another scope).
    let other = {
        let o = run(&server, &dir, &["--cache", path, "--scope", "other"]);
        check(&o, 0);
        std::fs::read_to_string(&cache).unwrap()
    };
    let good_len = other.len();
    let cases: [(&str, String); 2] = [
        ("truncated", other[..good_len / 2].to_owned()),
        ("other credentials", other.clone()),
    ];
    let mut expected = server.count();
    for (what, text) in cases {
        std::fs::write(&cache, &text).unwrap();
        set_mode(&cache, 0o600);
        let o = run(&server, &dir, &["--cache", path]);
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

/// Files the command did not write, or that break the file rules, stop it
/// with exit status 3 and a message naming the file and the fix; the file
/// is left as it was and nothing is fetched.
#[test]
fn foreign_or_open_cache_files_are_refused_and_kept() {
    let server = token_server();
    let dir = TempDir::new("cacheforeign");
    let cache = dir.path().join("token.json");
    let path = cache.to_str().unwrap();
    let o = run(&server, &dir, &["--cache", path]);
    check(&o, 0);
    let ours = std::fs::read_to_string(&cache).unwrap();
    let before = server.count();
    for (what, text, file_mode, needle) in [
        (
            "the secret file by mistake",
            format!("{SECRET}\n"),
            0o600,
            "not a token cache file",
        ),
        (
            "bad JSON",
            "{not json".to_owned(),
            0o600,
            "not a token cache file",
        ),
        ("mode 644", ours.clone(), 0o644, "chmod 600"),
    ] {
        std::fs::write(&cache, &text).unwrap();
        set_mode(&cache, file_mode);
        let o = run(&server, &dir, &["--cache", path]);
        check(&o, 3);
        assert!(stderr(&o).contains(needle), "{what}: {}", stderr(&o));
        assert!(stderr(&o).contains(path), "{what}: names the file");
        assert_eq!(
            std::fs::read_to_string(&cache).unwrap(),
            text,
            "{what}: kept"
        );
        assert_eq!(server.count(), before, "{what}: nothing fetched");
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

/// What one layer sets: flags, `CCTOKEN_*` variables, a creds.json.
#[derive(Default, Clone)]
struct Layer {
    flags: Vec<String>,
    env: Vec<(String, String)>,
    file: Vec<(String, String)>,
}

/// Runs the command with `layer` (the file, if any, written mode 600) and
/// returns its output and the request `server` got, if any.
fn run_layer(server: &Server, dir: &TempDir, layer: &Layer) -> (Output, Option<common::Captured>) {
    let before = server.count();
    let mut args: Vec<String> = layer.flags.clone();
    if !layer.file.is_empty() {
        let members: serde_json::Map<String, serde_json::Value> = layer
            .file
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        let path = dir.write(
            "layer.json",
            &serde_json::Value::Object(members).to_string(),
            0o600,
        );
        args.push("--credentials".into());
        args.push(path.to_str().unwrap().into());
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut cmd = cctoken(&refs);
    for (k, v) in &layer.env {
        cmd.env(k, v);
    }
    let o = cmd.output().unwrap();
    let req = (server.count() > before).then(|| server.requests().pop().unwrap());
    (o, req)
}

/// Item 9 of issue 11: one rule for every setting — a flag beats its
/// variable, which beats the credentials file — tested for every pair of
/// sources of every setting, with the losing value present each time.
#[test]
fn item09_flags_over_environment_over_file_for_every_pair() {
    let winner = token_server();
    let loser = token_server();
    let dir = TempDir::new("layers");
    let s1 = dir.write("s1", "secret-from-flag\n", 0o600);
    let s2 = dir.write("s2", "secret-from-env-file\n", 0o600);
    let s1 = s1.to_str().unwrap().to_owned();
    let s2 = s2.to_str().unwrap().to_owned();
    let wurl = winner.url("/token");
    let lurl = loser.url("/token");
    // (setting, flag, variable, file member, winning value, losing value,
    // check on the request).
    type Check = fn(&common::Captured, &str) -> bool;
    let body_has: Check = |r, v| r.body_text().contains(v);
    let basic: Check = |r, v| r.header("authorization").is_some() == (v == "basic");
    let one_audience: Check = |r, v| {
        let body = r.body_text();
        body.matches("audience=").count() == 1 && body.contains(&format!("audience={v}"))
    };
    struct Case {
        name: &'static str,
        flag: Option<&'static str>,
        var: Option<&'static str>,
        member: &'static str,
        win: String,
        lose: String,
        check: Check,
    }
    let cases = [
        Case {
            name: "token URL",
            flag: Some("--token-url"),
            var: Some("CCTOKEN_TOKEN_URL"),
            member: "token_url",
            win: wurl.clone(),
            lose: lurl.clone(),
            check: |_, _| true,
        },
        Case {
            name: "client id",
            flag: Some("--client-id"),
            var: Some("CCTOKEN_CLIENT_ID"),
            member: "client_id",
            win: "id-win".into(),
            lose: "id-lose".into(),
            check: body_has,
        },
        Case {
            name: "scope",
            flag: Some("--scope"),
            var: Some("CCTOKEN_SCOPE"),
            member: "scope",
            win: "scope-win".into(),
            lose: "scope-lose".into(),
            check: body_has,
        },
        Case {
            name: "audience",
            flag: Some("--param"),
            var: Some("CCTOKEN_AUDIENCE"),
            member: "audience",
            win: "aud-win".into(),
            lose: "aud-lose".into(),
            check: one_audience,
        },
        Case {
            name: "encoding",
            flag: Some("--encoding"),
            var: None,
            member: "encoding",
            win: "json".into(),
            lose: "multipart".into(),
            check: |r, _| {
                r.header("content-type")
                    .unwrap()
                    .starts_with("application/json")
            },
        },
        Case {
            name: "auth",
            flag: Some("--auth"),
            var: None,
            member: "auth",
            win: "basic".into(),
            lose: "body".into(),
            check: basic,
        },
    ];
    // What every run needs, from the flags, unless the case sets it.
    let base = |skip: &str| {
        let mut flags: Vec<String> = Vec::new();
        if skip != "token URL" {
            flags.extend(["--token-url".into(), wurl.clone()]);
        }
        if skip != "client id" {
            flags.extend(["--client-id".into(), "id-base".into()]);
        }
        flags.extend(["--client-secret-file".into(), s1.clone()]);
        flags
    };
    let mut checked = 0;
    for case in &cases {
        let flag_value = |v: &str| match case.flag {
            Some("--param") => format!("audience={v}"),
            _ => v.to_owned(),
        };
        let as_flag = |v: &str| vec![case.flag.unwrap().to_owned(), flag_value(v)];
        let as_env = |v: &str| vec![(case.var.unwrap().to_owned(), v.to_owned())];
        let as_file = |v: &str| vec![(case.member.to_owned(), v.to_owned())];
        let mut pairs: Vec<(&str, Layer)> = vec![(
            "flag over file",
            Layer {
                flags: [base(case.name), as_flag(&case.win)].concat(),
                file: as_file(&case.lose),
                ..Layer::default()
            },
        )];
        if case.var.is_some() {
            pairs.push((
                "flag over environment",
                Layer {
                    flags: [base(case.name), as_flag(&case.win)].concat(),
                    env: as_env(&case.lose),
                    ..Layer::default()
                },
            ));
            pairs.push((
                "environment over file",
                Layer {
                    flags: base(case.name),
                    env: as_env(&case.win),
                    file: as_file(&case.lose),
                },
            ));
        }
        for (pair, layer) in pairs {
            let (o, req) = run_layer(&winner, &dir, &layer);
            check(&o, 0);
            let req = req
                .unwrap_or_else(|| panic!("{}: {pair}: no request reached the winner", case.name));
            assert!(
                (case.check)(&req, &case.win),
                "{}: {pair}: {}",
                case.name,
                req.body_text()
            );
            assert!(
                !req.body_text().contains(&case.lose)
                    || case.name == "auth"
                    || case.name == "encoding",
                "{}: {pair}",
                case.name
            );
            checked += 1;
        }
    }
    assert_eq!(loser.count(), 0, "the losing token URL got a request");
    // The secret: flag over environment over file.
    for (pair, layer) in [
        (
            "flag over environment",
            Layer {
                flags: vec![
                    "--token-url".into(),
                    wurl.clone(),
                    "--client-id".into(),
                    "i".into(),
                    "--client-secret-file".into(),
                    s1.clone(),
                ],
                env: vec![("CCTOKEN_CLIENT_SECRET_FILE".into(), s2.clone())],
                ..Layer::default()
            },
        ),
        (
            "flag over file",
            Layer {
                flags: vec![
                    "--token-url".into(),
                    wurl.clone(),
                    "--client-id".into(),
                    "i".into(),
                    "--client-secret-file".into(),
                    s1.clone(),
                ],
                file: vec![("client_secret".into(), "secret-from-file".into())],
                ..Layer::default()
            },
        ),
        (
            "environment over file",
            Layer {
                flags: vec![
                    "--token-url".into(),
                    wurl.clone(),
                    "--client-id".into(),
                    "i".into(),
                ],
                env: vec![("CCTOKEN_CLIENT_SECRET".into(), "secret-from-flag".into())],
                file: vec![("client_secret".into(), "secret-from-file".into())],
            },
        ),
    ] {
        let (o, req) = run_layer(&winner, &dir, &layer);
        check(&o, 0);
        let body = req.unwrap().body_text();
        assert!(
            body.contains("client_secret=secret-from-flag"),
            "secret: {pair}: {body}"
        );
        checked += 1;
    }
    assert_eq!(checked, 17);
}

/// Item 10: the command prints the cause of a failure, names a host that
/// does not resolve, and attributes a bad flag value to the flag.
#[test]
fn item10_errors_name_the_host_the_cause_and_the_flag() {
    let dir = TempDir::new("item10");
    let secret = dir.write("secret", SECRET, 0o600);
    let args = |url: &str| {
        cctoken(&[
            "--token-url",
            url,
            "--client-id",
            "x",
            "--client-secret-file",
            secret.to_str().unwrap(),
        ])
    };
    // The cause behind "connection failed", from the operating system.
    let o = args(&common::closed_port_url("/token")).output().unwrap();
    check(&o, 5);
    assert!(
        stderr(&o).contains("Connection refused (os error 111)"),
        "{}",
        stderr(&o)
    );

    // An unresolvable name. Only root can give the command a resolver of
    // its own (a private mount namespace whose resolv.conf points at
    // 127.0.0.1, where nothing answers) in a network namespace of its own
    // (only a loopback interface, down): nothing leaves the machine, even
    // through a resolver that ignores resolv.conf.
    let unshare = std::path::Path::new("/usr/bin/unshare");
    if is_root() && unshare.exists() {
        let resolv = dir.write("resolv.conf", "nameserver 127.0.0.1\n", 0o644);
        let host = "no-such-host.invalid";
        let cmd = args(&format!("https://{host}/token"));
        let mut isolated = Command::new(unshare);
        isolated
            .args([
                "--mount",
                "--net",
                "sh",
                "-c",
                "mount --bind \"$0\" /etc/resolv.conf && exec \"$@\"",
            ])
            .arg(&resolv)
            .arg(cmd.get_program())
            .args(cmd.get_args());
        for (k, v) in cmd.get_envs() {
            match v {
                Some(v) => isolated.env(k, v),
                None => isolated.env_remove(k),
            };
        }
        let o = isolated.output().unwrap();
        check(&o, 5);
        let err = stderr(&o);
        assert!(
            err.contains(&format!("cannot resolve host name `{host}`")),
            "{err}"
        );
        assert!(err.contains("failed to lookup address"), "the cause: {err}");
    } else {
        skipped("the unresolvable-host part of item10: needs root and unshare");
    }

    let o = args("ftp://a.example/t")
        .env("CCTOKEN_TOKEN_URL", "https://from-env.example/t")
        .output()
        .unwrap();
    check(&o, 3);
    assert!(
        stderr(&o).contains("--token-url: token URL"),
        "{}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains("environment"), "{}", stderr(&o));
}

/// The command line of `cmd` run by `sh` with standard output redirected
/// as `redirect` says (`>&-` closes it).
fn through_shell(cmd: &Command, redirect: &str) -> Command {
    let mut sh = Command::new("sh");
    sh.arg("-c")
        .arg(format!("exec \"$@\" {redirect}"))
        .arg("sh")
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => sh.env(k, v),
            None => sh.env_remove(k),
        };
    }
    sh
}

/// Item 10: a token that cannot be written out is exit status 7, whether
/// standard output is closed or full — never 0 with nothing printed.
#[test]
fn item10_unwritable_stdout_is_its_own_failure() {
    let server = token_server();
    let dir = TempDir::new("stdout");
    let secret = dir.write("secret", SECRET, 0o600);
    let url = server.url("/token");
    let cmd = cctoken(&[
        "--token-url",
        &url,
        "--client-id",
        "x",
        "--client-secret-file",
        secret.to_str().unwrap(),
    ]);
    for redirect in [">&-", ">/dev/full"] {
        let o = through_shell(&cmd, redirect).output().unwrap();
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(7), "{redirect}: {err}");
        assert!(
            err.contains("cannot write the token to standard output"),
            "{err}"
        );
        assert!(!err.contains("tok-") && !err.contains(SECRET));
    }
}

/// Item 12: a byte-order mark is not part of the secret; `-` reads the
/// secret from standard input.
#[test]
fn item12_bom_is_dropped_and_the_secret_can_be_piped() {
    let server = token_server();
    let dir = TempDir::new("bom");
    let url = server.url("/token");
    let bom = dir.write("bom", "\u{feff}bom-secret-123\r\n", 0o600);
    let o = cctoken(&[
        "--token-url",
        &url,
        "--client-id",
        "x",
        "--client-secret-file",
        bom.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    check(&o, 0);
    let body = server.requests().pop().unwrap().body_text();
    assert!(body.ends_with("client_secret=bom-secret-123"), "{body}");

    use std::io::Write as _;
    let mut child = cctoken(&[
        "--token-url",
        &url,
        "--client-id",
        "x",
        "--client-secret-file",
        "-",
    ])
    .stdin(std::process::Stdio::piped())
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"piped-secret-456\n")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    check(&o, 0);
    let body = server.requests().pop().unwrap().body_text();
    assert!(body.contains("client_secret=piped-secret-456"), "{body}");
}

/// Item 13: `--refresh` ignores the cached token, fetches, and caches the
/// new one for the next run.
#[test]
fn item13_refresh_replaces_the_cached_token() {
    let server = token_server();
    let dir = TempDir::new("refresh");
    let cache = dir.path().join("token.json");
    let path = cache.to_str().unwrap();
    let o = run(&server, &dir, &["--cache", path]);
    check(&o, 0);
    assert_eq!(stdout(&o), "tok-1\n");
    let o = run(&server, &dir, &["--cache", path]);
    assert_eq!(stdout(&o), "tok-1\n", "cached");
    let o = run(&server, &dir, &["--cache", path, "--refresh"]);
    check(&o, 0);
    assert_eq!(stdout(&o), "tok-2\n", "fetched anew");
    let o = run(&server, &dir, &["--cache", path]);
    assert_eq!(stdout(&o), "tok-2\n", "the new token is cached");
    assert_eq!(server.count(), 2);
}

/// Issue 12: the command signs client assertions with a key, with the
/// secret, or sends one from a file; never a secret on the wire then.
#[test]
fn key_based_client_authentication_flags() {
    let server = token_server();
    let dir = TempDir::new("jwtflags");
    let url = server.url("/token");
    let pem = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/keys/rsa-pkcs1.pem"
    ))
    .unwrap();
    let key = dir.write("key.pem", &pem, 0o600);
    let o = cctoken(&[
        "--token-url",
        &url,
        "--client-id",
        "cli-id",
        "--private-key",
        key.to_str().unwrap(),
        "--key-id",
        "rsa-1",
        "--alg",
        "PS256",
        "--assertion-audience",
        "https://issuer.example/",
    ])
    .output()
    .unwrap();
    check(&o, 0);
    let body = server.requests().pop().unwrap().body_text();
    assert!(body.contains("client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"), "{body}");
    let jwt = body.split("client_assertion=").nth(1).unwrap();
    let header = jwt.split('.').next().unwrap();
    // {"alg":"PS256","typ":"JWT","kid":"rsa-1"} in base64url.
    assert_eq!(
        header,
        "eyJhbGciOiJQUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6InJzYS0xIn0"
    );
    assert!(!body.contains("client_secret"), "{body}");

    // client_secret_jwt: the secret signs; it is not sent.
    let secret = dir.write("secret", "a-client-secret-of-32-bytes-0123\n", 0o600);
    let o = cctoken(&[
        "--token-url",
        &url,
        "--client-id",
        "cli-id",
        "--client-secret-file",
        secret.to_str().unwrap(),
        "--auth",
        "client-secret-jwt",
    ])
    .output()
    .unwrap();
    check(&o, 0);
    let body = server.requests().pop().unwrap().body_text();
    assert!(
        body.contains("client_assertion=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."),
        "{body}"
    );
    assert!(!body.contains("a-client-secret"), "{body}");

    // An assertion file; an expired one is exit status 3, naming the file.
    let jwt = "eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjQxMDI0NDQ4MDB9.c2ln"; // exp 2100-01-01
    let file = dir.write("assertion", jwt, 0o600);
    let o = cctoken(&[
        "--token-url",
        &url,
        "--client-id",
        "cli-id",
        "--client-assertion-file",
        file.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    check(&o, 0);
    let body = server.requests().pop().unwrap().body_text();
    assert!(body.ends_with(&format!("client_assertion={jwt}")), "{body}");
    let old = dir.write("old", "eyJhbGciOiJSUzI1NiJ9.eyJleHAiOjF9.c2ln", 0o600); // exp 1
    let o = cctoken(&[
        "--token-url",
        &url,
        "--client-id",
        "cli-id",
        "--client-assertion-file",
        old.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    check(&o, 3);
    assert!(
        stderr(&o).contains("expired") && stderr(&o).contains(old.to_str().unwrap()),
        "{}",
        stderr(&o)
    );

    // Two proofs at once: refused, naming both flags.
    let o = cctoken(&[
        "--token-url",
        &url,
        "--client-id",
        "x",
        "--client-secret-file",
        secret.to_str().unwrap(),
        "--private-key",
        key.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    check(&o, 3);
    assert!(
        stderr(&o).contains("--client-secret-file and --private-key"),
        "{}",
        stderr(&o)
    );
}

/// Issue 13: `--dpop-key` binds the token; `--output headers --for` prints
/// both header lines, in a form `curl -H @FILE` reads.
#[test]
fn dpop_key_and_headers_output() {
    let server = Server::start(|_| {
        Reply::json(
            200,
            r#"{"access_token":"dpop-tok","token_type":"DPoP","expires_in":3600}"#,
        )
    });
    let dir = TempDir::new("dpopcli");
    let key = dir.write(
        "dpop.pem",
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/keys/p256-pkcs8.pem"
        ))
        .unwrap(),
        0o600,
    );
    let key = key.to_str().unwrap();
    let o = run(
        &server,
        &dir,
        &[
            "--dpop-key",
            key,
            "--output",
            "headers",
            "--for",
            "GET https://api.example.com/things?x=1",
        ],
    );
    check(&o, 0);
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert_eq!(lines[0], "Authorization: DPoP dpop-tok");
    let proof = lines[1].strip_prefix("DPoP: ").expect("a DPoP line");
    assert_eq!(proof.split('.').count(), 3);
    assert!(server.requests().pop().unwrap().header("dpop").is_some());
    // The bare header would be useless for a DPoP token: refused.
    let o = run(&server, &dir, &["--dpop-key", key, "--output", "header"]);
    check(&o, 3);
    assert!(
        stderr(&o).contains("--output headers --for"),
        "{}",
        stderr(&o)
    );
    let o = run(&server, &dir, &["--dpop-key", key, "--output", "headers"]);
    check(&o, 3);
    // A DPoP key readable by others is refused like any key.
    let open = dir.write("open.pem", "x", 0o644);
    let o = run(&server, &dir, &["--dpop-key", open.to_str().unwrap()]);
    check(&o, 3);
    assert!(stderr(&o).contains("chmod 600"), "{}", stderr(&o));
}

/// Issue 14: `--issuer` instead of `--token-url`: the endpoint and the
/// method come from the metadata; with `--cache`, a cached run makes no
/// request at all; metadata for another issuer is exit status 3.
#[test]
fn issuer_flag_discovers_and_a_cached_run_makes_no_request() {
    let server = common::issuer_server("tok-issuer");
    let dir = TempDir::new("issuercli");
    let secret = dir.write("secret", SECRET, 0o600);
    let cache = dir.path().join("token.json");
    let issuer = server.url("");
    let args = |issuer: &str| {
        vec![
            "--issuer".to_owned(),
            issuer.to_owned(),
            "--client-id".into(),
            "cli-id".into(),
            "--client-secret-file".into(),
            secret.to_str().unwrap().into(),
            "--cache".into(),
            cache.to_str().unwrap().into(),
        ]
    };
    let run_with = |issuer: &str| {
        let a = args(issuer);
        let refs: Vec<&str> = a.iter().map(String::as_str).collect();
        cctoken(&refs).output().unwrap()
    };
    let o = run_with(&issuer);
    check(&o, 0);
    assert_eq!(stdout(&o), "tok-issuer\n");
    assert_eq!(server.count(), 2, "metadata, then the token");
    let o = run_with(&issuer);
    check(&o, 0);
    assert_eq!(stdout(&o), "tok-issuer\n");
    assert_eq!(server.count(), 2, "a cached run makes no request at all");
    // Asked for another issuer (one byte more), the metadata does not fit.
    let o = run_with(&format!("{issuer}/"));
    check(&o, 3);
    assert!(stderr(&o).contains("issuer"), "{}", stderr(&o));
    assert_eq!(server.count(), 3, "only the metadata request");
    // A token URL given with the issuer is part of the cache's key and is
    // checked against the metadata: another one is not served the cached
    // token, and is refused (exit 3) after the metadata request.
    let mut a = args(&issuer);
    a.extend(["--token-url".to_owned(), server.url("/other/token")]);
    let refs: Vec<&str> = a.iter().map(String::as_str).collect();
    let o = cctoken(&refs).output().unwrap();
    check(&o, 3);
    assert!(stderr(&o).contains("/other/token"), "{}", stderr(&o));
    assert_eq!(server.count(), 4, "the metadata request, no token request");
}
