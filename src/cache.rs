//! A token cache file shared by the processes of small tools (see
//! [`TokenSource::with_file_cache`](crate::TokenSource::with_file_cache)).
//!
//! The file holds one token with its expiry in wall-clock seconds since the
//! Unix epoch (a monotonic reading means nothing in another process), and
//! the key it was fetched for: token URL, client id, scope and extra
//! parameters — never the secret, which is not stored. Writers take an
//! exclusive lock on `<path>.lock` (`File::lock`) around read, fetch and
//! write, so that of several processes starting at once only one fetches;
//! the file is replaced atomically (temporary file, then rename) with mode
//! 600. Anything unexpected in it — truncated, not JSON, another key, an
//! expired token, group or other permissions — makes it ignored and
//! replaced, never trusted.

use crate::credentials::Credentials;
use crate::encode::json_string;
use crate::error::{Error, ErrorKind, Result};
use crate::parse::{json_object, Member};
use crate::secret::zero_string;
use crate::token::{Clock, Token};
use miniserde::json::Number;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The file format's version.
const VERSION: u64 = 1;

pub(crate) struct FileCache {
    path: PathBuf,
}

/// Holds `<path>.lock` locked until dropped.
pub(crate) struct CacheLock {
    file: File,
}

impl Drop for CacheLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

fn cache_error(detail: String) -> Error {
    Error::new(ErrorKind::Config, detail)
}

impl FileCache {
    pub(crate) fn new(path: PathBuf) -> FileCache {
        FileCache { path }
    }

    fn lock_path(&self) -> PathBuf {
        let mut name = self.path.as_os_str().to_owned();
        name.push(".lock");
        PathBuf::from(name)
    }

    /// Checks the directory and takes the cross-process lock.
    pub(crate) fn lock(&self) -> Result<CacheLock> {
        let shown = self.path.display();
        let dir = match self.path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let meta = fs::metadata(&dir).map_err(|e| {
            cache_error(format!(
                "token cache {shown}: directory {}: {e}",
                dir.display()
            ))
        })?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            if meta.permissions().mode() & 0o002 != 0 {
                return Err(cache_error(format!(
                    "token cache {shown}: directory {} is world-writable; use a private directory",
                    dir.display()
                )));
            }
        }
        let _ = meta;
        let lock_path = self.lock_path();
        let file = private_options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(|e| cache_error(format!("token cache lock {}: {e}", lock_path.display())))?;
        file.lock()
            .map_err(|e| cache_error(format!("token cache lock {}: {e}", lock_path.display())))?;
        Ok(CacheLock { file })
    }

    /// The cached token for `credentials`, if the file holds one that is
    /// trustworthy and not yet due for refresh by the wall clock.
    pub(crate) fn load(&self, credentials: &Credentials, clock: &dyn Clock) -> Option<Token> {
        // Unreadable, not ours, too open or too large: ignored and replaced.
        let mut text = crate::load::read_private(&self.path).ok()?;
        let token = parse(&text, &key(credentials), clock);
        zero_string(&mut text);
        token
    }

    /// Replaces the file with `token`, due for refresh at `refresh_at` and
    /// expiring at `expires_at` (wall clock). Failure to write is not an
    /// error for the caller: the token is still good, and the next process
    /// fetches again.
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
        let mut text = String::new();
        text.push_str("{\"version\":");
        text.push_str(&VERSION.to_string());
        text.push_str(",\"key\":");
        json_string(&key(credentials), &mut text);
        text.push_str(",\"access_token\":");
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
        let _ = self.write_atomically(text.as_bytes());
        zero_string(&mut text);
    }

    fn write_atomically(&self, bytes: &[u8]) -> std::io::Result<()> {
        let mut tmp = self.path.as_os_str().to_owned();
        tmp.push(format!(".tmp.{}", std::process::id()));
        let tmp = PathBuf::from(tmp);
        let _ = fs::remove_file(&tmp);
        let result = (|| {
            let mut file = private_options().write(true).create_new(true).open(&tmp)?;
            file.write_all(bytes)?;
            file.sync_all()?;
            fs::rename(&tmp, &self.path)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result
    }
}

fn private_options() -> OpenOptions {
    #[allow(unused_mut)]
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
}

/// What identifies the token: everything that shapes the request but the
/// secret.
fn key(credentials: &Credentials) -> String {
    let mut fields: Vec<(&str, &str)> = vec![
        ("token_url", credentials.token_url()),
        ("client_id", credentials.client_id()),
        ("scope", credentials.scope().unwrap_or("")),
    ];
    fields.extend(credentials.params());
    let mut out = String::from("[");
    for (i, (name, value)) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('[');
        json_string(name, &mut out);
        out.push(',');
        json_string(value, &mut out);
        out.push(']');
    }
    out.push(']');
    out
}

fn parse(text: &str, key: &str, clock: &dyn Clock) -> Option<Token> {
    let object = json_object(text.as_bytes(), "the cache file").ok()?;
    let instant = |name: &str| match object.get(name) {
        Some(Member::Number(Number::U64(secs))) => {
            UNIX_EPOCH.checked_add(Duration::from_secs(*secs))
        }
        _ => None,
    };
    if !matches!(
        object.get("version"),
        Some(Member::Number(Number::U64(VERSION)))
    ) {
        return None;
    }
    if object.string("key")? != key {
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
    Some(Token::new(
        access_token.to_owned(),
        object.string("scope").map(str::to_owned),
        Vec::new(),
        Some(left),
        (clock.now(), now),
    ))
}

#[cfg(test)]
#[path = "cache_tests.rs"]
mod tests;
