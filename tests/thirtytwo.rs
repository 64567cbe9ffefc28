//! What a 32-bit target could get wrong: `usize` of 32 bits (caps, lengths,
//! casts), times past 2038 (glibc's `time_t` is 32 bits on armv7), and
//! clock arithmetic near the ends of `Instant` and `SystemTime`.
//!
//! Each test also runs on x86-64; `.ci/cross.sh armv7` runs them under
//! qemu-arm. Numbers just past `u32::MAX` and `i32::MAX` are chosen so that
//! a narrowing cast anywhere on the way would change the outcome.

mod common;

use cctoken::{
    Clock, Credentials, ErrorKind, Request, Response, Result, Token, TokenSource, MAX_LIFETIME,
};
use common::{Reply, Server, TempDir};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// 2038-01-19T03:14:07Z, the last second a signed 32-bit `time_t` holds.
const Y2038: u64 = i32::MAX as u64;
/// Just past `u32::MAX`: wraps to 1 in 32 bits.
const PAST_U32: u64 = u32::MAX as u64 + 2;
const DAY: Duration = Duration::from_secs(24 * 3600);

/// A clock that starts at chosen instants and moves only when told.
struct TestClock {
    base: (Instant, SystemTime),
    offsets: Mutex<(Duration, Duration)>,
    sleeps: Mutex<Vec<Duration>>,
}

impl TestClock {
    fn at(mono: Instant, wall: SystemTime) -> Arc<TestClock> {
        Arc::new(TestClock {
            base: (mono, wall),
            offsets: Mutex::new((Duration::ZERO, Duration::ZERO)),
            sleeps: Mutex::new(Vec::new()),
        })
    }

    /// Wall clock at `secs` after the epoch.
    fn wall_at(secs: u64) -> Arc<TestClock> {
        TestClock::at(Instant::now(), UNIX_EPOCH + Duration::from_secs(secs))
    }

    fn advance(&self, mono: Duration, wall: Duration) {
        let mut o = self.offsets.lock().unwrap();
        o.0 += mono;
        o.1 += wall;
    }

    fn sleeps(&self) -> Vec<Duration> {
        self.sleeps.lock().unwrap().clone()
    }
}

impl Clock for TestClock {
    fn now(&self) -> Instant {
        let by = self.offsets.lock().unwrap().0;
        self.base
            .0
            .checked_add(by)
            .expect("test clock past Instant's range")
    }
    fn wall(&self) -> SystemTime {
        let by = self.offsets.lock().unwrap().1;
        self.base
            .1
            .checked_add(by)
            .expect("test clock past SystemTime's range")
    }
    fn sleep(&self, duration: Duration) {
        self.sleeps.lock().unwrap().push(duration);
        self.advance(duration, duration);
    }
}

/// A transport answering every request with token `tok-<n>` living
/// `expires_in` seconds, and the count of requests.
fn numbered(
    expires_in: u64,
) -> (
    Arc<AtomicUsize>,
    impl Fn(&Request) -> Result<Response> + Send + Sync + 'static,
) {
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    let transport = move |_: &Request| {
        let n = c.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(Response::new(
            200,
            format!(
                r#"{{"access_token":"tok-{n}","token_type":"Bearer","expires_in":{expires_in}}}"#
            ),
        ))
    };
    (count, transport)
}

fn creds() -> Credentials {
    Credentials::new(
        "https://auth.example.com/token",
        "id",
        "thirty-two-bit secret",
    )
    .unwrap()
}

fn secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// The largest whole-second offset `add` accepts (binary search).
fn last_second(add: impl Fn(Duration) -> bool) -> u64 {
    let (mut ok, mut bad) = (0u64, u64::MAX);
    while bad - ok > 1 {
        let mid = ok + (bad - ok) / 2;
        if add(Duration::from_secs(mid)) {
            ok = mid;
        } else {
            bad = mid;
        }
    }
    ok
}

// --- the platform facts cctoken relies on -----------------------------------

#[test]
fn system_time_holds_dates_past_2038_and_2106() {
    // Rust's std keeps 64-bit seconds even where glibc's `time_t` is 32
    // bits (armv7), and reads the clock through `__clock_gettime64`.
    for s in [Y2038, Y2038 + 1, u32::MAX as u64, PAST_U32, 1 << 40] {
        let t = UNIX_EPOCH.checked_add(Duration::from_secs(s));
        assert_eq!(t.map(secs), Some(s), "{s} s after the epoch");
    }
    let near = UNIX_EPOCH + Duration::from_secs(Y2038 - 60);
    assert_eq!(
        secs(near + MAX_LIFETIME),
        Y2038 - 60 + MAX_LIFETIME.as_secs()
    );
    // The end is i64 seconds, the same on 32 and 64 bits.
    let last = last_second(|d| UNIX_EPOCH.checked_add(d).is_some());
    assert_eq!(last, i64::MAX as u64);
    assert!(SystemTime::now() > UNIX_EPOCH + Duration::from_secs(1_700_000_000));
}

#[test]
fn instant_range_is_64_bit_seconds() {
    let now = Instant::now();
    assert!(now.checked_add(Duration::from_secs(PAST_U32)).is_some());
    assert!(now.checked_add(Duration::from_secs(u64::MAX)).is_none());
    assert!(last_second(|d| now.checked_add(d).is_some()) > 1 << 62);
}

#[test]
fn target_has_64_bit_atomics() {
    // TokenSource's generation counter and the token ids are AtomicU64:
    // armv7 has them (ldrexd/strexd); a target without would not compile.
    const { assert!(cfg!(target_has_atomic = "64")) };
    let a = std::sync::atomic::AtomicU64::new(u32::MAX as u64);
    a.fetch_add(1, Ordering::SeqCst);
    assert_eq!(a.load(Ordering::SeqCst), 1 << 32);
}

// --- lifetimes and times past 32 bits ---------------------------------------

fn lifetime_of(expires_in: &str) -> Option<Duration> {
    let body = format!(r#"{{"access_token":"tok","expires_in":{expires_in}}}"#);
    let token = creds()
        .fetch_with(&move |_: &Request| Ok(Response::new(200, body.clone())))
        .unwrap_or_else(|e| panic!("expires_in {expires_in}: {e}"));
    token.lifetime()
}

#[test]
fn expires_in_past_32_bits_is_clamped_never_wrapped() {
    for big in [
        "2147483648",           // 2^31: negative as i32
        "4294967297",           // 2^32 + 1: 1 as u32
        "\"4294967297\"",       // the same as a digit string (Azure AD v1)
        "4294967297.5",         // and as a fraction
        "18446744073709551617", // past u64
        "\"18446744073709551617\"",
        "1e300",
    ] {
        assert_eq!(lifetime_of(big), Some(MAX_LIFETIME), "expires_in {big}");
    }
    // Below the clamp, kept exactly.
    assert_eq!(
        lifetime_of("31535999"),
        Some(MAX_LIFETIME - Duration::from_secs(1))
    );
    assert_eq!(lifetime_of("\"86400\""), Some(DAY));
}

#[test]
fn token_issued_in_2040_expires_by_the_wall_clock() {
    // 2040-01-01T00:00:00Z: wall-clock seconds past i32::MAX.
    let clock = TestClock::wall_at(2_208_988_800);
    let (count, transport) = numbered(MAX_LIFETIME.as_secs());
    let source = TokenSource::with_transport(creds(), transport).with_clock(clock.clone());
    let t = source.token().unwrap();
    assert_eq!(t.lifetime(), Some(MAX_LIFETIME));
    assert_eq!(
        t.expires_in_at(&*clock),
        Some(MAX_LIFETIME - Duration::from_secs(10))
    );
    // The device sleeps for a year: the monotonic clock stood still.
    clock.advance(Duration::ZERO, MAX_LIFETIME);
    assert!(t.is_expired_at(&*clock));
    assert_eq!(source.token().unwrap().access_token(), "tok-2");
    assert_eq!(count.load(Ordering::SeqCst), 2);
}

#[test]
fn lifetime_across_the_2038_rollover_counts_on() {
    let clock = TestClock::wall_at(Y2038 - 100);
    let (count, transport) = numbered(3600);
    let source = TokenSource::with_transport(creds(), transport).with_clock(clock.clone());
    let t = source.token().unwrap();
    // 200 s later the wall clock is past i32::MAX: 200 s older, not -2^32.
    clock.advance(Duration::from_secs(200), Duration::from_secs(200));
    assert_eq!(
        t.expires_in_at(&*clock),
        Some(Duration::from_secs(3590 - 200))
    );
    assert_eq!(source.token().unwrap().access_token(), "tok-1");
    // Past the refresh point (3600 - 60 s): a new token.
    clock.advance(Duration::from_secs(3400), Duration::from_secs(3400));
    assert_eq!(source.token().unwrap().access_token(), "tok-2");
    assert_eq!(count.load(Ordering::SeqCst), 2);
}

#[test]
fn file_cache_keeps_times_past_2038() {
    let dir = TempDir::new("thirtytwo-cache");
    let path = dir.path().join("token");
    // Fetched a minute before the rollover, for a year: the stored refresh
    // and expiry times are past i32::MAX (and the expiry past 2^31 + 1 y).
    let clock = TestClock::wall_at(Y2038 - 60);
    let (count, transport) = numbered(MAX_LIFETIME.as_secs());
    let transport = Arc::new(transport);
    let run = |clock: &Arc<TestClock>| {
        let t = transport.clone();
        // A new source: another run of a short-lived tool.
        TokenSource::with_transport(creds(), move |r: &Request| t(r))
            .with_clock(clock.clone())
            .with_file_cache(&path)
            .token()
            .unwrap()
    };
    assert_eq!(run(&clock).access_token(), "tok-1");
    assert!(path.exists(), "the cache file was not written");

    // A day later (a new process: fresh monotonic clock), from the file.
    let later = TestClock::wall_at(Y2038 - 60 + DAY.as_secs());
    let cached: Token = run(&later);
    assert_eq!(
        cached.access_token(),
        "tok-1",
        "the cached token was not used"
    );
    let left = cached.expires_in_at(&*later).unwrap();
    let want = MAX_LIFETIME - DAY - Duration::from_secs(10);
    assert!(
        left <= want && left + Duration::from_secs(2) >= want,
        "{left:?} left, expected about {want:?}"
    );

    // Past the refresh point, and past 2^32 seconds: fetched again.
    let refresh = TestClock::wall_at(Y2038 - 60 + MAX_LIFETIME.as_secs());
    assert_eq!(run(&refresh).access_token(), "tok-2");
    let beyond = TestClock::wall_at(PAST_U32);
    assert_eq!(run(&beyond).access_token(), "tok-3");
    assert_eq!(run(&beyond).access_token(), "tok-3");
    assert_eq!(count.load(Ordering::SeqCst), 3);
}

#[test]
fn clocks_at_the_end_of_their_range_still_expire_tokens() {
    let dir = TempDir::new("thirtytwo-end");
    let (count, transport) = numbered(MAX_LIFETIME.as_secs());
    let transport = Arc::new(transport);
    let source = |clock: &Arc<TestClock>| {
        let t = transport.clone();
        TokenSource::with_transport(creds(), move |r: &Request| t(r))
            .with_clock(clock.clone())
            .with_file_cache(dir.path().join("token"))
    };

    // Wall clock 1000 s before the end of SystemTime: refresh and expiry
    // times cannot be represented (nor stored); the monotonic clock still
    // ends the token.
    let end_wall = last_second(|d| UNIX_EPOCH.checked_add(d).is_some()) - 1000;
    let clock = TestClock::wall_at(end_wall);
    let s = source(&clock);
    assert_eq!(s.token().unwrap().access_token(), "tok-1");
    assert_eq!(s.token().unwrap().access_token(), "tok-1");
    clock.advance(MAX_LIFETIME, Duration::ZERO);
    assert_eq!(s.token().unwrap().access_token(), "tok-2");

    // Monotonic clock 1000 s before the end of Instant: the wall clock
    // ends the token (a suspend of a year).
    let now = Instant::now();
    let end_mono = now + Duration::from_secs(last_second(|d| now.checked_add(d).is_some()) - 1000);
    let clock = TestClock::at(end_mono, SystemTime::now());
    let s = source(&clock);
    let t = s.token().unwrap();
    assert_eq!(s.token().unwrap().access_token(), t.access_token());
    clock.advance(Duration::ZERO, MAX_LIFETIME);
    assert!(t.is_expired_at(&*clock));
    assert_ne!(s.token().unwrap().access_token(), t.access_token());
    assert_eq!(count.load(Ordering::SeqCst), 4);
}

#[test]
fn retry_after_past_32_bits_is_not_wrapped() {
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    let transport = move |_: &Request| {
        c.fetch_add(1, Ordering::SeqCst);
        Ok(Response::new(503, "busy").with_header("Retry-After", PAST_U32.to_string()))
    };
    let clock = TestClock::wall_at(1_800_000_000);
    let source = TokenSource::with_transport(creds(), transport).with_clock(clock.clone());
    let e = source.token().unwrap_err();
    assert_eq!(e.status(), Some(503));
    assert_eq!(e.retry_after(), Some(Duration::from_secs(PAST_U32)));
    // Longer than the retry cap: give up at once, never sleep 1 s and retry.
    assert_eq!(clock.sleeps(), Vec::<Duration>::new());
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[test]
fn longest_backoff_after_a_failed_refresh_does_not_overflow() {
    // The first request gets a token, every later one a 503.
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    let transport = move |_: &Request| {
        if c.fetch_add(1, Ordering::SeqCst) == 0 {
            Ok(Response::new(
                200,
                r#"{"access_token":"tok-1","expires_in":3600}"#,
            ))
        } else {
            Ok(Response::new(503, "busy"))
        }
    };
    // A monotonic clock 10,000 s before the end of Instant, one attempt per
    // refresh, and the longest backoff (584 years): the cool-down after the
    // failed refresh must not be added to an Instant.
    let now = Instant::now();
    let end = last_second(|d| now.checked_add(d).is_some()) - 10_000;
    let clock = TestClock::at(now + Duration::from_secs(end), SystemTime::now());
    let source = TokenSource::with_transport(creds(), transport)
        .with_clock(clock.clone())
        .with_retry(cctoken::Retry::new(1, Duration::MAX, Duration::MAX));
    assert_eq!(source.token().unwrap().access_token(), "tok-1");
    // Inside the refresh margin: the refresh fails, the old token is served.
    clock.advance(Duration::from_secs(3550), Duration::from_secs(3550));
    assert_eq!(source.token().unwrap().access_token(), "tok-1");
    assert_eq!(count.load(Ordering::SeqCst), 2);
    // Cooling down: no new request while the token lasts.
    assert_eq!(source.token().unwrap().access_token(), "tok-1");
    assert_eq!(count.load(Ordering::SeqCst), 2);
    // Expired: the cool-down no longer applies; the error is returned.
    clock.advance(Duration::from_secs(100), Duration::from_secs(100));
    assert_eq!(source.token().unwrap_err().status(), Some(503));
    assert_eq!(count.load(Ordering::SeqCst), 3);
}

// --- sizes and timeouts at the ends of usize and Duration -------------------

/// A token response that declares `declared` bytes: a length that wrapped
/// to the body's real length would read it and succeed.
fn declaring(declared: u64) -> Server {
    let body = r#"{"access_token":"wrapped","expires_in":60}"#;
    let declared = declared + body.len() as u64;
    Server::always(
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {declared}\r\nConnection: close\r\n\r\n{body}"
        )
        .into_bytes(),
    )
}

fn loopback(server: &Server) -> Credentials {
    Credentials::new(&server.url("/token"), "id", "thirty-two-bit secret").unwrap()
}

/// A length past `usize` is refused before the body is read: minreq parses
/// `Content-Length` into a `usize` and refuses what does not fit as
/// malformed framing (32-bit); on 64 bits cctoken refuses it as over the
/// cap.
fn past_usize_kind() -> ErrorKind {
    if usize::BITS < 64 {
        ErrorKind::InvalidResponse
    } else {
        ErrorKind::ResponseTooLarge
    }
}

#[test]
fn content_length_past_u32_is_refused_never_wrapped() {
    // 2^32 + the body: the body's length in 32 bits.
    let server = declaring(1 << 32);
    for cap in [
        cctoken::DEFAULT_MAX_RESPONSE_BYTES,
        u32::MAX as usize,
        usize::MAX,
    ] {
        let e = loopback(&server)
            .with_max_response_bytes(cap)
            .fetch()
            .expect_err("a wrapped Content-Length was believed");
        let want = if cap == usize::MAX && usize::BITS == 64 {
            // Under the cap: read until the server closes, then refused
            // as shorter than it declared.
            ErrorKind::InvalidResponse
        } else {
            past_usize_kind()
        };
        assert_eq!(e.kind(), want, "cap {cap}: {e}");
    }
}

#[test]
fn content_length_at_the_end_of_u64_is_refused() {
    let server = declaring(u64::MAX - 100);
    let e = loopback(&server).fetch().unwrap_err();
    assert_eq!(e.kind(), past_usize_kind(), "{e}");
}

#[test]
fn largest_cap_reads_a_whole_response() {
    let server = Server::start(|_| Reply::token("tok-cap", 3600));
    for cap in [usize::MAX, usize::MAX - 1, u32::MAX as usize, 1 << 31] {
        let t = loopback(&server)
            .with_max_response_bytes(cap)
            .fetch()
            .unwrap_or_else(|e| panic!("cap {cap}: {e}"));
        assert_eq!(t.access_token(), "tok-cap", "cap {cap}");
    }
}

#[test]
fn longest_timeouts_do_not_overflow() {
    let server = Server::start(|_| Reply::token("tok-wait", 3600));
    for timeout in [
        Duration::MAX,
        Duration::from_secs(u64::MAX),
        Duration::from_secs(i64::MAX as u64),
        Duration::from_secs(PAST_U32),
        Duration::from_secs(u32::MAX as u64) + Duration::from_nanos(1),
    ] {
        let t = loopback(&server)
            .with_timeout(timeout)
            .fetch()
            .unwrap_or_else(|e| panic!("timeout {timeout:?}: {e}"));
        assert_eq!(t.access_token(), "tok-wait", "{timeout:?}");
    }
}
