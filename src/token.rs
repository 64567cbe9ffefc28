//! [`Token`], the [`Clock`] it is measured with, and expiry arithmetic.

use crate::key::PrivateKey;
use crate::secret::Secret;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Tells fetched tokens apart (clones and duplicates share an id).
static NEXT_ID: AtomicU64 = AtomicU64::new(0);
use std::time::{Duration, Instant, SystemTime};

/// The source of time for expiry: a monotonic instant and the wall clock.
///
/// Expiry is measured on both: the monotonic clock cannot jump, but on
/// Linux it stops while the machine is suspended, so a device that sleeps
/// past a token's expiry would keep using it; the wall clock keeps running
/// through suspend but can be set backwards or forwards. A token counts as
/// expired as soon as *either* clock says its lifetime has passed, so a
/// wall-clock jump can cause one early refresh, never a late one.
///
/// The default is [`SystemClock`]; tests substitute a clock they advance by
/// hand instead of sleeping:
///
/// ```
/// use cctoken::{Clock, Credentials, Request, Response, TokenSource};
/// use std::sync::{Arc, Mutex};
/// use std::time::{Duration, Instant, SystemTime};
///
/// /// Real time plus an offset the test moves forward.
/// struct TestClock(Instant, SystemTime, Mutex<Duration>);
///
/// impl Clock for TestClock {
///     fn now(&self) -> Instant { self.0 + *self.2.lock().unwrap() }
///     fn wall(&self) -> SystemTime { self.1 + *self.2.lock().unwrap() }
///     fn sleep(&self, d: Duration) { *self.2.lock().unwrap() += d }
/// }
///
/// let clock = Arc::new(TestClock(Instant::now(), SystemTime::now(), Mutex::new(Duration::ZERO)));
/// let creds = Credentials::new("https://auth.example.com/token", "id", "secret")?;
/// let n = std::sync::atomic::AtomicUsize::new(0);
/// let source = TokenSource::with_transport(creds, move |_: &Request| {
///     let i = n.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
///     Ok(Response::new(200, format!(r#"{{"access_token":"t{i}","expires_in":300}}"#)))
/// })
/// .with_clock(clock.clone());
/// assert_eq!(source.token()?.access_token(), "t0");
/// clock.sleep(Duration::from_secs(299)); // past the refresh point
/// assert_eq!(source.token()?.access_token(), "t1");
/// # Ok::<(), cctoken::Error>(())
/// ```
pub trait Clock: Send + Sync {
    /// A monotonic reading, as [`Instant::now`].
    fn now(&self) -> Instant;
    /// The wall-clock time, as [`SystemTime::now`].
    fn wall(&self) -> SystemTime;
    /// Blocks for `duration` (retry backoff). Defaults to
    /// [`std::thread::sleep`]; a test clock advances itself instead.
    fn sleep(&self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> Instant {
        (**self).now()
    }
    fn wall(&self) -> SystemTime {
        (**self).wall()
    }
    fn sleep(&self, duration: Duration) {
        (**self).sleep(duration)
    }
}

/// The real clocks: [`Instant::now`] and [`SystemTime::now`].
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
    fn wall(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// The longest lifetime cctoken believes: one year. A larger `expires_in`
/// (one server sent 1,000 years) is clamped to this, so the token is simply
/// refreshed after a year.
pub const MAX_LIFETIME: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// How long a token of `lifetime` is used: its lifetime less a tenth, at
/// most 10 s. Servers count lifetimes from a whole second and the request
/// using the token takes time to arrive: tested against oidc-provider and
/// Authlib, a token was refused up to a second before the expiry the client
/// computed. (golang.org/x/oauth2 likewise stops 10 s early.)
pub(crate) fn usable(lifetime: Duration) -> Duration {
    lifetime - (lifetime / 10).min(Duration::from_secs(10))
}

/// An access token from the token endpoint.
///
/// Cloning is cheap (one reference count). The token's lifetime runs from
/// the moment the request that fetched it was sent, on the [`Clock`] that
/// was in use then.
///
/// ```
/// use cctoken::{Credentials, Request, Response};
///
/// let creds = Credentials::new("https://learnamp.example/oauth/token", "id", "secret")?;
/// let token = creds.fetch_with(&|_: &Request| {
///     Ok(Response::new(200, r#"{"access_token":"tok","token_type":"bearer",
///         "expires_in":7200,"scope":"public","created_at":1733011200}"#))
/// })?;
/// assert_eq!(token.authorization_header(), "Bearer tok");
/// assert_eq!(token.scope(), Some("public"));
/// assert_eq!(token.extra("created_at"), Some("1733011200"));
/// // Used until a tenth of its lifetime (at most 10 s) before the server's expiry.
/// assert!(token.expires_in().unwrap() <= std::time::Duration::from_secs(7190));
/// assert!(!format!("{token:?}").contains("tok\""));
/// # Ok::<(), cctoken::Error>(())
/// ```
#[derive(Clone)]
pub struct Token {
    inner: Arc<Inner>,
}

#[derive(Clone)]
struct Inner {
    id: u64,
    access_token: Secret,
    scope: Option<String>,
    extras: Vec<(String, String)>,
    lifetime: Option<Duration>,
    issued_at: Instant,
    issued_wall: SystemTime,
    /// The key a DPoP-bound token is bound to (RFC 9449): `token_type`
    /// `DPoP`, and every request with it needs a proof made with this key.
    dpop: Option<PrivateKey>,
}

impl Token {
    pub(crate) fn new(
        access_token: String,
        scope: Option<String>,
        extras: Vec<(String, String)>,
        lifetime: Option<Duration>,
        issued: (Instant, SystemTime),
        dpop: Option<PrivateKey>,
    ) -> Token {
        Token {
            inner: Arc::new(Inner {
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                access_token: Secret::new(access_token),
                scope,
                extras,
                lifetime,
                issued_at: issued.0,
                issued_wall: issued.1,
                dpop,
            }),
        }
    }

    /// The access token itself, to send as `Authorization: Bearer <token>`.
    ///
    /// It is printable ASCII without spaces (checked when the response was
    /// parsed), so it is safe to put into a header.
    ///
    /// # Security
    ///
    /// This is a bearer credential: whoever holds it can call the API as
    /// your client until it expires. Do not log it, put it in an error
    /// message or a URL, or store it anywhere readable by others. cctoken's
    /// own `Debug` output never shows it.
    pub fn access_token(&self) -> &str {
        self.inner.access_token.expose()
    }

    /// The token type: `"Bearer"`, or `"DPoP"` for a token bound to a DPoP
    /// key ([`Credentials::with_dpop`](crate::Credentials::with_dpop)). A
    /// response with another type (`mac`, …), or `DPoP` when no DPoP proof
    /// was sent, is refused; one without a type is taken as Bearer (and
    /// refused when DPoP was asked for: the server ignored the proof).
    pub fn token_type(&self) -> &str {
        if self.inner.dpop.is_some() {
            "DPoP"
        } else {
            "Bearer"
        }
    }

    /// The scope the server granted, when it said (an array of strings in
    /// the response is joined with spaces). `None` means the response had
    /// no `scope`, not that the scope asked for was granted: some servers
    /// (oidc-provider) silently drop a scope they do not know and then omit
    /// the member. A caller that relies on a scope must check that it is
    /// here.
    pub fn scope(&self) -> Option<&str> {
        self.inner.scope.as_deref()
    }

    /// The lifetime the server granted (`expires_in`, clamped to
    /// [`MAX_LIFETIME`]), or `None` when the response did not say.
    pub fn lifetime(&self) -> Option<Duration> {
        self.inner.lifetime
    }

    /// The time the token may still be used, by the system clocks, or
    /// `None` when the server did not give a lifetime. `Some(ZERO)` once
    /// expired. cctoken stops using a token a little before the server's
    /// expiry — a tenth of its lifetime, at most 10 s — because servers
    /// count from whole seconds and the API call takes time to arrive.
    pub fn expires_in(&self) -> Option<Duration> {
        self.remaining_at(&SystemClock)
    }

    /// Whether the token's usable lifetime (see
    /// [`expires_in`](Token::expires_in)) has passed by the system clocks
    /// (either of them; see [`Clock`]). A token without a known lifetime is never
    /// expired by this test; [`TokenSource`](crate::TokenSource) applies a
    /// default lifetime to such tokens. A token with `expires_in: 0` is
    /// expired at once: use it for one call, do not keep it.
    pub fn is_expired(&self) -> bool {
        self.is_expired_at(&SystemClock)
    }

    /// `Bearer <access token>`, the value of the `Authorization` header
    /// (RFC 6750 §2.1).
    ///
    /// # Security
    ///
    /// The value contains the access token; see
    /// [`access_token`](Token::access_token).
    pub fn authorization_header(&self) -> String {
        format!("{} {}", self.token_type(), self.access_token())
    }

    /// The `DPoP` header value for an API request with this DPoP-bound
    /// token (RFC 9449 §7): a fresh proof made with the token's key, for
    /// `method` and `url` (`htu` is the URL without query and fragment),
    /// with `ath` (the hash of this token), `iat` now and the server's
    /// `nonce` when it asked for one. Send it beside
    /// [`authorization_header`](Token::authorization_header) (`DPoP …`).
    ///
    /// A resource server that wants a nonce answers 401 with
    /// `WWW-Authenticate: DPoP error="use_dpop_nonce"` and a `DPoP-Nonce`
    /// header: make a new proof with that nonce and send the request again
    /// (once; keep the latest nonce for the next requests to that server).
    ///
    /// ```
    /// # #[cfg(any(feature = "https", feature = "https-os-roots", feature = "aws-lc-rs"))] {
    /// use cctoken::{Credentials, PrivateKey, Request, Response};
    ///
    /// let creds = Credentials::new("https://auth.example.com/token", "id", "secret")?
    ///     .with_dpop(PrivateKey::generate()?);
    /// let token = creds.fetch_with(&|req: &Request| {
    ///     assert!(req.header("dpop").is_some());
    ///     Ok(Response::new(200, r#"{"access_token":"tok","token_type":"DPoP","expires_in":60}"#))
    /// })?;
    /// assert_eq!(token.authorization_header(), "DPoP tok");
    /// // For each API request (a 401 with `use_dpop_nonce` gives the nonce):
    /// let mut nonce: Option<String> = None;
    /// for _attempt in 0..2 {
    ///     let proof = token.dpop_proof("GET", "https://api.example.com/things?page=2", nonce.as_deref())?;
    ///     // let answer = send(GET, url, [("Authorization", token.authorization_header()), ("DPoP", proof)]);
    ///     // if answer is 401 and WWW-Authenticate says error="use_dpop_nonce" {
    ///     //     nonce = answer.header("DPoP-Nonce"); continue; }
    ///     # let _ = proof; nonce = Some("server-nonce".into());
    /// }
    /// # }
    /// # Ok::<(), cctoken::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Config`](crate::ErrorKind::Config): the token is not
    /// DPoP-bound, `method` is not an HTTP method token, or `url` is not an
    /// `http(s)` URL.
    ///
    /// # Security
    ///
    /// A proof is bound to one method, URL and time, and to this token;
    /// it is no secret, but there is no reason to log it either.
    pub fn dpop_proof(
        &self,
        method: &str,
        url: &str,
        nonce: Option<&str>,
    ) -> crate::Result<String> {
        let Some(key) = &self.inner.dpop else {
            return Err(crate::Error::config(
                "dpop_proof: this token is a Bearer token, not DPoP-bound (Credentials::with_dpop)",
            ));
        };
        let iat = crate::jws::unix_time(SystemTime::now())?;
        crate::jws::dpop_proof(key, method, url, iat, nonce, Some(self.access_token()))
    }

    /// Another scalar member of the response by name, such as `created_at`,
    /// `expires_on`, `instance_url`: strings as they were, numbers and
    /// booleans as JSON text. Arrays, objects and `null` are not kept, nor
    /// are members that may hold secrets (`access_token`, `refresh_token`,
    /// `id_token`).
    pub fn extra(&self, name: &str) -> Option<&str> {
        self.inner
            .extras
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Time left by `clock`: the lifetime minus the larger of the elapsed
    /// monotonic and wall-clock time. No addition to an `Instant`, so no
    /// lifetime can overflow; a wall clock set backwards counts as no time.
    /// `None` when the server gave no lifetime.
    pub fn expires_in_at(&self, clock: &dyn Clock) -> Option<Duration> {
        self.remaining_at(clock)
    }

    /// Whether the lifetime has passed by `clock` (either of its clocks).
    pub fn is_expired_at(&self, clock: &dyn Clock) -> bool {
        self.remaining_at(clock) == Some(Duration::ZERO)
    }

    fn remaining_at(&self, clock: &dyn Clock) -> Option<Duration> {
        let lifetime = self.inner.lifetime?;
        Some(usable(lifetime).saturating_sub(self.age_at(clock)))
    }

    /// How long ago the request for this token was sent, by the later of
    /// the two clocks.
    pub(crate) fn age_at(&self, clock: &dyn Clock) -> Duration {
        let mono = clock.now().saturating_duration_since(self.inner.issued_at);
        let wall = clock
            .wall()
            .duration_since(self.inner.issued_wall)
            .unwrap_or(Duration::ZERO);
        mono.max(wall)
    }

    /// The monotonic instant the request for this token was sent.
    pub(crate) fn issued_at(&self) -> Instant {
        self.inner.issued_at
    }

    /// The wall-clock time the request for this token was sent.
    pub(crate) fn issued_wall(&self) -> SystemTime {
        self.inner.issued_wall
    }

    /// Whether `other` came from the same fetch (a clone or duplicate).
    pub(crate) fn same_as(&self, other: &Token) -> bool {
        self.inner.id == other.inner.id
    }

    /// A copy with its own reference count, so that threads holding
    /// duplicates never touch a shared counter.
    pub(crate) fn duplicate(&self) -> Token {
        Token {
            inner: Arc::new((*self.inner).clone()),
        }
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let extras: Vec<&str> = self.inner.extras.iter().map(|(k, _)| k.as_str()).collect();
        f.debug_struct("Token")
            .field("access_token", &self.inner.access_token)
            .field("token_type", &self.token_type())
            .field("scope", &self.inner.scope)
            .field("lifetime", &self.inner.lifetime)
            .field("expires_in", &self.expires_in())
            .field("extras", &extras)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    struct FakeClock {
        base: (Instant, SystemTime),
        offsets: Mutex<(Duration, Duration)>,
    }

    impl FakeClock {
        fn new() -> FakeClock {
            FakeClock {
                base: (Instant::now(), SystemTime::now()),
                offsets: Mutex::new((Duration::ZERO, Duration::ZERO)),
            }
        }
        fn advance(&self, mono: Duration, wall: Duration) {
            let mut o = self.offsets.lock().unwrap();
            o.0 += mono;
            o.1 += wall;
        }
    }

    impl Clock for FakeClock {
        fn now(&self) -> Instant {
            self.base.0 + self.offsets.lock().unwrap().0
        }
        fn wall(&self) -> SystemTime {
            self.base.1 + self.offsets.lock().unwrap().1
        }
    }

    fn token(lifetime: Option<u64>, clock: &FakeClock) -> Token {
        Token::new(
            "tok".into(),
            None,
            vec![],
            lifetime.map(Duration::from_secs),
            (clock.now(), clock.wall()),
            None,
        )
    }

    #[test]
    fn remaining_counts_down_on_monotonic_clock() {
        let c = FakeClock::new();
        let t = token(Some(100), &c);
        c.advance(Duration::from_secs(40), Duration::from_secs(40));
        // Usable for 90 of the 100 s: a tenth early.
        assert_eq!(t.remaining_at(&c), Some(Duration::from_secs(50)));
        assert!(!t.is_expired_at(&c));
        c.advance(Duration::from_secs(49), Duration::from_secs(49));
        assert!(!t.is_expired_at(&c));
        c.advance(Duration::from_secs(1), Duration::from_secs(1));
        assert!(t.is_expired_at(&c));
    }

    #[test]
    fn wall_clock_past_expiry_expires_while_monotonic_frozen() {
        let c = FakeClock::new();
        let t = token(Some(100), &c);
        c.advance(Duration::ZERO, Duration::from_secs(101));
        assert!(t.is_expired_at(&c));
    }

    #[test]
    fn wall_clock_set_back_does_not_extend() {
        let c = FakeClock {
            base: (Instant::now(), SystemTime::now()),
            offsets: Mutex::new((Duration::ZERO, Duration::from_secs(1000))),
        };
        let t = token(Some(100), &c);
        // Wall clock jumps back 1000 s: only the monotonic clock counts.
        *c.offsets.lock().unwrap() = (Duration::from_secs(100), Duration::ZERO);
        assert!(t.is_expired_at(&c));
    }

    #[test]
    fn unknown_lifetime_never_expires_by_itself() {
        let c = FakeClock::new();
        let t = token(None, &c);
        c.advance(Duration::from_secs(1 << 40), Duration::from_secs(1 << 40));
        assert_eq!(t.remaining_at(&c), None);
        assert!(!t.is_expired_at(&c));
    }

    #[test]
    fn max_lifetime_does_not_overflow() {
        let c = FakeClock::new();
        let t = token(Some(MAX_LIFETIME.as_secs()), &c);
        assert_eq!(
            t.remaining_at(&c),
            Some(MAX_LIFETIME - Duration::from_secs(10))
        );
    }

    #[test]
    fn usable_lifetime_skew() {
        assert_eq!(usable(Duration::from_secs(3600)), Duration::from_secs(3590));
        assert_eq!(usable(Duration::from_secs(10)), Duration::from_secs(9));
        assert_eq!(usable(Duration::from_secs(1)), Duration::from_millis(900));
        assert_eq!(usable(Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn debug_hides_token() {
        let c = FakeClock::new();
        let t = token(Some(1), &c);
        let d = format!("{t:?}");
        assert!(!d.contains("tok\""), "{d}");
        assert!(d.contains("[redacted]"));
    }
}
