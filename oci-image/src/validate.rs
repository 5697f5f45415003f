//! Validation reports: what a document breaks, where, and how badly.
//!
//! Parsing accepts what the JSON types allow; [`Validate::check`] then walks a
//! document and reports every rule of the image-spec it breaks, each with the
//! JSON path of the field (`manifests[2].digest`). A MUST that is broken is an
//! [`Severity::Error`]; a SHOULD is a [`Severity::Warning`].

use std::fmt;

/// The rule of the spec that a [`Violation`] breaks. Tests and callers match
/// on it; the message says the details.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Rule {
    /// `schemaVersion` MUST be 2 (manifest.md, image-index.md).
    SchemaVersion,
    /// A document's own `mediaType` MUST name its type, and a field MUST
    /// NOT belong to the other document type (the CVE-2021-41190 confusion).
    DocumentMediaType,
    /// A media type MUST comply with RFC 6838 section 4.2 (descriptor.md).
    MediaTypeSyntax,
    /// A digest MUST follow the grammar and its algorithm's encoding (descriptor.md, Digests).
    Digest,
    /// `size` MUST NOT be negative (descriptor.md).
    Size,
    /// Each `urls` entry MUST conform to RFC 3986 (descriptor.md).
    Url,
    /// Embedded `data` MUST be base64 and identical to the referenced content (descriptor.md).
    EmbeddedData,
    /// Annotation rules (annotations.md): keys, and the format of pre-defined keys.
    Annotation,
    /// `artifactType` MUST be set when `config.mediaType` is the empty media type (manifest.md).
    ArtifactType,
    /// Layers: the portability advice on `layers` (manifest.md).
    Layers,
    /// Timestamps MUST follow RFC 3339 section 5.6 (config.md, annotations.md).
    Timestamp,
    /// `rootfs.type` MUST be `layers` (config.md).
    RootfsType,
    /// History and `rootfs.diff_ids` should describe the same layers (config.md).
    History,
    /// `Env` entries are `VARNAME=VARVALUE` (config.md).
    Env,
    /// Platform fields: `os` and `architecture` are required and non-empty (image-index.md).
    Platform,
    /// Required fields of the image config (config.md).
    Config,
    /// `imageLayoutVersion` of the `oci-layout` file (image-layout.md).
    LayoutVersion,
    /// JSON content MUST follow I-JSON: no duplicate names in an object (considerations.md).
    Json,
}

/// How serious a [`Violation`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// A SHOULD of the spec is not followed; the document is still valid.
    Warning,
    /// A MUST of the spec is broken; the document is invalid.
    Error,
}

/// One broken rule, at one place in a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// The JSON path of the field, such as `manifests[2].digest`; `.` is the
    /// document itself.
    pub path: String,
    /// The rule that is broken.
    pub rule: Rule,
    /// Whether a MUST or a SHOULD is broken.
    pub severity: Severity,
    /// What was expected and what was found.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.severity == Severity::Warning {
            write!(f, "warning: ")?;
        }
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// The errors found in an invalid document: never empty. This is the payload
/// of [`Error::Invalid`](crate::Error::Invalid); its `Display` gives one
/// violation per line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violations(Vec<Violation>);

impl Violations {
    /// A single error at `path`.
    pub fn single(path: impl Into<String>, rule: Rule, message: impl Into<String>) -> Self {
        Violations(vec![Violation {
            path: path.into(),
            rule,
            severity: Severity::Error,
            message: message.into(),
        }])
    }

    /// The violations, in document order.
    pub fn iter(&self) -> std::slice::Iter<'_, Violation> {
        self.0.iter()
    }

    /// How many violations there are (at least one).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Always `false`: an error carries at least one violation.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The violations, by value.
    pub fn into_vec(self) -> Vec<Violation> {
        self.0
    }
}

impl<'a> IntoIterator for &'a Violations {
    type Item = &'a Violation;
    type IntoIter = std::slice::Iter<'a, Violation>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl fmt::Display for Violations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, v) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{v}")?;
        }
        Ok(())
    }
}

/// Everything [`Validate::check`] found: errors and warnings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Every violation, errors and warnings, in document order.
    pub violations: Vec<Violation>,
}

impl Report {
    /// `true` when no MUST is broken (warnings allowed).
    pub fn is_valid(&self) -> bool {
        !self
            .violations
            .iter()
            .any(|v| v.severity == Severity::Error)
    }

    /// The broken MUSTs.
    pub fn errors(&self) -> impl Iterator<Item = &Violation> {
        self.violations
            .iter()
            .filter(|v| v.severity == Severity::Error)
    }

    /// The SHOULDs not followed.
    pub fn warnings(&self) -> impl Iterator<Item = &Violation> {
        self.violations
            .iter()
            .filter(|v| v.severity == Severity::Warning)
    }

    /// `Ok` with the warnings when the document is valid, else
    /// [`Error::Invalid`](crate::Error::Invalid) with the errors.
    pub fn into_result(self) -> crate::Result<Vec<Violation>> {
        let (errors, warnings): (Vec<_>, Vec<_>) = self
            .violations
            .into_iter()
            .partition(|v| v.severity == Severity::Error);
        if errors.is_empty() {
            Ok(warnings)
        } else {
            Err(crate::Error::Invalid(Violations(errors)))
        }
    }
}

/// Checking a document against the rules of the spec.
pub trait Validate {
    /// Adds every violation of `self` to `checker`, with paths under the
    /// checker's current path.
    fn check_into(&self, checker: &mut Checker);

    /// Every rule `self` breaks, errors and warnings.
    fn check(&self) -> Report {
        let mut checker = Checker::new();
        self.check_into(&mut checker);
        checker.finish()
    }

    /// `Ok` (with any warnings) when every MUST of the spec holds, else
    /// [`Error::Invalid`](crate::Error::Invalid) naming each broken rule and field.
    fn validate(&self) -> crate::Result<Vec<Violation>> {
        self.check().into_result()
    }
}

/// Collects violations while walking a document, tracking the JSON path.
#[derive(Debug, Default)]
pub struct Checker {
    path: Vec<Segment>,
    violations: Vec<Violation>,
}

#[derive(Debug, Clone)]
enum Segment {
    Field(&'static str),
    Key(String),
    Index(usize),
}

impl Checker {
    /// A checker at the root of a document.
    pub fn new() -> Self {
        Self::default()
    }

    /// The report of what was found.
    pub fn finish(self) -> Report {
        Report {
            violations: self.violations,
        }
    }

    /// The current path, as shown in messages.
    pub fn path(&self) -> String {
        let mut out = String::new();
        for seg in &self.path {
            match seg {
                Segment::Field(name) => push_name(&mut out, name),
                Segment::Key(key) => push_name(&mut out, key),
                Segment::Index(i) => push_index(&mut out, *i),
            }
        }
        finish_path(out)
    }

    /// Runs `f` with `name` appended to the path.
    pub fn field(&mut self, name: &'static str, f: impl FnOnce(&mut Self)) {
        self.path.push(Segment::Field(name));
        f(self);
        self.path.pop();
    }

    /// Runs `f` with the map key `key` appended to the path.
    pub fn key(&mut self, key: &str, f: impl FnOnce(&mut Self)) {
        self.path.push(Segment::Key(key.to_owned()));
        f(self);
        self.path.pop();
    }

    /// Runs `f` with the array index `index` appended to the path.
    pub fn index(&mut self, index: usize, f: impl FnOnce(&mut Self)) {
        self.path.push(Segment::Index(index));
        f(self);
        self.path.pop();
    }

    /// Checks `value` as the field `name`.
    pub fn nested(&mut self, name: &'static str, value: &impl Validate) {
        self.field(name, |c| value.check_into(c));
    }

    /// Records a broken MUST at the current path.
    pub fn error(&mut self, rule: Rule, message: impl Into<String>) {
        self.push(rule, Severity::Error, message.into());
    }

    /// Records a SHOULD not followed at the current path.
    pub fn warning(&mut self, rule: Rule, message: impl Into<String>) {
        self.push(rule, Severity::Warning, message.into());
    }

    /// Records a broken MUST at a path computed elsewhere (from raw JSON).
    pub(crate) fn error_at(&mut self, path: String, rule: Rule, message: String) {
        self.push_at(path, rule, Severity::Error, message);
    }

    fn push(&mut self, rule: Rule, severity: Severity, message: String) {
        let path = self.path();
        self.push_at(path, rule, severity, message);
    }

    fn push_at(&mut self, path: String, rule: Rule, severity: Severity, message: String) {
        self.violations.push(Violation {
            path,
            rule,
            severity,
            message,
        });
    }
}

/// Appends an object member name to a path: `.name` when the name is a
/// plain identifier (letters, digits, `_`, `-`), else `["name"]`, so that a
/// key such as `org.opencontainers.image.created` cannot be misread as nesting.
pub(crate) fn push_name(out: &mut String, name: &str) {
    let plain = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if plain {
        if !out.is_empty() {
            out.push('.');
        }
        out.push_str(name);
    } else {
        out.push_str(&format!("[{name:?}]"));
    }
}

/// Appends an array index to a path.
pub(crate) fn push_index(out: &mut String, index: usize) {
    out.push_str(&format!("[{index}]"));
}

/// The path of the document itself is `.`.
pub(crate) fn finish_path(out: String) -> String {
    if out.is_empty() { ".".to_owned() } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_like_json_paths() {
        let mut c = Checker::new();
        c.error(Rule::Json, "root");
        c.field("manifests", |c| {
            c.index(2, |c| c.field("digest", |c| c.error(Rule::Digest, "bad")))
        });
        c.field("annotations", |c| {
            c.key("a.b", |c| c.warning(Rule::Annotation, "odd"))
        });
        c.field("os.version", |c| {
            c.key("plain_key-1", |c| c.warning(Rule::Platform, "x"))
        });
        let report = c.finish();
        let paths: Vec<_> = report.violations.iter().map(|v| v.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                ".",
                "manifests[2].digest",
                "annotations[\"a.b\"]",
                "[\"os.version\"].plain_key-1"
            ]
        );
        assert!(!report.is_valid());
        assert_eq!(report.warnings().count(), 2);
        let err = report.into_result().unwrap_err();
        assert_eq!(err.to_string(), ".: root\nmanifests[2].digest: bad");
    }

    #[test]
    fn warnings_alone_are_valid() {
        let mut c = Checker::new();
        c.warning(Rule::Layers, "no layers");
        let warnings = c.finish().into_result().unwrap();
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].to_string(), "warning: .: no layers");
    }
}
