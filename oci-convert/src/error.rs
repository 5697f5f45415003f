//! The one error type of `oci-convert`: each failure names the entry, path,
//! layer or limit it concerns, and keeps its cause.

use std::path::PathBuf;

/// Everything that can go wrong while applying, building or diffing layers.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file-system operation on the host failed (outside any layer entry:
    /// opening the root directory, reading a baseline, ...).
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done (`open`, `read`, `create`, ...).
        action: &'static str,
        /// The file or directory involved.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// Applying one tar entry failed in the file system.
    #[error("entry {entry:?}: {action}: {source}")]
    EntryIo {
        /// The entry's name as the layer gives it.
        entry: String,
        /// What was being done (`create the file`, `set the owner`, ...).
        action: &'static str,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// A tar entry was refused: it would leave the root, or it breaks
    /// image-spec layer.md.
    #[error("entry {entry:?}: {reason}")]
    BadEntry {
        /// The entry's name as the layer gives it.
        entry: String,
        /// What is wrong with it and what was expected.
        reason: String,
    },

    /// The layer stream could not be read: a malformed tar, corrupt
    /// compressed data, or a read error.
    #[error("reading the layer, {after}: {source}")]
    Tar {
        /// Where in the stream (`after entry "etc/passwd"`, `at the start`).
        after: String,
        /// The reader's error.
        #[source]
        source: std::io::Error,
    },

    /// A limit of [`Limits`](crate::Limits) was reached.
    #[error("{what} exceeds the limit of {limit} (raise Limits::{field} to accept it)")]
    LimitExceeded {
        /// What was counted (`entries`, `uncompressed bytes`, ...).
        what: &'static str,
        /// The field of [`Limits`](crate::Limits) that sets it.
        field: &'static str,
        /// The limit.
        limit: u64,
    },

    /// A store operation failed.
    #[error(transparent)]
    Layout(#[from] oci_layout::Error),

    /// Decompressing, compressing or checking the DiffID of a layer failed.
    #[error(transparent)]
    Codec(#[from] oci_layout::codec::CodecError),

    /// Something went wrong in one layer of an image.
    #[error("layer {index} ({digest}): {source}")]
    InLayer {
        /// The layer's position in the manifest, from 0.
        index: usize,
        /// The layer's blob digest.
        digest: oci_image::Digest,
        /// What went wrong.
        #[source]
        source: Box<Error>,
    },
    // -- build and diff (build.rs, diff.rs) add their variants below --

    // -- images (image.rs) add their variants below --
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
