//! The advisory lock that serialises changes to `index.json` between
//! threads and processes. It is a separate, never-deleted file
//! (`index.json.lock`): locking `index.json` itself would not work, since
//! each change replaces that file with a new one.

use std::fs::{File, OpenOptions};

use crate::{Error, Layout, Result};

/// Holds the layout's index lock until dropped (the operating system also
/// releases it when the process dies, so a crash never leaves the layout
/// locked).
#[must_use = "the lock is released as soon as the guard is dropped"]
#[derive(Debug)]
pub struct IndexLock {
    file: File,
}

impl Layout {
    /// The name of the lock file beside `index.json`.
    pub const LOCK_FILE: &'static str = "index.json.lock";

    /// Takes the index lock, waiting for any other holder. Readers need no
    /// lock (every change is an atomic replace); a read-modify-write of
    /// `index.json` does, and [`Layout::update_index`] takes it.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the lock file cannot be opened or locked.
    pub fn lock_index(&self) -> Result<IndexLock> {
        let path = self.path().join(Self::LOCK_FILE);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(Error::io("open", &path))?;
        file.lock().map_err(Error::io("lock", &path))?;
        Ok(IndexLock { file })
    }
}

impl Drop for IndexLock {
    fn drop(&mut self) {
        // Closing the file releases the lock too; unlocking first makes the
        // release immediate even if the descriptor is somehow shared.
        let _ = self.file.unlock();
    }
}
