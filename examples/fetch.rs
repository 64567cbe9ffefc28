//! Fetches one token and prints it: the one-shot tool that
//! `benches/footprint/run.sh` measures against a baseline using minreq,
//! miniserde and rustls directly.
//!
//! Run: `cargo run --example fetch -- TOKEN_URL CLIENT_ID CLIENT_SECRET`
//! (or TOKEN_URL, CLIENT_ID and CLIENT_SECRET in the environment).

use std::process::ExitCode;

fn arg(args: &[String], i: usize, env: &str) -> Option<String> {
    args.get(i).cloned().or_else(|| std::env::var(env).ok())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(url), Some(id), Some(secret)) = (
        arg(&args, 1, "TOKEN_URL"),
        arg(&args, 2, "CLIENT_ID"),
        arg(&args, 3, "CLIENT_SECRET"),
    ) else {
        eprintln!("usage: fetch TOKEN_URL CLIENT_ID CLIENT_SECRET (or TOKEN_URL, CLIENT_ID, CLIENT_SECRET in the environment)");
        return ExitCode::from(2);
    };
    let fetched = cctoken::Credentials::new(&url, &id, &secret).and_then(|c| c.fetch());
    match fetched {
        Ok(token) => {
            println!("{}", token.access_token());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
