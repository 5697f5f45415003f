//! JSON paths: where in a document a parse error or a broken rule is. One
//! notation for both spec crates, in parse errors and in reports:
//!
//! - a member is `.name` (no dot at the start), or `["name"]` when the
//!   name is not a plain identifier (letters, digits, `_` and `-`), so
//!   that `os.version` cannot be misread as nesting;
//! - a map key is always `["key"]`: a key is data, not a name;
//! - an array index is `[i]`;
//! - the whole document is `.`.
//!
//! Quoted names and keys are JSON strings, escapes and all.
//! `linux.resources.rdma["mlx5_1"].hcaHandles`, `manifests[2].digest`,
//! `annotations["org.opencontainers.image.created"]`, `["os.version"]`.

use std::fmt::Write as _;

/// The path of the whole document.
pub const ROOT: &str = ".";

/// A JSON path written step by step.
///
/// ```
/// use ocikit_spec_core::JsonPath;
/// let mut path = JsonPath::new();
/// assert_eq!(path.to_string(), ".");
/// path.member("config");
/// path.member("Labels");
/// path.key("maintainer");
/// assert_eq!(path.to_string(), r#"config.Labels["maintainer"]"#);
/// let mut path = JsonPath::new();
/// path.member("os.version");
/// path.index(0);
/// assert_eq!(path.to_string(), r#"["os.version"][0]"#);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JsonPath {
    text: String,
}

impl JsonPath {
    /// The path of the whole document.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends an object member.
    pub fn member(&mut self, name: &str) {
        let plain = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if plain {
            if !self.text.is_empty() {
                self.text.push('.');
            }
            self.text.push_str(name);
        } else {
            self.key(name);
        }
    }

    /// Appends a map key.
    pub fn key(&mut self, key: &str) {
        // serde_json writes a string as JSON, escapes and all.
        let quoted = serde_json::Value::from(key);
        let _ = write!(self.text, "[{quoted}]");
    }

    /// Appends an array index.
    pub fn index(&mut self, index: usize) {
        // Writing to a String cannot fail.
        let _ = write!(self.text, "[{index}]");
    }
}

impl std::fmt::Display for JsonPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.text.is_empty() {
            ROOT
        } else {
            &self.text
        })
    }
}

impl From<JsonPath> for String {
    fn from(path: JsonPath) -> String {
        if path.text.is_empty() {
            ROOT.to_owned()
        } else {
            path.text
        }
    }
}

/// A [`JsonPath`] from the names and indexes of JSON text, where a member
/// name and a map key look alike: a name is taken as a map key when the
/// member before it is one of `map_members`, the members of the document
/// type whose values are maps with free-form keys (`annotations`, ...).
///
/// ```
/// use ocikit_spec_core::RawPath;
/// let mut path = RawPath::new(&["annotations"]);
/// for name in ["manifests", "annotations", "a"] {
///     path.name(name);
///     if name == "manifests" {
///         path.index(3);
///     }
/// }
/// assert_eq!(String::from(path), r#"manifests[3].annotations["a"]"#);
/// ```
#[derive(Debug, Clone)]
pub struct RawPath<'m> {
    path: JsonPath,
    map_members: &'m [&'m str],
    in_map: bool,
}

impl<'m> RawPath<'m> {
    /// The path of the whole document, for a document type whose maps
    /// with free-form keys are the values of `map_members`.
    pub fn new(map_members: &'m [&'m str]) -> Self {
        RawPath {
            path: JsonPath::new(),
            map_members,
            in_map: false,
        }
    }

    /// Appends a name read from an object: a key when the object is the
    /// value of one of the map members, else a member.
    pub fn name(&mut self, name: &str) {
        if self.in_map {
            self.path.key(name);
            self.in_map = false;
        } else {
            self.path.member(name);
            self.in_map = self.map_members.contains(&name);
        }
    }

    /// Appends an array index.
    pub fn index(&mut self, index: usize) {
        self.path.index(index);
        self.in_map = false;
    }
}

impl From<RawPath<'_>> for String {
    fn from(path: RawPath<'_>) -> String {
        path.path.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_keys_and_indexes() {
        let mut path = JsonPath::new();
        path.member("linux");
        path.member("resources");
        path.member("rdma");
        path.key("mlx5_1");
        path.member("hcaHandles");
        assert_eq!(
            path.to_string(),
            r#"linux.resources.rdma["mlx5_1"].hcaHandles"#
        );
        let mut path = JsonPath::new();
        path.index(2);
        path.member("plain_name-1");
        path.member("");
        path.key("say \"hi\"\\\n\u{1}é");
        assert_eq!(
            String::from(path),
            r#"[2].plain_name-1[""]["say \"hi\"\\\n\u0001é"]"#
        );
    }

    #[test]
    fn raw_names_after_a_map_member_are_keys() {
        let mut path = RawPath::new(&["annotations", "sysctl"]);
        path.name("linux");
        path.name("sysctl");
        path.name("net.ipv4.ip_forward");
        assert_eq!(
            String::from(path.clone()),
            r#"linux.sysctl["net.ipv4.ip_forward"]"#
        );
        // Only the name right after the map member is a key.
        let mut path = RawPath::new(&["annotations"]);
        path.name("annotations");
        path.name("a");
        path.name("b");
        assert_eq!(String::from(path), r#"annotations["a"].b"#);
        // An index ends the map.
        let mut path = RawPath::new(&["annotations"]);
        path.name("annotations");
        path.index(0);
        path.name("x");
        assert_eq!(String::from(path), "annotations[0].x");
        assert_eq!(String::from(RawPath::new(&[])), ".");
    }
}
