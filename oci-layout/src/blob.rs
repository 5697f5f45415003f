//! Blobs: written through a hashing temporary file and renamed into place
//! once complete and durable; read back through a reader that checks size
//! and digest (image-spec image-layout.md "Blobs", descriptor.md
//! "Verification").

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read, Write};
use std::path::PathBuf;
use std::time::SystemTime;

use ocikit_image::digester::{Digester, VerifyingReader};
use ocikit_image::{Algorithm, Descriptor, Digest, MediaType};

use crate::dir::{Access, BlobDirs, Dir};
use crate::hasher::{BATCH, Hasher};
use crate::{Error, Layout, Result};

/// What a blob writer is refused when `blobs` is a symbolic link.
const WRITE: &str = "write a blob";

/// A reader of one blob that returns an error instead of content that does
/// not match its descriptor (at EOF, or as soon as it is longer), and never
/// reads past the descriptor's `size`.
pub type BlobReader = VerifyingReader<File>;

/// Where a committed blob ended up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobInfo {
    /// The digest of the content.
    pub digest: Digest,
    /// The number of bytes.
    pub size: u64,
    /// Whether the blob was already in the layout (so nothing new was
    /// written; its modification time was refreshed).
    pub existed: bool,
}

impl BlobInfo {
    /// A descriptor of this blob with `media_type`.
    pub fn descriptor(&self, media_type: MediaType) -> Descriptor {
        // A blob larger than i64::MAX bytes cannot exist on any file system.
        let size = i64::try_from(self.size).unwrap_or(i64::MAX);
        Descriptor::new(media_type, self.digest.clone(), size)
    }
}

/// Writes one blob: content goes into a temporary file inside the layout
/// while it is hashed; [`commit`](BlobWriter::commit) makes it durable and
/// renames it to `blobs/<alg>/<encoded>`. Dropping the writer without
/// committing removes the temporary file; nothing is ever visible under a
/// blob name unless it is complete and fsynced. The temporary file is
/// created, renamed and removed relative to the `blobs` directory the
/// writer opened (never through a symbolic link), so the writer only ever
/// removes its own file.
///
/// Content is written in batches of 256 KiB; once a blob passes 1 MiB it
/// is hashed in a thread of its own while the next batches are written, so
/// a large blob costs the writing thread little more than the copy into
/// the page cache.
///
/// ```
/// use std::io::Write;
/// use ocikit_image::{Digest, MediaType};
/// # let dir = tempfile::tempdir()?;
/// let layout = ocikit_layout::Layout::init(dir.path().join("layout"))?;
/// let mut writer = layout.blob_writer()?;
/// writer.write_all(b"hello ")?;
/// writer.write_all(b"world")?;
/// let blob = writer.commit()?;
/// assert_eq!(blob.digest, Digest::sha256(b"hello world"));
/// assert!(layout.has_blob(&blob.digest));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "a blob writer stores nothing until it is committed"]
pub struct BlobWriter {
    layout: Layout,
    /// `blobs/`, holding the temporary file.
    blobs: Dir,
    file: Option<File>,
    /// Bytes accepted, not yet written to the file nor hashed: at most
    /// one batch.
    pending: Vec<u8>,
    /// Every byte accepted.
    written: u64,
    /// The temporary file's name in `blobs`, and its path for messages.
    temp_name: OsString,
    temp: PathBuf,
    hasher: Hasher,
}

/// The size from which a blob writer hashes in a thread of its own: a
/// manifest or a config is hashed where it is written (in less time than
/// a thread takes to start), a layer beside its writing.
const HASH_THREAD_AFTER: u64 = 1 << 20;

impl Layout {
    /// A writer of a new sha256 blob.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the temporary file cannot be created.
    pub fn blob_writer(&self) -> Result<BlobWriter> {
        self.blob_writer_with(&Algorithm::Sha256)
    }

    /// A writer of a new blob whose digest uses `algorithm` (sha256 or
    /// sha512; blake3 with the `blake3` feature of `ocikit-image`).
    ///
    /// # Errors
    ///
    /// [`Error::Verify`] for an algorithm this build cannot compute;
    /// [`Error::SymlinkRefused`] when `blobs` is a symbolic link;
    /// [`Error::Io`] when the temporary file cannot be created.
    pub fn blob_writer_with(&self, algorithm: &Algorithm) -> Result<BlobWriter> {
        let hasher = Hasher::new(algorithm)?;
        let blobs = self.blobs_dir(Access::Change(WRITE))?;
        let (file, temp_name) = blobs.create_temp("blob")?;
        Ok(BlobWriter {
            layout: self.clone(),
            temp: blobs.join(&temp_name),
            blobs,
            file: Some(file),
            pending: Vec::new(),
            written: 0,
            temp_name,
            hasher,
        })
    }

    /// Stores everything `reader` yields as a sha256 blob and returns its
    /// descriptor with `media_type`.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when reading or writing fails; nothing is stored then.
    pub fn put_blob(&self, media_type: MediaType, mut reader: impl Read) -> Result<Descriptor> {
        let mut writer = self.blob_writer()?;
        io::copy(&mut reader, &mut writer).map_err(Error::io("copy into", &writer.temp))?;
        Ok(writer.commit()?.descriptor(media_type))
    }

    /// Stores `bytes` as a sha256 blob and returns its descriptor.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when writing fails.
    pub fn put_bytes(&self, media_type: MediaType, bytes: &[u8]) -> Result<Descriptor> {
        let mut writer = self.blob_writer()?;
        writer
            .write_all(bytes)
            .map_err(Error::io("write", &writer.temp))?;
        Ok(writer.commit()?.descriptor(media_type))
    }

    /// Stores content that must match `expected` (its digest and size), as
    /// when copying a blob from elsewhere.
    ///
    /// # Errors
    ///
    /// [`Error::CommitMismatch`] when the content is not what `expected`
    /// describes (nothing is stored); [`Error::Io`] when reading or writing fails.
    pub fn put_blob_verified(
        &self,
        expected: &Descriptor,
        mut reader: impl Read,
    ) -> Result<BlobInfo> {
        let mut writer = self.blob_writer_with(&expected.digest.algorithm())?;
        // One byte more than expected is enough to know it is too long.
        let limit = expected.size_u64()?.saturating_add(1);
        io::copy(&mut (&mut reader).take(limit), &mut writer)
            .map_err(Error::io("copy into", &writer.temp))?;
        writer.commit_verified(expected)
    }

    /// Whether the blob with `digest` is in the layout (its file exists;
    /// its content is not checked).
    pub fn has_blob(&self, digest: &Digest) -> bool {
        self.blob_path(digest).is_file()
    }

    /// Opens the blob `descriptor` references for reading. The reader checks
    /// the content against the descriptor's size and digest as it goes and
    /// never reads past `size`.
    ///
    /// # Errors
    ///
    /// [`Error::BlobNotFound`]; [`Error::Verify`] when the file's size is not
    /// the descriptor's (checked before any read) or the digest's algorithm
    /// cannot be computed.
    pub fn open_blob(&self, descriptor: &Descriptor) -> Result<BlobReader> {
        let (file, _) = self.open_blob_file(descriptor)?;
        Ok(VerifyingReader::for_descriptor(file, descriptor)?)
    }

    /// Opens the file of the blob `descriptor` references, with its path,
    /// after checking its size; its content is for the caller to verify
    /// (as a blob writer's `commit_verified` does for a copy).
    ///
    /// # Errors
    ///
    /// As [`Layout::open_blob`].
    pub(crate) fn open_blob_file(&self, descriptor: &Descriptor) -> Result<(File, PathBuf)> {
        let path = self.blob_path(&descriptor.digest);
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(Error::BlobNotFound {
                    digest: descriptor.digest.clone(),
                });
            }
            Err(e) => return Err(Error::io("open", path)(e)),
        };
        let expected = descriptor.size_u64()?;
        let actual = file.metadata().map_err(Error::io("stat", &path))?.len();
        if actual != expected {
            return Err(Error::Verify(ocikit_image::Error::SizeMismatch {
                digest: descriptor.digest.clone(),
                expected,
                read: actual,
            }));
        }
        Ok((file, path))
    }

    /// Reads the whole blob `descriptor` references, verified, refusing one
    /// larger than `limit` bytes.
    ///
    /// # Errors
    ///
    /// As for [`Layout::open_blob`], plus [`Error::DocumentTooLarge`].
    pub fn read_blob(&self, descriptor: &Descriptor, limit: u64) -> Result<Vec<u8>> {
        self.read_blob_as(descriptor, limit, "blob read whole")
    }

    /// [`Layout::read_blob`], naming `kind` (what the blob is read as) when
    /// it is too large.
    pub(crate) fn read_blob_as(
        &self,
        descriptor: &Descriptor,
        limit: u64,
        kind: &'static str,
    ) -> Result<Vec<u8>> {
        let size = descriptor.size_u64()?;
        if size > limit {
            return Err(Error::DocumentTooLarge {
                digest: descriptor.digest.clone(),
                size,
                limit,
                kind,
            });
        }
        let mut reader = self.open_blob(descriptor)?;
        let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
        reader
            .read_to_end(&mut bytes)
            .map_err(|e| Error::from_blob_read(self.blob_path(&descriptor.digest), e))?;
        Ok(bytes)
    }

    /// Every blob file in the layout: each `blobs/<algorithm>/<encoded>`
    /// whose name parses as a digest, in no particular order. Temporary
    /// files and names that are not digests are skipped. Symbolic links
    /// to directories are followed, as every read follows them.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when a directory cannot be read.
    pub fn list_blobs(&self) -> Result<Vec<Digest>> {
        let dirs = BlobDirs::open(self, Access::Read)?;
        Ok(dirs.blobs()?.into_iter().map(|(d, _, _)| d).collect())
    }

    /// Refreshes the modification time of the blob with `digest`, so that
    /// gc's grace period protects it as if it were new: a writer that
    /// re-uses a blob already in the layout without writing it again calls
    /// this before referencing it (see the `# Concurrency` section of
    /// [`Layout::gc`]). Returns `false` when the blob is not there, or its
    /// file is a symbolic link, whose target is not the layout's to change
    /// (then it must be written: the new copy replaces the link).
    ///
    /// # Errors
    ///
    /// [`Error::SymlinkRefused`] when `blobs` or `blobs/<alg>` is a
    /// symbolic link; [`Error::Io`] when the blob exists but its time
    /// cannot be changed (the file is not writable by this user), or the
    /// blobs lock fails.
    pub fn touch_blob(&self, digest: &Digest) -> Result<bool> {
        let _gc = self.lock_blobs(false)?;
        match self.algorithm_dir_to_change(digest, "refresh the time of a blob")? {
            Some(dir) => refresh_blob(&dir, digest),
            None => Ok(false),
        }
    }

    /// Removes the blob with `digest`, if present. Used by gc; removing a
    /// blob that something references breaks the layout.
    ///
    /// # Errors
    ///
    /// [`Error::SymlinkRefused`] when `blobs` or `blobs/<alg>` is a
    /// symbolic link (nothing is removed outside the layout's own
    /// directories); [`Error::Io`] when the file exists but cannot be
    /// removed.
    pub fn remove_blob(&self, digest: &Digest) -> Result<bool> {
        match self.algorithm_dir_to_change(digest, "remove a blob")? {
            Some(dir) => dir.remove_file(digest.encoded()),
            None => Ok(false),
        }
    }
}

/// Sets the modification time of the blob with `digest` in its algorithm
/// directory `dir` to now; `Ok(false)` when it is not there or is a
/// symbolic link. The caller holds the blobs lock.
fn refresh_blob(dir: &Dir, digest: &Digest) -> Result<bool> {
    match dir.open_for_write(digest.encoded())? {
        Some(file) => file
            .set_modified(SystemTime::now())
            .map(|()| true)
            .map_err(Error::io(
                "set the modification time of",
                dir.join(digest.encoded()),
            )),
        None => Ok(false),
    }
}

impl BlobWriter {
    /// The number of bytes written so far.
    pub fn bytes_written(&self) -> u64 {
        self.written
    }

    /// Makes the blob durable and visible: flush and fsync the temporary
    /// file, rename it to its digest's name, fsync the directory. When the
    /// blob is already there it is not rewritten: the temporary file is
    /// dropped and the existing file's modification time refreshed, so a gc
    /// grace period protects it as if it were new.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when a step fails; the temporary file is removed then.
    pub fn commit(mut self) -> Result<BlobInfo> {
        let digest = self.digest()?;
        self.store(digest, self.written)
    }

    /// Like [`commit`](BlobWriter::commit), but only when what was written
    /// has `expected`'s digest and size.
    ///
    /// # Errors
    ///
    /// [`Error::CommitMismatch`] when it does not; the temporary file is
    /// removed and nothing is stored.
    pub fn commit_verified(mut self, expected: &Descriptor) -> Result<BlobInfo> {
        let size = self.written;
        let found = self.digest()?;
        let expected_size = expected.size_u64()?;
        if found != expected.digest || size != expected_size {
            // `self` drops here and removes the temporary file.
            return Err(Error::CommitMismatch {
                expected: expected.digest.clone(),
                expected_size,
                found,
                size,
            });
        }
        self.store(found, size)
    }

    /// Writes and hashes what is pending, and returns the digest of every
    /// byte accepted.
    fn digest(&mut self) -> Result<Digest> {
        self.drain().map_err(Error::io("write", &self.temp))?;
        // The hasher is spent here: an empty one takes its place for the
        // rest of the writer's short life.
        let hasher = std::mem::replace(&mut self.hasher, Hasher::Inline(Digester::sha256()));
        hasher.finish().map_err(Error::io("hash", &self.temp))
    }

    /// Writes the pending batch to the file and hands it to the hasher.
    fn drain(&mut self) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let file = self.file.as_mut().ok_or_else(committed)?;
        file.write_all(&self.pending)?;
        if self.written > HASH_THREAD_AFTER {
            self.hasher.offload("blob-hash");
        }
        let batch = std::mem::take(&mut self.pending);
        self.pending = self.hasher.update_owned(batch)?;
        Ok(())
    }

    fn store(&mut self, digest: Digest, size: u64) -> Result<BlobInfo> {
        let file = self.file.take();
        let synced = match file {
            // The modification time is set to now so that the blob, once
            // renamed into place, is young for gc's grace period even when
            // the last write was long before this commit.
            Some(file) => file
                .set_modified(SystemTime::now())
                .and_then(|()| file.sync_all())
                .map_err(Error::io("write", &self.temp)),
            None => Ok(()),
        };
        let result = synced.and_then(|()| self.place(&digest));
        if result.is_err() || matches!(result, Ok(true)) {
            let _ = self.blobs.remove_file(&self.temp_name);
        }
        let existed = result?;
        Ok(BlobInfo {
            digest,
            size,
            existed,
        })
    }

    /// Renames the temporary file into place; `Ok(true)` when the blob was
    /// already there and the temporary file is to be dropped instead.
    ///
    /// Both happen under the shared blobs lock, so that a gc sweeping at the
    /// same moment cannot remove an existing blob between its refresh and
    /// this commit's return. An existing blob whose time cannot be refreshed
    /// (a read-only file from another tool, or a symbolic link) is replaced
    /// by the new copy.
    fn place(&self, digest: &Digest) -> Result<bool> {
        let _gc = self.layout.lock_blobs(false)?;
        let dir = self.blobs.create_dir(digest.algorithm().as_str(), WRITE)?;
        if matches!(refresh_blob(&dir, digest), Ok(true)) {
            return Ok(true);
        }
        self.blobs.rename(&self.temp_name, &dir, digest.encoded())?;
        dir.sync()?;
        Ok(false)
    }
}

impl Write for BlobWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.file.is_none() {
            return Err(committed());
        }
        if self.pending.len() >= BATCH {
            self.drain()?;
        }
        if self.pending.capacity() < BATCH {
            self.pending.reserve_exact(BATCH - self.pending.len());
        }
        let room = BATCH - self.pending.len();
        let taken = buf.get(..room).unwrap_or(buf);
        self.pending.extend_from_slice(taken);
        self.written += taken.len() as u64;
        Ok(taken.len())
    }

    /// Writes what is pending to the temporary file (durability comes with
    /// the commit).
    fn flush(&mut self) -> io::Result<()> {
        if self.file.is_none() {
            return Ok(());
        }
        self.drain()
    }
}

fn committed() -> io::Error {
    io::Error::other("blob writer already committed")
}

impl Drop for BlobWriter {
    fn drop(&mut self) {
        // Only an uncommitted writer still has its temporary file.
        if self.file.is_some() {
            let _ = self.blobs.remove_file(&self.temp_name);
        }
    }
}

impl std::fmt::Debug for BlobWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlobWriter")
            .field("temp", &self.temp)
            .field("bytes_written", &self.written)
            .finish()
    }
}
