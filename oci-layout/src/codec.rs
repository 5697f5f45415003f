//! Blob compression codecs: which compression a layer media type uses, and
//! the streaming adapters that compress and decompress layer blobs while
//! hashing them. Implements image-spec layer.md (`+gzip` and `+zstd` media
//! types, non-distributable layers) and media-types.md; the diff_id is the
//! "Layer DiffID" of config.md.
//!
//! Every adapter is a [`Read`](std::io::Read) or [`Write`](std::io::Write)
//! in a chain, with fixed buffers, so a layer of any size passes through in
//! one pass and bounded memory:
//!
//! - build: tar stream -> [`Encoder`] (hashes the tar: diff_id) -> blob
//!   writer (hashes the compressed bytes: the blob digest);
//! - unpack: blob reader -> [`Decoder`] -> [`HashingReader`] (diff_id) ->
//!   tar entries, then [`check_diff_id`] against `rootfs.diff_ids[n]`.
//!
//! ```
//! use ocikit_layout::codec::{self, Codec};
//! use ocikit_image::{Algorithm, Digest, MediaType};
//!
//! // A tar-ish stream: a 512-byte header block, content, two zero blocks.
//! let mut tar = vec![0u8; 512];
//! tar[..9].copy_from_slice(b"hello.txt");
//! tar.extend_from_slice(&[b'x'; 512]);
//! tar.extend_from_slice(&[0u8; 1024]);
//!
//! let (blob, layer) = codec::compress(&tar[..], Vec::new(), Codec::gzip(), &Algorithm::Sha256)?;
//! assert_eq!(layer.stats.diff_id, Digest::sha256(&tar));      // config.rootfs.diff_ids[n]
//! assert_eq!(layer.digest, Digest::sha256(&blob));             // the manifest's layer digest
//! assert_eq!(layer.stats.compressed_size, blob.len() as u64);
//! assert_eq!(layer.media_type(), MediaType::ImageLayerGzip);
//!
//! // fsck: decompress the blob and check its diff_id, in one pass.
//! let stats = codec::verify_diff_id(&blob[..], &MediaType::ImageLayerGzip, &layer.stats.diff_id)?;
//! assert_eq!(stats.uncompressed_size, tar.len() as u64);
//! # Ok::<(), codec::CodecError>(())
//! ```
//!
//! # Determinism
//!
//! The same input and [`Codec`] give the same bytes, however the input is
//! split into writes: gzip members carry mtime 0, no file name and OS byte
//! 255 ("unknown"), and zstd frames carry no dictionary id. The [`Encoder`] hands its compressor fixed-size chunks, and
//! flushing it does not cut the compressed stream. zstd output with
//! `workers: 0` differs from output with workers (the tests check that 1,
//! 2 and 4 workers agree), and bytes may change with the version of the
//! compression libraries.
//!
//! # Security
//!
//! Decoding checks the structure of the stream: a truncated or corrupt gzip
//! or zstd stream, and bytes after its end that are not another member or
//! frame, are errors, never a short read. The zstd decoder refuses frames
//! whose window is larger than 128 MiB (zstd's default limit), which bounds
//! its memory. Decompression is heavy processing: image-spec descriptor.md
//! says it SHOULD NOT happen before the blob's digest is checked, so feed
//! the decoder from a verified source.
//!
//! # Limitations
//!
//! - No limit on the expansion ratio or the uncompressed size: that belongs
//!   to whoever consumes the tar stream (layer apply, in `ocikit-convert`).
//! - Encrypted layers (`+encrypted`) and other compressions are refused
//!   with [`CodecError::UnsupportedCompression`].

mod decode;
mod encode;
mod gzip;
mod hash;

use std::io;

use ocikit_image::{Digest, MediaType};

pub use decode::{Decoder, diff_id, verify_diff_id};
pub use encode::{CompressedLayer, Encoder, compress};
pub use hash::{HashingReader, HashingWriter};
pub use ocikit_image::media_type::Compression;

/// A compression with its options: what [`Encoder`] writes.
///
/// The defaults are the ones of the reference tools: gzip level 6 (`gzip`,
/// Go's `compress/gzip`), zstd level 3 (`zstd`), compressing in the calling
/// thread. [`Codec::parallel`] adds worker threads, one per available CPU
/// (up to [`Codec::MAX_DEFAULT_WORKERS`]): the `oci` tool and
/// `ocikit-convert`'s repack default do so.
///
/// # Reproducible output
///
/// gzip output does not depend on `workers`: the stream is cut into
/// fixed blocks of input that are compressed apart (as `pigz` does), with
/// the same bytes whatever thread compressed them, so a blob built on one
/// CPU or on 64 has the same digest. It is a little larger (about 0.1%)
/// than one deflate stream, and any gzip decoder reads it.
///
/// zstd output with `workers: 0` differs from the output with workers,
/// which agrees for any count of 1 or more (zstd's multi-threaded format
/// depends on the level, not on the count). So that builds are reproducible
/// across machines, [`Codec::parallel`] gives at least 1 worker, even on
/// one CPU. [`Codec::zstd`] itself stays at 0 (no threads unless asked, and
/// the bytes it gave before).
///
/// With workers, the [`Encoder`] also hashes the tar stream (the diff_id)
/// in a thread of its own, so that the thread writing the tar stream does
/// little more than that. Memory stays bounded: a few blocks (gzip) or
/// jobs of 2 MiB (zstd) per worker, and four 256 KiB batches for the hash.
///
/// ```
/// use ocikit_layout::codec::{Codec, Compression};
/// use ocikit_image::MediaType;
///
/// let codec = Codec::for_media_type(&MediaType::DockerLayerGzip)?;
/// assert_eq!(codec, Codec::Gzip { level: 6, workers: 0 });
/// assert_eq!(codec.compression(), Compression::Gzip);
/// assert_eq!(Codec::zstd().layer_media_type(), MediaType::ImageLayerZstd);
/// assert!(matches!(Codec::zstd().parallel(), Codec::Zstd { level: 3, workers: 1.. }));
/// # Ok::<(), ocikit_layout::codec::CodecError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    /// No compression: the blob is the tar stream itself.
    None,
    /// gzip (RFC 1952), one member.
    Gzip {
        /// The deflate level, 0 (stored) to 9 (smallest).
        level: u32,
        /// Worker threads compressing blocks in parallel; 0 compresses in
        /// the calling thread. The output is the same for every count.
        workers: u32,
    },
    /// zstd (RFC 8478), one frame with a content checksum.
    Zstd {
        /// The zstd level, as the `zstd` tool takes it: 1 to 22, negative
        /// for the fast levels, 0 for zstd's default (3).
        level: i32,
        /// Worker threads compressing in parallel; 0 compresses in the
        /// calling thread. Output differs between 0 and any other count.
        workers: u32,
    },
}

impl Codec {
    /// The gzip level of [`Codec::gzip`]: zlib's default, also `gzip`'s.
    pub const DEFAULT_GZIP_LEVEL: u32 = 6;
    /// The zstd level of [`Codec::zstd`]: the `zstd` tool's default.
    pub const DEFAULT_ZSTD_LEVEL: i32 = 3;
    /// The highest gzip level.
    pub const MAX_GZIP_LEVEL: u32 = 9;
    /// The most gzip workers: zstd's own limit on 64-bit machines.
    pub const MAX_GZIP_WORKERS: u32 = 256;
    /// The most workers [`Codec::parallel`] gives: each zstd worker holds
    /// a few MiB of buffers, and layer builds keep within 64 MiB.
    pub const MAX_DEFAULT_WORKERS: u32 = 4;

    /// gzip at the default level, in the calling thread.
    pub fn gzip() -> Codec {
        Codec::Gzip {
            level: Codec::DEFAULT_GZIP_LEVEL,
            workers: 0,
        }
    }

    /// zstd at the default level, in the calling thread.
    pub fn zstd() -> Codec {
        Codec::Zstd {
            level: Codec::DEFAULT_ZSTD_LEVEL,
            workers: 0,
        }
    }

    /// The same codec with `workers` threads (no change for
    /// [`Codec::None`]).
    pub fn with_workers(self, workers: u32) -> Codec {
        match self {
            Codec::None => Codec::None,
            Codec::Gzip { level, .. } => Codec::Gzip { level, workers },
            Codec::Zstd { level, .. } => Codec::Zstd { level, workers },
        }
    }

    /// The same codec with one worker per CPU this process may use, at
    /// least 1 and at most [`Codec::MAX_DEFAULT_WORKERS`]: what the `oci`
    /// tool builds layers with.
    pub fn parallel(self) -> Codec {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        let workers = u32::try_from(cpus).unwrap_or(u32::MAX);
        self.with_workers(workers.clamp(1, Codec::MAX_DEFAULT_WORKERS))
    }

    /// The codec of `compression`, with default options.
    pub fn new(compression: Compression) -> Codec {
        match compression {
            Compression::None => Codec::None,
            Compression::Gzip => Codec::gzip(),
            Compression::Zstd => Codec::zstd(),
        }
    }

    /// The codec of a layer media type, with default options; see
    /// [`compression_of`].
    ///
    /// # Errors
    ///
    /// As [`compression_of`].
    pub fn for_media_type(media_type: &MediaType) -> Result<Codec, CodecError> {
        compression_of(media_type).map(Codec::new)
    }

    /// Which compression this is.
    pub fn compression(&self) -> Compression {
        match self {
            Codec::None => Compression::None,
            Codec::Gzip { .. } => Compression::Gzip,
            Codec::Zstd { .. } => Compression::Zstd,
        }
    }

    /// The OCI layer media type of a blob this codec writes:
    /// `application/vnd.oci.image.layer.v1.tar`, `...tar+gzip` or `...tar+zstd`.
    pub fn layer_media_type(&self) -> MediaType {
        match self {
            Codec::None => MediaType::ImageLayer,
            Codec::Gzip { .. } => MediaType::ImageLayerGzip,
            Codec::Zstd { .. } => MediaType::ImageLayerZstd,
        }
    }

    /// Checks the level against the codec's range, and the gzip worker count.
    ///
    /// # Errors
    ///
    /// [`CodecError::InvalidLevel`] naming the codec, the level and the range;
    /// [`CodecError::TooManyWorkers`] for gzip with more than
    /// [`Codec::MAX_GZIP_WORKERS`] (zstd checks its own limit when an
    /// [`Encoder`] starts).
    pub fn validate(&self) -> Result<(), CodecError> {
        match *self {
            Codec::None => Ok(()),
            Codec::Gzip { level, .. } if level > Codec::MAX_GZIP_LEVEL => {
                Err(CodecError::InvalidLevel {
                    compression: Compression::Gzip,
                    level: i64::from(level),
                    min: 0,
                    max: i64::from(Codec::MAX_GZIP_LEVEL),
                })
            }
            Codec::Gzip { workers, .. } if workers > Codec::MAX_GZIP_WORKERS => {
                Err(CodecError::TooManyWorkers {
                    compression: Compression::Gzip,
                    workers,
                    max: Codec::MAX_GZIP_WORKERS,
                })
            }
            Codec::Gzip { .. } => Ok(()),
            Codec::Zstd { level, .. } => {
                let range = zstd::compression_level_range();
                if range.contains(&level) {
                    Ok(())
                } else {
                    Err(CodecError::InvalidLevel {
                        compression: Compression::Zstd,
                        level: i64::from(level),
                        min: i64::from(*range.start()),
                        max: i64::from(*range.end()),
                    })
                }
            }
        }
    }
}

impl Default for Codec {
    /// gzip at the default level: the layer compression every tool reads.
    fn default() -> Self {
        Codec::gzip()
    }
}

impl From<Compression> for Codec {
    fn from(compression: Compression) -> Self {
        Codec::new(compression)
    }
}

/// What one pass over a layer learned: its diff_id and both sizes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerStats {
    /// The compression of the blob.
    pub compression: Compression,
    /// The digest of the uncompressed tar stream: the layer's DiffID
    /// (config.md), listed in the image config's `rootfs.diff_ids`.
    pub diff_id: Digest,
    /// The size of the uncompressed tar stream, in bytes.
    pub uncompressed_size: u64,
    /// The size of the compressed blob, in bytes: the `size` of its
    /// descriptor.
    pub compressed_size: u64,
}

/// The compression a layer media type says its blob has.
///
/// - The OCI layer types (layer.md), their deprecated non-distributable
///   variants, and Docker's `application/vnd.docker.image.rootfs.diff.tar`,
///   `...tar.gzip`, `...tar.zstd` and foreign layers: as
///   [`MediaType::compression`] says.
/// - Other types whose subtype ends in `+gzip` or `+zstd` (such as Helm's
///   `application/vnd.cncf.helm.chart.content.v1.tar+gzip`) are gzip or zstd,
///   and those ending in `.tar` are uncompressed.
///
/// # Errors
///
/// - [`CodecError::UnsupportedCompression`] for a tar type with another
///   suffix, such as `application/vnd.oci.image.layer.v1.tar+encrypted`.
/// - [`CodecError::NotALayer`] for any other type, such as an image config.
pub fn compression_of(media_type: &MediaType) -> Result<Compression, CodecError> {
    if let Some(compression) = media_type.compression() {
        return Ok(compression);
    }
    let MediaType::Other(s) = media_type else {
        return Err(CodecError::NotALayer {
            media_type: media_type.clone(),
        });
    };
    let subtype = s.split_once('/').map_or("", |(_, subtype)| subtype);
    if subtype.ends_with("+gzip") {
        Ok(Compression::Gzip)
    } else if subtype.ends_with("+zstd") {
        Ok(Compression::Zstd)
    } else if subtype.ends_with(".tar") {
        Ok(Compression::None)
    } else if let Some((_, suffix)) = subtype.split_once(".tar+") {
        Err(CodecError::UnsupportedCompression {
            media_type: media_type.clone(),
            suffix: suffix.to_owned(),
        })
    } else {
        Err(CodecError::NotALayer {
            media_type: media_type.clone(),
        })
    }
}

/// Compares a layer's diff_id with the one its image config lists
/// (`rootfs.diff_ids[n]`).
///
/// # Errors
///
/// [`CodecError::DiffIdMismatch`] naming both digests when they differ
/// (digests of different algorithms always differ).
pub fn check_diff_id(expected: &Digest, found: &Digest) -> Result<(), CodecError> {
    if expected == found {
        Ok(())
    } else {
        Err(CodecError::DiffIdMismatch {
            expected: expected.clone(),
            found: found.clone(),
        })
    }
}

/// What can go wrong compressing, decompressing or checking a layer.
///
/// Converts into an [`io::Error`] (kind
/// [`InvalidData`](io::ErrorKind::InvalidData), or the original error for
/// [`CodecError::Io`]), so the adapters fit in `io` chains; get it back
/// with [`io_error_cause`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CodecError {
    /// The media type is not a layer type, so it says nothing about
    /// compression.
    #[error(
        "media type {media_type} is not a layer media type: cannot tell how its blob is compressed"
    )]
    NotALayer {
        /// The media type, as given.
        media_type: MediaType,
    },

    /// The media type names a compression this crate cannot decompress.
    #[error(
        "media type {media_type}: compression {suffix:?} is not supported (supported: none, gzip, zstd)"
    )]
    UnsupportedCompression {
        /// The media type, as given.
        media_type: MediaType,
        /// What follows `.tar+` in it, such as `encrypted`.
        suffix: String,
    },

    /// A compression level outside the codec's range.
    #[error("{} level {level} is out of range ({min} to {max})", compression_name(*compression))]
    InvalidLevel {
        /// The codec the level was given for.
        compression: Compression,
        /// The level given.
        level: i64,
        /// The lowest level allowed.
        min: i64,
        /// The highest level allowed.
        max: i64,
    },

    /// More worker threads than the codec allows.
    #[error("{} with {workers} workers: at most {max} are allowed", compression_name(*compression))]
    TooManyWorkers {
        /// The codec the count was given for.
        compression: Compression,
        /// The count given.
        workers: u32,
        /// The most allowed.
        max: u32,
    },

    /// The digest of the uncompressed layer is not the expected diff_id.
    #[error(
        "layer diff_id mismatch: expected {expected}, the uncompressed content hashes to {found}"
    )]
    DiffIdMismatch {
        /// The diff_id from the image config.
        expected: Digest,
        /// The digest of the uncompressed bytes actually read.
        found: Digest,
    },

    /// A digest algorithm this build cannot compute (from `ocikit-image`).
    #[error(transparent)]
    Digest(#[from] ocikit_image::Error),

    /// Reading, writing, compressing or decompressing failed: a truncated
    /// or corrupt stream, or an error of the inner reader or writer, kept
    /// as it was.
    #[error(transparent)]
    Io(#[from] io::Error),
}

impl From<CodecError> for io::Error {
    fn from(err: CodecError) -> Self {
        match err {
            CodecError::Io(err) => err,
            other => io::Error::new(io::ErrorKind::InvalidData, other),
        }
    }
}

/// The lowercase name of a compression, for messages.
pub(crate) fn compression_name(compression: Compression) -> &'static str {
    match compression {
        Compression::None => "uncompressed",
        Compression::Gzip => "gzip",
        Compression::Zstd => "zstd",
    }
}

/// The [`CodecError`] inside an [`io::Error`] made from one; `None` for any
/// other I/O error.
pub fn io_error_cause(err: &io::Error) -> Option<&CodecError> {
    err.get_ref()?.downcast_ref::<CodecError>()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    #[test]
    fn every_layer_media_type_has_its_compression() {
        use MediaType::*;
        let cases = [
            (ImageLayer, Compression::None),
            (ImageLayerGzip, Compression::Gzip),
            (ImageLayerZstd, Compression::Zstd),
            (ImageLayerNonDistributable, Compression::None),
            (ImageLayerNonDistributableGzip, Compression::Gzip),
            (ImageLayerNonDistributableZstd, Compression::Zstd),
            (DockerLayer, Compression::None),
            (DockerLayerGzip, Compression::Gzip),
            (DockerLayerZstd, Compression::Zstd),
            (DockerForeignLayer, Compression::None),
            (DockerForeignLayerGzip, Compression::Gzip),
        ];
        for (mt, compression) in cases {
            assert_eq!(compression_of(&mt).unwrap(), compression, "{mt}");
        }
        assert_eq!(
            compression_of(&MediaType::from(
                "application/vnd.docker.image.rootfs.diff.tar.gzip"
            ))
            .unwrap(),
            Compression::Gzip
        );
    }

    #[test]
    fn other_types_by_suffix() {
        let of = |s: &str| compression_of(&MediaType::from(s));
        assert_eq!(
            of("application/vnd.cncf.helm.chart.content.v1.tar+gzip").unwrap(),
            Compression::Gzip
        );
        assert_eq!(
            of("application/vnd.example.layer.v1.tar+zstd").unwrap(),
            Compression::Zstd
        );
        assert_eq!(
            of("application/vnd.example.layer.v1.tar").unwrap(),
            Compression::None
        );
        match of("application/vnd.oci.image.layer.v1.tar+foo").unwrap_err() {
            CodecError::UnsupportedCompression { media_type, suffix } => {
                assert_eq!(media_type, "application/vnd.oci.image.layer.v1.tar+foo");
                assert_eq!(suffix, "foo");
            }
            other => panic!("{other:?}"),
        }
        let err = of("application/vnd.oci.image.layer.v1.tar+gzip+encrypted").unwrap_err();
        assert_eq!(
            err.to_string(),
            "media type application/vnd.oci.image.layer.v1.tar+gzip+encrypted: compression \"gzip+encrypted\" is not supported (supported: none, gzip, zstd)"
        );
        for not_a_layer in [
            "application/vnd.oci.image.config.v1+json",
            "application/vnd.example.sbom.v1+json",
            "text/plain",
            "nonsense",
        ] {
            let err = of(not_a_layer).unwrap_err();
            assert!(matches!(err, CodecError::NotALayer { .. }), "{err:?}");
            assert!(err.to_string().contains(not_a_layer), "{err}");
        }
    }

    #[test]
    fn codecs_and_levels() {
        assert_eq!(Codec::default(), Codec::gzip());
        assert_eq!(Codec::from(Compression::None), Codec::None);
        assert_eq!(
            Codec::new(Compression::Zstd),
            Codec::Zstd {
                level: 3,
                workers: 0
            }
        );
        assert_eq!(Codec::None.layer_media_type(), MediaType::ImageLayer);
        assert_eq!(
            Codec::for_media_type(&MediaType::ImageLayerNonDistributableZstd).unwrap(),
            Codec::zstd()
        );
        for ok in [
            Codec::None,
            Codec::Gzip {
                level: 0,
                workers: 0,
            },
            Codec::Gzip {
                level: 9,
                workers: Codec::MAX_GZIP_WORKERS,
            },
            Codec::Zstd {
                level: 22,
                workers: 2,
            },
            Codec::Zstd {
                level: -5,
                workers: 0,
            },
        ] {
            ok.validate().unwrap();
        }
        let err = Codec::Gzip {
            level: 10,
            workers: 0,
        }
        .validate()
        .unwrap_err();
        assert_eq!(err.to_string(), "gzip level 10 is out of range (0 to 9)");
        let err = Codec::gzip().with_workers(257).validate().unwrap_err();
        assert_eq!(
            err.to_string(),
            "gzip with 257 workers: at most 256 are allowed"
        );
        let err = Codec::Zstd {
            level: 23,
            workers: 0,
        }
        .validate()
        .unwrap_err();
        assert!(
            matches!(
                err,
                CodecError::InvalidLevel {
                    level: 23,
                    max: 22,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn diff_id_mismatch_names_both_digests() {
        let a = Digest::sha256(b"a");
        let b = Digest::sha256(b"b");
        check_diff_id(&a, &a).unwrap();
        let err = check_diff_id(&a, &b).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains(a.as_str()) && text.contains(b.as_str()),
            "{text}"
        );
        let io: io::Error = err.into();
        assert_eq!(io.kind(), io::ErrorKind::InvalidData);
        assert!(matches!(
            io_error_cause(&io),
            Some(CodecError::DiffIdMismatch { .. })
        ));
        // An I/O error comes back out unchanged.
        let io: io::Error = CodecError::Io(io::ErrorKind::UnexpectedEof.into()).into();
        assert_eq!(io.kind(), io::ErrorKind::UnexpectedEof);
        assert!(io_error_cause(&io).is_none());
    }
}
