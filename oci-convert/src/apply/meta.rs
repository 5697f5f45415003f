//! Metadata of applied entries, in the order that keeps every bit: owner
//! first (a chown clears setuid and setgid), then mode, then extended
//! attributes, then times. Never through a symlink: on a file descriptor,
//! or with `AT_SYMLINK_NOFOLLOW` on the entry itself.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use rustix::fs::{AtFlags, FileType, Mode, Timespec, Timestamps, XattrFlags};
use rustix::io::Errno;

use crate::{ApplyOptions, Warning, WhiteoutMode, rootless};

/// Where metadata goes: an open file or directory, or a name in a
/// directory for what cannot be opened safely (symlinks, devices, FIFOs).
#[derive(Clone, Copy)]
pub(super) enum Target<'a> {
    Fd(BorrowedFd<'a>),
    At {
        parent: BorrowedFd<'a>,
        name: &'a [u8],
        kind: FileType,
    },
}

impl Target<'_> {
    fn is_symlink(&self) -> bool {
        matches!(
            self,
            Target::At {
                kind: FileType::Symlink,
                ..
            }
        )
    }

    /// A path that reaches the entry without following it: the parent
    /// through its `/proc/self/fd` link, then the name, for the `l*xattr`
    /// calls that have no `*at` form.
    fn proc_path(parent: BorrowedFd<'_>, name: &[u8]) -> PathBuf {
        let mut path = PathBuf::from(format!("/proc/self/fd/{}", parent.as_raw_fd()));
        path.push(OsStr::from_bytes(name));
        path
    }
}

/// A time from a tar header or PAX record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Time {
    pub(super) secs: i64,
    pub(super) nanos: u32,
}

impl Time {
    fn timespec(self) -> Timespec {
        Timespec {
            tv_sec: self.secs,
            tv_nsec: i64::from(self.nanos),
        }
    }

    /// Parses a PAX time record: decimal seconds, maybe negative, maybe
    /// with a fraction (POSIX pax, "mtime").
    pub(super) fn parse_pax(value: &[u8]) -> Option<Time> {
        let text = std::str::from_utf8(value).ok()?;
        let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
        let secs: i64 = whole.parse().ok()?;
        if !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let digits: String = fraction
            .chars()
            .chain(std::iter::repeat('0'))
            .take(9)
            .collect();
        let mut nanos: u32 = digits.parse().ok()?;
        let mut secs = secs;
        if whole.starts_with('-') && nanos > 0 {
            // -1.25 is 1.25 s before the epoch: -2 s plus 0.75 s.
            secs -= 1;
            nanos = 1_000_000_000 - nanos;
        }
        Some(Time { secs, nanos })
    }
}

/// Metadata state of one apply: what was warned about already.
#[derive(Debug, Default)]
pub(super) struct Meta {
    pub(super) warnings: Vec<Warning>,
    xattrs_unsupported: bool,
    dropped: HashSet<Vec<u8>>,
}

impl Meta {
    /// Sets the owner, or records it in `user.rootlesscontainers` when
    /// rootless. The ids are already mapped.
    pub(super) fn owner(
        &mut self,
        target: Target<'_>,
        uid: u32,
        gid: u32,
        options: &ApplyOptions,
        entry: &str,
    ) -> rustix::io::Result<()> {
        if options.rootless {
            if target.is_symlink() {
                return Ok(()); // user.* attributes cannot be set on symlinks
            }
            return match rootless::encode(uid, gid) {
                Some(value) => {
                    self.set_xattr(target, rootless::XATTR.as_bytes(), &value, entry, true)
                }
                None => remove_xattr(target, rootless::XATTR.as_bytes()),
            };
        }
        let (uid, gid) = (
            Some(rustix::fs::Uid::from_raw(uid)),
            Some(rustix::fs::Gid::from_raw(gid)),
        );
        match target {
            Target::Fd(fd) => rustix::fs::fchown(fd, uid, gid),
            Target::At { parent, name, .. } => {
                rustix::fs::chownat(parent, name, uid, gid, AtFlags::SYMLINK_NOFOLLOW)
            }
        }
    }

    /// Sets the permission bits (with setuid, setgid and sticky); nothing
    /// for a symlink, whose mode Linux ignores.
    pub(super) fn mode(target: Target<'_>, mode: u32) -> rustix::io::Result<()> {
        let mode = Mode::from_raw_mode(mode & 0o7777);
        match target {
            Target::Fd(fd) => rustix::fs::fchmod(fd, mode),
            Target::At {
                kind: FileType::Symlink,
                ..
            } => Ok(()),
            // A device or FIFO this apply has just created with mknodat:
            // not a symlink, and opening it could have side effects.
            Target::At { parent, name, .. } => {
                rustix::fs::chmodat(parent, name, mode, AtFlags::empty())
            }
        }
    }

    /// Writes the entry's extended attributes, minus the ones never written
    /// (`security.selinux`: the host's policy labels files, not the layer;
    /// `trusted.*` when rootless: only root may write them; the rootless
    /// owner record when rootless: ours wins).
    pub(super) fn xattrs(
        &mut self,
        target: Target<'_>,
        xattrs: &[(Vec<u8>, Vec<u8>)],
        options: &ApplyOptions,
        entry: &str,
    ) -> rustix::io::Result<()> {
        for (name, value) in xattrs {
            let refused = name.as_slice() == b"security.selinux"
                || (options.rootless
                    && (name.starts_with(b"trusted.")
                        || name.as_slice() == rootless::XATTR.as_bytes()));
            if refused {
                self.drop_once(name);
                continue;
            }
            self.set_xattr(target, name, value, entry, options.rootless)?;
        }
        Ok(())
    }

    fn drop_once(&mut self, name: &[u8]) {
        if self.dropped.insert(name.to_vec()) {
            let name = String::from_utf8_lossy(name).into_owned();
            self.warnings.push(Warning::XattrDropped { name });
        }
    }

    fn set_xattr(
        &mut self,
        target: Target<'_>,
        name: &[u8],
        value: &[u8],
        entry: &str,
        rootless: bool,
    ) -> rustix::io::Result<()> {
        if self.xattrs_unsupported {
            return Ok(());
        }
        let set = || match target {
            Target::Fd(fd) => rustix::fs::fsetxattr(fd, name, value, XattrFlags::empty()),
            Target::At {
                parent, name: file, ..
            } => rustix::fs::lsetxattr(
                Target::proc_path(parent, file),
                name,
                value,
                XattrFlags::empty(),
            ),
        };
        let result = match (set(), target) {
            // Linux wants write permission for user.* attributes, and the
            // mode (set before them) may be read-only: an unprivileged
            // apply lends its own file the permission for the call.
            (Err(Errno::ACCESS), Target::Fd(fd)) if rootless => {
                let mode = rustix::fs::fstat(fd)?.st_mode & 0o7777;
                rustix::fs::fchmod(fd, Mode::from_raw_mode(mode | 0o600))?;
                let result = set();
                rustix::fs::fchmod(fd, Mode::from_raw_mode(mode))?;
                result
            }
            (result, _) => result,
        };
        match result {
            Ok(()) => Ok(()),
            Err(Errno::NOTSUP) => {
                self.xattrs_unsupported = true;
                self.warnings.push(Warning::XattrsUnsupported {
                    entry: entry.to_string(),
                });
                Ok(())
            }
            // Linux refuses user.* attributes on symlinks and devices.
            Err(Errno::PERM)
                if name.starts_with(b"user.") && matches!(target, Target::At { .. }) =>
            {
                self.drop_once(name);
                Ok(())
            }
            // Without privileges, security.capability (file capabilities,
            // as ping carries) and other privileged names cannot be set:
            // dropped with a warning, as umoci does.
            Err(Errno::PERM | Errno::ACCESS) if rootless => {
                self.drop_once(name);
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// Removes the attributes of a merged directory that its new entry
    /// does not carry, as the entry replaces the lower directory's
    /// metadata; kept are `security.selinux` (the host's label, never from
    /// a layer), and `trusted.*` and the owner record when rootless (not
    /// ours to remove, and set by [`Meta::owner`]).
    pub(super) fn drop_other_xattrs(
        &mut self,
        dir: BorrowedFd<'_>,
        keep: &[(Vec<u8>, Vec<u8>)],
        options: &ApplyOptions,
    ) -> rustix::io::Result<()> {
        if self.xattrs_unsupported {
            return Ok(());
        }
        for name in crate::listing::xattr_names(dir)? {
            let name = name.as_slice();
            // The overlay opaque marker may be this same layer's (an opaque
            // whiteout before its directory's entry, in overlayfs form).
            let overlay = options.whiteouts == WhiteoutMode::Overlayfs
                && (name == b"trusted.overlay.opaque" || name == b"user.overlay.opaque");
            let protected = name == b"security.selinux"
                || overlay
                || (options.rootless
                    && (name.starts_with(b"trusted.") || name == rootless::XATTR.as_bytes()));
            if protected || keep.iter().any(|(k, _)| k == name) {
                continue;
            }
            match rustix::fs::fremovexattr(dir, name) {
                Ok(()) | Err(Errno::NODATA) => {}
                // Attributes this process may not touch (trusted.* when
                // not root, security.* of the host): left alone.
                Err(Errno::PERM | Errno::ACCESS) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Sets access and modification times.
    pub(super) fn times(target: Target<'_>, atime: Time, mtime: Time) -> rustix::io::Result<()> {
        let times = Timestamps {
            last_access: atime.timespec(),
            last_modification: mtime.timespec(),
        };
        match target {
            Target::Fd(fd) => rustix::fs::futimens(fd, &times),
            Target::At { parent, name, .. } => {
                rustix::fs::utimensat(parent, name, &times, AtFlags::SYMLINK_NOFOLLOW)
            }
        }
    }
}

/// Removes an attribute a merged directory may carry from a lower layer.
fn remove_xattr(target: Target<'_>, name: &[u8]) -> rustix::io::Result<()> {
    let result = match target {
        Target::Fd(fd) => rustix::fs::fremovexattr(fd, name),
        Target::At {
            parent, name: file, ..
        } => rustix::fs::lremovexattr(Target::proc_path(parent, file), name),
    };
    match result {
        Err(Errno::NODATA | Errno::NOTSUP | Errno::PERM) => Ok(()),
        other => other,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn parses_pax_times() {
        let t = |s: &str| Time::parse_pax(s.as_bytes()).map(|t| (t.secs, t.nanos));
        assert_eq!(t("1700000000"), Some((1_700_000_000, 0)));
        assert_eq!(t("1700000000.5"), Some((1_700_000_000, 500_000_000)));
        assert_eq!(t("1.123456789123"), Some((1, 123_456_789)));
        assert_eq!(t("-1.25"), Some((-2, 750_000_000)));
        assert_eq!(t("x"), None);
        assert_eq!(t("1.2x"), None);
    }
}
