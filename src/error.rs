//! [`Error`], [`ErrorKind`] and [`Result`].

use crate::redact::Redactor;
use std::error::Error as StdError;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// `Result` with cctoken's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong, for callers to branch on.
///
/// Marked `#[non_exhaustive]`: new kinds may be added in minor releases, so
/// a `match` needs a wildcard arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The [`Credentials`](crate::Credentials) or a setting are unusable: a
    /// bad or non-HTTPS URL (token URL or issuer), an empty client id, a
    /// reserved parameter name, a URL the built-in transport cannot reach
    /// (IPv6 literal). Found before any network traffic.
    Config,
    /// Loading credentials from a file or the environment failed: a missing
    /// or malformed field, an unreadable file, a file readable by others.
    Credentials,
    /// The connection could not be made (refused, unreachable, name not
    /// resolved) or broke while the request or response was in transit.
    Connect,
    /// The whole request, response included, took longer than the timeout.
    Timeout,
    /// The TLS handshake failed: an untrusted certificate, a certificate
    /// for another host name, a protocol error.
    Tls,
    /// The server answered with an HTTP error status and no OAuth error
    /// object (a gateway's HTML page, a plain-text 429, a 5xx).
    Http,
    /// The server answered with an OAuth error object (RFC 6749 §5.2), such
    /// as `invalid_client`, whatever the HTTP status.
    OAuth,
    /// The response is malformed or unsafe: not JSON, no `access_token`, a
    /// token with characters that cannot go into a header, a negative
    /// `expires_in`, an unsupported `token_type`, broken HTTP framing; or a
    /// server metadata document that fails its checks (see
    /// [`ServerMetadata`](crate::ServerMetadata)): an `issuer` other than
    /// the one asked for, a plain-`http://` `token_endpoint`, a member of
    /// the wrong type.
    InvalidResponse,
    /// The response body is larger than the configured cap; the rest was
    /// not read.
    ResponseTooLarge,
    /// The server answered with a redirect. cctoken never follows one: the
    /// credentials must not be sent anywhere else (nor, during discovery,
    /// the metadata taken from anywhere else).
    Redirect,
}

impl ErrorKind {
    fn phrase(self) -> &'static str {
        match self {
            ErrorKind::Config => "invalid configuration",
            ErrorKind::Credentials => "cannot load credentials",
            ErrorKind::Connect => "connection to the token endpoint failed",
            ErrorKind::Timeout => "token request timed out",
            ErrorKind::Tls => "TLS handshake with the token endpoint failed",
            ErrorKind::Http => "token endpoint returned an HTTP error",
            ErrorKind::OAuth => "token endpoint refused the request",
            ErrorKind::InvalidResponse => "invalid token response",
            ErrorKind::ResponseTooLarge => "token response too large",
            ErrorKind::Redirect => "token endpoint answered with a redirect",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.phrase())
    }
}

/// An error from configuring cctoken or fetching a token.
///
/// [`kind`](Error::kind) says what went wrong; [`status`](Error::status),
/// [`oauth_error`](Error::oauth_error) and
/// [`retry_after`](Error::retry_after) carry what the server said.
///
/// `Display` is one short line. The underlying cause (an I/O or TLS error)
/// is reachable through [`source`](StdError::source) and is not repeated in
/// `Display`; print the chain for a user, as the `cctoken` command does.
///
/// `Error` is cheap to clone (one `Box`), `Send`, `Sync` and `'static`.
///
/// # What to retry, what to show
///
/// ```
/// use cctoken::{Credentials, ErrorKind, Request, Response, TokenSource};
///
/// let creds = Credentials::new("https://auth.example.com/token", "id", "a-wrong-secret")?;
/// let source = TokenSource::with_transport(creds, |_: &Request| {
///     Ok(Response::new(401, r#"{"error":"invalid_client","error_description":"bad secret"}"#))
/// });
/// match source.token() {
///     Ok(token) => { /* call the API with token.authorization_header() */ }
///     // Connection failures, timeouts, 408, 429, 5xx: try again later,
///     // no sooner than the server asked. (A TokenSource has already
///     // retried a few times.)
///     Err(e) if e.is_transient() => {
///         let wait = e.retry_after().unwrap_or(std::time::Duration::from_secs(30));
///         # let _ = wait;
///     }
///     // The server refused the credentials: retrying will not help.
///     Err(e) if e.kind() == ErrorKind::OAuth => {
///         assert_eq!(e.oauth_error(), Some("invalid_client"));
///         assert_eq!(e.status(), Some(401));
///         eprintln!("fix the client id or secret: {e}");
///     }
///     // Bad settings, files or URLs: found before any request.
///     Err(e) if matches!(e.kind(), ErrorKind::Config | ErrorKind::Credentials) => {
///         eprintln!("fix the configuration: {e}");
///     }
///     Err(e) => {
///         // Show the cause chain too.
///         let mut line = e.to_string();
///         let mut cause = std::error::Error::source(&e);
///         while let Some(c) = cause {
///             line += &format!(": {c}");
///             cause = c.source();
///         }
///         eprintln!("{line}");
///     }
/// }
/// # Ok::<(), cctoken::Error>(())
/// ```
///
/// # Security
///
/// Neither `Display` nor `Debug` ever contains the client secret, an access
/// token or a whole response body. What a server says is quoted only after
/// every secret of the request has been redacted from the *whole* text — as
/// it is, percent-encoded, JSON- or HTML-escaped (nested up to four
/// levels), and inside an echoed `Authorization: Basic` value — and then
/// cut to a short excerpt (100 characters of a non-JSON body; 1000 of an
/// `error_description`) with control characters escaped. A secret shorter
/// than 8 bytes could not be redacted without mangling ordinary words: with
/// one, no server text is quoted at all, only the status and the OAuth
/// error code when it is a registered one (`invalid_client`, …) or has that
/// shape and holds no form of the secret; any other code reads
/// `[withheld: short secret]`.
#[derive(Clone)]
pub struct Error {
    inner: Box<Inner>,
}

#[derive(Clone)]
struct Inner {
    kind: ErrorKind,
    detail: String,
    status: Option<u16>,
    oauth_error: Option<String>,
    oauth_description: Option<String>,
    oauth_uri: Option<String>,
    /// `Retry-After` as sent, the response's `Date`, and the local wall
    /// clock then: parsed only when asked ([`Error::retry_after`]), so a
    /// program that never asks carries no date parser.
    retry_after: Option<(String, Option<String>, SystemTime)>,
    source: Option<Arc<dyn StdError + Send + Sync>>,
    /// Raised while fetching server metadata (changes the phrase only).
    /// Said instead of the kind's phrase (an error of discovery: "invalid
    /// server metadata", not "invalid token response").
    phrase: Option<&'static str>,
}

impl Error {
    /// A new error of `kind` with a short lowercase `detail`.
    pub(crate) fn new(kind: ErrorKind, detail: impl Into<String>) -> Error {
        Error {
            inner: Box::new(Inner {
                kind,
                detail: detail.into(),
                status: None,
                oauth_error: None,
                oauth_description: None,
                oauth_uri: None,
                retry_after: None,
                source: None,
                phrase: None,
            }),
        }
    }

    pub(crate) fn config(detail: impl Into<String>) -> Error {
        Error::new(ErrorKind::Config, detail)
    }

    pub(crate) fn invalid(detail: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidResponse, detail)
    }

    pub(crate) fn with_status(mut self, status: u16) -> Error {
        self.inner.status = Some(status);
        self
    }

    /// Keeps the `Retry-After` and `Date` headers of `response`, received
    /// at `now` by the wall clock.
    pub(crate) fn with_retry_after_of(self, response: &crate::Response, now: SystemTime) -> Error {
        self.with_retry_after(|name| response.header(name), now)
    }

    /// Keeps the `Retry-After` and `Date` headers that `header` finds (by
    /// lower-case name), received at `now` by the wall clock: for the
    /// transport's own errors, made before there is a `Response`.
    pub(crate) fn with_retry_after<'a>(
        mut self,
        header: impl Fn(&str) -> Option<&'a str>,
        now: SystemTime,
    ) -> Error {
        if let Some(value) = header("retry-after") {
            let date = header("date").map(str::to_owned);
            self.inner.retry_after = Some((value.to_owned(), date, now));
        }
        self
    }

    pub(crate) fn with_oauth(
        mut self,
        code: String,
        description: Option<String>,
        uri: Option<String>,
    ) -> Error {
        self.inner.oauth_error = Some(code);
        self.inner.oauth_description = description;
        self.inner.oauth_uri = uri;
        self
    }

    pub(crate) fn with_source(mut self, source: impl StdError + Send + Sync + 'static) -> Error {
        self.inner.source = Some(Arc::new(source));
        self
    }

    /// Redacts the request's secrets from the texts this error shows (a
    /// server may echo what it was sent; see [`crate::redact`]). Parsing
    /// already quoted server text through the redactor; this covers the
    /// rest. Skipped when a secret is too short to redact without mangling
    /// cctoken's own words (no server text is quoted then).
    pub(crate) fn redact(mut self, redactor: &Redactor) -> Error {
        if !redactor.quotes() {
            return self;
        }
        let inner = &mut *self.inner;
        for text in [
            Some(&mut inner.detail),
            inner.oauth_error.as_mut(),
            inner.oauth_description.as_mut(),
            inner.oauth_uri.as_mut(),
        ]
        .into_iter()
        .flatten()
        {
            *text = redactor.redact(text);
        }
        self
    }

    /// An error for a [`Transport`](crate::Transport) of your own to
    /// return: `kind` is what failed (usually [`ErrorKind::Connect`],
    /// [`ErrorKind::Timeout`] or [`ErrorKind::Tls`]), `cause` the error
    /// behind it, reachable through [`source`](StdError::source).
    ///
    /// ```
    /// use cctoken::{Credentials, Error, ErrorKind, Request};
    ///
    /// let creds = Credentials::new("https://[2001:db8::1]/token", "id", "secret")?;
    /// let e = creds
    ///     .fetch_with(&|_: &Request| {
    ///         let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
    ///         Err(Error::from_transport(ErrorKind::Connect, refused))
    ///     })
    ///     .unwrap_err();
    /// assert_eq!(e.kind(), ErrorKind::Connect);
    /// assert!(e.is_transient());
    /// # Ok::<(), cctoken::Error>(())
    /// ```
    pub fn from_transport(kind: ErrorKind, cause: impl StdError + Send + Sync + 'static) -> Error {
        Error::new(kind, "").with_source(cause)
    }

    /// `Display` starts with `phrase` instead of the kind's (the kind is
    /// unchanged): discovery's errors say they are about server metadata.
    pub(crate) fn with_phrase(mut self, phrase: &'static str) -> Error {
        self.inner.phrase = Some(phrase);
        self
    }

    pub(crate) fn with_detail(mut self, detail: String) -> Error {
        self.inner.detail = detail;
        self
    }

    /// Whether the error came from fetching server metadata.
    #[cfg_attr(
        not(feature = "cli"),
        allow(dead_code, reason = "the command's exit status")
    )]
    pub(crate) fn is_discovery(&self) -> bool {
        self.inner.phrase.is_some()
    }

    /// The detail text alone, without the kind's phrase.
    pub(crate) fn detail(&self) -> &str {
        &self.inner.detail
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The HTTP status of the response, when there was one.
    pub fn status(&self) -> Option<u16> {
        self.inner.status
    }

    /// The OAuth `error` code (RFC 6749 §5.2), such as `invalid_client`,
    /// when the server sent an error object.
    pub fn oauth_error(&self) -> Option<&str> {
        self.inner.oauth_error.as_deref()
    }

    /// The OAuth `error_description`, with control characters escaped.
    pub fn oauth_error_description(&self) -> Option<&str> {
        self.inner.oauth_description.as_deref()
    }

    /// The OAuth `error_uri`, with control characters escaped.
    pub fn oauth_error_uri(&self) -> Option<&str> {
        self.inner.oauth_uri.as_deref()
    }

    /// How long the server asked the client to wait, when it said:
    /// `Retry-After` as delay-seconds or as an HTTP-date (RFC 9110
    /// §10.2.3; a date is counted from the response's `Date` header when it
    /// has one, so a skewed local clock does not matter). Set on every
    /// error that carries a status.
    pub fn retry_after(&self) -> Option<Duration> {
        let (value, date, now) = self.inner.retry_after.as_ref()?;
        crate::parse::retry_after(value, date.as_deref(), *now)
    }

    /// Whether trying again later may succeed: connection failures,
    /// timeouts, any error with HTTP status 408, 429 or 5xx — decided by
    /// the status first, even when the body is an OAuth error object — and
    /// the OAuth errors `temporarily_unavailable`, `server_error` and
    /// `slow_down` at any status. Configuration errors, TLS failures,
    /// invalid responses and OAuth refusals such as `invalid_client` (with
    /// a 4xx status) are not transient.
    pub fn is_transient(&self) -> bool {
        // The status first, whatever the body said: Auth0 answers rate
        // limits with 429 `{"error":"too_many_requests"}`, gateways send
        // `{"error":"Bad Gateway"}` with a 502.
        if matches!(self.inner.status, Some(408 | 429 | 500..=599)) {
            return true;
        }
        match self.inner.kind {
            ErrorKind::Connect | ErrorKind::Timeout => true,
            ErrorKind::OAuth => matches!(
                self.inner.oauth_error.as_deref(),
                Some("temporarily_unavailable" | "server_error" | "slow_down")
            ),
            _ => false,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        f.write_str(inner.phrase.unwrap_or_else(|| inner.kind.phrase()))?;
        if let Some(code) = &inner.oauth_error {
            write!(f, ": {code}")?;
        }
        if let Some(status) = inner.status {
            write!(f, " (HTTP {status})")?;
        }
        if !inner.detail.is_empty() {
            write!(f, ": {}", inner.detail)?;
        }
        if let Some(description) = &inner.oauth_description {
            write!(f, ": {description}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = &*self.inner;
        let mut d = f.debug_struct("Error");
        d.field("kind", &inner.kind);
        if !inner.detail.is_empty() {
            d.field("detail", &inner.detail);
        }
        if let Some(status) = inner.status {
            d.field("status", &status);
        }
        if let Some(code) = &inner.oauth_error {
            d.field("oauth_error", code);
        }
        if let Some(description) = &inner.oauth_description {
            d.field("oauth_error_description", description);
        }
        if let Some(uri) = &inner.oauth_uri {
            d.field("oauth_error_uri", uri);
        }
        if let Some(retry_after) = self.retry_after() {
            d.field("retry_after", &retry_after);
        }
        if let Some(source) = &inner.source {
            d.field("source", source);
        }
        d.finish()
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        match &self.inner.source {
            Some(source) => Some(&**source as &(dyn StdError + 'static)),
            None => None,
        }
    }
}

/// Where `needle` (not empty) first occurs in `haystack`. A plain search:
/// the inputs are short, and `str::contains(&str)` brings in a few KiB of
/// two-way searcher.
pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Escapes control characters and cuts `text` to at most `max` characters,
/// for showing server-supplied text in an error.
pub(crate) fn sanitize(text: &str, max: usize) -> String {
    let mut out = String::new();
    for (count, c) in text.chars().enumerate() {
        if count == max {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_stays_small() {
        assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
    }

    #[test]
    fn error_is_send_sync_static() {
        fn check<T: Send + Sync + 'static>() {}
        check::<Error>();
    }

    #[test]
    fn display_is_one_line_with_status_and_code() {
        let e = Error::new(ErrorKind::OAuth, "")
            .with_status(400)
            .with_oauth("invalid_client".into(), Some("bad secret".into()), None);
        assert_eq!(
            e.to_string(),
            "token endpoint refused the request: invalid_client (HTTP 400): bad secret"
        );
    }

    #[test]
    fn sanitize_escapes_controls_and_truncates() {
        assert_eq!(sanitize("a\r\nb", 10), "a\\r\\nb");
        assert_eq!(sanitize("abcdef", 3), "abc…");
    }

    #[test]
    fn redact_removes_echoed_secret() {
        let r = Redactor::none().secret("s3cret-8f2a");
        let e = Error::new(ErrorKind::Http, "body: \"s3cret%2D8f2a\"").redact(&r);
        assert!(!e.to_string().contains("s3cret"), "{e}");
        assert!(!format!("{e:?}").contains("s3cret"));
    }

    #[test]
    fn find_is_a_plain_search() {
        assert_eq!(find(b"abc", b"abcd"), None);
        assert_eq!(find(b"abc", b""), Some(0));
        assert_eq!(find(b"abcbc", b"bc"), Some(1));
    }

    #[test]
    fn short_secrets_do_not_mangle_messages() {
        let r = Redactor::none().secret("s");
        let e = Error::new(ErrorKind::Http, "headers exceed 10 bytes").redact(&r);
        assert_eq!(
            e.to_string(),
            "token endpoint returned an HTTP error: headers exceed 10 bytes"
        );
    }

    #[test]
    fn transient_classification() {
        let http = |s| Error::new(ErrorKind::Http, "").with_status(s);
        assert!(http(503).is_transient());
        assert!(http(429).is_transient());
        assert!(!http(404).is_transient());
        assert!(Error::new(ErrorKind::Timeout, "").is_transient());
        let oauth = |c: &str| Error::new(ErrorKind::OAuth, "").with_oauth(c.into(), None, None);
        assert!(!oauth("invalid_client").is_transient());
        assert!(oauth("temporarily_unavailable").is_transient());
        assert!(!Error::new(ErrorKind::Tls, "").is_transient());
    }

    /// Item 7 of issue 11: the status decides first.
    #[test]
    fn oauth_body_with_a_transient_status_is_transient() {
        let oauth = |status, c: &str| {
            Error::new(ErrorKind::OAuth, "")
                .with_status(status)
                .with_oauth(c.into(), None, None)
        };
        assert!(oauth(429, "too_many_requests").is_transient());
        assert!(oauth(502, "Bad Gateway").is_transient());
        assert!(oauth(503, "invalid_client").is_transient());
        assert!(oauth(408, "request_timeout").is_transient());
        assert!(!oauth(401, "invalid_client").is_transient());
        assert!(!oauth(400, "too_many_requests").is_transient());
        assert!(oauth(400, "slow_down").is_transient());
        let too_large = Error::new(ErrorKind::ResponseTooLarge, "").with_status(503);
        assert!(too_large.is_transient());
    }
}
