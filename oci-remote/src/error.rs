//! The one error type of this crate: each message is a sentence naming the
//! registry, the repository, the operation, and what the registry answered
//! (HTTP status and the error codes of distribution-spec spec.md, "Error
//! Codes").

use std::fmt;
use std::path::PathBuf;

use ocikit_image::Digest;

/// The result type of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What went wrong talking to a registry, or storing what came from it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A reference that breaks the grammar of distribution-spec.
    #[error("invalid registry reference {reference:?}: {reason}")]
    InvalidReference {
        /// The reference as given.
        reference: String,
        /// Which part is wrong.
        reason: String,
    },

    /// The registry answered with an HTTP status that is not success.
    #[error("registry {registry}{}: {operation}: HTTP {status}{}{}", in_repository(repository), codes_text(codes), attempts_text(*attempts))]
    Status {
        /// The registry (host and port).
        registry: String,
        /// The repository, when the request concerned one.
        repository: Option<String>,
        /// What was being done: `fetch manifest latest`, `upload blob sha256:...`.
        operation: String,
        /// The HTTP status code.
        status: u16,
        /// The error codes in the registry's JSON error body, if any.
        codes: Vec<RegistryError>,
        /// How many times the request was sent (more than one when it was
        /// retried).
        attempts: u32,
    },

    /// The request could not be sent or its answer not read: no
    /// connection, a reset, a timeout, a TLS failure.
    #[error("registry {registry}{}: {operation}: {url}: {source}{}", in_repository(repository), attempts_text(*attempts))]
    Transport {
        /// The registry (host and port).
        registry: String,
        /// The repository, when the request concerned one.
        repository: Option<String>,
        /// What was being done.
        operation: String,
        /// The URL requested (a redirect's target when it failed there).
        url: String,
        /// How many times the request was sent.
        attempts: u32,
        /// The cause.
        #[source]
        source: std::io::Error,
    },

    /// The registry's answer breaks the protocol: a missing `Location`, a
    /// malformed header or JSON body, a redirect that is refused.
    #[error(
        "registry {registry}{}: {operation}: {reason}",
        in_repository(repository)
    )]
    Protocol {
        /// The registry (host and port).
        registry: String,
        /// The repository, when the request concerned one.
        repository: Option<String>,
        /// What was being done.
        operation: String,
        /// What was wrong with the answer.
        reason: String,
    },

    /// Content whose digest is not the one asked for or announced.
    #[error(
        "registry {registry}, repository {repository}: {what}: expected digest {expected}, the content received has {found}"
    )]
    DigestMismatch {
        /// The registry (host and port).
        registry: String,
        /// The repository.
        repository: String,
        /// What was received: `manifest latest`, `blob sha256:...`.
        what: String,
        /// The digest expected.
        expected: Digest,
        /// The digest of what arrived.
        found: Digest,
    },

    /// A manifest larger than the limit (checked while reading, whatever
    /// `Content-Length` says).
    #[error(
        "registry {registry}, repository {repository}: manifest {reference} is larger than the limit of {limit} bytes"
    )]
    ManifestTooLarge {
        /// The registry (host and port).
        registry: String,
        /// The repository.
        repository: String,
        /// The tag or digest asked for.
        reference: String,
        /// The limit, in bytes.
        limit: u64,
    },

    /// A manifest of a type this client does not pull (Docker schema 1),
    /// or whose type it cannot tell.
    #[error(
        "registry {registry}, repository {repository}: manifest {reference} has media type {media_type}: {reason}"
    )]
    UnsupportedManifest {
        /// The registry (host and port).
        registry: String,
        /// The repository.
        repository: String,
        /// The tag or digest asked for.
        reference: String,
        /// The media type given.
        media_type: String,
        /// Why it is refused.
        reason: String,
    },

    /// A manifest or index that does not parse or breaks the image-spec.
    #[error("registry {registry}, repository {repository}: {what}: {source}")]
    Document {
        /// The registry (host and port).
        registry: String,
        /// The repository.
        repository: String,
        /// Which document: `manifest latest (sha256:...)`.
        what: String,
        /// The parse or validation error.
        #[source]
        source: Box<ocikit_image::Error>,
    },

    /// No manifest of an index is for the platform asked for.
    #[error("{reference}: no manifest for platform {platform} (the index lists {available})")]
    NoMatchingPlatform {
        /// The reference pulled.
        reference: String,
        /// The platform asked for.
        platform: String,
        /// The platforms listed.
        available: String,
    },

    /// Indexes nested deeper than the limit, or a cycle of them.
    #[error("{reference}: indexes nested deeper than {limit} levels (or a cycle of them)")]
    NestingTooDeep {
        /// The reference pulled.
        reference: String,
        /// The limit.
        limit: usize,
    },

    /// A layer that is to be fetched from its `urls` (non-distributable),
    /// when the caller did not allow it, or from none of them.
    #[error("layer {digest}: {reason}")]
    ForeignLayer {
        /// The layer.
        digest: Digest,
        /// Why it was not fetched.
        reason: String,
    },

    /// The token server a registry's Bearer challenge names (its realm)
    /// could not be asked, refused, or gave no usable token; or the realm
    /// itself is refused (not https).
    #[error("registry {registry}: token server {realm}: {reason}")]
    Token {
        /// The registry (host and port).
        registry: String,
        /// The token server's URL, as the challenge gave it.
        realm: String,
        /// The HTTP status the token server answered, if it answered.
        status: Option<u16>,
        /// What went wrong.
        reason: String,
    },

    /// A credentials file or credential helper that cannot be used.
    #[error("credentials: {origin}: {reason}")]
    Credentials {
        /// The file (`/run/user/1000/containers/auth.json`) or the helper
        /// (`docker-credential-pass`).
        origin: String,
        /// What is wrong, naming the registry when it concerns one.
        reason: String,
    },

    /// A certificate or key in a certificate directory that cannot be
    /// read or used.
    #[error("certificates for registry {registry}: {}: {reason}", path.display())]
    Certificates {
        /// The registry (host and port).
        registry: String,
        /// The file or directory.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },

    /// The referrers fallback tag (`sha256-<hex>`) kept changing under
    /// other writers.
    #[error("registry {registry}, repository {repository}: referrers tag {tag}: {reason}")]
    ReferrersTag {
        /// The registry (host and port).
        registry: String,
        /// The repository.
        repository: String,
        /// The fallback tag.
        tag: String,
        /// What went wrong.
        reason: String,
    },

    /// A reference that needs a digest (delete, referrers) has none, or a
    /// media type that cannot be used.
    #[error("{reference}: {reason}")]
    Usage {
        /// The reference.
        reference: String,
        /// What is missing.
        reason: String,
    },

    /// An error of the image layout (reading what is pushed, storing what
    /// is pulled).
    #[error(transparent)]
    Layout(#[from] ocikit_layout::Error),
}

/// One entry of a registry's JSON error body (`{"errors": [{"code",
/// "message", "detail"}]}`), its text cut to a bounded length and stripped
/// of control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryError {
    /// The code: `MANIFEST_UNKNOWN`, `DENIED`, `TOOMANYREQUESTS`, ...
    pub code: String,
    /// The message, possibly empty.
    pub message: String,
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            f.write_str(&self.code)
        } else {
            write!(f, "{}: {}", self.code, self.message)
        }
    }
}

impl Error {
    /// The HTTP status the registry answered, for [`Error::Status`].
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether the registry gave the error code `code` (such as
    /// `MANIFEST_UNKNOWN`).
    pub fn has_code(&self, code: &str) -> bool {
        matches!(self, Error::Status { codes, .. } if codes.iter().any(|c| c.code == code))
    }
}

fn in_repository(repository: &Option<String>) -> String {
    match repository {
        Some(repository) => format!(", repository {repository}"),
        None => String::new(),
    }
}

fn codes_text(codes: &[RegistryError]) -> String {
    if codes.is_empty() {
        return String::new();
    }
    let shown: Vec<String> = codes.iter().map(RegistryError::to_string).collect();
    format!(" ({})", shown.join("; "))
}

fn attempts_text(attempts: u32) -> String {
    if attempts > 1 {
        format!(" (after {attempts} attempts)")
    } else {
        String::new()
    }
}

/// The largest error body read for its codes.
pub(crate) const ERROR_BODY_LIMIT: u64 = 64 << 10;

/// At most this many codes are kept from one error body, each text cut
/// to [`TEXT_LIMIT`] characters.
const MAX_CODES: usize = 8;
const TEXT_LIMIT: usize = 300;

/// The codes of a JSON error body (spec.md, "Error Codes"); nothing when
/// the body is not of that form.
pub(crate) fn parse_error_body(body: &[u8]) -> Vec<RegistryError> {
    #[derive(serde::Deserialize)]
    struct Body {
        #[serde(default)]
        errors: Vec<Entry>,
    }
    #[derive(serde::Deserialize)]
    struct Entry {
        #[serde(default)]
        code: serde_json::Value,
        #[serde(default)]
        message: serde_json::Value,
    }
    let Ok(body) = serde_json::from_slice::<Body>(body) else {
        return Vec::new();
    };
    body.errors
        .into_iter()
        .take(MAX_CODES)
        .filter_map(|e| {
            let code = e.code.as_str()?;
            Some(RegistryError {
                code: printable(code),
                message: e.message.as_str().map(printable).unwrap_or_default(),
            })
        })
        .collect()
}

/// `text` cut to [`TEXT_LIMIT`] characters, control characters (terminal
/// escapes a hostile registry could send) replaced by `?`.
pub(crate) fn printable(text: &str) -> String {
    let mut out: String = text
        .chars()
        .take(TEXT_LIMIT)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if text.chars().nth(TEXT_LIMIT).is_some() {
        out.push_str("...");
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_give_their_codes_bounded_and_printable() {
        let body = br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"x"}},{"code":"DENIED","message":"no\u001b[31m"}]}"#;
        let codes = parse_error_body(body);
        assert_eq!(codes.len(), 2);
        assert_eq!(codes[0].to_string(), "MANIFEST_UNKNOWN: manifest unknown");
        assert_eq!(codes[1].to_string(), "DENIED: no?[31m");
        assert!(parse_error_body(b"404 page not found").is_empty());
        assert!(parse_error_body(br#"{"errors":[{"code":7}]}"#).is_empty());
        let many = format!(
            r#"{{"errors":[{}]}}"#,
            vec![r#"{"code":"X"}"#; 100].join(",")
        );
        assert_eq!(parse_error_body(many.as_bytes()).len(), MAX_CODES);
        assert_eq!(printable(&"a".repeat(1000)).len(), TEXT_LIMIT + 3);
    }

    #[test]
    fn status_errors_name_everything() {
        let err = Error::Status {
            registry: "127.0.0.1:5000".into(),
            repository: Some("team/app".into()),
            operation: "fetch manifest v1".into(),
            status: 404,
            codes: parse_error_body(
                br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#,
            ),
            attempts: 1,
        };
        assert_eq!(
            err.to_string(),
            "registry 127.0.0.1:5000, repository team/app: fetch manifest v1: HTTP 404 (MANIFEST_UNKNOWN: manifest unknown)"
        );
        assert!(err.has_code("MANIFEST_UNKNOWN"));
        assert_eq!(err.status(), Some(404));
    }
}
