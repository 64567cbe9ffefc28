//! The [`Transport`] trait, the [`Request`] and [`Response`] it carries, and
//! [`HttpTransport`], the built-in implementation over minreq (the only
//! file that names minreq).

use crate::error::{Error, ErrorKind, Result};
use crate::secret::{zero_bytes, zero_string};
use std::fmt;
use std::io::{self, Read};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

/// Sends a request and returns the server's response: a token request
/// (`POST`), or a `GET` of a server metadata document during discovery
/// ([`Request::method`] says which).
///
/// Implemented by [`HttpTransport`] and by every closure
/// `Fn(&Request) -> Result<Response> + Send + Sync`, so tests and programs
/// with their own HTTP stack can plug in:
///
/// ```
/// use cctoken::{Credentials, Response};
///
/// let creds = Credentials::new("https://auth.example.com/token", "id", "secret")?;
/// let token = creds.fetch_with(&|_request: &cctoken::Request| {
///     Ok(Response::new(200, r#"{"access_token":"abc","expires_in":60}"#))
/// })?;
/// assert_eq!(token.lifetime(), Some(std::time::Duration::from_secs(60)));
/// # Ok::<(), cctoken::Error>(())
/// ```
///
/// An implementation should honour [`Request::timeout`], not follow
/// redirects, and stop reading a body longer than
/// [`Request::max_response_bytes`]; cctoken checks the size again and
/// handles 3xx statuses itself.
pub trait Transport: Send + Sync {
    /// Sends `request` and returns the response, whatever its status.
    ///
    /// # Errors
    ///
    /// Network, TLS and timeout failures, with the matching [`ErrorKind`].
    fn send(&self, request: &Request) -> Result<Response>;
}

impl<F> Transport for F
where
    F: Fn(&Request) -> Result<Response> + Send + Sync,
{
    fn send(&self, request: &Request) -> Result<Response> {
        self(request)
    }
}

/// A request cctoken makes: a `POST` to the token URL, or, during
/// discovery ([`ServerMetadata`](crate::ServerMetadata)), a `GET` of a
/// metadata document with no body and no credentials.
///
/// The body and the `Authorization` header hold the client secret: `Debug`
/// shows neither, and both are zeroed when the request is dropped.
pub struct Request {
    method: &'static str,
    url: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    timeout: Duration,
    max_response_bytes: usize,
}

impl Request {
    pub(crate) fn new(
        url: String,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        timeout: Duration,
        max_response_bytes: usize,
    ) -> Request {
        Request {
            method: "POST",
            url,
            headers,
            body,
            timeout,
            max_response_bytes,
        }
    }

    /// Adds a header (the DPoP proof).
    pub(crate) fn add_header(&mut self, name: &str, value: String) {
        self.headers.push((name.to_owned(), value));
    }

    /// A `GET` of `url` with `Accept: application/json` and the
    /// `User-Agent`, nothing else: no body, no credentials.
    pub(crate) fn get(url: String, timeout: Duration, max_response_bytes: usize) -> Request {
        let headers = vec![
            ("Accept".to_owned(), "application/json".to_owned()),
            ("User-Agent".to_owned(), crate::USER_AGENT.to_owned()),
        ];
        Request {
            method: "GET",
            url,
            headers,
            body: Vec::new(),
            timeout,
            max_response_bytes,
        }
    }

    /// The HTTP method: `POST` for a token request, `GET` for a metadata
    /// document.
    pub fn method(&self) -> &str {
        self.method
    }

    /// The URL: the token URL, or a metadata document's.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The headers to send, in order. `Content-Length` is not among them:
    /// the transport adds it.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.headers.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The first header named `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The encoded body (empty for a `GET`).
    ///
    /// # Security
    ///
    /// With client authentication in the body (the default) this contains
    /// the client secret. Do not log it.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The limit for the whole exchange: connecting, sending, and reading
    /// the whole response.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The largest response body to read; a longer one is an error of kind
    /// [`ErrorKind::ResponseTooLarge`].
    pub fn max_response_bytes(&self) -> usize {
        self.max_response_bytes
    }
}

impl Drop for Request {
    fn drop(&mut self) {
        zero_bytes(std::mem::take(&mut self.body));
        for (_, v) in &mut self.headers {
            zero_string(v);
        }
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, HeaderValue<'_>)> = self
            .headers()
            .map(|(k, v)| (k, HeaderValue(k, v)))
            .collect();
        f.debug_struct("Request")
            .field("method", &self.method())
            .field("url", &self.url)
            .field("headers", &headers)
            .field(
                "body",
                &format_args!("[{} bytes redacted]", self.body.len()),
            )
            .field("timeout", &self.timeout)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish()
    }
}

/// A header value as `Debug` shows it: the value for a few headers that
/// never carry a credential, `[n bytes]` for every other one
/// (`Authorization`, `DPoP`, a cookie, whatever a server or a caller's
/// transport adds).
struct HeaderValue<'a>(&'a str, &'a str);

impl fmt::Debug for HeaderValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: [&str; 10] = [
            "accept",
            "cache-control",
            "connection",
            "content-length",
            "content-type",
            "date",
            "retry-after",
            "server",
            "transfer-encoding",
            "user-agent",
        ];
        if SHOWN.iter().any(|n| self.0.eq_ignore_ascii_case(n)) {
            fmt::Debug::fmt(self.1, f)
        } else {
            write!(f, "[{} bytes]", self.1.len())
        }
    }
}

/// A response from the token endpoint (or a metadata endpoint), as a
/// [`Transport`] returns it.
///
/// The body may hold an access token: `Debug` shows only its length, and it
/// is zeroed when the response is dropped.
pub struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Response {
    /// A response with `status` and `body` and no headers.
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// Adds a header (the parser reads `Retry-After` and `Location`).
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Response {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The first header named `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// All headers, in the order received.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.headers.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The body.
    ///
    /// # Security
    ///
    /// A successful response's body contains the access token.
    pub fn body(&self) -> &[u8] {
        &self.body
    }
}

impl Drop for Response {
    fn drop(&mut self) {
        zero_bytes(std::mem::take(&mut self.body));
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, HeaderValue<'_>)> = self
            .headers()
            .map(|(k, v)| (k, HeaderValue(k, v)))
            .collect();
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("headers", &headers)
            .field(
                "body",
                &format_args!("[{} bytes redacted]", self.body.len()),
            )
            .finish()
    }
}

/// Which certificates the built-in transport trusts, as chosen by cctoken's
/// Cargo features.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrustRoots {
    /// Mozilla's roots compiled into the binary (feature `https`).
    Bundled,
    /// The operating system's store, honouring `SSL_CERT_FILE` and
    /// `SSL_CERT_DIR` (feature `https-os-roots` without `https`).
    OsStore,
    /// No HTTPS support: `https://` URLs fail with [`ErrorKind::Config`].
    None,
}

/// The trust roots the built-in transport uses.
///
/// ```
/// match cctoken::trust_roots() {
///     cctoken::TrustRoots::Bundled => println!("Mozilla's roots, compiled in"),
///     cctoken::TrustRoots::OsStore => println!("the OS store, or SSL_CERT_FILE / SSL_CERT_DIR"),
///     _ => println!("no HTTPS in this build"),
/// }
/// ```
///
/// Caveat: minreq builds its TLS configuration from *its* features, which
/// Cargo unifies across the whole dependency graph. If another crate turns
/// on minreq's bundled roots while cctoken has only `https-os-roots`,
/// minreq uses the bundled roots and this function cannot see it; `cargo
/// tree -e features -i minreq` shows what is on.
pub fn trust_roots() -> TrustRoots {
    if cfg!(feature = "https") {
        TrustRoots::Bundled
    } else if cfg!(feature = "https-os-roots") {
        TrustRoots::OsStore
    } else {
        TrustRoots::None
    }
}

/// The built-in transport: blocking HTTP/1.1 over minreq, TLS by rustls.
///
/// It sets the timeout on every request (minreq counts whole seconds, so a
/// timeout is rounded up to the next second, and at least one; a timeout
/// longer than a year is cut to a year, as minreq adds it to an `Instant`
/// and would panic past that clock's range), never follows a redirect,
/// refuses a body longer than the cap without reading the rest, and checks
/// that a body is as long as its `Content-Length`. On 32-bit targets
/// minreq cannot hold a `Content-Length` of 4 GiB or more in its `usize`:
/// such a response is refused as [`ErrorKind::InvalidResponse`] (malformed
/// framing) rather than [`ErrorKind::ResponseTooLarge`], also without
/// reading the body.
///
/// Before its first HTTPS request it installs rustls' ring provider as the
/// process default, unless the application installed one already (then that
/// one is used); with the `aws-lc-rs` feature it installs aws-lc-rs instead.
///
/// minreq does not parse IPv6 literal hosts (`https://[::1]/`): such a URL
/// is refused with [`ErrorKind::Config`]; bring your own [`Transport`] for
/// it.
#[derive(Debug, Clone, Copy, Default)]
pub struct HttpTransport {
    _private: (),
}

impl HttpTransport {
    /// The built-in transport.
    pub fn new() -> HttpTransport {
        HttpTransport { _private: () }
    }
}

/// The longest status line and header block read before giving up.
const MAX_STATUS_LINE: usize = 1024;
const MAX_HEADERS: usize = 16 * 1024;
/// The longest timeout handed to minreq: one year. minreq computes
/// `Instant::now() + timeout`, which panics beyond the clock's range (a
/// caller asking for `Duration::MAX` means "no limit").
const MAX_TIMEOUT_SECS: u64 = 365 * 24 * 60 * 60;

impl Transport for HttpTransport {
    fn send(&self, request: &Request) -> Result<Response> {
        let rest = request.url.split_once("://").map_or("", |(_, rest)| rest);
        if rest.starts_with('[') {
            return Err(Error::config(
                "the built-in transport cannot reach IPv6 literal hosts (bring a Transport)",
            ));
        }
        let https = request.url.starts_with("https://");
        if https {
            prepare_tls()?;
        }
        let round_up = u64::from(request.timeout.subsec_nanos() > 0 || request.timeout.is_zero());
        let timeout = request.timeout.as_secs().saturating_add(round_up);
        let timeout = timeout.min(MAX_TIMEOUT_SECS);
        let get = request.method == "GET";
        let mut req = if get {
            minreq::get(request.url.as_str())
        } else {
            minreq::post(request.url.as_str())
        }
        .with_timeout(timeout)
        .with_follow_redirects(false)
        .with_max_headers_size(MAX_HEADERS)
        .with_max_status_line_length(MAX_STATUS_LINE);
        for (name, value) in &request.headers {
            req = req.with_header(name.as_str(), value.as_str());
        }
        // A GET goes without a body and without `Content-Length`.
        if !get {
            req = req.with_body(request.body.clone());
        }
        // minreq 3.0.0 can panic on a hostile header block (its header
        // budget underflows on a bare-LF line one byte under the limit; see
        // `minreq_panicked`): contain it.
        let mut lazy = catch_unwind(AssertUnwindSafe(|| req.send_lazy()))
            .map_err(|_| minreq_panicked())?
            .map_err(|e| unresolved(from_minreq(e), &request.url))?;
        // In builds without overflow checks the same bug wraps the budget
        // instead, and minreq reads any amount of headers: refuse them here.
        let header_bytes = size_of_headers(&lazy.headers);
        if header_bytes > MAX_HEADERS {
            return Err(Error::invalid(format!(
                "headers exceed {MAX_HEADERS} bytes"
            )));
        }

        // minreq reports a missing or unparsable status line (the server
        // closed the connection without answering, or is not an HTTP
        // server) as this made-up 503.
        if lazy.status_code == 503 && lazy.reason_phrase == "Server did not provide a status line" {
            return Err(Error::new(
                ErrorKind::Connect,
                "the server closed the connection or sent no HTTP status line",
            ));
        }
        let status = lazy.status_code;
        let headers = std::mem::take(&mut lazy.headers);
        let cap = request.max_response_bytes;
        // An error about a response carries its status and its
        // `Retry-After` (a 503 whose body is cut short still says when to
        // come back).
        let received = std::time::SystemTime::now();
        let fail = |e: Error| {
            e.with_status(status).with_retry_after(
                |name| {
                    headers
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case(name))
                        .map(|(_, v)| v.as_str())
                },
                received,
            )
        };
        let too_large = || {
            fail(Error::new(
                ErrorKind::ResponseTooLarge,
                format!("body exceeds the {cap}-byte cap"),
            ))
        };
        // Interim responses (RFC 9110 §15.2) should be skipped, but minreq
        // returns the 1xx as the answer, with the real one as its "body":
        // refuse it rather than read or show that body.
        if (100..200).contains(&status) {
            return Err(fail(Error::invalid(format!(
                "interim {status} response; the HTTP library cannot skip interim responses"
            ))));
        }
        // No body by definition (RFC 9112 §6.3): do not wait for one.
        if matches!(status, 204 | 304) {
            return Ok(Response {
                status,
                headers,
                body: Vec::new(),
            });
        }
        let declared = declared_length(&headers).map_err(|why| fail(Error::invalid(why)))?;
        // `usize` is 32 or 64 bits: widen the cap, never narrow the length.
        let cap64 = u64::try_from(cap).unwrap_or(u64::MAX);
        if declared.is_some_and(|n| n > cap64) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        // Chunked trailers go through the same budget arithmetic.
        catch_unwind(AssertUnwindSafe(|| {
            (&mut lazy)
                .take(cap64.saturating_add(1))
                .read_to_end(&mut body)
        }))
        .map_err(|_| fail(minreq_panicked()))?
        .map_err(|e| fail(from_io(e)))?;
        if body.len() > cap {
            zero_bytes(body);
            return Err(too_large());
        }
        // Chunked trailers land in `lazy.headers`, from the same budget.
        if header_bytes + size_of_headers(&lazy.headers) > MAX_HEADERS {
            zero_bytes(body);
            return Err(fail(Error::invalid(format!(
                "headers and trailers exceed {MAX_HEADERS} bytes"
            ))));
        }
        if let Some(declared) = declared {
            if (body.len() as u64) < declared {
                let got = body.len();
                zero_bytes(body);
                return Err(fail(Error::invalid(format!(
                    "body truncated: {got} of {declared} bytes before the connection closed"
                ))));
            }
        }
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}

/// The body length the headers declare: every `Content-Length` value
/// (comma-separated lists included) must agree, and none may come with a
/// `Transfer-Encoding` (RFC 9112 §6.3: framing that two parsers could read
/// differently).
fn declared_length(headers: &[(String, String)]) -> std::result::Result<Option<u64>, String> {
    let mut declared = None;
    for (_, value) in headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("content-length"))
    {
        for part in value.split(',') {
            let n = part
                .trim()
                .parse::<u64>()
                .map_err(|_| "malformed Content-Length header".to_owned())?;
            if declared.is_some_and(|d| d != n) {
                return Err("conflicting Content-Length headers".to_owned());
            }
            declared = Some(n);
        }
    }
    if declared.is_some()
        && headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("transfer-encoding"))
    {
        return Err("both Transfer-Encoding and Content-Length".to_owned());
    }
    Ok(declared)
}

/// A failed name lookup, which minreq passes on as the standard library's
/// uncategorised "failed to lookup address information" I/O error, names
/// the host.
fn unresolved(e: Error, url: &str) -> Error {
    let lookup = std::error::Error::source(&e)
        .is_some_and(|c| c.to_string().starts_with("failed to lookup address"));
    if !lookup {
        return e;
    }
    // An IPv6 literal never gets here (refused above).
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let host = rest.split([':', '/', '?']).next().unwrap_or(rest);
    e.with_detail(format!("cannot resolve host name `{host}`"))
}

/// Bytes of a header block as sent (`name: value` and CRLF).
fn size_of_headers(headers: &[(String, String)]) -> usize {
    headers.iter().map(|(k, v)| k.len() + v.len() + 4).sum()
}

/// minreq 3.0.0 subtracts each header line's length plus 2 from the
/// remaining header budget without checking; a line ending in a bare LF can
/// be one byte longer than that allows, and the subtraction overflows (a
/// panic with overflow checks, which minreq's timeout thread passes on to
/// the caller).
fn minreq_panicked() -> Error {
    Error::invalid("malformed HTTP header block")
}

/// Installs the crypto provider before the first HTTPS request unless the
/// program installed one (see [`crate::crypto`]).
#[cfg(any(feature = "https", feature = "https-os-roots"))]
fn prepare_tls() -> Result<()> {
    #[cfg(not(feature = "https"))]
    check_trust_variables()?;
    crate::crypto::ensure_provider()
}

/// With the OS trust store, `SSL_CERT_FILE` replaces the system's roots:
/// one that names a missing or certificate-less file leaves no root at all,
/// and every handshake would fail as if the server were untrusted. Said
/// here as what it is. (`SSL_CERT_DIR` may list several directories,
/// separated by `:`.)
#[cfg(all(feature = "https-os-roots", not(feature = "https")))]
fn check_trust_variables() -> Result<()> {
    let bad = |var: &str, value: &std::path::Path, why: String| {
        Err(Error::config(format!(
            "{var}={}: {why}, so no trust roots would be loaded; point it at {} or unset it",
            value.display(),
            if var == "SSL_CERT_FILE" {
                "a PEM file of CA certificates"
            } else {
                "a directory of CA certificates"
            }
        )))
    };
    if let Some(file) = std::env::var_os("SSL_CERT_FILE").filter(|v| !v.is_empty()) {
        let path = std::path::Path::new(&file);
        match std::fs::read(path) {
            Ok(pem) if crate::error::find(&pem, b"-----BEGIN CERTIFICATE-----").is_some() => {}
            Ok(_) => return bad("SSL_CERT_FILE", path, "holds no PEM certificate".into()),
            Err(e) => return bad("SSL_CERT_FILE", path, format!("cannot be read ({e})")),
        }
    }
    if let Some(dirs) = std::env::var_os("SSL_CERT_DIR").filter(|v| !v.is_empty()) {
        let dirs = std::path::PathBuf::from(dirs);
        if !std::env::split_paths(&dirs).any(|d| d.is_dir()) {
            return bad("SSL_CERT_DIR", &dirs, "is not a directory".into());
        }
    }
    Ok(())
}

#[cfg(not(any(feature = "https", feature = "https-os-roots")))]
fn prepare_tls() -> Result<()> {
    Err(Error::config(
        "https:// URL, but cctoken was built without the `https` or `https-os-roots` feature",
    ))
}

fn from_minreq(e: minreq::Error) -> Error {
    use minreq::Error as M;
    match e {
        M::IoError(io) => from_io(io),
        #[cfg(any(feature = "https", feature = "https-os-roots"))]
        M::RustlsCreateConnection(tls) => from_tls(tls),
        M::AddressNotFound => Error::new(ErrorKind::Connect, "host name did not resolve"),
        M::HttpsFeatureNotEnabled => {
            Error::config("https:// URL, but HTTPS support is not built in")
        }
        M::PunycodeFeatureNotEnabled | M::PunycodeConversionFailed => {
            Error::config("non-ASCII host name; write it in its xn-- (punycode) form")
        }
        M::InvalidProtocol => Error::config("the URL does not start with http:// or https://"),
        M::HeadersOverflow => Error::invalid(format!("headers exceed {MAX_HEADERS} bytes")),
        M::StatusLineOverflow => {
            Error::invalid(format!("status line exceeds {MAX_STATUS_LINE} bytes"))
        }
        M::InvalidUtf8InResponse => Error::invalid("status line or headers are not valid UTF-8"),
        other @ (M::MalformedChunkLength | M::MalformedChunkEnd | M::MalformedContentLength) => {
            Error::invalid(format!("malformed HTTP framing: {other}"))
        }
        other => Error::new(ErrorKind::Connect, "the HTTP exchange failed").with_source(other),
    }
}

fn from_io(e: io::Error) -> Error {
    match e.kind() {
        io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => {
            return Error::new(ErrorKind::Timeout, "").with_source(e)
        }
        _ => {}
    }
    #[cfg(any(feature = "https", feature = "https-os-roots"))]
    if let Some(tls) = e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
        return from_tls(tls.clone());
    }
    #[cfg(any(feature = "https", feature = "https-os-roots"))]
    if e.get_ref()
        .is_some_and(|inner| inner.is::<rustls::pki_types::InvalidDnsNameError>())
    {
        return Error::config("host name is not valid for TLS").with_source(e);
    }
    // While reading chunk framing, minreq wraps I/O errors as
    // `Other(minreq::Error::IoError(..))`: a stall there is a timeout, a
    // reset a broken connection, not malformed chunking.
    if let Some(minreq::Error::IoError(io)) = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<minreq::Error>())
    {
        if matches!(
            io.kind(),
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
        ) {
            return Error::new(ErrorKind::Timeout, "").with_source(e);
        }
        let detail = io.kind().to_string();
        return Error::new(ErrorKind::Connect, detail).with_source(e);
    }
    if e.get_ref()
        .is_some_and(|inner| inner.is::<minreq::Error>() || inner.is::<std::num::ParseIntError>())
    {
        return Error::invalid("malformed chunked encoding").with_source(e);
    }
    let detail = match e.kind() {
        io::ErrorKind::UnexpectedEof => "connection closed early".to_string(),
        kind => kind.to_string(),
    };
    Error::new(ErrorKind::Connect, detail).with_source(e)
}

#[cfg(any(feature = "https", feature = "https-os-roots"))]
fn from_tls(e: rustls::Error) -> Error {
    use rustls::{AlertDescription as A, CertificateError as C, Error as E, PeerIncompatible as P};
    let detail = match &e {
        E::InvalidCertificate(C::UnknownIssuer) => match trust_roots() {
            TrustRoots::OsStore => {
                "certificate not trusted (its issuer is in neither the OS store nor SSL_CERT_FILE)"
            }
            _ => {
                "certificate not trusted (a private CA needs feature https-os-roots and SSL_CERT_FILE)"
            }
        },
        E::InvalidCertificate(C::NotValidForName | C::NotValidForNameContext { .. }) => {
            "certificate is for another host name"
        }
        E::InvalidCertificate(C::Expired | C::ExpiredContext { .. }) => "certificate expired",
        // webpki's CaUsedAsEndEntity, which rustls passes on as `Other`.
        E::InvalidCertificate(C::Other(other))
            if format!("{other}").contains("CaUsedAsEndEntity") =>
        {
            "server certificate is a CA's (openssl req -x509?): issue one with CA:FALSE"
        }
        E::InvalidCertificate(_) => "certificate rejected",
        E::AlertReceived(A::ProtocolVersion)
        | E::PeerIncompatible(
            P::ServerDoesNotSupportTls12Or13
            | P::ServerTlsVersionIsDisabledByOurConfig
            | P::SupportedVersionsExtensionRequired,
        ) => "server offers neither TLS 1.2 nor 1.3",
        E::AlertReceived(A::CertificateRequired) => {
            "server requires a client certificate (mutual TLS)"
        }
        E::AlertReceived(A::HandshakeFailure) => {
            "handshake refused (no common cipher suite, or client certificate required?)"
        }
        E::InvalidMessage(rustls::InvalidMessage::InvalidContentType) => {
            "not a TLS server (plain http://?)"
        }
        _ => "",
    };
    Error::new(ErrorKind::Tls, detail).with_source(e)
}
