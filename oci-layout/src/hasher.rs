//! A digester in the calling thread or in a thread of its own. SHA-256 is
//! the largest share of the work of writing a blob into the page cache, or
//! of producing a layer's tar stream while workers compress it: in a thread
//! of its own it overlaps the writing instead of adding to it. Batches go
//! to the thread through a bounded queue and come back to be filled again,
//! so memory stays at a few batches whatever the size of the data.

use std::io;
use std::sync::mpsc;
use std::thread::JoinHandle;

use ocikit_image::digester::Digester;
use ocikit_image::{Algorithm, Digest};

/// Bytes handed to the hashing thread at once.
pub(crate) const BATCH: usize = 256 * 1024;

/// Batches queued for the hashing thread: bounds memory to a few batches.
const QUEUE: usize = 4;

/// A [`Digester`], in the calling thread or in a thread of its own.
pub(crate) enum Hasher {
    /// In the calling thread.
    Inline(Digester),
    /// In a hashing thread fed with batches of up to [`BATCH`] bytes.
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

impl Hasher {
    /// Hashes with `algorithm` in the calling thread (until
    /// [`offload`](Hasher::offload)).
    ///
    /// # Errors
    ///
    /// When this build cannot compute `algorithm`.
    pub(crate) fn new(algorithm: &Algorithm) -> ocikit_image::Result<Hasher> {
        Ok(Hasher::Inline(Digester::new(algorithm)?))
    }

    /// Moves the hashing into a thread of its own named `name`, from here
    /// on; it stays in the calling thread if it is there already or the
    /// thread cannot start.
    pub(crate) fn offload(&mut self, name: &str) {
        let Hasher::Inline(digester) = self else {
            return;
        };
        let bytes = digester.bytes();
        let mut in_thread = digester.clone();
        let (batches, queue) = mpsc::sync_channel::<Vec<u8>>(QUEUE);
        let (give_back, spares) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                for mut batch in queue {
                    in_thread.update(&batch);
                    batch.clear();
                    // The writer may be gone already: then it wants no more.
                    let _ = give_back.send(batch);
                }
                in_thread
            });
        if let Ok(thread) = spawned {
            *self = Hasher::Thread(Offloaded {
                batch: Vec::new(),
                bytes,
                batches: Some(batches),
                spares,
                thread: Some(thread),
            });
        }
    }

    /// Adds `data` to the hash.
    ///
    /// # Errors
    ///
    /// When the hashing thread stopped (it panicked).
    pub(crate) fn update(&mut self, data: &[u8]) -> io::Result<()> {
        match self {
            Hasher::Inline(digester) => {
                digester.update(data);
                Ok(())
            }
            Hasher::Thread(t) => {
                t.bytes += data.len() as u64;
                let mut data = data;
                while !data.is_empty() {
                    if t.batch.capacity() == 0 {
                        t.batch = t.spare();
                    }
                    let room = BATCH.saturating_sub(t.batch.len());
                    let (part, rest) = data.split_at(room.min(data.len()));
                    t.batch.extend_from_slice(part);
                    data = rest;
                    if t.batch.len() >= BATCH {
                        let full = std::mem::take(&mut t.batch);
                        t.send(full)?;
                    }
                }
                Ok(())
            }
        }
    }

    /// Adds the bytes of `batch` to the hash, taking the buffer itself
    /// rather than a copy; returns an empty buffer to fill again.
    ///
    /// # Errors
    ///
    /// When the hashing thread stopped (it panicked).
    pub(crate) fn update_owned(&mut self, mut batch: Vec<u8>) -> io::Result<Vec<u8>> {
        match self {
            Hasher::Inline(digester) => {
                digester.update(&batch);
                batch.clear();
                Ok(batch)
            }
            Hasher::Thread(t) => {
                // What `update` gathered goes first, to keep the order.
                if !t.batch.is_empty() {
                    let gathered = std::mem::take(&mut t.batch);
                    t.send(gathered)?;
                }
                t.bytes += batch.len() as u64;
                t.send(batch)?;
                Ok(t.spare())
            }
        }
    }

    /// How many bytes were hashed.
    pub(crate) fn bytes(&self) -> u64 {
        match self {
            Hasher::Inline(digester) => digester.bytes(),
            Hasher::Thread(t) => t.bytes,
        }
    }

    /// The digest of every byte added.
    ///
    /// # Errors
    ///
    /// When the hashing thread stopped (it panicked).
    pub(crate) fn finish(self) -> io::Result<Digest> {
        match self {
            Hasher::Inline(digester) => Ok(digester.finish()),
            Hasher::Thread(mut t) => {
                if !t.batch.is_empty() {
                    let last = std::mem::take(&mut t.batch);
                    t.send(last)?;
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
    /// Hands `batch` to the thread.
    fn send(&mut self, batch: Vec<u8>) -> io::Result<()> {
        self.batches
            .as_ref()
            .ok_or_else(hashing_stopped)?
            .send(batch)
            .map_err(|_| hashing_stopped())
    }

    /// An emptied batch back from the thread, or a new one.
    fn spare(&self) -> Vec<u8> {
        self.spares
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(BATCH))
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
    io::Error::other("the hashing thread stopped before the end of the data")
}
