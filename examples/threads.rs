//! One `TokenSource` shared by worker threads, with the invalidate-on-401
//! pattern. Runs offline: the "token endpoint" and the "API" are closures.
//!
//! Run: `cargo run --example threads`

use cctoken::{Credentials, Request, Response, Token, TokenSource};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Stands in for an API call: answers 401 to the first token it sees (as if
/// the server had revoked it), 200 afterwards.
fn call_api(token: &Token, refused_first: &AtomicUsize) -> u16 {
    let _header = token.authorization_header(); // would go on the request
    if token.access_token() == "token-1" && refused_first.fetch_add(1, Ordering::SeqCst) == 0 {
        401
    } else {
        200
    }
}

fn main() -> Result<(), cctoken::Error> {
    let fetches = Arc::new(AtomicUsize::new(0));
    let counter = fetches.clone();
    let creds = Credentials::new(
        "https://auth.example.com/oauth/token",
        "my-client",
        "my-secret",
    )?;
    let source = TokenSource::with_transport(creds, move |_: &Request| {
        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
        let body =
            format!(r#"{{"access_token":"token-{n}","token_type":"Bearer","expires_in":3600}}"#);
        Ok(Response::new(200, body))
    });
    let refused_first = Arc::new(AtomicUsize::new(0));

    let workers: Vec<_> = (0..4)
        .map(|worker| {
            // Clones share one cache: cheap, one Arc.
            let (source, refused_first) = (source.clone(), refused_first.clone());
            std::thread::spawn(move || -> Result<(), cctoken::Error> {
                for _ in 0..100 {
                    let token = source.token()?;
                    if call_api(&token, &refused_first) == 401 {
                        // The API refused this token: drop it from the cache
                        // (only if it is still the cached one) and retry once.
                        source.invalidate(&token);
                        let token = source.token()?;
                        assert_eq!(call_api(&token, &refused_first), 200);
                        println!("worker {worker}: token refused, refreshed once");
                    }
                }
                Ok(())
            })
        })
        .collect();
    for w in workers {
        w.join().expect("worker panicked")?;
    }
    println!(
        "400 API calls from 4 threads, {} token requests",
        fetches.load(Ordering::SeqCst)
    );
    Ok(())
}
