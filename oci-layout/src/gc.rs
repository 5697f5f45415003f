//! Garbage collection: remove the blobs nothing in `index.json` reaches
//! (image-spec image-layout.md: "The blobs directory MAY contain blobs which
//! are not referenced by any of the refs"), mark and sweep, safe beside
//! concurrent writers that follow the protocol below.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use ocikit_image::Digest;
use rustix::fs::FileType;

use crate::dir::{Access, BlobDirs, Dir, FileInfo};
use crate::walk::{Found, is_document, walk};
use crate::{Error, Layout, Result};

/// The default grace period of [`GcOptions`]: a day. An unreachable blob
/// younger than this is kept, because a writer may have stored it and not
/// tagged it yet. The grace must cover the window from a writer's first
/// blob to its tag; a day is well beyond pulling or building one image in
/// practice, and a too long grace only delays freeing space, while a too
/// short one can lose a writer's blobs. Pass a shorter grace (even zero)
/// when no writer can be running.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(24 * 60 * 60);

/// How old (since its last write) a temporary file (`.tmp-*`) must be
/// before gc removes it: a week. A live writer touches its temporary file
/// with every buffer it writes, so an old one was left by a crash. The age
/// is much longer than the grace period because removing the file of a
/// writer that merely stalled makes its commit fail; a week is past any
/// stall a writer survives.
pub const TEMP_FILE_MAX_AGE: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// What [`Layout::gc`] may remove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GcOptions {
    /// Unreachable blobs modified less than this long ago are kept
    /// ([`DEFAULT_GRACE`] by default).
    pub grace: Duration,
    /// Find what would be removed, remove nothing.
    pub dry_run: bool,
}

impl Default for GcOptions {
    fn default() -> Self {
        GcOptions {
            grace: DEFAULT_GRACE,
            dry_run: false,
        }
    }
}

/// One blob gc removed (or, in a dry run, would remove).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemovedBlob {
    /// The blob's digest.
    pub digest: Digest,
    /// Its size in bytes.
    pub size: u64,
}

/// What a gc run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GcReport {
    /// Whether this was a dry run (then nothing was removed, and `removed`
    /// and `removed_temp_files` say what a real run would remove).
    pub dry_run: bool,
    /// The number of distinct digests reachable from `index.json`.
    pub reachable: usize,
    /// The unreachable blobs removed, sorted by digest.
    pub removed: Vec<RemovedBlob>,
    /// The bytes those blobs held.
    pub bytes_freed: u64,
    /// Unreachable blobs kept because they are younger than the grace period.
    pub kept_by_grace: usize,
    /// Temporary files older than [`TEMP_FILE_MAX_AGE`] removed.
    pub removed_temp_files: Vec<PathBuf>,
}

impl Layout {
    /// Removes every blob that is not reachable from `index.json` and is
    /// older than `options.grace`, in every algorithm directory under
    /// `blobs/`, and temporary files older than [`TEMP_FILE_MAX_AGE`].
    /// Files whose names are neither blob names nor temporary files are
    /// never touched, and nothing is removed outside the layout's own
    /// directories: every removal goes through the descriptors of `blobs`
    /// and its algorithm directories, opened (without following a link)
    /// before the mark, so a link swapped in meanwhile changes nothing.
    ///
    /// Live is what the walk reaches from each descriptor in `index.json`:
    /// through image indexes and Docker manifest lists (nested), image
    /// manifests (OCI and Docker: `config`, `layers`), and the `subject` of
    /// either; a descriptor of an unknown media type is a live leaf. A
    /// referrer is live only if it is itself reachable (tagged or listed):
    /// being the subject of something keeps a manifest alive, not the
    /// other way round.
    ///
    /// ```
    /// use ocikit_image::MediaType;
    /// use ocikit_layout::{GcOptions, Layout};
    /// # let dir = tempfile::tempdir()?;
    /// let layout = Layout::init(dir.path().join("l"))?;
    /// let garbage = layout.put_bytes(MediaType::ImageLayer, b"nobody references me")?;
    /// // With no writer running, nothing needs the grace period.
    /// let options = GcOptions { grace: std::time::Duration::ZERO, ..Default::default() };
    /// let report = layout.gc(&GcOptions { dry_run: true, ..options.clone() })?;
    /// assert_eq!(report.removed[0].digest, garbage.digest);
    /// assert!(layout.has_blob(&garbage.digest));
    /// let report = layout.gc(&options)?;
    /// assert_eq!(report.bytes_freed, 20);
    /// assert!(!layout.has_blob(&garbage.digest));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Concurrency
    ///
    /// gc holds the index lock from the mark to the end of the sweep, so a
    /// tag cannot be added between the two (taggers wait), and the blobs
    /// lock during the sweep, so a writer cannot re-use a blob between gc's
    /// look at its age and its removal. A writer that stores an image
    /// follows this protocol, which [`Layout::put_bytes`],
    /// [`BlobWriter::commit`](crate::BlobWriter::commit) and
    /// [`Layout::tag`] implement:
    ///
    /// 1. put every blob (layers, config), then the manifest (and index),
    ///    then tag. Each commit leaves the blob's modification time at the
    ///    time of the commit, including when the blob was already there
    ///    (its time is refreshed, not its content rewritten);
    /// 2. a writer that skips a blob it finds already present calls
    ///    [`Layout::touch_blob`] instead, before referencing it.
    ///
    /// Each blob so written is either reachable when gc marks (its tag came
    /// first), or its tag comes after gc's sweep (taggers wait for the
    /// lock), so at the sweep the blob is younger than its own commit-to-tag
    /// time: kept, as long as that time is within the grace period.
    ///
    /// The limit: a writer whose first commit and its tag are further apart
    /// than the grace period (a pull slower than that) can lose the blobs it
    /// wrote first, and its tag then names an image with missing blobs.
    /// Hence a zero grace is safe only when no writer runs. The ages are
    /// file modification times, so the clock that stamps them (a network
    /// file server's) must agree with this host's to within the grace.
    /// Other tools (skopeo, umoci) take neither lock.
    ///
    /// # Errors
    ///
    /// [`Error::GcUnsafe`] when an image index or manifest that something
    /// references is missing or cannot be read, verified or parsed: what it
    /// references is then unknown, so gc refuses before removing anything
    /// (a missing `subject` is allowed: referrers may arrive before their
    /// subject). [`Error::SymlinkRefused`], before anything is removed, when
    /// `blobs` or a directory in it is a symbolic link (to a directory):
    /// what it reaches is not this layout's to remove (a blob directory
    /// shared between layouts holds blobs the others reference).
    /// [`Error::Io`] and [`Error::Document`] for `index.json`, the locks,
    /// and files that cannot be removed.
    pub fn gc(&self, options: &GcOptions) -> Result<GcReport> {
        let _index = self.lock_index()?;
        let dirs = BlobDirs::open(self, Access::Change("remove unreachable blobs"))?;
        let index = self.index()?;
        let mut unsafe_reason = None;
        let live = walk(self, &index, |at, found| {
            let blocking = match found {
                Found::Missing => is_document(&at.descriptor.media_type) && !at.is_subject,
                Found::Unreadable(_) => is_document(&at.descriptor.media_type),
                Found::Leaf | Found::Index(_) | Found::Manifest(_) => false,
            };
            if blocking && unsafe_reason.is_none() {
                let reason = match found {
                    Found::Unreadable(e) => e.to_string(),
                    _ => "it is not in the layout".into(),
                };
                unsafe_reason = Some((at.descriptor.digest.clone(), at.path.clone(), reason));
            }
        });
        if let Some((digest, path, reason)) = unsafe_reason {
            return Err(Error::GcUnsafe {
                digest,
                path,
                reason,
            });
        }

        let _blobs = self.lock_blobs(true)?;
        let now = SystemTime::now();
        let mut report = GcReport {
            dry_run: options.dry_run,
            reachable: live.len(),
            ..GcReport::default()
        };
        let mut candidates = dirs.blobs()?;
        candidates.sort_by(|a, b| a.0.cmp(&b.0));
        for (digest, dir, name) in candidates.into_iter().filter(|c| !live.contains(&c.0)) {
            let Some(file) = removable(dir, &name)? else {
                continue;
            };
            if file.age(now) < options.grace {
                report.kept_by_grace += 1;
                continue;
            }
            if !options.dry_run {
                dir.remove_file(&name)?;
            }
            report.bytes_freed = report.bytes_freed.saturating_add(file.size);
            report.removed.push(RemovedBlob {
                digest,
                size: file.size,
            });
        }
        for (dir, name) in dirs.temp_files()? {
            if let Some(file) = removable(dir, &name)?
                && file.age(now) >= TEMP_FILE_MAX_AGE
            {
                if !options.dry_run {
                    dir.remove_file(&name)?;
                }
                report.removed_temp_files.push(dir.join(&name));
            }
        }
        Ok(report)
    }
}

/// What is at `name` in `dir` when it is a regular file or a symbolic link
/// (never followed); `None` when it is gone or is something else (a
/// directory is never removed).
pub(crate) fn removable(dir: &Dir, name: &std::ffi::OsStr) -> Result<Option<FileInfo>> {
    Ok(dir
        .info(name)?
        .filter(|f| matches!(f.kind, FileType::RegularFile | FileType::Symlink)))
}
