//! The file rules of cctoken (DESIGN.md, "Files on disk"): every file that
//! holds a secret, a key, credentials or a cached token is opened here, and
//! only here — one place to audit.
//!
//! The rules are OpenSSH's for key files (StrictModes), checked on the
//! opened descriptor (`fstat`), so that nothing can swap the file between
//! the check and the read:
//!
//! - a file read for a secret must be a regular file owned by the effective
//!   user or by root, with no permission bit for group or others — except
//!   a client assertion file, which may also be owned by root and readable
//!   by all but writable by nobody else (`Sharing::RootReadOnly`: how
//!   Kubernetes mounts projected service-account tokens; an assertion is
//!   short-lived and bound to its audience, unlike a secret or a key);
//! - symbolic links are followed only for files the user names (credentials,
//!   secret, key and assertion files), never for the token cache, its lock
//!   file or its temporary files (new files are made with `O_EXCL`; an
//!   existing one is opened with `O_NOFOLLOW` where the Linux architecture's
//!   value is known, and everywhere `lstat`ed before and `fstat`ed after
//!   opening: it must be the same regular file both times);
//! - the cache's directory is resolved once (`realpath`), and every file of
//!   the cache is opened through that resolved path; the directory must be
//!   owned by the effective user or by root and not writable by group or
//!   others (sticky or not), and so must every directory above it, except
//!   that those may be sticky and world-writable (`/tmp` above a private
//!   directory of yours): otherwise someone else could rename a directory
//!   on the way and put their own in its place;
//! - nothing at the cache path that cctoken did not write is replaced.
//!
//! The effective user id has no safe std call; it is read as the owner of a
//! pipe this process creates (the kernel gives a new pipe the caller's
//! filesystem uid, which is the effective uid unless `setfsuid` was used).

use crate::error::{Error, ErrorKind, Result};
use crate::secret::zero_bytes;
use std::fs::{self, File, Metadata, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// The largest credentials, secret, key or cache file read.
pub(crate) const MAX_FILE_BYTES: u64 = 64 * 1024;

fn cred_error(detail: String) -> Error {
    Error::new(ErrorKind::Credentials, detail)
}

fn cache_error(detail: String) -> Error {
    Error::new(ErrorKind::Config, detail)
}

/// The uid the kernel checks this process's file accesses against.
#[cfg(unix)]
pub(crate) fn effective_uid() -> io::Result<u32> {
    use std::os::unix::fs::MetadataExt;
    let (reader, _writer) = io::pipe()?;
    let file = File::from(std::os::fd::OwnedFd::from(reader));
    Ok(file.metadata()?.uid())
}

/// What kind of thing `meta` describes, for messages.
fn kind_of(meta: &Metadata) -> &'static str {
    let t = meta.file_type();
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_block_device() || t.is_char_device() {
            return "a device";
        }
    }
    if t.is_dir() {
        "a directory"
    } else if t.is_symlink() {
        "a symbolic link"
    } else if t.is_file() {
        "a regular file"
    } else {
        "not a regular file"
    }
}

/// How a secret file may be shared.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sharing {
    /// Owner (the effective user or root) only: mode `600` or stricter.
    Private,
    /// As `Private`, or owned by root and writable by nobody else (how
    /// Kubernetes mounts projected service-account tokens, mode `644`).
    RootReadOnly,
}

/// Checks owner and mode of an opened secret file, as `sharing` allows;
/// `shown` names it in errors.
#[cfg(unix)]
fn check_private(
    meta: &Metadata,
    shown: &str,
    sharing: Sharing,
) -> std::result::Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let uid = effective_uid().map_err(|e| format!("{shown}: cannot tell your user id: {e}"))?;
    let (owner, mode) = (meta.uid(), meta.mode() & 0o7777);
    if owner != uid && owner != 0 {
        return Err(format!(
            "{shown}: owned by uid {owner}, not by you (uid {uid}) or root: another user could have \
             written it; use your own file (`chown {uid} {shown}`)"
        ));
    }
    let root_read_only = sharing == Sharing::RootReadOnly && owner == 0 && mode & 0o022 == 0;
    if mode & 0o077 != 0 && !root_read_only {
        return Err(format!(
            "{shown}: permissions {:04o} are too open (group or others can {}); \
             run `chmod 600 {shown}`",
            mode & 0o777,
            if mode & 0o022 != 0 {
                "write or read it"
            } else {
                "read it"
            }
        ));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(
    _meta: &Metadata,
    _shown: &str,
    _sharing: Sharing,
) -> std::result::Result<(), String> {
    Ok(())
}

/// `O_NONBLOCK` and `O_NOFOLLOW` where std cannot name them: on macOS and
/// the BSDs `0x4` and `0x100`; on the Linux architectures listed (the
/// kernel's `fcntl.h` of each) `O_NONBLOCK` is `0o4000` and `O_NOFOLLOW`
/// `0o100000` on ARM, AArch64 and POWER, `0o400000` on x86, x86-64,
/// RISC-V, s390x and LoongArch. Elsewhere `None`: the checks made before
/// opening keep a FIFO out (but not one swapped in between, by someone who
/// can write the directory of a secret file the user named), and the
/// `lstat`/`fstat` comparison alone refuses a link.
const OPEN_FLAGS: Option<(i32, i32)> = if cfg!(any(
    target_os = "macos",
    target_os = "ios",
    target_os = "freebsd",
    target_os = "netbsd",
    target_os = "openbsd",
    target_os = "dragonfly"
)) {
    Some((0x4, 0x100))
} else if !cfg!(target_os = "linux") {
    None
} else if cfg!(any(
    target_arch = "arm",
    target_arch = "aarch64",
    target_arch = "powerpc64"
)) {
    Some((0o4000, 0o100000))
} else if cfg!(any(
    target_arch = "x86",
    target_arch = "x86_64",
    target_arch = "riscv64",
    target_arch = "s390x",
    target_arch = "loongarch64"
)) {
    Some((0o4000, 0o400000))
} else {
    None
};

/// Read-only open options that never block on a FIFO (`O_NONBLOCK`) and,
/// with `nofollow`, refuse a symbolic link at the last component
/// (`O_NOFOLLOW`), where [`OPEN_FLAGS`] knows the values.
fn open_options(nofollow: bool) -> OpenOptions {
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    if let Some((nonblock, no_follow)) = OPEN_FLAGS {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(nonblock | if nofollow { no_follow } else { 0 });
    }
    #[cfg(not(unix))]
    let _ = (nofollow, OPEN_FLAGS);
    options
}

/// Reads a file the user named that holds a secret (a `creds.json`, a
/// secret file, a private key, a client assertion). Symbolic links are
/// followed; the file itself must follow `sharing`. At most 64 KiB.
pub(crate) fn read_secret_file(path: &Path, sharing: Sharing) -> Result<String> {
    let shown = path.display().to_string();
    // Opening a FIFO for reading would block until a writer came: refuse
    // anything that is not a regular file before opening it (the check on
    // the descriptor below is the one that counts).
    if let Ok(meta) = fs::metadata(path) {
        if !meta.is_file() {
            return Err(cred_error(format!(
                "{shown}: is {}, not a regular file",
                kind_of(&meta)
            )));
        }
    }
    let file = open_options(false)
        .open(path)
        .map_err(|e| cred_error(format!("{shown}: cannot open: {e}")))?;
    let meta = file
        .metadata()
        .map_err(|e| cred_error(format!("{shown}: cannot stat: {e}")))?;
    if !meta.is_file() {
        return Err(cred_error(format!(
            "{shown}: is {}, not a regular file",
            kind_of(&meta)
        )));
    }
    check_private(&meta, &shown, sharing).map_err(cred_error)?;
    read_capped(file, &shown).map_err(cred_error)
}

/// Reads standard input whole (at most 64 KiB), for a secret piped in.
pub(crate) fn read_stdin(shown: &str) -> Result<String> {
    read_capped(io::stdin().lock(), shown).map_err(cred_error)
}

fn read_capped(reader: impl Read, shown: &str) -> std::result::Result<String, String> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{shown}: cannot read: {e}"))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        zero_bytes(bytes);
        return Err(format!("{shown}: larger than {MAX_FILE_BYTES} bytes"));
    }
    String::from_utf8(bytes).map_err(|e| {
        zero_bytes(e.into_bytes());
        format!("{shown}: not valid UTF-8")
    })
}

/// Resolves the directory that holds the token cache (`realpath`: every
/// symbolic link on the way followed, once) and checks it and every
/// directory above it. The cache's files are then opened through the
/// resolved path only, so nothing can swap a directory on the way between
/// this check and those opens.
///
/// The directory itself must be owned by the effective user or root and
/// not writable by group or others; each directory above it must be owned
/// by the effective user or root and not writable by group or others
/// unless it is sticky (`/tmp`: nobody else can rename what is yours in
/// it).
pub(crate) fn resolve_cache_dir(dir: &Path, cache: &Path) -> Result<PathBuf> {
    let (shown, cache) = (dir.display(), cache.display());
    let resolved = fs::canonicalize(dir)
        .map_err(|e| cache_error(format!("token cache {cache}: directory {shown}: {e}")))?;
    let meta = fs::metadata(&resolved)
        .map_err(|e| cache_error(format!("token cache {cache}: directory {shown}: {e}")))?;
    if !meta.is_dir() {
        return Err(cache_error(format!(
            "token cache {cache}: {shown} is not a directory"
        )));
    }
    #[cfg(unix)]
    {
        let uid = effective_uid().map_err(|e| {
            cache_error(format!(
                "token cache {cache}: cannot tell your user id: {e}"
            ))
        })?;
        if let Some(why) = others_could_change(&meta, uid, false) {
            return Err(cache_error(format!(
                "token cache {cache}: directory {shown} is {why}, so others could plant or \
                 swap a token there; use a private directory of your own (mode 700), such as \
                 $XDG_RUNTIME_DIR or ~/.cache{}",
                if why.starts_with("writable") {
                    format!(", or run `chmod go-w {shown}`")
                } else {
                    String::new()
                }
            )));
        }
        for above in resolved.ancestors().skip(1) {
            let meta = fs::metadata(above).map_err(|e| {
                cache_error(format!(
                    "token cache {cache}: directory {}: {e}",
                    above.display()
                ))
            })?;
            if let Some(why) = others_could_change(&meta, uid, true) {
                return Err(cache_error(format!(
                    "token cache {cache}: directory {}, above {shown}, is {why}, so others \
                     could put another directory in place of yours; keep the cache under \
                     directories only you or root can change",
                    above.display()
                )));
            }
        }
    }
    Ok(resolved)
}

/// Why someone other than `uid` and root could change the directory that
/// `meta` describes — its owner, or group or others' write permission
/// (unless `sticky_ok` and the sticky bit is set) — or `None`.
#[cfg(unix)]
fn others_could_change(meta: &Metadata, uid: u32, sticky_ok: bool) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let (owner, mode) = (meta.uid(), meta.mode() & 0o7777);
    if owner != uid && owner != 0 {
        return Some(format!(
            "owned by uid {owner}, not by you (uid {uid}) or root"
        ));
    }
    if mode & 0o022 != 0 && !(sticky_ok && mode & 0o1000 != 0) {
        let who = if mode & 0o002 != 0 {
            "others"
        } else {
            "its group"
        };
        let sticky = if sticky_ok { " and not sticky" } else { "" };
        return Some(format!("writable by {who} (mode {mode:04o}){sticky}"));
    }
    None
}

/// The refusal of something at a cache path that cctoken did not write.
pub(crate) fn not_ours(shown: &str, what: &str) -> Error {
    cache_error(format!(
        "{shown}: is {what}, which cctoken did not write and neither uses nor replaces: \
         remove it or choose another path"
    ))
}

/// Refuses, before anything is created beside it, a cache path that holds
/// something other than a regular file (a link, a directory, a device).
pub(crate) fn check_cache_path(path: &Path) -> Result<()> {
    match fs::symlink_metadata(path) {
        Ok(meta) if !meta.is_file() => Err(not_ours(
            &format!("token cache {}", path.display()),
            kind_of(&meta),
        )),
        _ => Ok(()),
    }
}

/// Opens the cache's lock file, creating it with mode 600 if missing.
/// A symbolic link there is refused, never followed: a new file is made
/// with `O_EXCL` (which fails on any existing name, a dangling link
/// included), and an existing one must be a regular file before and after
/// it is opened (same device and inode), owned and private like a secret.
pub(crate) fn open_lock_file(path: &Path) -> Result<File> {
    let shown = format!("token cache lock {}", path.display());
    let mut create = OpenOptions::new();
    create.read(true).write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        create.mode(0o600);
    }
    match create.open(path) {
        Ok(file) => return Ok(file),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(cache_error(format!("{shown}: cannot create: {e}"))),
    }
    let file = open_existing(path, &shown, true)?;
    Ok(file)
}

/// Opens an existing regular file without following a symbolic link at
/// `path`: checked with `lstat` before and `fstat` after opening.
fn open_existing(path: &Path, shown: &str, write: bool) -> Result<File> {
    let refuse = |what: &str| not_ours(shown, what);
    let before = fs::symlink_metadata(path).map_err(|e| cache_error(format!("{shown}: {e}")))?;
    if !before.is_file() {
        return Err(refuse(kind_of(&before)));
    }
    let file = open_options(true)
        .write(write)
        .open(path)
        .map_err(|e| cache_error(format!("{shown}: cannot open: {e}")))?;
    let meta = file
        .metadata()
        .map_err(|e| cache_error(format!("{shown}: {e}")))?;
    if !meta.is_file() || !same_file(&before, &meta) {
        return Err(refuse("a file that was replaced while it was opened"));
    }
    check_private(&meta, shown, Sharing::Private).map_err(cache_error)?;
    Ok(file)
}

/// Reads the cache file: `None` when there is none; an error when the path
/// holds anything but a private regular file (a symbolic link is never
/// followed).
pub(crate) fn read_cache_file(path: &Path) -> Result<Option<String>> {
    let shown = format!("token cache {}", path.display());
    match fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        _ => {}
    }
    let file = open_existing(path, &shown, false)?;
    read_capped(file, &shown).map(Some).map_err(cache_error)
}

#[cfg(unix)]
fn same_file(a: &Metadata, b: &Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(_: &Metadata, _: &Metadata) -> bool {
    true
}

/// Replaces `path` with `bytes`: a new file created beside it with
/// `O_EXCL` and mode 600 from the start, written, synced, then renamed over
/// `path`. A failure leaves `path` as it was.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8], salt: u64) -> io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp.{}.{salt:016x}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp)?;
    let result = (|| {
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Removes the cache file at `path` (only a regular file; never follows a
/// link).
pub(crate) fn remove_cache_file(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.is_file() => fs::remove_file(path),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
#[path = "files_tests.rs"]
mod tests;
