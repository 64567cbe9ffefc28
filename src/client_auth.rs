//! What a client proves itself with — a secret, a private key, or a client
//! assertion some other system writes to a file — and the RFC 7523 client
//! assertion each request carries for the JWT methods.

use crate::error::{Error, ErrorKind, Result};
use crate::files::{self, Sharing};
use crate::jws::{self, MAX_ASSERTION_LIFETIME};
use crate::key::PrivateKey;
use crate::secret::{zero_string, Secret};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// `client_assertion_type` of both JWT methods (RFC 7523 §2.2).
pub(crate) const ASSERTION_TYPE: &str = jws::ASSERTION_TYPE;

/// A client's proof of identity.
#[derive(Clone)]
pub(crate) enum ClientKey {
    /// A client secret: sent (body or Basic) or signing (`client_secret_jwt`).
    Secret(Secret),
    /// A private key signing a fresh assertion per request (`private_key_jwt`).
    Key(PrivateKey),
    /// A file holding an assertion made and rotated elsewhere (workload
    /// identity), read for every request.
    AssertionFile(PathBuf),
}

impl ClientKey {
    /// The secret, when this is one.
    pub(crate) fn secret(&self) -> Option<&str> {
        match self {
            ClientKey::Secret(s) => Some(s.expose()),
            _ => None,
        }
    }

    /// What identifies this proof for the file cache: the secret itself
    /// (hashed there with a salt, never stored), the key's thumbprint,
    /// algorithm and key id, or the assertion file's path.
    pub(crate) fn identity(&self) -> String {
        match self {
            ClientKey::Secret(s) => format!("secret:{}", s.expose()),
            ClientKey::Key(k) => format!(
                "key:{}:{}:{}",
                k.thumbprint(),
                k.algorithm(),
                k.key_id().unwrap_or("")
            ),
            ClientKey::AssertionFile(p) => format!("assertion-file:{}", p.display()),
        }
    }
}

impl fmt::Debug for ClientKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientKey::Secret(s) => f.debug_tuple("Secret").field(s).finish(),
            ClientKey::Key(k) => f.debug_tuple("Key").field(k).finish(),
            ClientKey::AssertionFile(p) => f.debug_tuple("AssertionFile").field(p).finish(),
        }
    }
}

/// The client assertion for one token request at `now`: signed here with
/// the key (`private_key_jwt`) or the secret (`client_secret_jwt`), or read
/// from the assertion file.
///
/// # Errors
///
/// [`ErrorKind::Config`] when signing fails or the secret is too short for
/// HS256; [`ErrorKind::Credentials`] for an unusable or expired assertion
/// file.
pub(crate) fn assertion(
    key: &ClientKey,
    client_id: &str,
    audience: &str,
    now: SystemTime,
) -> Result<String> {
    let iat = jws::unix_time(now)?;
    match key {
        ClientKey::Key(k) => {
            jws::client_assertion(k, client_id, audience, iat, MAX_ASSERTION_LIFETIME)
        }
        ClientKey::Secret(s) => jws::client_secret_assertion(
            s.expose().as_bytes(),
            client_id,
            audience,
            iat,
            MAX_ASSERTION_LIFETIME,
        ),
        ClientKey::AssertionFile(path) => read_assertion(path, iat),
    }
}

/// The assertion in `path`, which another system writes and rotates (a
/// Kubernetes projected service-account token, a CI system's OIDC token).
///
/// The file rules apply (see [`crate::files`]) with one exception, for how
/// Kubernetes mounts such tokens: a file owned by root that nobody else can
/// write may be readable by group and others (mode 644). Surrounding
/// whitespace is not part of the assertion. An assertion whose `exp` (read
/// without verifying: the server verifies) has passed is refused here,
/// naming the file, instead of being sent to fail as `invalid_client`.
fn read_assertion(path: &Path, now: u64) -> Result<String> {
    let shown = path.display();
    let mut text = files::read_secret_file(path, Sharing::RootReadOnly)?;
    let assertion = text.trim().to_owned();
    zero_string(&mut text);
    let exp = jws::jwt_exp(&assertion)
        .map_err(|e| Error::new(ErrorKind::Credentials, format!("{shown}: {}", e.detail())))?;
    if exp <= now {
        return Err(Error::new(
            ErrorKind::Credentials,
            format!(
                "{shown}: the client assertion expired {} s ago (its `exp`); whatever writes \
                 this file has stopped renewing it",
                now - exp
            ),
        ));
    }
    Ok(assertion)
}
