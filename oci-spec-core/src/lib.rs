//! What the two spec crates of ocikit, `ocikit-image` and
//! `ocikit-runtime-spec`, share, so that whoever knows one knows the other:
//!
//! - [`Json`]: parse a document ([`Json::from_json`], errors with the
//!   [`JsonPath`] of the failing member) and write it back as Go's
//!   `encoding/json` does ([`Json::to_canonical_json`],
//!   [`Json::to_pretty_json`]; the writer is [`go_json`]);
//! - [`Validate`]: check a document against its spec
//!   ([`Validate::check`] gives a [`Report`] of [`Violation`]s, each with
//!   the path of its field; [`Validate::validate`] gives the warnings, or
//!   [`Invalid`] with the errors);
//! - [`model!`]: the model structs, plain data that keep the members the
//!   spec does not define.
//!
//! This crate depends on nothing of ocikit's; both spec crates depend on
//! it and on nothing else of ours. Each re-exports what its users name,
//! with its own `Rule` filled in (`ocikit_image::Report`,
//! `ocikit_runtime_spec::Report`).
//!
//! ```
//! use ocikit_spec_core::{Checker, Json, Validate};
//!
//! ocikit_spec_core::model! {
//!     /// A document of a made-up spec.
//!     #[derive(Debug, Clone, PartialEq)]
//!     pub struct Doc ("a document") {
//!         /// MUST be 1.
//!         version: u32 => "version" (required),
//!         /// Free-form metadata.
//!         labels: std::collections::BTreeMap<String, String> => "labels" (default),
//!     }
//! }
//!
//! impl Validate for Doc {
//!     type Rule = &'static str;
//!     const KIND: &'static str = "made-up document";
//!     fn check_into(&self, c: &mut Checker<&'static str>) {
//!         if self.version != 1 {
//!             c.field("version", |c| c.error("Version", format!("must be 1, found {}", self.version)));
//!         }
//!     }
//! }
//!
//! impl Json for Doc {
//!     const PRETTY_INDENT: &'static str = "  ";
//!     const MAP_MEMBERS: &'static [&'static str] = &["labels"];
//! }
//!
//! let doc = Doc::from_json(br#"{"labels": {"b": "<2>", "a": "1"}, "version": 2}"#)?;
//! assert_eq!(doc.to_canonical_json(), br#"{"version":2,"labels":{"a":"1","b":"\u003c2\u003e"}}"#);
//! let err = doc.validate().unwrap_err();
//! assert_eq!(err.to_string(), "made-up document is invalid: version: must be 1, found 2");
//!
//! let err = Doc::from_json(br#"{"version": 1, "labels": {"a": 1}}"#).unwrap_err();
//! assert_eq!(err.to_string(), r#"made-up document: labels["a"]: invalid type: integer `1`, expected a string (line 1, column 32)"#);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use serde::Serialize;
use serde::de::DeserializeOwned;

pub mod go_json;
mod model;
mod parse;
mod path;
mod report;

pub use model::Name;
pub use parse::{ParseError, parse_json};
pub use path::{JsonPath, ROOT, RawPath};
pub use report::{Checker, Invalid, Report, Severity, Violation};

/// Checking a document (or a part of one) against the rules of its spec.
pub trait Validate {
    /// The rules of the spec (each spec crate's `Rule` enum).
    type Rule;

    /// A short name for messages: `image manifest`, `config.json`,
    /// `platform`.
    const KIND: &'static str;

    /// Adds every violation of `self` to `checker`, with paths below the
    /// checker's current path.
    fn check_into(&self, checker: &mut Checker<Self::Rule>);

    /// Every rule `self` breaks, errors and warnings.
    fn check(&self) -> Report<Self::Rule> {
        let mut checker = Checker::new();
        self.check_into(&mut checker);
        checker.finish()
    }

    /// `Ok` with the warnings when every MUST of the spec holds.
    ///
    /// # Errors
    ///
    /// [`Invalid`] naming the document, and each broken rule with its field.
    fn validate(&self) -> Result<Vec<Violation<Self::Rule>>, Invalid<Self::Rule>> {
        self.check().into_result(Self::KIND)
    }
}

/// A JSON document of a spec: parsed from bytes, written back the way Go's
/// `encoding/json` writes it, so that the same value always gives the same
/// bytes and documents written by Go tools keep theirs.
pub trait Json: Validate + Serialize + DeserializeOwned {
    /// The indentation of one level in [`Json::to_pretty_json`].
    const PRETTY_INDENT: &'static str;

    /// The members whose values are maps with free-form keys
    /// (`annotations`, ...), at any depth: below them a parse error's path
    /// names a key as `["key"]` (see [`RawPath`]).
    const MAP_MEMBERS: &'static [&'static str];

    /// Parses JSON bytes. Parsing accepts what the JSON types allow;
    /// [`Validate::validate`] checks the rest of the spec.
    ///
    /// # Errors
    ///
    /// [`ParseError`] naming the path of the member where parsing failed.
    fn from_json(bytes: &[u8]) -> Result<Self, ParseError> {
        parse_json(Self::KIND, Self::MAP_MEMBERS, bytes)
    }

    /// The canonical serialisation: compact, deterministic, and byte for
    /// byte what Go's `json.Marshal` writes for the same value (members in
    /// the order of the spec's Go types, map keys sorted, `<`, `>`, `&`,
    /// U+2028 and U+2029 escaped).
    fn to_canonical_json(&self) -> Vec<u8> {
        write(self, None)
    }

    /// The same, indented as Go's `json.MarshalIndent(v, "", indent)` does
    /// with [`Json::PRETTY_INDENT`]: one member or element per line,
    /// `"name": value`, no final newline.
    fn to_pretty_json(&self) -> Vec<u8> {
        write(self, Some(Self::PRETTY_INDENT))
    }
}

fn write<T: Serialize + ?Sized>(value: &T, indent: Option<&'static str>) -> Vec<u8> {
    go_json::to_vec(value, indent)
        // A model holds strings, integers, booleans, sequences, maps with
        // string keys and serde_json values, none of which can fail into a
        // Vec: a failure is a bug in the model, not a property of its input.
        .expect("serialising a model to memory cannot fail")
}

/// What [`model!`] expands to needs; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use crate::model::{ReadNames, WriteNames};
    pub use serde;
    pub use serde_json;
}
