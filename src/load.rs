//! Loading [`Credentials`] from a `creds.json` file and from the
//! environment, as layers of [`Settings`] that the `cctoken` command also
//! stacks under its flags: flags over the environment over the file.

use crate::credentials::{check_url, ClientAuth, Credentials, Encoding};
use crate::error::{sanitize, Error, ErrorKind, Result};
use crate::files::{self, Sharing};
use crate::parse::Member;
use crate::secret::{zero_string, Secret};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

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
    /// The file follows OpenSSH's rules for key files, checked on the
    /// opened file: a regular file (a symbolic link to one is followed),
    /// owned by you or by root, with no permission for group or others
    /// (`chmod 600`). Anything else is refused with a message naming the
    /// file and the fix.
    ///
    /// ```
    /// # let dir = std::env::temp_dir().join(format!("cctoken-doc-{}", std::process::id()));
    /// # std::fs::create_dir_all(&dir).unwrap();
    /// # let path = dir.join("creds.json");
    /// use std::os::unix::fs::PermissionsExt;
    /// std::fs::write(&path, r#"{"client_id":"id","client_secret":"pw","token_url":"https://a.example/t"}"#)?;
    /// std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))?;
    /// let e = cctoken::Credentials::from_json_file(&path).unwrap_err();
    /// assert!(e.to_string().contains("run `chmod 600"));
    ///
    /// std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    /// let creds = cctoken::Credentials::from_json_file(&path)?;
    /// assert_eq!(creds.client_id(), "id");
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Credentials`] naming the file and the problem: the file
    /// cannot be read, is larger than 64 KiB, breaks the rules above, is not
    /// a JSON object, or a member is missing, empty, of the wrong type or
    /// unknown; or the values fail [`Credentials::new`].
    pub fn from_json_file(path: impl AsRef<Path>) -> Result<Credentials> {
        let path = path.as_ref();
        Settings::from_file(path)?
            .build(&|field| format!("{}: `{}` is missing", path.display(), field.file_member()))
    }

    /// As [`from_json_file`](Credentials::from_json_file), with
    /// `token_url` used when the file has no `token_url` member (the
    /// file's value wins when it has one).
    ///
    /// # Errors
    ///
    /// As [`from_json_file`](Credentials::from_json_file).
    pub fn from_json_file_with_url(path: impl AsRef<Path>, token_url: &str) -> Result<Credentials> {
        let path = path.as_ref();
        let fallback = Settings {
            token_url: Some(Setting::new(token_url.to_owned(), "the token URL given")),
            ..Settings::default()
        };
        Settings::from_file(path)?
            .over(fallback)
            .build(&|field| format!("{}: `{}` is missing", path.display(), field.file_member()))
    }

    /// Loads credentials from the environment:
    ///
    /// | variable | |
    /// |---|---|
    /// | `CCTOKEN_TOKEN_URL` | required |
    /// | `CCTOKEN_CLIENT_ID` | required |
    /// | `CCTOKEN_CLIENT_SECRET` | the secret, or: |
    /// | `CCTOKEN_CLIENT_SECRET_FILE` | a file holding it (a UTF-8 byte-order mark and one trailing newline are dropped; same file rules as [`from_json_file`](Credentials::from_json_file)) |
    /// | `CCTOKEN_SCOPE` | optional |
    /// | `CCTOKEN_AUDIENCE` | optional, sent as `audience` |
    ///
    /// An empty variable counts as unset. This is the only place cctoken
    /// reads the environment for credentials.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Credentials`] naming the variable: missing, not UTF-8,
    /// both secret variables set, an unusable value or secret file.
    pub fn from_env() -> Result<Credentials> {
        from_lookup(|name| std::env::var_os(name))
    }
}

/// [`Credentials::from_env`] over any lookup, for tests.
pub(crate) fn from_lookup(lookup: impl Fn(&str) -> Option<OsString>) -> Result<Credentials> {
    Settings::from_lookup(lookup)?.build(&|field| format!("{} is not set", field.variable()))
}

/// A required setting, for "missing" messages.
#[derive(Clone, Copy)]
pub(crate) enum Field {
    TokenUrl,
    ClientId,
    Secret,
}

impl Field {
    /// Its name in a credentials file.
    pub(crate) fn file_member(self) -> &'static str {
        match self {
            Field::TokenUrl => "token_url",
            Field::ClientId => "client_id",
            Field::Secret => "client_secret",
        }
    }

    /// Its environment variable(s).
    pub(crate) fn variable(self) -> &'static str {
        match self {
            Field::TokenUrl => "CCTOKEN_TOKEN_URL",
            Field::ClientId => "CCTOKEN_CLIENT_ID",
            Field::Secret => "neither CCTOKEN_CLIENT_SECRET nor CCTOKEN_CLIENT_SECRET_FILE",
        }
    }
}

/// A setting and where it came from (`--token-url`, `CCTOKEN_TOKEN_URL`,
/// `creds.json: token_url`), named in errors about it.
pub(crate) struct Setting<T> {
    pub(crate) value: T,
    pub(crate) from: String,
}

impl<T> Setting<T> {
    pub(crate) fn new(value: T, from: impl Into<String>) -> Setting<T> {
        Setting {
            value,
            from: from.into(),
        }
    }
}

/// Where the client secret is.
pub(crate) enum SecretSource {
    Value(Secret),
    File(PathBuf),
    /// `-`: standard input (the command's `--client-secret-file -`).
    #[cfg_attr(
        not(feature = "cli"),
        allow(dead_code, reason = "only the command reads stdin")
    )]
    Stdin,
    /// Two sources in one layer (both secret variables).
    Conflict,
}

/// One layer of settings: the command's flags, the environment or a
/// credentials file. Files named in a layer are read only if that layer's
/// value wins.
#[derive(Default)]
pub(crate) struct Settings {
    pub(crate) token_url: Option<Setting<String>>,
    pub(crate) client_id: Option<Setting<String>>,
    pub(crate) secret: Option<Setting<SecretSource>>,
    pub(crate) scope: Option<Setting<String>>,
    pub(crate) params: Vec<Setting<(String, String)>>,
    pub(crate) encoding: Option<Setting<Encoding>>,
    pub(crate) auth: Option<Setting<ClientAuth>>,
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

impl Settings {
    /// `self` over `lower`: each setting present here wins; a parameter
    /// named here replaces every value of that name below (so
    /// `--param audience=…` replaces `CCTOKEN_AUDIENCE`, never adds to it).
    pub(crate) fn over(self, lower: Settings) -> Settings {
        let mut params: Vec<_> = lower
            .params
            .into_iter()
            .filter(|p| !self.params.iter().any(|q| q.value.0 == p.value.0))
            .collect();
        params.extend(self.params);
        Settings {
            token_url: self.token_url.or(lower.token_url),
            client_id: self.client_id.or(lower.client_id),
            secret: self.secret.or(lower.secret),
            scope: self.scope.or(lower.scope),
            params,
            encoding: self.encoding.or(lower.encoding),
            auth: self.auth.or(lower.auth),
        }
    }

    /// The environment's layer.
    pub(crate) fn from_lookup(lookup: impl Fn(&str) -> Option<OsString>) -> Result<Settings> {
        let var = |name: &'static str| -> Result<Option<Setting<String>>> {
            match lookup(name).map(OsString::into_string) {
                None => Ok(None),
                Some(Ok(s)) if s.is_empty() => Ok(None),
                Some(Ok(s)) => Ok(Some(Setting::new(s, name))),
                Some(Err(_)) => Err(cred_error(format!("{name} is not valid UTF-8"))),
            }
        };
        let secret = match (
            var("CCTOKEN_CLIENT_SECRET")?,
            var("CCTOKEN_CLIENT_SECRET_FILE")?,
        ) {
            (Some(s), None) => Some(Setting::new(
                SecretSource::Value(Secret::new(s.value)),
                s.from,
            )),
            (None, Some(f)) => Some(Setting::new(SecretSource::File(f.value.into()), f.from)),
            (Some(_), Some(_)) => Some(Setting::new(
                SecretSource::Conflict,
                "both CCTOKEN_CLIENT_SECRET and CCTOKEN_CLIENT_SECRET_FILE",
            )),
            (None, None) => None,
        };
        Ok(Settings {
            token_url: var("CCTOKEN_TOKEN_URL")?,
            client_id: var("CCTOKEN_CLIENT_ID")?,
            secret,
            scope: var("CCTOKEN_SCOPE")?,
            params: var("CCTOKEN_AUDIENCE")?
                .map(|a| Setting::new(("audience".to_owned(), a.value), a.from))
                .into_iter()
                .collect(),
            encoding: None,
            auth: None,
        })
    }

    /// A credentials file's layer, read under the file rules.
    pub(crate) fn from_file(path: &Path) -> Result<Settings> {
        let mut text = files::read_secret_file(path, Sharing::Private)?;
        let result = parse_json(&text, &path.display().to_string());
        zero_string(&mut text);
        result
    }

    /// The credentials these layers make. `missing` words the error for a
    /// required setting no layer has.
    pub(crate) fn build(self, missing: &dyn Fn(Field) -> String) -> Result<Credentials> {
        let need = |s: Option<Setting<String>>, f: Field| s.ok_or_else(|| cred_error(missing(f)));
        let url = need(self.token_url, Field::TokenUrl)?;
        check_url(&url.value).map_err(|e| cred_error(format!("{}: {}", url.from, e.detail())))?;
        let id = need(self.client_id, Field::ClientId)?;
        let secret = self
            .secret
            .ok_or_else(|| cred_error(missing(Field::Secret)))?;
        let secret = match secret.value {
            SecretSource::Value(s) => s,
            SecretSource::File(path) => read_secret(
                files::read_secret_file(&path, Sharing::Private)?,
                &path.display().to_string(),
            )?,
            SecretSource::Stdin => {
                read_secret(files::read_stdin("standard input")?, "standard input")?
            }
            SecretSource::Conflict => {
                return Err(cred_error(format!("{} are set; set one", secret.from)))
            }
        };
        let mut creds = Credentials::new(&url.value, &id.value, secret.expose())
            .map_err(|e| cred_error(format!("{}: {e}", id.from)))?;
        if let Some(scope) = self.scope {
            creds = creds.with_scope(&scope.value);
        }
        for param in &self.params {
            creds = creds.with_param(&param.value.0, &param.value.1);
        }
        if let Some(encoding) = self.encoding {
            creds = creds.with_encoding(encoding.value);
        }
        if let Some(auth) = self.auth {
            creds = creds.with_auth(auth.value);
        }
        Ok(creds)
    }
}

/// The secret in a secret file's text: a UTF-8 byte-order mark at the
/// start and one trailing newline (LF or CRLF) are not part of it.
fn read_secret(mut text: String, shown: &str) -> Result<Secret> {
    if text.starts_with('\u{feff}') {
        text.drain(..3);
    }
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    if text.is_empty() {
        return Err(cred_error(format!("{shown}: the secret is empty")));
    }
    Ok(Secret::new(text))
}

/// The settings in the text of a `creds.json`; `shown` names the file in
/// errors.
pub(crate) fn parse_json(text: &str, shown: &str) -> Result<Settings> {
    let object = crate::parse::json_object(text.as_bytes(), "the file")
        .map_err(|why| cred_error(format!("{shown}: {why}")))?;
    if let Some(unknown) = object.names().find(|k| !FILE_MEMBERS.contains(k)) {
        return Err(cred_error(format!(
            "{shown}: unknown member `{}` (known: {})",
            sanitize(unknown, 40),
            FILE_MEMBERS.join(", ")
        )));
    }
    let take = |name: &str| -> Result<Option<Setting<String>>> {
        match object.get(name) {
            None | Some(Member::Null) => Ok(None),
            Some(Member::String(s)) if s.is_empty() => {
                Err(cred_error(format!("{shown}: `{name}` is empty")))
            }
            Some(Member::String(s)) => {
                Ok(Some(Setting::new(s.clone(), format!("{shown}: `{name}`"))))
            }
            Some(_) => Err(cred_error(format!("{shown}: `{name}` is not a string"))),
        }
    };
    let choice = |name: &str, names: &[&str]| -> Result<Option<Setting<usize>>> {
        let Some(s) = take(name)? else {
            return Ok(None);
        };
        match names.iter().position(|n| *n == s.value) {
            Some(i) => Ok(Some(Setting::new(i, s.from))),
            None => Err(cred_error(format!(
                "{shown}: `{name}` is `{}`; expected {}",
                sanitize(&s.value, 40),
                names.join(", ")
            ))),
        }
    };
    let encoding = choice("encoding", &["form", "json", "multipart"])?.map(|s| {
        Setting::new(
            [Encoding::Form, Encoding::Json, Encoding::Multipart][s.value],
            s.from,
        )
    });
    let auth = choice("auth", &["body", "basic", "basic-unencoded"])?.map(|s| {
        Setting::new(
            [
                ClientAuth::RequestBody,
                ClientAuth::Basic,
                ClientAuth::BasicUnencoded,
            ][s.value],
            s.from,
        )
    });
    Ok(Settings {
        token_url: take("token_url")?,
        client_id: take("client_id")?,
        secret: take("client_secret")?
            .map(|s| Setting::new(SecretSource::Value(Secret::new(s.value)), s.from)),
        scope: take("scope")?,
        params: take("audience")?
            .map(|a| Setting::new(("audience".to_owned(), a.value), a.from))
            .into_iter()
            .collect(),
        encoding,
        auth,
    })
}

#[cfg(test)]
#[path = "load_tests.rs"]
mod tests;
