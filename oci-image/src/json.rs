//! The I-JSON duplicate-name check (considerations.md, JSON): serde keeps
//! the last of two members of the same name, so a document's bytes are
//! scanned for them. Parsing and writing are [`Json`](crate::Json)'s.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use ocikit_spec_core::{Name, RawPath};
use serde::Deserializer;
use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};

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
/// `bytes`, a document whose maps with free-form keys are the values of
/// `map_members` ([`Json::MAP_MEMBERS`](crate::Json::MAP_MEMBERS)): their
/// keys are written `["key"]` in paths. Syntax errors end the scan (the
/// parser reports those).
///
/// ```
/// use ocikit_image::json::duplicate_names;
/// let dups = duplicate_names(br#"{"annotations":{"a":{"k":1,"k":2}}}"#, &["annotations"]);
/// assert_eq!(dups[0].to_string(), r#"annotations["a"]: the name "k" appears more than once in the object"#);
/// ```
pub fn duplicate_names(bytes: &[u8], map_members: &[&str]) -> Vec<DuplicateName> {
    let mut scan = Scan {
        path: Vec::new(),
        found: Vec::new(),
        map_members,
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

struct Scan<'de, 'm> {
    path: Vec<Step<'de>>,
    found: Vec<DuplicateName>,
    map_members: &'m [&'m str],
}

impl Scan<'_, '_> {
    fn path_string(&self) -> String {
        let mut out = RawPath::new(self.map_members);
        for step in &self.path {
            match step {
                Step::Name(name) => out.name(name),
                Step::Index(i) => out.index(*i),
            }
        }
        out.into()
    }
}

impl<'de> DeserializeSeed<'de> for &mut Scan<'de, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for &mut Scan<'de, '_> {
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
        while let Some(Name(name)) = map.next_key::<Name<'de>>()? {
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

    #[test]
    fn duplicate_names_are_found_with_their_path() {
        let text = br#"{"a":1,"b":{"x":[{"k":1,"k":2}],"x":3},"a":2}"#;
        let dups = duplicate_names(text, &[]);
        let shown: Vec<String> = dups.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "b.x[0]: the name \"k\" appears more than once in the object",
                "b: the name \"x\" appears more than once in the object",
                ".: the name \"a\" appears more than once in the object",
            ]
        );
        assert!(duplicate_names(br#"{"a":{"a":{"a":1}}}"#, &[]).is_empty());
        // Large objects (past the linear-search threshold) and escaped names.
        let mut big: String = (0..100).map(|i| format!("\"k{i}\":{i},")).collect();
        big.insert(0, '{');
        big.push_str("\"k7\":0,\"\\u006b99\":1}");
        let dups = duplicate_names(big.as_bytes(), &[]);
        let names: Vec<&str> = dups.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["k7", "k99"]);
    }

    #[test]
    fn keys_below_a_map_member_are_quoted() {
        let text =
            br#"{"config":{"ExposedPorts":{"80":{"a":1,"a":2}},"Labels":{"x":"1","x":"2"}}}"#;
        let dups = duplicate_names(text, &["Labels", "ExposedPorts"]);
        let paths: Vec<&str> = dups.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(paths, [r#"config.ExposedPorts["80"]"#, "config.Labels"]);
    }
}
