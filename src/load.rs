//! Loading [`Credentials`] from a `creds.json` file and from the
//! environment, as layers of [`Settings`] that the `cctoken` command also
//! stacks under its flags: flags over the environment over the file.

use crate::credentials::{check_url, ClientAuth, Credentials, Encoding};
use crate::error::{sanitize, Error, ErrorKind, Result};
use crate::files::{self, Sharing};
use crate::key::PrivateKey;
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
    /// Every member is a string; these 14 are known, any other is refused
    /// so that a misspelt name is not silently ignored:
    ///
    /// | member | |
    /// |---|---|
    /// | `client_id` | required |
    /// | `token_url` | required, unless `issuer` is given |
    /// | `issuer` | the issuer instead of (or as well as) `token_url`: see below |
    /// | `client_secret` | exactly one of these three: the secret, |
    /// | `private_key_file` | or a PEM private key (`private_key_jwt`; [`PrivateKey::from_pem_file`]), |
    /// | `client_assertion_file` | or a file of client assertions written elsewhere ([`Credentials::with_client_assertion_file`]) |
    /// | `key_id` | with `private_key_file`: the key's `kid` |
    /// | `alg` | with `private_key_file`: `ES256`, `ES384`, `RS256`, `PS256` or `EdDSA` (default: from the key) |
    /// | `assertion_audience` | the `aud` of client assertions (default: the token URL) |
    /// | `dpop_key_file` | a PEM key: tokens are DPoP-bound to it ([`Credentials::with_dpop`]) |
    /// | `scope` | optional |
    /// | `audience` | optional, sent as the `audience` parameter |
    /// | `encoding` | `form` (default), `json` or `multipart` |
    /// | `auth` | `body`, `basic`, `basic-unencoded`, `client-secret-jwt` or `private-key-jwt` (see [`ClientAuth`]) |
    ///
    /// A relative path in a `…_file` member is taken from the file's own
    /// directory. Key, assertion and DPoP key files follow the same file
    /// rules as the credentials file (an assertion file may also be owned
    /// by root and readable by all, as Kubernetes mounts them). When the
    /// program knows the URL and the file does not carry it, use
    /// [`from_json_file_with_url`](Credentials::from_json_file_with_url).
    ///
    /// **With an `issuer`**, this function runs discovery at once
    /// ([`ServerMetadata::discover`](crate::ServerMetadata::discover) over
    /// the built-in [`HttpTransport`](crate::HttpTransport), with the
    /// credentials' timeout and size cap, sending no credentials) and
    /// configures the credentials from the metadata
    /// ([`with_metadata`](Credentials::with_metadata)): the token URL is
    /// the discovered token endpoint, or, when `token_url` is given too,
    /// is checked against it; the client authentication is chosen from
    /// the server's list unless `auth` is given.
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
    /// unknown, or more than one of the three proofs is given; or the values
    /// fail [`Credentials::new`]. A key file's errors are
    /// [`PrivateKey::from_pem_file`]'s. With an `issuer`, discovery's
    /// errors ([`ServerMetadata::discover`](crate::ServerMetadata::discover):
    /// the transport's, [`ErrorKind::InvalidResponse`] for metadata that
    /// names another issuer) and [`with_metadata`](Credentials::with_metadata)'s
    /// ([`ErrorKind::Config`]: another token endpoint, no method that fits).
    pub fn from_json_file(path: impl AsRef<Path>) -> Result<Credentials> {
        let path = path.as_ref();
        discover_now(Settings::from_file(path)?.build(&|field| missing_in(path, field))?)
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
        discover_now(
            Settings::from_file(path)?
                .over(fallback)
                .build(&|field| missing_in(path, field))?,
        )
    }

    /// Loads credentials from the environment:
    ///
    /// | variable | |
    /// |---|---|
    /// | `CCTOKEN_CLIENT_ID` | required |
    /// | `CCTOKEN_TOKEN_URL` | required, unless `CCTOKEN_ISSUER` is set |
    /// | `CCTOKEN_ISSUER` | the issuer: discovery, as for `issuer` in [`from_json_file`](Credentials::from_json_file) |
    /// | `CCTOKEN_CLIENT_SECRET` | exactly one of these four: the secret, |
    /// | `CCTOKEN_CLIENT_SECRET_FILE` | or a file holding it (a UTF-8 byte-order mark and one trailing newline are dropped; same file rules as [`from_json_file`](Credentials::from_json_file)), |
    /// | `CCTOKEN_PRIVATE_KEY_FILE` | or a PEM private key (`private_key_jwt`), |
    /// | `CCTOKEN_CLIENT_ASSERTION_FILE` | or a file of client assertions written elsewhere |
    /// | `CCTOKEN_KEY_ID` | with a key file: the key's `kid` |
    /// | `CCTOKEN_ALG` | with a key file: `ES256`, `ES384`, `RS256`, `PS256` or `EdDSA` |
    /// | `CCTOKEN_ASSERTION_AUDIENCE` | the `aud` of client assertions (default: the token URL) |
    /// | `CCTOKEN_DPOP_KEY_FILE` | a PEM key: tokens are DPoP-bound to it |
    /// | `CCTOKEN_SCOPE` | optional |
    /// | `CCTOKEN_AUDIENCE` | optional, sent as `audience` |
    ///
    /// The body encoding and the client authentication have no variable
    /// (the command's `--encoding` and `--auth` flags, or a credentials
    /// file, set them); with `CCTOKEN_ISSUER` the authentication is chosen
    /// from the server's metadata. An empty variable counts as unset. This
    /// is the only place cctoken reads the environment for credentials.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Credentials`] naming the variable: missing, not UTF-8,
    /// more than one of the four proofs set, an unusable value, secret or
    /// key file. With `CCTOKEN_ISSUER`, discovery's and
    /// [`with_metadata`](Credentials::with_metadata)'s errors, as for
    /// [`from_json_file`](Credentials::from_json_file).
    pub fn from_env() -> Result<Credentials> {
        from_lookup(|name| std::env::var_os(name))
    }
}

/// "Missing" for a credentials file.
fn missing_in(path: &Path, field: Field) -> String {
    match field {
        Field::Secret => format!(
            "{}: `client_secret` is missing (or a `private_key_file` or \
             `client_assertion_file` instead)",
            path.display()
        ),
        field => format!("{}: `{}` is missing", path.display(), field.file_member()),
    }
}

/// [`Credentials::from_env`] over any lookup, for tests.
pub(crate) fn from_lookup(lookup: impl Fn(&str) -> Option<OsString>) -> Result<Credentials> {
    discover_now(
        Settings::from_lookup(lookup)?
            .build(&|field| format!("{} is not set", field.variable()))?,
    )
}

/// Credentials named by an issuer, discovered now over the built-in
/// transport (the library's loaders hand out usable credentials).
fn discover_now(creds: Credentials) -> Result<Credentials> {
    match creds.discovered(&crate::HttpTransport::new()) {
        Some(discovered) => discovered,
        None => Ok(creds),
    }
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
            Field::Secret => {
                "none of CCTOKEN_CLIENT_SECRET, CCTOKEN_CLIENT_SECRET_FILE, \
                 CCTOKEN_PRIVATE_KEY_FILE and CCTOKEN_CLIENT_ASSERTION_FILE"
            }
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

/// What the client proves itself with, and where it is.
pub(crate) enum SecretSource {
    Value(Secret),
    File(PathBuf),
    /// `-`: standard input (the command's `--client-secret-file -`).
    #[cfg_attr(
        not(feature = "cli"),
        allow(dead_code, reason = "only the command reads stdin")
    )]
    Stdin,
    /// A PEM private key file (`private_key_jwt`).
    KeyFile(PathBuf),
    /// A file of client assertions written elsewhere (workload identity).
    AssertionFile(PathBuf),
    /// Two sources in one layer (say, a secret and a key file).
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
    pub(crate) key_id: Option<Setting<String>>,
    pub(crate) alg: Option<Setting<String>>,
    pub(crate) assertion_audience: Option<Setting<String>>,
    pub(crate) dpop_key: Option<Setting<PathBuf>>,
    pub(crate) issuer: Option<Setting<String>>,
}

const FILE_MEMBERS: [&str; 14] = [
    "issuer",
    "dpop_key_file",
    "client_id",
    "client_secret",
    "private_key_file",
    "client_assertion_file",
    "token_url",
    "scope",
    "audience",
    "encoding",
    "auth",
    "key_id",
    "alg",
    "assertion_audience",
];

/// The `auth` names of files and of `--auth`, in the order of [`AUTHS`].
pub(crate) const AUTH_NAMES: [&str; 5] = [
    "body",
    "basic",
    "basic-unencoded",
    "client-secret-jwt",
    "private-key-jwt",
];
pub(crate) const AUTHS: [ClientAuth; 5] = [
    ClientAuth::RequestBody,
    ClientAuth::Basic,
    ClientAuth::BasicUnencoded,
    ClientAuth::ClientSecretJwt,
    ClientAuth::PrivateKeyJwt,
];

/// The one proof a layer names among `found` (where from, what), or a
/// conflict naming them all.
pub(crate) fn one_proof(found: Vec<(String, SecretSource)>) -> Option<Setting<SecretSource>> {
    if found.len() > 1 {
        let names: Vec<String> = found.into_iter().map(|(from, _)| from).collect();
        return Some(Setting::new(SecretSource::Conflict, names.join(" and ")));
    }
    found
        .into_iter()
        .next()
        .map(|(from, value)| Setting::new(value, from))
}

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
            key_id: self.key_id.or(lower.key_id),
            alg: self.alg.or(lower.alg),
            assertion_audience: self.assertion_audience.or(lower.assertion_audience),
            dpop_key: self.dpop_key.or(lower.dpop_key),
            issuer: self.issuer.or(lower.issuer),
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
        let mut found = Vec::new();
        if let Some(s) = var("CCTOKEN_CLIENT_SECRET")? {
            found.push((s.from, SecretSource::Value(Secret::new(s.value))));
        }
        type Make = fn(PathBuf) -> SecretSource;
        let files: [(&'static str, Make); 3] = [
            ("CCTOKEN_CLIENT_SECRET_FILE", SecretSource::File),
            ("CCTOKEN_PRIVATE_KEY_FILE", SecretSource::KeyFile),
            ("CCTOKEN_CLIENT_ASSERTION_FILE", SecretSource::AssertionFile),
        ];
        for (name, make) in files {
            if let Some(f) = var(name)? {
                found.push((f.from, make(f.value.into())));
            }
        }
        let secret = one_proof(found);
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
            key_id: var("CCTOKEN_KEY_ID")?,
            alg: var("CCTOKEN_ALG")?,
            assertion_audience: var("CCTOKEN_ASSERTION_AUDIENCE")?,
            dpop_key: var("CCTOKEN_DPOP_KEY_FILE")?.map(|s| Setting::new(s.value.into(), s.from)),
            issuer: var("CCTOKEN_ISSUER")?,
        })
    }

    /// A credentials file's layer, read under the file rules.
    pub(crate) fn from_file(path: &Path) -> Result<Settings> {
        let mut text = files::read_secret_file(path, Sharing::Private)?;
        let result = parse_json(&text, &path.display().to_string(), path.parent());
        zero_string(&mut text);
        result
    }

    /// The credentials these layers make. `missing` words the error for a
    /// required setting no layer has.
    ///
    /// With an issuer and no token URL, the credentials are still to be
    /// discovered: the issuer stands in for the token URL until discovery
    /// (see `discover_now` and the command's cache). With both,
    /// the token URL must be the one the issuer's metadata names.
    pub(crate) fn build(self, missing: &dyn Fn(Field) -> String) -> Result<Credentials> {
        let need = |s: Option<Setting<String>>, f: Field| s.ok_or_else(|| cred_error(missing(f)));
        let issuer = self.issuer;
        let url_given = self.token_url.is_some();
        let url = match (self.token_url, &issuer) {
            (Some(url), _) => url,
            (None, Some(issuer)) => Setting::new(issuer.value.clone(), issuer.from.clone()),
            (None, None) => need(None, Field::TokenUrl)?,
        };
        check_url(&url.value).map_err(|e| cred_error(format!("{}: {}", url.from, e.detail())))?;
        let id = need(self.client_id, Field::ClientId)?;
        let secret = self
            .secret
            .ok_or_else(|| cred_error(missing(Field::Secret)))?;
        let key_only = |s: &Option<Setting<String>>| match s {
            Some(s) if !matches!(secret.value, SecretSource::KeyFile(_)) => {
                Err(cred_error(format!(
                "{}: applies to a private key only (private_key_file, CCTOKEN_PRIVATE_KEY_FILE, \
                 --private-key)",
                s.from
            )))
            }
            _ => Ok(()),
        };
        key_only(&self.key_id)?;
        key_only(&self.alg)?;
        let made = match secret.value {
            SecretSource::Value(s) => Credentials::new(&url.value, &id.value, s.expose()),
            SecretSource::File(path) => {
                let text = files::read_secret_file(&path, Sharing::Private)?;
                let s = read_secret(text, &path.display().to_string())?;
                Credentials::new(&url.value, &id.value, s.expose())
            }
            SecretSource::Stdin => {
                let s = read_secret(files::read_stdin("standard input")?, "standard input")?;
                Credentials::new(&url.value, &id.value, s.expose())
            }
            SecretSource::KeyFile(path) => {
                let mut key = PrivateKey::from_pem_file(&path)?;
                if let Some(kid) = &self.key_id {
                    key = key.with_key_id(&kid.value);
                }
                if let Some(alg) = &self.alg {
                    key = key
                        .with_algorithm(&alg.value)
                        .map_err(|e| cred_error(format!("{}: {}", alg.from, e.detail())))?;
                }
                Credentials::with_private_key(&url.value, &id.value, key)
            }
            SecretSource::AssertionFile(path) => {
                Credentials::with_client_assertion_file(&url.value, &id.value, path)
            }
            SecretSource::Conflict => {
                return Err(cred_error(format!("{} are all set; set one", secret.from)))
            }
        };
        let mut creds = made.map_err(|e| cred_error(format!("{}: {}", id.from, e.detail())))?;
        if let Some(audience) = self.assertion_audience {
            creds = creds.with_assertion_audience(&audience.value);
        }
        if let Some(dpop) = self.dpop_key {
            creds = creds.with_dpop(PrivateKey::from_pem_file(&dpop.value)?);
        }
        if let Some(issuer) = issuer {
            creds = creds.with_issuer(&issuer.value, url_given);
        }
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
    let mut secret = text.strip_prefix('\u{feff}').unwrap_or(&text);
    if let Some(rest) = secret.strip_suffix('\n') {
        secret = rest.strip_suffix('\r').unwrap_or(rest);
    }
    // Copied out, and the file's text zeroed whole: trimming in place
    // (`drain`) would leave the secret's last bytes behind in the buffer's
    // spare capacity, never zeroed.
    let secret = secret.to_owned();
    zero_string(&mut text);
    if secret.is_empty() {
        return Err(cred_error(format!("{shown}: the secret is empty")));
    }
    Ok(Secret::new(secret))
}

/// The settings in the text of a `creds.json`; `shown` names the file in
/// errors. A relative `private_key_file`, `client_assertion_file` or
/// `dpop_key_file` is taken relative to `dir`, the credentials file's
/// directory.
pub(crate) fn parse_json(text: &str, shown: &str, dir: Option<&Path>) -> Result<Settings> {
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
    let auth = choice("auth", &AUTH_NAMES)?.map(|s| Setting::new(AUTHS[s.value], s.from));
    let path = |name: &str| -> Result<Option<Setting<PathBuf>>> {
        Ok(take(name)?.map(|s| {
            let p = PathBuf::from(s.value);
            let p = match dir {
                Some(dir) if p.is_relative() => dir.join(p),
                _ => p,
            };
            Setting::new(p, s.from)
        }))
    };
    let mut found = Vec::new();
    if let Some(s) = take("client_secret")? {
        found.push((s.from, SecretSource::Value(Secret::new(s.value))));
    }
    if let Some(p) = path("private_key_file")? {
        found.push((p.from, SecretSource::KeyFile(p.value)));
    }
    if let Some(p) = path("client_assertion_file")? {
        found.push((p.from, SecretSource::AssertionFile(p.value)));
    }
    Ok(Settings {
        token_url: take("token_url")?,
        client_id: take("client_id")?,
        secret: one_proof(found),
        scope: take("scope")?,
        params: take("audience")?
            .map(|a| Setting::new(("audience".to_owned(), a.value), a.from))
            .into_iter()
            .collect(),
        encoding,
        auth,
        key_id: take("key_id")?,
        alg: take("alg")?,
        assertion_audience: take("assertion_audience")?,
        dpop_key: path("dpop_key_file")?,
        issuer: take("issuer")?,
    })
}

#[cfg(test)]
#[path = "load_tests.rs"]
mod tests;
