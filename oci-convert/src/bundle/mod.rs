//! Runtime bundles (runtime-spec bundle.md): an image unpacked into
//! `BUNDLE/rootfs` with the `BUNDLE/config.json` its config gives
//! (image-spec conversion.md), and a changed rootfs repacked into a new
//! layer of the image.
//!
//! Beside `rootfs` and `config.json`, an unpack leaves two files that
//! `runc` ignores: `oci-bundle.json`, which names the image the bundle was
//! unpacked from, and `oci-baseline`, the [`Baseline`](crate::Baseline)
//! record of the rootfs that [`repack`] diffs against.

mod record;
mod repack;
mod unpack;

pub use record::BundleRecord;
pub use repack::{RepackOptions, Repacked, created_now, repack};
pub use unpack::{UnpackOptions, Unpacked, check_unpack_target, unpack};

/// The root filesystem's directory in a bundle.
pub const ROOTFS_DIR: &str = "rootfs";
/// The runtime configuration's file in a bundle.
pub const CONFIG_FILE: &str = "config.json";
/// The file naming the image a bundle was unpacked from.
pub const RECORD_FILE: &str = "oci-bundle.json";
/// The baseline of the rootfs, for [`repack`].
pub const BASELINE_FILE: &str = "oci-baseline";
