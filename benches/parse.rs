//! ns per parse of each fixture: cctoken's parser and, in the same run,
//! `serde_json` into an equivalent struct, with the ratio. Prints figures
//! only.
//!
//! Run: `cargo bench --features fuzzing --bench parse`
//!
//! cctoken's parser is called directly (`cctoken::fuzzing::parse_response`,
//! the entry point the fuzz targets use): status, headers and body in, a
//! `Token` or an `Error` out, as a transport's response reaches it.

use cctoken::fuzzing::parse_response;
use serde::Deserialize;
use std::collections::HashMap;
use std::hint::black_box;
use std::time::Instant;

/// What a serde user would write to read the same responses.
#[derive(Deserialize)]
#[allow(dead_code)] // fields are read by serde only
struct SerdeToken {
    access_token: Option<String>,
    token_type: Option<String>,
    expires_in: Option<serde_json::Value>,
    scope: Option<serde_json::Value>,
    error: Option<String>,
    error_description: Option<String>,
    #[serde(flatten)]
    extra: HashMap<String, serde_json::Value>,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Median ns per call of `f` over 7 runs, each about 60 ms long.
fn ns_per_call(mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    let mut n = 0u32;
    while start.elapsed().as_millis() < 20 {
        f();
        n += 1;
    }
    let iters = (n * 3).max(10);
    median(
        (0..7)
            .map(|_| {
                let t = Instant::now();
                for _ in 0..iters {
                    f();
                }
                t.elapsed().as_nanos() as f64 / f64::from(iters)
            })
            .collect(),
    )
}

fn main() {
    println!(
        "{:<36} {:>7} {:>12} {:>13} {:>7}",
        "fixture", "bytes", "cctoken ns", "serde_json ns", "ratio"
    );
    let fixtures = include_str!("../tests/fixtures/responses.jsonl");
    for (i, line) in fixtures.lines().enumerate() {
        let case: serde_json::Value = serde_json::from_str(line).unwrap();
        let mut body = case["body"].as_str().unwrap().as_bytes().to_vec();
        if case["body_escapes"].as_bool() == Some(true) {
            let text = String::from_utf8(body).unwrap();
            body = text.replace("\\xff", "\u{ff}").into_bytes();
        }
        let status = case["status"].as_u64().unwrap() as u16;
        let name = format!(
            "{:02} {} {} {}",
            i + 1,
            case["vendor"].as_str().unwrap(),
            status,
            case["expect"].as_str().unwrap()
        );
        let content_type = case["content_type"].as_str().unwrap();
        let headers = [("Content-Type", content_type)];
        let ours = ns_per_call(|| {
            let r = parse_response(status, &headers, black_box(&body), 64 * 1024);
            let _ = black_box(r);
        });
        let serde = ns_per_call(|| {
            let r = serde_json::from_slice::<SerdeToken>(black_box(&body));
            let _ = black_box(r);
        });
        println!(
            "{name:<36} {:>7} {ours:>12.0} {serde:>12.0} {:>7.2}",
            body.len(),
            ours / serde
        );
    }
}
