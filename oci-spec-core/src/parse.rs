//! Parsing a document, with the JSON path of the member where it failed.

use serde::de::DeserializeOwned;

use crate::path::RawPath;

/// A document that could not be parsed into its model: not JSON, a member
/// of the wrong JSON type, a REQUIRED member missing, a member given
/// twice, or a value outside a closed set.
///
/// `Display` writes `document: path: message (line L, column C)`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{document}: {path}: {message}{}", position(*line, *column))]
pub struct ParseError {
    /// The kind of document (`image manifest`, `config.json`, ...).
    pub document: &'static str,
    /// Where parsing failed, as a [`JsonPath`](crate::JsonPath)
    /// (`layers[2].digest`, `linux.sysctl["net.ipv4.ip_forward"]`), or `.`
    /// for the document itself (not JSON, not an object, a REQUIRED
    /// member missing at the top, trailing characters).
    pub path: String,
    /// What the parser found wrong, as serde reports it (`invalid type:
    /// string "x", expected u32`), without the position.
    pub message: String,
    /// The line of the input where parsing stopped (1-based), 0 when the
    /// error is not about a position in the input.
    pub line: usize,
    /// The column of the input where parsing stopped (1-based), 0 when
    /// the error is not about a position in the input.
    pub column: usize,
}

fn position(line: usize, column: usize) -> String {
    if line == 0 {
        String::new()
    } else {
        format!(" (line {line}, column {column})")
    }
}

/// Parses `bytes` as a `T`, a document of kind `document` whose maps with
/// free-form keys are the values of `map_members` (see
/// [`RawPath`](crate::RawPath)). A failure names the path of the failing
/// member.
///
/// ```
/// use std::collections::BTreeMap;
/// #[derive(serde::Deserialize)]
/// struct Doc {
///     #[allow(dead_code)]
///     annotations: BTreeMap<String, String>,
/// }
/// let err = ocikit_spec_core::parse_json::<Doc>("test document", &["annotations"], br#"{"annotations": {"a": 1}}"#)
///     .err().expect("1 is not a string");
/// assert_eq!(err.path, r#"annotations["a"]"#);
/// assert_eq!(err.to_string(), r#"test document: annotations["a"]: invalid type: integer `1`, expected a string (line 1, column 23)"#);
/// ```
///
/// # Errors
///
/// [`ParseError`] when `bytes` are not JSON or not a `T`.
pub fn parse_json<T: DeserializeOwned>(
    document: &'static str,
    map_members: &[&str],
    bytes: &[u8],
) -> Result<T, ParseError> {
    // Tracking the path costs about half again the parse, so it is done
    // only to explain a failure: parse plainly, and on error parse again
    // with it.
    match serde_json::from_slice(bytes) {
        Ok(value) => Ok(value),
        Err(plain) => Err(explain::<T>(document, map_members, bytes, plain)),
    }
}

/// The error of parsing `bytes` as a `T`, with the path of the failing
/// member.
#[cold]
fn explain<T: DeserializeOwned>(
    document: &'static str,
    map_members: &[&str],
    bytes: &[u8],
    plain: serde_json::Error,
) -> ParseError {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let (path, err) = match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Err(err) => (render(err.path(), map_members), err.into_inner()),
        // Only trailing characters fail the plain parse but not a single
        // value.
        Ok(_) => (crate::path::ROOT.to_owned(), plain),
    };
    let (line, column) = (err.line(), err.column());
    let mut message = err.to_string();
    let position = format!(" at line {line} column {column}");
    if let Some(stripped) = message.strip_suffix(&position) {
        message.truncate(stripped.len());
    }
    ParseError {
        document,
        path,
        message,
        line,
        column,
    }
}

/// A serde path in the notation of [`JsonPath`](crate::JsonPath).
fn render(path: &serde_path_to_error::Path, map_members: &[&str]) -> String {
    use serde_path_to_error::Segment;
    let mut out = RawPath::new(map_members);
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.index(*index),
            Segment::Map { key } => out.name(key),
            Segment::Enum { variant } => out.name(variant),
            // A member inside `#[serde(flatten)]` or an untagged value: the
            // position is not known more precisely than its parent.
            Segment::Unknown => break,
        }
    }
    out.into()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Doc {
        items: Vec<Item>,
        #[serde(default)]
        labels: BTreeMap<String, u8>,
    }

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Item {
        size: i64,
    }

    fn fail(json: &str) -> ParseError {
        parse_json::<Doc>("test document", &["labels"], json.as_bytes()).unwrap_err()
    }

    #[test]
    fn errors_name_the_member_and_the_position() {
        let err = fail(r#"{"items":[{"size":1},{"size":"x"}]}"#);
        assert_eq!(
            err.to_string(),
            r#"test document: items[1].size: invalid type: string "x", expected i64 (line 1, column 32)"#
        );
        assert_eq!((err.line, err.column), (1, 32));
        let err = fail("{\"items\":[],\n \"labels\":{\"a.b\":300}}");
        assert_eq!(err.path, r#"labels["a.b"]"#);
        assert_eq!(err.line, 2);
        let err = fail(r#"{"items":[],"labels":{"items":-1}}"#);
        assert_eq!(err.path, r#"labels["items"]"#);
    }

    #[test]
    fn errors_of_the_document_itself_are_at_the_root() {
        for (json, message) in [
            (r#"{"items":[]} x"#, "trailing characters"),
            ("true", "invalid type: boolean `true`, expected struct Doc"),
            ("{}", "missing field `items`"),
            ("", "EOF while parsing a value"),
        ] {
            let err = fail(json);
            assert_eq!((err.path.as_str(), err.message.as_str()), (".", message));
        }
    }

    #[test]
    fn a_position_of_zero_is_left_out() {
        let err = ParseError {
            document: "index.json",
            path: ".".into(),
            message: "the file is empty".into(),
            line: 0,
            column: 0,
        };
        assert_eq!(err.to_string(), "index.json: .: the file is empty");
    }
}
