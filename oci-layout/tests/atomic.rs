//! `AtomicFile` and `write_atomic`: the one crash-safe file replacement of
//! the toolkit (oci-layout/src/atomic.rs).

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::sync::Barrier;

use ocikit_layout::{AtomicFile, Error, write_atomic};

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Threads of one process replacing the same file at once: every write
/// succeeds, the file ends up whole (one writer's content, not a mix), and no
/// temporary file is left. A fixed temporary name per process (what
/// ocikit-convert's own write_atomic used before) fails this: one thread
/// removes or renames the other's file in the middle of its write.
#[test]
fn concurrent_writers_of_one_file_each_succeed_and_leave_it_whole() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("config.json");
    const THREADS: usize = 8;
    const ROUNDS: usize = 40;
    let barrier = Barrier::new(THREADS);
    let content = |t: usize, r: usize| vec![b'a' + (t * ROUNDS + r) as u8 % 26; 64 << 10];
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (barrier, target) = (&barrier, &target);
            s.spawn(move || {
                barrier.wait();
                for r in 0..ROUNDS {
                    write_atomic(target, &content(t, r))
                        .unwrap_or_else(|e| panic!("thread {t}, round {r}: {e}"));
                }
            });
        }
    });
    let end = fs::read(&target).unwrap();
    assert_eq!(end.len(), 64 << 10);
    assert!(end.iter().all(|&b| b == end[0]), "a mix of two writes");
    assert_eq!(names(dir.path()), ["config.json"]);
}

#[test]
fn nothing_is_visible_before_the_commit_and_a_drop_leaves_the_old_file() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("index.json");
    fs::write(&target, b"old").unwrap();

    let mut file = AtomicFile::create(&target).unwrap();
    file.write_all(b"new content").unwrap();
    assert_eq!(fs::read(&target).unwrap(), b"old");
    assert_eq!(
        names(dir.path()).len(),
        2,
        "the temporary file is beside it"
    );
    drop(file);
    assert_eq!(fs::read(&target).unwrap(), b"old");
    assert_eq!(names(dir.path()), ["index.json"]);

    let mut file = AtomicFile::create(&target).unwrap();
    file.write_all(b"new content").unwrap();
    file.commit().unwrap();
    assert_eq!(fs::read(&target).unwrap(), b"new content");
    assert_eq!(names(dir.path()), ["index.json"]);
}

#[test]
fn a_missing_directory_is_named_by_the_target_not_the_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("missing/out.tar");
    let err = AtomicFile::create(&target).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert_eq!(
        msg,
        format!(
            "create a temporary file for {}: No such file or directory (os error 2)",
            target.display()
        )
    );
}

#[test]
fn the_mode_is_that_of_a_plain_create_unless_given() {
    let dir = tempfile::tempdir().unwrap();
    let umask = {
        let probe = dir.path().join("probe");
        fs::File::create(&probe).unwrap();
        0o666 & !fs::metadata(&probe).unwrap().permissions().mode()
    };
    let a = dir.path().join("a");
    write_atomic(&a, b"x").unwrap();
    assert_eq!(
        fs::metadata(&a).unwrap().permissions().mode() & 0o777,
        0o666 & !umask
    );
    let b = dir.path().join("b");
    let file = AtomicFile::create_with_mode(&b, 0o600).unwrap();
    file.commit().unwrap();
    assert_eq!(
        fs::metadata(&b).unwrap().permissions().mode() & 0o777,
        0o600
    );
}
