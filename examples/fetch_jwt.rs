//! Fetches one token with `private_key_jwt` (RFC 7523) and prints it: the
//! one-shot fetch of `examples/fetch.rs`, signing a client assertion with a
//! private key instead of sending a secret. `benches/footprint/run.sh`
//! measures what the signing adds.
//!
//! ```sh
//! openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out key.pem
//! chmod 600 key.pem
//! TOKEN_URL=https://as.example.com/token CLIENT_ID=my-client KEY_FILE=key.pem \
//!     cargo run --example fetch_jwt
//! ```

use std::process::ExitCode;

fn main() -> ExitCode {
    let var = |name| std::env::var(name).ok();
    let (Some(url), Some(id), Some(file)) = (var("TOKEN_URL"), var("CLIENT_ID"), var("KEY_FILE"))
    else {
        eprintln!("usage: TOKEN_URL=… CLIENT_ID=… KEY_FILE=… fetch_jwt");
        return ExitCode::from(2);
    };
    let fetched = cctoken::PrivateKey::from_pem_file(&file)
        .and_then(|key| cctoken::Credentials::with_private_key(&url, &id, key))
        .and_then(|c| c.fetch());
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
