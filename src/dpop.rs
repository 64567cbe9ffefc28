//! DPoP for token requests (RFC 9449): the key, the proof every token
//! request carries, and the latest nonce the token endpoint asked for.
//! Proofs for API requests are made by [`Token::dpop_proof`](crate::Token::dpop_proof).

use crate::credentials::Credentials;
use crate::error::{Error, Result};
use crate::jws;
use crate::key::PrivateKey;
use crate::token::{Clock, Token};
use crate::transport::Transport;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// What makes the proof of a token request: [`token_request_proof`], held
/// by the credentials that use DPoP only, so that a program without DPoP
/// does not carry the code.
type MakeProof = fn(&PrivateKey, &str, SystemTime, Option<&str>) -> Result<String>;

/// What runs a token request with DPoP: [`fetch_with_nonce`].
type Fetch = fn(&Dpop, &Credentials, &dyn Transport, &dyn Clock) -> Result<Token>;

/// DPoP state of a [`Credentials`](crate::Credentials): shared by its
/// clones (and so by a `TokenSource`), for the nonce.
#[derive(Clone)]
pub(crate) struct Dpop {
    pub(crate) key: PrivateKey,
    /// The latest `DPoP-Nonce` the token endpoint sent (RFC 9449 §8).
    nonce: Arc<Mutex<Option<String>>>,
    proof: MakeProof,
    fetch: Fetch,
}

impl Dpop {
    pub(crate) fn new(key: PrivateKey) -> Dpop {
        Dpop {
            key,
            nonce: Arc::new(Mutex::new(None)),
            proof: token_request_proof,
            fetch: fetch_with_nonce,
        }
    }

    /// A token request with DPoP (see [`fetch_with_nonce`]).
    pub(crate) fn fetch(
        &self,
        creds: &Credentials,
        transport: &dyn Transport,
        clock: &dyn Clock,
    ) -> Result<Token> {
        (self.fetch)(self, creds, transport, clock)
    }

    /// The proof for a token request to `token_url` at `now`, with the
    /// latest nonce.
    pub(crate) fn proof(&self, token_url: &str, now: SystemTime) -> Result<String> {
        let nonce = self.nonce.lock().unwrap_or_else(|p| p.into_inner()).clone();
        (self.proof)(&self.key, token_url, now, nonce.as_deref())
    }

    /// Keeps `nonce` (a `DPoP-Nonce` header) for the next proof; `false`
    /// when it is not a usable nonce (RFC 9449 §8: `1*NQCHAR`).
    pub(crate) fn remember(&self, nonce: &str) -> bool {
        let nonce = nonce.trim();
        let usable = !nonce.is_empty()
            && nonce.len() <= 1024
            && nonce
                .bytes()
                .all(|b| matches!(b, 0x21 | 0x23..=0x5b | 0x5d..=0x7e));
        if usable {
            *self.nonce.lock().unwrap_or_else(|p| p.into_inner()) = Some(nonce.to_owned());
        }
        usable
    }
}

/// A token request with DPoP: sent again once when the server answers
/// 400 `use_dpop_nonce` with a `DPoP-Nonce` (RFC 9449 §8: the protocol,
/// not a fallback; a second refusal stands, so this never loops), keeping
/// the latest nonce for the next request; a Bearer answer is refused (the
/// server ignored the proof, RFC 9449 §5).
fn fetch_with_nonce(
    dpop: &Dpop,
    creds: &Credentials,
    transport: &dyn Transport,
    clock: &dyn Clock,
) -> Result<Token> {
    let mut retried = false;
    loop {
        let (result, nonce) = creds.exchange(transport, clock);
        let fresh = nonce.is_some_and(|n| dpop.remember(&n));
        match result {
            Err(e)
                if fresh
                    && !retried
                    && e.status() == Some(400)
                    && e.oauth_error() == Some("use_dpop_nonce") =>
            {
                retried = true;
            }
            Ok(token) if token.token_type() != "DPoP" => {
                return Err(Error::invalid(
                    "a Bearer token for a DPoP request: the server ignored the DPoP proof",
                ))
            }
            result => return result,
        }
    }
}

/// A token request's proof: `htm` POST, `htu` the token URL, no `ath`.
fn token_request_proof(
    key: &PrivateKey,
    token_url: &str,
    now: SystemTime,
    nonce: Option<&str>,
) -> Result<String> {
    jws::dpop_proof(key, "POST", token_url, jws::unix_time(now)?, nonce, None)
}
