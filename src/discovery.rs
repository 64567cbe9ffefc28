//! [`ServerMetadata`] and [`Discovery`]: an authorization server's metadata
//! (RFC 8414; OpenID Connect Discovery 1.0), fetched from its issuer URL
//! and checked before anything in it is used.

use crate::credentials::{is_loopback, parse_url, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT};
use crate::error::{find, sanitize, Error, ErrorKind, Result};
use crate::parse::{json_object, Member, Members};
use crate::redact::Redactor;
use crate::transport::{HttpTransport, Request, Response, Transport};
use std::fmt;
use std::time::{Duration, SystemTime};

/// RFC 8414 §3: inserted between the host and the issuer's path.
const OAUTH: &str = "/.well-known/oauth-authorization-server";
/// OpenID Connect Discovery §4: appended to the issuer.
const OIDC: &str = "/.well-known/openid-configuration";
/// RFC 8414 §2: what `token_endpoint_auth_methods_supported` means when
/// it is absent.
const DEFAULT_AUTH_METHOD: &str = "client_secret_basic";
/// The most characters of a server's text shown in an error.
const EXCERPT: usize = 100;
/// The most characters of a URL or issuer shown in an error.
const QUOTED: usize = 200;

/// How to fetch an authorization server's metadata: the issuer, the
/// timeout and the size cap. [`ServerMetadata::discover`] is this with the
/// defaults.
///
/// # Defaults
///
/// | setting | default |
/// |---|---|
/// | timeout | 30 s for each request ([`DEFAULT_TIMEOUT`](crate::DEFAULT_TIMEOUT)) |
/// | response cap | 64 KiB ([`DEFAULT_MAX_RESPONSE_BYTES`](crate::DEFAULT_MAX_RESPONSE_BYTES)) |
/// | plain `http://` issuer | loopback hosts only (`127.0.0.0/8`, `::1`, `localhost`) |
///
/// ```no_run
/// use cctoken::Discovery;
/// use std::time::Duration;
///
/// let metadata = Discovery::new("https://auth.example.com")
///     .with_timeout(Duration::from_secs(5))
///     .fetch()?;
/// println!("token endpoint: {}", metadata.token_endpoint());
/// # Ok::<(), cctoken::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Discovery {
    issuer: String,
    timeout: Duration,
    max_response_bytes: usize,
}

impl Discovery {
    /// Discovery of the server whose issuer identifier is `issuer`,
    /// written exactly as the server writes it (the document's `issuer`
    /// must equal it byte for byte). The URL is checked when fetching.
    pub fn new(issuer: &str) -> Discovery {
        Discovery {
            issuer: issuer.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
        }
    }

    /// Sets the limit for each request (connect, send, read the whole
    /// response); discovery makes at most two. The built-in transport
    /// counts whole seconds and rounds up.
    pub fn with_timeout(mut self, timeout: Duration) -> Discovery {
        self.timeout = timeout;
        self
    }

    /// Sets the largest metadata document read.
    pub fn with_max_response_bytes(mut self, max: usize) -> Discovery {
        self.max_response_bytes = max;
        self
    }

    /// The issuer asked for.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The timeout of each request.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The response body cap.
    pub fn max_response_bytes(&self) -> usize {
        self.max_response_bytes
    }

    /// Fetches and checks the metadata over the built-in [`HttpTransport`].
    ///
    /// # Errors
    ///
    /// As [`ServerMetadata::discover`].
    pub fn fetch(&self) -> Result<ServerMetadata> {
        self.fetch_with(&HttpTransport::new())
    }

    /// Fetches and checks the metadata over `transport`, which receives
    /// plain `GET` requests ([`Request::method`]) without a body or
    /// credentials.
    ///
    /// # Errors
    ///
    /// As [`ServerMetadata::discover`], with the transport's own errors.
    pub fn fetch_with<T: Transport + ?Sized>(&self, transport: &T) -> Result<ServerMetadata> {
        self.run(transport).map_err(in_discovery)
    }

    fn run<T: Transport + ?Sized>(&self, transport: &T) -> Result<ServerMetadata> {
        if self.timeout.is_zero() {
            return Err(Error::config("timeout is zero"));
        }
        if self.max_response_bytes == 0 {
            return Err(Error::config("response cap is zero"));
        }
        let [first, second] = locations(&self.issuer)?;
        let get = |url: &str| {
            let request = Request::get(url.to_owned(), self.timeout, self.max_response_bytes);
            transport.send(&request)
        };
        let missed = match get(&first) {
            Ok(response) if not_here(response.status()) => response.status(),
            // A transport that refuses an over-long 404 page still says
            // "not here".
            Err(e)
                if e.kind() == ErrorKind::ResponseTooLarge && e.status().is_some_and(not_here) =>
            {
                e.status().unwrap_or(404)
            }
            Ok(response) => return self.document(&response, &first),
            Err(e) => return Err(at(e, &first)),
        };
        match get(&second) {
            Ok(response) if not_here(response.status()) => {
                let status = response.status();
                Err(Error::new(
                    ErrorKind::Http,
                    format!(
                        "no metadata document at `{first}` (HTTP {missed}) nor at `{second}` (HTTP {status}); is `{}` the issuer?",
                        self.issuer
                    ),
                )
                .with_status(status)
                .with_retry_after_of(&response, SystemTime::now()))
            }
            Ok(response) => self.document(&response, &second),
            Err(e) => Err(at(e, &second)),
        }
    }

    /// Checks a response from `url`: the status, the size, the document.
    fn document(&self, response: &Response, url: &str) -> Result<ServerMetadata> {
        let status = response.status();
        let fail = |e: Error| {
            let e = e
                .with_status(status)
                .with_retry_after_of(response, SystemTime::now());
            at(e, url)
        };
        let body = response.body();
        crate::parse::size_and_redirect(response, self.max_response_bytes, &Redactor::none())
            .map_err(fail)?;
        if !(200..300).contains(&status) {
            let detail = if body.is_empty() {
                "empty body".to_owned()
            } else {
                let text = String::from_utf8_lossy(body);
                format!("body starts `{}`", sanitize(&text, EXCERPT))
            };
            return Err(fail(Error::new(ErrorKind::Http, detail)));
        }
        let mut metadata = from_document(body, &self.issuer).map_err(fail)?;
        metadata.document_url = url.to_owned();
        Ok(metadata)
    }
}

/// A status at the first location that sends discovery on to the second:
/// any 4xx but 408 and 429, which say "try again later", not "not here".
fn not_here(status: u16) -> bool {
    (400..500).contains(&status) && !matches!(status, 408 | 429)
}

/// Adds the URL fetched to an error's detail.
fn at(e: Error, url: &str) -> Error {
    let detail = match e.detail() {
        "" => format!("GET {url}"),
        detail => format!("{detail} (GET {url})"),
    };
    e.with_detail(detail)
}

/// An authorization server's metadata (RFC 8414 §2, OpenID Connect
/// Discovery §3), as far as a client credentials client uses it: the
/// issuer, the token endpoint, and what the token endpoint supports.
///
/// # Where it comes from
///
/// [`discover`](ServerMetadata::discover) looks in two places, in this
/// order, for an issuer `https://host` or `https://host/path`:
///
/// 1. `https://host/.well-known/oauth-authorization-server/path` (RFC 8414
///    §3.1: the well-known part goes between the host and the path; one
///    trailing `/` of the issuer is dropped first, so `https://host` and
///    `https://host/` both give `https://host/.well-known/oauth-authorization-server`);
/// 2. `https://host/path/.well-known/openid-configuration` (OpenID Connect
///    Discovery §4: appended to the issuer, without its trailing `/`).
///
/// It goes on to the second place only when the first answers with a 4xx
/// status other than 408 and 429 (servers answer a well-known path they do
/// not serve with 404, 400, 403 or 405; a 408 or 429 means "later", not
/// "not here"). Anything else at the first place is the answer: a document
/// that fails its checks, a 5xx, a 408 or 429, a redirect, a network, TLS
/// or timeout error is reported, never skipped. Trying the second place
/// sends nothing secret, and what it returns passes the same checks.
///
/// # What is checked
///
/// - The issuer URL, before any traffic: `https://`, or `http://` to a
///   loopback host only (`127.0.0.0/8`, `::1`, `localhost`); no query, no
///   fragment, no user info (RFC 8414 §2); not a `/.well-known/` URL.
/// - The document: a JSON object (UTF-8, a byte-order mark tolerated,
///   unique member names, at most 256 members, nesting at most 32 deep),
///   at most 64 KiB unless set otherwise.
/// - `issuer` equals the issuer asked for **byte for byte** (RFC 8414 §3.3,
///   OpenID Connect Discovery §4.3: the defence against mix-up attacks). A
///   trailing slash, letter case or scheme that differs is refused; the
///   error names both values. Ask for the issuer exactly as the server
///   writes it (Auth0's ends with `/`, Google's does not).
/// - `token_endpoint` is a URL that [`Credentials`](crate::Credentials)
///   accepts and is `https://`, or `http://` to a loopback host.
/// - `token_endpoint_auth_methods_supported`,
///   `token_endpoint_auth_signing_alg_values_supported` and
///   `dpop_signing_alg_values_supported`, when present and not `null`, are
///   arrays of non-empty strings without spaces.
///
/// Requests are plain `GET`s with `Accept: application/json` and
/// `User-Agent`: no credentials are ever sent during discovery, redirects
/// are never followed, and each request has the timeout.
///
/// # Microsoft Entra ID
///
/// Entra's multi-tenant documents (`common`, `organizations`, `consumers`)
/// carry the issuer `https://login.microsoftonline.com/{tenantid}/v2.0`,
/// with that placeholder in it: it can never equal the URL it was fetched
/// from, so discovery from `…/common/v2.0` is refused. Ask for your
/// tenant's own issuer, `https://login.microsoftonline.com/<tenant-id>/v2.0`
/// (the tenant id is a GUID, shown in the Entra admin center), whose
/// document names exactly that issuer.
///
/// # Example
///
/// Over a closure transport serving a canned document (a real program
/// calls [`discover`](ServerMetadata::discover)):
///
/// ```
/// use cctoken::{Request, Response, ServerMetadata};
///
/// let document = r#"{
///     "issuer": "https://auth.example.com/tenant",
///     "token_endpoint": "https://auth.example.com/tenant/oauth/token",
///     "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
///     "service_documentation": "https://auth.example.com/docs"
/// }"#;
/// let metadata = ServerMetadata::discover_with("https://auth.example.com/tenant", &|r: &Request| {
///     assert_eq!(r.method(), "GET");
///     assert!(r.header("authorization").is_none());
///     Ok(match r.url() {
///         "https://auth.example.com/.well-known/oauth-authorization-server/tenant" => {
///             Response::new(200, document)
///         }
///         _ => Response::new(404, "not found"),
///     })
/// })?;
/// assert_eq!(metadata.token_endpoint(), "https://auth.example.com/tenant/oauth/token");
/// assert_eq!(metadata.token_endpoint_auth_methods(), ["client_secret_post", "private_key_jwt"]);
/// assert!(metadata.dpop_signing_algs().is_empty());
/// assert_eq!(metadata.extra("service_documentation"), Some("https://auth.example.com/docs"));
/// # Ok::<(), cctoken::Error>(())
/// ```
///
/// Against a real server:
///
/// ```no_run
/// use cctoken::ServerMetadata;
///
/// let metadata = ServerMetadata::discover("https://accounts.example.com")?;
/// println!("{}", metadata.token_endpoint());
/// # Ok::<(), cctoken::Error>(())
/// ```
#[derive(Clone)]
pub struct ServerMetadata {
    issuer: String,
    token_endpoint: String,
    /// `token_endpoint` normalised as [`Credentials`](crate::Credentials)
    /// holds a token URL (scheme in lower case, `/` before a bare `?query`).
    token_endpoint_url: String,
    auth_methods: Vec<String>,
    auth_methods_listed: bool,
    dpop_algs: Vec<String>,
    signing_algs: Vec<String>,
    extras: Vec<(String, String)>,
    document_url: String,
}

impl ServerMetadata {
    /// Fetches and checks the metadata of the server whose issuer
    /// identifier is `issuer`, over the built-in [`HttpTransport`], with a
    /// 30 s timeout per request and a 64 KiB cap; [`Discovery`] sets them
    /// otherwise. See [Where it comes from](#where-it-comes-from) and
    /// [What is checked](#what-is-checked).
    ///
    /// # Errors
    ///
    /// - [`ErrorKind::Config`]: the issuer URL is unusable (not `https://`,
    ///   plain `http://` to a non-loopback host, a query, a fragment, user
    ///   info, a `/.well-known/` URL), a zero timeout or cap; before any
    ///   traffic.
    /// - [`ErrorKind::Connect`], [`ErrorKind::Timeout`], [`ErrorKind::Tls`]:
    ///   from the transport, at either place (never a reason to try the
    ///   second).
    /// - [`ErrorKind::Redirect`]: a 3xx, not followed.
    /// - [`ErrorKind::Http`]: a 5xx, 408 or 429, or a 4xx at both places,
    ///   with the status (and `Retry-After`).
    /// - [`ErrorKind::ResponseTooLarge`]: a document over the cap.
    /// - [`ErrorKind::InvalidResponse`]: the document is not a JSON object,
    ///   lacks `issuer` or `token_endpoint`, has a member of the wrong type
    ///   (named in the message), an `issuer` other than the one asked for,
    ///   or a `token_endpoint` that is not `https://` (loopback excepted).
    ///
    /// Every error's message names the URL it came from, and `Display`
    /// says it happened during discovery ("invalid server metadata: …").
    pub fn discover(issuer: &str) -> Result<ServerMetadata> {
        Discovery::new(issuer).fetch()
    }

    /// As [`discover`](ServerMetadata::discover), over `transport`.
    ///
    /// # Errors
    ///
    /// As [`discover`](ServerMetadata::discover), with the transport's own
    /// errors.
    pub fn discover_with<T: Transport + ?Sized>(
        issuer: &str,
        transport: &T,
    ) -> Result<ServerMetadata> {
        Discovery::new(issuer).fetch_with(transport)
    }

    /// The issuer identifier: the one asked for, byte for byte.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The token endpoint URL, as the document gives it (checked: a URL
    /// that [`Credentials::new`](crate::Credentials::new) accepts, and
    /// `https://` unless its host is loopback).
    pub fn token_endpoint(&self) -> &str {
        &self.token_endpoint
    }

    /// The client authentication methods the token endpoint supports, as
    /// listed in `token_endpoint_auth_methods_supported`, in the server's
    /// order: names such as `client_secret_basic`, `client_secret_post`,
    /// `client_secret_jwt`, `private_key_jwt`, `tls_client_auth`, `none`
    /// (IANA "OAuth Token Endpoint Authentication Methods"), returned as
    /// the server wrote them, unknown ones included. When the member is
    /// absent (or `null`), RFC 8414 §2's default, `["client_secret_basic"]`.
    /// A server that lists an empty array gets an empty slice.
    pub fn token_endpoint_auth_methods(&self) -> &[String] {
        &self.auth_methods
    }

    /// The JWS algorithms the server accepts for DPoP proofs (RFC 9449
    /// §5.1, `dpop_signing_alg_values_supported`), such as `ES256`; empty
    /// when the member is absent.
    pub fn dpop_signing_algs(&self) -> &[String] {
        &self.dpop_algs
    }

    /// The JWS algorithms the token endpoint accepts for `private_key_jwt`
    /// and `client_secret_jwt` assertions
    /// (`token_endpoint_auth_signing_alg_values_supported`); empty when the
    /// member is absent.
    pub fn token_endpoint_auth_signing_algs(&self) -> &[String] {
        &self.signing_algs
    }

    /// Another member of the document by name, if it is a scalar: strings
    /// as they are, numbers and booleans as JSON text. Arrays, objects and
    /// `null` are not kept, nor `issuer` and `token_endpoint` (see their
    /// accessors).
    pub fn extra(&self, name: &str) -> Option<&str> {
        self.extras
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The token endpoint, normalised as [`Credentials`](crate::Credentials)
    /// holds a token URL.
    pub(crate) fn token_endpoint_url(&self) -> &str {
        &self.token_endpoint_url
    }

    /// Whether the document listed `token_endpoint_auth_methods_supported`
    /// (otherwise [`token_endpoint_auth_methods`](Self::token_endpoint_auth_methods)
    /// is RFC 8414's default).
    pub(crate) fn auth_methods_listed(&self) -> bool {
        self.auth_methods_listed
    }
}

impl fmt::Debug for ServerMetadata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let extras: Vec<&str> = self.extras.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("ServerMetadata")
            .field("issuer", &self.issuer)
            .field("token_endpoint", &self.token_endpoint)
            .field("token_endpoint_auth_methods", &self.auth_methods)
            .field("auth_methods_listed", &self.auth_methods_listed)
            .field("token_endpoint_auth_signing_algs", &self.signing_algs)
            .field("dpop_signing_algs", &self.dpop_algs)
            .field("extras", &extras)
            .field("document_url", &self.document_url)
            .finish()
    }
}

/// The two places to look for the metadata of `issuer` (see
/// [`ServerMetadata`]), after checking it as a URL.
pub(crate) fn locations(issuer: &str) -> Result<[String; 2]> {
    let bad = |why: String| Error::config(format!("issuer `{}` {why}", sanitize(issuer, QUOTED)));
    let rest = issuer.split_once("://").map_or("", |(_, rest)| rest);
    if rest.contains('#') {
        return Err(bad(
            "has a fragment; an issuer has none (RFC 8414 §2)".into()
        ));
    }
    if rest.contains('?') {
        return Err(bad("has a query; an issuer has none (RFC 8414 §2)".into()));
    }
    let authority = rest.split('/').next().unwrap_or("");
    if authority.contains('@') {
        return Err(bad("has user info; an issuer has none".into()));
    }
    let url = parse_url(issuer).map_err(|e| {
        let why = e.detail().strip_prefix("token URL ").unwrap_or(e.detail());
        bad(why.to_owned())
    })?;
    if !url.https && !is_loopback(&url.host) {
        return Err(bad(
            "is plain http:// to a non-loopback host; issuers are https:// (http:// only on loopback)"
                .into(),
        ));
    }
    // No query and no `?`: the normalised URL is `scheme://authority/path`.
    let scheme = if url.https { "https://" } else { "http://" };
    let after = &url.normalized[scheme.len()..];
    let split = after.find('/').unwrap_or(after.len());
    let origin = &url.normalized[..scheme.len() + split];
    let path = &after[split..];
    let path = path.strip_suffix('/').unwrap_or(path);
    if let Some(at) = find(path.as_bytes(), b"/.well-known/") {
        let (before, well_known) = path.split_at(at);
        let meant = match well_known {
            OAUTH | OIDC => format!("{origin}{before}"),
            w if w.starts_with(OAUTH) && before.is_empty() => {
                format!("{origin}{}", &w[OAUTH.len()..])
            }
            _ => format!("{origin}{before}"),
        };
        return Err(bad(format!(
            "is a metadata URL; give the issuer itself (`{}`?)",
            sanitize(&meant, QUOTED)
        )));
    }
    Ok([
        format!("{origin}{OAUTH}{path}"),
        format!("{origin}{path}{OIDC}"),
    ])
}

/// Checks a metadata document against the issuer asked for (the fuzzed
/// surface: never panics).
pub(crate) fn from_document(body: &[u8], issuer: &str) -> Result<ServerMetadata> {
    let object = json_object(body, "the document").map_err(Error::invalid)?;
    let found = match object.get("issuer") {
        Some(Member::String(s)) => s.as_str(),
        None | Some(Member::Null) => return Err(Error::invalid("no `issuer` member")),
        Some(_) => return Err(Error::invalid("`issuer` is not a string")),
    };
    if found != issuer {
        return Err(mismatch(found, issuer));
    }
    let token_endpoint = match object.get("token_endpoint") {
        Some(Member::String(s)) => s.as_str(),
        None | Some(Member::Null) => return Err(Error::invalid("no `token_endpoint` member")),
        Some(_) => return Err(Error::invalid("`token_endpoint` is not a string")),
    };
    let shown = || sanitize(token_endpoint, QUOTED);
    let url = parse_url(token_endpoint).map_err(|e| {
        let why = e.detail().strip_prefix("token URL ").unwrap_or(e.detail());
        Error::invalid(format!("`token_endpoint` `{}` {why}", shown()))
    })?;
    if !url.https && !is_loopback(&url.host) {
        return Err(Error::invalid(format!(
            "`token_endpoint` `{}` is plain http:// to a non-loopback host: the client's credentials would cross the network in clear text",
            shown()
        )));
    }
    let listed = names(&object, "token_endpoint_auth_methods_supported")?;
    let metadata = ServerMetadata {
        issuer: found.to_owned(),
        token_endpoint: token_endpoint.to_owned(),
        token_endpoint_url: url.normalized,
        auth_methods_listed: listed.is_some(),
        auth_methods: listed.unwrap_or_else(|| vec![DEFAULT_AUTH_METHOD.to_owned()]),
        dpop_algs: names(&object, "dpop_signing_alg_values_supported")?.unwrap_or_default(),
        signing_algs: names(&object, "token_endpoint_auth_signing_alg_values_supported")?
            .unwrap_or_default(),
        extras: extras(&object),
        document_url: String::new(),
    };
    Ok(metadata)
}

/// The issuer mismatch, with a hint when the difference is a common one.
fn mismatch(found: &str, asked: &str) -> Error {
    let rest = |s: &'_ str| s.split_once("://").map(|(_, r)| r.to_owned());
    let hint = if find(found.as_bytes(), b"{tenantid}").is_some() {
        "; this is an Entra multi-tenant document, which names no tenant: ask for your tenant's issuer, `https://login.microsoftonline.com/<tenant-id>/v2.0`"
    } else if found.strip_suffix('/') == Some(asked) || asked.strip_suffix('/') == Some(found) {
        "; they differ in a trailing slash (if this is the server you meant, ask for its issuer exactly as it writes it)"
    } else if found.eq_ignore_ascii_case(asked) {
        "; they differ in letter case"
    } else if rest(found).is_some() && rest(found) == rest(asked) {
        "; they differ in scheme"
    } else {
        ""
    };
    Error::invalid(format!(
        "`issuer` is `{}`, not the issuer asked for, `{}` (they must be equal byte for byte, RFC 8414 §3.3){hint}",
        sanitize(found, QUOTED),
        sanitize(asked, QUOTED),
    ))
}

/// The names in the array member `name`: `None` when absent or `null`.
fn names(object: &Members, name: &str) -> Result<Option<Vec<String>>> {
    let bad = |why: &str| Err(Error::invalid(format!("`{name}` {why}")));
    match object.get(name) {
        None | Some(Member::Null) => Ok(None),
        Some(Member::Strings {
            joined,
            words: true,
        }) => Ok(Some(if joined.is_empty() {
            Vec::new()
        } else {
            joined.split(' ').map(str::to_owned).collect()
        })),
        Some(Member::Strings { .. }) => bad("holds an empty name or a name with a space"),
        Some(Member::String(_)) => bad("is a string, not an array of strings"),
        Some(_) => bad("is not an array of strings"),
    }
}

/// The scalar members other than `issuer` and `token_endpoint`, as text.
fn extras(object: &Members) -> Vec<(String, String)> {
    object
        .iter()
        .filter(|(k, _)| !matches!(*k, "issuer" | "token_endpoint"))
        .filter_map(|(k, v)| {
            let v = match v {
                Member::String(s) => s.clone(),
                Member::Number(n) => n.to_string(),
                Member::Bool(b) => b.to_string(),
                _ => return None,
            };
            Some((k.to_owned(), v))
        })
        .collect()
}

/// Marks an error as raised while fetching server metadata: `Display` then
/// says so ("invalid server metadata", not "invalid token response"). The
/// kind is unchanged.
fn in_discovery(e: Error) -> Error {
    let phrase = match e.kind() {
        ErrorKind::Connect => "connection for the server metadata failed",
        ErrorKind::Timeout => "server metadata request timed out",
        ErrorKind::Tls => "TLS handshake for the server metadata failed",
        ErrorKind::Http => "metadata endpoint returned an HTTP error",
        ErrorKind::OAuth => "metadata endpoint returned an OAuth error",
        ErrorKind::InvalidResponse => "invalid server metadata",
        ErrorKind::ResponseTooLarge => "server metadata too large",
        ErrorKind::Redirect => "metadata endpoint answered with a redirect",
        _ => return e,
    };
    e.with_phrase(phrase)
}

#[cfg(test)]
#[path = "discovery_tests.rs"]
mod tests;
