//! TokenSource over a real loopback server, with a fake clock.

mod common;

use cctoken::{Credentials, ErrorKind, Retry, Token, TokenSource};
use common::{FakeClock, Reply, Server};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

const HOUR: Duration = Duration::from_secs(3600);

/// A server whose n-th request (from 1) gets token `tok-n` living `life` s.
fn numbered(life: u64) -> Server {
    let n = AtomicUsize::new(0);
    Server::start(move |_| {
        let i = n.fetch_add(1, Ordering::SeqCst) + 1;
        Reply::token(&format!("tok-{i}"), life)
    })
}

fn source(server: &Server, clock: &Arc<FakeClock>) -> TokenSource {
    let creds = Credentials::new(&server.url("/token"), "id", "secret").unwrap();
    TokenSource::new(creds).with_clock(clock.clone())
}

/// Calls `token()` and checks the token is not expired by `clock` now.
fn fresh(source: &TokenSource, clock: &FakeClock) -> Token {
    let t = source.token().expect("token");
    assert!(!t.is_expired_at(clock), "handed out an expired token");
    t
}

#[test]
fn cold_source_32_threads_one_request_then_one_per_refresh() {
    let server = numbered(3600);
    let clock = FakeClock::new();
    let source = source(&server, &clock);
    let run_round = |calls: usize| {
        std::thread::scope(|s| {
            for _ in 0..32 {
                s.spawn(|| {
                    for _ in 0..calls {
                        fresh(&source, &clock);
                    }
                });
            }
        });
    };
    run_round(1000);
    assert_eq!(server.count(), 1);
    // Past the refresh point (3600 - 60 s margin), before expiry: ten times.
    for round in 1..=10 {
        clock.advance(Duration::from_secs(3550));
        run_round(50);
        assert_eq!(server.count(), 1 + round, "round {round}");
    }
    assert_eq!(source.token().unwrap().access_token(), "tok-11");
}

#[test]
fn inside_margin_others_are_served_while_the_refresh_is_held() {
    let others_done = Arc::new(AtomicBool::new(false));
    let n = AtomicUsize::new(0);
    let server = {
        let others_done = others_done.clone();
        Server::start(move |_| {
            let i = n.fetch_add(1, Ordering::SeqCst) + 1;
            if i == 1 {
                return Reply::token("old", 3600);
            }
            // Held until every other caller has returned.
            Reply::token("new", 3600).when(others_done.clone())
        })
    };
    let clock = FakeClock::new();
    let source = source(&server, &clock);
    assert_eq!(source.token().unwrap().access_token(), "old");
    clock.advance(Duration::from_secs(3550)); // inside the 60 s margin

    std::thread::scope(|s| {
        let refresher = s.spawn(|| source.token().unwrap());
        // Wait until the refresh request has reached the server.
        while server.count() < 2 {
            std::thread::yield_now();
        }
        let others: Vec<_> = (0..16)
            .map(|_| s.spawn(|| fresh(&source, &clock)))
            .collect();
        for o in others {
            assert_eq!(o.join().unwrap().access_token(), "old");
        }
        others_done.store(true, Ordering::SeqCst);
        assert_eq!(refresher.join().unwrap().access_token(), "new");
    });
    assert_eq!(source.token().unwrap().access_token(), "new");
    assert_eq!(server.count(), 2);
}

/// A server that answers the first request with a token and holds every
/// later one for `hold` before answering with `later`.
fn held_server(hold: Duration, later: fn(usize) -> Reply) -> Server {
    let n = AtomicUsize::new(0);
    Server::start(move |_| {
        let i = n.fetch_add(1, Ordering::SeqCst) + 1;
        if i == 1 {
            return Reply::token("first", 3600);
        }
        later(i).after(hold)
    })
}

#[test]
fn after_expiry_callers_share_the_single_refresh() {
    let server = held_server(Duration::from_millis(300), |i| {
        Reply::token(&format!("tok-{i}"), 3600)
    });
    let clock = FakeClock::new();
    let source = source(&server, &clock);
    source.token().unwrap();
    clock.advance(HOUR); // expired
    let barrier = Barrier::new(8);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    fresh(&source, &clock)
                })
            })
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap().access_token(), "tok-2");
        }
    });
    assert_eq!(server.count(), 2);
}

#[test]
fn after_expiry_a_failed_refresh_fails_every_waiter_and_is_not_cached() {
    let failing = Arc::new(AtomicBool::new(true));
    let n = AtomicUsize::new(0);
    let server = {
        let failing = failing.clone();
        Server::start(move |_| {
            let i = n.fetch_add(1, Ordering::SeqCst) + 1;
            if i == 1 {
                return Reply::token("first", 3600);
            }
            let reply = if failing.load(Ordering::SeqCst) {
                Reply::json(400, r#"{"error":"invalid_client"}"#)
            } else {
                Reply::token(&format!("tok-{i}"), 3600)
            };
            reply.after(Duration::from_millis(300))
        })
    };
    let clock = FakeClock::new();
    let source = source(&server, &clock);
    source.token().unwrap();
    clock.advance(HOUR);
    let barrier = Barrier::new(8);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                s.spawn(|| {
                    barrier.wait();
                    source.token()
                })
            })
            .collect();
        for h in handles {
            let e = h.join().unwrap().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::OAuth);
            assert_eq!(e.oauth_error(), Some("invalid_client"));
        }
    });
    assert_eq!(server.count(), 2, "one refresh for all the waiters");
    // Nothing cached: the next call tries again.
    failing.store(false, Ordering::SeqCst);
    assert_eq!(source.token().unwrap().access_token(), "tok-3");
    assert_eq!(server.count(), 3);
}

#[test]
fn endpoint_down_inside_margin_serves_old_token_then_fails_after_expiry() {
    let down = Arc::new(AtomicBool::new(false));
    let server = {
        let down = down.clone();
        Server::start(move |_| {
            if down.load(Ordering::SeqCst) {
                Reply::Close
            } else {
                Reply::token("old", 3600)
            }
        })
    };
    let clock = FakeClock::new();
    let source = source(&server, &clock).with_retry(Retry::none());
    source.token().unwrap();
    down.store(true, Ordering::SeqCst);
    clock.advance(Duration::from_secs(3550));
    for _ in 0..5 {
        assert_eq!(fresh(&source, &clock).access_token(), "old");
        clock.advance(Duration::from_secs(5));
    }
    assert!(server.count() >= 2, "a refresh was attempted");
    clock.advance(Duration::from_secs(60)); // now past expiry
    let e = source.token().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Connect, "{e}");
}

/// Review finding: a failed refresh inside the margin waited only its own
/// backoff before the next attempt, not the server's `Retry-After`.
#[test]
fn inside_margin_the_next_refresh_waits_for_retry_after() {
    let down = Arc::new(AtomicBool::new(false));
    let server = {
        let down = down.clone();
        Server::start(move |_| {
            if down.load(Ordering::SeqCst) {
                Reply::http(503, "text/plain", &[("Retry-After", "30")], b"busy")
            } else {
                Reply::token("old", 3600)
            }
        })
    };
    let clock = FakeClock::new();
    let source = source(&server, &clock).with_retry(Retry::none());
    source.token().unwrap();
    down.store(true, Ordering::SeqCst);
    clock.advance(Duration::from_secs(3550));
    assert_eq!(fresh(&source, &clock).access_token(), "old");
    assert_eq!(server.count(), 2, "one refresh attempted");
    for _ in 0..2 {
        clock.advance(Duration::from_secs(10));
        assert_eq!(fresh(&source, &clock).access_token(), "old");
    }
    assert_eq!(server.count(), 2, "none during the server's 30 s");
    clock.advance(Duration::from_secs(11));
    assert_eq!(fresh(&source, &clock).access_token(), "old");
    assert_eq!(server.count(), 3, "the next refresh after them");
}

#[test]
fn retry_after_429_is_honoured() {
    let n = AtomicUsize::new(0);
    let server = Server::start(move |_| {
        if n.fetch_add(1, Ordering::SeqCst) == 0 {
            Reply::http(429, "text/plain", &[("Retry-After", "2")], b"slow down")
        } else {
            Reply::token("ok", 3600)
        }
    });
    let clock = FakeClock::new();
    let source = source(&server, &clock);
    assert_eq!(source.token().unwrap().access_token(), "ok");
    assert_eq!(server.count(), 2);
    assert_eq!(clock.sleeps(), [Duration::from_secs(2)]);
}

#[test]
fn retry_503_with_backoff() {
    let n = AtomicUsize::new(0);
    let server = Server::start(move |_| {
        if n.fetch_add(1, Ordering::SeqCst) == 0 {
            Reply::http(503, "text/html", &[], b"<html>down</html>")
        } else {
            Reply::token("ok", 3600)
        }
    });
    let clock = FakeClock::new();
    let retry = Retry::new(3, Duration::from_millis(400), Duration::from_secs(10));
    let source = source(&server, &clock).with_retry(retry);
    assert_eq!(source.token().unwrap().access_token(), "ok");
    assert_eq!(server.count(), 2);
    let sleeps = clock.sleeps();
    assert_eq!(sleeps.len(), 1);
    assert!(
        sleeps[0] >= Duration::from_millis(200) && sleeps[0] <= Duration::from_millis(400),
        "{sleeps:?}"
    );
}

#[test]
fn invalid_client_is_not_retried() {
    let server = Server::start(|_| {
        Reply::json(
            401,
            r#"{"error":"invalid_client","error_description":"bad"}"#,
        )
    });
    let clock = FakeClock::new();
    let source = source(&server, &clock);
    let e = source.token().unwrap_err();
    assert_eq!(server.count(), 1);
    assert_eq!(e.kind(), ErrorKind::OAuth);
    assert_eq!(e.status(), Some(401));
    assert_eq!(e.oauth_error(), Some("invalid_client"));
    assert!(clock.sleeps().is_empty());
}

#[test]
fn retry_after_longer_than_the_cap_gives_up_at_once() {
    let server =
        Server::start(|_| Reply::http(429, "text/plain", &[("Retry-After", "3600")], b"no"));
    let clock = FakeClock::new();
    let e = source(&server, &clock).token().unwrap_err();
    assert_eq!(server.count(), 1);
    assert_eq!(e.retry_after(), Some(HOUR));
}

#[test]
fn transient_failures_stop_after_the_attempts() {
    let server = Server::start(|_| Reply::http(502, "text/html", &[], b"bad gateway"));
    let clock = FakeClock::new();
    let source = source(&server, &clock).with_retry(Retry::new(
        4,
        Duration::from_millis(100),
        Duration::from_millis(250),
    ));
    let e = source.token().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Http);
    assert_eq!(server.count(), 4);
    let sleeps = clock.sleeps();
    assert_eq!(sleeps.len(), 3);
    assert!(
        sleeps.iter().all(|d| *d <= Duration::from_millis(250)),
        "{sleeps:?}"
    );
    assert!(
        sleeps[2] >= Duration::from_millis(125),
        "capped, then jittered: {sleeps:?}"
    );
}

#[test]
fn invalidate_fetches_again_but_only_for_the_current_token() {
    let server = numbered(3600);
    let clock = FakeClock::new();
    let source = source(&server, &clock);
    let t1 = source.token().unwrap();
    source.invalidate(&t1);
    let t2 = source.token().unwrap();
    assert_eq!(t2.access_token(), "tok-2");
    assert_eq!(server.count(), 2);
    // t1 was already replaced: nothing happens.
    source.invalidate(&t1);
    assert_eq!(source.token().unwrap().access_token(), "tok-2");
    assert_eq!(server.count(), 2);
    // Many threads reporting the same dead token: one fetch.
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                source.invalidate(&t2);
                fresh(&source, &clock);
            });
        }
    });
    assert_eq!(server.count(), 3);
}

#[test]
fn zero_lifetime_is_returned_once_and_never_cached() {
    let server = numbered(0);
    let clock = FakeClock::new();
    let source = source(&server, &clock);
    assert_eq!(source.token().unwrap().access_token(), "tok-1");
    assert_eq!(source.token().unwrap().access_token(), "tok-2");
    assert_eq!(server.count(), 2);
}

#[test]
fn missing_expires_in_uses_the_default_lifetime() {
    let n = AtomicUsize::new(0);
    let server = Server::start(move |_| {
        let i = n.fetch_add(1, Ordering::SeqCst) + 1;
        Reply::json(200, &format!(r#"{{"access_token":"tok-{i}"}}"#))
    });
    let clock = FakeClock::new();
    let source = source(&server, &clock).with_default_lifetime(Duration::from_secs(600));
    source.token().unwrap();
    clock.advance(Duration::from_secs(539)); // refresh point: 600 - 60
    assert_eq!(source.token().unwrap().access_token(), "tok-1");
    assert_eq!(server.count(), 1);
    clock.advance(Duration::from_secs(2));
    assert_eq!(source.token().unwrap().access_token(), "tok-2");
    assert_eq!(server.count(), 2);
}

#[test]
fn margin_is_at_most_half_the_lifetime() {
    let server = numbered(100);
    let clock = FakeClock::new();
    let source = source(&server, &clock).with_refresh_margin(Duration::from_secs(90));
    source.token().unwrap();
    clock.advance(Duration::from_secs(49)); // margin capped at 50 s
    assert_eq!(source.token().unwrap().access_token(), "tok-1");
    clock.advance(Duration::from_secs(2));
    assert_eq!(source.token().unwrap().access_token(), "tok-2");
}

#[test]
fn suspend_wall_clock_past_expiry_refetches() {
    let server = numbered(3600);
    let clock = FakeClock::new();
    let source = source(&server, &clock);
    assert_eq!(source.token().unwrap().access_token(), "tok-1");
    // The monotonic clock stood still while the device slept for 2 hours.
    clock.advance_wall(2 * HOUR);
    assert_eq!(fresh(&source, &clock).access_token(), "tok-2");
    assert_eq!(server.count(), 2);
}

#[test]
fn a_panicking_transport_does_not_strand_waiters() {
    let creds = Credentials::new("https://a.example/t", "id", "secret").unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    let source = TokenSource::with_transport(creds, move |_: &cctoken::Request| {
        if c.fetch_add(1, Ordering::SeqCst) == 0 {
            panic!("transport bug");
        }
        Ok(cctoken::Response::new(
            200,
            r#"{"access_token":"ok","expires_in":60}"#,
        ))
    });
    let s2 = source.clone();
    assert!(std::thread::spawn(move || s2.token()).join().is_err());
    assert_eq!(source.token().unwrap().access_token(), "ok");
}

#[test]
fn clones_share_one_cache() {
    let server = numbered(3600);
    let clock = FakeClock::new();
    let a = source(&server, &clock);
    let b = a.clone();
    a.token().unwrap();
    b.token().unwrap();
    assert_eq!(server.count(), 1);
}
