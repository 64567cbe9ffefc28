#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![warn(missing_debug_implementations, rust_2018_idioms)]

mod cache;
#[cfg(feature = "cli")]
#[doc(hidden)]
pub mod cli;
mod client_auth;
mod credentials;
mod crypto;
mod der;
mod discovery;
mod dpop;
mod encode;
mod error;
mod files;
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
#[allow(dead_code, reason = "as for `crypto`")]
mod jws;
mod key;
mod load;
mod parse;
mod redact;
mod secret;
mod sha256;
mod source;
#[cfg(test)]
mod test_dirs;
#[cfg(test)]
mod test_keys;
mod token;
mod transport;

pub use credentials::{
    ClientAuth, Credentials, Encoding, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT, USER_AGENT,
};
pub use discovery::{Discovery, ServerMetadata};
pub use error::{Error, ErrorKind, Result};
pub use key::PrivateKey;
pub use source::{Retry, TokenSource, DEFAULT_LIFETIME, DEFAULT_REFRESH_MARGIN};
pub use token::{Clock, SystemClock, Token, MAX_LIFETIME};
pub use transport::{trust_roots, HttpTransport, Request, Response, Transport, TrustRoots};
