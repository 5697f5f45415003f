//! JSON in and out: parsing with the failing field's path, the canonical
//! serialisation, and the I-JSON duplicate-name check (considerations.md, JSON).
//!
//! The canonical form is compact and byte-compatible with Go's
//! `encoding/json`, which writes most OCI documents in the wild (containerd,
//! skopeo, umoci, buildah): fields in the order of the spec's Go types, map
//! keys sorted, and `<`, `>`, `&`, U+2028 and U+2029 escaped as `\u003c` and
//! so on. So a document written by those tools and re-serialised here keeps
//! its bytes, and its digest.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::io;

use serde::de::{DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::{Deserializer, Serialize};

use crate::validate::{finish_path, push_index, push_name};
use crate::{Error, Result};

/// Parses `bytes` as a `T`, naming the field where parsing failed.
pub(crate) fn from_slice<T: DeserializeOwned>(document: &'static str, bytes: &[u8]) -> Result<T> {
    // Tracking the path costs about half again the parse, so it is done only
    // to explain a failure: parse plainly, and on error parse again with it.
    match serde_json::from_slice(bytes) {
        Ok(value) => Ok(value),
        Err(plain) => Err(explain::<T>(document, bytes, plain)),
    }
}

/// The error of parsing `bytes` as a `T`, with the path of the failing field.
#[cold]
fn explain<T: DeserializeOwned>(
    document: &'static str,
    bytes: &[u8],
    plain: serde_json::Error,
) -> Error {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let (path, message) = match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Err(err) => (path_string(err.path()), err.into_inner().to_string()),
        // Only trailing characters can fail the plain parse but not this one.
        Ok(_) => (".".to_owned(), plain.to_string()),
    };
    Error::Json {
        document,
        path,
        message,
    }
}

/// A serde path in the notation of [`Violation`](crate::Violation) paths.
fn path_string(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => push_index(&mut out, *index),
            Segment::Map { key } => push_name(&mut out, key),
            Segment::Enum { variant } => push_name(&mut out, variant),
            // A field inside `#[serde(flatten)]` or an untagged value: the
            // position is not known more precisely than its parent.
            Segment::Unknown => break,
        }
    }
    finish_path(out)
}

/// The canonical serialisation of `value`: compact, Go-compatible.
pub fn to_canonical_vec<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    ocikit_spec_core::go_json::to_vec(value, None)
        // Our models serialise only strings, integers, booleans, sequences and
        // maps with string keys, none of which can fail into a Vec.
        .expect("serialising an OCI model to memory cannot fail")
}

/// Writes the canonical serialisation of `value` to `writer`.
pub fn write_canonical<W: io::Write, T: Serialize + ?Sized>(
    mut writer: W,
    value: &T,
) -> io::Result<()> {
    let bytes = ocikit_spec_core::go_json::to_vec(value, None).map_err(io::Error::other)?;
    writer.write_all(&bytes)
}

/// A name that appears twice in one JSON object, which I-JSON (RFC 7493)
/// and so the image-spec forbid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateName {
    /// The path of the object holding the name twice (`.` for the top level).
    pub path: String,
    /// The repeated name.
    pub name: String,
}

impl fmt::Display for DuplicateName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: the name {:?} appears more than once in the object",
            self.path, self.name
        )
    }
}

/// Every name that appears more than once in an object of the JSON text
/// `bytes`. Syntax errors end the scan (the parser reports those).
pub fn duplicate_names(bytes: &[u8]) -> Vec<DuplicateName> {
    let mut scan = Scan {
        path: Vec::new(),
        found: Vec::new(),
    };
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let _ = (&mut scan).deserialize(&mut de);
    scan.found
}

/// One step of the path to the value being scanned. Paths are only turned
/// into strings when a duplicate is found, so a clean document costs no
/// allocation beyond the names of large objects.
enum Step<'de> {
    Name(Cow<'de, str>),
    Index(usize),
}

struct Scan<'de> {
    path: Vec<Step<'de>>,
    found: Vec<DuplicateName>,
}

impl Scan<'_> {
    fn path_string(&self) -> String {
        let mut out = String::new();
        for step in &self.path {
            match step {
                Step::Name(name) => push_name(&mut out, name),
                Step::Index(i) => push_index(&mut out, *i),
            }
        }
        finish_path(out)
    }
}

impl<'de> DeserializeSeed<'de> for &mut Scan<'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for &mut Scan<'de> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }
    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }
    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }
    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index = 0usize;
        loop {
            self.path.push(Step::Index(index));
            let more = seq.next_element_seed(&mut *self)?.is_some();
            self.path.pop();
            if !more {
                return Ok(());
            }
            index += 1;
        }
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        // Most objects have a handful of names, for which a linear search
        // beats hashing; large (possibly hostile) objects switch to a set.
        let mut few: Vec<Cow<'de, str>> = Vec::new();
        let mut many: HashSet<Cow<'de, str>> = HashSet::new();
        while let Some(ocikit_spec_core::Name(name)) =
            map.next_key::<ocikit_spec_core::Name<'de>>()?
        {
            self.path.push(Step::Name(name.clone()));
            map.next_value_seed(&mut *self)?;
            self.path.pop();
            let repeated = if many.is_empty() && few.len() < 16 {
                if few.contains(&name) {
                    true
                } else {
                    few.push(name.clone());
                    false
                }
            } else {
                many.extend(few.drain(..));
                !many.insert(name.clone())
            };
            if repeated {
                let path = self.path_string();
                self.found.push(DuplicateName {
                    path,
                    name: name.into_owned(),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn canonical_form_escapes_as_go_does() {
        let mut m = BTreeMap::new();
        m.insert("b", "Alyssa <a&b@example.com>");
        m.insert("a", "line\nsep\u{2028}para\u{2029}tab\tctl\u{1}é");
        let out = String::from_utf8(to_canonical_vec(&m)).unwrap();
        assert_eq!(
            out,
            r#"{"a":"line\nsep\u2028para\u2029tab\tctl\u0001é","b":"Alyssa \u003ca\u0026b@example.com\u003e"}"#
        );
    }

    #[test]
    fn duplicate_names_are_found_with_their_path() {
        let text = br#"{"a":1,"b":{"x":[{"k":1,"k":2}],"x":3},"a":2}"#;
        let dups = duplicate_names(text);
        let shown: Vec<String> = dups.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "b.x[0]: the name \"k\" appears more than once in the object",
                "b: the name \"x\" appears more than once in the object",
                ".: the name \"a\" appears more than once in the object",
            ]
        );
        assert!(duplicate_names(br#"{"a":{"a":{"a":1}}}"#).is_empty());
        // Large objects (past the linear-search threshold) and escaped names.
        let mut big: String = (0..100).map(|i| format!("\"k{i}\":{i},")).collect();
        big.insert(0, '{');
        big.push_str("\"k7\":0,\"\\u006b99\":1}");
        let dups = duplicate_names(big.as_bytes());
        let names: Vec<&str> = dups.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["k7", "k99"]);
    }

    #[test]
    fn parse_errors_name_the_field() {
        #[derive(serde::Deserialize, Debug)]
        struct Doc {
            #[allow(dead_code)]
            items: Vec<Item>,
        }
        #[derive(serde::Deserialize, Debug)]
        struct Item {
            #[allow(dead_code)]
            size: i64,
        }
        let err = from_slice::<Doc>("test document", br#"{"items":[{"size":1},{"size":"x"}]}"#)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "test document: items[1].size: invalid type: string \"x\", expected i64 at line 1 column 32"
        );
        let err = from_slice::<Doc>("test document", br#"{"items":[]} x"#).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("test document: .: trailing characters"),
            "{err}"
        );
    }
}
