//! Image <-> filesystem conversion: layer apply and build, image config to
//! runtime config, and runtime bundles (image-spec layer.md, conversion.md).
//!
//! This crate is a skeleton: layers and bundles arrive with later changes.
//!
//! ```
//! assert_eq!(oci_convert::RUNTIME_SPEC_VERSION, "1.3.0");
//! ```

/// The runtime-spec version of the bundles this crate writes.
pub const RUNTIME_SPEC_VERSION: &str = oci_runtime_spec::SPEC_VERSION;

#[doc(hidden)]
pub use oci_layout as _layout;
