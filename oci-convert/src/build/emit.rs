//! Turning one file of the source tree into one layer entry (image-spec
//! layer.md, File Types, File Attributes, Hardlinks), shared by a full
//! build and a diff: ownership, modes, mtimes and xattrs per
//! [`BuildOptions`], hardlinks by (device, inode).

use std::collections::HashMap;
use std::io::Write;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::path::{Path, PathBuf};

use ocikit_layout::progress::Tracker;
use rustix::fs::FileType;

use super::source::{self, Meta};
use super::walk::Visitor;
use super::{BuildOptions, BuildStats, MtimePolicy, Ownership};
use crate::rootless;
use crate::tarwrite::{AppendError, Entry, Kind, TarWriter};
use crate::{Error, Result};

/// The prefix layer.md reserves for whiteouts.
pub(crate) const WHITEOUT_PREFIX: &[u8] = b".wh.";

/// The attribute an SELinux host sets on every file; it describes the
/// build host, not the image, so it is never written.
const SELINUX_XATTR: &[u8] = b"security.selinux";

/// A tar stream being written from files of the tree at `root`.
pub(crate) struct Emitter<'o, W: Write> {
    root: PathBuf,
    tar: TarWriter<W>,
    options: &'o BuildOptions,
    /// The first entry written for each (device, inode) with more than one
    /// link; later paths become hardlinks to it.
    links: HashMap<(u64, u64), Vec<u8>>,
}

impl<'o, W: Write> Emitter<'o, W> {
    /// Writes to `out` the entries of the tree at `root`, reporting to
    /// `options.progress` under `task`.
    pub(crate) fn new(root: &Path, out: W, options: &'o BuildOptions, task: &str) -> Self {
        let tracker = Tracker::new(&options.progress, task, None, None);
        Emitter {
            root: root.to_path_buf(),
            tar: TarWriter::with_tracker(out, tracker),
            options,
            links: HashMap::new(),
        }
    }

    /// Writes the entry for `name` in `dir` (at `rel` in the layer) and
    /// returns the open directory when it is one, for the caller to walk.
    /// Sockets are skipped: a layer cannot carry them usefully.
    pub(crate) fn emit(
        &mut self,
        dir: BorrowedFd<'_>,
        name: &[u8],
        rel: &[u8],
    ) -> Result<Option<OwnedFd>> {
        let path = source::host_path(&self.root, rel);
        if name.starts_with(WHITEOUT_PREFIX) {
            return Err(Error::Unrepresentable {
                path,
                reason: "names beginning with \".wh.\" are whiteouts in a layer (image-spec layer.md, Whiteouts); rename the file".into(),
            });
        }
        if rel.len() > crate::root::PATH_MAX {
            return Err(Error::Unrepresentable {
                path,
                reason: format!(
                    "the path is {} bytes long, more than Linux's PATH_MAX ({}): a container could not reach it, and apply refuses such entries",
                    rel.len(),
                    crate::root::PATH_MAX
                ),
            });
        }
        let meta = source::lstat_at(dir, name, &path)?;
        match meta.kind {
            FileType::Socket => Ok(None),
            FileType::Directory => {
                let fd = source::open_at(dir, name, true, &path)?;
                let meta = source::fstat(&fd, &path)?;
                let xattrs = source::xattrs(&fd, &path)?;
                self.write(rel, &path, &meta, Kind::Dir, xattrs, None)?;
                Ok(Some(fd))
            }
            FileType::RegularFile => {
                let fd = source::open_at(dir, name, false, &path)?;
                let meta = source::fstat(&fd, &path)?;
                if meta.kind != FileType::RegularFile {
                    return Err(Error::Io {
                        action: "read",
                        path,
                        source: std::io::Error::other(
                            "the file was replaced by another kind of file during the build",
                        ),
                    });
                }
                let xattrs = source::xattrs(&fd, &path)?;
                if let Some(target) = self.earlier_link(rel, &meta) {
                    self.write(rel, &path, &meta, Kind::Hardlink(&target), xattrs, None)?;
                } else {
                    let mut file = std::fs::File::from(fd);
                    let kind = Kind::File { size: meta.size };
                    self.write(rel, &path, &meta, kind, xattrs, Some(&mut file))?;
                }
                Ok(None)
            }
            FileType::Symlink => {
                let target = source::read_link_at(dir, name, &path)?;
                self.write_other(rel, &path, &meta, Kind::Symlink(&target))?;
                Ok(None)
            }
            FileType::CharacterDevice | FileType::BlockDevice => {
                let (major, minor) = (rustix::fs::major(meta.rdev), rustix::fs::minor(meta.rdev));
                let kind = if meta.kind == FileType::CharacterDevice {
                    Kind::Char { major, minor }
                } else {
                    Kind::Block { major, minor }
                };
                self.write_other(rel, &path, &meta, kind)?;
                Ok(None)
            }
            FileType::Fifo => {
                self.write_other(rel, &path, &meta, Kind::Fifo)?;
                Ok(None)
            }
            FileType::Unknown => Err(Error::Unrepresentable {
                path,
                reason: format!("unknown file type (mode {:o})", meta.mode),
            }),
        }
    }

    /// Writes a whiteout entry: an empty regular file (layer.md, Whiteouts),
    /// with fixed metadata so the layer stays deterministic.
    pub(crate) fn whiteout(&mut self, rel: &[u8]) -> Result<()> {
        let entry = Entry {
            name: rel,
            kind: Kind::File { size: 0 },
            mode: 0o644,
            uid: 0,
            gid: 0,
            mtime: self.mtime(0),
            xattrs: &[],
        };
        let path = source::host_path(&self.root, rel);
        self.tar
            .append(&entry, Some(&mut std::io::empty()))
            .map_err(|e| append_error(e, rel, path))
    }

    /// Ends the stream and returns the inner writer with the counts.
    pub(crate) fn finish(self) -> Result<(W, BuildStats)> {
        let stats = BuildStats {
            entries: self.tar.entries(),
            bytes: self.tar.bytes() + 1024,
        };
        let out = self.tar.finish().map_err(|source| Error::LayerWrite {
            entry: "(end of archive)".into(),
            source,
        })?;
        Ok((out, stats))
    }

    /// Symlinks, devices and FIFOs: no xattrs are read (`fgetxattr` needs
    /// a file opened for reading, and opening a device or FIFO has side
    /// effects); they can still be hardlinked.
    fn write_other(&mut self, rel: &[u8], path: &Path, meta: &Meta, kind: Kind<'_>) -> Result<()> {
        match self.earlier_link(rel, meta) {
            Some(target) => self.write(rel, path, meta, Kind::Hardlink(&target), Vec::new(), None),
            None => self.write(rel, path, meta, kind, Vec::new(), None),
        }
    }

    /// The earlier path of the same inode, or `None` (and `rel` is recorded
    /// as the first one) when this is the first or only link.
    fn earlier_link(&mut self, rel: &[u8], meta: &Meta) -> Option<Vec<u8>> {
        if meta.nlink < 2 {
            return None;
        }
        match self.links.entry((meta.dev, meta.ino)) {
            std::collections::hash_map::Entry::Occupied(first) => Some(first.get().clone()),
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(rel.to_vec());
                None
            }
        }
    }

    fn write(
        &mut self,
        rel: &[u8],
        path: &Path,
        meta: &Meta,
        kind: Kind<'_>,
        xattrs: Vec<(Vec<u8>, Vec<u8>)>,
        content: Option<&mut dyn std::io::Read>,
    ) -> Result<()> {
        let (mut uid, mut gid) = (meta.uid, meta.gid);
        if let Some((_, value)) = xattrs
            .iter()
            .find(|(n, _)| n.as_slice() == rootless::XATTR.as_bytes())
        {
            // A rootless unpack kept the real owner here; a build gives it
            // back, so unpack then build is a round trip. umoci records
            // "unchanged" (4294967295) for an id that is the unpacking
            // user's own, which is root inside the container.
            if let Some((u, g)) = rootless::decode(value) {
                let id = |v: u32| if v == rootless::NOOP_ID { 0 } else { v };
                (uid, gid) = (id(u), id(g));
            }
        }
        if let Ownership::Fixed { uid: u, gid: g } = self.options.ownership {
            (uid, gid) = (u, g);
        }
        // A hardlink shares its target's inode, attributes included: they
        // were written with the target's entry.
        let hardlink = matches!(kind, Kind::Hardlink(_));
        let xattrs: Vec<(Vec<u8>, Vec<u8>)> = if self.options.xattrs && !hardlink {
            xattrs
                .into_iter()
                .filter(|(n, _)| {
                    n.as_slice() != SELINUX_XATTR && n.as_slice() != rootless::XATTR.as_bytes()
                })
                .collect()
        } else {
            Vec::new()
        };
        let entry = Entry {
            name: rel,
            kind,
            mode: self.mode(meta),
            uid,
            gid,
            mtime: self.mtime(meta.mtime.0),
            xattrs: &xattrs,
        };
        self.tar
            .append(&entry, content)
            .map_err(|e| append_error(e, rel, path.to_path_buf()))
    }

    fn mode(&self, meta: &Meta) -> u32 {
        if !self.options.normalise_modes {
            return meta.mode;
        }
        let special = meta.mode & 0o7000;
        let perms = match meta.kind {
            FileType::Directory => 0o755,
            FileType::Symlink => 0o777,
            FileType::RegularFile if meta.mode & 0o100 != 0 => 0o755,
            _ => 0o644,
        };
        special | perms
    }

    fn mtime(&self, mtime: i64) -> i64 {
        match self.options.mtime {
            MtimePolicy::Keep => mtime,
            MtimePolicy::Clamp(max) => mtime.min(max),
            MtimePolicy::Fixed(t) => t,
        }
    }
}

/// A full build writes every file of the tree.
impl<W: Write> Visitor for Emitter<'_, W> {
    fn visit(&mut self, dir: BorrowedFd<'_>, name: &[u8], rel: &[u8]) -> Result<Option<OwnedFd>> {
        self.emit(dir, name, rel)
    }
}

fn append_error(err: AppendError, rel: &[u8], path: PathBuf) -> Error {
    match err {
        AppendError::Output(source) => Error::LayerWrite {
            entry: String::from_utf8_lossy(rel).into_owned(),
            source,
        },
        AppendError::Content(source) => Error::Io {
            action: "read",
            path,
            source,
        },
        AppendError::SizeChanged { expected, found } => Error::SourceChanged {
            path,
            expected,
            found,
        },
        AppendError::Unrepresentable(reason) => Error::Unrepresentable {
            path,
            reason: reason.into(),
        },
    }
}
