//! Validation reports: what a document breaks, where, and how badly.
//!
//! Parsing accepts what the JSON types allow; [`Validate::check`] then walks a
//! document and reports every rule of the image-spec it breaks, each with the
//! JSON path of the field (`manifests[2].digest`). A MUST that is broken is an
//! [`Severity::Error`]; a SHOULD is a [`Severity::Warning`]. The types are
//! those of `ocikit-spec-core`, with this crate's [`Rule`].

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

pub use ocikit_spec_core::{Severity, Validate};

/// One broken rule at one place in a document.
pub type Violation = ocikit_spec_core::Violation<Rule>;

/// Everything [`Validate::check`] found: errors and warnings.
pub type Report = ocikit_spec_core::Report<Rule>;

/// A document that breaks MUSTs of the image-spec: the payload of
/// [`Error::Invalid`](crate::Error::Invalid).
pub type Invalid = ocikit_spec_core::Invalid<Rule>;

/// Collects violations while walking a document, tracking the JSON path.
pub type Checker = ocikit_spec_core::Checker<Rule>;
