#![doc = include_str!("../README.md")]
//!
//! # A tour
//!
//! Build a layer from a directory, make an image of it, unpack the image,
//! change the unpacked tree, and store the change as a second layer:
//!
//! ```
//! use ocikit_convert::{ApplyOptions, Baseline, BuildOptions, ImageEdit};
//! use ocikit_image::History;
//! use ocikit_layout::{Layout, codec::Codec};
//! # let dir = tempfile::tempdir()?;
//! # let (src, root) = (dir.path().join("src"), dir.path().join("rootfs"));
//! # std::fs::create_dir_all(src.join("etc"))?;
//! # std::fs::create_dir(&root)?;
//! std::fs::write(src.join("etc/motd"), "hello\n")?;
//!
//! // Build: a deterministic tar, compressed straight into a blob.
//! let layout = Layout::init(dir.path().join("layout"))?;
//! let layer = ocikit_convert::build_layer(&layout, &src, Codec::gzip(), &BuildOptions::default())?;
//! let mut image = ImageEdit::scratch(&"linux/amd64".parse()?);
//! image.append_layer(&layer, History { created_by: Some("build src".into()), ..Default::default() })?;
//! image.commit(&layout, "v1")?;
//!
//! // Unpack: every layer applied in order, digests and DiffIDs checked.
//! let resolved = layout.resolve("v1", None)?;
//! let config = layout.read_config(&resolved.manifest.config)?;
//! for (layer, diff_id) in resolved.manifest.layers.iter().zip(&config.rootfs.diff_ids) {
//!     ocikit_convert::apply_layer(&layout, layer, Some(diff_id), &root, &ApplyOptions::default())?;
//! }
//! assert_eq!(std::fs::read_to_string(root.join("etc/motd"))?, "hello\n");
//!
//! // Repack: only what changed since the baseline goes into the new layer.
//! let baseline = Baseline::record(&root)?;
//! std::fs::remove_file(root.join("etc/motd"))?; // becomes a whiteout
//! std::fs::write(root.join("etc/hostname"), "box\n")?;
//! let change = ocikit_convert::diff_layer(&layout, &root, &baseline, Codec::gzip(), &BuildOptions::default())?
//!     .expect("the tree changed");
//! let mut image = ImageEdit::open(&layout, "v1", None)?;
//! image.append_layer(&change, History::default())?;
//! image.commit(&layout, "v2")?;
//! assert_eq!(layout.resolve("v2", None)?.manifest.layers.len(), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Bundles
//!
//! The same story with runtime bundles (runtime-spec bundle.md): [`unpack`]
//! writes `rootfs/` and a `config.json` converted from the image config,
//! and records the rootfs; [`repack`] stores what changed since as a layer.
//!
//! ```
//! use ocikit_convert::{BuildOptions, ImageEdit, RepackOptions, UnpackOptions};
//! use ocikit_layout::{Layout, codec::Codec};
//! # let dir = tempfile::tempdir()?;
//! # let src = dir.path().join("src");
//! # std::fs::create_dir_all(src.join("etc"))?;
//! # std::fs::write(src.join("etc/motd"), "hello\n")?;
//! # let layout = Layout::init(dir.path().join("layout"))?;
//! # let layer = ocikit_convert::build_layer(&layout, &src, Codec::gzip(), &BuildOptions::default())?;
//! # let mut image = ImageEdit::scratch(&"linux/amd64".parse()?);
//! # image.append_layer(&layer, Default::default())?;
//! # image.commit(&layout, "v1")?;
//! let bundle = dir.path().join("bundle");
//! let unpacked = ocikit_convert::unpack(&layout, "v1", &bundle, &UnpackOptions::default())?;
//! assert!(bundle.join("config.json").is_file());
//! assert_eq!(unpacked.spec.root.as_ref().map(|r| r.path.as_str()), Some("rootfs"));
//!
//! std::fs::write(bundle.join("rootfs/etc/motd"), "changed\n")?;
//! let repacked = ocikit_convert::repack(&bundle, &layout, "v2", &RepackOptions::default())?;
//! assert!(repacked.layer.is_some());
//! assert_eq!(layout.resolve("v2", None)?.manifest.layers.len(), 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Security
//!
//! A layer is hostile input. [`apply_layer`] and [`apply_tar`] never
//! create, change or delete anything outside the root directory, whatever
//! the layer holds:
//!
//! - entry names are cleaned lexically; a leading `/` is dropped and a `..`
//!   that would climb above the root is an error ([`Error::BadEntry`]);
//! - parent directories are resolved inside the root with chroot
//!   semantics, with `openat2(RESOLVE_IN_ROOT)` where the kernel has it and
//!   a component-by-component `O_NOFOLLOW` walk otherwise: a symlink to
//!   `/etc` used as a parent means `ROOT/etc`, however the symlink came to
//!   be (a lower layer, or an earlier entry of the same layer);
//! - the last component of a name is never followed: an entry replaces a
//!   symlink in its way, and owners, modes, attributes and times are set
//!   on file descriptors or with `AT_SYMLINK_NOFOLLOW`, never through a
//!   symlink;
//! - hardlink targets and whiteouts resolve inside the root the same way;
//!   a hardlink to a directory or to a missing name is an error;
//! - a root entry (`./`) that is not a directory is an error;
//! - [`runtime_config`] reads the rootfs's `/etc/passwd` and `/etc/group`
//!   inside the root the same way, a bounded number of bytes of each;
//! - [`Limits`] bound the entries, the uncompressed bytes, the expansion
//!   ratio of compressed layers and the metadata held in memory for one
//!   entry, while the layer is read.
//!
//! The layer's digest and DiffID are known only at its end, after its
//! entries were written: a caller that must not keep a partly applied root
//! removes it when apply fails. [`build_layer`] and [`diff_layer`] never
//! follow symlinks either, and read the tree relative to directory file
//! descriptors, in one iterative walk that keeps at most 64 directories
//! open however deep the tree.
//!
//! # Limitations
//!
//! - Linux only (`openat2`, `*at` calls, extended attributes through
//!   `/proc/self/fd`).
//! - Rootless apply (not root, or [`ApplyOptions::rootless`]) cannot create
//!   devices: they are skipped with a [`Warning`], and so are hardlinks to
//!   them. A read-only directory of a lower layer is made writable by its
//!   owner for the change the layer makes in it, and its mode put back.
//! - Sparse files: PAX format 1.0 (GNU tar's `--sparse` with
//!   `--format=posix`) is written with its holes; old GNU sparse entries
//!   (type `S`) are written whole, holes as zeros; the PAX formats 0.0 and
//!   0.1 are refused by name.
//! - [`WhiteoutMode::Overlayfs`] needs root for its `0:0` device nodes.
//! - Another process changing the root during an apply is not defended
//!   against beyond the confinement itself.
//! - [`repack`] refuses a bundle unpacked with uid or gid maps: owners are
//!   not mapped back yet.
//! - The rootless profile of [`runtime_config`] maps only the caller's uid
//!   and gid (to 0): an image whose user is not root needs more mappings
//!   to start under a rootless runtime.

mod apply;
mod baseline;
mod build;
mod bundle;
pub mod conversion;
mod diff;
mod error;
mod fsutil;
mod image;
mod listing;
mod options;
mod root;
mod rootless;
mod tarwrite;

pub use apply::{apply_layer, apply_tar};
pub use baseline::Baseline;
pub use build::{BuildOptions, BuildStats, MtimePolicy, Ownership, build_layer, write_layer_tar};
pub use bundle::{
    BASELINE_FILE, BundleRecord, CONFIG_FILE, RECORD_FILE, ROOTFS_DIR, RepackOptions, Repacked,
    UnpackOptions, Unpacked, check_unpack_target, created_now, repack, unpack,
};
pub use conversion::{ConversionOptions, runtime_config};
pub use diff::{Changes, diff, diff_layer, write_diff_tar};
pub use error::{Error, Result};
pub use image::{ConfigChange, ImageEdit};
pub use options::{Applied, ApplyOptions, IdMapping, Limits, Warning, WhiteoutMode, map_id};

/// The runtime-spec version of the bundles this crate writes.
pub const RUNTIME_SPEC_VERSION: &str = ocikit_runtime_spec::SPEC_VERSION;
