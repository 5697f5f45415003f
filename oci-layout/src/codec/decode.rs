//! Decompressing reader: layer blob in, tar stream out, for the compression
//! its media type names (image-spec layer.md, media-types.md).

use std::fmt;
use std::io::{self, BufReader, Read};

use flate2::read::MultiGzDecoder;
use ocikit_image::{Algorithm, Digest, MediaType};

use super::hash::{Counting, HashingReader};
use super::{CodecError, Compression, LayerStats, check_diff_id, compression_name, compression_of};

/// A [`Read`] adapter that yields the uncompressed tar stream of a layer
/// blob read from an inner reader (typically a verified blob reader).
///
/// - gzip: every member of the stream, one after the other: concatenated
///   members are one valid gzip file (RFC 1952, 2.2), as `gzip -dc` and
///   Go's `compress/gzip` read it.
/// - zstd: every frame of the stream, one after the other (RFC 8478, 2),
///   skippable frames skipped.
/// - none: the inner reader's bytes as they are.
///
/// The inner reader is read to its end: a stream that ends early, is
/// corrupt, or is followed by anything but another member or frame is an
/// error (kind [`InvalidData`](io::ErrorKind::InvalidData) or
/// [`UnexpectedEof`](io::ErrorKind::UnexpectedEof)), never a short read.
/// An empty blob is an error too, since it holds no gzip member or zstd
/// frame.
///
/// ```
/// use ocikit_layout::codec::Decoder;
/// use ocikit_image::MediaType;
/// use std::io::Read;
///
/// let err = Decoder::for_media_type(&b""[..], &"application/vnd.oci.image.layer.v1.tar+foo".into())
///     .unwrap_err();
/// assert!(err.to_string().contains("application/vnd.oci.image.layer.v1.tar+foo"));
///
/// let mut tar = Vec::new();
/// Decoder::for_media_type(&b"plain tar"[..], &MediaType::ImageLayer)?.read_to_end(&mut tar)?;
/// assert_eq!(tar, b"plain tar");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Decoder<R: Read> {
    kind: Kind<R>,
}

enum Kind<R: Read> {
    None(Counting<R>),
    // Boxed: the gzip state is hundreds of bytes, the others a few words.
    Gzip(Box<MultiGzDecoder<Counting<R>>>),
    Zstd(zstd::stream::read::Decoder<'static, BufReader<Counting<R>>>),
}

impl<R: Read> Decoder<R> {
    /// Decompresses `inner` as `compression`.
    ///
    /// # Errors
    ///
    /// [`CodecError::Io`] when zstd cannot allocate its context.
    pub fn new(inner: R, compression: Compression) -> Result<Self, CodecError> {
        let inner = Counting::new(inner);
        let kind = match compression {
            Compression::None => Kind::None(inner),
            Compression::Gzip => Kind::Gzip(Box::new(MultiGzDecoder::new(inner))),
            Compression::Zstd => Kind::Zstd(zstd::stream::read::Decoder::new(inner)?),
        };
        Ok(Decoder { kind })
    }

    /// Decompresses `inner` as the layer media type `media_type` says; see
    /// [`compression_of`].
    ///
    /// # Errors
    ///
    /// [`CodecError::UnsupportedCompression`] or [`CodecError::NotALayer`],
    /// naming the media type; [`CodecError::Io`] as for [`Decoder::new`].
    pub fn for_media_type(inner: R, media_type: &MediaType) -> Result<Self, CodecError> {
        Self::new(inner, compression_of(media_type)?)
    }

    /// The compression being read.
    pub fn compression(&self) -> Compression {
        match self.kind {
            Kind::None(_) => Compression::None,
            Kind::Gzip(_) => Compression::Gzip,
            Kind::Zstd(_) => Compression::Zstd,
        }
    }

    /// How many compressed bytes have been taken from the inner reader so
    /// far (including any the decompressor has buffered).
    pub fn compressed_bytes(&self) -> u64 {
        self.counting().bytes
    }

    /// The inner reader. Reading from it directly corrupts the stream.
    pub fn get_ref(&self) -> &R {
        &self.counting().inner
    }

    /// Unwraps the inner reader; compressed bytes the decompressor had
    /// buffered are lost.
    pub fn into_inner(self) -> R {
        match self.kind {
            Kind::None(inner) => inner.inner,
            Kind::Gzip(decoder) => decoder.into_inner().inner,
            Kind::Zstd(decoder) => decoder.finish().into_inner().inner,
        }
    }

    fn counting(&self) -> &Counting<R> {
        match &self.kind {
            Kind::None(inner) => inner,
            Kind::Gzip(decoder) => decoder.get_ref(),
            Kind::Zstd(decoder) => decoder.get_ref().get_ref(),
        }
    }
}

impl<R: Read> Read for Decoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = match &mut self.kind {
            Kind::None(inner) => return inner.read(buf),
            Kind::Gzip(decoder) => decoder.read(buf)?,
            Kind::Zstd(decoder) => decoder.read(buf)?,
        };
        if n == 0 && !buf.is_empty() && self.compressed_bytes() == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "the {} stream is empty: a compressed layer holds at least one {}",
                    compression_name(self.compression()),
                    match self.compression() {
                        Compression::Zstd => "frame",
                        _ => "member",
                    }
                ),
            ));
        }
        Ok(n)
    }
}

impl<R: Read> fmt::Debug for Decoder<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decoder")
            .field("compression", &self.compression())
            .field("compressed_bytes", &self.compressed_bytes())
            .finish_non_exhaustive()
    }
}

/// Decompresses a layer blob and computes its diff_id with `algorithm`,
/// streaming: memory stays flat whatever the layer's size.
///
/// # Errors
///
/// As [`Decoder::for_media_type`]; [`CodecError::Digest`] when this build
/// cannot compute `algorithm`; [`CodecError::Io`] for a truncated or
/// corrupt stream or a read error of `blob`.
pub fn diff_id<R: Read>(
    blob: R,
    media_type: &MediaType,
    algorithm: &Algorithm,
) -> Result<LayerStats, CodecError> {
    let decoder = Decoder::for_media_type(blob, media_type)?;
    let (decoder, diff_id, uncompressed_size) =
        HashingReader::new(decoder, algorithm)?.finish_to_end()?;
    Ok(LayerStats {
        compression: decoder.compression(),
        diff_id,
        uncompressed_size,
        compressed_size: decoder.compressed_bytes(),
    })
}

/// Decompresses a layer blob and checks that its diff_id is `expected`
/// (the image config's `rootfs.diff_ids[n]` for layer `n`), computing it
/// with `expected`'s algorithm.
///
/// # Errors
///
/// [`CodecError::DiffIdMismatch`] naming both digests when they differ;
/// otherwise as [`diff_id`].
pub fn verify_diff_id<R: Read>(
    blob: R,
    media_type: &MediaType,
    expected: &Digest,
) -> Result<LayerStats, CodecError> {
    let stats = diff_id(blob, media_type, &expected.algorithm())?;
    check_diff_id(expected, &stats.diff_id)?;
    Ok(stats)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn empty_compressed_streams_are_errors_and_empty_tar_is_not() {
        for compression in [Compression::Gzip, Compression::Zstd] {
            let mut decoder = Decoder::new(&b""[..], compression).unwrap();
            let err = decoder.read(&mut [0; 64]).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "{compression:?}");
        }
        let mut decoder = Decoder::new(&b""[..], Compression::None).unwrap();
        assert_eq!(decoder.read(&mut [0; 64]).unwrap(), 0);
    }

    #[test]
    fn accessors() {
        let decoder = Decoder::for_media_type(&b"abc"[..], &MediaType::DockerLayerGzip).unwrap();
        assert_eq!(decoder.compression(), Compression::Gzip);
        // flate2 reads the gzip header as it is built.
        assert!(decoder.compressed_bytes() <= 3);
        // What is left of the inner reader: the part not read yet.
        assert!(b"abc".ends_with(decoder.get_ref()));
        assert!(format!("{decoder:?}").contains("Gzip"));
        assert!(b"abc".ends_with(decoder.into_inner()));
        let mut decoder = Decoder::new(&b"tar"[..], Compression::None).unwrap();
        let mut out = Vec::new();
        decoder.read_to_end(&mut out).unwrap();
        assert_eq!(
            (out.as_slice(), decoder.compressed_bytes()),
            (&b"tar"[..], 3)
        );
    }

    #[test]
    fn diff_id_with_sha512() {
        let stats = diff_id(&b"plain"[..], &MediaType::ImageLayer, &Algorithm::Sha512).unwrap();
        assert_eq!(stats.diff_id, Digest::sha512(b"plain"));
        assert_eq!((stats.uncompressed_size, stats.compressed_size), (5, 5));
        let err = verify_diff_id(
            &b"plain"[..],
            &MediaType::ImageLayer,
            &Digest::sha512(b"other"),
        )
        .unwrap_err();
        assert!(matches!(err, CodecError::DiffIdMismatch { .. }), "{err:?}");
    }
}
