//! `TokenSource::token()` cache-hit cost: ns per call on one thread, and
//! total calls per second on 1, 2, 4 and 8 threads. Prints figures only.
//!
//! Run: `cargo bench --bench source`

use cctoken::{Clock, Credentials, Request, Response, SystemClock, TokenSource};
use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

fn source() -> TokenSource {
    let creds = Credentials::new("https://auth.example.com/token", "id", "secret").unwrap();
    let source = TokenSource::with_transport(creds, |_: &Request| {
        Ok(Response::new(
            200,
            r#"{"access_token":"abc","expires_in":86400}"#,
        ))
    });
    source.token().unwrap(); // warm: every later call is a hit
    source
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Median ns per call of `f` over 7 runs of `n` calls.
fn ns_per_call(n: u32, mut f: impl FnMut()) -> f64 {
    let runs = (0..7)
        .map(|_| {
            let start = Instant::now();
            for _ in 0..n {
                f();
            }
            start.elapsed().as_nanos() as f64 / f64::from(n)
        })
        .collect();
    median(runs)
}

/// Total calls per second with `threads` threads hammering one source.
fn throughput(source: &TokenSource, threads: usize, window: Duration) -> f64 {
    let stop = AtomicBool::new(false);
    let total: u64 = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let (source, stop) = (source.clone(), &stop);
                s.spawn(move || {
                    let mut calls = 0u64;
                    while !stop.load(Ordering::Relaxed) {
                        for _ in 0..1000 {
                            black_box(source.token().unwrap());
                        }
                        calls += 1000;
                    }
                    calls
                })
            })
            .collect();
        std::thread::sleep(window);
        stop.store(true, Ordering::Relaxed);
        workers.into_iter().map(|w| w.join().unwrap()).sum()
    });
    total as f64 / window.as_secs_f64()
}

fn main() {
    let source = source();
    let n = 2_000_000;
    for _ in 0..n / 10 {
        black_box(source.token().unwrap());
    }
    let hit = ns_per_call(n, || {
        black_box(source.token().unwrap());
    });
    let clocks = ns_per_call(n, || {
        black_box(SystemClock.now());
        black_box(SystemClock.wall());
    });
    let token = source.token().unwrap();
    let handoff = ns_per_call(n, || {
        black_box(black_box(&token).clone());
    });
    println!(
        "cores available: {}",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("token() cache hit, 1 thread: {hit:.1} ns/call");
    println!("  of which the two clock reads (Instant::now + SystemTime::now): {clocks:.1} ns");
    println!(
        "  and handing out a Token (Arc clone + drop: two atomic operations): {handoff:.1} ns"
    );
    println!();
    println!(
        "{:>8} {:>16} {:>14}",
        "threads", "calls/s total", "vs 1 thread"
    );
    let mut one = 0.0;
    for threads in [1, 2, 4, 8] {
        let runs = (0..3)
            .map(|_| throughput(&source, threads, Duration::from_millis(400)))
            .collect();
        let rate = median(runs);
        if threads == 1 {
            one = rate;
        }
        println!("{threads:>8} {rate:>16.0} {:>13.2}x", rate / one);
    }
}
