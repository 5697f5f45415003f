//! Typed models of the OCI image-spec.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod digest;
pub mod digester;
mod error;
pub mod platform;
pub mod validate;

pub use digest::{Algorithm, Digest};
pub use error::{Error, Result};
pub use platform::{Arch, Os, Platform};
pub use validate::{Report, Rule, Severity, Validate, Violation};

/// Placeholder until the layout model lands.
pub struct ImageLayout;
impl ImageLayout {
    /// The only `imageLayoutVersion` defined by the spec.
    pub const VERSION: &'static str = "1.0.0";
}
