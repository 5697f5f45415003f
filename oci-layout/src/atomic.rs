//! Crash-safe replacement of one file: the content goes to a temporary file
//! beside the target, which is fsynced, renamed over the target, and whose
//! directory is fsynced, so that the target holds the old content or the
//! new one, never a mix, even after a crash or beside a concurrent reader.
//!
//! This is the one implementation of that step in the toolkit: the store
//! replaces `index.json` and `oci-layout` with it, ocikit-convert a
//! bundle's `config.json`, its record and a saved baseline, and the `oci`
//! tool the archives it exports. Temporary names are unique per call
//! (process id, a counter and the clock), so two threads or processes
//! writing the same target never touch each other's temporary file; the
//! last rename wins, whole.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};

use crate::fsutil::{parent, sync_dir, unique_temp_name};
use crate::{Error, Result};

/// A file being written under a temporary name, which [`AtomicFile::commit`]
/// renames over its target.
///
/// Dropped without a commit (an error on the way, a panic), it removes its
/// temporary file and leaves the target as it was.
///
/// ```
/// use std::io::Write;
/// use ocikit_layout::AtomicFile;
/// # let dir = tempfile::tempdir()?;
/// let path = dir.path().join("config.json");
/// std::fs::write(&path, "old")?;
///
/// let mut file = AtomicFile::create(&path)?;
/// file.write_all(b"new")?;
/// assert_eq!(std::fs::read(&path)?, b"old");   // nothing visible before the commit
/// file.commit()?;
/// assert_eq!(std::fs::read(&path)?, b"new");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
#[must_use = "nothing reaches the target unless the file is committed"]
pub struct AtomicFile {
    file: File,
    temp: PathBuf,
    target: PathBuf,
    /// Set by [`AtomicFile::commit`] once the temporary name is gone.
    committed: bool,
}

impl AtomicFile {
    /// Starts replacing `target`, with permission bits `0o666` less the
    /// umask for a new file, as [`File::create`] would.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] naming `target` when the temporary file beside it
    /// cannot be created (for example, its directory does not exist).
    pub fn create(target: impl Into<PathBuf>) -> Result<AtomicFile> {
        Self::create_with_mode(target, 0o666)
    }

    /// Starts replacing `target`, with permission bits `mode` less the
    /// umask.
    ///
    /// # Errors
    ///
    /// As [`AtomicFile::create`].
    pub fn create_with_mode(target: impl Into<PathBuf>, mode: u32) -> Result<AtomicFile> {
        let target = target.into();
        if target.file_name().is_none() {
            return Err(Error::io("write", &target)(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the path does not name a file",
            )));
        }
        let dir = parent(&target);
        loop {
            let temp = dir.join(unique_temp_name("write"));
            match OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(mode)
                .open(&temp)
            {
                Ok(file) => {
                    return Ok(AtomicFile {
                        file,
                        temp,
                        target,
                        committed: false,
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                // Named by the target: the temporary name means nothing to
                // whoever asked for the file.
                Err(e) => return Err(Error::io("create a temporary file for", &target)(e)),
            }
        }
    }

    /// The path that [`AtomicFile::commit`] replaces.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// The open temporary file, for callers that write through `&File`.
    pub fn file(&self) -> &File {
        &self.file
    }

    /// Makes the content durable and visible: fsync, rename over the
    /// target, fsync the directory.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] naming the step and the target. After a failed fsync
    /// or rename the target is unchanged and the temporary file removed;
    /// after a failed directory fsync the new content is in place but may
    /// not survive a crash.
    pub fn commit(mut self) -> Result<()> {
        self.file
            .sync_all()
            .map_err(Error::io("fsync the temporary file for", &self.target))?;
        fs::rename(&self.temp, &self.target).map_err(Error::io("rename into", &self.target))?;
        // The temporary name is gone: nothing for Drop to remove.
        self.committed = true;
        sync_dir(parent(&self.target))
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.file.write(buf)
    }

    fn write_vectored(&mut self, bufs: &[io::IoSlice<'_>]) -> io::Result<usize> {
        self.file.write_vectored(bufs)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Seeking within the temporary file, for writers that rewrite what they
/// wrote before (a docker-archive export fills in a header's size).
impl Seek for AtomicFile {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.file.seek(pos)
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_file(&self.temp);
        }
    }
}

/// Replaces `path` with `bytes` crash-safely (see [`AtomicFile`]); a new
/// file gets permission bits `0o666` less the umask.
///
/// # Errors
///
/// [`Error::Io`] naming the step that failed and `path`; `path` is then
/// unchanged.
pub fn write_atomic(path: impl Into<PathBuf>, bytes: &[u8]) -> Result<()> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(bytes)
        .map_err(Error::io("write the temporary file for", file.target()))?;
    file.commit()
}
