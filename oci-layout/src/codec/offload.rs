//! The diff_id hash in a thread of its own: when worker threads compress a
//! layer, the thread that walks the tree and writes the tar stream is the
//! one that bounds the build, so the SHA-256 of the tar stream (about a
//! tenth of the work at zstd level 3) moves off it.

use std::io;
use std::sync::mpsc;
use std::thread::JoinHandle;

use ocikit_image::digester::Digester;
use ocikit_image::{Algorithm, Digest};

use super::CodecError;

/// Bytes handed to the hashing thread at once.
const BATCH: usize = 256 * 1024;

/// Batches queued for the hashing thread: bounds memory to a few MiB.
const QUEUE: usize = 4;

/// A [`Digester`], in the calling thread or in a thread of its own.
pub(crate) enum DiffIdHasher {
    /// In the calling thread.
    Inline(Digester),
    /// In a hashing thread fed with batches of [`BATCH`] bytes.
    Thread(Offloaded),
}

/// The hashing thread and the batch being filled.
pub(crate) struct Offloaded {
    batch: Vec<u8>,
    bytes: u64,
    batches: Option<mpsc::SyncSender<Vec<u8>>>,
    /// Emptied batches coming back, to be filled again.
    spares: mpsc::Receiver<Vec<u8>>,
    thread: Option<JoinHandle<Digester>>,
}

impl DiffIdHasher {
    /// Hashes with `algorithm` in a thread of its own if `offload`, and in
    /// the calling thread otherwise (or if the thread cannot start).
    ///
    /// # Errors
    ///
    /// [`CodecError::Digest`] when this build cannot compute `algorithm`.
    pub(crate) fn new(algorithm: &Algorithm, offload: bool) -> Result<DiffIdHasher, CodecError> {
        let digester = Digester::new(algorithm)?;
        if !offload {
            return Ok(DiffIdHasher::Inline(digester));
        }
        let (batches, queue) = mpsc::sync_channel::<Vec<u8>>(QUEUE);
        let (give_back, spares) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("diff-id".to_owned())
            .spawn(move || {
                let mut digester = digester;
                for mut batch in queue {
                    digester.update(&batch);
                    batch.clear();
                    // The writer may be gone already: then it wants no more.
                    let _ = give_back.send(batch);
                }
                digester
            });
        Ok(match spawned {
            Ok(thread) => DiffIdHasher::Thread(Offloaded {
                batch: Vec::with_capacity(BATCH),
                bytes: 0,
                batches: Some(batches),
                spares,
                thread: Some(thread),
            }),
            // The digester went into the closure that never ran.
            Err(_) => DiffIdHasher::Inline(Digester::new(algorithm)?),
        })
    }

    /// Adds `data` to the hash.
    pub(crate) fn update(&mut self, data: &[u8]) -> io::Result<()> {
        match self {
            DiffIdHasher::Inline(digester) => {
                digester.update(data);
                Ok(())
            }
            DiffIdHasher::Thread(t) => {
                t.bytes += data.len() as u64;
                let mut data = data;
                while !data.is_empty() {
                    let room = BATCH - t.batch.len();
                    let (part, rest) = data.split_at(room.min(data.len()));
                    t.batch.extend_from_slice(part);
                    data = rest;
                    if t.batch.len() == BATCH {
                        t.send()?;
                    }
                }
                Ok(())
            }
        }
    }

    /// How many bytes were hashed.
    pub(crate) fn bytes(&self) -> u64 {
        match self {
            DiffIdHasher::Inline(digester) => digester.bytes(),
            DiffIdHasher::Thread(t) => t.bytes,
        }
    }

    /// The digest of every byte added.
    ///
    /// # Errors
    ///
    /// When the hashing thread stopped (it panicked).
    pub(crate) fn finish(self) -> io::Result<Digest> {
        match self {
            DiffIdHasher::Inline(digester) => Ok(digester.finish()),
            DiffIdHasher::Thread(mut t) => {
                if !t.batch.is_empty() {
                    t.send()?;
                }
                t.batches = None;
                let thread = t.thread.take().ok_or_else(hashing_stopped)?;
                let digester = thread.join().map_err(|_| hashing_stopped())?;
                Ok(digester.finish())
            }
        }
    }
}

impl Offloaded {
    /// Hands the full batch to the thread and takes an empty one.
    fn send(&mut self) -> io::Result<()> {
        let spare = self
            .spares
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(BATCH));
        let batch = std::mem::replace(&mut self.batch, spare);
        self.batches
            .as_ref()
            .ok_or_else(hashing_stopped)?
            .send(batch)
            .map_err(|_| hashing_stopped())
    }
}

impl Drop for Offloaded {
    fn drop(&mut self) {
        self.batches = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn hashing_stopped() -> io::Error {
    io::Error::other("the diff_id hashing thread stopped before the end of the layer")
}
