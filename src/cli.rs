//! The `cctoken` command (feature `cli`): fetch a token and print it.
//! Hand-written argument parsing; no dependency beyond the library's.

use crate::credentials::{ClientAuth, Credentials, Encoding};
use crate::encode::json_string;
use crate::error::{Error, ErrorKind};
use crate::load::{one_proof, Field, SecretSource, Setting, Settings, AUTHS, AUTH_NAMES};
use crate::source::token_once;
use std::ffi::OsString;
use std::io::Write;
use std::os::fd::AsFd;
use std::time::Duration;

const HELP: &str = "\
cctoken — fetch an OAuth 2.0 client-credentials token and print it

USAGE:
    cctoken [OPTIONS]

CREDENTIALS:
    --token-url URL            token endpoint             [CCTOKEN_TOKEN_URL]
    --issuer URL               or the issuer: the token endpoint and the client
                               authentication come from its metadata (RFC 8414);
                               with --cache, a cached run makes no request at all
                                                          [CCTOKEN_ISSUER]
    --client-id ID             client id                  [CCTOKEN_CLIENT_ID]
    --client-secret-file PATH  file holding the secret (mode 600, owned by you or root;
                               a byte-order mark and one trailing newline are dropped),
                               or - to read it from standard input
                                    [CCTOKEN_CLIENT_SECRET_FILE or CCTOKEN_CLIENT_SECRET]
    --private-key PATH         PEM private key for private_key_jwt (RFC 7523), mode 600
                                                          [CCTOKEN_PRIVATE_KEY_FILE]
    --key-id ID                its `kid`, as registered with the server [CCTOKEN_KEY_ID]
    --alg ALG                  ES256, ES384, RS256, PS256 or EdDSA (default: from the key)
                                                          [CCTOKEN_ALG]
    --client-assertion-file PATH  a JWT another system writes (workload identity), read
                               for every request         [CCTOKEN_CLIENT_ASSERTION_FILE]
    --assertion-audience AUD   `aud` of assertions (default: the token URL; Auth0 wants
                               its issuer)               [CCTOKEN_ASSERTION_AUDIENCE]
    --dpop-key PATH            bind the token to this PEM key with DPoP (RFC 9449), mode 600
                                                          [CCTOKEN_DPOP_KEY_FILE]
    --credentials PATH         creds.json with client_id and one of client_secret,
                               private_key_file, client_assertion_file, and optionally
                               token_url or issuer, scope, audience, encoding, auth,
                               key_id, alg, assertion_audience, dpop_key_file (mode 600)
    Each setting is taken from the first of: a flag, its CCTOKEN_* variable, the
    --credentials file. A --param NAME replaces every NAME from below it.
    The secret is never accepted on the command line (it would show in `ps`).

REQUEST:
    --scope S                  scope to ask for           [CCTOKEN_SCOPE]
    --param NAME=VALUE         extra parameter, repeatable (audience, resource)
                               [CCTOKEN_AUDIENCE for audience]
    --encoding form|json|multipart     body encoding (default form)
    --auth METHOD              body (default), basic, basic-unencoded, client-secret-jwt;
                               private-key-jwt with a key or an assertion file
    --timeout SECONDS          whole-request timeout (default 30)

OUTPUT:
    --output token|header|headers|json
                               token (default): the access token;
                               header: `Authorization: Bearer …`;
                               headers: `Authorization: …` and, for a DPoP token,
                               `DPoP: <proof>` for the request --for names (a file for
                               `curl -H @FILE`);
                               json: {access_token, token_type, expires_in, scope}
    --for \"METHOD URL\"       the API request a DPoP proof is for (--output headers)
    --cache PATH               reuse a token across runs through this file: mode 600, in a
                               directory owned by you or root that only its owner can write;
                               a path holding anything cctoken did not write is refused
    --refresh                  with --cache: fetch a new token even if one is cached (the
                               API refused it), and cache the new one
    -h, --help                 this text
    -V, --version              the version

EXIT STATUS:
    0 success   2 usage error   3 configuration or credentials-file error, or server
    metadata that does not fit (another issuer, an http token endpoint, no usable method)
    4 the server refused (OAuth error)   5 network, TLS, timeout or HTTP error
    6 invalid or unsafe response   7 the token could not be written to standard output
";

#[derive(Clone, Copy, PartialEq)]
enum Output {
    Token,
    Header,
    Headers,
    Json,
}

#[derive(Default)]
struct Args {
    token_url: Option<String>,
    client_id: Option<String>,
    secret_file: Option<String>,
    issuer: Option<String>,
    private_key: Option<String>,
    key_id: Option<String>,
    alg: Option<String>,
    assertion_file: Option<String>,
    assertion_audience: Option<String>,
    dpop_key: Option<String>,
    for_request: Option<(String, String)>,
    credentials: Option<String>,
    scope: Option<String>,
    params: Vec<(String, String)>,
    encoding: Option<Encoding>,
    auth: Option<ClientAuth>,
    timeout: Option<Duration>,
    cache: Option<String>,
    refresh: bool,
    output: Option<Output>,
}

enum Parsed {
    Run(Box<Args>),
    Help,
    Version,
}

/// Exit status for an error kind.
fn exit_code(kind: ErrorKind) -> i32 {
    match kind {
        ErrorKind::Config | ErrorKind::Credentials => 3,
        ErrorKind::OAuth => 4,
        ErrorKind::Connect
        | ErrorKind::Timeout
        | ErrorKind::Tls
        | ErrorKind::Http
        | ErrorKind::Redirect => 5,
        _ => 6,
    }
}

/// Runs the command with `args` (without the program name) and the
/// process environment; returns the exit status.
pub fn main(args: impl IntoIterator<Item = OsString>) -> i32 {
    let args = match parse(args) {
        Ok(Parsed::Run(args)) => args,
        Ok(Parsed::Help) => return say(false, &[HELP]),
        Ok(Parsed::Version) => {
            return say(false, &["cctoken ", env!("CARGO_PKG_VERSION"), "\n"]);
        }
        Err(message) => {
            say(true, &["cctoken: ", &message, "; see `cctoken --help`\n"]);
            return 2;
        }
    };
    match run(&args) {
        Ok(()) => 0,
        Err(Failure::Token(e)) => {
            say(true, &["cctoken: ", &describe(&e), "\n"]);
            // Metadata that does not fit (another issuer, an http token
            // endpoint) is configuration to fix, not a broken response.
            if e.kind() == ErrorKind::InvalidResponse && e.is_discovery() {
                return 3;
            }
            exit_code(e.kind())
        }
        Err(Failure::Output(e)) => {
            let e = e.to_string();
            say(
                true,
                &[
                    "cctoken: cannot write the token to standard output: ",
                    &e,
                    "\n",
                ],
            );
            7
        }
    }
}

/// Whether standard output was closed when the command started. Rust's
/// runtime then opens `/dev/null` read-write in its place, so that writes
/// succeed into nothing; a `>/dev/null` redirection opens it write-only.
/// (`1<>/dev/null` looks the same and is taken for closed.)
fn was_closed(out: &std::fs::File) -> bool {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let null = out
        .metadata()
        .is_ok_and(|m| m.file_type().is_char_device() && m.rdev() == 0x103);
    if !null {
        return false;
    }
    let Ok(info) = std::fs::read_to_string("/proc/self/fdinfo/1") else {
        return false;
    };
    let flags = info
        .lines()
        .find_map(|l| l.strip_prefix("flags:"))
        .and_then(|f| u32::from_str_radix(f.trim(), 8).ok());
    flags.is_some_and(|f| f & 0o3 == 0o2)
}

/// An error and its causes on one line (`source()` chains from the
/// transport: the I/O or TLS error behind a failed request).
fn describe(e: &Error) -> String {
    let mut line = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        line.push_str(": ");
        line.push_str(&crate::error::sanitize(&c.to_string(), 300));
        cause = c.source();
    }
    line
}

enum Failure {
    Token(Error),
    Output(std::io::Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::Token(e)
    }
}

/// Writes `parts` to stdout or stderr (without the formatting machinery of
/// `print!`, which the size budget of the command notices); returns 0.
fn say(stderr: bool, parts: &[&str]) -> i32 {
    let mut text = String::new();
    for part in parts {
        text.push_str(part);
    }
    let _ = if stderr {
        std::io::stderr().write_all(text.as_bytes())
    } else {
        std::io::stdout().write_all(text.as_bytes())
    };
    0
}

/// The index of `value` among `names`, or a usage error naming `flag`.
fn choice(flag: &str, value: &str, names: &[&str]) -> Result<usize, String> {
    names.iter().position(|n| *n == value).ok_or_else(|| {
        let mut e = format!("{flag} `{value}`: expected");
        for (i, name) in names.iter().enumerate() {
            e.push_str(if i == 0 { " " } else { ", " });
            e.push_str(name);
        }
        e
    })
}

fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Parsed, String> {
    let mut out = Args::default();
    let args = args
        .into_iter()
        .map(OsString::into_string)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| "an argument is not valid UTF-8".to_owned())?;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, mut inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg, None),
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(Parsed::Help),
            "-V" | "--version" => return Ok(Parsed::Version),
            _ => {}
        }
        let mut value = || {
            inline
                .take()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--client-secret" => {
                return Err(
                    "the client secret is not accepted on the command line (other users \
                     could read it in `ps`); use --client-secret-file, --credentials or \
                     CCTOKEN_CLIENT_SECRET"
                        .to_owned(),
                )
            }
            "--token-url" => out.token_url = Some(value()?),
            "--client-id" => out.client_id = Some(value()?),
            "--client-secret-file" => out.secret_file = Some(value()?),
            "--issuer" => out.issuer = Some(value()?),
            "--private-key" => out.private_key = Some(value()?),
            "--key-id" => out.key_id = Some(value()?),
            "--alg" => out.alg = Some(value()?),
            "--client-assertion-file" => out.assertion_file = Some(value()?),
            "--assertion-audience" => out.assertion_audience = Some(value()?),
            "--dpop-key" => out.dpop_key = Some(value()?),
            "--for" => {
                let v = value()?;
                let (method, url) = v
                    .split_once(' ')
                    .filter(|(m, u)| !m.is_empty() && !u.trim().is_empty())
                    .ok_or_else(|| format!("--for `{v}` is not \"METHOD URL\""))?;
                out.for_request = Some((method.to_owned(), url.trim().to_owned()));
            }
            "--credentials" => out.credentials = Some(value()?),
            "--scope" => out.scope = Some(value()?),
            "--param" => {
                let v = value()?;
                let (name, val) = v
                    .split_once('=')
                    .ok_or_else(|| format!("--param `{v}` is not NAME=VALUE"))?;
                // Refused here, not only later by the credentials: a
                // secret in argv is in `ps` for every user to read.
                if matches!(name, "client_secret" | "client_assertion") {
                    return Err(format!(
                        "--param {name}=… is refused: a secret on the command line is visible \
                         to other users in `ps`; use --client-secret-file, \
                         --client-assertion-file, --credentials or the environment"
                    ));
                }
                out.params.push((name.to_owned(), val.to_owned()));
            }
            "--encoding" => {
                let v = value()?;
                let i = choice(&flag, &v, &["form", "json", "multipart"])?;
                out.encoding = Some([Encoding::Form, Encoding::Json, Encoding::Multipart][i]);
            }
            "--auth" => {
                let v = value()?;
                out.auth = Some(AUTHS[choice(&flag, &v, &AUTH_NAMES)?]);
            }
            "--timeout" => {
                let v = value()?;
                let timeout = seconds(&v)
                    .filter(|t| !t.is_zero() && *t <= Duration::from_secs(86_400))
                    .ok_or_else(|| {
                        format!("--timeout `{v}`: expected seconds, more than 0, at most 86400")
                    })?;
                out.timeout = Some(timeout);
            }
            "--cache" => out.cache = Some(value()?),
            "--refresh" => out.refresh = true,
            "--output" => {
                let v = value()?;
                let i = choice(&flag, &v, &["token", "header", "headers", "json"])?;
                out.output =
                    Some([Output::Token, Output::Header, Output::Headers, Output::Json][i]);
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(Parsed::Run(Box::new(out)))
}

/// Decimal seconds (`30`, `2.5`, `0.25`; at most 9 decimals) as a duration.
/// Hand-written: `f64::from_str` would add about 15 KiB to the binary.
fn seconds(v: &str) -> Option<Duration> {
    if v.is_empty() {
        return None;
    }
    let (whole, frac) = match v.split_once('.') {
        Some((whole, frac)) if !frac.is_empty() => (whole, frac),
        Some(_) => return None,
        None => (v, "0"),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(frac) || frac.len() > 9 {
        return None;
    }
    let secs = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let nanos = frac.parse::<u32>().ok()? * 10u32.pow(9 - frac.len() as u32);
    Some(Duration::new(secs, nanos))
}

/// The credentials from the flags over the environment over the
/// `--credentials` file, setting by setting.
fn credentials(args: &Args) -> Result<Credentials, Error> {
    let flag = |value: &Option<String>, name: &str| value.clone().map(|v| Setting::new(v, name));
    let flags = Settings {
        token_url: flag(&args.token_url, "--token-url"),
        client_id: flag(&args.client_id, "--client-id"),
        secret: {
            let mut found = Vec::new();
            if let Some(path) = &args.secret_file {
                let source = if path == "-" {
                    SecretSource::Stdin
                } else {
                    SecretSource::File(path.into())
                };
                found.push(("--client-secret-file".to_owned(), source));
            }
            if let Some(path) = &args.private_key {
                found.push((
                    "--private-key".to_owned(),
                    SecretSource::KeyFile(path.into()),
                ));
            }
            if let Some(path) = &args.assertion_file {
                let source = SecretSource::AssertionFile(path.into());
                found.push(("--client-assertion-file".to_owned(), source));
            }
            one_proof(found)
        },
        scope: flag(&args.scope, "--scope"),
        params: args
            .params
            .iter()
            .map(|p| Setting::new(p.clone(), "--param"))
            .collect(),
        encoding: args.encoding.map(|e| Setting::new(e, "--encoding")),
        auth: args.auth.map(|a| Setting::new(a, "--auth")),
        key_id: flag(&args.key_id, "--key-id"),
        alg: flag(&args.alg, "--alg"),
        assertion_audience: flag(&args.assertion_audience, "--assertion-audience"),
        issuer: flag(&args.issuer, "--issuer"),
        dpop_key: args
            .dpop_key
            .as_ref()
            .map(|p| Setting::new(p.into(), "--dpop-key")),
    };
    let env = Settings::from_lookup(|name| std::env::var_os(name))?;
    let file = match &args.credentials {
        Some(path) => Settings::from_file(path.as_ref())?,
        None => Settings::default(),
    };
    let mut creds = flags.over(env.over(file)).build(&|field| {
        let (flag, member) = match field {
            Field::TokenUrl => ("--token-url", "token_url"),
            Field::ClientId => ("--client-id", "client_id"),
            Field::Secret => {
                return "no client secret, private key or client assertion: give \
                        --client-secret-file, --private-key or --client-assertion-file, set \
                        CCTOKEN_CLIENT_SECRET(_FILE), CCTOKEN_PRIVATE_KEY_FILE or \
                        CCTOKEN_CLIENT_ASSERTION_FILE, or put `client_secret`, \
                        `private_key_file` or `client_assertion_file` in a --credentials file"
                    .to_owned()
            }
        };
        let variable = field.variable();
        format!(
            "no {member}: give {flag}, set {variable}, or put `{member}` in a --credentials file"
        )
    })?;
    if let Some(timeout) = args.timeout {
        creds = creds.with_timeout(timeout);
    }
    Ok(creds)
}

fn run(args: &Args) -> Result<(), Failure> {
    // Standard output is checked before any request: Rust's `stdout()`
    // silently discards writes to a closed descriptor 1, which would end
    // with exit status 0 and no token. A duplicate of the descriptor
    // reports that as an error.
    let mut out = std::io::stdout()
        .as_fd()
        .try_clone_to_owned()
        .map(std::fs::File::from)
        .map_err(Failure::Output)?;
    if was_closed(&out) {
        return Err(Failure::Output(std::io::Error::other(
            "it is closed (the shell's `>&-`)",
        )));
    }
    let token = token_once(
        &credentials(args)?,
        args.cache.as_ref().map(Into::into),
        args.refresh,
    )?;
    let mut line = String::new();
    match args.output.unwrap_or(Output::Token) {
        Output::Token => line.push_str(token.access_token()),
        Output::Header if token.token_type() == "DPoP" => {
            return Err(Failure::Token(Error::config(
                "a DPoP token is useless without its proof: use --output headers --for \"METHOD URL\"",
            )))
        }
        Output::Header => {
            line.push_str("Authorization: ");
            line.push_str(&token.authorization_header());
        }
        Output::Headers => {
            line.push_str("Authorization: ");
            line.push_str(&token.authorization_header());
            if token.token_type() == "DPoP" {
                let Some((method, url)) = &args.for_request else {
                    return Err(Failure::Token(Error::config(
                        "--output headers with a DPoP token needs --for \"METHOD URL\": the proof is for one request",
                    )));
                };
                line.push_str("\nDPoP: ");
                line.push_str(&token.dpop_proof(method, url, None)?);
            }
        }
        Output::Json => {
            line.push_str("{\"access_token\":");
            json_string(token.access_token(), &mut line);
            line.push_str(",\"token_type\":");
            json_string(token.token_type(), &mut line);
            line.push_str(",\"expires_in\":");
            match token.expires_in() {
                Some(left) => line.push_str(&left.as_secs().to_string()),
                None => line.push_str("null"),
            }
            line.push_str(",\"scope\":");
            match token.scope() {
                Some(scope) => json_string(scope, &mut line),
                None => line.push_str("null"),
            }
            line.push('}');
        }
    }
    line.push('\n');
    let written = out.write_all(line.as_bytes());
    crate::secret::zero_string(&mut line);
    written.map_err(Failure::Output)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Result<Parsed, String> {
        parse(list.iter().map(OsString::from))
    }

    #[test]
    fn secret_on_command_line_is_refused() {
        let e = args(&["--client-secret", "x"]).err().unwrap();
        assert!(e.contains("--client-secret-file"), "{e}");
        assert!(args(&["--client-secret=x"]).is_err());
        for p in ["client_secret=hunter2", "client_assertion=eyJ.x.y"] {
            let e = args(&["--param", p]).err().unwrap();
            assert!(e.contains("`ps`"), "{e}");
            assert!(!e.contains("hunter2") && !e.contains("eyJ"), "{e}");
        }
    }

    #[test]
    fn flags_parse_with_space_or_equals() {
        let Ok(Parsed::Run(a)) = args(&[
            "--token-url=https://a/t",
            "--client-id",
            "id",
            "--param",
            "audience=https://api",
            "--param=resource=r1",
            "--encoding",
            "json",
            "--auth=basic",
            "--timeout",
            "1.5",
            "--output",
            "json",
        ]) else {
            panic!("parse failed")
        };
        assert_eq!(a.token_url.as_deref(), Some("https://a/t"));
        assert_eq!(a.client_id.as_deref(), Some("id"));
        assert_eq!(
            a.params,
            [
                ("audience".into(), "https://api".into()),
                ("resource".into(), "r1".into())
            ]
        );
        assert_eq!(a.encoding, Some(Encoding::Json));
        assert_eq!(a.auth, Some(ClientAuth::Basic));
        assert_eq!(a.timeout, Some(Duration::from_millis(1500)));
        assert!(a.output == Some(Output::Json));
    }

    #[test]
    fn usage_errors_name_the_problem() {
        for (list, needle) in [
            (&["--bogus"][..], "unknown argument `--bogus`"),
            (&["--scope"][..], "--scope needs a value"),
            (&["--encoding", "xml"][..], "--encoding `xml`"),
            (&["--auth", "digest"][..], "--auth `digest`"),
            (&["--output", "yaml"][..], "--output `yaml`"),
            (&["--timeout", "0"][..], "--timeout `0`"),
            (&["--timeout", "NaN"][..], "--timeout `NaN`"),
            (&["--param", "novalue"][..], "NAME=VALUE"),
        ] {
            let e = args(list).err().unwrap();
            assert!(e.contains(needle), "{e}");
        }
    }

    #[test]
    fn seconds_are_decimal() {
        assert_eq!(seconds("30"), Some(Duration::from_secs(30)));
        assert_eq!(seconds("2.5"), Some(Duration::from_millis(2500)));
        assert_eq!(seconds(".25"), Some(Duration::from_millis(250)));
        assert_eq!(seconds("0.000000001"), Some(Duration::from_nanos(1)));
        for bad in [
            "",
            ".",
            "5.",
            "-1",
            "+1",
            "1e3",
            "NaN",
            "inf",
            "1.2.3",
            " 1",
            "0.0000000001",
        ] {
            assert_eq!(seconds(bad), None, "{bad:?}");
        }
        assert_eq!(seconds("99999999999999999999999"), None);
    }

    #[test]
    fn exit_codes() {
        assert_eq!(exit_code(ErrorKind::Config), 3);
        assert_eq!(exit_code(ErrorKind::Credentials), 3);
        assert_eq!(exit_code(ErrorKind::OAuth), 4);
        assert_eq!(exit_code(ErrorKind::Timeout), 5);
        assert_eq!(exit_code(ErrorKind::Redirect), 5);
        assert_eq!(exit_code(ErrorKind::InvalidResponse), 6);
        assert_eq!(exit_code(ErrorKind::ResponseTooLarge), 6);
    }
}
