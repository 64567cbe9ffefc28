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

/// What makes a client assertion for one token request at `now`, from
/// the client's proof, id and the audience. Credentials hold the one their
/// method needs ([`with_key`], [`with_secret`] or [`from_file`]), so that a
/// program carries the code of the methods it uses only.
///
/// # Errors
///
/// [`ErrorKind::Config`] when signing fails or the secret is too short for
/// HS256; [`ErrorKind::Credentials`] for an unusable or expired assertion
/// file.
pub(crate) type MakeAssertion = fn(&ClientKey, &str, &str, SystemTime) -> Result<String>;

/// `private_key_jwt` with a key: a fresh assertion signed with it.
pub(crate) fn with_key(
    key: &ClientKey,
    id: &str,
    audience: &str,
    now: SystemTime,
) -> Result<String> {
    let ClientKey::Key(k) = key else {
        return Err(Error::config("private_key_jwt needs a private key"));
    };
    jws::client_assertion(
        k,
        id,
        audience,
        jws::unix_time(now)?,
        MAX_ASSERTION_LIFETIME,
    )
}

/// `client_secret_jwt`: a fresh assertion signed HS256 with the secret.
pub(crate) fn with_secret(
    key: &ClientKey,
    id: &str,
    audience: &str,
    now: SystemTime,
) -> Result<String> {
    let secret = key.secret().unwrap_or("").as_bytes();
    jws::client_secret_assertion(
        secret,
        id,
        audience,
        jws::unix_time(now)?,
        MAX_ASSERTION_LIFETIME,
    )
}

/// `private_key_jwt` with an assertion file: its current content.
pub(crate) fn from_file(key: &ClientKey, _: &str, _: &str, now: SystemTime) -> Result<String> {
    let ClientKey::AssertionFile(path) = key else {
        return Err(Error::config("no client assertion file"));
    };
    read_assertion(path, jws::unix_time(now)?)
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
    let mut assertion = text.trim().to_owned();
    zero_string(&mut text);
    let detail = match jws::jwt_exp(&assertion) {
        Ok(exp) if exp > now => return Ok(assertion),
        Ok(exp) => format!(
            "the client assertion expired {} s ago (its `exp`); whatever writes this file has \
             stopped renewing it",
            now - exp
        ),
        Err(e) => e.detail().to_owned(),
    };
    // Refused: the assertion read is zeroed before it is dropped.
    zero_string(&mut assertion);
    Err(Error::new(
        ErrorKind::Credentials,
        format!("{shown}: {detail}"),
    ))
}
