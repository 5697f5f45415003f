//! The layout's directories opened as file descriptors. Whatever creates,
//! renames or removes a file under `blobs/` works through them: `blobs`
//! and `blobs/<alg>` are opened with `O_NOFOLLOW`, so that a symbolic link
//! there is refused by name ([`Error::SymlinkRefused`]) rather than
//! followed out of the layout, and each name is then created, renamed or
//! unlinked relative to the descriptor of the directory that was checked,
//! so that a link swapped in afterwards changes nothing. Reads open the
//! same directories following links (see the crate's `# Security`).

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStringExt as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ocikit_image::Digest;
use rustix::fs::{AtFlags, CWD, FileType, Mode, OFlags};
use rustix::io::Errno;

use crate::fsutil::{TEMP_PREFIX, unique_temp_name};
use crate::{Error, Layout, Result};

/// What a directory is opened for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Reading: a symbolic link is followed (a blob directory shared
    /// between layouts is read through its link).
    Read,
    /// Creating, changing or removing files in it: a symbolic link is
    /// refused, and the error names this action.
    Change(&'static str),
}

/// One open directory of the layout, with its path for messages.
#[derive(Debug)]
pub(crate) struct Dir {
    fd: OwnedFd,
    path: PathBuf,
}

/// A name's type, size and modification time, from `lstat`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FileInfo {
    pub(crate) kind: FileType,
    pub(crate) size: u64,
    /// The modification time: seconds and nanoseconds since 1970.
    pub(crate) modified: (i64, u32),
}

impl FileInfo {
    /// How long ago the file was last written, as of `now`; a time in the
    /// future counts as zero. Any time a file system holds gives an age,
    /// without overflow.
    pub(crate) fn age(&self, now: SystemTime) -> Duration {
        let nanos = |seconds: i128, nanos: u32| seconds * 1_000_000_000 + i128::from(nanos);
        let now = match now.duration_since(UNIX_EPOCH) {
            Ok(d) => nanos(i128::from(d.as_secs()), d.subsec_nanos()),
            Err(e) => -nanos(
                i128::from(e.duration().as_secs()),
                e.duration().subsec_nanos(),
            ),
        };
        let age = now - nanos(i128::from(self.modified.0), self.modified.1);
        Duration::from_nanos(u64::try_from(age.max(0)).unwrap_or(u64::MAX))
    }
}

fn io_error(action: &'static str, path: PathBuf) -> impl FnOnce(Errno) -> Error {
    move |errno| Error::io(action, path)(errno.into())
}

impl Dir {
    /// The layout's root directory, following its path: a link there was
    /// chosen by whoever named the layout, and the root is the layout's own
    /// directory wherever it is.
    pub(crate) fn root(path: &Path) -> Result<Dir> {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(CWD, path, flags, Mode::empty())
            .map_err(io_error("open directory", path.into()))?;
        Ok(Dir {
            fd,
            path: path.into(),
        })
    }

    /// The path of `name` in this directory, for messages.
    pub(crate) fn join(&self, name: impl AsRef<OsStr>) -> PathBuf {
        self.path.join(name.as_ref())
    }

    /// The directory `name` in this one, opened for `access`; `None` when
    /// there is no such name (or, for reading, a dangling link).
    ///
    /// # Errors
    ///
    /// [`Error::SymlinkRefused`] when `name` is a symbolic link and
    /// `access` is a change; [`Error::Io`] when it cannot be opened as a
    /// directory.
    pub(crate) fn open(&self, name: impl AsRef<OsStr>, access: Access) -> Result<Option<Dir>> {
        let name = name.as_ref();
        let mut flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
        if let Access::Change(_) = access {
            flags |= OFlags::NOFOLLOW;
        }
        match rustix::fs::openat(&self.fd, name, flags, Mode::empty()) {
            Ok(fd) => Ok(Some(Dir {
                fd,
                path: self.join(name),
            })),
            Err(Errno::NOENT) => Ok(None),
            Err(e) => Err(self
                .refuse_link(name, access)
                .unwrap_or_else(|| io_error("open directory", self.join(name))(e))),
        }
    }

    /// The directory `name` in this one, created when missing (its entry
    /// made durable), opened for the change `action`.
    ///
    /// # Errors
    ///
    /// As [`Dir::open`]; [`Error::Io`] when it cannot be created.
    pub(crate) fn create_dir(&self, name: &str, action: &'static str) -> Result<Dir> {
        if let Some(dir) = self.open(name, Access::Change(action))? {
            return Ok(dir);
        }
        match rustix::fs::mkdirat(&self.fd, name, Mode::from_raw_mode(0o777)) {
            Ok(()) => self.sync()?,
            Err(Errno::EXIST) => {} // made by another writer meanwhile
            Err(e) => return Err(io_error("create directory", self.join(name))(e)),
        }
        self.open(name, Access::Change(action))?
            .ok_or_else(|| io_error("open directory", self.join(name))(Errno::NOENT))
    }

    /// [`Error::SymlinkRefused`] when `name` is a symbolic link and
    /// `access` a change.
    fn refuse_link(&self, name: &OsStr, access: Access) -> Option<Error> {
        let Access::Change(action) = access else {
            return None;
        };
        let target = rustix::fs::readlinkat(&self.fd, name, Vec::new()).ok()?;
        Some(Error::SymlinkRefused {
            path: self.join(name),
            target: PathBuf::from(OsString::from_vec(target.into_bytes())),
            action,
        })
    }

    /// The names in the directory, without `.` and `..`, in no order.
    pub(crate) fn names(&self) -> Result<Vec<OsString>> {
        let failed = || io_error("read directory", self.path.clone());
        let mut names = Vec::new();
        for entry in rustix::fs::Dir::read_from(&self.fd).map_err(failed())? {
            let name = entry.map_err(failed())?.file_name().to_bytes().to_vec();
            if name != b"." && name != b".." {
                names.push(OsString::from_vec(name));
            }
        }
        Ok(names)
    }

    /// The type, size and time of `name`, not following a link; `None`
    /// when there is no such name.
    // The field types of `struct stat` differ between targets; the casts
    // are lossless on every Linux target.
    #[allow(clippy::unnecessary_cast, clippy::useless_conversion)]
    pub(crate) fn info(&self, name: &OsStr) -> Result<Option<FileInfo>> {
        let stat = match rustix::fs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(stat) => stat,
            Err(Errno::NOENT) => return Ok(None),
            Err(e) => return Err(io_error("stat", self.join(name))(e)),
        };
        Ok(Some(FileInfo {
            kind: FileType::from_raw_mode(stat.st_mode as _),
            size: u64::try_from(stat.st_size).unwrap_or(0),
            modified: (stat.st_mtime as i64, stat.st_mtime_nsec as u32),
        }))
    }

    /// Whether `name` is a directory or a symbolic link to one.
    fn reaches_dir(&self, name: &OsStr) -> bool {
        rustix::fs::statat(&self.fd, name, AtFlags::empty())
            .is_ok_and(|stat| FileType::from_raw_mode(stat.st_mode as _) == FileType::Directory)
    }

    /// A new file, at a name no other writer uses, opened for writing.
    pub(crate) fn create_temp(&self, purpose: &str) -> Result<(File, OsString)> {
        let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::CLOEXEC;
        loop {
            let name = OsString::from(unique_temp_name(purpose));
            match rustix::fs::openat(&self.fd, &name, flags, Mode::from_raw_mode(0o666)) {
                Ok(fd) => return Ok((File::from(fd), name)),
                Err(Errno::EXIST) => continue,
                Err(e) => return Err(io_error("create", self.join(&name))(e)),
            }
        }
    }

    /// Opens the existing file `name` for writing (its time, say), never
    /// through a symbolic link and without blocking on a FIFO; `None` when
    /// there is no such name or it is a link.
    pub(crate) fn open_for_write(&self, name: &str) -> Result<Option<File>> {
        let flags = OFlags::WRONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
        match rustix::fs::openat(&self.fd, name, flags, Mode::empty()) {
            Ok(fd) => Ok(Some(File::from(fd))),
            Err(Errno::NOENT | Errno::LOOP) => Ok(None),
            Err(e) => Err(io_error("open", self.join(name))(e)),
        }
    }

    /// Removes the file (or symbolic link) `name`; `false` when there was
    /// none.
    pub(crate) fn remove_file(&self, name: impl AsRef<OsStr>) -> Result<bool> {
        let name = name.as_ref();
        match rustix::fs::unlinkat(&self.fd, name, AtFlags::empty()) {
            Ok(()) => Ok(true),
            Err(Errno::NOENT) => Ok(false),
            Err(e) => Err(io_error("remove", self.join(name))(e)),
        }
    }

    /// Renames `from` in this directory to `to` in `dir`, replacing what
    /// is there.
    pub(crate) fn rename(&self, from: &OsStr, dir: &Dir, to: &str) -> Result<()> {
        rustix::fs::renameat(&self.fd, from, &dir.fd, to)
            .map_err(io_error("rename into", dir.join(to)))
    }

    /// Flushes the directory's entries (a rename or a new name in it).
    pub(crate) fn sync(&self) -> Result<()> {
        rustix::fs::fsync(&self.fd).map_err(io_error("fsync", self.path.clone()))
    }
}

/// The layout's root, `blobs/` and the algorithm directories in it, all
/// opened for one [`Access`]: for a change, before anything is changed, so
/// that a link anywhere among them stops the change before it starts.
#[derive(Debug)]
pub(crate) struct BlobDirs {
    pub(crate) root: Dir,
    pub(crate) blobs: Dir,
    /// Each directory of `blobs/` (or, for reading, link to one), with its
    /// name: the digest algorithm of the blobs in it.
    pub(crate) algorithms: Vec<(String, Dir)>,
}

impl BlobDirs {
    /// Opens the directories of `layout` for `access`.
    ///
    /// # Errors
    ///
    /// [`Error::SymlinkRefused`] for a change when `blobs` or one of its
    /// directories is a symbolic link (to a directory: a link to a file is
    /// no algorithm directory, and is left alone); [`Error::Io`] when one
    /// cannot be opened or read.
    pub(crate) fn open(layout: &Layout, access: Access) -> Result<BlobDirs> {
        let root = Dir::root(layout.path())?;
        let blobs = layout.blobs_dir_in(&root, access)?;
        let mut algorithms = Vec::new();
        for name in blobs.names()? {
            let is_dir = match blobs.info(&name)? {
                Some(info) if info.kind == FileType::Directory => true,
                Some(info) if info.kind == FileType::Symlink => blobs.reaches_dir(&name),
                _ => false,
            };
            if !is_dir {
                continue;
            }
            if let Some(dir) = blobs.open(&name, access)? {
                algorithms.push((name.to_string_lossy().into_owned(), dir));
            }
        }
        algorithms.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(BlobDirs {
            root,
            blobs,
            algorithms,
        })
    }

    /// Every blob file: each name in an algorithm directory that parses,
    /// with the directory's name, as a digest; with the directory and the
    /// name, in no order.
    pub(crate) fn blobs(&self) -> Result<Vec<(Digest, &Dir, OsString)>> {
        let mut found = Vec::new();
        for (algorithm, dir) in &self.algorithms {
            for name in dir.names()? {
                let digest = format!("{algorithm}:{}", name.to_string_lossy());
                if let Ok(digest) = digest.parse::<Digest>() {
                    found.push((digest, dir, name));
                }
            }
        }
        Ok(found)
    }

    /// The temporary files this crate creates: `.tmp-*` in `blobs/` (blob
    /// writers) and in the layout's root (`index.json` replacements), with
    /// their directories, sorted by path.
    pub(crate) fn temp_files(&self) -> Result<Vec<(&Dir, OsString)>> {
        let mut found = Vec::new();
        for dir in [&self.blobs, &self.root] {
            for name in dir.names()? {
                if name.to_string_lossy().starts_with(TEMP_PREFIX) {
                    found.push((dir, name));
                }
            }
        }
        found.sort_by_key(|(dir, name)| dir.join(name));
        Ok(found)
    }
}

impl Layout {
    /// The blobs directory, opened for `access`.
    ///
    /// # Errors
    ///
    /// As [`Dir::open`]; [`Error::Io`] when there is none.
    pub(crate) fn blobs_dir(&self, access: Access) -> Result<Dir> {
        self.blobs_dir_in(&Dir::root(self.path())?, access)
    }

    /// The directory of the blobs of `digest`'s algorithm, opened for the
    /// change `action`; `None` when there is none.
    ///
    /// # Errors
    ///
    /// As [`Dir::open`], for `blobs` and the algorithm directory.
    pub(crate) fn algorithm_dir_to_change(
        &self,
        digest: &Digest,
        action: &'static str,
    ) -> Result<Option<Dir>> {
        let access = Access::Change(action);
        self.blobs_dir(access)?
            .open(digest.algorithm().as_str(), access)
    }

    fn blobs_dir_in(&self, root: &Dir, access: Access) -> Result<Dir> {
        root.open(Self::BLOBS_DIR, access)?
            .ok_or_else(|| io_error("open directory", self.blobs_path())(Errno::NOENT))
    }
}
