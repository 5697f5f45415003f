#![doc = include_str!("../README.md")]
//!
//! # A tour
//!
//! ```
//! use ocikit_image::{Descriptor, ImageConfiguration, ImageManifest, MediaType};
//! use ocikit_layout::Layout;
//! # let dir = tempfile::tempdir()?;
//!
//! let layout = Layout::init(dir.path().join("image"))?;
//!
//! // Blobs are content-addressed and written crash-safely.
//! let layer = layout.put_bytes(MediaType::ImageLayer, b"not really a tar")?;
//! let config = layout.put_json(&ImageConfiguration::for_platform(&"linux/amd64".parse()?))?;
//! let manifest = ImageManifest { config, layers: vec![layer], ..Default::default() };
//! let manifest = layout.put_json(&manifest)?.with_platform("linux/amd64".parse()?);
//!
//! // Tags live in index.json; resolving picks the manifest for a platform.
//! layout.tag("v1", &manifest)?;
//! assert_eq!(layout.list_tags()?, ["v1"]);
//! let resolved = layout.resolve("v1", Some(&"linux/amd64".parse()?))?;
//! assert_eq!(resolved.descriptor.digest, manifest.digest);
//!
//! // Reading a blob checks it against its descriptor.
//! let config = layout.read_config(&resolved.manifest.config)?;
//! assert_eq!(config.architecture, "amd64".into());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Crash safety and concurrency
//!
//! A blob is written to a temporary file inside the layout (`blobs/.tmp-*`),
//! fsynced, renamed to its digest's name and the directory fsynced, so a
//! name under `blobs/<alg>/` always holds complete content. `index.json` is
//! changed under an advisory lock (`index.json.lock`, released by the
//! operating system if the holder dies) and replaced by rename, so readers
//! never see a partial file and concurrent taggers lose nothing.
//! [`Layout::gc`] removes what `index.json` does not reach, with a grace
//! period for blobs a writer has stored but not tagged yet, and a second
//! lock (`blobs.lock`) that keeps its sweep apart from writers re-using a
//! blob; its `# Concurrency` section gives the protocol. [`Layout::fsck`]
//! checks everything reachable, and [`Layout::referrers`] finds the
//! image-spec 1.1 referrers of a manifest.
//!
//! # Security
//!
//! A layout may come from elsewhere, and its directories may be symbolic
//! links. Reads follow them: a `blobs` (or `blobs/<alg>`) linked to a
//! directory that several layouts share is read like any other, and every
//! blob read is verified against its descriptor wherever it lies. Nothing
//! that creates, changes or removes follows them. The blob writers, gc,
//! the rollback of a failed import or copy, [`Layout::remove_blob`] and
//! [`Layout::touch_blob`] open `blobs` and `blobs/<alg>` without following
//! a link, refuse one with [`Error::SymlinkRefused`] (naming the link and
//! its target) before they change anything, and then create, rename and
//! unlink names relative to the directories they opened, so a link swapped
//! in afterwards changes nothing. gc refuses even a dry run: a shared blob
//! directory holds blobs that other layouts reference. A blob file that is
//! itself a link is removed as a link (its target stays) and never written
//! through: a writer storing the same content replaces the link. The lock
//! files are opened without following a link. `index.json` is replaced by
//! rename, never written through: a link there is read, and the first
//! change replaces it with a file in the layout.
//!
//! So a layout whose blobs lie elsewhere through a link can be read,
//! unpacked, exported and copied from, but this crate neither writes
//! blobs into it nor collects its garbage.
//!
//! # Limitations
//!
//! Other tools (skopeo, umoci) do not take our lock: a change they make to
//! `index.json` at the same moment as ours can still be lost. The lock is
//! advisory and needs a file system with working `flock`.

pub mod archive;
pub use archive::source_date_epoch;
mod atomic;
mod blob;
mod copy;
mod dir;
mod document;
mod error;
mod fsck;
mod fsutil;
mod gc;
mod hasher;
mod index;
mod layer;
mod layout;
mod lock;
pub mod progress;
mod referrers;
mod walk;

pub use atomic::{AtomicFile, write_atomic};
pub use blob::{BlobInfo, BlobReader, BlobWriter};
pub use copy::{Copied, CopyOptions};
pub use document::MAX_DOCUMENT_SIZE;
pub use error::{Error, Result};
pub use fsck::{FsckOptions, FsckReport, Problem};
pub use gc::{DEFAULT_GRACE, GcOptions, GcReport, RemovedBlob, TEMP_FILE_MAX_AGE};
pub use index::{MAX_INDEX_DEPTH, Resolved, available_platforms, check_tag, pick_manifest};
pub use layer::StoredLayer;
pub use layout::Layout;
pub use lock::IndexLock;

pub mod codec;

/// The `imageLayoutVersion` this store writes into the `oci-layout` file.
pub const LAYOUT_VERSION: &str = ocikit_image::ImageLayout::VERSION;
