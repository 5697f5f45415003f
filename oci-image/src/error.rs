//! The one error type of `ocikit-image`: every failure names what it concerns
//! (a digest, a field path, a byte count) and what was expected.

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A string is not a digest: it breaks the descriptor.md grammar, or the
    /// encoding rules of a registered algorithm.
    #[error("invalid digest {input:?}: {reason}")]
    InvalidDigest {
        /// The string that was given (cut to 200 characters).
        input: String,
        /// What is wrong with it.
        reason: crate::digest::DigestError,
    },

    /// A digest uses an algorithm this build cannot compute, so content
    /// cannot be verified against it.
    #[error(
        "digest algorithm {algorithm:?} is not supported for verification (supported: {supported})"
    )]
    UnsupportedAlgorithm {
        /// The algorithm identifier, as in the digest.
        algorithm: String,
        /// The algorithms this build can compute, comma-separated.
        supported: &'static str,
    },

    /// Content is longer or shorter than its descriptor says.
    #[error("blob {digest}: expected {expected} bytes, read {read} ({})", if read > expected { "the blob is longer than its descriptor" } else { "the blob is shorter than its descriptor" })]
    SizeMismatch {
        /// The digest of the content being read.
        digest: crate::Digest,
        /// The size from the descriptor.
        expected: u64,
        /// How many bytes were read before the mismatch showed.
        read: u64,
    },

    /// Content does not hash to the digest its descriptor gives.
    #[error("blob {expected}: content hashes to {found}")]
    DigestMismatch {
        /// The digest from the descriptor.
        expected: crate::Digest,
        /// The digest of the bytes actually read.
        found: crate::Digest,
    },

    /// A platform string such as `linux/arm64/v8` could not be parsed.
    #[error("invalid platform {input:?}: {reason}")]
    InvalidPlatform {
        /// The string that was given.
        input: String,
        /// What is wrong with it.
        reason: String,
    },

    /// A JSON document could not be parsed into its model; the error
    /// names the document and the path of the failing member.
    #[error(transparent)]
    Json(#[from] ocikit_spec_core::ParseError),

    /// A document parsed but breaks MUSTs of the spec; the error names the
    /// document and each broken rule with its field.
    #[error(transparent)]
    Invalid(#[from] crate::validate::Invalid),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl From<Error> for std::io::Error {
    fn from(err: Error) -> Self {
        std::io::Error::new(std::io::ErrorKind::InvalidData, err)
    }
}
