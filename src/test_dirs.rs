//! A temporary directory for the unit tests (test-only), removed on drop.

use std::path::PathBuf;

/// A fresh private (mode 700) directory under the system's temporary
/// directory, unique to this process and call, removed on drop.
pub(crate) struct TempDir(pub(crate) PathBuf);

impl TempDir {
    pub(crate) fn new(tag: &str) -> TempDir {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::SeqCst);
        let p = std::env::temp_dir().join(format!("cctoken-unit-{tag}-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&p).unwrap();
        set_mode(&p, 0o700);
        TempDir(p)
    }

    /// Writes `text` to `name` in the directory, with `mode`.
    pub(crate) fn file(&self, name: &str, text: &str, mode: u32) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, text).unwrap();
        set_mode(&p, mode);
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Sets the permission bits of `path` (nothing to do off Unix).
pub(crate) fn set_mode(path: &std::path::Path, mode: u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
}

/// Whether the tests run as root.
pub(crate) fn is_root() -> bool {
    crate::files::effective_uid().unwrap() == 0
}

/// Says that a test was skipped, and why, where the person running the
/// tests sees it: on the process's stderr directly, which libtest does not
/// capture (it captures `eprintln!`, and shows a passing test's output to
/// nobody).
pub(crate) fn skipped(what: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED {what}");
}
