//! A snapshot of a directory tree (names, types, modes, owners, sizes,
//! contents, link targets, device numbers, xattrs, times, hardlink groups)
//! and a readable difference of two, to compare two roots or one root
//! before and after an apply.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _};
use std::path::{Path, PathBuf};

use ocikit_test_support::bytes::sha256_hex;

/// What a node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link.
    Symlink,
    /// A named pipe.
    Fifo,
    /// A character device.
    Char,
    /// A block device.
    Block,
    /// A socket.
    Socket,
}

/// One file of a tree, as far as a layer can say it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// Its type.
    pub kind: Kind,
    /// Permission bits with setuid, setgid and sticky.
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Size in bytes (regular files only, 0 otherwise).
    pub size: u64,
    /// sha256 of the content (regular files only).
    pub content: Option<String>,
    /// The target, verbatim (symlinks only).
    pub target: Option<PathBuf>,
    /// major:minor (devices only).
    pub rdev: Option<(u32, u32)>,
    /// Extended attributes.
    pub xattrs: BTreeMap<String, Vec<u8>>,
    /// Modification time (seconds, nanoseconds), unless left out.
    pub mtime: Option<(i64, i64)>,
    /// Change time, only in the snapshots that ask for it.
    pub ctime: Option<(i64, i64)>,
    /// For a file with other names in the same tree: the first of its
    /// names in sorted order (the group's label).
    pub link_group: Option<PathBuf>,
}

/// Every node under a directory, by path relative to it (the directory
/// itself is the empty path).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Snapshot {
    /// The nodes.
    pub nodes: BTreeMap<PathBuf, Node>,
}

impl Snapshot {
    /// Everything under `dir` (and `dir` itself), symlinks not followed.
    pub fn take(dir: &Path) -> Snapshot {
        Snapshot::take_inner(dir, false, None)
    }

    /// Everything under `dir` but the subtree `skip` (relative), with
    /// change times: what must not change beside a root.
    pub fn take_outside(dir: &Path, skip: &str) -> Snapshot {
        Snapshot::take_inner(dir, true, Some(Path::new(skip)))
    }

    fn take_inner(dir: &Path, ctime: bool, skip: Option<&Path>) -> Snapshot {
        let mut nodes = BTreeMap::new();
        let mut inodes: BTreeMap<(u64, u64), Vec<PathBuf>> = BTreeMap::new();
        // Iterative: a layer can make trees deeper than a thread's stack.
        let mut pending = vec![PathBuf::new()];
        while let Some(rel) = pending.pop() {
            if skip.is_some_and(|skip| rel == skip) {
                continue;
            }
            let is_dir = visit(dir, &rel, ctime, &mut nodes, &mut inodes);
            if is_dir {
                let path = dir.join(&rel);
                let mut names: Vec<_> = std::fs::read_dir(&path)
                    .unwrap_or_else(|e| panic!("read_dir {}: {e}", path.display()))
                    .map(|e| e.unwrap().file_name())
                    .collect();
                names.sort();
                pending.extend(names.into_iter().rev().map(|name| rel.join(name)));
            }
        }
        for paths in inodes.values().filter(|paths| paths.len() > 1) {
            let label = paths.iter().min().unwrap().clone();
            for p in paths {
                nodes.get_mut(p).unwrap().link_group = Some(label.clone());
            }
        }
        Snapshot { nodes }
    }

    /// The node at `rel`.
    #[track_caller]
    pub fn get(&self, rel: &str) -> &Node {
        self.nodes
            .get(Path::new(rel))
            .unwrap_or_else(|| panic!("{rel:?} is not in the snapshot: {:?}", self.paths()))
    }

    /// The relative paths, sorted.
    pub fn paths(&self) -> Vec<String> {
        self.nodes
            .keys()
            .map(|p| p.to_string_lossy().into_owned())
            .collect()
    }

    /// This snapshot without modification times.
    pub fn without_mtimes(mut self) -> Snapshot {
        for node in self.nodes.values_mut() {
            node.mtime = None;
        }
        self
    }

    /// This snapshot with only the xattrs for which `keep` says yes.
    pub fn keep_xattrs(mut self, keep: impl Fn(&str) -> bool) -> Snapshot {
        for node in self.nodes.values_mut() {
            node.xattrs.retain(|name, _| keep(name));
        }
        self
    }

    /// This snapshot without the node at `rel` (not its children).
    pub fn without(mut self, rel: &str) -> Snapshot {
        self.nodes.remove(Path::new(rel));
        self
    }

    /// `None` when both are equal; otherwise a list of the paths only in
    /// one, and for each path in both that differs, both nodes.
    pub fn difference(&self, other: &Snapshot) -> Option<String> {
        if self == other {
            return None;
        }
        let mut out = String::new();
        for (path, node) in &self.nodes {
            match other.nodes.get(path) {
                None => writeln!(out, "  only before/left: {} {node:?}", path.display()).unwrap(),
                Some(o) if o != node => writeln!(
                    out,
                    "  differs: {}\n    left:  {node:?}\n    right: {o:?}",
                    path.display()
                )
                .unwrap(),
                Some(_) => {}
            }
        }
        for (path, node) in &other.nodes {
            if !self.nodes.contains_key(path) {
                writeln!(out, "  only after/right: {} {node:?}", path.display()).unwrap();
            }
        }
        Some(out)
    }
}

/// Records the node at `rel` under `base`; whether it is a directory.
fn visit(
    base: &Path,
    rel: &Path,
    ctime: bool,
    nodes: &mut BTreeMap<PathBuf, Node>,
    inodes: &mut BTreeMap<(u64, u64), Vec<PathBuf>>,
) -> bool {
    let path = base.join(rel);
    let meta = std::fs::symlink_metadata(&path)
        .unwrap_or_else(|e| panic!("lstat {}: {e}", path.display()));
    let ft = meta.file_type();
    let kind = if ft.is_file() {
        Kind::File
    } else if ft.is_dir() {
        Kind::Dir
    } else if ft.is_symlink() {
        Kind::Symlink
    } else if ft.is_fifo() {
        Kind::Fifo
    } else if ft.is_char_device() {
        Kind::Char
    } else if ft.is_block_device() {
        Kind::Block
    } else {
        Kind::Socket
    };
    let content = (kind == Kind::File).then(|| {
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
        sha256_hex(&bytes)
    });
    let target = (kind == Kind::Symlink).then(|| std::fs::read_link(&path).unwrap());
    let rdev = matches!(kind, Kind::Char | Kind::Block).then(|| {
        let dev = meta.rdev();
        (rustix::fs::major(dev), rustix::fs::minor(dev))
    });
    let xattrs = xattr_names(&path)
        .into_iter()
        .map(|name| {
            let value = xattr(&path, &name).unwrap_or_default();
            (name, value)
        })
        .collect();
    let node = Node {
        kind,
        mode: meta.mode() & 0o7777,
        uid: meta.uid(),
        gid: meta.gid(),
        size: if kind == Kind::File { meta.len() } else { 0 },
        content,
        target,
        rdev,
        xattrs,
        mtime: Some((meta.mtime(), meta.mtime_nsec())),
        ctime: ctime.then(|| (meta.ctime(), meta.ctime_nsec())),
        link_group: None,
    };
    if kind != Kind::Dir && meta.nlink() > 1 {
        inodes
            .entry((meta.dev(), meta.ino()))
            .or_default()
            .push(rel.to_path_buf());
    }
    nodes.insert(rel.to_path_buf(), node);
    kind == Kind::Dir
}

/// The value of the xattr `name` of `path` (not following a symlink), or
/// `None` when it has none.
pub fn xattr(path: &Path, name: &str) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; 65536];
    match rustix::fs::lgetxattr(path, name, &mut buf[..]) {
        Ok(n) => Some(buf[..n].to_vec()),
        Err(rustix::io::Errno::NODATA) => None,
        Err(e) => panic!("lgetxattr {} {name}: {e}", path.display()),
    }
}

/// The xattr names of `path`, not following a symlink, sorted.
pub fn xattr_names(path: &Path) -> Vec<String> {
    let mut buf = vec![0u8; 65536];
    let n = match rustix::fs::llistxattr(path, &mut buf[..]) {
        Ok(n) => n,
        Err(rustix::io::Errno::NOTSUP) => 0,
        Err(e) => panic!("llistxattr {}: {e}", path.display()),
    };
    let mut names: Vec<String> = buf[..n]
        .split(|&b| b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect();
    names.sort();
    names
}
