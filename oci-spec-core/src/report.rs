//! Validation reports: what a document breaks, where, and how badly.
//!
//! Parsing accepts what the JSON types allow; a [`Checker`] then walks a
//! document and records every rule of the spec it breaks, each with the
//! [`JsonPath`] of the field. A broken MUST is a [`Severity::Error`]; a
//! SHOULD not followed (or a value of an open set that the crate does not
//! know) is a [`Severity::Warning`]. `R` is each spec crate's own `Rule`
//! enum, which callers match on.

use std::borrow::Cow;
use std::fmt;

use crate::path::JsonPath;

/// How serious a [`Violation`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// A SHOULD of the spec is not followed, or a value of an open set is
    /// unknown; the document is still valid.
    Warning,
    /// A MUST of the spec is broken; the document is invalid.
    Error,
}

/// One broken rule at one place in a document. `Display` writes
/// `path: message`, with `warning: ` in front for a warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation<R> {
    /// Where: the [`JsonPath`] of the field, such as `manifests[2].digest`
    /// or `annotations["com.example.key"]`; `.` is the document itself.
    pub path: String,
    /// The rule that is broken.
    pub rule: R,
    /// Whether a MUST or a SHOULD is broken.
    pub severity: Severity,
    /// What was expected and what was found.
    pub message: String,
}

impl<R> fmt::Display for Violation<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.severity == Severity::Warning {
            f.write_str("warning: ")?;
        }
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// Everything a check found: errors and warnings, in document order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report<R> {
    /// Every violation, errors and warnings, in document order.
    pub violations: Vec<Violation<R>>,
}

impl<R> Default for Report<R> {
    fn default() -> Self {
        Report {
            violations: Vec::new(),
        }
    }
}

impl<R> Report<R> {
    /// `true` when no MUST is broken (warnings allowed).
    pub fn is_valid(&self) -> bool {
        self.errors().next().is_none()
    }

    /// The broken MUSTs.
    pub fn errors(&self) -> impl Iterator<Item = &Violation<R>> {
        self.violations
            .iter()
            .filter(|v| v.severity == Severity::Error)
    }

    /// The SHOULDs not followed (and unknown values of open sets).
    pub fn warnings(&self) -> impl Iterator<Item = &Violation<R>> {
        self.violations
            .iter()
            .filter(|v| v.severity == Severity::Warning)
    }

    /// `Ok` with the warnings when the document is valid, else [`Invalid`]
    /// with the errors; `document` names the document in the error
    /// (`image manifest`, `config.json`).
    ///
    /// # Errors
    ///
    /// [`Invalid`] when the report has at least one error.
    pub fn into_result(self, document: &'static str) -> Result<Vec<Violation<R>>, Invalid<R>> {
        let (errors, warnings): (Vec<_>, Vec<_>) = self
            .violations
            .into_iter()
            .partition(|v| v.severity == Severity::Error);
        if errors.is_empty() {
            Ok(warnings)
        } else {
            Err(Invalid { document, errors })
        }
    }
}

/// A document that breaks MUSTs of its spec: the errors, never none, each
/// naming its field.
///
/// `Display` writes `document is invalid: path: message` for one error,
/// and one error per line below `document is invalid:` for several.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid<R> {
    document: &'static str,
    errors: Vec<Violation<R>>,
}

impl<R> Invalid<R> {
    /// A document that breaks one MUST, `rule`, at `path`.
    pub fn single(
        document: &'static str,
        path: impl Into<String>,
        rule: R,
        message: impl Into<String>,
    ) -> Self {
        Invalid {
            document,
            errors: vec![Violation {
                path: path.into(),
                rule,
                severity: Severity::Error,
                message: message.into(),
            }],
        }
    }

    /// The kind of document (`image manifest`, `config.json`, ...).
    pub fn document(&self) -> &'static str {
        self.document
    }

    /// The broken MUSTs, in document order: at least one.
    pub fn errors(&self) -> &[Violation<R>] {
        &self.errors
    }

    /// The path of the first error.
    pub fn path(&self) -> &str {
        self.errors.first().map_or(crate::path::ROOT, |v| &v.path)
    }

    /// The broken MUSTs, by value.
    pub fn into_errors(self) -> Vec<Violation<R>> {
        self.errors
    }
}

impl<R> fmt::Display for Invalid<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} is invalid:", self.document)?;
        let separator = if self.errors.len() == 1 { " " } else { "\n" };
        for error in &self.errors {
            write!(f, "{separator}{error}")?;
        }
        Ok(())
    }
}

impl<R: fmt::Debug> std::error::Error for Invalid<R> {}

/// Collects violations while walking a document, tracking the JSON path:
/// [`Checker::field`], [`Checker::key`] and [`Checker::index`] run a
/// closure one step down, [`Checker::error`] and [`Checker::warning`]
/// record a violation where the walk is.
///
/// ```
/// use ocikit_spec_core::{Checker, Severity};
/// let mut c = Checker::new();
/// c.field("annotations", |c| c.key("a.b", |c| c.warning("Annotation", "odd")));
/// c.field("layers", |c| c.index(2, |c| c.field("size", |c| c.error("Size", "negative"))));
/// let report = c.finish();
/// let lines: Vec<String> = report.violations.iter().map(ToString::to_string).collect();
/// assert_eq!(lines, [r#"warning: annotations["a.b"]: odd"#, "layers[2].size: negative"]);
/// assert_eq!(report.errors().next().map(|v| v.rule), Some("Size"));
/// ```
#[derive(Debug)]
pub struct Checker<R> {
    path: Vec<Step>,
    violations: Vec<Violation<R>>,
}

#[derive(Debug, Clone)]
enum Step {
    Field(Cow<'static, str>),
    Key(String),
    Index(usize),
}

impl<R> Default for Checker<R> {
    fn default() -> Self {
        Checker {
            path: Vec::new(),
            violations: Vec::new(),
        }
    }
}

impl<R> Checker<R> {
    /// A checker at the root of a document.
    pub fn new() -> Self {
        Self::default()
    }

    /// The report of what was found.
    pub fn finish(self) -> Report<R> {
        Report {
            violations: self.violations,
        }
    }

    /// The current path, as shown in violations.
    pub fn path(&self) -> String {
        let mut path = JsonPath::new();
        for step in &self.path {
            match step {
                Step::Field(name) => path.member(name),
                Step::Key(key) => path.key(key),
                Step::Index(i) => path.index(*i),
            }
        }
        path.into()
    }

    /// Runs `f` with the object member `name` appended to the path: a
    /// name of the spec (`&'static str`, no allocation), or a member found
    /// in the document (`String`).
    pub fn field(&mut self, name: impl Into<Cow<'static, str>>, f: impl FnOnce(&mut Self)) {
        self.path.push(Step::Field(name.into()));
        f(self);
        self.path.pop();
    }

    /// Runs `f` with the map key `key` appended to the path.
    pub fn key(&mut self, key: &str, f: impl FnOnce(&mut Self)) {
        self.path.push(Step::Key(key.to_owned()));
        f(self);
        self.path.pop();
    }

    /// Runs `f` with the array index `index` appended to the path.
    pub fn index(&mut self, index: usize, f: impl FnOnce(&mut Self)) {
        self.path.push(Step::Index(index));
        f(self);
        self.path.pop();
    }

    /// Checks `value` as the member `name`.
    pub fn nested<T: crate::Validate<Rule = R> + ?Sized>(&mut self, name: &'static str, value: &T) {
        self.field(name, |c| value.check_into(c));
    }

    /// Records a broken MUST at the current path.
    pub fn error(&mut self, rule: R, message: impl Into<String>) {
        self.push(rule, Severity::Error, message.into());
    }

    /// Records a SHOULD not followed at the current path.
    pub fn warning(&mut self, rule: R, message: impl Into<String>) {
        self.push(rule, Severity::Warning, message.into());
    }

    /// Records a broken MUST at `path`, found by other means than the walk
    /// (such as a scan of the raw JSON).
    pub fn error_at(&mut self, path: impl Into<String>, rule: R, message: impl Into<String>) {
        self.violations.push(Violation {
            path: path.into(),
            rule,
            severity: Severity::Error,
            message: message.into(),
        });
    }

    fn push(&mut self, rule: R, severity: Severity, message: String) {
        let path = self.path();
        self.violations.push(Violation {
            path,
            rule,
            severity,
            message,
        });
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_walk() {
        let mut c = Checker::new();
        c.error("Json", "root");
        c.field("manifests", |c| {
            c.index(2, |c| c.field("digest", |c| c.error("Digest", "bad")))
        });
        c.field("annotations", |c| {
            c.key("plain", |c| c.warning("Annotation", "odd"))
        });
        c.field("os.version", |c| {
            c.key("a.b", |c| c.warning("Platform", "x"))
        });
        c.error_at("elsewhere[1]", "Json", "raw");
        let report = c.finish();
        let paths: Vec<_> = report.violations.iter().map(|v| v.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                ".",
                "manifests[2].digest",
                "annotations[\"plain\"]",
                "[\"os.version\"][\"a.b\"]",
                "elsewhere[1]"
            ]
        );
        assert!(!report.is_valid());
        assert_eq!(report.warnings().count(), 2);
        let rules: Vec<_> = report.errors().map(|v| v.rule).collect();
        assert_eq!(rules, ["Json", "Digest", "Json"]);
    }

    #[test]
    fn an_invalid_document_names_itself_and_every_error() {
        let mut c = Checker::new();
        c.warning("Layers", "no layers");
        c.field("size", |c| {
            c.error("Size", "must not be negative, found -1")
        });
        let err = c.finish().into_result("descriptor").unwrap_err();
        assert_eq!(
            err.to_string(),
            "descriptor is invalid: size: must not be negative, found -1"
        );
        assert_eq!(err.path(), "size");
        assert_eq!(err.errors().len(), 1);
        let mut c = Checker::new();
        c.error("Json", "one");
        c.field("b", |c| c.error("Json", "two"));
        let err = c.finish().into_result("config.json").unwrap_err();
        assert_eq!(err.to_string(), "config.json is invalid:\n.: one\nb: two");
        assert_eq!(err.document(), "config.json");
    }

    #[test]
    fn warnings_alone_are_valid() {
        let mut c = Checker::new();
        c.warning("Layers", "no layers");
        let report = c.finish();
        assert!(report.is_valid());
        let warnings = report.into_result("image manifest").unwrap();
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].to_string(), "warning: .: no layers");
        assert!(Report::<()>::default().into_result("x").unwrap().is_empty());
    }
}
