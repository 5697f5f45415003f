//! The one walk of a source tree that a layer build, a baseline and a diff
//! share (image-spec layer.md, Creating): depth first, never through a
//! symlink, each directory's names in byte order right after the directory
//! itself, the order [`write_layer_tar`](crate::write_layer_tar) documents.
//!
//! It is iterative, with an explicit stack, so a deep tree costs heap and
//! no thread stack; and it holds a bounded number of descriptors whatever
//! the depth: the directories of the first [`OPEN_LEVELS`] levels stay
//! open, a deeper one is closed while the walk is below it and opened
//! again through `..` when the walk comes back, after checking that it is
//! the same directory (device and inode).

use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;

use rustix::fs::{Mode, OFlags};

use super::source::{self, fstat, host_path, read_names};
use crate::{Error, Result};

/// How many levels of directories stay open during a walk: deep enough
/// that a real tree never reopens one, and far below the usual limit of
/// 1024 open files.
const OPEN_LEVELS: usize = 64;

/// What a walk does with the tree.
pub(crate) trait Visitor {
    /// The walk enters the directory at `rel` (`b""` for the root), before
    /// any of its entries.
    fn enter(&mut self, _rel: &[u8]) -> Result<()> {
        Ok(())
    }

    /// The entry `name` of the directory `dir`, at `rel` in the tree.
    /// Returns the entry opened as a directory (`O_NOFOLLOW`) for the walk
    /// to go into, or `None` to go on with the next name.
    fn visit(&mut self, dir: BorrowedFd<'_>, name: &[u8], rel: &[u8]) -> Result<Option<OwnedFd>>;
}

/// One directory on the walk's stack.
struct Level {
    /// `None` while closed to save descriptors.
    fd: Option<OwnedFd>,
    /// The directory's device and inode, taken when it was closed.
    id: (u64, u64),
    rel: Vec<u8>,
    /// The names still to visit, in order.
    names: std::vec::IntoIter<Vec<u8>>,
}

/// Walks the tree at `root` (open as `fd`), calling `visitor` for every
/// directory entered and every entry, in the order described above.
///
/// # Errors
///
/// What `visitor` returns; [`Error::Io`] when a directory cannot be read,
/// or was moved or replaced while the walk was below it.
pub(crate) fn walk(root: &Path, fd: OwnedFd, visitor: &mut impl Visitor) -> Result<()> {
    visitor.enter(b"")?;
    let names = read_names(&fd, root)?;
    let mut stack = vec![Level {
        fd: Some(fd),
        id: (0, 0),
        rel: Vec::new(),
        names: names.into_iter(),
    }];
    // The directory the walk just came back up from, to reopen its parent.
    let mut below: Option<OwnedFd> = None;
    while let Some(level) = stack.last_mut() {
        let dir = match level.fd.take() {
            Some(fd) => fd,
            None => reopen(root, level, below.take())?,
        };
        below = None;
        let dir = level.fd.insert(dir);
        let Some(name) = level.names.next() else {
            below = stack.pop().and_then(|done| done.fd);
            continue;
        };
        let rel = source::join(&level.rel, &name);
        let Some(sub) = visitor.visit(dir.as_fd(), &name, &rel)? else {
            continue;
        };
        visitor.enter(&rel)?;
        let names = read_names(&sub, &host_path(root, &rel))?;
        let depth = stack.len();
        if depth >= OPEN_LEVELS
            && let Some(level) = stack.last_mut()
            && let Some(fd) = level.fd.take()
        {
            let meta = fstat(&fd, &host_path(root, &level.rel))?;
            level.id = (meta.dev, meta.ino);
        }
        stack.push(Level {
            fd: Some(sub),
            id: (0, 0),
            rel,
            names: names.into_iter(),
        });
    }
    Ok(())
}

/// Opens `level`'s directory again, as `..` of the directory below it
/// (`below`, just walked), and checks that it is the one that was closed.
fn reopen(root: &Path, level: &Level, below: Option<OwnedFd>) -> Result<OwnedFd> {
    let path = host_path(root, &level.rel);
    let moved = |path| Error::Io {
        action: "go back up to",
        path,
        source: io::Error::other("the directory was moved or replaced while the tree was read"),
    };
    let Some(below) = below else {
        return Err(moved(path));
    };
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = rustix::fs::openat(&below, "..", flags, Mode::empty()).map_err(|e| Error::Io {
        action: "go back up to",
        path: path.clone(),
        source: e.into(),
    })?;
    let meta = fstat(&fd, &path)?;
    if (meta.dev, meta.ino) != level.id {
        return Err(moved(path));
    }
    Ok(fd)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Walks into every directory; when it meets `trigger`, moves
    /// `from` to `to` (paths under the root).
    struct Mover<'a> {
        root: &'a Path,
        trigger: Vec<u8>,
        from: &'a str,
        to: &'a str,
        seen: Vec<Vec<u8>>,
    }

    impl Visitor for Mover<'_> {
        fn visit(
            &mut self,
            dir: BorrowedFd<'_>,
            name: &[u8],
            rel: &[u8],
        ) -> Result<Option<OwnedFd>> {
            self.seen.push(rel.to_vec());
            if rel == self.trigger.as_slice() {
                std::fs::rename(self.root.join(self.from), self.root.join(self.to)).unwrap();
            }
            let path = host_path(self.root, rel);
            Ok(Some(source::open_at(dir, name, true, &path)?))
        }
    }

    #[test]
    fn a_closed_directory_is_reopened_only_when_it_is_the_same() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let depth = OPEN_LEVELS + 6;
        std::fs::create_dir_all(root.join("d/".repeat(depth))).unwrap();
        std::fs::create_dir(root.join("e")).unwrap();
        let deep = |n: usize| "d/".repeat(n).trim_end_matches('/').as_bytes().to_vec();

        // Undisturbed, the walk goes all the way down and back up to `e`.
        let mut walker = Mover {
            root,
            trigger: Vec::new(),
            from: "",
            to: "",
            seen: Vec::new(),
        };
        walk(root, source::open_root(root).unwrap(), &mut walker).unwrap();
        assert_eq!(walker.seen.len(), depth + 1);
        assert_eq!(walker.seen.last().unwrap(), b"e");

        // A directory below the open levels moved out from under its
        // parent (a closed one) while the walk is deeper still: the walk
        // cannot come back to the parent through it, and says so.
        let from = String::from_utf8(deep(OPEN_LEVELS + 1)).unwrap();
        let mut walker = Mover {
            root,
            trigger: deep(OPEN_LEVELS + 3),
            from: &from,
            to: "e/moved",
            seen: Vec::new(),
        };
        let err = walk(root, source::open_root(root).unwrap(), &mut walker).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("go back up to") && msg.contains("moved or replaced"),
            "{msg}"
        );
        assert!(!walker.seen.contains(&b"e".to_vec()), "the walk went on");
    }
}
