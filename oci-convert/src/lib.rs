//! Image <-> filesystem conversion (image-spec layer.md, conversion.md):
//! layer apply with whiteouts, confined to the target root; deterministic
//! layer build; diff of a root against a baseline; appending a layer to an
//! image.
//!
//! ```
//! assert_eq!(oci_convert::RUNTIME_SPEC_VERSION, "1.3.0");
//! ```

mod apply;
mod error;
mod options;
mod root;
#[allow(dead_code)] // used by apply and build as they land
mod rootless;

pub use apply::{apply_layer, apply_tar};
pub use error::{Error, Result};
pub use options::{Applied, ApplyOptions, IdMapping, Limits, Warning, WhiteoutMode, map_id};

/// The runtime-spec version of the bundles this crate writes.
pub const RUNTIME_SPEC_VERSION: &str = oci_runtime_spec::SPEC_VERSION;
