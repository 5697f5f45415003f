//! The one error type of `ocikit-sign`: each failure names the key file,
//! image, digest or tag it concerns, and keeps its cause.

use std::path::PathBuf;

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong signing or verifying.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file-system operation on a key file failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done (`read`, `create`, ...).
        action: &'static str,
        /// The file involved.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// Text that should hold a key does not hold one this crate reads.
    #[error("{what}: {reason}")]
    Key {
        /// The key: its file, or `the public key` when it came from memory.
        what: String,
        /// What is wrong with it.
        reason: String,
    },

    /// An encrypted private key did not open with the password given: the
    /// password is wrong (or the file was changed; the two cannot be told
    /// apart, the encryption is authenticated).
    #[error("{what}: the password does not decrypt this private key (or the file was altered)")]
    WrongPassword {
        /// The key: its file, or `the private key`.
        what: String,
    },

    /// The password of an encrypted private key could not be read.
    #[error("reading the password of {what}: {source}")]
    Password {
        /// The key the password is for.
        what: String,
        /// Why it could not be read.
        #[source]
        source: std::io::Error,
    },

    /// The operating system's random number generator failed.
    #[error("the system's random number generator failed: {reason}")]
    Random {
        /// Its error.
        reason: String,
    },

    /// An attestation's predicate is not what an in-toto statement holds.
    #[error("the predicate {what}: {reason}")]
    Predicate {
        /// Where it came from (a file, or `given`).
        what: String,
        /// What is wrong.
        reason: String,
    },

    /// Something already stored where a signature goes cannot be extended:
    /// the tag `sha256-<hex>.sig` names something that is not a cosign
    /// signature manifest, or one with too many layers.
    #[error("the signature tag {tag}: {reason}")]
    SignatureTag {
        /// The tag.
        tag: String,
        /// What is wrong with what it names.
        reason: String,
    },

    /// No signature of an image passed verification.
    #[error("{image} ({digest}) has no valid signature: {reasons}")]
    Unverified {
        /// The image as the caller named it.
        image: String,
        /// Its manifest digest.
        digest: ocikit_image::Digest,
        /// Each signature found and why it was refused, `; `-separated,
        /// or `no signature found`.
        reasons: String,
    },

    /// The image layout failed.
    #[error(transparent)]
    Layout(#[from] ocikit_layout::Error),

    /// The registry failed.
    #[cfg(feature = "remote")]
    #[error(transparent)]
    Remote(Box<ocikit_remote::Error>),
}

#[cfg(feature = "remote")]
impl From<ocikit_remote::Error> for Error {
    fn from(err: ocikit_remote::Error) -> Error {
        Error::Remote(Box::new(err))
    }
}

impl Error {
    /// A closure that turns an I/O error into [`Error::Io`] for `path`.
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io {
            action,
            path,
            source,
        }
    }

    /// [`Error::Key`] for the key `what`.
    pub(crate) fn key(what: &str, reason: impl Into<String>) -> Error {
        Error::Key {
            what: what.to_owned(),
            reason: reason.into(),
        }
    }
}
