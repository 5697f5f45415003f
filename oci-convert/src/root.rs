//! Confinement to a root directory: every path a layer names is resolved
//! inside the root with chroot semantics, relative to directory file
//! descriptors, so that no entry, symlink or whiteout can reach outside it
//! (docs/ARCHITECTURE.md, "Hostile input").
//!
//! Parents are resolved with `openat2(RESOLVE_IN_ROOT)` where the kernel
//! has it (one system call), and otherwise by a walk of one `O_NOFOLLOW`
//! component at a time that follows symlinks itself, clamping `..` and
//! absolute targets at the root. The last component of a path is never
//! followed: callers act on it with `*at` calls and `AT_SYMLINK_NOFOLLOW`.

use std::cell::Cell;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;

use rustix::fs::{AtFlags, FileType, Mode, OFlags, ResolveFlags};
use rustix::io::Errno;

/// Linux's PATH_MAX: a longer entry name cannot be a real path (a runtime
/// could not reach it), so apply refuses it and build does not write it;
/// refusing it also bounds the depth of every tree a layer can make.
pub(crate) const PATH_MAX: usize = 4096;

/// How many symlinks one resolution follows before giving up with ELOOP,
/// as the kernel's own limit.
const MAX_SYMLINKS: u32 = 40;

/// An open root directory.
#[derive(Debug)]
pub(crate) struct Root {
    fd: OwnedFd,
    /// Whether `openat2` works here (Linux 5.6 and later, and no seccomp
    /// filter refusing it); cleared on the first ENOSYS.
    openat2: Cell<bool>,
}

/// Called with a directory's resolved path and descriptor before an entry
/// is made or removed in it.
pub(crate) type BeforeChange<'a> = &'a mut dyn FnMut(&[u8], BorrowedFd<'_>);

/// A cleaned entry name: components that are never empty, `.` or `..`.
pub(crate) type Components<'a> = Vec<&'a [u8]>;

/// Cleans an entry name lexically: a leading `/` is dropped (the name is
/// relative to the root whatever it says), empty and `.` components are
/// dropped, and `..` removes the component before it.
///
/// # Errors
///
/// A reason when a `..` would climb above the root, or the name holds a NUL
/// byte.
pub(crate) fn clean(name: &[u8]) -> Result<Components<'_>, &'static str> {
    if name.contains(&0) {
        return Err("the name holds a NUL byte");
    }
    let mut out: Components<'_> = Vec::new();
    for part in name.split(|&b| b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => {
                if out.pop().is_none() {
                    return Err("the name leaves the root directory through \"..\"");
                }
            }
            _ => out.push(part),
        }
    }
    Ok(out)
}

/// Joins components into a relative path, for messages and `openat2`.
pub(crate) fn join(components: &[&[u8]]) -> Vec<u8> {
    components.join(&b'/')
}

/// Splits a path made by [`join`] back into its components (none for the
/// root's empty path).
pub(crate) fn split(path: &[u8]) -> Components<'_> {
    path.split(|&b| b == b'/')
        .filter(|c| !c.is_empty())
        .collect()
}

impl Root {
    /// Opens the directory `path` as a root.
    pub(crate) fn open(path: &Path) -> rustix::io::Result<Root> {
        let fd = rustix::fs::open(
            path,
            OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        Ok(Root {
            fd,
            openat2: Cell::new(true),
        })
    }

    /// The root's file descriptor.
    pub(crate) fn fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// Opens (`O_PATH`) the directory `components` names inside the root,
    /// following symlinks with chroot semantics; `None` when it does not
    /// exist or is not a directory.
    pub(crate) fn find_dir(&self, components: &[&[u8]]) -> rustix::io::Result<Option<OwnedFd>> {
        self.resolve(components, None)
    }

    /// As [`Root::find_dir`], but what is missing is created as directories
    /// with mode 0755, and a component that is not a directory (a file, a
    /// device, a dangling symlink's target) is replaced by one.
    /// `before_change` is called with the resolved path and descriptor of
    /// each existing directory just before an entry is made or removed in
    /// it, so that the caller can keep its times.
    pub(crate) fn make_dir(
        &self,
        components: &[&[u8]],
        before_change: BeforeChange<'_>,
    ) -> rustix::io::Result<OwnedFd> {
        self.resolve(components, Some(before_change))?
            .ok_or(Errno::NOENT)
    }

    fn resolve(
        &self,
        components: &[&[u8]],
        create: Option<BeforeChange<'_>>,
    ) -> rustix::io::Result<Option<OwnedFd>> {
        if components.is_empty() {
            return open_path_dir(self.fd(), c".").map(Some);
        }
        if self.openat2.get() {
            let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
            let resolve = ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS;
            match rustix::fs::openat2(self.fd(), join(components), flags, Mode::empty(), resolve) {
                Ok(fd) => return Ok(Some(fd)),
                Err(Errno::NOENT | Errno::NOTDIR) if create.is_none() => return Ok(None),
                // Missing or replaceable parts: the walk creates them.
                Err(Errno::NOENT | Errno::NOTDIR) => {}
                // A rename raced with the lookup: the walk does not care.
                Err(Errno::AGAIN | Errno::XDEV) => {}
                Err(Errno::NOSYS | Errno::PERM) => self.openat2.set(false),
                Err(e) => return Err(e),
            }
        }
        self.walk(components, create)
    }

    /// The portable resolution: one component at a time, never following
    /// a symlink in the kernel, following it here inside the root.
    fn walk(
        &self,
        components: &[&[u8]],
        mut create: Option<BeforeChange<'_>>,
    ) -> rustix::io::Result<Option<OwnedFd>> {
        // The directories below the root on the way down, by name, and the
        // last one open: one descriptor whatever the depth. `..` pops a
        // name and opens the path again from the root.
        let mut names: Vec<Vec<u8>> = Vec::new();
        let mut here: Option<OwnedFd> = None;
        let mut pending: Vec<Vec<u8>> = components.iter().rev().map(|c| c.to_vec()).collect();
        let mut symlinks = 0;
        while let Some(part) = pending.pop() {
            match part.as_slice() {
                b"" | b"." => continue,
                b".." => {
                    names.pop();
                    let path: Vec<&[u8]> = names.iter().map(Vec::as_slice).collect();
                    here = open_beneath(self.fd(), &path)?;
                    continue;
                }
                _ => {}
            }
            let at = here.as_ref().map_or(self.fd(), |fd| fd.as_fd());
            let kind = kind_at(at, &part)?;
            if !matches!(kind, Some(FileType::Directory | FileType::Symlink)) {
                let Some(before_change) = create.as_mut() else {
                    return Ok(None);
                };
                let path: Vec<&[u8]> = names.iter().map(Vec::as_slice).collect();
                before_change(&join(&path), at);
                with_write_access(at, || {
                    if kind.is_some() {
                        rustix::fs::unlinkat(at, part.as_slice(), AtFlags::empty())?;
                    }
                    make_dir(at, &part)
                })?;
            } else if kind == Some(FileType::Symlink) {
                symlinks += 1;
                if symlinks > MAX_SYMLINKS {
                    return Err(Errno::LOOP);
                }
                let target = rustix::fs::readlinkat(at, part.as_slice(), Vec::new())?;
                let target = target.as_bytes();
                if target.starts_with(b"/") {
                    names.clear();
                    here = None;
                }
                pending.extend(target.split(|&b| b == b'/').rev().map(<[u8]>::to_vec));
                continue;
            }
            let next = open_path_dir(at, part.as_slice())?;
            names.push(part);
            here = Some(next);
        }
        match here {
            Some(fd) => Ok(Some(fd)),
            None => open_path_dir(self.fd(), c".").map(Some),
        }
    }
}

/// Opens (`O_PATH`) the directory `components` below `base`, following no
/// symlink at all: for paths made of directories already resolved. `None`
/// for `base` itself (no components). One system call with `openat2`,
/// else one component at a time, holding two descriptors at the most.
pub(crate) fn open_beneath(
    base: BorrowedFd<'_>,
    components: &[&[u8]],
) -> rustix::io::Result<Option<OwnedFd>> {
    if components.is_empty() {
        return Ok(None);
    }
    let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
    let resolve = ResolveFlags::NO_SYMLINKS | ResolveFlags::BENEATH;
    match rustix::fs::openat2(base, join(components), flags, Mode::empty(), resolve) {
        Ok(fd) => return Ok(Some(fd)),
        Err(Errno::NOSYS | Errno::PERM | Errno::AGAIN | Errno::XDEV | Errno::NAMETOOLONG) => {}
        Err(e) => return Err(e),
    }
    let mut here: Option<OwnedFd> = None;
    for part in components {
        let at = here.as_ref().map_or(base, |fd| fd.as_fd());
        here = Some(open_path_dir(at, *part)?);
    }
    Ok(here)
}

/// Runs `change` (making or removing an entry in directory `dir`); when it
/// is refused with EACCES (an unprivileged apply meeting a directory a
/// lower layer made read-only, such as Go's 0555 module cache), makes `dir`
/// writable and searchable by its owner for a second try, and puts its mode
/// back afterwards. Root never gets EACCES for modes, so this costs nothing
/// there.
pub(crate) fn with_write_access<T>(
    dir: BorrowedFd<'_>,
    mut change: impl FnMut() -> rustix::io::Result<T>,
) -> rustix::io::Result<T> {
    match change() {
        Err(Errno::ACCESS) => {}
        other => return other,
    }
    let mode = rustix::fs::fstat(dir)?.st_mode & 0o7777;
    if mode & 0o300 == 0o300 {
        return Err(Errno::ACCESS); // not the mode's doing
    }
    // fchmodat on "." works on an O_PATH descriptor, which fchmod does not.
    rustix::fs::chmodat(
        dir,
        c".",
        Mode::from_raw_mode(mode | 0o300),
        AtFlags::empty(),
    )
    .map_err(|_| Errno::ACCESS)?;
    let result = change();
    rustix::fs::chmodat(dir, c".", Mode::from_raw_mode(mode), AtFlags::empty())?;
    result
}

/// Creates a directory with mode 0755 (what implied parents get), whatever
/// the umask; one that appeared meanwhile is fine.
fn make_dir(parent: BorrowedFd<'_>, name: &[u8]) -> rustix::io::Result<()> {
    match rustix::fs::mkdirat(parent, name, Mode::from_raw_mode(0o755)) {
        Ok(()) => rustix::fs::chmodat(parent, name, Mode::from_raw_mode(0o755), AtFlags::empty()),
        Err(Errno::EXIST) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Opens the directory `name` in `parent` as `O_PATH`, not following a
/// symlink.
fn open_path_dir<P: rustix::path::Arg>(
    parent: BorrowedFd<'_>,
    name: P,
) -> rustix::io::Result<OwnedFd> {
    rustix::fs::openat(
        parent,
        name,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

/// Opens the directory `name` in `parent` for reading and for metadata
/// changes, not following a symlink.
pub(crate) fn open_dir<P: rustix::path::Arg>(
    parent: impl AsFd,
    name: P,
) -> rustix::io::Result<OwnedFd> {
    rustix::fs::openat(
        parent,
        name,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
}

/// What is at `name` in `parent`, not following a symlink; `None` when
/// nothing is.
pub(crate) fn kind_at(parent: BorrowedFd<'_>, name: &[u8]) -> rustix::io::Result<Option<FileType>> {
    match rustix::fs::statat(parent, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(stat) => Ok(Some(FileType::from_raw_mode(stat.st_mode))),
        Err(Errno::NOENT) => Ok(None),
        Err(e) => Err(e),
    }
}

/// How many levels of directories [`remove_tree`] keeps open; deeper, it
/// lists a directory again when it comes back to it, so that a deep tree
/// needs no more descriptors than this (a path is at most 2048 levels).
const OPEN_LEVELS: usize = 64;

/// Removes `name` in `parent` and, when it is a directory, everything in
/// it, never following a symlink. Nothing there is fine. Iterative, so a
/// deep tree cannot overflow the stack, and with at most
/// [`OPEN_LEVELS`] + 1 descriptors open.
pub(crate) fn remove_tree(parent: BorrowedFd<'_>, name: &[u8]) -> rustix::io::Result<()> {
    match rustix::fs::unlinkat(parent, name, AtFlags::empty()) {
        Ok(()) | Err(Errno::NOENT) => return Ok(()),
        Err(Errno::ISDIR) => {}
        Err(e) => return Err(e),
    }
    let listing = |parent: BorrowedFd<'_>, name: &[u8]| -> rustix::io::Result<rustix::fs::Dir> {
        rustix::fs::Dir::new(open_dir(parent, name)?)
    };
    // The directory being emptied, the names from `parent` down to it, and
    // the listings of the levels above it (`None`: closed, listed again).
    let mut current = listing(parent, name)?;
    let mut names = vec![name.to_vec()];
    let mut above: Vec<Option<rustix::fs::Dir>> = Vec::new();
    loop {
        let next_entry = current.next();
        let here = current.fd()?;
        match next_entry {
            Some(entry) => {
                let entry = entry?;
                let child = entry.file_name().to_bytes().to_vec();
                if child == b"." || child == b".." {
                    continue;
                }
                let unlink = || rustix::fs::unlinkat(here, child.as_slice(), AtFlags::empty());
                // A read-only directory about to go: no need to put its
                // mode back.
                let unlinked = match unlink() {
                    Err(Errno::ACCESS) => {
                        rustix::fs::fchmod(here, Mode::from_raw_mode(0o700)).and_then(|()| unlink())
                    }
                    other => other,
                };
                match unlinked {
                    Ok(()) | Err(Errno::NOENT) => {}
                    Err(Errno::ISDIR) => {
                        let below = listing(here, &child)?;
                        let this = std::mem::replace(&mut current, below);
                        above.push((above.len() < OPEN_LEVELS).then_some(this));
                        names.push(child);
                    }
                    Err(e) => return Err(e),
                }
            }
            None => {
                let done = names.pop().unwrap_or_default();
                let next = match above.pop() {
                    None => {
                        drop(current);
                        return match rustix::fs::unlinkat(
                            parent,
                            done.as_slice(),
                            AtFlags::REMOVEDIR,
                        ) {
                            Ok(()) | Err(Errno::NOENT) => Ok(()),
                            Err(e) => Err(e),
                        };
                    }
                    Some(Some(open)) => open,
                    // Closed to save descriptors: its parent again, from
                    // the directory just emptied, listed from the start
                    // (what it removed is gone from the listing).
                    Some(None) => listing(here, b"..")?,
                };
                match rustix::fs::unlinkat(next.fd()?, done.as_slice(), AtFlags::REMOVEDIR) {
                    Ok(()) | Err(Errno::NOENT) => {}
                    Err(e) => return Err(e),
                }
                current = next;
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn cleans_names_lexically_and_refuses_climbing_out() {
        let c = |s: &str| clean(s.as_bytes()).map(|v| String::from_utf8(join(&v)).unwrap());
        assert_eq!(c("./a/b/").unwrap(), "a/b");
        assert_eq!(c("/etc/passwd").unwrap(), "etc/passwd");
        assert_eq!(c("a/../b").unwrap(), "b");
        assert_eq!(c("a//./b").unwrap(), "a/b");
        assert_eq!(c("./").unwrap(), "");
        assert!(c("../x").is_err());
        assert!(c("a/../../x").is_err());
        assert!(c("/..").is_err());
        assert!(clean(b"a\0b").is_err());
        assert_eq!(
            split(&join(&clean(b"./a/b/c").unwrap())),
            [&b"a"[..], b"b", b"c"]
        );
        assert!(split(b"").is_empty());
    }

    fn setup() -> (tempfile::TempDir, Root) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("root")).unwrap();
        std::fs::create_dir(dir.path().join("outside")).unwrap();
        let root = Root::open(&dir.path().join("root")).unwrap();
        (dir, root)
    }

    #[test]
    fn both_resolutions_stay_inside_the_root() {
        for use_openat2 in [true, false] {
            let (dir, root) = setup();
            root.openat2.set(use_openat2);
            let r = dir.path().join("root");
            std::os::unix::fs::symlink("../../outside", r.join("up")).unwrap();
            std::os::unix::fs::symlink(dir.path().join("outside"), r.join("abs")).unwrap();
            std::os::unix::fs::symlink("loop", r.join("loop")).unwrap();
            std::fs::write(r.join("file"), b"x").unwrap();
            let abs_inside = r
                .join(dir.path().strip_prefix("/").unwrap())
                .join("outside");
            for (link, inside) in [("up", r.join("outside")), ("abs", abs_inside)] {
                let fd = root
                    .make_dir(&[link.as_bytes(), b"sub"], &mut |_, _| {})
                    .unwrap();
                rustix::fs::mkdirat(&fd, "made", Mode::from_raw_mode(0o755)).unwrap();
                // The outside directory is untouched; the walk made it inside.
                assert!(
                    std::fs::read_dir(dir.path().join("outside"))
                        .unwrap()
                        .next()
                        .is_none()
                );
                assert!(
                    inside.join("sub/made").is_dir(),
                    "{link}, openat2 {use_openat2}"
                );
            }
            assert_eq!(
                root.make_dir(&[b"loop"], &mut |_, _| {}).unwrap_err(),
                Errno::LOOP
            );
            assert!(root.find_dir(&[b"missing", b"x"]).unwrap().is_none());
            assert!(root.find_dir(&[b"file"]).unwrap().is_none());
            // A file where a directory is needed is replaced by one, and
            // the directories changed on the way are reported first.
            let mut changed = Vec::new();
            root.make_dir(&[b"file", b"d"], &mut |path, _| changed.push(path.to_vec()))
                .unwrap();
            assert_eq!(changed, [b"".to_vec(), b"file".to_vec()]);
            assert!(r.join("file/d").is_dir());
        }
    }

    #[test]
    fn removes_deep_trees_without_following_symlinks() {
        let (dir, root) = setup();
        let r = dir.path().join("root");
        let mut deep = r.join("t");
        for _ in 0..300 {
            deep.push("d");
        }
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(deep.join("f"), b"x").unwrap();
        std::fs::write(dir.path().join("outside/keep"), b"k").unwrap();
        std::os::unix::fs::symlink("../../outside", r.join("t/out")).unwrap();
        remove_tree(root.fd(), b"t").unwrap();
        assert!(!r.join("t").exists());
        assert_eq!(
            std::fs::read(dir.path().join("outside/keep")).unwrap(),
            b"k"
        );
        remove_tree(root.fd(), b"t").unwrap(); // nothing there: fine
    }
}
