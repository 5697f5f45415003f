//! Helpers of the build, diff and bundle tests: a sample tree with every
//! kind of file, a snapshot of a tree's metadata and content for
//! comparisons, and what umoci and GNU tar make of our layers.

use std::fs;
use std::path::Path;

use ocikit_test_support::{peers, skip};
use rustix::fs::{FileType, Mode};

use super::snapshot::{self, Snapshot};
use super::{set_mode, set_mtime};

/// The snapshot of a tree as these tests compare two (see
/// `support/snapshot.rs`): everything under `root` but `root` itself, with
/// no directory modification times (they move as entries are made in
/// them), and only `user.*` attributes (the others are the host's).
pub fn snapshot(root: &Path) -> Snapshot {
    let mut snap = Snapshot::take(root).keep_xattrs(|name| name.starts_with("user."));
    snap.nodes.remove(Path::new(""));
    for node in snap.nodes.values_mut() {
        if node.kind == snapshot::Kind::Dir {
            node.mtime = None;
        }
        if let Some((secs, _)) = node.mtime {
            node.mtime = Some((secs, 0)); // layers keep whole seconds
        }
    }
    snap
}

/// Asserts that two snapshots agree, naming each path that differs.
#[track_caller]
pub fn assert_same(expected: &Snapshot, found: &Snapshot, what: &str) {
    if let Some(difference) = expected.difference(found) {
        panic!("{what}:\n{difference}");
    }
}

/// Whether the file system under `dir` keeps `user.*` xattrs.
pub fn user_xattrs_work(dir: &Path) -> bool {
    let probe = dir.join(".xattr-probe");
    fs::write(&probe, b"").unwrap();
    let ok =
        rustix::fs::setxattr(&probe, "user.probe", b"1", rustix::fs::XattrFlags::empty()).is_ok();
    fs::remove_file(&probe).unwrap();
    ok
}

pub fn mkfifo(path: &Path) {
    rustix::fs::mknodat(
        rustix::fs::CWD,
        path,
        FileType::Fifo,
        Mode::from_raw_mode(0o644),
        0,
    )
    .unwrap();
}

/// The sample tree: files (empty, small, 1.5 MiB), nested directories,
/// symlinks (absolute, relative, dangling), a hardlink pair, a FIFO, a
/// setuid file, a file owned by 1234:1234, and `user.test` on `small.txt`
/// when the file system keeps user xattrs (returns whether it did).
pub fn sample_tree(root: &Path) -> bool {
    fs::create_dir_all(root.join("nested/a/b")).unwrap();
    fs::create_dir(root.join("links")).unwrap();
    fs::write(root.join("empty"), b"").unwrap();
    fs::write(root.join("small.txt"), b"hello, layer\n").unwrap();
    let mut big = Vec::with_capacity(1536 * 1024);
    let mut x: u64 = 0x9e3779b97f4a7c15;
    while big.len() < 1536 * 1024 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        big.extend_from_slice(&x.to_le_bytes());
    }
    fs::write(root.join("big.bin"), &big).unwrap();
    fs::write(root.join("nested/a/b/deep.txt"), b"deep\n").unwrap();
    std::os::unix::fs::symlink("/etc/passwd", root.join("links/abs")).unwrap();
    std::os::unix::fs::symlink("../small.txt", root.join("links/rel")).unwrap();
    std::os::unix::fs::symlink("nowhere/at/all", root.join("links/dangling")).unwrap();
    fs::write(root.join("hard1"), b"linked content\n").unwrap();
    fs::hard_link(root.join("hard1"), root.join("nested/hard2")).unwrap();
    mkfifo(&root.join("fifo"));
    fs::write(root.join("setuid"), b"#!/bin/sh\n").unwrap();
    set_mode(&root.join("setuid"), 0o4755);
    fs::write(root.join("owned"), b"mine\n").unwrap();
    std::os::unix::fs::chown(root.join("owned"), Some(1234), Some(1234)).unwrap();
    set_mode(&root.join("nested/a"), 0o750);
    let xattrs = user_xattrs_work(root);
    if xattrs {
        rustix::fs::setxattr(
            root.join("small.txt"),
            "user.test",
            b"value\0bin",
            rustix::fs::XattrFlags::empty(),
        )
        .unwrap();
    } else {
        skip::notice("its xattr part: the temp file system refuses user xattrs");
    }
    // Fixed times: the tests compare mtimes after a round trip.
    for rel in [
        "empty",
        "small.txt",
        "big.bin",
        "nested/a/b/deep.txt",
        "hard1",
        "fifo",
        "setuid",
        "owned",
    ] {
        set_mtime(&root.join(rel), 1_600_000_000);
    }
    for rel in ["links/abs", "links/rel", "links/dangling"] {
        set_mtime(&root.join(rel), 1_600_000_100);
    }
    xattrs
}

/// `umoci unpack --image LAYOUT:TAG BUNDLE`; the bundle's rootfs path.
pub fn umoci_unpack(layout: &Path, tag: &str, bundle: &Path) -> std::path::PathBuf {
    let image = format!("{}:{tag}", layout.display());
    peers::run(
        peers::command("umoci")
            .args(["unpack", "--image", &image])
            .arg(bundle),
    );
    bundle.join("rootfs")
}

/// Names, in order, of the entries of an uncompressed tar.
pub fn tar_names(tar: &[u8]) -> Vec<String> {
    let mut archive = tar::Archive::new(tar);
    archive
        .entries()
        .unwrap()
        .map(|e| String::from_utf8_lossy(&e.unwrap().path_bytes()).into_owned())
        .collect()
}
