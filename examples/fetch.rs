//! Fetches one token and prints it: the one-shot tool that
//! `benches/footprint/run.sh` measures against a baseline using minreq,
//! miniserde and rustls directly.
//!
//! Run: `TOKEN_URL=… CLIENT_ID=… CLIENT_SECRET=… cargo run --example fetch`
//! (the secret comes from the environment, never from the command line,
//! where other users could read it in `ps`).

use std::process::ExitCode;

fn main() -> ExitCode {
    let var = |name| std::env::var(name).ok();
    let (Some(url), Some(id), Some(secret)) =
        (var("TOKEN_URL"), var("CLIENT_ID"), var("CLIENT_SECRET"))
    else {
        eprintln!("usage: TOKEN_URL=… CLIENT_ID=… CLIENT_SECRET=… fetch");
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
