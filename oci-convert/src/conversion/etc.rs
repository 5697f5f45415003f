//! Reading `/etc/passwd` and `/etc/group` of an unpacked rootfs with the
//! confinement of layer apply (crate::root): every symlink on the way,
//! the file's own included, resolves inside the rootfs with chroot
//! semantics, so a rootfs can never make us read a file of the host.

use std::os::fd::{AsFd as _, OwnedFd};
use std::path::Path;

use rustix::fs::{FileType, Mode, OFlags, ResolveFlags};
use rustix::io::Errno;

use crate::fsutil::read_up_to;
use crate::root::Root;
use crate::{Error, Result};

/// The most bytes read of `/etc/passwd` or `/etc/group` (16 MiB, some
/// hundred thousand accounts): a larger file is refused with
/// [`Error::AccountFileTooLarge`] rather than read into memory.
pub const MAX_ACCOUNT_FILE_BYTES: u64 = 16 << 20;

/// How many symlinks one lookup follows, as the kernel's own limit.
const MAX_SYMLINKS: usize = 40;

/// Reads `/etc/NAME` inside `root` (the rootfs at `rootfs`); `None` when it
/// does not exist there. `file` names it in errors (`/etc/passwd`).
pub(crate) fn read_account_file(
    root: &Root,
    rootfs: &Path,
    name: &str,
    file: &'static str,
) -> Result<Option<Vec<u8>>> {
    let io = |source: Errno| Error::Io {
        action: "open inside the rootfs",
        path: rootfs.join("etc").join(name),
        source: source.into(),
    };
    let Some(fd) = open_in_root(root, &["etc", name]).map_err(io)? else {
        return Ok(None);
    };
    let stat = rustix::fs::fstat(&fd).map_err(io)?;
    if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
        return Err(Error::BadAccountFile {
            file: file.to_owned(),
            reason: format!(
                "is a {:?}, expected a regular file",
                FileType::from_raw_mode(stat.st_mode)
            ),
        });
    }
    let bytes = read_up_to(std::fs::File::from(fd), MAX_ACCOUNT_FILE_BYTES).map_err(|source| {
        Error::Io {
            action: "read inside the rootfs",
            path: rootfs.join("etc").join(name),
            source,
        }
    })?;
    match bytes {
        Some(bytes) => Ok(Some(bytes)),
        None => Err(Error::AccountFileTooLarge {
            file,
            limit: MAX_ACCOUNT_FILE_BYTES,
        }),
    }
}

/// Flags of the file opened: never blocking on a FIFO, never becoming a
/// controlling terminal.
fn flags() -> OFlags {
    OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NONBLOCK | OFlags::NOCTTY
}

/// Opens the file `path` names inside `root`, following symlinks (its own
/// too) inside the root: `openat2(RESOLVE_IN_ROOT)` where the kernel has
/// it, else [`open_walk`]. `None` when nothing is there.
fn open_in_root(root: &Root, path: &[&str]) -> rustix::io::Result<Option<OwnedFd>> {
    let resolve = ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS;
    match rustix::fs::openat2(root.fd(), path.join("/"), flags(), Mode::empty(), resolve) {
        Ok(fd) => Ok(Some(fd)),
        Err(Errno::NOENT | Errno::NOTDIR) => Ok(None),
        Err(Errno::NOSYS | Errno::PERM | Errno::AGAIN | Errno::XDEV) => {
            open_walk(root, path.iter().map(|c| c.as_bytes().to_vec()).collect())
        }
        Err(e) => Err(e),
    }
}

/// The portable lookup: the parent directory through
/// [`Root::find_dir`] (chroot semantics), the last component opened with
/// `O_NOFOLLOW`; a symlink there is read and its target looked up again
/// from the root (absolute) or from the parent (relative).
pub(crate) fn open_walk(
    root: &Root,
    mut path: Vec<Vec<u8>>,
) -> rustix::io::Result<Option<OwnedFd>> {
    for _ in 0..=MAX_SYMLINKS {
        let Some((last, parent)) = path.split_last() else {
            return Err(Errno::ISDIR); // the root itself
        };
        if last == b".." {
            return Err(Errno::ISDIR);
        }
        let parent_refs: Vec<&[u8]> = parent.iter().map(Vec::as_slice).collect();
        let dir = match root.find_dir(&parent_refs)? {
            Some(dir) => dir,
            None => return Ok(None),
        };
        let opened = rustix::fs::openat(
            dir.as_fd(),
            last.as_slice(),
            flags() | OFlags::NOFOLLOW,
            Mode::empty(),
        );
        match opened {
            Ok(fd) => return Ok(Some(fd)),
            Err(Errno::NOENT) => return Ok(None),
            // O_NOFOLLOW meeting a symlink.
            Err(Errno::LOOP) => {
                let target = rustix::fs::readlinkat(dir.as_fd(), last.as_slice(), Vec::new())?;
                let target = target.as_bytes();
                let mut next: Vec<Vec<u8>> = if target.starts_with(b"/") {
                    Vec::new()
                } else {
                    parent.to_vec()
                };
                next.extend(
                    target
                        .split(|&b| b == b'/')
                        .filter(|c| !c.is_empty() && *c != b".")
                        .map(<[u8]>::to_vec),
                );
                path = next;
            }
            Err(e) => return Err(e),
        }
    }
    Err(Errno::LOOP)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    /// The walk used without `openat2` keeps to the root as `openat2` does.
    #[test]
    fn the_portable_walk_stays_inside_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let (r, outside) = (dir.path().join("root"), dir.path().join("outside"));
        std::fs::create_dir_all(r.join("etc")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("passwd"), "outside\n").unwrap();
        std::fs::write(r.join("etc/real"), "inside\n").unwrap();
        let root = Root::open(&r).unwrap();
        let read = |link: &str| {
            let _ = std::fs::remove_file(r.join("etc/passwd"));
            symlink(link, r.join("etc/passwd")).unwrap();
            let path = vec![b"etc".to_vec(), b"passwd".to_vec()];
            open_walk(&root, path)
                .map(|fd| fd.map(|fd| std::io::read_to_string(std::fs::File::from(fd)).unwrap()))
        };
        assert_eq!(read("/etc/real").unwrap().as_deref(), Some("inside\n"));
        assert_eq!(
            read("../../../../etc/real").unwrap().as_deref(),
            Some("inside\n")
        );
        assert_eq!(read("real").unwrap().as_deref(), Some("inside\n"));
        // The outside file by its absolute name and by climbing: not there.
        let abs = outside.join("passwd");
        assert_eq!(read(abs.to_str().unwrap()).unwrap(), None);
        assert_eq!(read("../../outside/passwd").unwrap(), None);
        assert_eq!(read("/etc/passwd").unwrap_err(), Errno::LOOP);
        assert_eq!(read("..").unwrap_err(), Errno::ISDIR);
    }
}
