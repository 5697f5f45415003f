//! Whiteouts (image-spec layer.md, "Whiteouts" and "Opaque Whiteout"):
//! `.wh.NAME` hides `NAME` of the lower layers, `.wh..wh..opq` hides every
//! lower child of its directory. Both apply to lower layers only: what this
//! same layer wrote stays, wherever in the layer the whiteout comes.

use std::os::fd::{AsFd, BorrowedFd};

use rustix::fs::{AtFlags, FileType, Mode, XattrFlags};
use rustix::io::Errno;

use super::dirs::{Inode, inode};
use super::entry::{Applier, bad, failed};
use crate::root::{self, join};
use crate::{Result, WhiteoutMode};

/// The opaque whiteout's file name.
const OPAQUE: &[u8] = b".wh..wh..opq";

impl Applier<'_> {
    /// Applies the whiteout entry `name`, whose last component is
    /// `file_name` (starting with `.wh.`) in directory `parents`.
    pub(super) fn whiteout(
        &mut self,
        name: &str,
        parents: &[&[u8]],
        file_name: &[u8],
    ) -> Result<()> {
        if file_name == OPAQUE {
            return self.opaque(name, parents);
        }
        let hidden = &file_name[4..];
        if matches!(hidden, b"" | b"." | b"..") {
            return Err(bad(
                name,
                "a whiteout must name a file: \".wh.\" needs a basename other than \".\" and \"..\"",
            ));
        }
        if hidden.starts_with(b".wh.") {
            return Ok(()); // aufs metadata (".wh..wh.plnk"): not a whiteout of ours
        }
        match self.options.whiteouts {
            WhiteoutMode::Apply => {
                let Some(parent) = self
                    .root
                    .find_dir(parents)
                    .map_err(failed(name, "resolve the whiteout's directory"))?
                else {
                    return Ok(()); // nothing there to hide
                };
                let parent_inode = self
                    .keep_times(&join(parents), parent.as_fd())
                    .map_err(failed(name, "look at the whiteout's directory"))?;
                self.remove_lower(parent.as_fd(), parent_inode, hidden)
                    .map_err(failed(name, "remove what the whiteout hides"))
            }
            WhiteoutMode::Overlayfs => {
                let (parent, parent_inode) = self
                    .make_parent(parents)
                    .map_err(failed(name, "resolve the whiteout's directory"))?;
                if self.written.contains(&(parent_inode, hidden.to_vec())) {
                    return Ok(()); // this layer's own: not hidden
                }
                self.remove_lower(parent.as_fd(), parent_inode, hidden)
                    .map_err(failed(name, "remove what the whiteout hides"))?;
                if root::kind_at(parent.as_fd(), hidden)
                    .map_err(failed(name, "look at what the whiteout hides"))?
                    .is_some()
                {
                    return Ok(()); // a directory holding this layer's entries
                }
                // overlayfs's whiteout: a character device 0:0.
                rustix::fs::mknodat(
                    &parent,
                    hidden,
                    FileType::CharacterDevice,
                    Mode::empty(),
                    rustix::fs::makedev(0, 0),
                )
                .map_err(failed(name, "create the overlayfs whiteout"))?;
                self.wrote(parent.as_fd(), parent_inode, hidden)
                    .map_err(failed(name, "look up the parent directories"))
            }
        }
    }

    /// `.wh..wh..opq` in directory `parents`.
    fn opaque(&mut self, name: &str, parents: &[&[u8]]) -> Result<()> {
        match self.options.whiteouts {
            WhiteoutMode::Apply => {
                let Some(dir) = self
                    .root
                    .find_dir(parents)
                    .map_err(failed(name, "resolve the opaque directory"))?
                else {
                    return Ok(());
                };
                let dir_inode = self
                    .keep_times(&join(parents), dir.as_fd())
                    .map_err(failed(name, "look at the opaque directory"))?;
                let dir = root::open_dir(&dir, c".")
                    .map_err(failed(name, "open the opaque directory"))?;
                let children = crate::listing::names(dir.as_fd())
                    .map_err(failed(name, "list the opaque directory"))?;
                for child in children {
                    self.remove_lower(dir.as_fd(), dir_inode, &child)
                        .map_err(failed(name, "remove what the whiteout hides"))?;
                }
                Ok(())
            }
            WhiteoutMode::Overlayfs => {
                let (dir, _) = self
                    .make_parent(parents)
                    .map_err(failed(name, "resolve the opaque directory"))?;
                let dir = root::open_dir(&dir, c".")
                    .map_err(failed(name, "open the opaque directory"))?;
                let attribute = if self.options.rootless {
                    "user.overlay.opaque"
                } else {
                    "trusted.overlay.opaque"
                };
                rustix::fs::fsetxattr(&dir, attribute, b"y", XattrFlags::empty())
                    .map_err(failed(name, "mark the directory opaque"))
            }
        }
    }

    /// Removes `file_name` in `parent` (whose inode is `parent_inode`) as
    /// far as it comes from lower layers: all of it when this layer wrote
    /// nothing there, else only the lower children of the directories this
    /// layer wrote into. Iterative, with a few descriptors open whatever
    /// the depth: the directories still to visit are kept as paths below
    /// `parent`.
    fn remove_lower(
        &self,
        parent: BorrowedFd<'_>,
        parent_inode: Inode,
        file_name: &[u8],
    ) -> rustix::io::Result<()> {
        let mut pending: Vec<(Vec<Vec<u8>>, Inode)> = Vec::new();
        if let Some(dir) = self.remove_unless_mine(parent, parent_inode, file_name)? {
            pending.push((vec![file_name.to_vec()], dir));
        }
        while let Some((path, dir_inode)) = pending.pop() {
            let components: Vec<&[u8]> = path.iter().map(Vec::as_slice).collect();
            let Some(dir) = root::open_beneath(parent, &components)? else {
                continue;
            };
            let dir = root::open_dir(&dir, c".")?;
            for child in crate::listing::names(dir.as_fd())? {
                if let Some(child_inode) =
                    self.remove_unless_mine(dir.as_fd(), dir_inode, &child)?
                {
                    let mut child_path = path.clone();
                    child_path.push(child);
                    pending.push((child_path, child_inode));
                }
            }
        }
        Ok(())
    }

    /// Removes `file_name` in `dir` unless this layer wrote it or wrote
    /// something below it; returns the inode of a directory whose lower
    /// children are still to be removed.
    fn remove_unless_mine(
        &self,
        dir: BorrowedFd<'_>,
        dir_inode: Inode,
        file_name: &[u8],
    ) -> rustix::io::Result<Option<Inode>> {
        let stat = match rustix::fs::statat(dir, file_name, AtFlags::SYMLINK_NOFOLLOW) {
            Ok(stat) => stat,
            Err(Errno::NOENT) => return Ok(None),
            Err(e) => return Err(e),
        };
        let is_dir = FileType::from_raw_mode(stat.st_mode) == FileType::Directory;
        let mine = self.written.contains(&(dir_inode, file_name.to_vec()));
        let holds_mine = is_dir && self.holds_written.contains(&inode(&stat));
        if !mine && !holds_mine {
            root::with_write_access(dir, || root::remove_tree(dir, file_name))?;
            return Ok(None);
        }
        Ok(is_dir.then(|| inode(&stat)))
    }
}
