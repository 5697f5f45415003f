//! The advisory locks of a layout, each a separate never-deleted file in
//! its root. `index.json.lock` serialises changes to `index.json` between
//! threads and processes (locking `index.json` itself would not work, since
//! each change replaces that file with a new one); `blobs.lock` keeps gc's
//! sweep apart from blob writers placing or refreshing a blob.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt as _;

use crate::{Error, Layout, Result};

/// Holds one of the layout's locks until dropped (the operating system also
/// releases it when the process dies, so a crash never leaves the layout
/// locked).
#[must_use = "the lock is released as soon as the guard is dropped"]
#[derive(Debug)]
pub struct IndexLock {
    /// `None` on a read-only file system, where nothing can change the
    /// layout and so nothing needs locking out.
    file: Option<File>,
}

/// The blobs lock has the same shape; only its file and users differ.
pub(crate) type BlobsLock = IndexLock;

impl Layout {
    /// The name of the lock file beside `index.json`.
    pub const LOCK_FILE: &'static str = "index.json.lock";

    /// The name of the lock file that keeps gc's sweep apart from writers.
    pub const BLOBS_LOCK_FILE: &'static str = "blobs.lock";

    /// Takes the index lock, waiting for any other holder. Readers need no
    /// lock (every change is an atomic replace); a read-modify-write of
    /// `index.json` does, and [`Layout::update_index`] takes it.
    ///
    /// On a read-only file system, where nothing can change `index.json`,
    /// the guard holds no lock (the lock file cannot be created there).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the lock file cannot be opened or locked.
    pub fn lock_index(&self) -> Result<IndexLock> {
        self.lock_file(Self::LOCK_FILE, true)
    }

    /// Takes the blobs lock, shared (writers) or exclusive (gc), waiting
    /// for a holder of the other kind (see the `# Concurrency` section of
    /// [`Layout::gc`]).
    pub(crate) fn lock_blobs(&self, exclusive: bool) -> Result<BlobsLock> {
        self.lock_file(Self::BLOBS_LOCK_FILE, exclusive)
    }

    fn lock_file(&self, name: &str, exclusive: bool) -> Result<IndexLock> {
        let path = self.path().join(name);
        // Never through a symbolic link: that would create or open a file
        // wherever the link points (O_NOFOLLOW fails with ELOOP there).
        let opened = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
            .open(&path);
        let file = match opened {
            Ok(file) => file,
            // A read-only file system: no writer can change the layout, so
            // readers that lock (gc's mark, a dry run) proceed unlocked,
            // and a write fails where it writes, naming that file.
            Err(e) if e.kind() == std::io::ErrorKind::ReadOnlyFilesystem => {
                return Ok(IndexLock { file: None });
            }
            Err(e) => {
                return Err(match std::fs::read_link(&path) {
                    Ok(target) => Error::SymlinkRefused {
                        path,
                        target,
                        action: "take the lock",
                    },
                    Err(_) => Error::io("open", &path)(e),
                });
            }
        };
        let locked = if exclusive {
            file.lock()
        } else {
            file.lock_shared()
        };
        locked.map_err(Error::io("lock", &path))?;
        Ok(IndexLock { file: Some(file) })
    }
}

impl Drop for IndexLock {
    fn drop(&mut self) {
        // Closing the file releases the lock too; unlocking first makes the
        // release immediate even if the descriptor is somehow shared.
        if let Some(file) = &self.file {
            let _ = file.unlock();
        }
    }
}
