//! Compressing writer: tar stream in, compressed blob out, with the diff_id
//! computed on the way (image-spec config.md, "Layer DiffID").

use std::fmt;
use std::io::{self, Read, Write};

use ocikit_image::{Algorithm, Descriptor, Digest, MediaType};

use super::gzip::GzipWriter;
use super::hash::{Counting, HashingWriter, accepted};
use super::{Codec, CodecError, Compression, LayerStats};
use crate::hasher::Hasher;

/// Input bytes per zstd job when compressing with workers. zstd's default
/// grows with the level (8 MiB at level 3, 32 MiB at 19) and it keeps
/// about two jobs' buffers per worker, which would not fit a layer build in
/// 64 MiB. Output with workers depends on the job size, not on the worker
/// count.
const ZSTD_JOB_SIZE: u32 = 2 << 20;

/// The buffer [`compress`] reads its input through.
const COPY_BUFFER: usize = 128 * 1024;

/// The size of every input chunk but the last handed to the zstd compressor
/// without workers (zstd's recommended input size), so that its bytes do
/// not depend on how the input was split. gzip cuts its own fixed blocks,
/// and zstd with workers its own fixed jobs.
const CHUNK: usize = 128 * 1024;

/// A [`Write`] adapter that compresses what is written into an inner
/// writer, and hashes and counts the uncompressed bytes on the way: one
/// pass gives the blob and its diff_id.
///
/// The inner writer is typically the layout's blob writer, which hashes
/// the compressed bytes itself; without one, wrap the inner writer in a
/// [`HashingWriter`], or use [`compress`].
///
/// Call [`finish`](Encoder::finish): it writes the end of the stream and
/// returns every error. An encoder dropped without it leaves an incomplete
/// stream behind (the zstd backend may still write its end from `Drop`,
/// ignoring errors; gzip worker threads are stopped and joined); discard
/// the inner writer's content then.
///
/// ```
/// use ocikit_layout::codec::{Codec, Decoder, Encoder, Compression};
/// use ocikit_image::Digest;
/// use std::io::{Read, Write};
///
/// let mut encoder = Encoder::new(Vec::new(), Codec::zstd())?;
/// encoder.write_all(b"tar bytes")?;
/// let (blob, stats) = encoder.finish()?;
/// assert_eq!(stats.diff_id, Digest::sha256(b"tar bytes"));
/// assert_eq!((stats.uncompressed_size, stats.compressed_size), (9, blob.len() as u64));
///
/// let mut tar = Vec::new();
/// Decoder::new(&blob[..], Compression::Zstd)?.read_to_end(&mut tar)?;
/// assert_eq!(tar, b"tar bytes");
/// # Ok::<(), ocikit_layout::codec::CodecError>(())
/// ```
pub struct Encoder<W: Write> {
    kind: Kind<W>,
    diff_id: Hasher,
    /// Input held back until it fills a [`CHUNK`]: the compressor always
    /// gets the same chunks, however the caller splits its writes.
    pending: Vec<u8>,
    /// Whether zstd compresses with workers: it then cuts its input into
    /// jobs of a fixed size itself, and takes writes as they come.
    zstd_jobs: bool,
    /// Set when a write failed: the stream is broken for good.
    failed: bool,
}

enum Kind<W: Write> {
    None(Counting<W>),
    Gzip(Box<GzipWriter<Counting<W>>>),
    Zstd(zstd::stream::write::Encoder<'static, Counting<W>>),
}

impl<W: Write> Encoder<W> {
    /// Compresses into `inner` with `codec`, computing a SHA-256 diff_id.
    ///
    /// # Errors
    ///
    /// As [`Encoder::with_algorithm`].
    pub fn new(inner: W, codec: Codec) -> Result<Self, CodecError> {
        Self::with_algorithm(inner, codec, &Algorithm::Sha256)
    }

    /// Compresses into `inner` with `codec`, computing the diff_id with
    /// `algorithm`. Nothing is written to `inner` yet.
    ///
    /// # Errors
    ///
    /// [`CodecError::InvalidLevel`] for a level out of range,
    /// [`CodecError::Digest`] when this build cannot compute `algorithm`,
    /// [`CodecError::Io`] when zstd refuses its parameters (such as a worker
    /// count above its limit).
    pub fn with_algorithm(
        inner: W,
        codec: Codec,
        algorithm: &Algorithm,
    ) -> Result<Self, CodecError> {
        codec.validate()?;
        // With workers compressing, the tar stream's hash would be the
        // writing thread's biggest task: it gets a thread of its own.
        let mut diff_id = Hasher::new(algorithm)?;
        if matches!(
            codec,
            Codec::Gzip { workers: 1.., .. } | Codec::Zstd { workers: 1.., .. }
        ) {
            diff_id.offload("diff-id");
        }
        let inner = Counting::new(inner);
        let kind = match codec {
            Codec::None => Kind::None(inner),
            Codec::Gzip { level, workers } => {
                Kind::Gzip(Box::new(GzipWriter::new(inner, level, workers)))
            }
            Codec::Zstd { level, workers } => {
                let mut encoder = zstd::stream::write::Encoder::new(inner, level)?;
                // As the zstd tool does: a corrupt frame is caught by the
                // decoder itself, not only by the diff_id.
                encoder.include_checksum(true)?;
                if workers > 0 {
                    encoder.multithread(workers)?;
                    encoder.set_parameter(zstd::zstd_safe::CParameter::JobSize(ZSTD_JOB_SIZE))?;
                }
                Kind::Zstd(encoder)
            }
        };
        Ok(Encoder {
            kind,
            diff_id,
            pending: Vec::new(),
            zstd_jobs: matches!(codec, Codec::Zstd { workers: 1.., .. }),
            failed: false,
        })
    }

    /// Writes the end of the compressed stream, flushes the inner writer,
    /// and returns it with the layer's diff_id and sizes.
    ///
    /// # Errors
    ///
    /// Any error compressing, writing or flushing: the blob is then
    /// incomplete.
    pub fn finish(mut self) -> Result<(W, LayerStats), CodecError> {
        let compression = self.compression();
        let pending = std::mem::take(&mut self.pending);
        self.compress_chunk(&pending)?;
        let mut inner = match self.kind {
            Kind::None(inner) => inner,
            Kind::Gzip(encoder) => encoder.finish()?,
            Kind::Zstd(encoder) => encoder.finish()?,
        };
        inner.flush()?;
        let stats = LayerStats {
            compression,
            uncompressed_size: self.diff_id.bytes(),
            diff_id: self.diff_id.finish()?,
            compressed_size: inner.bytes,
        };
        Ok((inner.inner, stats))
    }
}

impl<W: Write> Encoder<W> {
    /// The compression being written.
    pub fn compression(&self) -> Compression {
        match self.kind {
            Kind::None(_) => Compression::None,
            Kind::Gzip(_) => Compression::Gzip,
            Kind::Zstd(_) => Compression::Zstd,
        }
    }

    /// How many uncompressed bytes have been accepted so far.
    pub fn uncompressed_bytes(&self) -> u64 {
        self.diff_id.bytes()
    }

    /// How many compressed bytes the inner writer has accepted so far
    /// (the compressor holds back some until [`finish`](Encoder::finish)).
    pub fn compressed_bytes(&self) -> u64 {
        self.counting().bytes
    }

    /// The inner writer. Writing to it directly corrupts the stream.
    pub fn get_ref(&self) -> &W {
        &self.counting().inner
    }

    fn counting(&self) -> &Counting<W> {
        match &self.kind {
            Kind::None(inner) => inner,
            Kind::Gzip(encoder) => encoder.get_ref(),
            Kind::Zstd(encoder) => encoder.get_ref(),
        }
    }

    /// Hands `chunk` to the compressor whole; any failure breaks the stream.
    fn compress_chunk(&mut self, chunk: &[u8]) -> io::Result<()> {
        if self.failed {
            return Err(broken());
        }
        let result = match &mut self.kind {
            Kind::None(inner) => inner.write_all(chunk),
            Kind::Gzip(encoder) => encoder.write_all(chunk),
            Kind::Zstd(encoder) => encoder.write_all(chunk),
        };
        self.failed = result.is_err();
        result
    }
}

impl<W: Write> Write for Encoder<W> {
    /// Takes (part of) `buf` for compression, and hashes the part taken.
    ///
    /// After an error the stream is broken, and every later write and
    /// [`finish`](Encoder::finish) fails.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.failed {
            return Err(broken());
        }
        // Uncompressed, gzip (which cuts its own fixed blocks) and zstd
        // with workers (fixed jobs) take the caller's splits as they come.
        let direct = match &mut self.kind {
            Kind::None(inner) => Some(inner.write(buf)),
            Kind::Gzip(encoder) => Some(encoder.write(buf)),
            Kind::Zstd(encoder) if self.zstd_jobs => Some(encoder.write(buf)),
            Kind::Zstd(_) => None,
        };
        if let Some(written) = direct {
            let n = match written {
                Ok(n) => n,
                Err(err) => {
                    self.failed = err.kind() != io::ErrorKind::Interrupted;
                    return Err(err);
                }
            };
            let hashed = self.diff_id.update(accepted(buf, n)?);
            self.failed = hashed.is_err();
            hashed?;
            return Ok(n);
        }
        if self.pending.len() >= CHUNK {
            let pending = std::mem::take(&mut self.pending);
            self.compress_chunk(&pending)?;
            self.pending = pending;
            self.pending.clear();
        }
        let taken = if self.pending.is_empty() && buf.len() >= CHUNK {
            // A whole chunk straight from the caller's buffer, no copy.
            let chunk = buf.get(..CHUNK).unwrap_or(buf);
            self.compress_chunk(chunk)?;
            chunk
        } else {
            let room = CHUNK.saturating_sub(self.pending.len());
            let part = buf.get(..room).unwrap_or(buf);
            if self.pending.capacity() < CHUNK {
                self.pending.reserve_exact(CHUNK - self.pending.len());
            }
            self.pending.extend_from_slice(part);
            part
        };
        let hashed = self.diff_id.update(taken);
        self.failed = hashed.is_err();
        hashed?;
        Ok(taken.len())
    }

    /// Flushes the inner writer, but not the compressor: a flush would cut
    /// the compressed stream and make its bytes depend on when callers
    /// flush. Input held back and the compressor's pending output are
    /// written by [`finish`](Encoder::finish).
    fn flush(&mut self) -> io::Result<()> {
        match &mut self.kind {
            Kind::None(inner) => inner.flush(),
            Kind::Gzip(encoder) => encoder.get_mut().flush(),
            Kind::Zstd(encoder) => encoder.get_mut().flush(),
        }
    }
}

impl<W: Write> fmt::Debug for Encoder<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Encoder")
            .field("compression", &self.compression())
            .field("uncompressed_bytes", &self.uncompressed_bytes())
            .field("compressed_bytes", &self.compressed_bytes())
            .finish_non_exhaustive()
    }
}

/// The error of every write after one failed.
fn broken() -> io::Error {
    io::Error::other("an earlier write failed: the layer stream is incomplete")
}

/// A layer blob written by [`compress`]: its diff_id and sizes, and the
/// digest of the compressed bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompressedLayer {
    /// The diff_id, both sizes and the compression.
    pub stats: LayerStats,
    /// The digest of the compressed blob, with the same algorithm as the
    /// diff_id: the `digest` of its descriptor.
    pub digest: Digest,
}

impl CompressedLayer {
    /// The OCI layer media type of the blob.
    pub fn media_type(&self) -> MediaType {
        super::Codec::new(self.stats.compression).layer_media_type()
    }

    /// A descriptor of the blob: its OCI layer media type, digest and size.
    pub fn descriptor(&self) -> Descriptor {
        // A blob held anywhere is far below 2^63 bytes.
        let size = i64::try_from(self.stats.compressed_size).unwrap_or(i64::MAX);
        Descriptor::new(self.media_type(), self.digest.clone(), size)
    }
}

/// Compresses everything `reader` yields into `writer` with `codec`, and
/// returns `writer` with the diff_id, the blob digest (both with
/// `algorithm`) and both sizes: one pass, bounded memory.
///
/// # Errors
///
/// As [`Encoder::with_algorithm`] and [`Encoder::finish`], and any read
/// error of `reader`.
pub fn compress<R: Read, W: Write>(
    mut reader: R,
    writer: W,
    codec: Codec,
    algorithm: &Algorithm,
) -> Result<(W, CompressedLayer), CodecError> {
    let hashing = HashingWriter::new(writer, algorithm)?;
    let mut encoder = Encoder::with_algorithm(hashing, codec, algorithm)?;
    let mut buf = vec![0u8; COPY_BUFFER];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err.into()),
        };
        encoder.write_all(accepted(&buf, n)?)?;
    }
    let (hashing, stats) = encoder.finish()?;
    let (writer, digest, _) = hashing.finish()?;
    Ok((writer, CompressedLayer { stats, digest }))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    fn bytes(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 7 % 253) as u8).collect()
    }

    /// Every write size around the chunk boundary gives the same blob.
    #[test]
    fn writes_around_the_chunk_size_give_the_same_blob() {
        let all = bytes(3 * CHUNK + 17);
        let codecs = [
            Codec::gzip(),
            Codec::zstd(),
            Codec::gzip().with_workers(2),
            Codec::zstd().with_workers(2),
        ];
        for (data, codec) in codecs
            .into_iter()
            .flat_map(|c| [(&all[..], c), (&all[..1000], c)])
        {
            let mut reference = None;
            for split in [1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK + 5, data.len()] {
                let mut encoder = Encoder::new(Vec::new(), codec).unwrap();
                for piece in data.chunks(split.max(1)) {
                    encoder.write_all(piece).unwrap();
                }
                assert_eq!(encoder.uncompressed_bytes(), data.len() as u64);
                let (blob, stats) = encoder.finish().unwrap();
                assert_eq!(stats.diff_id, Digest::sha256(data));
                assert_eq!(stats.compressed_size, blob.len() as u64);
                match &reference {
                    None => reference = Some(blob),
                    Some(first) => assert!(first == &blob, "{codec:?}, writes of {split}"),
                }
            }
        }
    }

    #[test]
    fn a_whole_chunk_is_taken_without_copy_and_the_rest_is_held_back() {
        let data = bytes(CHUNK + 10);
        let mut encoder = Encoder::new(Vec::new(), Codec::zstd()).unwrap();
        // A long write is taken one chunk at a time.
        assert_eq!(encoder.write(&data).unwrap(), CHUNK);
        assert!(encoder.pending.is_empty());
        assert_eq!(encoder.write(&data[CHUNK..]).unwrap(), 10);
        assert_eq!(encoder.pending.len(), 10);
        assert_eq!(encoder.write(&[]).unwrap(), 0);
        encoder.flush().unwrap();
        assert_eq!(encoder.pending.len(), 10, "flush keeps the input back");
        assert_eq!(encoder.compression(), Compression::Zstd);
        assert!(format!("{encoder:?}").contains("Zstd"));
        let (blob, stats) = encoder.finish().unwrap();
        assert_eq!(stats.uncompressed_size, data.len() as u64);
        assert_eq!(&blob[..4], &[0x28, 0xb5, 0x2f, 0xfd]);
    }

    #[test]
    fn invalid_options_are_refused_before_anything_is_written() {
        let err = Encoder::new(
            Vec::new(),
            Codec::Gzip {
                level: 11,
                workers: 0,
            },
        )
        .unwrap_err();
        assert!(matches!(err, CodecError::InvalidLevel { level: 11, .. }));
        let err =
            Encoder::with_algorithm(Vec::new(), Codec::zstd(), &Algorithm::Other("md5".into()))
                .unwrap_err();
        assert!(matches!(err, CodecError::Digest(_)), "{err:?}");
    }

    #[test]
    fn compressed_layer_descriptor() {
        let (blob, layer) =
            compress(&b"tar"[..], Vec::new(), Codec::zstd(), &Algorithm::Sha256).unwrap();
        let d = layer.descriptor();
        assert_eq!(d.media_type, MediaType::ImageLayerZstd);
        assert_eq!(d.digest, Digest::sha256(&blob));
        assert_eq!(d.size, blob.len() as i64);
    }
}
