use super::*;
use std::os::unix::fs::{chown, symlink, MetadataExt, PermissionsExt};

use crate::test_dirs::{is_root, skipped, TempDir};

#[test]
fn effective_uid_is_the_owner_of_a_new_file() {
    let dir = TempDir::new("uid");
    let p = dir.file("f", "", 0o600);
    assert_eq!(effective_uid().unwrap(), fs::metadata(p).unwrap().uid());
}

#[test]
fn private_file_is_read() {
    let dir = TempDir::new("ok");
    let p = dir.file("secret", "s3cret\n", 0o600);
    assert_eq!(read_secret_file(&p, Sharing::Private).unwrap(), "s3cret\n");
    let p = dir.file("ro", "s3cret", 0o400);
    assert_eq!(read_secret_file(&p, Sharing::Private).unwrap(), "s3cret");
}

#[test]
fn any_group_or_other_bit_is_refused_with_the_fix() {
    let dir = TempDir::new("modes");
    for mode in [0o644, 0o640, 0o604, 0o620, 0o602, 0o610, 0o601, 0o666] {
        let p = dir.file("secret", "s3cret", mode);
        let e = read_secret_file(&p, Sharing::Private).unwrap_err();
        let shown = e.to_string();
        assert!(shown.contains(&format!("{mode:04o}")), "{shown}");
        assert!(
            shown.contains(&format!("chmod 600 {}", p.display())),
            "{shown}"
        );
        assert!(!shown.contains("s3cret"));
    }
}

#[test]
fn named_files_may_be_symbolic_links() {
    let dir = TempDir::new("link");
    let real = dir.file("real", "s3cret", 0o600);
    let link = dir.0.join("link");
    symlink(&real, &link).unwrap();
    assert_eq!(read_secret_file(&link, Sharing::Private).unwrap(), "s3cret");
    // The rules apply to the target.
    fs::set_permissions(&real, fs::Permissions::from_mode(0o644)).unwrap();
    assert!(read_secret_file(&link, Sharing::Private).is_err());
}

#[test]
fn directory_and_fifo_are_refused_without_blocking() {
    let dir = TempDir::new("kinds");
    let e = read_secret_file(&dir.0, Sharing::Private).unwrap_err();
    assert!(e.to_string().contains("is a directory"), "{e}");
    let fifo = dir.0.join("fifo");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let e = read_secret_file(&fifo, Sharing::Private).unwrap_err();
    assert!(e.to_string().contains("is a FIFO"), "{e}");
}

#[test]
fn too_large_and_not_utf8_are_refused() {
    let dir = TempDir::new("size");
    let big = "x".repeat(MAX_FILE_BYTES as usize + 1);
    let p = dir.file("big", &big, 0o600);
    let e = read_secret_file(&p, Sharing::Private).unwrap_err();
    assert!(e.to_string().contains("larger than"), "{e}");
    let p = dir.0.join("latin1");
    fs::write(&p, b"s\xe9cret").unwrap();
    fs::set_permissions(&p, fs::Permissions::from_mode(0o600)).unwrap();
    let e = read_secret_file(&p, Sharing::Private).unwrap_err();
    assert!(e.to_string().contains("not valid UTF-8"), "{e}");
}

#[test]
fn files_of_other_users_are_refused_as_root() {
    if !is_root() {
        skipped("files_of_other_users_are_refused_as_root: needs root");
        return;
    }
    let dir = TempDir::new("owner");
    let p = dir.file("secret", "s3cret", 0o600);
    chown(&p, Some(65534), Some(65534)).unwrap();
    let e = read_secret_file(&p, Sharing::Private).unwrap_err();
    let shown = e.to_string();
    assert!(shown.contains("owned by uid 65534"), "{shown}");
    assert!(shown.contains("not by you (uid 0) or root"), "{shown}");
}

#[test]
fn root_read_only_files_may_be_world_readable_only_when_allowed() {
    if !is_root() {
        skipped("root_read_only_files_may_be_world_readable_only_when_allowed: needs root");
        return;
    }
    let dir = TempDir::new("rootro");
    let p = dir.file("token", "jwt", 0o644);
    assert_eq!(read_secret_file(&p, Sharing::RootReadOnly).unwrap(), "jwt");
    assert!(read_secret_file(&p, Sharing::Private).is_err());
    // Writable by group: refused even then.
    fs::set_permissions(&p, fs::Permissions::from_mode(0o664)).unwrap();
    assert!(read_secret_file(&p, Sharing::RootReadOnly).is_err());
    // Owned by another user and world-readable: refused.
    fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
    chown(&p, Some(65534), None).unwrap();
    assert!(read_secret_file(&p, Sharing::RootReadOnly).is_err());
}

#[test]
fn write_atomically_creates_mode_600_and_replaces() {
    let dir = TempDir::new("atomic");
    let p = dir.0.join("cache");
    write_atomically(&p, b"one", 1).unwrap();
    assert_eq!(fs::metadata(&p).unwrap().mode() & 0o777, 0o600);
    write_atomically(&p, b"two", 2).unwrap();
    assert_eq!(fs::read(&p).unwrap(), b"two");
    let names: Vec<_> = fs::read_dir(&dir.0).unwrap().collect();
    assert_eq!(names.len(), 1, "no temporary file left behind");
}
