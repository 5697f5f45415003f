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

use super::meta::{Meta, Target, Time};
use super::meter::Gauge;
use super::pax::{self, Records};
use super::stream_error;
use crate::root::{self, PATH_MAX, Root, clean, join};
use crate::{Applied, ApplyOptions, Error, Result, Warning, map_id};

/// The modes and times of a directory, set when the layer is done.
#[derive(Debug, Clone, Copy)]
struct DirMeta {
    mode: u32,
    atime: Time,
    mtime: Time,
}

/// What one entry's headers say, besides its name and type.
struct Header {
    mode: u32,
    uid: u32,
    gid: u32,
    atime: Time,
    mtime: Time,
    xattrs: Vec<(Vec<u8>, Vec<u8>)>,
}

/// Applies the entries of one layer.
pub(super) struct Applier<'a> {
    pub(super) root: &'a Root,
    pub(super) options: &'a ApplyOptions,
    gauge: Rc<Gauge>,
    entries: u64,
    /// What this layer wrote, as (directory, name): its whiteouts leave
    /// them alone. Directories are known by inode, not by path, so that a
    /// whiteout spelling a path another way (through a symlink such as
    /// `lib -> usr/lib`) still finds them.
    pub(super) written: HashSet<(Inode, Vec<u8>)>,
    /// Directories holding something this layer wrote, at any depth.
    pub(super) holds_written: HashSet<Inode>,
    /// Directories the layer lists: their metadata comes from the layer.
    listed: HashSet<Inode>,
    /// Devices a rootless apply skipped: hardlinks to them are skipped too.
    skipped_devices: HashSet<(Inode, Vec<u8>)>,
    root_inode: Inode,
    dirs: BTreeMap<Vec<u8>, DirMeta>,
    /// The times of directories the layer changes without listing them,
    /// from before the change: set back at the end, so that they keep the
    /// lower layer's times as umoci keeps them (and the root does not
    /// depend on the clock).
    kept: HashMap<Inode, (Vec<u8>, Time, Time)>,
    meta: Meta,
    /// The last entry's name, for errors about the stream after it.
    last: String,
    buffer: Vec<u8>,
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
            let name = records
                .path
                .clone()
                .unwrap_or_else(|| entry.path_bytes().into_owned());
            self.last = String::from_utf8_lossy(&name).into_owned();
            self.apply(&mut entry, name, records)?;
            // Data an entry type does not use (a symlink with a size) is
            // read past here, metered like the rest.
            io::copy(&mut entry, &mut io::sink())
                .map_err(|e| stream_error(e, format!("in entry {:?}", self.last)))?;
        }
        self.gauge.end_headers();
        Ok(())
    }

    /// Sets the deferred directory modes and times, deepest first, and
    /// reports what the apply did.
    pub(super) fn finish(mut self) -> Result<Applied> {
        let dirs = std::mem::take(&mut self.dirs);
        for (path, meta) in dirs.iter().rev() {
            let shown = String::from_utf8_lossy(path).into_owned();
            let components: Vec<&[u8]> = if path.is_empty() {
                Vec::new()
            } else {
                path.split(|&b| b == b'/').collect()
            };
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
            let components: Vec<&[u8]> = path
                .split(|&b| b == b'/')
                .filter(|c| !c.is_empty())
                .collect();
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
    pub(super) fn make_parent(
        &mut self,
        parents: &[&[u8]],
    ) -> rustix::io::Result<(OwnedFd, Inode)> {
        let root = self.root;
        let fd = root.make_dir(parents, &mut |path, fd| {
            // Best effort: a directory that cannot be stat'ed fails below.
            let _ = self.keep_times(path, fd);
        })?;
        let inode = self.keep_times(&join(parents), fd.as_fd())?;
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
        if records.sparse {
            return Err(bad(
                &name,
                "a PAX sparse file (GNU.sparse.* records) is not supported: store the file whole (GNU tar without --sparse)",
            ));
        }
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
        let parent = parent.as_fd();
        let wrote = |this: &mut Self| {
            this.wrote(parent, parent_inode, file_name)
                .map_err(failed(&name, "look up the parent directories"))
        };
        match kind {
            EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => {
                wrote(self)?;
                self.file(entry, parent, file_name, &header, &name)
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

    /// The mode, owner (mapped), times and attributes of an entry.
    fn header<R: Read>(
        &self,
        entry: &mut tar::Entry<'_, R>,
        records: Records,
        name: &str,
    ) -> Result<Header> {
        let h = entry.header();
        let old = h.as_old();
        let mode = numeric(h.mode().map(u64::from), &old.mode)
            .map_err(|e| bad(name, format!("bad mode field: {e}")))?;
        let mode = u32::try_from(mode)
            .map_err(|_| bad(name, format!("mode {mode:o} does not fit in 32 bits")))?;
        let id = |value: io::Result<u64>,
                  raw: &[u8],
                  what: &str,
                  map: &[crate::IdMapping]|
         -> Result<u32> {
            let raw =
                numeric(value, raw).map_err(|e| bad(name, format!("bad {what} field: {e}")))?;
            let raw = u32::try_from(raw)
                .map_err(|_| bad(name, format!("{what} {raw} does not fit in 32 bits")))?;
            map_id(map, raw)
                .ok_or_else(|| bad(name, format!("{what} {raw} is outside the {what} mapping")))
        };
        // The PAX records as read by length win over the tar reader's.
        let uid = match records.uid {
            Some(uid) => id(Ok(uid), &[], "uid", &self.options.uid_map)?,
            None => id(h.uid(), &old.uid, "uid", &self.options.uid_map)?,
        };
        let gid = match records.gid {
            Some(gid) => id(Ok(gid), &[], "gid", &self.options.gid_map)?,
            None => id(h.gid(), &old.gid, "gid", &self.options.gid_map)?,
        };
        let header_mtime = numeric(h.mtime(), &old.mtime)
            .map_err(|e| bad(name, format!("bad mtime field: {e}")))?;
        let mut mtime = Time {
            secs: i64::try_from(header_mtime).unwrap_or(i64::MAX),
            nanos: 0,
        };
        if let Some(secs) = records.mtime {
            mtime = secs;
        }
        Ok(Header {
            mode,
            uid,
            gid,
            atime: records.atime.unwrap_or(mtime),
            mtime,
            xattrs: records.xattrs,
        })
    }

    fn file<R: Read>(
        &mut self,
        entry: &mut tar::Entry<'_, R>,
        parent: BorrowedFd<'_>,
        file_name: &[u8],
        header: &Header,
        name: &str,
    ) -> Result<()> {
        let flags =
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd: OwnedFd = replacing(parent, file_name, || {
            rustix::fs::openat(parent, file_name, flags, Mode::from_raw_mode(0o600))
        })
        .map_err(failed(name, "create the file"))?;
        let mut file = File::from(fd);
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

/// A file's identity: device and inode numbers.
pub(super) type Inode = (u64, u64);

/// The [`Inode`] of a stat result.
pub(super) fn inode(stat: &rustix::fs::Stat) -> Inode {
    (stat.st_dev, stat.st_ino)
}

/// A numeric header field, with an empty one (all NULs or spaces, as some
/// writers leave fields they do not use) read as 0, as GNU tar does.
fn numeric(value: io::Result<u64>, raw: &[u8]) -> io::Result<u64> {
    match value {
        Err(_) if raw.iter().all(|&b| b == 0 || b == b' ') => Ok(0),
        other => other,
    }
}

/// A tar entry type in words, for messages.
fn type_name(kind: EntryType) -> String {
    match kind {
        EntryType::Regular => "a regular file".into(),
        EntryType::Link => "a hardlink".into(),
        EntryType::Symlink => "a symlink".into(),
        EntryType::Char => "a character device".into(),
        EntryType::Block => "a block device".into(),
        EntryType::Directory => "a directory".into(),
        EntryType::Fifo => "a FIFO".into(),
        other => format!("{:?}", char::from(other.as_byte())),
    }
}
