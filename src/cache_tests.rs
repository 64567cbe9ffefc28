use super::*;
use crate::token::SystemClock;
use std::time::Instant;

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let p =
            std::env::temp_dir().join(format!("cctoken-cache-{tag}-{}-{n}", std::process::id()));
        fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

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
    )
}

fn store(cache: &FileCache, c: &Credentials, refresh_in: u64, expire_in: u64) {
    let now = SystemTime::now();
    cache.store(
        c,
        &token(expire_in),
        now + Duration::from_secs(refresh_in),
        now + Duration::from_secs(expire_in),
    );
}

#[test]
fn round_trip_private_file_without_secret() {
    let dir = TempDir::new("rt");
    let cache = FileCache::new(dir.0.join("token.json"));
    let c = creds("read");
    {
        let _lock = cache.lock().unwrap();
        store(&cache, &c, 3000, 3600);
    }
    let t = cache.load(&c, &SystemClock).expect("loaded");
    assert_eq!(t.access_token(), "tok-123");
    assert_eq!(t.scope(), Some("read"));
    let left = t.lifetime().unwrap();
    assert!(
        left > Duration::from_secs(3590) && left <= Duration::from_secs(3600),
        "{left:?}"
    );
    let text = fs::read_to_string(dir.0.join("token.json")).unwrap();
    assert!(!text.contains("the-secret"), "{text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(dir.0.join("token.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn other_credentials_due_or_expired_are_ignored() {
    let dir = TempDir::new("key");
    let cache = FileCache::new(dir.0.join("token.json"));
    store(&cache, &creds("read"), 3000, 3600);
    assert!(cache.load(&creds("write"), &SystemClock).is_none());
    let other_id = Credentials::new("https://a.example/t", "id2", "s")
        .unwrap()
        .with_scope("read");
    assert!(cache.load(&other_id, &SystemClock).is_none());
    let other_param = creds("read").with_param("audience", "x");
    assert!(cache.load(&other_param, &SystemClock).is_none());
    store(&cache, &creds("read"), 0, 3600); // due for refresh now
    assert!(cache.load(&creds("read"), &SystemClock).is_none());
}

#[test]
fn corrupt_files_are_ignored() {
    let dir = TempDir::new("bad");
    let path = dir.0.join("token.json");
    let cache = FileCache::new(path.clone());
    let c = creds("read");
    store(&cache, &c, 3000, 3600);
    let good = fs::read_to_string(&path).unwrap();
    let write = |text: &str| {
        fs::write(&path, text).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        }
    };
    for bad in [
        &good[..good.len() / 2],
        "not json",
        "[]",
        "",
        &good.replace("\"version\":1", "\"version\":2"),
        &good.replace("tok-123", "tok 123"),
        &good.replace("\"expires_at\":", "\"expires_at\":-"),
    ] {
        write(bad);
        assert!(cache.load(&c, &SystemClock).is_none(), "{bad}");
    }
    write(&good);
    assert!(cache.load(&c, &SystemClock).is_some());
}

#[cfg(unix)]
#[test]
fn group_readable_file_is_ignored() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("mode");
    let path = dir.0.join("token.json");
    let cache = FileCache::new(path.clone());
    store(&cache, &creds("read"), 3000, 3600);
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
    assert!(cache.load(&creds("read"), &SystemClock).is_none());
}

#[cfg(unix)]
#[test]
fn world_writable_directory_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("ww");
    fs::set_permissions(&dir.0, fs::Permissions::from_mode(0o777)).unwrap();
    let e = FileCache::new(dir.0.join("token.json"))
        .lock()
        .err()
        .unwrap();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(e.to_string().contains("world-writable"), "{e}");
}
