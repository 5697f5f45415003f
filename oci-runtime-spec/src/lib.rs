//! Typed models of the [OCI runtime-spec](https://github.com/opencontainers/runtime-spec).
//!
//! This crate is a skeleton: the models arrive with a later change. It
//! depends on nothing else of the toolkit.
//!
//! ```
//! assert_eq!(oci_runtime_spec::SPEC_VERSION, "1.3.0");
//! ```

/// The runtime-spec version these models follow.
pub const SPEC_VERSION: &str = "1.3.0";
