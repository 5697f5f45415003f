//! The one error type of `ocikit-layout`: each failure names the file, digest or
//! tag it concerns, and keeps its cause.

use std::path::PathBuf;

use ocikit_image::{Digest, MediaType};

/// Everything that can go wrong with a layout on disk.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file-system operation failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done (`create`, `read`, `rename`, ...).
        action: &'static str,
        /// The file or directory involved.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// A directory or lock file of the layout is a symbolic link, and the
    /// operation would write or remove through it: only reads follow links
    /// in a layout, so that nothing outside the layout's own directory tree
    /// is created, changed or removed (the crate's `# Security` section).
    #[error("{} is a symbolic link to {}: refusing to {action} through it (only reads follow links out of a layout's own directories)", path.display(), target.display())]
    SymlinkRefused {
        /// The link, inside the layout.
        path: PathBuf,
        /// Where it points, as the link gives it.
        target: PathBuf,
        /// What was refused, such as `remove unreachable blobs`.
        action: &'static str,
    },

    /// The directory is not an image layout.
    #[error("{}: not an image layout: {reason}", path.display())]
    NotALayout {
        /// The directory that was opened.
        path: PathBuf,
        /// What is missing or wrong.
        reason: String,
    },

    /// [`Layout::init`](crate::Layout::init) was given a directory that is
    /// not empty.
    #[error("{}: cannot create an image layout here: {reason}", path.display())]
    NotEmpty {
        /// The directory.
        path: PathBuf,
        /// What is already there.
        reason: String,
    },

    /// The `oci-layout` file names a version this library does not read.
    #[error("{}: imageLayoutVersion {found:?} is not supported (this library reads 1.x, writes {})", path.display(), crate::LAYOUT_VERSION)]
    UnsupportedVersion {
        /// The `oci-layout` file.
        path: PathBuf,
        /// The version it gives.
        found: String,
    },

    /// A JSON document of the layout (`index.json`, `oci-layout`, or a blob)
    /// could not be parsed or breaks the spec.
    #[error("{what}: {source}")]
    Document {
        /// The file or blob, such as `index.json` or `blob sha256:ab12...`.
        what: String,
        /// The parse or validation error.
        #[source]
        source: ocikit_image::Error,
    },

    /// A blob's content does not match its descriptor, or a digest cannot be
    /// computed; the message names the digest.
    #[error(transparent)]
    Verify(#[from] ocikit_image::Error),

    /// A blob that a descriptor references is not in the layout.
    #[error("blob {digest} is not in the layout")]
    BlobNotFound {
        /// The digest that was looked for.
        digest: Digest,
    },

    /// A document blob is larger than this library reads into memory.
    #[error(
        "blob {digest} ({kind}): its descriptor gives {size} bytes, expected at most {limit}, the most read into memory"
    )]
    DocumentTooLarge {
        /// The blob.
        digest: Digest,
        /// The size its descriptor gives.
        size: u64,
        /// The limit.
        limit: u64,
        /// The kind of document expected.
        kind: &'static str,
    },

    /// A descriptor's media type is not the kind of document asked for.
    #[error("blob {digest}: expected {expected}, the descriptor says {found}")]
    UnexpectedMediaType {
        /// The blob.
        digest: Digest,
        /// The kind of document that was asked for.
        expected: &'static str,
        /// The media type the descriptor gives.
        found: MediaType,
    },

    /// A tag is not a valid `org.opencontainers.image.ref.name`.
    #[error("invalid tag {name:?}: {reason}")]
    InvalidTag {
        /// The tag as given.
        name: String,
        /// Why it is refused.
        reason: &'static str,
    },

    /// No descriptor in `index.json` has this tag.
    #[error("tag {name:?} is not in the layout (tags: {available})")]
    TagNotFound {
        /// The tag.
        name: String,
        /// The tags there are, comma-separated (cut after 20).
        available: String,
    },

    /// More than one descriptor in `index.json` has this tag; picking one
    /// silently could run the wrong image.
    #[error("tag {name:?} names {} descriptors in index.json ({}); remove all but one", digests.len(), join(digests))]
    AmbiguousTag {
        /// The tag.
        name: String,
        /// The digests of the descriptors carrying it.
        digests: Vec<Digest>,
    },

    /// [`Layout::tag_if`](crate::Layout::tag_if) found the tag changed
    /// since the caller read it: another writer moved, added or removed
    /// it. Nothing was tagged.
    #[error(
        "tag {name:?} was changed by another writer: expected {}, found {}; nothing was tagged (read the tag again and redo the change)",
        tag_state(expected.as_ref()),
        tag_state(found.as_ref())
    )]
    TagChanged {
        /// The tag.
        name: String,
        /// The digest the caller read under the tag (`None`: no tag).
        expected: Option<Digest>,
        /// The digest under the tag now (`None`: no tag).
        found: Option<Digest>,
    },

    /// An index has no manifest for the platform asked for.
    #[error("{what}: no manifest for platform {platform} (available: {available})")]
    NoMatchingPlatform {
        /// The tag or index being resolved.
        what: String,
        /// The platform asked for.
        platform: String,
        /// The platforms the index lists, comma-separated.
        available: String,
    },

    /// Indexes nest deeper than this library follows (or form a cycle).
    #[error("{what}: image indexes nest more than {limit} deep")]
    NestingTooDeep {
        /// The tag being resolved.
        what: String,
        /// The depth limit.
        limit: usize,
    },

    /// A blob writer was committed against a descriptor it does not match;
    /// nothing was stored.
    #[error(
        "blob {expected}: wrote {size} bytes hashing to {found}, expected {expected_size} bytes; nothing was stored"
    )]
    CommitMismatch {
        /// The digest the caller expected.
        expected: Digest,
        /// The size the caller expected.
        expected_size: u64,
        /// The digest of what was written.
        found: Digest,
        /// The number of bytes written.
        size: u64,
    },

    /// gc refused to run: a document that something references is missing
    /// or unreadable, so what it references is unknown.
    #[error(
        "gc refused, nothing was removed: {path} ({digest}) cannot be read, so what it references is unknown: {reason}"
    )]
    GcUnsafe {
        /// The image index or manifest.
        digest: Digest,
        /// The references that reached it, such as `index.json manifests[0]`.
        path: String,
        /// Why it cannot be read.
        reason: String,
    },

    /// A layer could not be compressed or decompressed; the message names
    /// the media type or digests involved.
    #[error(transparent)]
    Codec(#[from] crate::codec::CodecError),

    // Archives (`archive/`): oci-archive and docker-archive export and import.
    /// An archive entry that import refuses: an absolute name, a `..`
    /// component, a name outside what the format allows, or a type (device,
    /// fifo, link) that has no place there. Nothing is written for it.
    #[error("archive entry {entry:?}: {reason}")]
    ArchiveEntryRefused {
        /// The entry's name as the archive gives it.
        entry: String,
        /// Why it is refused.
        reason: String,
    },

    /// Storing an archive entry failed, for example because its content does
    /// not match the digest its name gives.
    #[error("archive entry {entry:?}: {source}")]
    ArchiveEntry {
        /// The entry's name.
        entry: String,
        /// What went wrong.
        #[source]
        source: Box<Error>,
    },

    /// The input of an archive import is not a tar archive at all: its
    /// first header cannot be read (a text file, a compressed archive, a
    /// truncated download). Nothing was stored. The message leaves out the
    /// tar reader's own, which may quote the bytes it found.
    #[error("not a tar archive: no valid tar header at its start (read as {format})")]
    NotATarArchive {
        /// `oci-archive` or `docker-archive`.
        format: &'static str,
        /// The tar reader's error.
        #[source]
        source: std::io::Error,
    },

    /// Reading or writing the tar stream of an archive failed.
    #[error("{action} archive{}: {source}", entry.as_deref().map(|e| format!(" entry {e:?}")).unwrap_or_default())]
    ArchiveIo {
        /// What was being done (`read`, `write`, `finish`).
        action: &'static str,
        /// The entry concerned, when there is one.
        entry: Option<String>,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },

    /// A file the archive format requires is missing, too large or malformed.
    #[error("{format}: {file}: {reason}")]
    ArchiveFile {
        /// `oci-archive` or `docker-archive`.
        format: &'static str,
        /// The file, such as `index.json` or `manifest.json`.
        file: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A blob that a descriptor references is missing: from the layout on
    /// export, from both the archive and the layout on import (which then
    /// tags nothing).
    #[error("blob {digest} is missing (referenced by {referenced_by})")]
    MissingReference {
        /// The missing blob.
        digest: Digest,
        /// What references it, such as `manifest sha256:ab12... layer 2`.
        referenced_by: String,
    },

    /// A document of the image to copy breaks the spec (what fsck calls
    /// damage), so nothing was copied or tagged.
    #[error("copy from {}: {problem}; nothing was copied", layout.display())]
    DamagedSource {
        /// The source layout.
        layout: PathBuf,
        /// The blob concerned, when there is one.
        digest: Option<Digest>,
        /// What fsck reports about it.
        problem: String,
    },

    /// The image to import cannot be chosen: several images and no name
    /// matching the target, or none at all.
    #[error("{format}: {reason} (images in the archive: {available})")]
    ArchiveSelection {
        /// `oci-archive` or `docker-archive`.
        format: &'static str,
        /// Why no image was chosen.
        reason: String,
        /// The names (or digests) of the images the archive has.
        available: String,
    },

    /// A layer's uncompressed digest is not the diff_id the image config
    /// gives for it.
    #[error("layer {index} ({layer}): its sha256 is {found}, the config's diff_id is {expected}")]
    DiffIdMismatch {
        /// The layer's position, from 0.
        index: usize,
        /// The layer's archive entry or digest.
        layer: String,
        /// The digest of the uncompressed layer.
        found: Digest,
        /// The diff_id in the config.
        expected: Digest,
    },

    /// A layer blob could not be decompressed or compressed: its media type
    /// names no compression this build reads, or its stream is corrupt.
    #[error("layer {digest}: {source}")]
    LayerCodec {
        /// The layer.
        digest: Digest,
        /// The codec's error, naming the media type or the failure.
        #[source]
        source: crate::codec::CodecError,
    },

    /// A docker-archive `RepoTags` entry that is not a Docker reference of
    /// the form `name:tag`.
    #[error("invalid docker reference {reference:?}: {reason}")]
    InvalidDockerReference {
        /// The reference as given.
        reference: String,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// `SOURCE_DATE_EPOCH` is set but is not a number of seconds.
    #[error("SOURCE_DATE_EPOCH={value:?} is not a whole number of seconds since 1970-01-01")]
    InvalidSourceDateEpoch {
        /// The variable's value.
        value: String,
    },
}

/// A tag's digest for a message, or that there is no such tag.
fn tag_state(digest: Option<&Digest>) -> String {
    digest.map_or_else(|| "no tag".into(), Digest::to_string)
}

fn join(digests: &[Digest]) -> String {
    digests
        .iter()
        .map(Digest::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An [`Error::Io`] for `action` on `path`.
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    }

    /// An error from reading a blob through a verifying reader: a size or
    /// digest mismatch becomes [`Error::Verify`], anything else [`Error::Io`].
    pub(crate) fn from_blob_read(path: PathBuf, err: std::io::Error) -> Error {
        if ocikit_image::digester::io_error_cause(&err).is_some() {
            if let Some(Ok(cause)) = err
                .into_inner()
                .map(|inner| inner.downcast::<ocikit_image::Error>())
            {
                return Error::Verify(*cause);
            }
            unreachable_io(path)
        } else {
            Error::Io {
                action: "read",
                path,
                source: err,
            }
        }
    }
}

/// Only reached if an `io::Error` changes between two looks at it.
#[cold]
fn unreachable_io(path: PathBuf) -> Error {
    Error::Io {
        action: "read",
        path,
        source: std::io::Error::other("lost the cause of a verification error"),
    }
}

impl From<Error> for std::io::Error {
    fn from(err: Error) -> Self {
        let kind = match &err {
            Error::Io { source, .. } => source.kind(),
            Error::BlobNotFound { .. } | Error::TagNotFound { .. } => std::io::ErrorKind::NotFound,
            _ => std::io::ErrorKind::InvalidData,
        };
        std::io::Error::new(kind, err)
    }
}
