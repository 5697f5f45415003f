//! Layer apply (image-spec layer.md, Applying Changesets): one streaming
//! pass from blob to root directory, with whiteouts, confined to the root.

use std::io::Read;
use std::path::Path;

use oci_image::{Descriptor, Digest};
use oci_layout::Layout;

use crate::{Applied, ApplyOptions, Error, Result};

/// Applies an uncompressed tar stream onto the directory `root`.
///
/// # Errors
///
/// See [`apply_layer`].
pub fn apply_tar(root: &Path, tar: impl Read, options: &ApplyOptions) -> Result<Applied> {
    let _ = (root, tar, options);
    Err(Error::BadEntry {
        entry: String::new(),
        reason: "not implemented yet".into(),
    })
}

/// Applies the layer blob `layer` of `layout` onto the directory `root`,
/// checking its digest, and its DiffID when `diff_id` is given.
///
/// # Errors
///
/// Not yet.
pub fn apply_layer(
    layout: &Layout,
    layer: &Descriptor,
    diff_id: Option<&Digest>,
    root: &Path,
    options: &ApplyOptions,
) -> Result<Applied> {
    let _ = (layout, layer, diff_id, root, options);
    Err(Error::BadEntry {
        entry: String::new(),
        reason: "not implemented yet".into(),
    })
}
