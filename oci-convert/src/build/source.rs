//! Reading the source tree without following symlinks: every lookup is an
//! `*at` call relative to the parent directory's file descriptor, with
//! `O_NOFOLLOW`, so a symlink swapped in during a walk is never entered.

use std::ffi::OsStr;
use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, CWD, FileType, Mode, OFlags, Stat};
use rustix::io::Errno;

use crate::{Error, Result, listing};

/// The metadata of one file, from `lstat`/`fstat`, in portable types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Meta {
    pub kind: FileType,
    pub dev: u64,
    pub ino: u64,
    pub nlink: u64,
    /// Permission bits with setuid, setgid and sticky.
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub rdev: u64,
    pub size: u64,
    pub mtime: (i64, u32),
    pub ctime: (i64, u32),
}

impl Meta {
    // The field types of `struct stat` differ between targets; the casts
    // are lossless on every Linux target.
    #[allow(clippy::unnecessary_cast, clippy::useless_conversion)]
    pub(crate) fn from_stat(st: &Stat) -> Meta {
        Meta {
            kind: FileType::from_raw_mode(st.st_mode as _),
            dev: st.st_dev as u64,
            ino: st.st_ino as u64,
            nlink: st.st_nlink as u64,
            mode: (st.st_mode as u32) & 0o7777,
            uid: st.st_uid as u32,
            gid: st.st_gid as u32,
            rdev: st.st_rdev as u64,
            size: u64::try_from(st.st_size).unwrap_or(0),
            mtime: (st.st_mtime as i64, st.st_mtime_nsec as u32),
            ctime: (st.st_ctime as i64, st.st_ctime_nsec as u32),
        }
    }
}

/// `root/rel` for messages (`rel` is relative, `/`-separated).
pub(crate) fn host_path(root: &Path, rel: &[u8]) -> PathBuf {
    if rel.is_empty() {
        root.to_path_buf()
    } else {
        root.join(OsStr::from_bytes(rel))
    }
}

/// `parent/name` as a layer path.
pub(crate) fn join(parent: &[u8], name: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(parent.len() + 1 + name.len());
    out.extend_from_slice(parent);
    if !parent.is_empty() {
        out.push(b'/');
    }
    out.extend_from_slice(name);
    out
}

fn io_err(action: &'static str, path: PathBuf) -> impl FnOnce(Errno) -> Error {
    move |e| Error::Io {
        action,
        path,
        source: io::Error::from(e),
    }
}

/// Opens the root directory of a walk (following `root` itself if it is a
/// symlink: the caller chose that path).
pub(crate) fn open_root(root: &Path) -> Result<OwnedFd> {
    rustix::fs::openat(
        CWD,
        root,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(io_err("open the directory", root.to_path_buf()))
}

/// The names in a directory, without `.` and `..`, sorted by their bytes.
pub(crate) fn read_names(dir: impl AsFd, path: &Path) -> Result<Vec<Vec<u8>>> {
    let mut names = listing::names(dir).map_err(io_err("read the directory", path.into()))?;
    names.sort_unstable();
    Ok(names)
}

/// `lstat` of `name` in `dir`.
pub(crate) fn lstat_at(dir: impl AsFd, name: &[u8], path: &Path) -> Result<Meta> {
    rustix::fs::statat(dir, name, AtFlags::SYMLINK_NOFOLLOW)
        .map(|st| Meta::from_stat(&st))
        .map_err(io_err("lstat", path.into()))
}

/// Opens `name` in `dir` for reading, never through a symlink; `directory`
/// asks for `O_DIRECTORY`. `O_NONBLOCK` keeps a FIFO swapped in for a file
/// from blocking the open; the caller checks the type with `fstat`.
pub(crate) fn open_at(
    dir: impl AsFd,
    name: &[u8],
    directory: bool,
    path: &Path,
) -> Result<OwnedFd> {
    let mut flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NOCTTY;
    if directory {
        flags |= OFlags::DIRECTORY;
    } else {
        flags |= OFlags::NONBLOCK;
    }
    rustix::fs::openat(dir, name, flags, Mode::empty()).map_err(io_err("open", path.into()))
}

/// `fstat` of an open file.
pub(crate) fn fstat(fd: impl AsFd, path: &Path) -> Result<Meta> {
    rustix::fs::fstat(fd)
        .map(|st| Meta::from_stat(&st))
        .map_err(io_err("fstat", path.into()))
}

/// The target of the symlink `name` in `dir`, byte for byte.
pub(crate) fn read_link_at(dir: impl AsFd, name: &[u8], path: &Path) -> Result<Vec<u8>> {
    rustix::fs::readlinkat(dir, name, Vec::new())
        .map(|target| target.into_bytes())
        .map_err(io_err("read the symlink", path.into()))
}

/// The extended attributes of an open file or directory, sorted by name.
/// A file system without xattrs (`ENOTSUP`) has none; an attribute
/// removed between listing and reading is skipped.
pub(crate) fn xattrs(fd: impl AsFd, path: &Path) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
    let fd = fd.as_fd();
    let names =
        listing::xattr_names(fd).map_err(io_err("list the extended attributes of", path.into()))?;
    let mut out = Vec::new();
    for name in names {
        match listing::read_sized(|buf| rustix::fs::fgetxattr(fd, &name, buf)) {
            Ok(value) => out.push((name, value)),
            Err(Errno::NODATA) => {}
            Err(e) => return Err(io_err("read an extended attribute of", path.into())(e)),
        }
    }
    out.sort();
    Ok(out)
}
