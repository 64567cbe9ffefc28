//! Loading [`Credentials`] from a `creds.json` file and from the
//! environment.

use crate::credentials::{ClientAuth, Credentials, Encoding};
use crate::error::{sanitize, Error, ErrorKind, Result};
use crate::parse::Member;
use crate::secret::{zero_bytes, zero_string, Secret};
use std::ffi::OsString;
use std::fs::File;
use std::io::Read;
use std::path::Path;

/// The largest credentials or secret file read.
const MAX_FILE_BYTES: u64 = 64 * 1024;

fn cred_error(detail: String) -> Error {
    Error::new(ErrorKind::Credentials, detail)
}

impl Credentials {
    /// Loads credentials from a JSON file such as Hydrosat's `creds.json`:
    ///
    /// ```json
    /// {"client_id": "…", "client_secret": "…",
    ///  "token_url": "https://auth.example.com/oauth/token",
    ///  "scope": "read write", "audience": "https://api.example.com",
    ///  "encoding": "form", "auth": "body"}
    /// ```
    ///
    /// `client_id`, `client_secret` and `token_url` are required; `scope`,
    /// `audience`, `encoding` (`form`, `json`, `multipart`) and `auth`
    /// (`body`, `basic`, `basic-unencoded`) are optional. Other members are
    /// refused, so that a misspelt name is not silently ignored. When the
    /// program knows the URL and the file does not carry it, use
    /// [`from_json_file_with_url`](Credentials::from_json_file_with_url).
    ///
    /// On Unix the file must not be accessible by group or others (like an
    /// ssh key): a file with mode `644` is refused with a message that
    /// says to run `chmod 600`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Credentials`] naming the file and the problem: the file
    /// cannot be read, is larger than 64 KiB, is too open, is not a JSON
    /// object, or a member is missing, empty, of the wrong type or unknown;
    /// or the values fail [`Credentials::new`].
    pub fn from_json_file(path: impl AsRef<Path>) -> Result<Credentials> {
        load_json_file(path.as_ref(), None)
    }

    /// As [`from_json_file`](Credentials::from_json_file), with
    /// `token_url` used when the file has no `token_url` member (the
    /// file's value wins when it has one).
    ///
    /// # Errors
    ///
    /// As [`from_json_file`](Credentials::from_json_file).
    pub fn from_json_file_with_url(path: impl AsRef<Path>, token_url: &str) -> Result<Credentials> {
        load_json_file(path.as_ref(), Some(token_url))
    }

    /// Loads credentials from the environment:
    ///
    /// | variable | |
    /// |---|---|
    /// | `CCTOKEN_TOKEN_URL` | required |
    /// | `CCTOKEN_CLIENT_ID` | required |
    /// | `CCTOKEN_CLIENT_SECRET` | the secret, or: |
    /// | `CCTOKEN_CLIENT_SECRET_FILE` | a file holding it (one trailing newline is dropped; same permission rule as [`from_json_file`](Credentials::from_json_file)) |
    /// | `CCTOKEN_SCOPE` | optional |
    /// | `CCTOKEN_AUDIENCE` | optional, sent as `audience` |
    ///
    /// This is the only place cctoken reads the environment.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Credentials`] naming the variable: missing, empty, not
    /// UTF-8, both secret variables set, or an unusable secret file.
    pub fn from_env() -> Result<Credentials> {
        from_lookup(|name| std::env::var_os(name))
    }
}

/// [`Credentials::from_env`] over any lookup, for tests.
pub(crate) fn from_lookup(lookup: impl Fn(&str) -> Option<OsString>) -> Result<Credentials> {
    let var = |name: &str| -> Result<Option<String>> {
        match lookup(name) {
            None => Ok(None),
            Some(v) => match v.into_string() {
                Ok(s) if s.is_empty() => Ok(None),
                Ok(s) => Ok(Some(s)),
                Err(_) => Err(cred_error(format!("{name} is not valid UTF-8"))),
            },
        }
    };
    let required = |name: &str| -> Result<String> {
        var(name)?.ok_or_else(|| cred_error(format!("{name} is not set")))
    };
    let url = required("CCTOKEN_TOKEN_URL")?;
    let id = required("CCTOKEN_CLIENT_ID")?;
    let secret = match (
        var("CCTOKEN_CLIENT_SECRET")?,
        var("CCTOKEN_CLIENT_SECRET_FILE")?,
    ) {
        (Some(s), None) => Secret::new(s),
        (None, Some(path)) => read_secret_file(Path::new(&path))?,
        (Some(_), Some(_)) => {
            return Err(cred_error(
                "both CCTOKEN_CLIENT_SECRET and CCTOKEN_CLIENT_SECRET_FILE are set; set one".into(),
            ))
        }
        (None, None) => {
            return Err(cred_error(
                "neither CCTOKEN_CLIENT_SECRET nor CCTOKEN_CLIENT_SECRET_FILE is set".into(),
            ))
        }
    };
    let mut creds = Credentials::new(&url, &id, secret.expose())
        .map_err(|e| cred_error(format!("from the environment: {e}")))?;
    if let Some(scope) = var("CCTOKEN_SCOPE")? {
        creds = creds.with_scope(&scope);
    }
    if let Some(audience) = var("CCTOKEN_AUDIENCE")? {
        creds = creds.with_param("audience", &audience);
    }
    Ok(creds)
}

fn read_secret_file(path: &Path) -> Result<Secret> {
    let mut text = read_private(path)?;
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    if text.is_empty() {
        return Err(cred_error(format!(
            "{}: secret file is empty",
            path.display()
        )));
    }
    Ok(Secret::new(text))
}

/// Reads a small file (at most 64 KiB) that must be a regular file private
/// to its owner: a credentials file, a secret file, the token cache.
pub(crate) fn read_private(path: &Path) -> Result<String> {
    let shown = path.display();
    let not_regular = || cred_error(format!("{shown}: not a regular file"));
    // Opening a FIFO would block until something writes to it: look first.
    // (Errors of `metadata` are left to `open`, which names them.)
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        return Err(not_regular());
    }
    let file = File::open(path).map_err(|e| cred_error(format!("{shown}: cannot open: {e}")))?;
    let meta = file
        .metadata()
        .map_err(|e| cred_error(format!("{shown}: cannot stat: {e}")))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(cred_error(format!(
                "{shown}: permissions {mode:04o} are too open (group or others can access it); \
                 run `chmod 600 {shown}`"
            )));
        }
    }
    if !meta.is_file() {
        return Err(not_regular());
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| cred_error(format!("{shown}: cannot read: {e}")))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        zero_bytes(bytes);
        return Err(cred_error(format!(
            "{shown}: larger than {MAX_FILE_BYTES} bytes"
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        zero_bytes(e.into_bytes());
        cred_error(format!("{shown}: not valid UTF-8"))
    })
}

const FILE_MEMBERS: [&str; 7] = [
    "client_id",
    "client_secret",
    "token_url",
    "scope",
    "audience",
    "encoding",
    "auth",
];

fn load_json_file(path: &Path, default_url: Option<&str>) -> Result<Credentials> {
    let mut text = read_private(path)?;
    let result = parse_json(&text, &path.display().to_string(), default_url);
    zero_string(&mut text);
    result
}

/// Credentials from the text of a `creds.json`; `shown` names the file in
/// errors.
pub(crate) fn parse_json(
    text: &str,
    shown: &str,
    default_url: Option<&str>,
) -> Result<Credentials> {
    let object = crate::parse::json_object(text.as_bytes(), "the file")
        .map_err(|why| cred_error(format!("{shown}: {why}")))?;
    if let Some(unknown) = object.names().find(|k| !FILE_MEMBERS.contains(k)) {
        return Err(cred_error(format!(
            "{shown}: unknown member `{}` (known: {})",
            sanitize(unknown, 40),
            FILE_MEMBERS.join(", ")
        )));
    }
    let take = |name: &str| -> Result<Option<String>> {
        match object.get(name) {
            None | Some(Member::Null) => Ok(None),
            Some(Member::String(s)) if s.is_empty() => {
                Err(cred_error(format!("{shown}: `{name}` is empty")))
            }
            Some(Member::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(cred_error(format!("{shown}: `{name}` is not a string"))),
        }
    };
    let missing = |name: &str| cred_error(format!("{shown}: `{name}` is missing"));
    let id = take("client_id")?.ok_or_else(|| missing("client_id"))?;
    let secret = Secret::new(take("client_secret")?.ok_or_else(|| missing("client_secret"))?);
    let url = match (take("token_url")?, default_url) {
        (Some(url), _) => url,
        (None, Some(url)) => url.to_owned(),
        (None, None) => return Err(missing("token_url")),
    };
    let scope = take("scope")?;
    let audience = take("audience")?;
    let encoding = match take("encoding")?.as_deref() {
        None | Some("form") => Encoding::Form,
        Some("json") => Encoding::Json,
        Some("multipart") => Encoding::Multipart,
        Some(other) => {
            return Err(cred_error(format!(
                "{shown}: `encoding` is `{}`; expected form, json or multipart",
                sanitize(other, 40)
            )))
        }
    };
    let auth = match take("auth")?.as_deref() {
        None | Some("body") => ClientAuth::RequestBody,
        Some("basic") => ClientAuth::Basic,
        Some("basic-unencoded") => ClientAuth::BasicUnencoded,
        Some(other) => {
            return Err(cred_error(format!(
                "{shown}: `auth` is `{}`; expected body, basic or basic-unencoded",
                sanitize(other, 40)
            )))
        }
    };
    let mut creds = Credentials::new(&url, &id, secret.expose())
        .map_err(|e| cred_error(format!("{shown}: {e}")))?
        .with_encoding(encoding)
        .with_auth(auth);
    if let Some(scope) = scope {
        creds = creds.with_scope(&scope);
    }
    if let Some(audience) = audience {
        creds = creds.with_param("audience", &audience);
    }
    Ok(creds)
}

#[cfg(test)]
#[path = "load_tests.rs"]
mod tests;
