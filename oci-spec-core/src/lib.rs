#![doc = include_str!("../README.md")]

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
