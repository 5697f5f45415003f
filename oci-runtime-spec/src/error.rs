//! The crate's one error type.
//!
//! Parse errors name the JSON path of the failing member, so a reader finds
//! the offending field without counting lines.

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The document is not valid JSON, or a member has the wrong JSON type,
    /// a REQUIRED member is missing, or a closed enum has an unknown value;
    /// the error names the document, the JSON path of the failing member
    /// (`linux.resources.rdma["mlx5_1"].hcaHandles`, `.` for the document
    /// itself) and the position.
    #[error(transparent)]
    Json(#[from] ocikit_spec_core::ParseError),
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
    /// The document parsed but breaks MUSTs of the spec: the error names
    /// the document and every broken rule with the JSON path of its field.
    #[error(transparent)]
    Invalid(#[from] crate::Invalid),
}

impl Error {
    /// The JSON path of the failing member: for a parse error, and for an
    /// invalid document the path of its first error.
    pub fn path(&self) -> Option<&str> {
        match self {
            Error::Json(err) => Some(&err.path),
            Error::Invalid(invalid) => Some(invalid.path()),
            Error::UnknownValue { .. } => None,
        }
    }
}
