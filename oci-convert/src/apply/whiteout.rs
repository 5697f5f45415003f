//! Whiteouts (image-spec layer.md, "Whiteouts" and "Opaque Whiteout"):
//! `.wh.NAME` hides `NAME` of the lower layers, `.wh..wh..opq` hides every
//! lower child of its directory. Both apply to lower layers only: what this
//! same layer wrote stays, wherever in the layer the whiteout comes.

use std::os::fd::{AsFd, BorrowedFd};

use rustix::fs::{FileType, Mode, XattrFlags};

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
        let mut path = parents.to_vec();
        path.push(hidden);
        match self.options.whiteouts {
            WhiteoutMode::Apply => {
                let Some(parent) = self
                    .root
                    .find_dir(parents)
                    .map_err(failed(name, "resolve the whiteout's directory"))?
                else {
                    return Ok(()); // nothing there to hide
                };
                self.keep_times(&join(parents), parent.as_fd());
                self.remove_lower(parent.as_fd(), hidden, join(&path))
                    .map_err(failed(name, "remove what the whiteout hides"))
            }
            WhiteoutMode::Overlayfs => {
                let parent = self
                    .make_parent(parents)
                    .map_err(failed(name, "resolve the whiteout's directory"))?;
                self.remove_lower(parent.as_fd(), hidden, join(&path))
                    .map_err(failed(name, "remove what the whiteout hides"))?;
                // overlayfs's whiteout: a character device 0:0.
                rustix::fs::mknodat(
                    &parent,
                    hidden,
                    FileType::CharacterDevice,
                    Mode::empty(),
                    rustix::fs::makedev(0, 0),
                )
                .map_err(failed(name, "create the overlayfs whiteout"))?;
                self.wrote(&path);
                Ok(())
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
                self.keep_times(&join(parents), dir.as_fd());
                let dir = root::open_dir(&dir, c".")
                    .map_err(failed(name, "open the opaque directory"))?;
                let prefix = join(parents);
                let children =
                    list(dir.as_fd()).map_err(failed(name, "list the opaque directory"))?;
                for child in children {
                    let mut path = prefix.clone();
                    if !path.is_empty() {
                        path.push(b'/');
                    }
                    path.extend_from_slice(&child);
                    self.remove_lower(dir.as_fd(), &child, path)
                        .map_err(failed(name, "remove what the whiteout hides"))?;
                }
                Ok(())
            }
            WhiteoutMode::Overlayfs => {
                let dir = self
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

    /// Removes `file_name` in `parent` (whose path in the root is `path`)
    /// as far as it comes from lower layers: all of it when this layer wrote
    /// nothing there, else only the lower children of the directories this
    /// layer wrote into.
    fn remove_lower(
        &self,
        parent: BorrowedFd<'_>,
        file_name: &[u8],
        path: Vec<u8>,
    ) -> rustix::io::Result<()> {
        let written = self.written.contains(&path);
        if !written && !self.holds_written.contains(&path) {
            return root::remove_tree(parent, file_name);
        }
        if root::kind_at(parent, file_name)? != Some(FileType::Directory) {
            return Ok(()); // this layer's own file
        }
        let dir = root::open_dir(parent, file_name)?;
        for child in list(dir.as_fd())? {
            let mut child_path = path.clone();
            child_path.push(b'/');
            child_path.extend_from_slice(&child);
            self.remove_lower(dir.as_fd(), &child, child_path)?;
        }
        Ok(())
    }
}

/// The names in a directory, without `.` and `..`.
fn list(dir: BorrowedFd<'_>) -> rustix::io::Result<Vec<Vec<u8>>> {
    let mut names = Vec::new();
    for entry in rustix::fs::Dir::read_from(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_bytes();
        if name != b"." && name != b".." {
            names.push(name.to_vec());
        }
    }
    Ok(names)
}
