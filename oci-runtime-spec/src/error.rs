//! The crate's one error type.
//!
//! Parse errors name the JSON path of the failing member, so a reader finds
//! the offending field without counting lines.

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The document is not valid JSON, or a member has the wrong JSON type,
    /// a REQUIRED member is missing, or a closed enum has an unknown value.
    #[error("{document}: {path}: {message} (line {line}, column {column})")]
    Json {
        /// Which document was parsed (`config.json`, `state`, `features`).
        document: &'static str,
        /// The JSON path of the failing member, like
        /// `linux.resources.rdma["mlx5_1"].hcaHandles`; `(root)` when the
        /// document itself is at fault (not JSON, not an object).
        path: String,
        /// What was wrong, as serde reports it (`invalid type: string
        /// "x", expected u32`).
        message: String,
        /// The line of the input where parsing stopped (1-based).
        line: usize,
        /// The column of the input where parsing stopped (1-based).
        column: usize,
    },
    /// A string is not one of the values of a closed set (`FromStr`).
    #[error("unknown {kind} {value:?}, expected one of {known:?}")]
    UnknownValue {
        /// The kind of value (`FreeBSD sharing mode`).
        kind: &'static str,
        /// The value found.
        value: String,
        /// The values allowed.
        known: &'static [&'static str],
    },
    /// The document parsed but breaks MUSTs of the spec: every error, each
    /// with the JSON path of its field, one per line.
    #[error("{document} is invalid:\n{}", crate::validate::lines(errors))]
    Invalid {
        /// Which document was checked (`config.json`, `state`, `features`).
        document: &'static str,
        /// The broken rules (errors only, never empty), in document order.
        errors: Vec<crate::Violation>,
    },
}

impl Error {
    /// The JSON path of the failing member: for a parse error, and for an
    /// invalid document the path of its first error.
    pub fn path(&self) -> Option<&str> {
        match self {
            Error::Json { path, .. } => Some(path),
            Error::Invalid { errors, .. } => errors.first().map(|v| v.path.as_str()),
            Error::UnknownValue { .. } => None,
        }
    }
}
