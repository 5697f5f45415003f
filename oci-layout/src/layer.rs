//! Layers as blobs: an uncompressed tar stream is compressed straight into
//! a new blob, in one pass that computes both the layer's DiffID (the
//! digest of the uncompressed tar, config.md `rootfs.diff_ids`) and the
//! blob's digest (image-spec layer.md, descriptor.md).

use std::io::{self, Read};

use oci_image::{Descriptor, Digest};

use crate::codec::{Codec, Encoder};
use crate::{Error, Layout, Result};

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
    /// use oci_layout::codec::Codec;
    /// # let dir = tempfile::tempdir()?;
    /// let layout = oci_layout::Layout::init(dir.path().join("l"))?;
    /// let tar = vec![0u8; 1024]; // an empty tar archive: two zero blocks
    /// let layer = layout.put_layer(&tar[..], Codec::gzip())?;
    /// assert_eq!(layer.diff_id, oci_image::Digest::sha256(&tar));
    /// assert_eq!(layer.descriptor.media_type, oci_image::MediaType::ImageLayerGzip);
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
        let media_type = codec.layer_media_type();
        let writer = self.blob_writer()?;
        let mut encoder = Encoder::new(writer, codec)?;
        io::copy(&mut tar, &mut encoder).map_err(|e| Error::Io {
            action: "compress a layer into",
            path: self.blobs_path(),
            source: e,
        })?;
        let (writer, stats) = encoder.finish()?;
        let blob = writer.commit()?;
        Ok(StoredLayer {
            descriptor: blob.descriptor(media_type),
            diff_id: stats.diff_id,
            uncompressed_size: stats.uncompressed_size,
        })
    }
}
