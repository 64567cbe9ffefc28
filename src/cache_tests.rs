use super::*;
use crate::error::ErrorKind;
use crate::token::SystemClock;
use std::fs;
use std::sync::Mutex;
use std::time::Instant;

use crate::test_dirs::{is_root, set_mode, skipped, TempDir};

fn creds(scope: &str) -> Credentials {
    Credentials::new("https://a.example/t", "id", "the-secret")
        .unwrap()
        .with_scope(scope)
}

fn token(life: u64) -> Token {
    Token::new(
        "tok-123".into(),
        Some("read".into()),
        vec![],
        Some(Duration::from_secs(life)),
        (Instant::now(), SystemTime::now()),
        None,
    )
}

const PATIENCE: Duration = Duration::from_secs(1);

fn store(cache: &FileCache, c: &Credentials, refresh_in: u64, expire_in: u64) {
    let lock = cache.lock(PATIENCE, &SystemClock).unwrap().unwrap();
    let now = SystemTime::now();
    lock.store(
        c,
        &token(expire_in),
        now + Duration::from_secs(refresh_in),
        now + Duration::from_secs(expire_in),
    );
}

fn load(cache: &FileCache, c: &Credentials) -> Result<Option<Token>> {
    let lock = cache.lock(PATIENCE, &SystemClock)?.unwrap();
    lock.load(c, &SystemClock)
}

/// A clock whose sleeps advance it, for bounded waits without waiting.
struct SleepyClock {
    base: Instant,
    slept: Mutex<Duration>,
}

impl Clock for SleepyClock {
    fn now(&self) -> Instant {
        self.base + *self.slept.lock().unwrap()
    }
    fn wall(&self) -> SystemTime {
        SystemTime::now()
    }
    fn sleep(&self, d: Duration) {
        *self.slept.lock().unwrap() += d;
    }
}

#[test]
fn round_trip_private_file_without_secret() {
    let dir = TempDir::new("rt");
    let cache = FileCache::new(dir.0.join("token.json"));
    let c = creds("read");
    store(&cache, &c, 3000, 3600);
    let t = load(&cache, &c).unwrap().expect("loaded");
    assert_eq!(t.access_token(), "tok-123");
    assert_eq!(t.scope(), Some("read"));
    let left = t.lifetime().unwrap();
    assert!(
        left > Duration::from_secs(3590) && left <= Duration::from_secs(3600),
        "{left:?}"
    );
    let text = fs::read_to_string(dir.0.join("token.json")).unwrap();
    assert!(text.starts_with(MAGIC), "{text}");
    assert!(!text.contains("the-secret"), "{text}");
    use std::os::unix::fs::PermissionsExt;
    let mode = fs::metadata(dir.0.join("token.json"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn other_credentials_due_or_expired_are_ignored() {
    let dir = TempDir::new("key");
    let cache = FileCache::new(dir.0.join("token.json"));
    store(&cache, &creds("read"), 3000, 3600);
    assert!(load(&cache, &creds("write")).unwrap().is_none());
    let other_id = Credentials::new("https://a.example/t", "id2", "the-secret")
        .unwrap()
        .with_scope("read");
    assert!(load(&cache, &other_id).unwrap().is_none());
    let other_param = creds("read").with_param("audience", "x");
    assert!(load(&cache, &other_param).unwrap().is_none());
    let basic = creds("read").with_auth(crate::ClientAuth::Basic);
    assert!(load(&cache, &basic).unwrap().is_none());
    assert!(load(&cache, &creds("read")).unwrap().is_some());
    store(&cache, &creds("read"), 0, 3600); // due for refresh now
    assert!(load(&cache, &creds("read")).unwrap().is_none());
}

/// Item 5 of issue 11: a rotated or wrong secret must miss the cache.
#[test]
fn changed_secret_misses_the_cache() {
    let dir = TempDir::new("secret");
    let cache = FileCache::new(dir.0.join("token.json"));
    store(&cache, &creds("read"), 3000, 3600);
    let rotated = Credentials::new("https://a.example/t", "id", "the-secret-2")
        .unwrap()
        .with_scope("read");
    assert!(load(&cache, &rotated).unwrap().is_none());
    assert!(load(&cache, &creds("read")).unwrap().is_some());
}

#[test]
fn fingerprint_is_salted_and_keyed_by_the_secret() {
    let c = creds("read");
    let a = fingerprint(&c, &[1; 16]);
    assert_eq!(a, fingerprint(&c, &[1; 16]));
    assert_ne!(a, fingerprint(&c, &[2; 16]), "the salt changes it");
    let other = Credentials::new("https://a.example/t", "id", "the-secreT")
        .unwrap()
        .with_scope("read");
    assert_ne!(a, fingerprint(&other, &[1; 16]), "the secret changes it");
    // Two stores of the same token use different salts.
    let dir = TempDir::new("salt");
    let cache = FileCache::new(dir.0.join("token.json"));
    store(&cache, &c, 3000, 3600);
    let first = fs::read_to_string(dir.0.join("token.json")).unwrap();
    store(&cache, &c, 3000, 3600);
    let second = fs::read_to_string(dir.0.join("token.json")).unwrap();
    let salt = |t: &str| t.split("\"salt\":\"").nth(1).unwrap()[..32].to_owned();
    assert_ne!(salt(&first), salt(&second));
}

#[test]
fn damaged_cache_files_of_ours_are_ignored() {
    let dir = TempDir::new("bad");
    let path = dir.0.join("token.json");
    let cache = FileCache::new(path.clone());
    let c = creds("read");
    store(&cache, &c, 3000, 3600);
    let good = fs::read_to_string(&path).unwrap();
    let write = |text: &str| {
        fs::write(&path, text).unwrap();
        set_mode(&path, 0o600);
    };
    for bad in [
        &good[..good.len() / 2],
        &good.replace("\"cctoken_cache\":2", "\"cctoken_cache\":3"),
        &good.replace("tok-123", "tok 123"),
        &good.replace("\"expires_at\":", "\"expires_at\":-"),
        &good.replace("\"salt\":\"", "\"salt\":\"00"),
        "{\"version\":1,\"key\":\"[]\",\"access_token\":\"t\"}",
    ] {
        write(bad);
        assert!(load(&cache, &c).unwrap().is_none(), "{bad}");
    }
    write(&good);
    assert!(load(&cache, &c).unwrap().is_some());
}

/// Item 4 of issue 11: anything at the cache path that cctoken did not
/// write is an error, never used and never replaced.
#[test]
fn foreign_files_at_the_cache_path_are_refused_and_kept() {
    let dir = TempDir::new("foreign");
    let path = dir.0.join("token.json");
    let cache = FileCache::new(path.clone());
    for text in [
        "my-client-secret\n",
        "",
        "not json",
        "{\"client_secret\":\"x\"}",
        "[]",
    ] {
        fs::write(&path, text).unwrap();
        set_mode(&path, 0o600);
        let e = load(&cache, &creds("read")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(
            e.to_string()
                .contains("a file that is not a token cache file, which cctoken did not write"),
            "{e}"
        );
        assert_eq!(fs::read_to_string(&path).unwrap(), text, "kept as it was");
    }
}

#[test]
fn directory_fifo_and_symlink_at_the_cache_path_are_refused() {
    let dir = TempDir::new("kinds");
    let path = dir.0.join("token.json");
    let cache = FileCache::new(path.clone());
    fs::create_dir(&path).unwrap();
    let e = load(&cache, &creds("read")).unwrap_err();
    assert!(e.to_string().contains("is a directory"), "{e}");
    fs::remove_dir(&path).unwrap();

    let status = std::process::Command::new("mkfifo")
        .arg(&path)
        .status()
        .unwrap();
    assert!(status.success());
    let e = load(&cache, &creds("read")).unwrap_err();
    assert!(e.to_string().contains("is a FIFO"), "{e}");
    fs::remove_file(&path).unwrap();

    // A link to a perfectly good cache file of ours is still refused.
    let real = dir.0.join("real.json");
    store(&FileCache::new(real.clone()), &creds("read"), 3000, 3600);
    std::os::unix::fs::symlink(&real, &path).unwrap();
    let e = load(&cache, &creds("read")).unwrap_err();
    assert!(e.to_string().contains("is a symbolic link"), "{e}");
}

/// A device node (here /dev/null, in a root-owned directory) is refused
/// before a lock file is created beside it.
#[test]
fn device_at_the_cache_path_is_refused_before_any_lock_file() {
    let cache = FileCache::new(PathBuf::from("/dev/null"));
    let e = cache.lock(PATIENCE, &SystemClock).err().unwrap();
    assert!(e.to_string().contains("is a device"), "{e}");
    assert!(!Path::new("/dev/null.lock").exists());
}

#[test]
fn group_readable_cache_file_is_refused() {
    let dir = TempDir::new("mode");
    let path = dir.0.join("token.json");
    let cache = FileCache::new(path.clone());
    store(&cache, &creds("read"), 3000, 3600);
    set_mode(&path, 0o640);
    let e = load(&cache, &creds("read")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.to_string().contains("chmod 600"), "{e}");
}

#[test]
fn directories_writable_by_others_are_refused() {
    for (mode, needle) in [
        (0o777, "writable by others"),
        (0o1777, "writable by others"),
        (0o770, "writable by its group"),
    ] {
        let dir = TempDir::new("ww");
        set_mode(&dir.0, mode);
        let e = FileCache::new(dir.0.join("token.json"))
            .lock(PATIENCE, &SystemClock)
            .err()
            .unwrap();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(e.to_string().contains(needle), "{mode:o}: {e}");
    }
}

/// Item 2 of issue 11: a dangling symbolic link at `PATH.lock` must not
/// make cctoken create a file at the link's target.
#[test]
fn symlinked_lock_file_is_refused_and_its_target_not_created() {
    let dir = TempDir::new("locklink");
    let target = dir.0.join("created-by-mistake");
    std::os::unix::fs::symlink(&target, dir.0.join("token.json.lock")).unwrap();
    let e = FileCache::new(dir.0.join("token.json"))
        .lock(PATIENCE, &SystemClock)
        .err()
        .unwrap();
    assert!(e.to_string().contains("symbolic link"), "{e}");
    assert!(!target.exists(), "the link's target was created");
}

/// Item 6 of issue 11: waiting for another holder of the lock ends after
/// the patience given (the request timeout).
#[test]
fn lock_wait_is_bounded() {
    let dir = TempDir::new("wait");
    let cache = FileCache::new(dir.0.join("token.json"));
    let held = cache.lock(PATIENCE, &SystemClock).unwrap().unwrap();
    let clock = SleepyClock {
        base: Instant::now(),
        slept: Mutex::new(Duration::ZERO),
    };
    let got = cache.lock(Duration::from_secs(30), &clock).unwrap();
    assert!(got.is_none(), "the lock is held elsewhere");
    assert_eq!(*clock.slept.lock().unwrap(), Duration::from_secs(30));
    drop(held);
    assert!(cache
        .lock(Duration::from_secs(30), &clock)
        .unwrap()
        .is_some());
}

#[test]
fn forget_removes_only_the_same_token() {
    let dir = TempDir::new("forget");
    let path = dir.0.join("token.json");
    let cache = FileCache::new(path.clone());
    store(&cache, &creds("read"), 3000, 3600);
    let other = Token::new(
        "tok-other".into(),
        None,
        vec![],
        None,
        (Instant::now(), SystemTime::now()),
        None,
    );
    let lock = cache.lock(PATIENCE, &SystemClock).unwrap().unwrap();
    lock.forget(&other);
    assert!(path.exists());
    lock.forget(&token(10));
    assert!(!path.exists());
}

/// Item 1 of issue 11, as root: a mode-600 cache file planted by another
/// user, or a directory another user owns, is refused.
#[test]
fn planted_cache_file_and_foreign_directory_are_refused_as_root() {
    if !is_root() {
        skipped("planted_cache_file_and_foreign_directory_are_refused_as_root: needs root");
        return;
    }
    use std::os::unix::fs::chown;
    let dir = TempDir::new("planted");
    let path = dir.0.join("token.json");
    let cache = FileCache::new(path.clone());
    store(&cache, &creds("read"), 3000, 3600);
    chown(&path, Some(65534), Some(65534)).unwrap();
    let e = load(&cache, &creds("read")).unwrap_err();
    assert!(e.to_string().contains("owned by uid 65534"), "{e}");

    // A directory owned by another user, even mode 700.
    fs::remove_file(&path).unwrap();
    let sub = dir.0.join("theirs");
    fs::create_dir(&sub).unwrap();
    set_mode(&sub, 0o700);
    chown(&sub, Some(65534), Some(65534)).unwrap();
    let e = FileCache::new(sub.join("token.json"))
        .lock(PATIENCE, &SystemClock)
        .err()
        .unwrap();
    assert!(e.to_string().contains("owned by uid 65534"), "{e}");

    // A lock file another user owns.
    fs::write(dir.0.join("token.json.lock"), "").unwrap();
    set_mode(&dir.0.join("token.json.lock"), 0o600);
    chown(dir.0.join("token.json.lock"), Some(65534), None).unwrap();
    let e = cache.lock(PATIENCE, &SystemClock).err().unwrap();
    assert!(e.to_string().contains("owned by uid 65534"), "{e}");
}

/// Review finding: only the cache's own directory was checked, and each
/// open went through the path as given. A directory above it that others
/// can write (and is not sticky) lets them rename the private directory
/// away and put their own in its place between the check and the opens:
/// refused now, naming that directory.
#[test]
fn a_directory_above_the_cache_that_others_can_write_is_refused() {
    let dir = TempDir::new("above");
    let private = dir.0.join("private");
    fs::create_dir(&private).unwrap();
    set_mode(&private, 0o700);
    for (mode, needle) in [
        (0o775, "writable by its group"),
        (0o757, "writable by others"),
    ] {
        set_mode(&dir.0, mode);
        let e = FileCache::new(private.join("token.json"))
            .lock(PATIENCE, &SystemClock)
            .err()
            .expect("refused");
        assert_eq!(e.kind(), ErrorKind::Config);
        let shown = e.to_string();
        assert!(shown.contains(needle), "{mode:o}: {shown}");
        assert!(
            shown.contains(&format!("directory {}, above", dir.0.display())),
            "{shown}"
        );
    }
    // Sticky and world-writable above (as `/tmp` is): nobody else can
    // rename what is yours in it.
    set_mode(&dir.0, 0o1777);
    assert!(FileCache::new(private.join("token.json"))
        .lock(PATIENCE, &SystemClock)
        .unwrap()
        .is_some());
    set_mode(&dir.0, 0o700);
}

/// The directory is resolved once: a cache path through a symbolic link to
/// a private directory works, and every file of the cache lands in the
/// resolved directory (the link could be re-pointed after the check).
#[test]
fn the_cache_goes_through_the_resolved_directory() {
    let dir = TempDir::new("resolved");
    let real = dir.0.join("real");
    fs::create_dir(&real).unwrap();
    set_mode(&real, 0o700);
    let link = dir.0.join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let cache = FileCache::new(link.join("token.json"));
    let lock = cache.lock(PATIENCE, &SystemClock).unwrap().unwrap();
    // Re-point the link once the lock is held: the writes still go to the
    // directory that was checked.
    let elsewhere = dir.0.join("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    set_mode(&elsewhere, 0o700);
    fs::remove_file(&link).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &link).unwrap();
    let now = SystemTime::now();
    lock.store(
        &creds("read"),
        &token(3600),
        now + Duration::from_secs(3000),
        now + Duration::from_secs(3600),
    );
    assert!(real.join("token.json").is_file());
    assert!(real.join("token.json.lock").is_file());
    assert!(!elsewhere.join("token.json").exists());
    assert_eq!(
        lock.load(&creds("read"), &SystemClock)
            .unwrap()
            .map(|t| t.access_token().to_owned()),
        Some("tok-123".to_owned())
    );
}

/// As root: a directory above the cache owned by another user is refused
/// (its owner could replace the directory below it).
#[test]
fn a_directory_above_the_cache_owned_by_another_user_is_refused_as_root() {
    if !is_root() {
        skipped(
            "a_directory_above_the_cache_owned_by_another_user_is_refused_as_root: \
             needs root",
        );
        return;
    }
    let dir = TempDir::new("aboveowner");
    let theirs = dir.0.join("theirs");
    fs::create_dir(&theirs).unwrap();
    set_mode(&theirs, 0o755);
    let mine = theirs.join("mine");
    fs::create_dir(&mine).unwrap();
    set_mode(&mine, 0o700);
    std::os::unix::fs::chown(&theirs, Some(65534), Some(65534)).unwrap();
    let e = FileCache::new(mine.join("token.json"))
        .lock(PATIENCE, &SystemClock)
        .err()
        .expect("refused");
    let shown = e.to_string();
    assert!(shown.contains("owned by uid 65534"), "{shown}");
    assert!(shown.contains("above"), "{shown}");
}

/// A clock whose `sleep` does not move `now` (frozen): waiting for a held
/// lock still ends once the sleeps asked for add up to the patience.
struct FrozenClock {
    base: Instant,
    asked: Mutex<Duration>,
}

impl Clock for FrozenClock {
    fn now(&self) -> Instant {
        self.base
    }
    fn wall(&self) -> SystemTime {
        SystemTime::now()
    }
    fn sleep(&self, d: Duration) {
        *self.asked.lock().unwrap() += d;
    }
}

#[test]
fn lock_wait_ends_with_a_frozen_clock() {
    let dir = TempDir::new("frozen");
    let cache = FileCache::new(dir.0.join("token.json"));
    let _held = cache.lock(PATIENCE, &SystemClock).unwrap().unwrap();
    let clock = FrozenClock {
        base: Instant::now(),
        asked: Mutex::new(Duration::ZERO),
    };
    assert!(cache
        .lock(Duration::from_secs(30), &clock)
        .unwrap()
        .is_none());
    assert_eq!(*clock.asked.lock().unwrap(), Duration::from_secs(30));
}
