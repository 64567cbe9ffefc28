//! Fetches one DPoP-bound token (RFC 9449) with a client secret and prints
//! it: the one-shot fetch of `examples/fetch.rs` with a DPoP proof on the
//! token request. `benches/footprint/run.sh` measures what DPoP adds.
//!
//! ```sh
//! openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out dpop.pem
//! chmod 600 dpop.pem
//! TOKEN_URL=https://as.example.com/token CLIENT_ID=my-client CLIENT_SECRET=… \
//!     DPOP_KEY_FILE=dpop.pem cargo run --example fetch_dpop
//! ```

use std::process::ExitCode;

fn main() -> ExitCode {
    let var = |name| std::env::var(name).ok();
    let (Some(url), Some(id), Some(secret), Some(file)) = (
        var("TOKEN_URL"),
        var("CLIENT_ID"),
        var("CLIENT_SECRET"),
        var("DPOP_KEY_FILE"),
    ) else {
        eprintln!("usage: TOKEN_URL=… CLIENT_ID=… CLIENT_SECRET=… DPOP_KEY_FILE=… fetch_dpop");
        return ExitCode::from(2);
    };
    let fetched = cctoken::PrivateKey::from_pem_file(&file).and_then(|key| {
        cctoken::Credentials::new(&url, &id, &secret)?
            .with_dpop(key)
            .fetch()
    });
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
