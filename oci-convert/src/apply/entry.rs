//! One tar entry at a time onto the root: names cleaned and confined,
//! whatever is in the way replaced, metadata set, directory modes and
//! times kept for the end so later entries cannot disturb them.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::rc::Rc;

use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;
use tar::EntryType;

use super::dirs::{DirMeta, Inode, inode};
use super::header::{Header, type_name};
use super::meta::{Meta, Target, Time};
use super::meter::Gauge;
use super::pax::{self, Records};
use super::sparse::{self, SparseError};
use super::stream_error;
use crate::root::{self, PATH_MAX, Root, clean, join};
use crate::{ApplyOptions, Error, Result, Warning};

/// Applies the entries of one layer.
pub(super) struct Applier<'a> {
    pub(super) root: &'a Root,
    pub(super) options: &'a ApplyOptions,
    pub(super) gauge: Rc<Gauge>,
    pub(super) entries: u64,
    /// What this layer wrote, as (directory, name): its whiteouts leave
    /// them alone. Directories are known by inode, not by path, so that a
    /// whiteout spelling a path another way (through a symlink such as
    /// `lib -> usr/lib`) still finds them.
    pub(super) written: HashSet<(Inode, Vec<u8>)>,
    /// Directories holding something this layer wrote, at any depth.
    pub(super) holds_written: HashSet<Inode>,
    /// Directories the layer lists: their metadata comes from the layer.
    pub(super) listed: HashSet<Inode>,
    /// Devices a rootless apply skipped: hardlinks to them are skipped too.
    pub(super) skipped_devices: HashSet<(Inode, Vec<u8>)>,
    pub(super) root_inode: Inode,
    pub(super) dirs: BTreeMap<Vec<u8>, DirMeta>,
    /// The times of directories the layer changes without listing them,
    /// from before the change: set back at the end, so that they keep the
    /// lower layer's times as umoci keeps them (and the root does not
    /// depend on the clock).
    pub(super) kept: HashMap<Inode, (Vec<u8>, Time, Time)>,
    pub(super) meta: Meta,
    /// The last entry's name, for errors about the stream after it.
    pub(super) last: String,
    pub(super) buffer: Vec<u8>,
    /// The parent directory the last entry was made in, by its path.
    pub(super) parent_cache: Option<CachedParent>,
    /// The cache the entry being applied may use: the previous entry's, so
    /// only between consecutive entries (see `make_parent`).
    pub(super) reusable_parent: Option<CachedParent>,
}

/// A resolved parent directory: its cleaned path, descriptor and inode.
pub(super) struct CachedParent {
    pub(super) path: Vec<u8>,
    pub(super) fd: Rc<OwnedFd>,
    pub(super) inode: Inode,
}

/// A [`Error::BadEntry`].
pub(super) fn bad(entry: &str, reason: impl Into<String>) -> Error {
    Error::BadEntry {
        entry: entry.to_string(),
        reason: reason.into(),
    }
}

/// An [`Error::EntryIo`].
pub(super) fn failed<'e>(entry: &'e str, action: &'static str) -> impl FnOnce(Errno) -> Error + 'e {
    move |e| Error::EntryIo {
        entry: entry.to_string(),
        action,
        source: e.into(),
    }
}

impl<'a> Applier<'a> {
    pub(super) fn new(root: &'a Root, options: &'a ApplyOptions, gauge: Rc<Gauge>) -> Self {
        Applier {
            root,
            options,
            gauge,
            entries: 0,
            written: HashSet::new(),
            holds_written: HashSet::new(),
            listed: HashSet::new(),
            skipped_devices: HashSet::new(),
            root_inode: rustix::fs::fstat(root.fd()).map_or((0, 0), |st| inode(&st)),
            dirs: BTreeMap::new(),
            kept: HashMap::new(),
            meta: Meta::default(),
            last: String::new(),
            buffer: vec![0; 256 << 10],
            parent_cache: None,
            reusable_parent: None,
        }
    }

    fn after(&self) -> String {
        if self.entries == 0 {
            "at the start".into()
        } else {
            format!("after entry {:?}", self.last)
        }
    }

    /// Applies every entry of `archive`.
    pub(super) fn run<R: Read>(&mut self, archive: &mut tar::Archive<R>) -> Result<()> {
        let mut entries = archive
            .entries()
            .map_err(|e| stream_error(e, "at the start"))?;
        loop {
            self.gauge.begin_headers();
            let Some(entry) = entries.next() else { break };
            self.gauge.end_headers();
            let mut entry = entry.map_err(|e| stream_error(e, self.after()))?;
            let records = pax::records(&self.gauge.headers.borrow(), self.gauge.mark.get());
            self.entries += 1;
            self.gauge.tracker.add_entry();
            let limit = self.options.limits.max_entries;
            if self.entries > limit {
                return Err(Error::LimitExceeded {
                    what: "the number of tar entries",
                    field: "max_entries",
                    limit,
                });
            }
            let records = match records {
                Ok(records) => records,
                Err(reason) => {
                    let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
                    return Err(bad(&name, reason));
                }
            };
            // A sparse file's real name is in its own record; the entry's
            // is GNU tar's `GNUSparseFile.N/NAME`.
            let sparse_name = records.sparse.as_ref().and_then(|s| s.name.clone());
            let name = sparse_name
                .or_else(|| records.path.clone())
                .unwrap_or_else(|| entry.path_bytes().into_owned());
            self.last = String::from_utf8_lossy(&name).into_owned();
            // Only the previous entry's parent may be reused: an entry that
            // does not resolve one (a whiteout) ends the reuse.
            self.reusable_parent = self.parent_cache.take();
            self.apply(&mut entry, name, records)?;
            // Data an entry type does not use (a symlink with a size) is
            // read past here, metered like the rest.
            io::copy(&mut entry, &mut io::sink())
                .map_err(|e| stream_error(e, format!("in entry {:?}", self.last)))?;
        }
        self.gauge.end_headers();
        Ok(())
    }

    fn apply<R: Read>(
        &mut self,
        entry: &mut tar::Entry<'_, R>,
        name_bytes: Vec<u8>,
        mut records: Records,
    ) -> Result<()> {
        let mut kind = entry.header().entry_type();
        // An old-style entry (type NUL, from before ustar) named with a
        // trailing slash is a directory, as Go's archive/tar and GNU tar
        // read it.
        if entry.header().as_bytes()[156] == 0 && name_bytes.ends_with(b"/") {
            kind = EntryType::Directory;
        }
        if kind.is_pax_global_extensions() {
            return Ok(()); // defaults for later entries; every field we use is per entry
        }
        let name = self.last.clone();
        let sparse_size = match &records.sparse {
            Some(sparse) => {
                let size = sparse.check().map_err(|reason| bad(&name, reason))?;
                let limit = self.options.limits.max_bytes;
                if size > limit {
                    return Err(Error::LimitExceeded {
                        what: "the real size of a sparse file",
                        field: "max_bytes",
                        limit,
                    });
                }
                if kind != EntryType::Regular {
                    return Err(bad(&name, "a sparse entry that is not a regular file"));
                }
                Some(size)
            }
            None => None,
        };
        if let Some(size) = records.size
            && size != entry.size()
        {
            return Err(bad(
                &name,
                format!(
                    "its PAX size record says {size} bytes, the tar reader found {}",
                    entry.size()
                ),
            ));
        }
        if name_bytes.len() > PATH_MAX {
            return Err(bad(
                &name,
                format!(
                    "the name is {} bytes long, more than Linux's PATH_MAX ({PATH_MAX})",
                    name_bytes.len()
                ),
            ));
        }
        let components = clean(&name_bytes).map_err(|reason| bad(&name, reason))?;
        if let Some((last, parents)) = components.split_last() {
            if let Some(dir) = parents.iter().find(|p| p.starts_with(b".wh.")) {
                if dir.starts_with(b".wh..wh.") {
                    return Ok(()); // aufs metadata (".wh..wh.plnk/..."): not content
                }
                return Err(bad(
                    &name,
                    "a directory whose name starts with \".wh.\" cannot exist in a layer (layer.md, Whiteouts)",
                ));
            }
            if last.starts_with(b".wh.") {
                return self.whiteout(&name, parents, last);
            }
        }
        let link_target = records
            .linkpath
            .take()
            .or_else(|| entry.link_name_bytes().map(|t| t.into_owned()))
            .unwrap_or_default();
        let header = self.header(entry, records, &name)?;
        let Some((file_name, parents)) = components.split_last() else {
            if kind != EntryType::Directory {
                return Err(bad(
                    &name,
                    format!(
                        "the root entry must be a directory, found {}",
                        type_name(kind)
                    ),
                ));
            }
            let fd = root::open_dir(self.root.fd(), c".")
                .map_err(failed(&name, "open the root directory"))?;
            self.dir_meta(&fd, Vec::new(), &header, &name)?;
            return Ok(());
        };
        let (parent, parent_inode) = self
            .make_parent(parents)
            .map_err(failed(&name, "resolve the parent directory"))?;
        let parent = parent.as_ref().as_fd();
        let wrote = |this: &mut Self| {
            this.wrote(parent, parent_inode, file_name)
                .map_err(failed(&name, "look up the parent directories"))
        };
        match kind {
            EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => {
                wrote(self)?;
                self.file(entry, parent, file_name, &header, &name, sparse_size)
            }
            EntryType::Directory => {
                wrote(self)?;
                self.directory(parent, file_name, join(&components), &header, &name)
            }
            EntryType::Symlink => {
                let target = &link_target;
                if target.is_empty() {
                    return Err(bad(&name, "a symlink with an empty target"));
                }
                wrote(self)?;
                replacing(parent, file_name, || {
                    rustix::fs::symlinkat(target.as_slice(), parent, *file_name)
                })
                .map_err(failed(&name, "create the symlink"))?;
                self.node_meta(parent, file_name, FileType::Symlink, &header, &name)
            }
            EntryType::Link => {
                let target = &link_target;
                wrote(self)?;
                self.hardlink(parent, file_name, &components, target, &name)
            }
            EntryType::Char | EntryType::Block | EntryType::Fifo => {
                let file_type = match kind {
                    EntryType::Char => FileType::CharacterDevice,
                    EntryType::Block => FileType::BlockDevice,
                    _ => FileType::Fifo,
                };
                if self.options.rootless && file_type != FileType::Fifo {
                    let entry = PathBuf::from(OsStr::from_bytes(&join(&components)));
                    self.meta.warnings.push(Warning::DeviceSkipped { entry });
                    self.skipped_devices
                        .insert((parent_inode, file_name.to_vec()));
                    return Ok(());
                }
                let major = entry.header().device_major().ok().flatten().unwrap_or(0);
                let minor = entry.header().device_minor().ok().flatten().unwrap_or(0);
                let device = rustix::fs::makedev(major, minor);
                wrote(self)?;
                replacing(parent, file_name, || {
                    rustix::fs::mknodat(
                        parent,
                        *file_name,
                        file_type,
                        Mode::from_raw_mode(0o600),
                        device,
                    )
                })
                .map_err(failed(&name, "create the node"))?;
                self.node_meta(parent, file_name, file_type, &header, &name)
            }
            other => Err(bad(
                &name,
                format!("entry type {} is not supported", type_name(other)),
            )),
        }
    }

    fn file<R: Read>(
        &mut self,
        entry: &mut tar::Entry<'_, R>,
        parent: BorrowedFd<'_>,
        file_name: &[u8],
        header: &Header,
        name: &str,
        sparse_size: Option<u64>,
    ) -> Result<()> {
        let flags =
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd: OwnedFd = replacing(parent, file_name, || {
            rustix::fs::openat(parent, file_name, flags, Mode::from_raw_mode(0o600))
        })
        .map_err(failed(name, "create the file"))?;
        let mut file = File::from(fd);
        if let Some(size) = sparse_size {
            sparse::write(entry, &mut file, size, &mut self.buffer).map_err(|e| match e {
                SparseError::Map(reason) => bad(name, reason),
                SparseError::Read(e) => stream_error(e, format!("in entry {name:?}")),
                SparseError::Write(e) => Error::EntryIo {
                    entry: name.to_string(),
                    action: "write the sparse file",
                    source: e,
                },
            })?;
            return self.metadata(Target::Fd(file.as_fd()), header, name);
        }
        loop {
            let n = entry
                .read(&mut self.buffer)
                .map_err(|e| stream_error(e, format!("in entry {name:?}")))?;
            if n == 0 {
                break;
            }
            file.write_all(&self.buffer[..n])
                .map_err(|e| Error::EntryIo {
                    entry: name.to_string(),
                    action: "write the file",
                    source: e,
                })?;
        }
        let target = Target::Fd(file.as_fd());
        self.metadata(target, header, name)
    }

    fn directory(
        &mut self,
        parent: BorrowedFd<'_>,
        file_name: &[u8],
        path: Vec<u8>,
        header: &Header,
        name: &str,
    ) -> Result<()> {
        let mut merged = false;
        match root::with_write_access(parent, || {
            rustix::fs::mkdirat(parent, file_name, Mode::from_raw_mode(0o700))
        }) {
            Ok(()) => {}
            Err(Errno::EXIST) => {
                match root::kind_at(parent, file_name).map_err(failed(name, "look at"))? {
                    // A directory over a directory merges: the lower content
                    // stays, the new metadata applies, attributes included.
                    Some(FileType::Directory) => merged = true,
                    _ => {
                        replacing(parent, file_name, || {
                            rustix::fs::mkdirat(parent, file_name, Mode::from_raw_mode(0o700))
                        })
                        .map_err(failed(name, "replace with a directory"))?;
                    }
                }
            }
            Err(e) => return Err(failed(name, "create the directory")(e)),
        }
        let fd = root::open_dir(parent, file_name).map_err(failed(name, "open the directory"))?;
        if merged {
            self.meta
                .drop_other_xattrs(fd.as_fd(), &header.xattrs, self.options)
                .map_err(failed(
                    name,
                    "remove the lower directory's extended attributes",
                ))?;
        }
        self.dir_meta(&fd, path, header, name)
    }

    /// Owner and attributes now; mode and times when the layer is done.
    fn dir_meta(&mut self, fd: &OwnedFd, path: Vec<u8>, header: &Header, name: &str) -> Result<()> {
        let target = Target::Fd(fd.as_fd());
        let stat = rustix::fs::fstat(fd).map_err(failed(name, "look at the directory"))?;
        self.listed.insert(inode(&stat));
        self.meta
            .owner(target, header.uid, header.gid, self.options, name)
            .map_err(failed(name, "set the owner"))?;
        self.meta
            .xattrs(target, &header.xattrs, self.options, name)
            .map_err(failed(name, "set extended attributes"))?;
        self.dirs.insert(
            path,
            DirMeta {
                mode: header.mode,
                atime: header.atime,
                mtime: header.mtime,
            },
        );
        Ok(())
    }

    /// Metadata of a symlink, device or FIFO, by name in its directory.
    fn node_meta(
        &mut self,
        parent: BorrowedFd<'_>,
        file_name: &[u8],
        kind: FileType,
        header: &Header,
        name: &str,
    ) -> Result<()> {
        let target = Target::At {
            parent,
            name: file_name,
            kind,
        };
        self.metadata(target, header, name)
    }

    /// Owner, mode, attributes and times, in that order (see `meta.rs`).
    fn metadata(&mut self, target: Target<'_>, header: &Header, name: &str) -> Result<()> {
        self.meta
            .owner(target, header.uid, header.gid, self.options, name)
            .map_err(failed(name, "set the owner"))?;
        Meta::mode(target, header.mode).map_err(failed(name, "set the mode"))?;
        self.meta
            .xattrs(target, &header.xattrs, self.options, name)
            .map_err(failed(name, "set extended attributes"))?;
        Meta::times(target, header.atime, header.mtime).map_err(failed(name, "set the times"))
    }

    /// A hardlink: its target must already be in the root (from this layer
    /// or a lower one), resolved inside it, and must not be a directory.
    fn hardlink(
        &mut self,
        parent: BorrowedFd<'_>,
        file_name: &[u8],
        components: &[&[u8]],
        target: &[u8],
        name: &str,
    ) -> Result<()> {
        let shown = String::from_utf8_lossy(target).into_owned();
        let target_components = clean(target)
            .map_err(|reason| bad(name, format!("hardlink target {shown:?}: {reason}")))?;
        let Some((target_name, target_parents)) = target_components.split_last() else {
            return Err(bad(name, "a hardlink to the root directory"));
        };
        if target_components == components {
            return Err(bad(name, "a hardlink to itself"));
        }
        let missing = || {
            bad(
                name,
                format!("hardlink target {shown:?} does not exist in the root"),
            )
        };
        let target_parent = self
            .root
            .find_dir(target_parents)
            .map_err(failed(name, "resolve the hardlink target"))?
            .ok_or_else(missing)?;
        if !self.skipped_devices.is_empty() {
            let target_dir = rustix::fs::fstat(&target_parent)
                .map_err(failed(name, "look at the hardlink target's directory"))?;
            if self
                .skipped_devices
                .contains(&(inode(&target_dir), target_name.to_vec()))
            {
                let entry = PathBuf::from(OsStr::from_bytes(&join(components)));
                self.meta.warnings.push(Warning::DeviceSkipped { entry });
                return Ok(());
            }
        }
        let target_stat =
            match rustix::fs::statat(&target_parent, *target_name, AtFlags::SYMLINK_NOFOLLOW) {
                Ok(stat) => stat,
                Err(Errno::NOENT) => return Err(missing()),
                Err(e) => return Err(failed(name, "look at the hardlink target")(e)),
            };
        if FileType::from_raw_mode(target_stat.st_mode) == FileType::Directory {
            return Err(bad(
                name,
                format!("hardlink target {shown:?} is a directory"),
            ));
        }
        if let Ok(existing) = rustix::fs::statat(parent, file_name, AtFlags::SYMLINK_NOFOLLOW)
            && (existing.st_dev, existing.st_ino) == (target_stat.st_dev, target_stat.st_ino)
        {
            return Ok(()); // already the same file
        }
        replacing(parent, file_name, || {
            rustix::fs::linkat(
                &target_parent,
                *target_name,
                parent,
                file_name,
                AtFlags::empty(),
            )
        })
        .map_err(failed(name, "create the hardlink"))
    }
}

/// Runs `create`; when something is in the way (EEXIST), removes it, with
/// everything under it if it is a directory, and runs `create` again.
fn replacing<T>(
    parent: BorrowedFd<'_>,
    name: &[u8],
    mut create: impl FnMut() -> rustix::io::Result<T>,
) -> rustix::io::Result<T> {
    root::with_write_access(parent, || match create() {
        Err(Errno::EXIST) => {
            root::remove_tree(parent, name)?;
            create()
        }
        other => other,
    })
}
