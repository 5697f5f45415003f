//! Layers as blobs: an uncompressed tar stream is compressed straight into
//! a new blob, in one pass that computes both the layer's DiffID (the
//! digest of the uncompressed tar, config.md `rootfs.diff_ids`) and the
//! blob's digest (image-spec layer.md, descriptor.md).

use std::io::{self, Read};

use ocikit_image::{Descriptor, Digest};

use crate::codec::{Codec, Encoder};
use crate::{BlobWriter, Error, Layout, Result};

/// A layer stored by [`Layout::put_layer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLayer {
    /// The descriptor of the (compressed) blob, with the codec's layer
    /// media type; goes into the manifest's `layers`.
    pub descriptor: Descriptor,
    /// The digest of the uncompressed tar stream; goes into the config's
    /// `rootfs.diff_ids`.
    pub diff_id: Digest,
    /// The size of the uncompressed tar stream.
    pub uncompressed_size: u64,
}

impl Layout {
    /// Compresses the tar stream `tar` with `codec` into a new blob.
    ///
    /// ```
    /// use ocikit_layout::codec::Codec;
    /// # let dir = tempfile::tempdir()?;
    /// let layout = ocikit_layout::Layout::init(dir.path().join("l"))?;
    /// let tar = vec![0u8; 1024]; // an empty tar archive: two zero blocks
    /// let layer = layout.put_layer(&tar[..], Codec::gzip())?;
    /// assert_eq!(layer.diff_id, ocikit_image::Digest::sha256(&tar));
    /// assert_eq!(layer.descriptor.media_type, ocikit_image::MediaType::ImageLayerGzip);
    /// assert!(layout.has_blob(&layer.descriptor.digest));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Codec`] for an invalid codec setting or a compression
    /// failure, [`Error::Io`] when reading `tar` or writing the blob fails;
    /// nothing is stored then.
    pub fn put_layer(&self, mut tar: impl Read, codec: Codec) -> Result<StoredLayer> {
        let blobs = self.blobs_path();
        self.put_layer_with(codec, |encoder| {
            io::copy(&mut tar, encoder)
                .map(drop)
                .map_err(|e| Error::Io {
                    action: "compress a layer into",
                    path: blobs,
                    source: e,
                })
        })
    }

    /// Stores the tar stream that `write` writes into the encoder it is
    /// given, compressed with `codec`, as a new blob: for a producer that
    /// writes rather than being read, such as a layer built from a
    /// directory, without a pipe or a temporary file.
    ///
    /// ```
    /// use std::io::Write;
    /// use ocikit_layout::codec::Codec;
    /// # let dir = tempfile::tempdir()?;
    /// let layout = ocikit_layout::Layout::init(dir.path().join("l"))?;
    /// let layer = layout.put_layer_with(Codec::gzip(), |tar| {
    ///     tar.write_all(&[0u8; 1024]).map_err(|e| ocikit_layout::Error::Codec(e.into()))
    /// })?;
    /// assert_eq!(layer.uncompressed_size, 1024);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// What `write` returns, and as [`Layout::put_layer`] (converted into
    /// `E`); nothing is stored then.
    pub fn put_layer_with<E: From<Error>>(
        &self,
        codec: Codec,
        write: impl FnOnce(&mut Encoder<BlobWriter>) -> std::result::Result<(), E>,
    ) -> std::result::Result<StoredLayer, E> {
        let media_type = codec.layer_media_type();
        let writer = self.blob_writer()?;
        let mut encoder = Encoder::new(writer, codec).map_err(Error::from)?;
        write(&mut encoder)?;
        let (writer, stats) = encoder.finish().map_err(Error::from)?;
        let blob = writer.commit()?;
        Ok(StoredLayer {
            descriptor: blob.descriptor(media_type),
            diff_id: stats.diff_id,
            uncompressed_size: stats.uncompressed_size,
        })
    }
}
