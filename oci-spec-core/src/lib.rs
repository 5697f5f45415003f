//! What the two spec crates of ocikit, `ocikit-image` and
//! `ocikit-runtime-spec`, share: JSON written byte for byte as Go's
//! `encoding/json` writes it ([`go_json`]).
//!
//! This crate depends on nothing of ocikit's; both spec crates depend on
//! it and on nothing else of ours.

pub mod go_json;
