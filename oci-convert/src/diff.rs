//! The changes of a root since its [`Baseline`], and the layer that
//! carries them (image-spec layer.md, Change Types, Whiteouts, Opaque
//! Whiteout): additions and modifications as entries, deletions as
//! whiteouts.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::io::Write;
use std::os::fd::{BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};

use ocikit_layout::codec::Codec;
use ocikit_layout::{Layout, StoredLayer};
use rustix::fs::FileType;

use crate::baseline::Baseline;
use crate::build::walk::{Visitor, walk};
use crate::build::{BuildOptions, BuildStats, Emitter, WHITEOUT_PREFIX, source};
use crate::{Error, Result};

/// The opaque whiteout's name (layer.md, Opaque Whiteout).
const OPAQUE: &[u8] = b".wh..wh..opq";

/// What changed in a root since its baseline. Paths are relative to the
/// root, each list sorted by path bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Changes {
    /// New paths, including everything inside a directory listed in
    /// `opaque`.
    pub added: Vec<PathBuf>,
    /// Paths that exist in both with different metadata (or type).
    pub modified: Vec<PathBuf>,
    /// Paths gone since the baseline, topmost only: `a` when the directory
    /// `a` and its contents went. Each becomes a `.wh.NAME` whiteout.
    pub deleted: Vec<PathBuf>,
    /// Directories replaced by a new directory of the same name (another
    /// inode): written with an opaque whiteout, so none of the old
    /// contents survive, and all of their current contents (in `added`).
    pub opaque: Vec<PathBuf>,
}

impl Changes {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.added.is_empty()
            && self.modified.is_empty()
            && self.deleted.is_empty()
            && self.opaque.is_empty()
    }
}

fn to_path(bytes: &[u8]) -> PathBuf {
    PathBuf::from(OsStr::from_bytes(bytes))
}

fn parent(path: &[u8]) -> Option<&[u8]> {
    path.iter().rposition(|&b| b == b'/').map(|i| &path[..i])
}

/// Proper ancestors of `path`, nearest first.
fn ancestors(path: &[u8]) -> impl Iterator<Item = &[u8]> {
    std::iter::successors(parent(path), |p| parent(p))
}

/// Compares the tree at `root` with `baseline` (one `lstat` walk, no
/// content read).
///
/// A file counts as changed when its type, inode, size, mtime, ctime,
/// mode, uid or gid differs from the baseline: the ctime catches chmod,
/// chown and xattr edits, and an edit that restores the mtime; the inode
/// catches a file replaced by rename. No content is hashed.
///
/// A deleted path is listed only when its parent directory still exists
/// as the same directory: the deletion of a directory's contents is
/// implied by the directory's own deletion, by its replacement with a
/// non-directory (applying that entry replaces the whole directory), or by
/// an opaque whiteout.
///
/// # Errors
///
/// As [`Baseline::record`].
pub fn diff(root: &Path, baseline: &Baseline) -> Result<Changes> {
    let now = Baseline::record(root)?;
    let (old, new) = (&baseline.records, &now.records);
    let mut changes = Changes::default();
    let mut opaque: BTreeSet<&[u8]> = BTreeSet::new();
    // Byte order visits a directory before anything inside it (a prefix
    // sorts first), so its ancestors are classified by then.
    for (path, record) in new {
        if ancestors(path).any(|a| opaque.contains(a)) {
            changes.added.push(to_path(path));
            continue;
        }
        match old.get(path) {
            None => changes.added.push(to_path(path)),
            Some(before) if before == record => {}
            Some(before)
                if before.kind == FileType::Directory
                    && record.kind == FileType::Directory
                    && before.ino != record.ino =>
            {
                opaque.insert(path);
                changes.opaque.push(to_path(path));
            }
            Some(_) => changes.modified.push(to_path(path)),
        }
    }
    for path in old.keys().filter(|p| !new.contains_key(*p)) {
        let parent_kept = match parent(path) {
            None => true,
            Some(dir) => {
                !opaque.contains(dir)
                    && !ancestors(dir).any(|a| opaque.contains(a))
                    && matches!(
                        (old.get(dir), new.get(dir)),
                        (Some(o), Some(n)) if o.kind == FileType::Directory
                            && n.kind == FileType::Directory
                            && o.ino == n.ino
                    )
            }
        };
        if parent_kept {
            changes.deleted.push(to_path(path));
        }
    }
    Ok(changes)
}

/// Writes `changes` of the tree at `root` as an uncompressed layer tar.
///
/// Within each directory: the directory's own entry, then its opaque
/// whiteout if any, then the whiteouts of its deleted children (layer.md:
/// whiteouts SHOULD come before sibling directory entries), then the
/// children in byte order. Every directory on the way to a change is
/// written too, with its current metadata, even when it did not change
/// itself (umoci 0.4.7 writes only changed ones): the layer is then
/// self-contained, and whatever the lower layers hold at a parent's path,
/// the apply leaves it the directory it is in the root rather than one it
/// invents (0755, root-owned).
///
/// A file with several links becomes a hardlink entry only to a path
/// written earlier in the same layer; a new link to a file the layer
/// does not carry is written as a regular file with its content, so the
/// layer never depends on what a lower layer holds at that path.
///
/// # Errors
///
/// As [`write_layer_tar`](crate::write_layer_tar), and
/// [`Error::Io`] when a path of `changes` is gone from the tree.
pub fn write_diff_tar(
    root: &Path,
    changes: &Changes,
    out: impl Write,
    options: &BuildOptions,
) -> Result<BuildStats> {
    let plan = Plan::new(changes);
    let fd = source::open_root(root)?;
    let mut writer = PlanWriter {
        plan: &plan,
        emitter: Emitter::new(root, out, options, "repack"),
        left: plan.emit.clone(),
    };
    walk(root, fd, &mut writer)?;
    if let Some(missing) = writer.left.first() {
        return Err(Error::Io {
            action: "write the change of",
            path: source::host_path(root, missing),
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "the path is listed as changed but is no longer in the tree",
            ),
        });
    }
    let (_, stats) = writer.emitter.finish()?;
    Ok(stats)
}

/// Diffs `root` against `baseline` and stores the changes as a new layer
/// blob compressed with `codec`; `None` when nothing changed (no blob is
/// written then).
///
/// ```
/// use ocikit_convert::{Baseline, BuildOptions};
/// use ocikit_layout::{Layout, codec::{Codec, Decoder}};
/// # let dir = tempfile::tempdir()?;
/// let layout = Layout::init(dir.path().join("image"))?;
/// let root = dir.path().join("rootfs");
/// std::fs::create_dir_all(root.join("etc"))?;
/// std::fs::write(root.join("etc/motd"), "hello\n")?;
/// std::fs::write(root.join("etc/issue"), "Debian\n")?;
///
/// let baseline = Baseline::record(&root)?; // metadata only, no hashing
/// std::fs::write(root.join("etc/motd"), "changed\n")?;
/// std::fs::remove_file(root.join("etc/issue"))?;
///
/// let layer = ocikit_convert::diff_layer(&layout, &root, &baseline, Codec::zstd(), &BuildOptions::default())?
///     .expect("two changes");
/// // The layer holds the new etc/motd and a whiteout for etc/issue.
/// let mut entries = Vec::new();
/// let blob = layout.open_blob(&layer.descriptor)?;
/// let tar = Decoder::for_media_type(blob, &layer.descriptor.media_type)?;
/// for entry in tar::Archive::new(tar).entries()? {
///     entries.push(entry?.path()?.display().to_string());
/// }
/// assert_eq!(entries, ["etc/", "etc/.wh.issue", "etc/motd"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// As [`diff`] and [`write_diff_tar`], plus
/// [`Error::Layout`](crate::Error::Layout) and
/// [`Error::Codec`](crate::Error::Codec) when storing fails.
pub fn diff_layer(
    layout: &Layout,
    root: &Path,
    baseline: &Baseline,
    codec: Codec,
    options: &BuildOptions,
) -> Result<Option<StoredLayer>> {
    let changes = diff(root, baseline)?;
    if changes.is_empty() {
        return Ok(None);
    }
    layout
        .put_layer_with(codec, |out| {
            write_diff_tar(root, &changes, out, options).map(|_| ())
        })
        .map(Some)
}

/// What a diff layer holds, as byte paths.
struct Plan {
    /// Paths written as entries.
    emit: BTreeSet<Vec<u8>>,
    /// Directories to enter: every proper ancestor of a change.
    enter: BTreeSet<Vec<u8>>,
    opaque: BTreeSet<Vec<u8>>,
    /// Deleted names by parent directory.
    whiteouts: BTreeMap<Vec<u8>, Vec<Vec<u8>>>,
}

impl Plan {
    fn new(changes: &Changes) -> Plan {
        let bytes = |p: &PathBuf| p.as_os_str().as_bytes().to_vec();
        let opaque: BTreeSet<Vec<u8>> = changes.opaque.iter().map(bytes).collect();
        let emit: BTreeSet<Vec<u8>> = changes
            .added
            .iter()
            .chain(&changes.modified)
            .chain(&changes.opaque)
            .map(bytes)
            .collect();
        let mut whiteouts: BTreeMap<Vec<u8>, Vec<Vec<u8>>> = BTreeMap::new();
        for path in changes.deleted.iter().map(bytes) {
            let (dir, name) = match path.iter().rposition(|&b| b == b'/') {
                Some(i) => (path[..i].to_vec(), path[i + 1..].to_vec()),
                None => (Vec::new(), path.clone()),
            };
            whiteouts.entry(dir).or_default().push(name);
        }
        for names in whiteouts.values_mut() {
            names.sort();
        }
        let deleted: Vec<Vec<u8>> = changes.deleted.iter().map(bytes).collect();
        let mut enter = BTreeSet::new();
        for path in emit.iter().chain(&deleted) {
            for a in ancestors(path) {
                if !enter.insert(a.to_vec()) {
                    break; // its ancestors are in already
                }
            }
        }
        Plan {
            emit,
            enter,
            opaque,
            whiteouts,
        }
    }
}

/// The walk of [`write_diff_tar`]: the entries of a [`Plan`], and the
/// paths of it not met yet.
struct PlanWriter<'p, 'o, W: Write> {
    plan: &'p Plan,
    emitter: Emitter<'o, W>,
    left: BTreeSet<Vec<u8>>,
}

impl<W: Write> Visitor for PlanWriter<'_, '_, W> {
    fn enter(&mut self, rel: &[u8]) -> Result<()> {
        if self.plan.opaque.contains(rel) {
            self.emitter.whiteout(&source::join(rel, OPAQUE))?;
        }
        for name in self.plan.whiteouts.get(rel).into_iter().flatten() {
            let mut wh = WHITEOUT_PREFIX.to_vec();
            wh.extend_from_slice(name);
            self.emitter.whiteout(&source::join(rel, &wh))?;
        }
        Ok(())
    }

    fn visit(&mut self, dir: BorrowedFd<'_>, name: &[u8], rel: &[u8]) -> Result<Option<OwnedFd>> {
        // An opaque directory is entered even when nothing in it is new:
        // its opaque whiteout must still be written.
        let enter = self.plan.enter.contains(rel) || self.plan.opaque.contains(rel);
        if !enter && !self.plan.emit.contains(rel) {
            return Ok(None);
        }
        self.left.remove(rel);
        let sub = self.emitter.emit(dir, name, rel)?;
        Ok(sub.filter(|_| enter))
    }
}
