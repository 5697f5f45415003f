//! Typed JSON documents as blobs: manifests, indexes and configs are stored
//! as the exact canonical bytes they were serialised to, and parsed back
//! from verified bytes that are kept beside the value.

use ocikit_image::{
    Descriptor, Document, ImageConfiguration, ImageIndex, ImageManifest, MediaType, Model,
};

use crate::{Error, Layout, Result};

/// The largest JSON document read into memory from a blob. Registries
/// commonly refuse manifests over 4 MiB; configs with long histories can be
/// larger, so this leaves room.
pub const MAX_DOCUMENT_SIZE: u64 = 16 << 20;

impl Layout {
    /// Serialises `value` canonically, stores the bytes as a blob once, and
    /// returns the descriptor (with `T`'s media type).
    ///
    /// ```
    /// use ocikit_image::{ImageConfiguration, Json};
    /// # let dir = tempfile::tempdir()?;
    /// let layout = ocikit_layout::Layout::init(dir.path().join("l"))?;
    /// let config = ImageConfiguration::for_platform(&"linux/amd64".parse()?);
    /// let descriptor = layout.put_json(&config)?;
    /// let back = layout.read_config(&descriptor)?;
    /// assert_eq!(*back, config);
    /// assert_eq!(back.bytes().as_ref(), config.to_canonical_json());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the blob cannot be written.
    pub fn put_json<T: Model>(&self, value: &T) -> Result<Descriptor> {
        self.put_bytes(T::MEDIA_TYPE, &value.to_canonical_json())
    }

    /// Stores a document's own bytes (not a re-serialisation) and returns
    /// its descriptor, with `T`'s OCI media type (set another, such as a
    /// Docker one, on the result when the document is of that type).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the blob cannot be written.
    pub fn put_document<T: Model>(&self, document: &Document<T>) -> Result<Descriptor> {
        self.put_bytes(T::MEDIA_TYPE, document.bytes())
    }

    /// Reads and parses the image manifest (OCI, or Docker schema 2) that
    /// `descriptor` references, from bytes verified against it.
    ///
    /// # Errors
    ///
    /// [`Error::UnexpectedMediaType`] when the descriptor is not of a
    /// manifest; blob errors as for [`Layout::read_blob`];
    /// [`Error::Document`] when the bytes do not parse.
    pub fn read_manifest(&self, descriptor: &Descriptor) -> Result<Document<ImageManifest>> {
        self.read_document(descriptor, MediaType::is_manifest)
    }

    /// Reads and parses the image index (or Docker manifest list) that
    /// `descriptor` references.
    ///
    /// # Errors
    ///
    /// As for [`Layout::read_manifest`].
    pub fn read_index(&self, descriptor: &Descriptor) -> Result<Document<ImageIndex>> {
        self.read_document(descriptor, MediaType::is_index)
    }

    /// Reads and parses the image configuration (OCI, or Docker's) that
    /// `descriptor` references.
    ///
    /// # Errors
    ///
    /// As for [`Layout::read_manifest`].
    pub fn read_config(&self, descriptor: &Descriptor) -> Result<Document<ImageConfiguration>> {
        self.read_document(descriptor, MediaType::is_config)
    }

    fn read_document<T: Model>(
        &self,
        descriptor: &Descriptor,
        accepts: fn(&MediaType) -> bool,
    ) -> Result<Document<T>> {
        if !accepts(&descriptor.media_type) {
            return Err(Error::UnexpectedMediaType {
                digest: descriptor.digest.clone(),
                expected: T::KIND,
                found: descriptor.media_type.clone(),
            });
        }
        let bytes = self.read_blob_as(descriptor, MAX_DOCUMENT_SIZE, T::KIND)?;
        Document::from_bytes(bytes).map_err(|source| Error::Document {
            what: format!("blob {}", descriptor.digest),
            source,
        })
    }
}
