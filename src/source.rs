//! [`TokenSource`]: a thread-safe token cache with single-flight refresh.

use crate::cache::FileCache;
use crate::credentials::Credentials;
use crate::error::{Error, ErrorKind, Result};
use crate::token::{usable, Clock, SystemClock, Token};
use crate::transport::{HttpTransport, Transport};
use std::cell::RefCell;
use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant, SystemTime};

/// Refresh this long before expiry unless set: 60 s.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(60);
/// Lifetime assumed for a token whose response has no `expires_in`: 1 h.
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);

/// Hands out a valid token, fetching a new one only when needed.
///
/// Call [`token`](TokenSource::token) before every API request, from any
/// number of threads. The first call fetches; later calls return the
/// cached token until it nears expiry. Then one caller refreshes while the
/// others keep getting the still-valid token; once a token has expired,
/// callers wait for the one refresh in flight. A token is never returned
/// after its expiry by the source's [`Clock`], and a failed refresh is never
/// cached. When the API answers 401, call
/// [`invalidate`](TokenSource::invalidate) with the token it refused.
///
/// ```
/// use cctoken::{Credentials, Response, TokenSource};
///
/// let creds = Credentials::new("https://auth.example.com/token", "id", "secret")?;
/// let source = TokenSource::with_transport(creds, |_: &cctoken::Request| {
///     Ok(Response::new(200, r#"{"access_token":"abc","expires_in":3600}"#))
/// });
/// let token = source.token()?;
/// assert_eq!(token.authorization_header(), "Bearer abc");
/// # Ok::<(), cctoken::Error>(())
/// ```
///
/// # Threads
///
/// `TokenSource` is `Send + Sync`, and cloning it is cheap (an `Arc`): the
/// clones share one cache. The hit path takes no lock: each thread keeps
/// its own copy of the current token, checked against an atomic generation
/// counter and the clock. A mutex guards the shared state only on a miss —
/// the first call of a thread after a refresh, a token inside the refresh
/// margin, or a fetch — and is never held during network I/O or sleeps. A
/// `Condvar` lets callers wait for the refresh in flight. If the transport
/// panics, the waiting callers get an error and the next call tries again.
///
/// A thread's copy of the token stays in that thread until it next uses
/// the source or exits (at most 8 sources are remembered per thread).
///
/// The generation counter (like the id that tells fetched tokens apart) is
/// an [`AtomicU64`]. The targets cctoken is tested on all have 64-bit
/// atomics: x86-64, aarch64, and 32-bit armv7, whose `ldrexd`/`strexd`
/// make them lock-free. A target without them
/// (`cfg(not(target_has_atomic = "64"))`, such as ARMv5TE or 32-bit MIPS
/// and PowerPC) cannot build cctoken as it is and would need a fallback,
/// such as a counter under the mutex.
///
/// `TokenSource` is not [`UnwindSafe`](std::panic::UnwindSafe): it holds a
/// `dyn Transport` and a `dyn Clock`, which may not be. It stays consistent
/// after a panic in the transport (the fetch in flight ends with an error
/// for its waiters, and the lock is never held while user code runs), so
/// wrapping it in [`AssertUnwindSafe`](std::panic::AssertUnwindSafe) to use
/// it across `catch_unwind` is sound.
///
/// # Defaults
///
/// | setting | default |
/// |---|---|
/// | refresh margin | 60 s before expiry ([`DEFAULT_REFRESH_MARGIN`]), never more than half the token's lifetime |
/// | lifetime when `expires_in` is missing | 1 h ([`DEFAULT_LIFETIME`]) |
/// | retry | 3 attempts in all, backoff from 500 ms doubling up to 30 s, with jitter (see [`Retry`]) |
/// | clock | [`SystemClock`] |
/// | transport | [`HttpTransport`] for [`new`](TokenSource::new) |
///
/// A token with `expires_in: 0` is returned to the caller whose fetch got
/// it and never cached.
#[derive(Clone)]
pub struct TokenSource {
    shared: Arc<Shared>,
}

/// Retrying transient failures (connection, timeout, HTTP 408/429/5xx, the
/// OAuth errors `temporarily_unavailable`, `server_error`, `slow_down`; see
/// [`Error::is_transient`]).
///
/// Before retry *n* (1, 2, …) cctoken waits `base × 2ⁿ⁻¹`, capped at `max`,
/// then scaled by a random factor between ½ and 1 (jitter, so that many
/// clients do not retry in step). When the server sent `Retry-After`
/// (seconds or an HTTP date) that wait is used instead; if it is longer
/// than `max`, cctoken gives up at once and returns the error, whose
/// [`retry_after`](Error::retry_after) tells the caller. While the current
/// token is still served (a failed refresh inside the margin), the next
/// refresh waits for the backoff or the server's `Retry-After`, whichever
/// is longer. OAuth refusals such as `invalid_client` are never retried.
///
/// ```
/// use cctoken::{Credentials, Retry, TokenSource};
/// use std::time::Duration;
///
/// let creds = Credentials::new("https://auth.example.com/token", "id", "secret")?;
/// // Stampede allows 20 token requests a minute: retry at most twice more,
/// // waiting 5 s, then 10 s (each scaled by ½ to 1), or what the server asks
/// // up to a minute.
/// let patient = TokenSource::new(creds.clone())
///     .with_retry(Retry::new(3, Duration::from_secs(5), Duration::from_secs(60)));
/// // A caller with its own retry loop: one attempt per call.
/// let once = TokenSource::new(creds).with_retry(Retry::none());
/// # let _ = (patient, once);
/// # Ok::<(), cctoken::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    attempts: u32,
    base: Duration,
    max: Duration,
}

impl Retry {
    /// `attempts` requests at most in all (at least 1), backoff from `base`
    /// doubling up to `max`.
    pub fn new(attempts: u32, base: Duration, max: Duration) -> Retry {
        Retry {
            attempts: attempts.max(1),
            base,
            max: max.max(base),
        }
    }

    /// One attempt, no retry.
    pub fn none() -> Retry {
        Retry::new(1, Duration::ZERO, Duration::ZERO)
    }

    /// The backoff before retry `n` (from 1), with jitter.
    fn backoff(&self, n: u32) -> Duration {
        let full = self
            .base
            .saturating_mul(1u32.checked_shl(n.saturating_sub(1)).unwrap_or(u32::MAX))
            .min(self.max);
        let mut h = RandomState::new().build_hasher();
        h.write_u32(n);
        // Jitter: a uniform fraction in [1/2, 1) of `full`, in integers
        // (float-to-duration conversion costs a few KiB of binary).
        let half = u64::try_from(full.as_nanos() / 2).unwrap_or(u64::MAX);
        let random = u128::from(h.finish() >> 32); // 32 random bits
        let extra = (u128::from(half) * random) >> 32;
        Duration::from_nanos(half.saturating_add(extra as u64))
    }
}

impl Default for Retry {
    fn default() -> Retry {
        Retry::new(3, Duration::from_millis(500), Duration::from_secs(30))
    }
}

#[derive(Clone)]
struct Config {
    margin: Duration,
    default_lifetime: Duration,
    retry: Retry,
    cache: Option<Arc<FileCache>>,
    /// Fetch even when the file cache holds a token (`cctoken --refresh`).
    ignore_cached: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            margin: DEFAULT_REFRESH_MARGIN,
            default_lifetime: DEFAULT_LIFETIME,
            retry: Retry::default(),
            cache: None,
            ignore_cached: false,
        }
    }
}

struct Shared {
    credentials: Credentials,
    transport: Arc<dyn Transport>,
    clock: Arc<dyn Clock>,
    config: Config,
    /// Bumped (under the mutex) whenever the cached token changes.
    generation: AtomicU64,
    state: Mutex<State>,
    done: Condvar,
}

#[derive(Default)]
struct State {
    current: Option<Cached>,
    /// A fetch is in flight.
    refreshing: bool,
    /// Counts fetches started; the outcome of the last one finished.
    flight: u64,
    outcome: Option<(u64, Result<Token>)>,
    /// After a failed refresh while the token was still valid: no new
    /// refresh until this long after this instant (kept apart, never
    /// added: a long backoff could pass the end of `Instant`).
    cool_down: Option<(Instant, Duration, u32)>,
}

/// A token with the ages (time since its request) at which to refresh it,
/// at which cctoken stops using it, and at which the server says it
/// expires.
#[derive(Clone)]
struct Cached {
    token: Token,
    refresh_at: Duration,
    expire_at: Duration,
    lifetime: Duration,
}

impl Cached {
    fn new(token: Token, config: &Config) -> Option<Cached> {
        let lifetime = token.lifetime().unwrap_or(config.default_lifetime);
        if lifetime.is_zero() {
            return None;
        }
        let expire_at = usable(lifetime);
        Some(Cached {
            refresh_at: (lifetime - config.margin.min(lifetime / 2)).min(expire_at),
            expire_at,
            lifetime,
            token,
        })
    }
}

/// What a caller found under the lock.
enum Step {
    Return(Result<Token>),
    Fetch {
        flight: u64,
        fallback: Option<Token>,
    },
    Wait(u64),
}

/// A thread's private copy of a source's current token.
struct Local {
    source: Weak<Shared>,
    generation: u64,
    /// A duplicate: its reference count is touched by this thread only.
    token: Token,
    /// When the token is due for refresh, by each clock (`None`: beyond
    /// what the clock can represent).
    refresh_mono: Option<Instant>,
    refresh_wall: Option<SystemTime>,
}

thread_local! {
    static LOCAL: RefCell<Vec<Local>> = const { RefCell::new(Vec::new()) };
}

/// Sources remembered per thread.
const LOCAL_SLOTS: usize = 8;

impl TokenSource {
    /// A source fetching with `credentials` over the built-in
    /// [`HttpTransport`].
    pub fn new(credentials: Credentials) -> TokenSource {
        TokenSource::with_transport(credentials, HttpTransport::new())
    }

    /// A source fetching over `transport`.
    pub fn with_transport(
        credentials: Credentials,
        transport: impl Transport + 'static,
    ) -> TokenSource {
        TokenSource::build(
            credentials,
            Arc::new(transport),
            Arc::new(SystemClock),
            Config::default(),
        )
    }

    fn build(
        credentials: Credentials,
        transport: Arc<dyn Transport>,
        clock: Arc<dyn Clock>,
        config: Config,
    ) -> TokenSource {
        TokenSource {
            shared: Arc::new(Shared {
                credentials,
                transport,
                clock,
                config,
                generation: AtomicU64::new(0),
                state: Mutex::new(State::default()),
                done: Condvar::new(),
            }),
        }
    }

    /// Applies a setting. A source not yet cloned is changed in place; on a
    /// clone, the setter makes a new, independent source with an empty cache.
    fn rebuild(mut self, change: impl FnOnce(&mut Config, &mut Arc<dyn Clock>)) -> TokenSource {
        if let Some(shared) = Arc::get_mut(&mut self.shared) {
            change(&mut shared.config, &mut shared.clock);
            return self;
        }
        let s = &self.shared;
        let (mut config, mut clock) = (s.config.clone(), s.clock.clone());
        change(&mut config, &mut clock);
        TokenSource::build(s.credentials.clone(), s.transport.clone(), clock, config)
    }

    /// Refresh this long before expiry (capped at half the token's
    /// lifetime).
    pub fn with_refresh_margin(self, margin: Duration) -> TokenSource {
        self.rebuild(|c, _| c.margin = margin)
    }

    /// The lifetime assumed when a response has no `expires_in`.
    pub fn with_default_lifetime(self, lifetime: Duration) -> TokenSource {
        self.rebuild(|c, _| c.default_lifetime = lifetime)
    }

    /// How transient failures are retried.
    pub fn with_retry(self, retry: Retry) -> TokenSource {
        self.rebuild(|c, _| c.retry = retry)
    }

    /// The clock expiry is measured on and backoff sleeps through (see
    /// [`Clock`] for an example).
    pub fn with_clock(self, clock: impl Clock + 'static) -> TokenSource {
        self.rebuild(|_, c| *c = Arc::new(clock))
    }

    /// Shares tokens with other processes through the file at `path`, for
    /// small tools that run for a second and exit: a token fetched by one
    /// run is reused by the next until it is due for refresh.
    ///
    /// The file holds the token, its refresh and expiry times in wall-clock
    /// seconds, and a fingerprint of what it was fetched for — token URL,
    /// client id, client authentication, scope, extra parameters and the
    /// secret — made with HMAC-SHA256 under a random salt stored beside it:
    /// the secret is not stored and cannot be recovered from the file
    /// faster than by guessing it, and a rotated or wrong secret misses.
    /// The file is written atomically (a new file made with `O_EXCL` and
    /// mode 600, then renamed), and `<path>.lock` serialises the processes
    /// so that of several started at once only one fetches. A process waits
    /// for the lock at most the request timeout, then fetches without the
    /// cache. A cache file of cctoken's (one that begins
    /// `{"cctoken_cache":`) that is truncated, for other credentials or due
    /// for refresh is ignored and replaced.
    ///
    /// What the cache refuses, as [`ErrorKind::Config`] naming the path and
    /// the fix, before any request (the rules OpenSSH applies to key files,
    /// checked on the opened file):
    ///
    /// - a directory not owned by you or root, or writable by group or
    ///   others — sticky or not, so `/tmp` is refused: anyone could plant
    ///   or swap a token there;
    /// - a directory above it not owned by you or root, or writable by
    ///   group or others without the sticky bit (`/tmp` above a private
    ///   directory of yours is fine): someone could rename your directory
    ///   away and put theirs in its place. The directory is resolved once
    ///   (symbolic links on the way followed) and every file of the cache
    ///   is opened through the resolved path;
    /// - a cache or lock file that is a symbolic link (never followed), not
    ///   owned by you or root, or accessible by group or others;
    /// - anything at `path` that cctoken did not write — your secret file
    ///   given by mistake, a directory, a FIFO, a device: never replaced.
    ///
    /// [`invalidate`](TokenSource::invalidate) removes the file too when it
    /// holds the refused token.
    ///
    /// ```
    /// use cctoken::{Credentials, Request, Response, TokenSource};
    /// use std::os::unix::fs::PermissionsExt;
    ///
    /// // A private directory (mode 700) of your own, such as $XDG_RUNTIME_DIR.
    /// let dir = std::env::temp_dir().join(format!("cctoken-doc-cache-{}", std::process::id()));
    /// std::fs::create_dir(&dir)?;
    /// std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
    /// let cache = dir.join("my-client.token");
    ///
    /// let creds = Credentials::new("https://auth.example.com/token", "id", "secret")?;
    /// let fetch = |_: &Request| Ok(Response::new(200, r#"{"access_token":"abc","expires_in":3600}"#));
    /// // One run of a tool fetches and stores the token ...
    /// let first = TokenSource::with_transport(creds.clone(), fetch).with_file_cache(&cache);
    /// assert_eq!(first.token()?.access_token(), "abc");
    /// // ... the next run reads it without a request.
    /// let offline = |_: &Request| -> cctoken::Result<Response> { panic!("no request expected") };
    /// let next = TokenSource::with_transport(creds.clone(), offline).with_file_cache(&cache);
    /// assert_eq!(next.token()?.access_token(), "abc");
    ///
    /// // A directory others can write (even sticky, as /tmp) is refused.
    /// std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o1777))?;
    /// let shared = TokenSource::with_transport(creds, fetch).with_file_cache(&cache);
    /// let e = shared.token().unwrap_err();
    /// assert!(e.to_string().contains("writable by others"));
    /// # std::fs::remove_dir_all(&dir)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Security
    ///
    /// The file holds a bearer token at rest, readable by the owner (and
    /// root) until it expires. Use a private directory, such as
    /// `$XDG_RUNTIME_DIR` or `~/.cache/<tool>`, not a shared one.
    pub fn with_file_cache(self, path: impl Into<std::path::PathBuf>) -> TokenSource {
        let cache = Arc::new(FileCache::new(path.into()));
        self.rebuild(|c, _| c.cache = Some(cache))
    }

    /// The credentials this source fetches with.
    pub fn credentials(&self) -> &Credentials {
        &self.shared.credentials
    }

    /// A token that has not expired: the cached one, or a new one.
    ///
    /// # Errors
    ///
    /// When no valid token is cached and fetching fails (after retries of
    /// transient failures): the fetch's error. Every caller that waited for
    /// that fetch gets the same error, and the next call tries again.
    pub fn token(&self) -> Result<Token> {
        if let Some(token) = self.local_hit() {
            return Ok(token);
        }
        self.slow_token()
    }

    /// The thread's own copy, if it is current and not due for refresh.
    fn local_hit(&self) -> Option<Token> {
        let s = &*self.shared;
        let generation = s.generation.load(Ordering::Acquire);
        LOCAL.with(|local| {
            let local = local.borrow();
            let entry = local.iter().find(|l| std::ptr::eq(l.source.as_ptr(), s))?;
            let clock = &*s.clock;
            let fresh = entry.generation == generation
                && entry.refresh_mono.is_none_or(|due| clock.now() < due)
                && entry.refresh_wall.is_none_or(|due| clock.wall() < due);
            fresh.then(|| entry.token.clone())
        })
    }

    fn remember_locally(&self, generation: u64, cached: &Cached) {
        let s = &self.shared;
        let token = cached.token.duplicate();
        let entry = Local {
            source: Arc::downgrade(s),
            generation,
            refresh_mono: token.issued_at().checked_add(cached.refresh_at),
            refresh_wall: token.issued_wall().checked_add(cached.refresh_at),
            token,
        };
        LOCAL.with(|local| {
            let mut local = local.borrow_mut();
            local.retain(|l| l.source.strong_count() > 0 && !std::ptr::eq(l.source.as_ptr(), &**s));
            if local.len() >= LOCAL_SLOTS {
                local.remove(0);
            }
            local.push(entry);
        });
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // No code panics while holding the lock; recover anyway.
        self.shared
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn slow_token(&self) -> Result<Token> {
        loop {
            let step = {
                let mut state = self.lock();
                self.decide(&mut state)
            };
            match step {
                Step::Return(result) => return result,
                Step::Fetch { flight, fallback } => {
                    if let Some(result) = self.refresh(flight, fallback) {
                        return result;
                    }
                }
                Step::Wait(flight) => {
                    let mut state = self.lock();
                    while state.refreshing && state.flight == flight {
                        state = self
                            .shared
                            .done
                            .wait(state)
                            .unwrap_or_else(|poisoned| poisoned.into_inner());
                    }
                    match &state.outcome {
                        // The flight failed: its waiters share the error.
                        Some((f, Err(e))) if *f == flight => return Err(e.clone()),
                        // Succeeded (cached, or zero lifetime: fetch our
                        // own), or superseded: look again.
                        _ => continue,
                    }
                }
            }
        }
    }

    /// Under the lock: serve, start a fetch, or wait for the one in flight.
    fn decide(&self, state: &mut State) -> Step {
        let s = &*self.shared;
        let clock = &*s.clock;
        let mut fallback = None;
        if let Some(cached) = &state.current {
            let age = cached.token.age_at(clock);
            if age < cached.expire_at {
                let generation = s.generation.load(Ordering::Relaxed);
                self.remember_locally(generation, cached);
                let token = cached.token.clone();
                let cooling = state.cool_down.is_some_and(|(since, wait, _)| {
                    clock.now().saturating_duration_since(since) < wait
                });
                if age < cached.refresh_at || state.refreshing || cooling {
                    return Step::Return(Ok(token));
                }
                // Inside the margin: this caller refreshes, the others are
                // served the current token meanwhile.
                fallback = Some(token);
            }
        }
        if state.refreshing {
            return Step::Wait(state.flight);
        }
        state.refreshing = true;
        state.flight += 1;
        Step::Fetch {
            flight: state.flight,
            fallback,
        }
    }

    /// Runs fetch `flight` and publishes its outcome. `None`: the token
    /// had a zero lifetime and was handed to nobody; look again.
    fn refresh(&self, flight: u64, fallback: Option<Token>) -> Option<Result<Token>> {
        let s = &*self.shared;
        let mut guard = FlightGuard {
            source: self,
            flight,
            finished: false,
        };
        let result = self.fetcher().obtain();
        guard.finished = true;

        let mut state = self.lock();
        state.refreshing = false;
        let answer = match &result {
            Ok(token) => {
                state.cool_down = None;
                match Cached::new(token.clone(), &s.config) {
                    Some(cached) => {
                        state.current = Some(cached);
                        s.generation.fetch_add(1, Ordering::Release);
                    }
                    // Zero lifetime: only this caller may use it.
                    None if fallback.is_some() => {}
                    None => state.current = None,
                }
                Some(Ok(token.clone()))
            }
            Err(e) => match fallback {
                Some(old) if !old.is_expired_at(&*s.clock) => {
                    let failures = state.cool_down.map_or(1, |(_, _, n)| n.saturating_add(1));
                    // The server's `Retry-After`, when longer than the
                    // backoff: it is still served the old token meanwhile.
                    let wait = s
                        .config
                        .retry
                        .backoff(failures)
                        .max(e.retry_after().unwrap_or_default());
                    state.cool_down = Some((s.clock.now(), wait, failures));
                    Some(Ok(old))
                }
                _ => Some(Err(e.clone())),
            },
        };
        state.outcome = Some((flight, result));
        drop(state);
        s.done.notify_all();
        answer
    }

    fn fetcher(&self) -> Fetcher<'_> {
        let s = &*self.shared;
        Fetcher {
            credentials: &s.credentials,
            transport: &*s.transport,
            clock: &*s.clock,
            config: &s.config,
        }
    }

    /// Drops `token` from the cache if it is still the cached one (the API
    /// answered 401 to it), so that the next [`token`](TokenSource::token)
    /// fetches a new one. A token that was already replaced is ignored, so
    /// many threads reporting the same dead token cause one fetch.
    ///
    /// With a [file cache](TokenSource::with_file_cache), the file is
    /// removed too if it holds the same token, so that the next process
    /// does not pick up the refused token either (waiting for the file's
    /// lock at most the request timeout; past it, the file is left alone).
    /// A token this source has already replaced leaves the file alone, at
    /// once.
    ///
    /// ```
    /// use cctoken::{Credentials, Request, Response, TokenSource};
    /// use std::sync::atomic::{AtomicUsize, Ordering};
    ///
    /// let creds = Credentials::new("https://auth.example.com/token", "id", "secret")?;
    /// let n = AtomicUsize::new(0);
    /// let source = TokenSource::with_transport(creds, move |_: &Request| {
    ///     let i = n.fetch_add(1, Ordering::SeqCst);
    ///     Ok(Response::new(200, format!(r#"{{"access_token":"t{i}","expires_in":3600}}"#)))
    /// });
    /// let token = source.token()?;
    /// // ... the API answers 401 to this token:
    /// source.invalidate(&token);
    /// assert_eq!(source.token()?.access_token(), "t1");
    /// // Reporting the old token again does nothing.
    /// source.invalidate(&token);
    /// assert_eq!(source.token()?.access_token(), "t1");
    /// # Ok::<(), cctoken::Error>(())
    /// ```
    pub fn invalidate(&self, token: &Token) {
        let replaced = {
            let mut state = self.lock();
            match &state.current {
                Some(c) if c.token.same_as(token) => {
                    state.current = None;
                    state.cool_down = None;
                    self.shared.generation.fetch_add(1, Ordering::Release);
                    false
                }
                Some(_) => true,
                None => false,
            }
        };
        // A token already replaced here was dealt with by the call that
        // replaced it: no wait for the file's lock.
        let s = &*self.shared;
        if let (false, Some(cache)) = (replaced, &s.config.cache) {
            if let Ok(Some(lock)) = cache.lock(s.credentials.timeout(), &*s.clock) {
                lock.forget(token);
            }
        }
    }
}

/// What fetching a new token needs, borrowed from a [`TokenSource`] or, for
/// the one-shot `cctoken` command, from `token_once`.
struct Fetcher<'a> {
    credentials: &'a Credentials,
    transport: &'a dyn Transport,
    clock: &'a dyn Clock,
    config: &'a Config,
}

impl Fetcher<'_> {
    /// A new token: from the file cache when another process stored a
    /// fresh one, else fetched (and stored).
    fn obtain(&self) -> Result<Token> {
        // Before the cache: credentials that could not make a request (an
        // http URL to another host, a client id Basic cannot carry) are an
        // error even when a token for them is cached.
        self.credentials.validate()?;
        let Some(cache) = &self.config.cache else {
            return self.fetch_with_retry();
        };
        if self
            .credentials
            .dpop_key()
            .is_some_and(|k| k.is_generated())
        {
            return Err(Error::config(
                "the file cache cannot keep a token bound to a DPoP key made in memory \
                 (PrivateKey::generate): the next process would not have the key, and the \
                 token is worthless without it; load the key from a file, or drop the file cache",
            ));
        }
        let Some(lock) = cache.lock(self.credentials.timeout(), self.clock)? else {
            // Another process held the lock for a whole request timeout
            // (stuck, or a slow endpoint): fetch without the cache rather
            // than wait longer.
            return self.fetch_with_retry();
        };
        let cached = lock.load(self.credentials, self.clock)?;
        if let Some(token) = cached.filter(|_| !self.config.ignore_cached) {
            return Ok(token);
        }
        let token = self.fetch_with_retry()?;
        if let Some(cached) = Cached::new(token.clone(), self.config) {
            let issued = token.issued_wall();
            if let (Some(refresh), Some(expire)) = (
                issued.checked_add(cached.refresh_at),
                issued.checked_add(cached.lifetime),
            ) {
                lock.store(self.credentials, &token, refresh, expire);
            }
        }
        Ok(token)
    }

    fn fetch_with_retry(&self) -> Result<Token> {
        let retry = self.config.retry;
        let mut attempt = 1;
        loop {
            let result = self.credentials.fetch_at(self.transport, self.clock);
            let err = match result {
                Ok(token) => return Ok(token),
                Err(e) => e,
            };
            if attempt >= retry.attempts || !err.is_transient() {
                return Err(err);
            }
            let wait = match err.retry_after() {
                Some(asked) if asked > retry.max => return Err(err),
                Some(asked) => asked,
                None => retry.backoff(attempt),
            };
            self.clock.sleep(wait);
            attempt += 1;
        }
    }
}

/// One token for a program that needs one and exits (the `cctoken`
/// command): what the first [`TokenSource::token`] of a new source with the
/// default settings does — the file cache if any, fetch, retry — without the
/// in-process cache and its thread machinery, which such a program never
/// uses and would only add to its size.
#[cfg(feature = "cli")]
pub(crate) fn token_once(
    credentials: &Credentials,
    cache: Option<std::path::PathBuf>,
    ignore_cached: bool,
) -> Result<Token> {
    let config = Config {
        cache: cache.map(|path| Arc::new(FileCache::new(path))),
        ignore_cached,
        ..Config::default()
    };
    Fetcher {
        credentials,
        transport: &HttpTransport::new(),
        clock: &SystemClock,
        config: &config,
    }
    .obtain()
}

/// Ends a flight if the transport panicked, so that waiters are not
/// stranded.
struct FlightGuard<'a> {
    source: &'a TokenSource,
    flight: u64,
    finished: bool,
}

impl Drop for FlightGuard<'_> {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        let mut state = self.source.lock();
        state.refreshing = false;
        state.outcome = Some((
            self.flight,
            Err(Error::new(
                ErrorKind::Connect,
                "the transport panicked during a fetch",
            )),
        ));
        drop(state);
        self.source.shared.done.notify_all();
    }
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &*self.shared;
        f.debug_struct("TokenSource")
            .field("credentials", &s.credentials)
            .field("refresh_margin", &s.config.margin)
            .field("default_lifetime", &s.config.default_lifetime)
            .field("retry", &s.config.retry)
            .field("file_cache", &s.config.cache.is_some())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
#[path = "source_tests.rs"]
mod tests;
