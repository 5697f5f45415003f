//! What the two spec crates of ocikit, `ocikit-image` and
//! `ocikit-runtime-spec`, share: JSON written byte for byte as Go's
//! `encoding/json` writes it ([`go_json`]), and model structs that keep
//! the members the spec does not define ([`model!`]).
//!
//! This crate depends on nothing of ocikit's; both spec crates depend on
//! it and on nothing else of ours.

pub mod go_json;
mod model;

pub use model::Name;

/// What [`model!`] expands to needs; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use crate::model::{ReadNames, WriteNames};
    pub use serde;
    pub use serde_json;
}
