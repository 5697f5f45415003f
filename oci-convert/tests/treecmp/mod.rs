//! Helpers of the build and diff tests: a sample tree with every kind of
//! file, a snapshot of a tree's metadata and content for comparisons, and
//! images made of our layers for `umoci unpack`.

#![allow(dead_code)] // each test file uses a different part
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

#[path = "../../../oci-image/tests/support/mod.rs"]
pub mod peers;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::Path;
use std::process::Command;

use oci_image::{Descriptor, ImageConfiguration, ImageManifest, Platform};
use oci_layout::{Layout, StoredLayer};
use rustix::fs::{FileType, Mode};
use sha2::Digest as _;

/// One file as the tests compare it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub kind: &'static str,
    /// Octal, for readable messages.
    pub mode: String,
    pub uid: u32,
    pub gid: u32,
    /// Regular files only.
    pub size: u64,
    /// Symlinks: the target; regular files: the sha256 of the content.
    pub data: String,
    /// Seconds; `None` for directories (their mtime moves as entries are
    /// created in them) unless asked.
    pub mtime: Option<i64>,
}

/// A tree's files by relative path, and its hardlink groups (paths
/// sharing an inode, for non-directories with more than one link).
#[derive(Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub nodes: BTreeMap<String, Node>,
    pub links: Vec<Vec<String>>,
}

pub fn sha256(bytes: &[u8]) -> String {
    let hash = sha2::Sha256::digest(bytes);
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// The snapshot of everything under `root` (not `root` itself).
pub fn snapshot(root: &Path) -> Snapshot {
    let mut nodes = BTreeMap::new();
    let mut inodes: BTreeMap<(u64, u64), Vec<String>> = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let meta = fs::symlink_metadata(&path).unwrap();
            let ft = meta.file_type();
            let (kind, data) = if ft.is_dir() {
                stack.push(path.clone());
                ("dir", String::new())
            } else if ft.is_symlink() {
                (
                    "symlink",
                    fs::read_link(&path).unwrap().to_string_lossy().into_owned(),
                )
            } else if ft.is_file() {
                ("file", sha256(&fs::read(&path).unwrap()))
            } else {
                use std::os::unix::fs::FileTypeExt as _;
                if ft.is_fifo() {
                    ("fifo", String::new())
                } else if ft.is_char_device() {
                    ("char", format!("{}", meta.rdev()))
                } else if ft.is_block_device() {
                    ("block", format!("{}", meta.rdev()))
                } else {
                    ("socket", String::new())
                }
            };
            if !ft.is_dir() && meta.nlink() > 1 {
                inodes
                    .entry((meta.dev(), meta.ino()))
                    .or_default()
                    .push(rel.clone());
            }
            nodes.insert(
                rel,
                Node {
                    kind,
                    mode: format!("{:o}", meta.permissions().mode() & 0o7777),
                    uid: meta.uid(),
                    gid: meta.gid(),
                    size: if ft.is_file() { meta.len() } else { 0 },
                    data,
                    mtime: (!ft.is_dir()).then_some(meta.mtime()),
                },
            );
        }
    }
    let mut links: Vec<Vec<String>> = inodes
        .into_values()
        .filter(|v| v.len() > 1)
        .map(|mut v| {
            v.sort();
            v
        })
        .collect();
    links.sort();
    Snapshot { nodes, links }
}

/// Asserts that two snapshots agree, naming each path that differs.
pub fn assert_same(expected: &Snapshot, found: &Snapshot, what: &str) {
    let mut problems = Vec::new();
    for (path, want) in &expected.nodes {
        match found.nodes.get(path) {
            None => problems.push(format!("{path}: missing")),
            Some(got) if got != want => {
                problems.push(format!("{path}: expected {want:?}, found {got:?}"))
            }
            Some(_) => {}
        }
    }
    for path in found.nodes.keys() {
        if !expected.nodes.contains_key(path) {
            problems.push(format!("{path}: unexpected"));
        }
    }
    if expected.links != found.links {
        problems.push(format!(
            "hardlinks: expected {:?}, found {:?}",
            expected.links, found.links
        ));
    }
    assert!(problems.is_empty(), "{what}:\n  {}", problems.join("\n  "));
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

pub fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

/// Sets the mtime of `path` (not following a symlink) to `secs`.
pub fn set_mtime(path: &Path, secs: i64) {
    let t = rustix::fs::Timestamps {
        last_access: rustix::fs::Timespec {
            tv_sec: secs,
            tv_nsec: 0,
        },
        last_modification: rustix::fs::Timespec {
            tv_sec: secs,
            tv_nsec: 0,
        },
    };
    rustix::fs::utimensat(
        rustix::fs::CWD,
        path,
        &t,
        rustix::fs::AtFlags::SYMLINK_NOFOLLOW,
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
    chmod(&root.join("setuid"), 0o4755);
    fs::write(root.join("owned"), b"mine\n").unwrap();
    std::os::unix::fs::chown(root.join("owned"), Some(1234), Some(1234)).unwrap();
    chmod(&root.join("nested/a"), 0o750);
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
        eprintln!("SKIPPED xattr part: the temp file system refuses user xattrs");
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

/// Stores an image of `layers` (linux/amd64) in `layout` and tags it.
pub fn image(layout: &Layout, tag: &str, layers: &[StoredLayer]) -> Descriptor {
    let platform: Platform = "linux/amd64".parse().unwrap();
    let mut config = ImageConfiguration::for_platform(&platform);
    let mut manifest = ImageManifest::default();
    for layer in layers {
        config.rootfs.diff_ids.push(layer.diff_id.clone());
        manifest.layers.push(layer.descriptor.clone());
    }
    manifest.config = layout.put_json(&config).unwrap();
    let descriptor = layout.put_json(&manifest).unwrap().with_platform(platform);
    layout.tag(tag, &descriptor).unwrap();
    descriptor
}

/// `umoci unpack --image LAYOUT:TAG BUNDLE`; the bundle's rootfs path.
pub fn umoci_unpack(layout: &Path, tag: &str, bundle: &Path) -> std::path::PathBuf {
    let image = format!("{}:{tag}", layout.display());
    peers::run(
        Command::new("umoci")
            .args(["unpack", "--image", &image])
            .arg(bundle),
    );
    bundle.join("rootfs")
}

/// `tar -tvf` of `tar` (numeric owners, full UTC times), whitespace
/// collapsed.
pub fn gnu_tar_listing(tar: &[u8]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("layer.tar");
    fs::write(&path, tar).unwrap();
    let out = peers::run(
        Command::new("tar")
            .args(["--numeric-owner", "--full-time", "-tvf"])
            .arg(&path)
            .env("TZ", "UTC")
            .env("LC_ALL", "C"),
    );
    String::from_utf8_lossy(&out)
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
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
