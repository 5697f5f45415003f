//! Deep trees: build, baseline and diff walk a tree thousands of levels
//! deep within a low open-file limit and a test thread's stack, and give
//! the entries in the same order as for any tree (a directory, then what
//! it holds, names in byte order).

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod support;

use std::os::fd::OwnedFd;
use std::path::Path;

use ocikit_convert::{Baseline, BuildOptions, diff, write_diff_tar, write_layer_tar};
use ocikit_test_support::bounds;
use rustix::fs::{AtFlags, CWD, Mode, OFlags};

/// The open-file limit the walks run under: far fewer descriptors than
/// the trees have levels.
const FD_LIMIT: u64 = 128;

fn open_dir(parent: &OwnedFd, name: &str) -> OwnedFd {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    rustix::fs::openat(parent, name, flags, Mode::empty()).unwrap()
}

fn write_at(dir: &OwnedFd, name: &str, content: &[u8]) {
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC | OFlags::CLOEXEC;
    let fd = rustix::fs::openat(dir, name, flags, Mode::from_raw_mode(0o644)).unwrap();
    rustix::io::write(&fd, content).unwrap();
}

/// The directory `depth` levels down the chain under `root`, reached one
/// level at a time (its path can be longer than PATH_MAX).
fn down(root: &Path, depth: usize) -> OwnedFd {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let mut dir = rustix::fs::openat(CWD, root, flags, Mode::empty()).unwrap();
    for _ in 0..depth {
        dir = open_dir(&dir, "d");
    }
    dir
}

/// A new directory `root` holding a chain `d/d/.../d` of `depth`
/// directories, with a file `f` in `root` and in each of them, made one
/// level at a time.
fn make_chain(depth: usize) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir(&root).unwrap();
    let mut at = down(&root, 0);
    for level in 0..=depth {
        write_at(&at, "f", format!("level {level}\n").as_bytes());
        if level < depth {
            rustix::fs::mkdirat(&at, "d", Mode::from_raw_mode(0o755)).unwrap();
            at = open_dir(&at, "d");
        }
    }
    (dir, root)
}

/// Removes what [`make_chain`] made, bottom up, one descriptor at a time
/// (a recursive removal would need one per level).
fn remove_chain(root: &Path, depth: usize) {
    let mut dir = down(root, depth);
    for _ in 0..depth {
        rustix::fs::unlinkat(&dir, "f", AtFlags::empty()).unwrap();
        let parent = open_dir(&dir, "..");
        rustix::fs::unlinkat(&parent, "d", AtFlags::REMOVEDIR).unwrap();
        dir = parent;
    }
}

/// `d/` repeated `n` times.
fn chain(n: usize) -> String {
    "d/".repeat(n)
}

/// The entry names of a tar stream, in order.
fn names(tar: &[u8]) -> Vec<String> {
    tar::Archive::new(tar)
        .entries()
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let mut name = e.path().unwrap().to_string_lossy().into_owned();
            if e.header().entry_type().is_dir() && !name.ends_with('/') {
                name.push('/');
            }
            name
        })
        .collect()
}

/// Runs `body` with the open-file limit lowered to [`FD_LIMIT`], in a
/// process of its own so that the tests beside it keep theirs.
fn with_low_fd_limit(body: impl FnOnce()) {
    if bounds::in_own_process() {
        bounds::with_fd_limit(FD_LIMIT, body);
    }
}

/// 2,000 levels, as deep as a layer can go (the deepest name, 4,001 bytes,
/// is under PATH_MAX): the build lists each directory right before what
/// it holds, all the way down, then the files on the way back up; the
/// diff of one changed file at the bottom carries every directory above
/// it.
#[test]
fn a_deep_tree_builds_and_diffs_in_order_within_a_low_fd_limit() {
    const DEPTH: usize = 2000;
    with_low_fd_limit(|| {
        let (_dir, root) = make_chain(DEPTH);
        let mut tar = Vec::new();
        let stats = write_layer_tar(&root, &mut tar, &BuildOptions::default()).unwrap();
        let mut expected: Vec<String> = (1..=DEPTH).map(chain).collect();
        expected.extend((0..=DEPTH).rev().map(|n| format!("{}f", chain(n))));
        assert_eq!(stats.entries, expected.len() as u64);
        assert!(
            names(&tar) == expected,
            "the build's entries are out of order"
        );

        let baseline = Baseline::record(&root).unwrap();
        assert_eq!(baseline.len(), 2 * DEPTH + 1);
        let bottom = root.join(format!("{}f", chain(DEPTH)));
        std::fs::write(&bottom, "changed at the bottom\n").unwrap();
        let changes = diff(&root, &baseline).unwrap();
        assert_eq!(changes.modified, [Path::new(&format!("{}f", chain(DEPTH)))]);
        assert!(changes.added.is_empty() && changes.deleted.is_empty());
        let mut tar = Vec::new();
        write_diff_tar(&root, &changes, &mut tar, &BuildOptions::default()).unwrap();
        let mut expected: Vec<String> = (1..=DEPTH).map(chain).collect();
        expected.push(format!("{}f", chain(DEPTH)));
        assert!(
            names(&tar) == expected,
            "the diff's entries are out of order"
        );

        remove_chain(&root, DEPTH);
    });
}

/// 4,000 levels, deeper than a layer can hold (paths of 8,000 bytes) but
/// not than a baseline can: recording and diffing it need no more
/// descriptors either.
#[test]
fn a_deeper_tree_is_recorded_and_diffed_within_a_low_fd_limit() {
    const DEPTH: usize = 4000;
    with_low_fd_limit(|| {
        let (_dir, root) = make_chain(DEPTH);
        let baseline = Baseline::record(&root).unwrap();
        assert_eq!(baseline.len(), 2 * DEPTH + 1);
        let deepest = format!("{}f", chain(DEPTH));
        assert!(baseline.contains(Path::new(&deepest)));
        // Through the parent's descriptor: the path is over PATH_MAX.
        write_at(&down(&root, DEPTH), "g", b"new at the bottom\n");
        let changes = diff(&root, &baseline).unwrap();
        // The new file, and its directory, whose mtime it changed.
        let added = format!("{}g", chain(DEPTH));
        assert_eq!(changes.added, [Path::new(&added)]);
        assert_eq!(
            changes.modified,
            [Path::new(chain(DEPTH).trim_end_matches('/'))]
        );

        rustix::fs::unlinkat(down(&root, DEPTH), "g", AtFlags::empty()).unwrap();
        remove_chain(&root, DEPTH);
    });
}
