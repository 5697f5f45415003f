//! Archives: an image layout, or one image of it, as one tar stream and
//! back. [`oci`] reads and writes `oci-archive` (a tar of an image layout,
//! image-spec image-layout.md); [`docker`] reads and writes
//! `docker-archive` (what `docker save` writes and `docker load` reads);
//! [`convert`] turns Docker schema 2 manifests into OCI ones.
//!
//! Every export and import is one pass over a stream: export writes into
//! any [`Write`], import reads from any
//! [`Read`] (a pipe will do; nothing seeks), and blobs go
//! through fixed buffers, never whole into memory. Only the small index
//! files (`index.json`, `oci-layout`, `manifest.json`) are held.
//!
//! ```
//! use ocikit_image::{ImageConfiguration, ImageManifest, MediaType};
//! use ocikit_layout::Layout;
//! use ocikit_layout::archive::{self, ExportOptions, ImportOptions, Selection};
//! # let dir = tempfile::tempdir()?;
//!
//! // An image in one layout...
//! let source = Layout::init(dir.path().join("source"))?;
//! let layer = source.put_bytes(MediaType::ImageLayer, b"not really a tar")?;
//! let mut config = ImageConfiguration::for_platform(&"linux/amd64".parse()?);
//! config.rootfs.diff_ids.push(layer.digest.clone());
//! let config = source.put_json(&config)?;
//! let manifest = source.put_json(&ImageManifest { config, layers: vec![layer], ..Default::default() })?;
//! source.tag("v1", &manifest)?;
//!
//! // ...exported as an oci-archive (into a Vec here; a File or a pipe in practice)...
//! let tar = archive::oci::export(&source, &Selection::tag("v1"), &ExportOptions::default(), Vec::new())?;
//!
//! // ...and imported into another, tagged `latest`.
//! let target = Layout::init(dir.path().join("target"))?;
//! let imported = archive::oci::import(&target, &tar[..], Some("latest"), &ImportOptions::default())?;
//! assert_eq!(imported.descriptors[0].digest, manifest.digest);
//! assert_eq!(target.resolve("latest", None)?.descriptor.digest, manifest.digest);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Security
//!
//! An archive to import may be crafted. Import defends against:
//!
//! - **names that leave the layout**: absolute names, `..` components and
//!   any name outside what the format allows (for oci-archive:
//!   `oci-layout`, `index.json`, `blobs/<alg>/<encoded>` with a valid
//!   digest) are refused with [`Error::ArchiveEntryRefused`]; entries never
//!   become paths on disk, every blob is stored by the store under its own
//!   digest;
//! - **content under a wrong name**: an oci-archive blob is committed only
//!   when its content has the digest and size its name and header give
//!   ([`BlobWriter::commit_verified`](crate::BlobWriter::commit_verified));
//!   docker-archive files are content-addressed as they are stored, and each
//!   layer must hash to its config's diff_id;
//! - **dangling references**: every blob reachable from what is to be
//!   tagged (nested indexes, manifests, configs, layers) must be in the
//!   archive or already in the layout, or nothing is tagged;
//! - **memory exhaustion**: index files are read with size limits
//!   ([`MAX_DOCUMENT_SIZE`](crate::MAX_DOCUMENT_SIZE)), blobs are streamed;
//! - **leftovers**: when import fails, or stores files that turn out
//!   unused, the blobs it added (and only those) are removed again.
//!
//! # Limitations
//!
//! - An added blob is removed again only when its modification time is
//!   the one its commit left, checked under the exclusive blobs lock:
//!   another writer re-using it meanwhile refreshes that time, so it is
//!   kept, for gc to judge. A blob one import commits twice is kept the
//!   same way.
//! - Nothing limits the number or total size of the blobs an archive
//!   holds; put a limit on the reader when that matters.
//! - A docker-archive is written without the legacy `repositories` file
//!   and per-layer `json`/`VERSION` files: `docker load` and skopeo read
//!   `manifest.json` alone.

pub mod convert;
pub mod docker;
pub mod oci;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::time::SystemTime;

use ocikit_image::annotations::{REF_NAME, is_valid_ref_name};
use ocikit_image::{Descriptor, Digest, ImageIndex};

use crate::progress::{Progress, Tracker};
use crate::walk::{Found, walk};
use crate::{BlobInfo, Error, Layout, Result};

/// How an export writes its tar.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExportOptions {
    /// The modification time of every entry, in seconds since 1970. `None`
    /// takes `SOURCE_DATE_EPOCH` from the environment when it is set, and
    /// 0 otherwise, so that two exports of the same content are the same
    /// bytes.
    pub mtime: Option<u64>,
    /// Where the export reports its progress: bytes written to the archive
    /// out of the total of its files, and entries written.
    pub progress: Progress,
}

impl ExportOptions {
    /// The modification time entries get: [`ExportOptions::mtime`],
    /// else `SOURCE_DATE_EPOCH`, else 0.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSourceDateEpoch`] when the variable is set to
    /// something that is not a whole number of seconds.
    pub fn entry_mtime(&self) -> Result<u64> {
        match self.mtime {
            Some(mtime) => Ok(mtime),
            None => Ok(source_date_epoch()?.unwrap_or(0)),
        }
    }
}

/// The time `SOURCE_DATE_EPOCH` gives, in seconds since 1970
/// (reproducible-builds.org): `None` when the variable is unset or empty.
///
/// # Errors
///
/// [`Error::InvalidSourceDateEpoch`] when it is set to anything but
/// decimal digits (no sign, no spaces, as `date +%s` prints it).
pub fn source_date_epoch() -> Result<Option<u64>> {
    parse_source_date_epoch(std::env::var_os("SOURCE_DATE_EPOCH"))
}

fn parse_source_date_epoch(value: Option<std::ffi::OsString>) -> Result<Option<u64>> {
    let Some(value) = value.filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    let invalid = || Error::InvalidSourceDateEpoch {
        value: value.to_string_lossy().into_owned(),
    };
    let text = value.to_str().ok_or_else(invalid)?;
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid());
    }
    text.parse().map(Some).map_err(|_| invalid())
}

/// How an import stores what it reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// Store OCI media types for Docker ones: a Docker schema 2 manifest (or
    /// manifest list) becomes an OCI manifest (or index) whose config and
    /// layers have the OCI media types ([`convert`]). Config and layer bytes
    /// are kept as they are (the schemas agree), so their digests do not
    /// change; the manifests' do. When `false` (the default) a
    /// docker-archive imports as a Docker schema 2 manifest, and an
    /// oci-archive keeps whatever its index lists.
    pub to_oci: bool,
    /// Compress docker-archive layers (plain tars in the archive) with
    /// this codec as they are stored, in a second streaming pass once
    /// `manifest.json` has said which files are layers; the manifest then
    /// lists the compressed blobs (`+gzip`/`+zstd`, or Docker's `.gzip`/
    /// `.zstd` types) and the config's diff_ids stay those of the tars.
    /// `None` (the default) and [`Codec::None`](crate::codec::Codec::None)
    /// keep them uncompressed. oci-archive blobs are always stored as they
    /// are.
    pub compress_layers: Option<crate::codec::Codec>,
    /// Where the import reports its progress: bytes of the archive read,
    /// out of [`ImportOptions::archive_size`], and entries read.
    pub progress: Progress,
    /// The archive's size in bytes, when the caller knows it (a file's
    /// length): the total that progress is reported against.
    pub archive_size: Option<u64>,
}

/// What an import added to `index.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Imported {
    /// The descriptors added to `index.json`, with their tag in the
    /// `org.opencontainers.image.ref.name` annotation when they have one.
    pub descriptors: Vec<Descriptor>,
    /// How many blobs were new to the layout (and kept).
    pub new_blobs: usize,
}

/// What an oci-archive export holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// The whole layout: every blob, and `index.json` as it is.
    All,
    /// One tagged image (an image index, a manifest or any descriptor) and
    /// only the blobs reachable from it; `index.json` lists just it.
    Tag {
        /// The tag in the layout.
        tag: String,
        /// The tag it gets in the archive (the same when `None`).
        rename: Option<String>,
    },
}

impl Selection {
    /// The image tagged `tag`, under the same tag in the archive.
    pub fn tag(tag: impl Into<String>) -> Selection {
        Selection::Tag {
            tag: tag.into(),
            rename: None,
        }
    }
}

/// The blobs an import has added to the layout so far (not those that were
/// there already), so that a failed import can take them back.
///
/// Each is remembered with its modification time right after the commit.
/// A writer that re-uses a blob refreshes that time (under the blobs lock),
/// so a blob whose time has changed since is someone else's too, and is
/// not removed.
#[derive(Debug)]
pub(crate) struct Added<'a> {
    layout: &'a Layout,
    digests: BTreeMap<Digest, Option<SystemTime>>,
    committed: HashSet<Digest>,
}

impl<'a> Added<'a> {
    /// Runs an import that records the blobs it adds in an `Added`: on
    /// success keeps the ones it returns as used (and removes the others
    /// it added), on failure removes everything it added.
    fn run(
        layout: &'a Layout,
        import: impl FnOnce(&mut Added<'a>) -> Result<(Vec<Descriptor>, HashSet<Digest>)>,
    ) -> Result<Imported> {
        let mut added = Added::new(layout);
        match import(&mut added) {
            Ok((descriptors, keep)) => {
                let new_blobs = added.keep_only(&keep)?;
                Ok(Imported {
                    descriptors,
                    new_blobs,
                })
            }
            Err(e) => {
                added.discard();
                Err(e)
            }
        }
    }

    pub(crate) fn new(layout: &'a Layout) -> Self {
        Added {
            layout,
            digests: BTreeMap::new(),
            committed: HashSet::new(),
        }
    }

    pub(crate) fn record(&mut self, blob: &BlobInfo) {
        if !blob.existed {
            let mtime = std::fs::metadata(self.layout.blob_path(&blob.digest))
                .and_then(|m| m.modified())
                .ok();
            self.digests.insert(blob.digest.clone(), mtime);
        }
        self.committed.insert(blob.digest.clone());
    }

    /// Refreshes the time of each blob in `used` that this import did not
    /// commit (it was in the layout already), so that gc's grace period
    /// protects it until the new references to it are in `index.json`
    /// (the `# Concurrency` rule of [`Layout::gc`]).
    fn touch_reused(&self, used: &HashSet<Digest>) -> Result<()> {
        for digest in used.iter().filter(|d| !self.committed.contains(*d)) {
            self.layout.touch_blob(digest)?;
        }
        Ok(())
    }

    /// Removes every added blob (the import failed). Errors are ignored:
    /// the import's own error is the one to report, and gc takes what is
    /// left.
    pub(crate) fn discard(self) {
        let _ = self.remove_unless(&HashSet::new());
    }

    /// Removes the added blobs not in `keep`; returns how many were kept.
    fn keep_only(self, keep: &HashSet<Digest>) -> Result<usize> {
        self.remove_unless(keep)?;
        Ok(self.digests.keys().filter(|d| keep.contains(*d)).count())
    }

    fn remove_unless(&self, keep: &HashSet<Digest>) -> Result<()> {
        let doomed: Vec<_> = self
            .digests
            .iter()
            .filter(|(digest, _)| !keep.contains(*digest))
            .collect();
        if doomed.is_empty() {
            return Ok(());
        }
        // Exclusive, as gc's sweep: no writer refreshes a blob meanwhile.
        let _lock = self.layout.lock_blobs(true)?;
        for (digest, committed_at) in doomed {
            let now = std::fs::metadata(self.layout.blob_path(digest))
                .and_then(|m| m.modified())
                .ok();
            if committed_at.is_some() && now == *committed_at {
                self.layout.remove_blob(digest)?;
            }
        }
        Ok(())
    }
}

/// Every descriptor reachable from `roots` in `layout` (the shared walk of
/// gc and fsck), each digest once, sorted by digest: the roots, the
/// manifests of (nested) indexes, the config and layers of manifests, and
/// subjects that are present (a referrer may be stored without its
/// subject). A missing blob is [`Error::MissingReference`] naming the
/// references that lead to it, except layers with `urls`
/// (non-distributable or foreign layers, fetched from elsewhere); a
/// document that cannot be read or parsed is that error, and so is a blob
/// of another size than its descriptor's ([`Error::Verify`]).
pub(crate) fn reachable(layout: &Layout, roots: &[Descriptor]) -> Result<Vec<Descriptor>> {
    let index = ImageIndex::new(roots.to_vec());
    let mut reached: BTreeMap<Digest, Descriptor> = BTreeMap::new();
    let mut failure: Option<Error> = None;
    let mut documents: HashMap<String, Digest> = HashMap::new();
    walk(layout, &index, |at, found| {
        if failure.is_some() {
            return;
        }
        match found {
            Found::Missing if at.is_subject || !at.descriptor.urls.is_empty() => {}
            Found::Missing => {
                // Name the document holding the reference, not only the path.
                let parent = at
                    .path
                    .rsplit_once(" -> ")
                    .and_then(|(parent, _)| documents.get(parent));
                let referenced_by = match parent {
                    Some(digest) => format!("{digest}, at {}", at.path),
                    None => at.path.clone(),
                };
                failure = Some(Error::MissingReference {
                    digest: at.descriptor.digest.clone(),
                    referenced_by,
                });
            }
            Found::Unreadable(_) => failure = Some(read_error(layout, &at.descriptor)),
            Found::Leaf | Found::Index(_) | Found::Manifest(_) => {
                // The walk only checks that a leaf is there; what is tagged
                // must also have the size its descriptor gives (the content
                // has its digest: every blob was verified when stored).
                if matches!(found, Found::Leaf)
                    && let Err(e) = layout.open_blob(&at.descriptor)
                {
                    failure = Some(e);
                    return;
                }
                if !matches!(found, Found::Leaf) {
                    documents.insert(at.path.clone(), at.descriptor.digest.clone());
                }
                reached
                    .entry(at.descriptor.digest.clone())
                    .or_insert_with(|| at.descriptor.clone());
            }
        }
    });
    match failure {
        Some(e) => Err(e),
        None => Ok(reached.into_values().collect()),
    }
}

/// Refuses an import whose documents reachable from `roots` break the spec
/// (what fsck would call damage: an invalid manifest, index or config, a
/// document whose own media type disagrees with its descriptor's, a layer
/// count that is not the config's number of diff_ids), naming the first
/// such blob.
pub(crate) fn check_documents(
    layout: &Layout,
    format: &'static str,
    roots: &[Descriptor],
) -> Result<()> {
    match layout.document_damage(roots).into_iter().next() {
        None => Ok(()),
        Some(problem) => Err(Error::ArchiveFile {
            format,
            file: problem
                .digest()
                .map_or_else(|| "a document".to_owned(), |d| format!("blob {d}")),
            reason: problem.to_string(),
        }),
    }
}

/// The error reading the document (or stat-ing the blob) `descriptor`
/// references gives, owned (the walk only lends its own).
fn read_error(layout: &Layout, descriptor: &Descriptor) -> Error {
    let result = if descriptor.media_type.is_index() {
        layout.read_index(descriptor).map(drop)
    } else if descriptor.media_type.is_manifest() {
        layout.read_manifest(descriptor).map(drop)
    } else {
        let path = layout.blob_path(&descriptor.digest);
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_file() => Ok(()),
            Ok(_) => Err(Error::Io {
                action: "read",
                path,
                source: io::Error::other("not a regular file"),
            }),
            Err(e) => Err(Error::io("stat", path)(e)),
        }
    };
    match result {
        Err(e) => e,
        // It changed between two looks; the walk saw it fail.
        Ok(()) => Error::Io {
            action: "read",
            path: layout.blob_path(&descriptor.digest),
            source: io::Error::other("the blob could not be read (it changed while being read)"),
        },
    }
}

/// An archive entry's name: as the archive gives it, for messages, and
/// made safe by [`clean_name`].
struct EntryName {
    shown: String,
    name: String,
}

impl EntryName {
    /// [`Error::ArchiveEntryRefused`] for this entry.
    fn refused(&self, reason: String) -> Error {
        Error::ArchiveEntryRefused {
            entry: self.shown.clone(),
            reason,
        }
    }
}

/// Reads the tar stream `archive` entry by entry, refusing an entry whose
/// name is unsafe ([`clean_name`]) before anything else looks at it, and
/// skipping global PAX headers; `visit` gets every other entry. A stream
/// whose first header cannot be read is [`Error::NotATarArchive`] of
/// `format`.
fn for_each_entry<R: Read>(
    format: &'static str,
    archive: R,
    options: &ImportOptions,
    mut visit: impl FnMut(&mut tar::Entry<'_, Metered<'_, R>>, &EntryName) -> Result<()>,
) -> Result<()> {
    let read_error = |source| Error::ArchiveIo {
        action: "read",
        entry: None,
        source,
    };
    let tracker = Tracker::new(&options.progress, "import", options.archive_size, None);
    let mut archive = tar::Archive::new(Metered {
        inner: archive,
        tracker: &tracker,
    });
    let mut first = true;
    for entry in archive.entries().map_err(read_error)? {
        tracker.add_entry();
        let mut entry = match entry {
            Ok(entry) => entry,
            // Not even one header: the input is something else.
            Err(source) if first => {
                return Err(Error::NotATarArchive { format, source });
            }
            Err(source) => return Err(read_error(source)),
        };
        first = false;
        let raw = entry.path_bytes().into_owned();
        let shown = shown_name(&raw);
        let name = match clean_name(&raw) {
            Ok(name) => EntryName { shown, name },
            Err(reason) => {
                return Err(Error::ArchiveEntryRefused {
                    entry: shown,
                    reason,
                });
            }
        };
        if entry.header().entry_type() == tar::EntryType::XGlobalHeader {
            continue;
        }
        visit(&mut entry, &name)?;
    }
    tracker.finish();
    Ok(())
}

/// A reader that reports the bytes read through it to a [`Tracker`].
struct Metered<'t, R> {
    inner: R,
    tracker: &'t Tracker,
}

impl<R: Read> Read for Metered<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.tracker.add_bytes(n as u64);
        Ok(n)
    }
}

/// An archive entry's name made relative and checked: `./` prefixes and a
/// trailing `/` are dropped; absolute names, `..`, `.` and empty components
/// are refused (the reason is returned).
fn clean_name(raw: &[u8]) -> std::result::Result<String, String> {
    let name = std::str::from_utf8(raw).map_err(|_| "the name is not UTF-8".to_owned())?;
    if name.starts_with('/') {
        return Err("absolute names are refused".into());
    }
    let mut rest = name;
    while let Some(stripped) = rest.strip_prefix("./") {
        rest = stripped;
    }
    let rest = rest.trim_end_matches('/');
    if rest.is_empty() || rest == "." {
        return Ok(String::new());
    }
    for component in rest.split('/') {
        match component {
            ".." => return Err("a `..` component leaves the archive".into()),
            "" | "." => return Err("empty or `.` components are refused".into()),
            c if c.contains('\\') => return Err("a backslash in a name is refused".into()),
            _ => {}
        }
    }
    Ok(rest.to_owned())
}

/// An entry's name for messages, as the archive gives it.
fn shown_name(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw).into_owned()
}

/// Reads a whole small archive entry, refusing one larger than `limit`.
fn read_small(
    format: &'static str,
    name: &str,
    entry: &mut impl Read,
    limit: u64,
) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    entry
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|source| Error::ArchiveIo {
            action: "read",
            entry: Some(name.to_owned()),
            source,
        })?;
    if bytes.len() as u64 > limit {
        return Err(Error::ArchiveFile {
            format,
            file: name.to_owned(),
            reason: format!("larger than the {limit} bytes read for it"),
        });
    }
    Ok(bytes)
}

/// A tar header for a deterministic entry: regular file (or directory),
/// uid/gid 0, no user names, mode 0644 (0755), `mtime`.
fn header(size: u64, mtime: u64, directory: bool) -> tar::Header {
    let mut header = tar::Header::new_ustar();
    header.set_size(size);
    header.set_mtime(mtime);
    header.set_uid(0);
    header.set_gid(0);
    if directory {
        header.set_entry_type(tar::EntryType::Directory);
        header.set_mode(0o755);
    } else {
        header.set_entry_type(tar::EntryType::Regular);
        header.set_mode(0o644);
    }
    header
}

/// Writes tar entries deterministically and tells apart the errors of
/// the blob being read (a corrupt blob) from those of the output.
struct TarOut<W: Write> {
    builder: tar::Builder<W>,
    mtime: u64,
    /// Bytes of the entries' contents written, and entries.
    tracker: Tracker,
}

impl<W: Write> TarOut<W> {
    /// Writes entries with modification time `mtime` to `out`, reporting
    /// to `options.progress` against `total_bytes` (of the contents), when
    /// it is known.
    fn new(out: W, mtime: u64, options: &ExportOptions, total_bytes: Option<u64>) -> Self {
        TarOut {
            builder: tar::Builder::new(out),
            mtime,
            tracker: Tracker::new(&options.progress, "export", total_bytes, None),
        }
    }

    fn dir(&mut self, name: &str) -> Result<()> {
        let mut header = header(0, self.mtime, true);
        self.builder
            .append_data(&mut header, name, io::empty())
            .map_err(write_error(name))?;
        self.tracker.add_entry();
        Ok(())
    }

    fn bytes(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        let mut header = header(bytes.len() as u64, self.mtime, false);
        self.builder
            .append_data(&mut header, name, bytes)
            .map_err(write_error(name))?;
        self.tracker.add_bytes(bytes.len() as u64);
        self.tracker.add_entry();
        Ok(())
    }

    /// Copies the blob `descriptor` references, read through the verifying
    /// reader, as the entry `name`.
    fn blob(&mut self, layout: &Layout, name: &str, descriptor: &Descriptor) -> Result<()> {
        let reader = layout.open_blob(descriptor)?;
        let size = descriptor.size_u64()?;
        self.reader(name, size, reader, || layout.blob_path(&descriptor.digest))
    }

    /// Copies `size` bytes from `reader` as the entry `name`; a read error
    /// is reported as one of the blob at `path()`.
    fn reader(
        &mut self,
        name: &str,
        size: u64,
        reader: impl Read,
        path: impl FnOnce() -> std::path::PathBuf,
    ) -> Result<()> {
        let mut header = header(size, self.mtime, false);
        let mut reader = Tracked {
            inner: reader,
            failed: false,
            read: 0,
            tracker: &self.tracker,
        };
        match self.builder.append_data(&mut header, name, &mut reader) {
            Ok(()) if reader.read == size => {
                self.tracker.add_entry();
                Ok(())
            }
            // The verifying reader fails on a short blob, so this is only
            // reached if a reader ends early without saying so; the tar
            // would be broken past this point.
            Ok(()) => Err(Error::ArchiveIo {
                action: "write",
                entry: Some(name.to_owned()),
                source: io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    format!("expected {size} bytes, read {}", reader.read),
                ),
            }),
            Err(e) if reader.failed => Err(Error::from_blob_read(path(), e)),
            Err(e) => Err(write_error(name)(e)),
        }
    }

    /// Writes the end-of-archive blocks and flushes: the errors of
    /// finishing are returned, not dropped.
    fn finish(self) -> Result<W> {
        self.tracker.finish();
        let mut out = self
            .builder
            .into_inner()
            .map_err(|source| Error::ArchiveIo {
                action: "finish",
                entry: None,
                source,
            })?;
        out.flush().map_err(|source| Error::ArchiveIo {
            action: "flush",
            entry: None,
            source,
        })?;
        Ok(out)
    }
}

impl<W: Write + Seek> TarOut<W> {
    /// Copies everything `reader` yields as the entry `name` (a name that
    /// fits a ustar header as it is, at most 100 bytes), whose size is not
    /// known in advance: the header is written with size 0, then the
    /// content and its padding, then the header again, with the size, in
    /// its place. The entry is then the same bytes [`TarOut::reader`]
    /// writes. A read error becomes `read_error(e)`. Returns the reader,
    /// read to its end.
    fn unsized_entry<R: Read>(
        &mut self,
        name: &str,
        reader: R,
        read_error: impl FnOnce(io::Error) -> Error,
    ) -> Result<R> {
        let mut header = header(0, self.mtime, false);
        header.set_path(name).map_err(write_error(name))?;
        header.set_cksum();
        let out = self.builder.get_mut();
        let start = out
            .stream_position()
            .and_then(|start| out.write_all(header.as_bytes()).map(|()| start))
            .map_err(write_error(name))?;
        let mut reader = Tracked {
            inner: reader,
            failed: false,
            read: 0,
            tracker: &self.tracker,
        };
        match io::copy(&mut reader, out) {
            Ok(_) => {}
            Err(e) if reader.failed => return Err(read_error(e)),
            Err(e) => return Err(write_error(name)(e)),
        }
        let size = reader.read;
        let padding = (512 - size % 512) % 512;
        header.set_size(size);
        header.set_cksum();
        out.write_all(&[0; 512][..padding as usize])
            .and_then(|()| out.seek(SeekFrom::Start(start)))
            .and_then(|_| out.write_all(header.as_bytes()))
            .and_then(|()| out.seek(SeekFrom::Start(start + 512 + size + padding)))
            .map_err(write_error(name))?;
        self.tracker.add_entry();
        Ok(reader.inner)
    }
}

fn write_error(name: &str) -> impl FnOnce(io::Error) -> Error {
    let entry = Some(name.to_owned());
    move |source| Error::ArchiveIo {
        action: "write",
        entry,
        source,
    }
}

/// A reader that remembers whether it failed and how much it read, and
/// reports what it read to a tracker.
struct Tracked<'t, R> {
    inner: R,
    failed: bool,
    read: u64,
    tracker: &'t Tracker,
}

impl<R: Read> Read for Tracked<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.inner.read(buf) {
            Ok(n) => {
                self.read += n as u64;
                self.tracker.add_bytes(n as u64);
                Ok(n)
            }
            Err(e) => {
                self.failed = true;
                Err(e)
            }
        }
    }
}

/// `descriptor` tagged `name` (its ref-name annotation set).
fn tagged(descriptor: &Descriptor, name: &str) -> Result<Descriptor> {
    if name.is_empty() || !is_valid_ref_name(name) {
        return Err(Error::InvalidTag {
            name: name.into(),
            reason: "a tag is made of components of letters and digits, separated by one of - . _ : @ / + or --",
        });
    }
    let mut tagged = descriptor.clone();
    tagged.annotations.insert(REF_NAME.into(), name.into());
    Ok(tagged)
}

/// Adds `descriptors` to `index.json` in one change: a tagged one replaces
/// whatever had its tag (in place); an untagged one is added unless the
/// same descriptor is there already.
fn add_to_index(layout: &Layout, descriptors: &[Descriptor]) -> Result<()> {
    layout.update_index(|index| {
        for descriptor in descriptors {
            match descriptor.ref_name() {
                Some(name) => {
                    let slot = index
                        .manifests
                        .iter()
                        .position(|d| d.ref_name() == Some(name));
                    index.manifests.retain(|d| d.ref_name() != Some(name));
                    let at = slot
                        .unwrap_or(index.manifests.len())
                        .min(index.manifests.len());
                    index.manifests.insert(at, descriptor.clone());
                }
                None => {
                    if !index.manifests.contains(descriptor) {
                        index.manifests.push(descriptor.clone());
                    }
                }
            }
        }
        Ok(())
    })
}

/// A list of names for an error message, cut after 20.
fn list_names<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.into_iter().collect();
    if names.is_empty() {
        return "none".into();
    }
    let mut shown = names
        .iter()
        .take(20)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > 20 {
        shown.push_str(", ...");
    }
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_date_epoch_values() {
        let parse = |v: Option<&str>| parse_source_date_epoch(v.map(Into::into));
        assert_eq!(parse(None).ok(), Some(None));
        assert_eq!(parse(Some("")).ok(), Some(None));
        assert_eq!(parse(Some("1700000000")).ok(), Some(Some(1_700_000_000)));
        for bad in ["yesterday", "-1", " 1", "1.5", "99999999999999999999999"] {
            assert!(
                matches!(parse(Some(bad)), Err(Error::InvalidSourceDateEpoch { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn names() {
        assert_eq!(
            clean_name(b"./blobs/sha256/").as_deref(),
            Ok("blobs/sha256")
        );
        assert_eq!(clean_name(b"index.json").as_deref(), Ok("index.json"));
        assert_eq!(clean_name(b"./").as_deref(), Ok(""));
        assert!(clean_name(b"/etc/passwd").is_err());
        assert!(clean_name(b"../x").is_err());
        assert!(clean_name(b"blobs/../../x").is_err());
        assert!(clean_name(b"blobs//x").is_err());
        assert!(clean_name(b"blobs/./x").is_err());
        assert!(clean_name(b"a\\b").is_err());
        assert!(clean_name(b"\xff").is_err());
    }
}
