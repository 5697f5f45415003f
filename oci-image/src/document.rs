//! JSON documents and their bytes. A digest is always computed over the
//! exact bytes stored or received, never over a re-serialisation, so a parsed
//! document that will be addressed by digest keeps its bytes beside it.

use std::ops::Deref;

use bytes::Bytes;
use ocikit_spec_core::Json;

use crate::validate::{Checker, Invalid, Report, Rule, Validate, Violation};
use crate::{Descriptor, Digest, MediaType, Result};

/// A JSON document type of the image-spec (descriptor, manifest, index,
/// config or the `oci-layout` file): [`Json`] in and out, [`Validate`], and
/// the media type that names the type in descriptors.
pub trait Model: Json + Validate<Rule = Rule> {
    /// The media type of this document type.
    const MEDIA_TYPE: MediaType;
}

/// How [`Json::to_pretty_json`] indents the image-spec's documents: four
/// spaces, as `skopeo inspect` prints them (skopeo 1.9.3, Go's
/// `json.MarshalIndent(v, "", "    ")`).
pub(crate) const PRETTY_INDENT: &str = "    ";

/// A parsed document together with the exact bytes it was parsed from (or
/// serialised to), so that its digest and descriptor are those of the bytes.
///
/// ```
/// use ocikit_image::{Document, ImageIndex, MediaType};
/// let bytes = br#"{ "schemaVersion": 2, "manifests": [] }"#;
/// let doc = Document::<ImageIndex>::from_bytes(&bytes[..]).unwrap();
/// assert_eq!(doc.bytes().as_ref(), &bytes[..]);              // the bytes, not a re-serialisation
/// assert_eq!(doc.descriptor().size, bytes.len() as i64);
/// assert_eq!(doc.descriptor().media_type, MediaType::ImageIndex);
/// assert!(doc.manifests.is_empty());                          // Deref to the model
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document<T> {
    value: T,
    bytes: Bytes,
}

impl<T: Model> Document<T> {
    /// Parses `bytes`, keeping them.
    ///
    /// # Errors
    ///
    /// [`Error::Json`](crate::Error::Json) naming the failing member.
    pub fn from_bytes(bytes: impl Into<Bytes>) -> Result<Self> {
        let bytes = bytes.into();
        let value = T::from_json(&bytes)?;
        Ok(Document { value, bytes })
    }

    /// Serialises `value` canonically and keeps the bytes.
    pub fn new(value: T) -> Self {
        let bytes = Bytes::from(value.to_canonical_json());
        Document { value, bytes }
    }

    /// The parsed value.
    pub fn value(&self) -> &T {
        &self.value
    }

    /// The exact bytes of the document.
    pub fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// The value and the bytes.
    pub fn into_parts(self) -> (T, Bytes) {
        (self.value, self.bytes)
    }

    /// The sha256 digest of the bytes.
    pub fn digest(&self) -> Digest {
        Digest::sha256(&self.bytes)
    }

    /// A descriptor of the bytes, with the document type's media type.
    pub fn descriptor(&self) -> Descriptor {
        Descriptor::for_bytes(T::MEDIA_TYPE, &self.bytes)
    }

    /// The rules of the spec that the document breaks: those of the value
    /// ([`Validate::check`]), and names that appear twice in one JSON
    /// object of the bytes (I-JSON, considerations.md), which the value
    /// cannot show. An inherent method, so that it is the one called on a
    /// document rather than the value's through `Deref`.
    pub fn check(&self) -> Report {
        let mut c = Checker::new();
        for dup in crate::json::duplicate_names(&self.bytes, T::MAP_MEMBERS) {
            let message = format!(
                "the name {:?} appears more than once in the object (I-JSON forbids duplicate names)",
                dup.name
            );
            c.error_at(dup.path, Rule::Json, message);
        }
        self.value.check_into(&mut c);
        c.finish()
    }

    /// `Ok` with the warnings when [`Document::check`] finds no error.
    ///
    /// # Errors
    ///
    /// [`Invalid`] naming the document type and each broken rule.
    pub fn validate(&self) -> Result<Vec<Violation>, Invalid> {
        self.check().into_result(T::KIND)
    }
}

impl<T> Deref for Document<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> AsRef<[u8]> for Document<T> {
    fn as_ref(&self) -> &[u8] {
        &self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ImageManifest;

    #[test]
    fn duplicate_names_make_a_document_invalid() {
        let text = br#"{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":2,"size":3,"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},"layers":[]}"#;
        // serde rejects a duplicate struct field at parse time already ...
        assert!(Document::<ImageManifest>::from_bytes(&text[..]).is_err());
        // ... but not a duplicate map key, which the raw check catches.
        let text = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":2,"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","size":2,"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"}],"annotations":{"a":"1","a":"2"}}"#;
        let doc = Document::<ImageManifest>::from_bytes(&text[..]).unwrap();
        assert!(doc.value().validate().is_ok());
        let err = doc.validate().unwrap_err().to_string();
        assert_eq!(
            err,
            "image manifest is invalid: annotations: the name \"a\" appears more than once in the object (I-JSON forbids duplicate names)"
        );
    }

    #[test]
    fn new_documents_hold_canonical_bytes() {
        let doc = Document::new(ImageManifest::default());
        assert_eq!(doc.bytes().as_ref(), &doc.to_canonical_json()[..]);
        assert_eq!(doc.digest(), Digest::sha256(doc.bytes()));
    }
}
