//! Directory bookkeeping of one apply: what the layer wrote (known by
//! directory inode and name, for its whiteouts), the modes and times of the
//! directories it lists (set when it is done, so that later entries cannot
//! disturb them), and the times of the directories it changes without
//! listing them (set back, as umoci does).

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::rc::Rc;

use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;

use super::entry::{Applier, CachedParent, failed};
use super::meta::{Meta, Target, Time};
use crate::root::{self, join};
use crate::{Applied, Result};

/// The modes and times of a directory, set when the layer is done.
#[derive(Debug, Clone, Copy)]
pub(super) struct DirMeta {
    pub(super) mode: u32,
    pub(super) atime: Time,
    pub(super) mtime: Time,
}

/// A file's identity: device and inode numbers.
pub(super) type Inode = (u64, u64);

/// The [`Inode`] of a stat result.
pub(super) fn inode(stat: &rustix::fs::Stat) -> Inode {
    (stat.st_dev, stat.st_ino)
}

impl Applier<'_> {
    /// Sets the deferred directory modes and times, deepest first, and
    /// reports what the apply did.
    pub(super) fn finish(mut self) -> Result<Applied> {
        let dirs = std::mem::take(&mut self.dirs);
        for (path, meta) in dirs.iter().rev() {
            let shown = String::from_utf8_lossy(path).into_owned();
            let components = root::split(path);
            let fd = match components.split_last() {
                None => root::open_dir(self.root.fd(), c"."),
                Some((name, parents)) => match self
                    .root
                    .find_dir(parents)
                    .map_err(failed(&shown, "open the parent directory"))?
                {
                    Some(parent) => root::open_dir(&parent, *name),
                    None => continue,
                },
            };
            let fd = match fd {
                Ok(fd) => fd,
                // Replaced by a later entry of the layer: nothing to set.
                Err(Errno::NOENT | Errno::NOTDIR | Errno::LOOP) => continue,
                Err(e) => return Err(failed(&shown, "open the directory")(e)),
            };
            Meta::mode(Target::Fd(fd.as_fd()), meta.mode)
                .map_err(failed(&shown, "set the mode"))?;
            Meta::times(Target::Fd(fd.as_fd()), meta.atime, meta.mtime)
                .map_err(failed(&shown, "set the times"))?;
        }
        self.restore_kept_times()?;
        Ok(Applied {
            entries: self.entries,
            warnings: self.meta.warnings,
            ..Applied::default()
        })
    }

    /// Sets back the times of the directories the layer changed without
    /// listing them. Each is found again by the path it was reached by,
    /// following symlinks inside the root as it was then (`lib/new` changed
    /// `usr/lib` through `lib -> usr/lib`), and only when it is still the
    /// same directory.
    fn restore_kept_times(&mut self) -> Result<()> {
        for (inode_was, (path, atime, mtime)) in std::mem::take(&mut self.kept) {
            if self.listed.contains(&inode_was) {
                continue; // the layer's own times were set
            }
            let shown = String::from_utf8_lossy(&path).into_owned();
            let components = root::split(&path);
            let Some(dir) = self
                .root
                .find_dir(&components)
                .map_err(failed(&shown, "find the directory again"))?
            else {
                continue; // removed by a later entry
            };
            let dir = match root::open_dir(&dir, c".") {
                Ok(dir) => dir,
                Err(Errno::ACCESS) => continue, // rootless, and a mode without read
                Err(e) => return Err(failed(&shown, "open the directory")(e)),
            };
            let now = rustix::fs::fstat(&dir).map_err(failed(&shown, "look at the directory"))?;
            if inode(&now) == inode_was {
                Meta::times(Target::Fd(dir.as_fd()), atime, mtime)
                    .map_err(failed(&shown, "set the times back"))?;
            }
        }
        Ok(())
    }

    /// Resolves (making it when missing) the directory `parents`, and keeps
    /// the times of every directory it or the entry about to be made there
    /// changes. Returns the directory and its inode.
    ///
    /// The previous entry's parent is reused when it has the same path: an
    /// entry changes only names inside its own parent (or deeper), never
    /// the parent or the directories above it, so the path still resolves
    /// to that directory, and its times and those above it are kept
    /// already. Tar streams list a directory's files one after the other,
    /// so most entries skip the lookup.
    pub(super) fn make_parent(
        &mut self,
        parents: &[&[u8]],
    ) -> rustix::io::Result<(Rc<OwnedFd>, Inode)> {
        let path = join(parents);
        if let Some(cached) = self.reusable_parent.take()
            && cached.path == path
        {
            let found = (cached.fd.clone(), cached.inode);
            self.parent_cache = Some(cached);
            return Ok(found);
        }
        let root = self.root;
        let fd = root.make_dir(parents, &mut |path, fd| {
            // Best effort: a directory that cannot be stat'ed fails below.
            let _ = self.keep_times(path, fd);
        })?;
        let inode = self.keep_times(&path, fd.as_fd())?;
        let fd = Rc::new(fd);
        self.parent_cache = Some(CachedParent {
            path,
            fd: fd.clone(),
            inode,
        });
        Ok((fd, inode))
    }

    /// Remembers the times of directory `path` (open as `fd`) before the
    /// layer changes its entries, unless they are kept already; returns
    /// its inode.
    pub(super) fn keep_times(
        &mut self,
        path: &[u8],
        fd: BorrowedFd<'_>,
    ) -> rustix::io::Result<Inode> {
        let stat = rustix::fs::fstat(fd)?;
        let key = inode(&stat);
        self.kept.entry(key).or_insert_with(|| {
            let time = |secs: i64, nanos: i64| Time {
                secs,
                nanos: u32::try_from(nanos).unwrap_or(0),
            };
            (
                path.to_vec(),
                time(stat.st_atime, stat.st_atime_nsec as i64),
                time(stat.st_mtime, stat.st_mtime_nsec as i64),
            )
        });
        Ok(key)
    }

    /// Records that this layer wrote `name` in directory `parent`, and that
    /// `parent` and every directory above it up to the root hold something
    /// it wrote.
    pub(super) fn wrote(
        &mut self,
        parent: BorrowedFd<'_>,
        parent_inode: Inode,
        name: &[u8],
    ) -> rustix::io::Result<()> {
        self.written.insert((parent_inode, name.to_vec()));
        let mut here = parent_inode;
        let mut up: Option<OwnedFd> = None;
        while self.holds_written.insert(here) && here != self.root_inode {
            let from = up.as_ref().map_or(parent, |fd| fd.as_fd());
            let next = rustix::fs::openat(
                from,
                c"..",
                OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
                Mode::empty(),
            )?;
            here = inode(&rustix::fs::fstat(&next)?);
            up = Some(next);
        }
        Ok(())
    }
}
