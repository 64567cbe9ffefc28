//! Loads a private key and prints a `private_key_jwt` client assertion
//! (RFC 7523): the signing half of key-based client authentication, alone,
//! for measuring what it adds to a binary (`examples/fetch.rs` is the
//! baseline).
//!
//! Run:
//!
//! ```sh
//! openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out key.pem
//! chmod 600 key.pem
//! KEY_FILE=key.pem CLIENT_ID=my-client TOKEN_URL=https://as.example.com/token \
//!     cargo run --features fuzzing --example sign
//! ```
//!
//! Until `Credentials` takes a key (issue 12), the assertion builder is
//! reached through the hidden `fuzzing` module, which is not part of the
//! API.

use std::process::ExitCode;

fn main() -> ExitCode {
    let var = |name| std::env::var(name).ok();
    let (Some(file), Some(id), Some(url)) = (var("KEY_FILE"), var("CLIENT_ID"), var("TOKEN_URL"))
    else {
        eprintln!("usage: KEY_FILE=… CLIENT_ID=… TOKEN_URL=… sign");
        return ExitCode::from(2);
    };
    let signed = cctoken::PrivateKey::from_pem_file(&file).and_then(|key| {
        let now = cctoken::fuzzing::unix_now()?;
        cctoken::fuzzing::client_assertion(&key, &id, &url, now)
    });
    match signed {
        Ok(assertion) => {
            println!("{assertion}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
