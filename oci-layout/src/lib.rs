//! The OCI image-layout store on disk: blobs, `index.json`, refs, gc, fsck and
//! archives (image-spec image-layout.md).
//!
//! This crate is a skeleton: the store arrives with a later change.
//!
//! ```
//! assert_eq!(oci_layout::LAYOUT_VERSION, "1.0.0");
//! ```

pub mod codec;

/// The `imageLayoutVersion` this store writes into the `oci-layout` file.
pub const LAYOUT_VERSION: &str = oci_image::ImageLayout::VERSION;
