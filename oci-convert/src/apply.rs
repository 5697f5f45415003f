//! Layer apply (image-spec layer.md, "Applying Changesets"): one streaming
//! pass from blob to root directory (verified blob reader, decompression by
//! media type, DiffID hashing, tar entries applied as they come), with
//! whiteouts, confined to the root.

mod dirs;
mod entry;
mod header;
mod meta;
mod meter;
mod pax;
mod readahead;
mod sparse;
mod whiteout;

use std::io::{self, Read};
use std::path::Path;
use std::rc::Rc;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, OnceLock};

use ocikit_image::{Algorithm, Descriptor, Digest};
use ocikit_layout::Layout;
use ocikit_layout::codec::{
    CodecError, Compression, Decoder, HashingReader, check_diff_id, compression_of,
};
use ocikit_layout::progress::Tracker;

use crate::root::Root;
use crate::{Applied, ApplyOptions, Error, Result};
use entry::Applier;
use meter::{Count, Gauge, Meter, limit_hit};
use readahead::read_ahead;

/// Applies an uncompressed tar stream onto the directory `root`, which must
/// exist. The stream is read to its end; [`Applied::diff_id`] is its sha256.
///
/// ```
/// use ocikit_convert::{ApplyOptions, apply_tar};
/// # let dir = tempfile::tempdir()?;
/// let mut tar = tar::Builder::new(Vec::new());
/// let mut header = tar::Header::new_ustar();
/// header.set_size(5);
/// header.set_mode(0o644);
/// tar.append_data(&mut header, "etc/motd", &b"hello"[..])?;
/// let tar = tar.into_inner()?;
///
/// let applied = apply_tar(dir.path(), &tar[..], &ApplyOptions::default())?;
/// assert_eq!(std::fs::read(dir.path().join("etc/motd"))?, b"hello");
/// assert_eq!(applied.diff_id, Some(ocikit_image::Digest::sha256(&tar)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// As [`apply_layer`], without the blob and DiffID checks.
pub fn apply_tar(root: &Path, tar: impl Read, options: &ApplyOptions) -> Result<Applied> {
    apply_stream(root, tar, None, None, DiffIdSource::Hash, options)
}

/// Applies the layer blob `layer` of `layout` onto the directory `root`,
/// which must exist: the blob is read through a verifying reader (size and
/// digest), decompressed as its media type says, and, when `diff_id` is
/// given (the image config's `rootfs.diff_ids` entry for this layer), the
/// uncompressed stream's digest is checked against it.
///
/// Unpacking an image is applying its layers in order onto one directory:
///
/// ```
/// use ocikit_convert::ApplyOptions;
/// use ocikit_layout::{Layout, codec::Codec};
/// # let dir = tempfile::tempdir()?;
/// # let layout = Layout::init(dir.path().join("image"))?;
/// # let mut tar = tar::Builder::new(Vec::new());
/// # let mut header = tar::Header::new_ustar();
/// # header.set_size(6);
/// # header.set_mode(0o644);
/// # tar.append_data(&mut header, "etc/motd", &b"hello\n"[..])?;
/// # let stored = layout.put_layer(&tar.into_inner()?[..], Codec::gzip())?;
/// # let mut config = ocikit_image::ImageConfiguration::for_platform(&"linux/amd64".parse()?);
/// # config.rootfs.diff_ids.push(stored.diff_id);
/// # let manifest = ocikit_image::ImageManifest {
/// #     config: layout.put_json(&config)?, layers: vec![stored.descriptor], ..Default::default() };
/// # layout.tag("v1", &layout.put_json(&manifest)?)?;
/// // An image "v1" with one gzip layer holding etc/motd is in `layout`.
/// let image = layout.resolve("v1", Some(&"linux/amd64".parse()?))?;
/// let config = layout.read_config(&image.manifest.config)?;
/// let root = dir.path().join("rootfs");
/// std::fs::create_dir(&root)?;
/// for (layer, diff_id) in image.manifest.layers.iter().zip(&config.rootfs.diff_ids) {
///     // Blob digest and DiffID are checked as the layer streams.
///     ocikit_convert::apply_layer(&layout, layer, Some(diff_id), &root, &ApplyOptions::default())?;
/// }
/// assert_eq!(std::fs::read_to_string(root.join("etc/motd"))?, "hello\n");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Security
///
/// Nothing outside `root` is created, changed or deleted, whatever the
/// layer holds: entry names are cleaned lexically and a `..` that climbs
/// above the root is an error; parent directories are resolved inside the
/// root with chroot semantics (a symlink to `/usr/lib` means `root/usr/lib`);
/// the last component of a name is never followed, so an entry replaces a
/// symlink rather than writing through it; hardlink targets resolve inside
/// the root too. Metadata is set on file descriptors or with
/// `AT_SYMLINK_NOFOLLOW`, never through a symlink.
///
/// # Threads and memory
///
/// The blob is read, verified against its digest and decompressed on a
/// second thread, a few 512 KiB buffers ahead of the calling thread, which
/// writes the entries: the two halves of the work overlap on two cores.
/// The tar stream is hashed for the DiffID on the side with time to spare:
/// the calling thread for gzip (inflating keeps the other busy), the
/// reading thread for zstd and uncompressed streams. Memory stays at about 3 MiB of
/// buffers (plus the zstd window, at most 128 MiB) whatever the layer's
/// size. An uncompressed layer's DiffID must equal its digest; that is
/// checked before the first entry, and its bytes are hashed once.
///
/// The layer is applied as it streams: a digest or DiffID mismatch is only
/// known at its end, after the entries were written. The caller that
/// cannot keep a partly applied root removes it on error.
///
/// # Errors
///
/// [`Error::BadEntry`] for an entry that breaks layer.md or would leave the
/// root, [`Error::EntryIo`] for a file-system failure on one entry,
/// [`Error::Tar`] for a malformed stream, [`Error::LimitExceeded`],
/// [`Error::Codec`] for a corrupt compressed stream or a DiffID mismatch,
/// [`Error::Layout`] when the blob is missing or does not match its
/// descriptor, and [`Error::Io`] when `root` cannot be opened.
pub fn apply_layer(
    layout: &Layout,
    layer: &Descriptor,
    diff_id: Option<&Digest>,
    root: &Path,
    options: &ApplyOptions,
) -> Result<Applied> {
    let blob = layout.open_blob(layer)?;
    let compressed = Arc::new(AtomicU64::new(0));
    let counted = Count {
        inner: blob,
        count: compressed.clone(),
    };
    let compression = compression_of(&layer.media_type)?;
    // An uncompressed layer's DiffID is its blob digest, which the blob
    // reader verifies anyway: compare the two now, before any entry is
    // written, and do not hash the same bytes twice.
    let known = match diff_id {
        Some(expected)
            if compression == Compression::None
                && expected.algorithm() == layer.digest.algorithm() =>
        {
            check_diff_id(expected, &layer.digest)?;
            Some(layer.digest.clone())
        }
        _ => None,
    };
    let decoder = Decoder::new(counted, compression)?;
    let size = layer.size_u64().unwrap_or(0); // open_blob checked it
    let compressed = Some((compressed, size));
    // The blob is read, verified and decompressed on a second thread. The
    // DiffID is hashed on whichever side has time to spare: inflating gzip
    // keeps the reading thread busy, zstd leaves it room.
    match known {
        Some(digest) => read_ahead(decoder, |stream| {
            let diff = DiffIdSource::Known(digest);
            apply_stream(root, stream, compressed, diff_id, diff, options)
        }),
        None if compression == Compression::Gzip => read_ahead(decoder, |stream| {
            let diff = DiffIdSource::Hash;
            apply_stream(root, stream, compressed, diff_id, diff, options)
        }),
        None => {
            let algorithm = diff_id.map_or(Algorithm::Sha256, |d| d.algorithm());
            let digest = Arc::new(OnceLock::new());
            let hashing = HashAhead {
                reader: Some(HashingReader::new(decoder, &algorithm)?),
                digest: digest.clone(),
            };
            read_ahead(hashing, |stream| {
                let diff = DiffIdSource::Ahead(digest);
                apply_stream(root, stream, compressed, diff_id, diff, options)
            })
        }
    }
}

/// Where the digest of the uncompressed stream comes from.
enum DiffIdSource {
    /// Hashed as the applying thread reads the stream.
    Hash,
    /// Known before the stream is read (an uncompressed blob's digest).
    Known(Digest),
    /// Hashed on the read-ahead thread by a [`HashAhead`], set at the end
    /// of the stream.
    Ahead(Arc<OnceLock<Digest>>),
}

/// Hashes the stream read through it and publishes the digest when the
/// stream ends.
struct HashAhead<R> {
    reader: Option<HashingReader<R>>,
    digest: Arc<OnceLock<Digest>>,
}

impl<R: Read> Read for HashAhead<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(reader) = self.reader.as_mut() else {
            return Ok(0);
        };
        let n = reader.read(buf)?;
        if n == 0
            && !buf.is_empty()
            && let Some(reader) = self.reader.take()
        {
            let (_, digest, _) = reader.finish();
            // Set once: the reader is gone after this.
            let _ = self.digest.set(digest);
        }
        Ok(n)
    }
}

/// The pipeline after decompression: meter, hash, tar, apply, then drain
/// what follows the tar's end so the hashes cover the whole stream.
/// `compressed` counts the blob's bytes read, out of its size, when the
/// stream comes from one. `source` says where the stream's digest comes
/// from.
fn apply_stream<R: Read>(
    root: &Path,
    stream: R,
    compressed: Option<(Arc<AtomicU64>, u64)>,
    diff_id: Option<&Digest>,
    source: DiffIdSource,
    options: &ApplyOptions,
) -> Result<Applied> {
    let root = Root::open(root).map_err(|e| Error::Io {
        action: "open the root directory",
        path: root.to_path_buf(),
        source: e.into(),
    })?;
    let (compressed, total) = compressed.unzip();
    let gauge = Rc::new(Gauge::new(Tracker::new(
        &options.progress,
        "apply",
        total,
        None,
    )));
    let meter = Meter {
        inner: stream,
        gauge: gauge.clone(),
        compressed,
        limits: options.limits,
    };
    let hashed = match source {
        DiffIdSource::Known(digest) => Hashed::Known(meter, digest),
        DiffIdSource::Ahead(digest) => Hashed::Ahead(meter, digest),
        DiffIdSource::Hash => {
            let algorithm = diff_id.map_or(Algorithm::Sha256, |d| d.algorithm());
            Hashed::Hashing(Box::new(HashingReader::new(meter, &algorithm)?))
        }
    };
    let mut archive = tar::Archive::new(hashed);
    let mut applier = Applier::new(&root, options, gauge.clone());
    applier.run(&mut archive)?;
    let digest = archive
        .into_inner()
        .finish_to_end()
        .map_err(|e| stream_error(e, "after the end of the archive"))?;
    if let Some(expected) = diff_id {
        check_diff_id(expected, &digest).map_err(Error::Codec)?;
    }
    let mut applied = applier.finish()?;
    gauge.tracker.finish();
    applied.uncompressed_bytes = gauge.bytes.get();
    applied.diff_id = Some(digest);
    Ok(applied)
}

/// The uncompressed stream, hashed as it is read, with its digest known,
/// or hashed on the read-ahead thread.
enum Hashed<R> {
    Hashing(Box<HashingReader<R>>),
    Known(R, Digest),
    Ahead(R, Arc<OnceLock<Digest>>),
}

impl<R: Read> Hashed<R> {
    /// Reads the stream to its end and returns its digest.
    fn finish_to_end(self) -> io::Result<Digest> {
        match self {
            Hashed::Hashing(reader) => reader.finish_to_end().map(|(_, digest, _)| digest),
            Hashed::Known(mut reader, digest) => {
                io::copy(&mut reader, &mut io::sink())?;
                Ok(digest)
            }
            Hashed::Ahead(mut reader, digest) => {
                io::copy(&mut reader, &mut io::sink())?;
                digest.get().cloned().ok_or_else(|| {
                    io::Error::other("the layer's reading thread ended without the stream's digest")
                })
            }
        }
    }
}

impl<R: Read> Read for Hashed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Hashed::Hashing(reader) => reader.read(buf),
            Hashed::Known(reader, _) | Hashed::Ahead(reader, _) => reader.read(buf),
        }
    }
}

/// Turns a read error of the stream into the right [`Error`]: a limit, a
/// blob that does not match its descriptor, a codec failure (corrupt
/// compressed data), or a malformed tar.
pub(crate) fn stream_error(err: io::Error, after: impl Into<String>) -> Error {
    if let Some(limit) = limit_hit(&err) {
        return limit;
    }
    let typed = ocikit_image::digester::io_error_cause(&err).is_some()
        || ocikit_layout::codec::io_error_cause(&err).is_some();
    if !typed {
        return Error::Tar {
            after: after.into(),
            source: err,
        };
    }
    let kind = err.kind();
    let err = match err.into_inner() {
        Some(inner) => match inner.downcast::<ocikit_image::Error>() {
            Ok(e) => return Error::Layout(ocikit_layout::Error::Verify(*e)),
            Err(inner) => match inner.downcast::<CodecError>() {
                Ok(e) => return Error::Codec(*e),
                Err(inner) => io::Error::new(kind, inner),
            },
        },
        None => io::Error::from(kind),
    };
    Error::Tar {
        after: after.into(),
        source: err,
    }
}
