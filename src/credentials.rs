//! [`Credentials`]: where to ask for a token and how; the URL policy; the
//! request they encode to.

use crate::client_auth::{self, ClientKey};
use crate::dpop::Dpop;
use crate::encode;
use crate::error::{Error, Result};
use crate::key::PrivateKey;
use crate::parse;
use crate::redact::Redactor;
use crate::secret::Secret;
use crate::token::{Clock, SystemClock, Token};
use crate::transport::{HttpTransport, Request, Transport};
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::Duration;

/// How the request body is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Encoding {
    /// `application/x-www-form-urlencoded`, as RFC 6749 §4.4.2 specifies
    /// (Hydrosat, Keycloak, Entra, most servers). The default.
    #[default]
    Form,
    /// `application/json` (Stampede, Alluvial/Auth0). A parameter given
    /// more than once becomes a JSON array.
    Json,
    /// `multipart/form-data`, as `curl --form` sends it (Learn Amp).
    Multipart,
}

/// How the client authenticates (RFC 6749 §2.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ClientAuth {
    /// `client_id` and `client_secret` in the request body. The default:
    /// all four seed vendors document it.
    #[default]
    RequestBody,
    /// HTTP Basic with the RFC 6749 §2.3.1 encoding: the id and the secret
    /// are each percent-encoded (every byte outside `A-Z a-z 0-9 - . _ ~`
    /// as `%XX`, a space as `%20`), joined with `:`, then base64-encoded.
    Basic,
    /// Plain RFC 7617 Basic: `id:secret` base64-encoded as it is, for
    /// servers that never percent-decode. The client id may not contain
    /// `:`.
    BasicUnencoded,
    /// `client_secret_jwt` (RFC 7523 §2.2, OpenID Connect Core §9): the
    /// secret never crosses the wire; each request carries a fresh
    /// assertion signed with it (HS256), as `client_assertion`. The secret
    /// must be at least 32 bytes (RFC 7518 §3.2).
    ClientSecretJwt,
    /// `private_key_jwt` (RFC 7523 §2.2): each request carries a fresh
    /// assertion signed with the client's private key, or one read from a
    /// file. Set by [`Credentials::with_private_key`] and
    /// [`Credentials::with_client_assertion_file`]; credentials made with a
    /// secret cannot use it.
    PrivateKeyJwt,
}

/// The request timeout unless set: 30 seconds.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// The response body cap unless set: 64 KiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 64 * 1024;

const RESERVED: [&str; 6] = [
    "grant_type",
    "client_id",
    "client_secret",
    "scope",
    "client_assertion",
    "client_assertion_type",
];

/// A client's credentials and everything needed to ask for a token.
///
/// # Defaults
///
/// | setting | default |
/// |---|---|
/// | body encoding | [`Encoding::Form`] |
/// | client authentication | [`ClientAuth::RequestBody`] |
/// | scope | none |
/// | timeout | 30 s for the whole exchange ([`DEFAULT_TIMEOUT`]) |
/// | response cap | 64 KiB ([`DEFAULT_MAX_RESPONSE_BYTES`]) |
/// | plain `http://` | loopback hosts only (`127.0.0.0/8`, `::1`, `localhost`) |
///
/// Setters consume and return `self`. Problems a setter cannot report
/// (a reserved parameter name, a zero timeout, an `http://` URL to a remote
/// host) are reported by [`validate`](Credentials::validate) and by every
/// fetch before any network traffic, as [`ErrorKind::Config`](crate::ErrorKind::Config).
///
/// `Debug` shows everything but the secret. The secret is zeroed on drop.
///
/// ```
/// use cctoken::{ClientAuth, Credentials, Encoding, ErrorKind};
/// use std::time::Duration;
///
/// let creds = Credentials::new("https://auth.example.com/oauth/token", "my-client", "my-secret")?
///     .with_scope("read:things write:things")
///     .with_param("audience", "https://api.example.com")
///     .with_encoding(Encoding::Json)
///     .with_auth(ClientAuth::Basic)
///     .with_timeout(Duration::from_secs(10));
/// assert!(creds.validate().is_ok());
/// assert!(!format!("{creds:?}").contains("my-secret"));
///
/// // Mistakes a setter cannot report are found before any request.
/// let e = creds.with_param("client_secret", "x").validate().unwrap_err();
/// assert_eq!(e.kind(), ErrorKind::Config);
/// let e = Credentials::new("http://auth.example.com/token", "id", "secret")?.validate().unwrap_err();
/// assert!(e.to_string().contains("clear text"));
/// # Ok::<(), cctoken::Error>(())
/// ```
#[derive(Clone)]
pub struct Credentials {
    token_url: String,
    host: String,
    https: bool,
    client_id: String,
    key: ClientKey,
    /// Makes the client assertion of each request, for the JWT methods.
    /// Set only by what chooses one, so that a program using a plain
    /// secret does not carry the signing code (it is referred to only
    /// from here).
    assertion: Option<client_auth::MakeAssertion>,
    assertion_audience: Option<String>,
    dpop: Option<Dpop>,
    /// The issuer the token URL was discovered from ([`with_metadata`]):
    /// the file cache then keys on the issuer, so that a cached token is
    /// found before any discovery.
    ///
    /// [`with_metadata`]: Credentials::with_metadata
    issuer: Option<String>,
    /// Whether the token URL stands for the issuer until discovery replaces
    /// it (no token URL was given with the issuer); otherwise discovery
    /// only checks it against the metadata.
    url_from_issuer: bool,
    /// Whether the caller chose the client authentication (else
    /// [`with_metadata`](Credentials::with_metadata) may choose).
    auth_chosen: bool,
    /// Set while the token URL is still to be discovered from `issuer`
    /// (the `cctoken` command discovers only when its cache has no token).
    /// A function pointer, so that programs that never discover do not
    /// carry the code.
    discover: Option<Discover>,
    scope: Option<String>,
    params: Vec<(String, String)>,
    encoding: Encoding,
    auth: ClientAuth,
    timeout: Duration,
    max_response_bytes: usize,
    allow_http: bool,
    problem: Option<Error>,
}

impl Credentials {
    /// Credentials for the token endpoint at `token_url`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) when the URL cannot
    /// be parsed (not `http://` or `https://`, no host, a bad port, user
    /// info, a fragment, whitespace) or the client id or secret is empty.
    pub fn new(token_url: &str, client_id: &str, client_secret: &str) -> Result<Credentials> {
        if client_secret.is_empty() {
            return Err(Error::config("client secret is empty"));
        }
        let key = ClientKey::Secret(Secret::new(client_secret.to_owned()));
        Credentials::build(token_url, client_id, key, ClientAuth::default())
    }

    /// Credentials for `private_key_jwt` (RFC 7523 §2.2): every token
    /// request carries a fresh client assertion signed with `key` — `iss`
    /// and `sub` the client id, `aud` the token URL (see
    /// [`with_assertion_audience`](Credentials::with_assertion_audience)),
    /// a random 128-bit `jti`, `iat` now and `exp` five minutes later —
    /// as `client_assertion`, with `client_id` beside it. No secret exists
    /// and nothing reusable crosses the wire.
    ///
    /// ```
    /// use cctoken::{Credentials, PrivateKey, Request, Response};
    ///
    /// # #[cfg(any(feature = "https", feature = "https-os-roots", feature = "aws-lc-rs"))] {
    /// let key = PrivateKey::generate()?.with_key_id("key-1");
    /// let creds = Credentials::with_private_key("https://auth.example.com/token", "my-client", key)?;
    /// let token = creds.fetch_with(&|req: &Request| {
    ///     let body = String::from_utf8_lossy(req.body());
    ///     assert!(body.contains("client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"));
    ///     assert!(body.contains("&client_assertion=ey") && !body.contains("client_secret"));
    ///     Ok(Response::new(200, r#"{"access_token":"abc","expires_in":60}"#))
    /// })?;
    /// # }
    /// # Ok::<(), cctoken::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// As [`new`](Credentials::new), for the URL and the client id.
    pub fn with_private_key(
        token_url: &str,
        client_id: &str,
        key: PrivateKey,
    ) -> Result<Credentials> {
        let key = ClientKey::Key(key);
        let mut creds = Credentials::build(token_url, client_id, key, ClientAuth::PrivateKeyJwt)?;
        creds.assertion = Some(client_auth::with_key);
        Ok(creds)
    }

    /// Credentials whose client assertion is made by another system and
    /// written to `path`, where it is rotated (workload identity
    /// federation): a Kubernetes projected service-account token for Entra
    /// ID (the file `AZURE_FEDERATED_TOKEN_FILE` names), a CI system's OIDC
    /// token. The file is read again for every token request and sent as
    /// `client_assertion` with the jwt-bearer assertion type (RFC 7523
    /// §2.2); it is never cached. An assertion whose `exp` has passed
    /// (read without verifying it: the server does) is refused as
    /// [`ErrorKind::Credentials`](crate::ErrorKind::Credentials) naming
    /// the file, rather than sent to be refused as `invalid_client`.
    ///
    /// The file rules apply (see
    /// [`from_json_file`](Credentials::from_json_file)), with one exception
    /// for how Kubernetes mounts such tokens: a file owned by root that
    /// nobody else can write may be readable by group and others (mode
    /// 644). A symbolic link is followed (Kubernetes swaps a `..data` link).
    ///
    /// # Errors
    ///
    /// As [`new`](Credentials::new), for the URL and the client id; the
    /// file is read only when a token is fetched.
    pub fn with_client_assertion_file(
        token_url: &str,
        client_id: &str,
        path: impl AsRef<std::path::Path>,
    ) -> Result<Credentials> {
        let path = path.as_ref();
        if path.as_os_str().is_empty() {
            return Err(Error::config("client assertion file path is empty"));
        }
        let key = ClientKey::AssertionFile(path.to_path_buf());
        let mut creds = Credentials::build(token_url, client_id, key, ClientAuth::PrivateKeyJwt)?;
        creds.assertion = Some(client_auth::from_file);
        Ok(creds)
    }

    fn build(
        token_url: &str,
        client_id: &str,
        key: ClientKey,
        auth: ClientAuth,
    ) -> Result<Credentials> {
        let url = parse_url(token_url)?;
        if client_id.is_empty() {
            return Err(Error::config("client id is empty"));
        }
        Ok(Credentials {
            token_url: url.normalized,
            host: url.host,
            https: url.https,
            client_id: client_id.to_owned(),
            key,
            assertion: None,
            assertion_audience: None,
            dpop: None,
            issuer: None,
            url_from_issuer: false,
            auth_chosen: false,
            discover: None,
            scope: None,
            params: Vec::new(),
            encoding: Encoding::default(),
            auth,
            timeout: DEFAULT_TIMEOUT,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            allow_http: false,
            problem: None,
        })
    }

    fn note_problem(&mut self, problem: Error) {
        self.problem.get_or_insert(problem);
    }

    /// Asks for `scope` (RFC 6749 §3.3). Called again, it adds to the
    /// scope, space-separated.
    pub fn with_scope(mut self, scope: &str) -> Credentials {
        if scope.chars().any(char::is_control) {
            self.note_problem(Error::config("scope contains control characters"));
        }
        let scope = scope.trim();
        if !scope.is_empty() {
            match &mut self.scope {
                Some(s) => {
                    s.push(' ');
                    s.push_str(scope);
                }
                None => self.scope = Some(scope.to_owned()),
            }
        }
        self
    }

    /// Adds a request parameter such as `audience` (Auth0) or `resource`
    /// (RFC 8707; may be repeated). The name must be letters, digits, `-`,
    /// `.` and `_` (RFC 6749 §8.2), and may not be `grant_type`,
    /// `client_id`, `client_secret` or `scope`; the value may be any text.
    pub fn with_param(mut self, name: &str, value: &str) -> Credentials {
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'))
        {
            self.note_problem(Error::config(format!(
                "parameter name `{}` is not 1*( ALPHA / DIGIT / \"-\" / \".\" / \"_\" ) (RFC 6749 §8.2)",
                crate::error::sanitize(name, 40)
            )));
        } else if RESERVED.contains(&name) {
            self.note_problem(Error::config(format!(
                "parameter `{name}` is reserved and set by cctoken{}",
                if name == "scope" {
                    "; use with_scope"
                } else {
                    ""
                }
            )));
        } else {
            // Only a usable parameter is kept: a refused one (say
            // `client_secret`, given by mistake) would otherwise show in
            // `Debug`, which prints parameter values.
            self.params.push((name.to_owned(), value.to_owned()));
        }
        self
    }

    /// Sets the body encoding.
    pub fn with_encoding(mut self, encoding: Encoding) -> Credentials {
        self.encoding = encoding;
        self
    }

    /// Sets the client authentication method. cctoken never retries with
    /// another method after a failure: that would double failed logins and
    /// hide the first error. A secret goes with [`ClientAuth::RequestBody`],
    /// [`ClientAuth::Basic`], [`ClientAuth::BasicUnencoded`] or
    /// [`ClientAuth::ClientSecretJwt`]; a private key or an assertion file
    /// only with [`ClientAuth::PrivateKeyJwt`] (any other choice is a
    /// [`Config`](crate::ErrorKind::Config) error at
    /// [`validate`](Credentials::validate)).
    pub fn with_auth(mut self, auth: ClientAuth) -> Credentials {
        self.set_auth(auth);
        self.auth_chosen = true;
        self
    }

    /// Sets the client authentication (and the assertion maker it needs),
    /// noting a combination that cannot work; whether the caller chose it
    /// is the caller's to record.
    fn set_auth(&mut self, auth: ClientAuth) {
        let secret = matches!(self.key, ClientKey::Secret(_));
        if secret == (auth == ClientAuth::PrivateKeyJwt) {
            self.note_problem(Error::config(if secret {
                "PrivateKeyJwt needs a private key (Credentials::with_private_key) or an \
                 assertion file (Credentials::with_client_assertion_file), not a secret"
            } else {
                "a private key or an assertion file authenticates with PrivateKeyJwt only"
            }));
        }
        if auth == ClientAuth::ClientSecretJwt {
            self.assertion = Some(client_auth::with_secret);
            let len = self.key.secret().map_or(0, str::len);
            if len < crate::jws::MIN_HS256_SECRET {
                self.note_problem(Error::config(
                    "ClientSecretJwt needs a client secret of at least 32 bytes (RFC 7518 §3.2); \
                     this one is shorter",
                ));
            }
        }
        self.auth = auth;
    }

    /// Checks these credentials against the server's metadata (RFC 8414,
    /// from [`ServerMetadata::discover`](crate::ServerMetadata::discover))
    /// and configures them from it:
    ///
    /// - the token URL must be the metadata's `token_endpoint` (make the
    ///   credentials with it);
    /// - when the client authentication was not chosen with
    ///   [`with_auth`](Credentials::with_auth), it is chosen from
    ///   `token_endpoint_auth_methods_supported`: for a secret,
    ///   `client_secret_post` (cctoken's default) if listed, else
    ///   `client_secret_basic`, else `client_secret_jwt` (for a secret of 32
    ///   bytes or more); for a key or an assertion file, `private_key_jwt`.
    ///   A method the server does not list is never chosen, and one chosen
    ///   with `with_auth` that the server does not list is refused. When the
    ///   server lists none, RFC 8414's default applies: `client_secret_basic`
    ///   for a secret (a key keeps `private_key_jwt`);
    /// - the JWS algorithm of a JWT method must be in
    ///   `token_endpoint_auth_signing_alg_values_supported`, and a DPoP
    ///   key's in `dpop_signing_alg_values_supported`, when the server lists
    ///   them.
    ///
    /// The assertion audience is left alone (the token URL unless set):
    /// servers disagree on whether they accept the issuer there. With a
    /// [file cache](crate::TokenSource::with_file_cache) the cached token
    /// is keyed on the issuer, so that the `cctoken` command finds it
    /// before it would discover anything.
    ///
    /// ```
    /// use cctoken::{ClientAuth, Credentials, Request, Response, ServerMetadata};
    ///
    /// let metadata = ServerMetadata::discover_with("https://auth.example.com", &|_: &Request| {
    ///     Ok(Response::new(200, r#"{"issuer":"https://auth.example.com",
    ///         "token_endpoint":"https://auth.example.com/oauth/token",
    ///         "token_endpoint_auth_methods_supported":["client_secret_basic","private_key_jwt"]}"#))
    /// })?;
    /// let creds = Credentials::new(metadata.token_endpoint(), "my-client", "my-secret")?
    ///     .with_metadata(&metadata)?;
    /// assert_eq!(creds.auth(), ClientAuth::Basic); // the server does not list client_secret_post
    /// # Ok::<(), cctoken::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) naming what does
    /// not fit: another token URL, no listed method for this kind of
    /// credentials, an unlisted method or algorithm.
    pub fn with_metadata(mut self, metadata: &crate::ServerMetadata) -> Result<Credentials> {
        let endpoint = metadata.token_endpoint_url();
        if endpoint != self.token_url {
            return Err(Error::config(format!(
                "the token URL `{}` is not the server's token endpoint `{endpoint}` (from the \
                 metadata of `{}`)",
                self.token_url,
                metadata.issuer()
            )));
        }
        let listed = metadata.auth_methods_listed();
        let methods = metadata.token_endpoint_auth_methods();
        let has = |name: &str| methods.iter().any(|m| m == name);
        let name = |auth: ClientAuth| match auth {
            ClientAuth::RequestBody => "client_secret_post",
            ClientAuth::Basic | ClientAuth::BasicUnencoded => "client_secret_basic",
            ClientAuth::ClientSecretJwt => "client_secret_jwt",
            ClientAuth::PrivateKeyJwt => "private_key_jwt",
        };
        let secret_len = self.key.secret().map(str::len);
        if !self.auth_chosen {
            let choice = match secret_len {
                Some(_) if !listed => Some(ClientAuth::Basic),
                Some(len) => [
                    ClientAuth::RequestBody,
                    ClientAuth::Basic,
                    ClientAuth::ClientSecretJwt,
                ]
                .into_iter()
                .find(|a| {
                    has(name(*a))
                        && (*a != ClientAuth::ClientSecretJwt
                            || len >= crate::jws::MIN_HS256_SECRET)
                }),
                None => (!listed || has("private_key_jwt")).then_some(ClientAuth::PrivateKeyJwt),
            };
            let Some(choice) = choice else {
                return Err(Error::config(format!(
                    "the server ({}) lists client authentication methods {} and none fits a {}",
                    metadata.issuer(),
                    methods.join(", "),
                    if secret_len.is_some() {
                        "client secret"
                    } else {
                        "private key or assertion"
                    }
                )));
            };
            self.set_auth(choice);
        } else if listed && !has(name(self.auth)) {
            return Err(Error::config(format!(
                "the server ({}) does not list `{}` among its client authentication methods ({})",
                metadata.issuer(),
                name(self.auth),
                methods.join(", ")
            )));
        }
        let algs = metadata.token_endpoint_auth_signing_algs();
        let signing_alg = match (&self.auth, &self.key) {
            (ClientAuth::ClientSecretJwt, _) => Some("HS256"),
            (ClientAuth::PrivateKeyJwt, ClientKey::Key(k)) => Some(k.algorithm()),
            _ => None,
        };
        if let Some(alg) = signing_alg.filter(|a| !algs.is_empty() && !algs.iter().any(|x| x == a))
        {
            return Err(Error::config(format!(
                "the server ({}) does not list `{alg}` among its client assertion algorithms ({})",
                metadata.issuer(),
                algs.join(", ")
            )));
        }
        let dpop_algs = metadata.dpop_signing_algs();
        if let Some(alg) = self.dpop_key().map(|k| k.algorithm()) {
            if !dpop_algs.is_empty() && !dpop_algs.iter().any(|x| x == alg) {
                return Err(Error::config(format!(
                    "the server ({}) does not list `{alg}` among its DPoP algorithms ({})",
                    metadata.issuer(),
                    dpop_algs.join(", ")
                )));
            }
        }
        self.issuer = Some(metadata.issuer().to_owned());
        Ok(self)
    }

    /// These credentials with another token URL (the discovered one).
    pub(crate) fn with_token_url(mut self, token_url: &str) -> Result<Credentials> {
        let url = parse_url(token_url)?;
        self.token_url = url.normalized;
        self.host = url.host;
        self.https = url.https;
        Ok(self)
    }

    /// Credentials still to be discovered from `issuer`: the file cache
    /// keys on the issuer, and [`discovered`](Credentials::discovered) runs
    /// discovery. With `url_given`, discovery checks the token URL against
    /// the metadata (a mismatch is a `Config` error); without, the issuer
    /// stands in for the token URL until discovery replaces it.
    pub(crate) fn with_issuer(mut self, issuer: &str, url_given: bool) -> Credentials {
        self.issuer = Some(issuer.to_owned());
        self.url_from_issuer = !url_given;
        self.discover = Some(discover_and_configure);
        self
    }

    /// These credentials, with the token URL discovered and checked
    /// ([`with_metadata`](Credentials::with_metadata)) if it still had to
    /// be; `None` when nothing was to discover.
    ///
    /// # Errors
    ///
    /// Discovery's, and [`with_metadata`](Credentials::with_metadata)'s.
    pub(crate) fn discovered(&self, transport: &dyn Transport) -> Option<Result<Credentials>> {
        self.discover.map(|discover| discover(self, transport))
    }

    /// The issuer these credentials were discovered from, if any.
    pub fn issuer(&self) -> Option<&str> {
        self.issuer.as_deref()
    }

    /// Binds the tokens to `key` with DPoP (RFC 9449): every token request
    /// carries a fresh proof made with it (`typ` `dpop+jwt`, the public
    /// `jwk`, a 128-bit `jti`, `htm` `POST`, `htu` the token URL, `iat`,
    /// and the server's latest nonce), and the server answers with a token
    /// of type `DPoP` that is worthless without the key: each API request
    /// needs a proof too, from [`Token::dpop_proof`]. Works with every
    /// client authentication (with `private_key_jwt`, use another key) and
    /// body encoding.
    ///
    /// A token request answered 400 `use_dpop_nonce` with a `DPoP-Nonce`
    /// header is sent again once with that nonce (RFC 9449 §8; a second
    /// `use_dpop_nonce` is returned as the error); the latest nonce the
    /// token endpoint sent is used for the next request. A `Bearer` answer
    /// is an [`InvalidResponse`](crate::ErrorKind::InvalidResponse): the
    /// server ignored the proof.
    ///
    /// With a [file cache](crate::TokenSource::with_file_cache), a cached
    /// token is only ever served for the same key (its thumbprint is in the
    /// cache's fingerprint); a key from [`PrivateKey::generate`] lives in
    /// this process only, so the file cache refuses it.
    pub fn with_dpop(mut self, key: PrivateKey) -> Credentials {
        self.dpop = Some(Dpop::new(key));
        self
    }

    /// The DPoP key, when tokens are DPoP-bound.
    pub(crate) fn dpop_key(&self) -> Option<&PrivateKey> {
        self.dpop.as_ref().map(|d| &d.key)
    }

    /// Sets the `aud` claim of client assertions (RFC 7523 §3), for
    /// [`ClientAuth::PrivateKeyJwt`] with a key and
    /// [`ClientAuth::ClientSecretJwt`]. The default is the token URL, what
    /// RFC 7523 names and what Okta, Entra ID, Keycloak and Authlib accept;
    /// Auth0 wants its issuer (`https://TENANT.auth0.com/`, with the
    /// trailing slash). One value, never an array: Keycloak refuses an
    /// array by default.
    pub fn with_assertion_audience(mut self, audience: &str) -> Credentials {
        if audience.is_empty() || audience.chars().any(char::is_control) {
            self.note_problem(Error::config(
                "assertion audience is empty or has control characters",
            ));
        }
        self.assertion_audience = Some(audience.to_owned());
        self
    }

    /// Sets the limit for the whole exchange: connect, send, and read the
    /// whole response. The built-in transport counts whole seconds and
    /// rounds up.
    pub fn with_timeout(mut self, timeout: Duration) -> Credentials {
        if timeout.is_zero() {
            self.note_problem(Error::config("timeout is zero"));
        }
        self.timeout = timeout;
        self
    }

    /// Sets the largest response body read.
    pub fn with_max_response_bytes(mut self, max: usize) -> Credentials {
        if max == 0 {
            self.note_problem(Error::config("response cap is zero"));
        }
        self.max_response_bytes = max;
        self
    }

    /// Allows a plain `http://` token URL to a host that is not loopback.
    /// The secret and the token then cross the network in clear text.
    pub fn dangerous_allow_http(mut self) -> Credentials {
        self.allow_http = true;
        self
    }

    /// The token URL (scheme in lower case).
    pub fn token_url(&self) -> &str {
        &self.token_url
    }

    /// The client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    #[cfg(test)]
    pub(crate) fn secret(&self) -> &str {
        self.key.secret().unwrap_or("")
    }

    /// The `aud` of client assertions: the one set, else the token URL.
    pub fn assertion_audience(&self) -> &str {
        self.assertion_audience
            .as_deref()
            .unwrap_or(&self.token_url)
    }

    /// The scope asked for, if any.
    pub fn scope(&self) -> Option<&str> {
        self.scope.as_deref()
    }

    /// The extra parameters, in order.
    pub fn params(&self) -> impl Iterator<Item = (&str, &str)> {
        self.params.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The body encoding.
    pub fn encoding(&self) -> Encoding {
        self.encoding
    }

    /// The client authentication method.
    pub fn auth(&self) -> ClientAuth {
        self.auth
    }

    /// The request timeout.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The response body cap.
    pub fn max_response_bytes(&self) -> usize {
        self.max_response_bytes
    }

    /// Checks what the setters could not: reserved parameter names, zero
    /// limits, a client id with `:` under [`ClientAuth::BasicUnencoded`],
    /// and the URL policy — `https://`, or `http://` only to a loopback
    /// host unless [`dangerous_allow_http`](Credentials::dangerous_allow_http).
    ///
    /// # Errors
    ///
    /// The first problem found, as [`ErrorKind::Config`](crate::ErrorKind::Config).
    pub fn validate(&self) -> Result<()> {
        if let Some(problem) = &self.problem {
            return Err(problem.clone());
        }
        if !self.https && !self.allow_http && !is_loopback(&self.host) {
            return Err(Error::config(format!(
                "http:// token URL to non-loopback host `{}` would send the secret in clear text; \
                 use https:// (or dangerous_allow_http)",
                self.host
            )));
        }
        if self.auth == ClientAuth::BasicUnencoded && self.client_id.contains(':') {
            return Err(Error::config(
                "client id contains `:`, which BasicUnencoded cannot carry; use ClientAuth::Basic",
            ));
        }
        Ok(())
    }

    /// Fetches a new token over the built-in [`HttpTransport`].
    ///
    /// Every call sends a request; to reuse a token until it expires, use
    /// a [`TokenSource`](crate::TokenSource).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`](crate::ErrorKind::Config) from
    /// [`validate`](Credentials::validate), before any traffic; otherwise
    /// the transport's errors and the parser's (see [`ErrorKind`](crate::ErrorKind)).
    pub fn fetch(&self) -> Result<Token> {
        self.fetch_with(&HttpTransport::new())
    }

    /// Fetches a new token over `transport`.
    ///
    /// # Errors
    ///
    /// As [`fetch`](Credentials::fetch), with the transport's own errors.
    pub fn fetch_with<T: Transport + ?Sized>(&self, transport: &T) -> Result<Token> {
        self.fetch_at(transport, &SystemClock)
    }

    /// Fetches with the token's lifetime measured on `clock` from the
    /// moment the request is sent.
    pub(crate) fn fetch_at<T: Transport + ?Sized>(
        &self,
        transport: &T,
        clock: &dyn Clock,
    ) -> Result<Token> {
        self.fetch_dyn(&|r: &Request| transport.send(r), clock)
    }

    fn fetch_dyn(&self, transport: &dyn Transport, clock: &dyn Clock) -> Result<Token> {
        self.validate()?;
        // Named by an issuer: discover the token endpoint first (the file
        // cache, keyed on the issuer, found no token).
        if let Some(discovered) = self.discovered(transport) {
            return discovered?.fetch_dyn(transport, clock);
        }
        match &self.dpop {
            // The DPoP exchange (nonce retry, binding check) lives in
            // `dpop.rs`, reached only when DPoP was asked for.
            Some(dpop) => dpop.fetch(self, transport, clock),
            None => self.exchange(transport, clock).0,
        }
    }

    /// One token request: the parsed response, and the `DPoP-Nonce` the
    /// server sent with it when DPoP is on.
    pub(crate) fn exchange(
        &self,
        transport: &dyn Transport,
        clock: &dyn Clock,
    ) -> (Result<Token>, Option<String>) {
        let issued = (clock.now(), clock.wall());
        let (mut request, mut redactor) = match self.request(issued.1) {
            Ok(made) => made,
            Err(e) => return (Err(e), None),
        };
        if let Some(dpop) = &self.dpop {
            match dpop.proof(&self.token_url, issued.1) {
                Ok(proof) => {
                    redactor = redactor.literal(&proof);
                    request.add_header("DPoP", proof);
                }
                Err(e) => return (Err(e), None),
            }
        }
        let response = match transport.send(&request) {
            Ok(response) => response,
            Err(e) => return (Err(e.redact(&redactor)), None),
        };
        let key = self.dpop_key();
        let result =
            parse::token_response(&response, self.max_response_bytes, issued, &redactor, key)
                .map_err(|e| e.redact(&redactor));
        let nonce = key
            .and_then(|_| response.header("dpop-nonce"))
            .map(str::to_owned);
        (result, nonce)
    }

    /// Everything that shapes the token request, the secret included, as
    /// one string: what the file cache's salted fingerprint is made of
    /// (never stored as it is).
    pub(crate) fn cache_identity(&self) -> String {
        // Discovered from an issuer: keyed on the issuer and on the method
        // the caller chose ("auto" when the metadata chose), which are known
        // before the discovery.
        let auth = match (&self.issuer, self.auth_chosen) {
            (Some(_), false) => "auto".to_owned(),
            _ => format!("{:?}", self.auth),
        };
        // A token URL given with the issuer is part of the key too: a token
        // cached for the discovered endpoint is not served to a run that
        // names another one (that run discovers, and the check refuses).
        let place = match &self.issuer {
            Some(issuer) if self.url_from_issuer => format!("issuer:{issuer}"),
            Some(issuer) => format!("issuer:{issuer} token_url:{}", self.token_url),
            None => self.token_url.clone(),
        };
        let mut identity = self.key.identity();
        // `@` cannot start a parameter name: no parameter can pose as these.
        let mut fields: Vec<(&str, &str)> = vec![
            ("@token_url", &place),
            ("@client_id", &self.client_id),
            ("@auth", &auth),
            ("@scope", self.scope.as_deref().unwrap_or("")),
            ("@client", &identity),
            ("@aud", self.assertion_audience.as_deref().unwrap_or("")),
            (
                "@dpop",
                self.dpop.as_ref().map_or("", |d| d.key.thumbprint()),
            ),
        ];
        fields.extend(self.params());
        let material = encode::json(&fields);
        crate::secret::zero_string(&mut identity);
        material
    }

    /// The token request these credentials encode to at `now` (a client
    /// assertion is made or read for each), and what must never be quoted
    /// back from the server: the secret, the `Authorization` value and the
    /// assertion that carry it.
    pub(crate) fn request(&self, now: std::time::SystemTime) -> Result<(Request, Redactor)> {
        let secret = self.key.secret();
        let mut redactor = Redactor::none();
        if let Some(secret) = secret {
            redactor = redactor.secret(secret);
        }
        let assertion =
            match (self.auth, self.assertion) {
                (ClientAuth::ClientSecretJwt | ClientAuth::PrivateKeyJwt, Some(make)) => Some(
                    make(&self.key, &self.client_id, self.assertion_audience(), now)?,
                ),
                // Every setter of a JWT method sets its maker; should one ever
                // not, refuse rather than send a request without client
                // authentication.
                (ClientAuth::ClientSecretJwt | ClientAuth::PrivateKeyJwt, None) => {
                    return Err(Error::config(
                        "internal: a JWT client authentication without its assertion maker",
                    ))
                }
                _ => None,
            };
        let mut fields: Vec<(&str, &str)> = vec![("grant_type", "client_credentials")];
        match (&assertion, secret) {
            (Some(assertion), _) => {
                redactor = redactor.literal(assertion);
                fields.push(("client_id", &self.client_id));
                fields.push(("client_assertion_type", client_auth::ASSERTION_TYPE));
                fields.push(("client_assertion", assertion));
            }
            (None, Some(secret)) if self.auth == ClientAuth::RequestBody => {
                fields.push(("client_id", &self.client_id));
                fields.push(("client_secret", secret));
            }
            _ => {}
        }
        if let Some(scope) = &self.scope {
            fields.push(("scope", scope));
        }
        fields.extend(self.params.iter().map(|(k, v)| (k.as_str(), v.as_str())));

        let (content_type, body) = match self.encoding {
            Encoding::Form => (
                "application/x-www-form-urlencoded".to_owned(),
                encode::form(&fields),
            ),
            Encoding::Json => ("application/json".to_owned(), encode::json(&fields)),
            Encoding::Multipart => {
                let boundary = encode::boundary(&fields);
                let body = encode::multipart(&fields, &boundary);
                (format!("multipart/form-data; boundary={boundary}"), body)
            }
        };
        let mut headers = vec![
            ("Accept".to_owned(), "application/json".to_owned()),
            ("Content-Type".to_owned(), content_type),
            ("User-Agent".to_owned(), USER_AGENT.to_owned()),
        ];
        if let (ClientAuth::Basic | ClientAuth::BasicUnencoded, Some(secret)) = (self.auth, secret)
        {
            let basic = encode::basic(&self.client_id, secret, self.auth == ClientAuth::Basic);
            redactor = redactor.literal(basic.strip_prefix("Basic ").unwrap_or(&basic));
            headers.push(("Authorization".to_owned(), basic));
        }
        if let Some(mut assertion) = assertion {
            crate::secret::zero_string(&mut assertion);
        }
        let request = Request::new(
            self.token_url.clone(),
            headers,
            body.into_bytes(),
            self.timeout,
            self.max_response_bytes,
        );
        Ok((request, redactor))
    }
}

/// `cctoken/<version>`, the `User-Agent` of every request.
pub const USER_AGENT: &str = concat!("cctoken/", env!("CARGO_PKG_VERSION"));

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field("client", &self.key)
            .field("assertion_audience", &self.assertion_audience)
            .field("dpop", &self.dpop.as_ref().map(|d| &d.key))
            .field("scope", &self.scope)
            .field("params", &self.params)
            .field("encoding", &self.encoding)
            .field("auth", &self.auth)
            .field("timeout", &self.timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("allow_http", &self.allow_http)
            .finish()
    }
}

/// What discovers credentials named by an issuer: [`discover_and_configure`].
type Discover = fn(&Credentials, &dyn Transport) -> Result<Credentials>;

/// Discovers the token endpoint from the issuer the credentials name
/// (same timeout and size cap as their token requests), then configures
/// them from the metadata.
fn discover_and_configure(creds: &Credentials, transport: &dyn Transport) -> Result<Credentials> {
    let issuer = creds.issuer.as_deref().unwrap_or_default();
    let metadata = crate::Discovery::new(issuer)
        .with_timeout(creds.timeout)
        .with_max_response_bytes(creds.max_response_bytes)
        .fetch_with(transport)?;
    let mut creds = creds.clone();
    creds.discover = None;
    if creds.url_from_issuer {
        creds = creds.with_token_url(metadata.token_endpoint_url())?;
    }
    creds.with_metadata(&metadata)
}

/// Checks a token URL as [`Credentials::new`] does.
pub(crate) fn check_url(url: &str) -> Result<()> {
    parse_url(url).map(|_| ())
}

pub(crate) struct ParsedUrl {
    pub(crate) normalized: String,
    pub(crate) host: String,
    pub(crate) https: bool,
}

/// Parses a token URL: `http(s)://host[:port][/path][?query]`.
pub(crate) fn parse_url(url: &str) -> Result<ParsedUrl> {
    let bad = |why: &str| Error::config(format!("token URL {why}"));
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("contains whitespace or control characters"));
    }
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| bad("must start with https://"))?;
    let https = if scheme.eq_ignore_ascii_case("https") {
        true
    } else if scheme.eq_ignore_ascii_case("http") {
        false
    } else {
        return Err(bad(&format!(
            "has scheme `{}`; only https:// (or http:// to loopback) is supported",
            crate::error::sanitize(scheme, 16)
        )));
    };
    if rest.contains('#') {
        return Err(bad("must not have a fragment (RFC 6749 §3.2)"));
    }
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..end];
    if authority.contains('@') {
        return Err(bad("must not contain user info; use ClientAuth::Basic"));
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (inner, after) = v6
            .split_once(']')
            .ok_or_else(|| bad("has an unclosed IPv6 literal"))?;
        if inner.parse::<Ipv6Addr>().is_err() {
            return Err(bad("has an invalid IPv6 literal"));
        }
        let port = match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or_else(|| bad("has text after the IPv6 literal"))?,
            ),
        };
        (&authority[..inner.len() + 2], port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(bad("has no host"));
    }
    if !host.starts_with('[')
        && !host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
    {
        return Err(bad(
            "has a host with characters outside A-Z a-z 0-9 . - _ (write IDNs in xn-- form)",
        ));
    }
    if let Some(port) = port {
        if port.is_empty()
            || !port.bytes().all(|b| b.is_ascii_digit())
            || !matches!(port.parse::<u16>(), Ok(1..))
        {
            return Err(bad(&format!(
                "has an invalid port `{}`",
                crate::error::sanitize(port, 16)
            )));
        }
    }
    // `https://host?x` has an empty path: the request target is `/?x`
    // (RFC 9112 §3.2.1), so the path is written out.
    let slash = if rest[end..].starts_with('?') {
        "/"
    } else {
        ""
    };
    Ok(ParsedUrl {
        normalized: format!(
            "{}://{}{slash}{}",
            if https { "https" } else { "http" },
            authority,
            &rest[end..]
        ),
        host: host.to_owned(),
        https,
    })
}

/// `localhost`, `127.0.0.0/8` or `[::1]`.
pub(crate) fn is_loopback(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    if let Ok(v4) = host.parse::<Ipv4Addr>() {
        return v4.is_loopback();
    }
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .and_then(|h| h.parse::<Ipv6Addr>().ok())
        .is_some_and(|v6| v6.is_loopback())
}

#[cfg(test)]
#[path = "credentials_tests.rs"]
mod tests;
