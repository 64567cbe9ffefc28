//! The `cctoken` command (feature `cli`): fetch a token and print it.
//! Hand-written argument parsing; no dependency beyond the library's.

use crate::credentials::{ClientAuth, Credentials, Encoding};
use crate::encode::json_string;
use crate::error::{Error, ErrorKind};
use crate::load;
use crate::source::TokenSource;
use std::ffi::OsString;
use std::io::Write;
use std::time::Duration;

const HELP: &str = "\
cctoken — fetch an OAuth 2.0 client-credentials token and print it

USAGE:
    cctoken [OPTIONS]

CREDENTIALS (flags win over the environment):
    --token-url URL            token endpoint             [CCTOKEN_TOKEN_URL]
    --client-id ID             client id                  [CCTOKEN_CLIENT_ID]
    --client-secret-file PATH  file holding the secret, mode 600
                                           [CCTOKEN_CLIENT_SECRET_FILE or CCTOKEN_CLIENT_SECRET]
    --credentials PATH         creds.json with client_id, client_secret and optionally
                               token_url, scope, audience, encoding, auth (mode 600)
    The secret is never accepted on the command line (it would show in `ps`).

REQUEST:
    --scope S                  scope to ask for           [CCTOKEN_SCOPE]
    --param NAME=VALUE         extra parameter, repeatable (audience, resource)
                                                          [CCTOKEN_AUDIENCE]
    --encoding form|json|multipart     body encoding (default form)
    --auth body|basic|basic-unencoded  client authentication (default body)
    --timeout SECONDS          whole-request timeout (default 30)

OUTPUT:
    --output token|header|json  token (default): the access token;
                               header: `Authorization: Bearer …`;
                               json: {access_token, token_type, expires_in, scope}
    --cache PATH               reuse a token across runs through this file (mode 600,
                               in a directory that is not world-writable)
    -h, --help                 this text
    -V, --version              the version

EXIT STATUS:
    0 success   2 usage error   3 configuration or credentials-file error
    4 the server refused (OAuth error)   5 network, TLS, timeout or HTTP error
    6 invalid or unsafe response
";

#[derive(Clone, Copy, PartialEq)]
enum Output {
    Token,
    Header,
    Json,
}

#[derive(Default)]
struct Args {
    token_url: Option<String>,
    client_id: Option<String>,
    secret_file: Option<String>,
    credentials: Option<String>,
    scope: Option<String>,
    params: Vec<(String, String)>,
    encoding: Option<Encoding>,
    auth: Option<ClientAuth>,
    timeout: Option<Duration>,
    cache: Option<String>,
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
        Ok(Parsed::Help) => {
            print!("{HELP}");
            return 0;
        }
        Ok(Parsed::Version) => {
            println!("cctoken {}", env!("CARGO_PKG_VERSION"));
            return 0;
        }
        Err(message) => {
            eprintln!("cctoken: {message}; see `cctoken --help`");
            return 2;
        }
    };
    match run(&args) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("cctoken: {e}");
            exit_code(e.kind())
        }
    }
}

fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Parsed, String> {
    let mut out = Args::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let arg = arg
            .into_string()
            .map_err(|_| "an argument is not valid UTF-8".to_owned())?;
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg, None),
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(Parsed::Help),
            "-V" | "--version" => return Ok(Parsed::Version),
            _ => {}
        }
        let mut value = || -> Result<String, String> {
            match inline.clone() {
                Some(v) => Ok(v),
                None => args
                    .next()
                    .ok_or_else(|| format!("{flag} needs a value"))?
                    .into_string()
                    .map_err(|_| format!("the value of {flag} is not valid UTF-8")),
            }
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
            "--credentials" => out.credentials = Some(value()?),
            "--scope" => out.scope = Some(value()?),
            "--param" => {
                let v = value()?;
                let (name, val) = v
                    .split_once('=')
                    .ok_or_else(|| format!("--param `{v}` is not NAME=VALUE"))?;
                out.params.push((name.to_owned(), val.to_owned()));
            }
            "--encoding" => {
                out.encoding = Some(match value()?.as_str() {
                    "form" => Encoding::Form,
                    "json" => Encoding::Json,
                    "multipart" => Encoding::Multipart,
                    other => {
                        return Err(format!(
                            "--encoding `{other}`: expected form, json or multipart"
                        ))
                    }
                })
            }
            "--auth" => {
                out.auth = Some(match value()?.as_str() {
                    "body" => ClientAuth::RequestBody,
                    "basic" => ClientAuth::Basic,
                    "basic-unencoded" => ClientAuth::BasicUnencoded,
                    other => {
                        return Err(format!(
                            "--auth `{other}`: expected body, basic or basic-unencoded"
                        ))
                    }
                })
            }
            "--timeout" => {
                let v = value()?;
                let secs: f64 = v
                    .parse()
                    .ok()
                    .filter(|s: &f64| s.is_finite() && *s > 0.0 && *s <= 86_400.0)
                    .ok_or_else(|| {
                        format!("--timeout `{v}`: expected seconds, more than 0, at most 86400")
                    })?;
                out.timeout = Some(Duration::from_secs_f64(secs));
            }
            "--cache" => out.cache = Some(value()?),
            "--output" => {
                out.output = Some(match value()?.as_str() {
                    "token" => Output::Token,
                    "header" => Output::Header,
                    "json" => Output::Json,
                    other => {
                        return Err(format!(
                            "--output `{other}`: expected token, header or json"
                        ))
                    }
                })
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(Parsed::Run(Box::new(out)))
}

fn credentials(args: &Args) -> Result<Credentials, Error> {
    let env = |name: &str| std::env::var_os(name);
    let mut creds = match &args.credentials {
        Some(path) => {
            let url = args
                .token_url
                .clone()
                .or_else(|| env("CCTOKEN_TOKEN_URL").and_then(|v| v.into_string().ok()));
            match url {
                Some(url) => Credentials::from_json_file_with_url(path, &url)?,
                None => Credentials::from_json_file(path)?,
            }
        }
        None => load::from_lookup(|name| {
            let flag = match name {
                "CCTOKEN_TOKEN_URL" => &args.token_url,
                "CCTOKEN_CLIENT_ID" => &args.client_id,
                "CCTOKEN_CLIENT_SECRET_FILE" => &args.secret_file,
                // A secret file given as a flag wins over the variable.
                "CCTOKEN_CLIENT_SECRET" if args.secret_file.is_some() => return None,
                "CCTOKEN_SCOPE" if args.scope.is_some() => return None,
                _ => &None,
            };
            flag.clone().map(OsString::from).or_else(|| env(name))
        })?,
    };
    if let Some(scope) = &args.scope {
        creds = creds.with_scope(scope);
    }
    for (name, value) in &args.params {
        creds = creds.with_param(name, value);
    }
    if let Some(encoding) = args.encoding {
        creds = creds.with_encoding(encoding);
    }
    if let Some(auth) = args.auth {
        creds = creds.with_auth(auth);
    }
    if let Some(timeout) = args.timeout {
        creds = creds.with_timeout(timeout);
    }
    Ok(creds)
}

fn run(args: &Args) -> Result<(), Error> {
    let mut source = TokenSource::new(credentials(args)?);
    if let Some(path) = &args.cache {
        source = source.with_file_cache(path);
    }
    let token = source.token()?;
    let mut line = String::new();
    match args.output.unwrap_or(Output::Token) {
        Output::Token => line.push_str(token.access_token()),
        Output::Header => {
            line.push_str("Authorization: ");
            line.push_str(&token.authorization_header());
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
    let written = std::io::stdout().lock().write_all(line.as_bytes());
    crate::secret::zero_string(&mut line);
    written.map_err(|e| Error::new(ErrorKind::Config, format!("cannot write to stdout: {e}")))
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
