//! A token cache file shared by the processes of small tools (see
//! [`TokenSource::with_file_cache`](crate::TokenSource::with_file_cache)).
//!
//! The file holds one token, its refresh and expiry times in wall-clock
//! seconds since the Unix epoch (a monotonic reading means nothing in
//! another process), and a fingerprint of what it was fetched for: token
//! URL, client id, client authentication, scope, extra parameters *and the
//! secret*. The fingerprint is HMAC-SHA256 keyed with a random 128-bit salt
//! stored beside it, so the secret cannot be recovered from the file faster
//! than by guessing it, and a rotated or wrong secret misses the cache.
//!
//! Every open goes through [`crate::files`]: the directory must be private,
//! the file and its lock are never followed through a symbolic link, and a
//! path holding anything cctoken did not write is an error, never replaced.
//! Writers take an exclusive lock on `<path>.lock`, waiting at most the
//! request timeout, around read, fetch and write; the file is replaced
//! atomically (temporary file with `O_EXCL` and mode 600, then rename). A
//! cache file of ours (one that begins `{"cctoken_cache":`) that is
//! truncated, for other credentials or due for refresh is ignored and
//! replaced; any other file there, an empty one included, is refused.

use crate::credentials::Credentials;
use crate::encode::{json_string, random_u64};
use crate::error::Result;
use crate::files;
use crate::parse::{json_object, Member};
use crate::secret::zero_string;
use crate::sha256::{hex, hmac};
use crate::token::{Clock, Token};
use miniserde::json::Number;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The file format's version (1: before the secret's fingerprint).
const VERSION: u64 = 2;
/// How every cache file cctoken writes begins; and how version 1 began.
const MAGIC: &str = "{\"cctoken_cache\":";
const MAGIC_V1: &str = "{\"version\":1,\"key\":";

pub(crate) struct FileCache {
    path: PathBuf,
}

/// Holds `<path>.lock` locked until dropped, and the cache file's path
/// through the resolved directory: everything done under the lock goes
/// through it.
pub(crate) struct CacheLock {
    file: File,
    path: PathBuf,
}

impl Drop for CacheLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

impl FileCache {
    pub(crate) fn new(path: PathBuf) -> FileCache {
        FileCache { path }
    }

    /// Checks the directory and takes the cross-process lock, waiting at
    /// most `patience` on `clock`. `Ok(None)`: another process held the
    /// lock all that time; the caller goes without the cache.
    ///
    /// # Errors
    ///
    /// The directory or the lock file breaks the file rules
    /// ([`ErrorKind::Config`](crate::ErrorKind::Config)).
    pub(crate) fn lock(&self, patience: Duration, clock: &dyn Clock) -> Result<Option<CacheLock>> {
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let Some(name) = self.path.file_name() else {
            return Err(crate::error::Error::config(format!(
                "token cache {}: not a file name",
                self.path.display()
            )));
        };
        let path = files::resolve_cache_dir(dir, &self.path)?.join(name);
        files::check_cache_path(&path)?;
        let mut lock_path = path.clone().into_os_string();
        lock_path.push(".lock");
        let lock_path = PathBuf::from(lock_path);
        let file = files::open_lock_file(&lock_path)?;
        let start = clock.now();
        let mut pause = Duration::from_millis(5);
        let mut asked = Duration::ZERO;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(Some(CacheLock { file, path })),
                Err(std::fs::TryLockError::WouldBlock) => {}
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(crate::error::Error::config(format!(
                        "token cache lock {}: {e}",
                        lock_path.display()
                    )))
                }
            }
            // The wait ends when the clock says so, or when the sleeps
            // asked for add up to `patience`: a `Clock` whose `sleep` does
            // not move `now` (a frozen test clock) cannot spin for ever.
            let waited = clock.now().saturating_duration_since(start).max(asked);
            if waited >= patience {
                return Ok(None);
            }
            let nap = pause.min(patience - waited);
            clock.sleep(nap);
            asked += nap;
            pause = (pause * 2).min(Duration::from_millis(200));
        }
    }
}

impl CacheLock {
    /// The cached token for `credentials`, if the file holds one that is
    /// for them and not yet due for refresh by the wall clock.
    ///
    /// # Errors
    ///
    /// The path holds something cctoken did not write, or a file that
    /// breaks the file rules ([`ErrorKind::Config`](crate::ErrorKind::Config)).
    pub(crate) fn load(
        &self,
        credentials: &Credentials,
        clock: &dyn Clock,
    ) -> Result<Option<Token>> {
        let Some(mut text) = files::read_cache_file(&self.path)? else {
            return Ok(None);
        };
        if !text.starts_with(MAGIC) && !text.starts_with(MAGIC_V1) {
            zero_string(&mut text);
            return Err(files::not_ours(
                &format!("token cache {}", self.path.display()),
                "a file that is not a token cache file",
            ));
        }
        let token = parse(&text, credentials, clock);
        zero_string(&mut text);
        Ok(token)
    }

    /// Removes the cached token if it is `token` (the API refused it).
    pub(crate) fn forget(&self, token: &Token) {
        let Ok(Some(mut text)) = files::read_cache_file(&self.path) else {
            return;
        };
        let holds = text.starts_with(MAGIC)
            && json_object(text.as_bytes(), "the cache file")
                .ok()
                .is_some_and(|o| o.string("access_token") == Some(token.access_token()));
        zero_string(&mut text);
        if holds {
            let _ = files::remove_cache_file(&self.path);
        }
    }

    /// Replaces the file with `token`, due for refresh at `refresh_at` and
    /// expiring at `expires_at` (wall clock), after
    /// [`load`](CacheLock::load) accepted the path. Failure to write
    /// is not an error for the caller: the token is still good, and the
    /// next process fetches again.
    pub(crate) fn store(
        &self,
        credentials: &Credentials,
        token: &Token,
        refresh_at: SystemTime,
        expires_at: SystemTime,
    ) {
        let (Ok(refresh_at), Ok(expires_at)) = (
            refresh_at.duration_since(UNIX_EPOCH),
            expires_at.duration_since(UNIX_EPOCH),
        ) else {
            return;
        };
        let salt = [random_u64(), random_u64()];
        let mut salt_bytes = [0u8; 16];
        salt_bytes[..8].copy_from_slice(&salt[0].to_be_bytes());
        salt_bytes[8..].copy_from_slice(&salt[1].to_be_bytes());
        let mut text = String::from(MAGIC);
        text.push_str(&VERSION.to_string());
        text.push_str(",\"salt\":\"");
        text.push_str(&hex(&salt_bytes));
        text.push_str("\",\"fingerprint\":\"");
        text.push_str(&fingerprint(credentials, &salt_bytes));
        text.push_str("\",\"access_token\":");
        json_string(token.access_token(), &mut text);
        if let Some(scope) = token.scope() {
            text.push_str(",\"scope\":");
            json_string(scope, &mut text);
        }
        text.push_str(",\"refresh_at\":");
        text.push_str(&refresh_at.as_secs().to_string());
        text.push_str(",\"expires_at\":");
        text.push_str(&expires_at.as_secs().to_string());
        text.push_str("}\n");
        let _ = files::write_atomically(&self.path, text.as_bytes(), salt[0]);
        zero_string(&mut text);
    }
}

/// HMAC-SHA256, keyed with `salt`, of everything that shapes the token
/// request, the secret included: lower-case hex.
fn fingerprint(credentials: &Credentials, salt: &[u8]) -> String {
    let mut material = credentials.cache_identity();
    let mac = hmac(salt, material.as_bytes());
    zero_string(&mut material);
    hex(&mac)
}

/// Bytes from lower-case or upper-case hex.
fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let digit = |b: u8| (b as char).to_digit(16);
    text.as_bytes()
        .chunks(2)
        .map(|pair| Some((digit(pair[0])? * 16 + digit(pair[1])?) as u8))
        .collect()
}

fn parse(text: &str, credentials: &Credentials, clock: &dyn Clock) -> Option<Token> {
    let object = json_object(text.as_bytes(), "the cache file").ok()?;
    let instant = |name: &str| match object.get(name) {
        Some(Member::Number(Number::U64(secs))) => {
            UNIX_EPOCH.checked_add(Duration::from_secs(*secs))
        }
        _ => None,
    };
    if !matches!(
        object.get("cctoken_cache"),
        Some(Member::Number(Number::U64(VERSION)))
    ) {
        return None;
    }
    let salt = unhex(object.string("salt")?).filter(|s| s.len() == 16)?;
    // Not a secret, but compared whole: any difference is a miss.
    if object.string("fingerprint")? != fingerprint(credentials, &salt) {
        return None;
    }
    let access_token = object.string("access_token")?;
    if access_token.is_empty() || !access_token.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return None;
    }
    let (refresh_at, expires_at) = (instant("refresh_at")?, instant("expires_at")?);
    let now = clock.wall();
    if now >= refresh_at || refresh_at > expires_at {
        return None;
    }
    let left = expires_at
        .duration_since(now)
        .ok()?
        .min(crate::token::MAX_LIFETIME);
    // The fingerprint holds the DPoP key's thumbprint: a token found here
    // was bound to this very key.
    Some(Token::new(
        access_token.to_owned(),
        object.string("scope").map(str::to_owned),
        Vec::new(),
        Some(left),
        (clock.now(), now),
        credentials.dpop_key().cloned(),
    ))
}

#[cfg(test)]
#[path = "cache_tests.rs"]
mod tests;
