//! Block-parallel gzip writer: one gzip member (RFC 1952) whose deflate
//! stream (RFC 1951) is cut into fixed blocks of input compressed apart, so
//! that several threads can compress one layer and the bytes do not depend
//! on how many did.
//!
//! Each [`BLOCK`] of input is raw-deflated with the [`DICTIONARY`] bytes of
//! input before it as preset dictionary, and ends with a sync flush (an
//! empty stored block, which ends on a byte boundary); the last block, full
//! or not (it may be empty), ends the deflate stream instead. Concatenated,
//! the blocks are one ordinary deflate stream that every gzip decoder reads.
//! The block boundaries depend only on the input's length, and each block's
//! bytes only on its input, its dictionary and the level: the output is the
//! same with 0, 1 or 64 workers and however the input is split into writes.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;

use flate2::{Compress, Crc, FlushCompress, Status};

/// Input bytes per deflate block (pigz's default): large enough that the
/// per-block cost (a sync flush, a dictionary load) stays below 0.1%.
pub(crate) const BLOCK: usize = 128 * 1024;

/// The preset dictionary of a block: the last bytes of input before it,
/// deflate's whole window, so that matches may reach back as far as in one
/// stream.
const DICTIONARY: usize = 32 * 1024;

/// Blocks queued or being compressed per worker: enough to keep every
/// worker busy while the writer waits for the oldest, few enough to bound
/// memory (about 300 KiB per block).
const IN_FLIGHT_PER_WORKER: usize = 3;

/// The OS byte of the gzip headers we write: 255, "unknown" (RFC 1952),
/// as Go's `compress/gzip` writes it, rather than the building machine's.
const GZIP_OS_UNKNOWN: u8 = 255;

/// A [`Write`] adapter that gzips into an inner writer, with `workers`
/// threads (0: in the calling thread).
///
/// Threads are started when the first block is full, so a small input
/// never starts any. Call [`finish`](GzipWriter::finish): it writes the
/// last block and the trailer, and returns every error, including a
/// worker's. Dropping the writer stops and joins its threads and writes
/// nothing more.
pub(crate) struct GzipWriter<W: Write> {
    inner: W,
    level: u32,
    workers: usize,
    /// The input of the block being filled, up to [`BLOCK`] bytes.
    block: Vec<u8>,
    /// The last [`DICTIONARY`] bytes of input before `block`.
    dictionary: Vec<u8>,
    /// Buffers for the next block, without workers.
    spare: Spare,
    /// The CRC-32 and size of the input whose compressed bytes are written.
    crc: Crc,
    size: u64,
    /// The number of the next block handed to a compressor.
    next_block: u64,
    header_written: bool,
    engine: Engine,
}

/// Where blocks are compressed.
enum Engine {
    /// In the calling thread (no workers, or none needed yet).
    Inline,
    /// In worker threads.
    Pool(Pool),
}

impl<W: Write> GzipWriter<W> {
    /// A writer at deflate `level` (0 to 9, checked by the caller) with
    /// `workers` threads.
    pub(crate) fn new(inner: W, level: u32, workers: u32) -> Self {
        GzipWriter {
            inner,
            level,
            workers: usize::try_from(workers).unwrap_or(usize::MAX),
            block: Vec::new(),
            dictionary: Vec::new(),
            spare: Spare::default(),
            crc: Crc::new(),
            size: 0,
            next_block: 0,
            header_written: false,
            engine: Engine::Inline,
        }
    }

    /// The inner writer.
    pub(crate) fn get_ref(&self) -> &W {
        &self.inner
    }

    /// The inner writer. Writing to it directly corrupts the stream.
    pub(crate) fn get_mut(&mut self) -> &mut W {
        &mut self.inner
    }

    /// Compresses the last block, waits for every block, writes the
    /// trailer (CRC-32 and size of the input) and returns the inner writer,
    /// not flushed.
    ///
    /// # Errors
    ///
    /// Any error compressing a block, of a worker thread or of the inner
    /// writer.
    pub(crate) fn finish(mut self) -> io::Result<W> {
        let last = std::mem::take(&mut self.block);
        self.compress(last, true)?;
        while let Engine::Pool(pool) = &mut self.engine {
            if pool.in_flight() == 0 {
                pool.stop()?;
                break;
            }
            let done = pool.next_done()?;
            self.write_block(done)?;
        }
        let mut trailer = [0u8; 8];
        trailer[..4].copy_from_slice(&self.crc.sum().to_le_bytes());
        // ISIZE: the input size modulo 2^32 (RFC 1952).
        trailer[4..].copy_from_slice(&(self.size as u32).to_le_bytes());
        self.inner.write_all(&trailer)?;
        Ok(self.inner)
    }

    /// Hands a block to a compressor; in the calling thread its output is
    /// written at once, with workers as soon as the blocks before it are.
    fn compress(&mut self, input: Vec<u8>, last: bool) -> io::Result<()> {
        if !last && self.workers > 0 && matches!(self.engine, Engine::Inline) {
            self.engine = Engine::Pool(Pool::start(self.level, self.workers)?);
        }
        let spare = match &mut self.engine {
            Engine::Pool(pool) => pool.spares.pop().unwrap_or_default(),
            Engine::Inline => std::mem::take(&mut self.spare),
        };
        let dictionary = std::mem::take(&mut self.dictionary);
        self.dictionary = following_dictionary(&dictionary, &input, spare.dictionary);
        let job = Job {
            number: self.next_block,
            input,
            dictionary,
            output: spare.output,
            last,
        };
        self.next_block += 1;
        match &mut self.engine {
            Engine::Inline => {
                let done = run(self.level, job);
                self.write_block(done)?;
            }
            Engine::Pool(pool) => {
                self.block = spare.input;
                pool.send(job)?;
                // Write what is ready; wait while too many blocks are out.
                while let Engine::Pool(pool) = &mut self.engine
                    && let Some(done) = pool.ready(pool.in_flight() >= pool.limit)?
                {
                    self.write_block(done)?;
                }
            }
        }
        Ok(())
    }

    /// Writes a compressed block (and the header before the first one),
    /// adds its input to the CRC and size, and keeps its buffers.
    fn write_block(&mut self, mut done: Done) -> io::Result<()> {
        std::mem::replace(&mut done.result, Ok(()))?;
        if !self.header_written {
            self.inner.write_all(&header(self.level))?;
            self.header_written = true;
        }
        self.inner.write_all(&done.output)?;
        self.crc.combine(&done.crc);
        self.size += done.input.len() as u64;
        let spare = Spare {
            input: recycle(done.input),
            dictionary: recycle(done.dictionary),
            output: recycle(done.output),
        };
        match &mut self.engine {
            Engine::Pool(pool) if pool.spares.len() < pool.limit => pool.spares.push(spare),
            Engine::Pool(_) => {}
            Engine::Inline => {
                self.block = spare.input;
                self.spare.dictionary = spare.dictionary;
                self.spare.output = spare.output;
            }
        }
        Ok(())
    }
}

impl<W: Write> Write for GzipWriter<W> {
    /// Takes as much of `buf` as fits in the current block; a full block
    /// goes to a compressor.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.block.capacity() < BLOCK {
            self.block.reserve_exact(BLOCK - self.block.len());
        }
        let room = BLOCK - self.block.len();
        let part = buf.get(..room).unwrap_or(buf);
        self.block.extend_from_slice(part);
        if self.block.len() == BLOCK {
            let full = std::mem::take(&mut self.block);
            self.compress(full, false)?;
        }
        Ok(part.len())
    }

    /// Flushes the inner writer only: a deflate flush would make the bytes
    /// depend on when callers flush.
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The gzip header of RFC 1952 as `gzip -n` writes it: no name, mtime 0,
/// XFL 2 for the best level and 4 for the fastest, OS 255.
fn header(level: u32) -> [u8; 10] {
    let xfl = match level {
        9.. => 2,
        ..=1 => 4,
        _ => 0,
    };
    [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, GZIP_OS_UNKNOWN]
}

/// The dictionary of the block after `input`: the last [`DICTIONARY`]
/// bytes of `previous` (the dictionary of `input`) then `input`, built in
/// `buffer`.
fn following_dictionary(previous: &[u8], input: &[u8], mut buffer: Vec<u8>) -> Vec<u8> {
    buffer.clear();
    if input.len() < DICTIONARY {
        let start = previous.len().saturating_sub(DICTIONARY - input.len());
        buffer.extend_from_slice(previous.get(start..).unwrap_or_default());
    }
    let start = input.len().saturating_sub(DICTIONARY);
    buffer.extend_from_slice(input.get(start..).unwrap_or_default());
    buffer
}

/// An emptied buffer that keeps its capacity.
fn recycle(mut buffer: Vec<u8>) -> Vec<u8> {
    buffer.clear();
    buffer
}

/// Buffers of a written block, for a later one.
#[derive(Default)]
struct Spare {
    input: Vec<u8>,
    dictionary: Vec<u8>,
    output: Vec<u8>,
}

/// A block to compress: its input and dictionary, and a buffer to compress
/// into.
struct Job {
    number: u64,
    input: Vec<u8>,
    dictionary: Vec<u8>,
    output: Vec<u8>,
    last: bool,
}

/// A compressed block, with its input's CRC-32 and the job's buffers.
struct Done {
    number: u64,
    input: Vec<u8>,
    dictionary: Vec<u8>,
    output: Vec<u8>,
    crc: Crc,
    result: io::Result<()>,
}

/// Compresses a block at `level`.
fn run(level: u32, job: Job) -> Done {
    let mut crc = Crc::new();
    crc.update(&job.input);
    let mut output = job.output;
    let result =
        deflate_block(level, &job.dictionary, &job.input, job.last, &mut output).map_err(|what| {
            io::Error::other(format!(
                "gzip block {} ({} input bytes): deflate {what}",
                job.number,
                job.input.len()
            ))
        });
    Done {
        number: job.number,
        input: job.input,
        dictionary: job.dictionary,
        output,
        crc,
        result,
    }
}

/// Raw-deflates `input` into `output` with `dictionary` as preset
/// dictionary, ending with a sync flush, or the end of the stream if
/// `last`. The error says what deflate did wrong.
fn deflate_block(
    level: u32,
    dictionary: &[u8],
    input: &[u8],
    last: bool,
    output: &mut Vec<u8>,
) -> Result<(), String> {
    // A fresh compressor for every block, never one reset after another
    // block: zlib-rs looks at window bytes past the end of the input when
    // it chooses between equally long matches there, and after a reset
    // those bytes are what the previous block left, so the output would
    // depend on which block a worker compressed before.
    let mut deflate = Compress::new(flate2::Compression::new(level), false);
    if !dictionary.is_empty() {
        deflate
            .set_dictionary(dictionary)
            .map_err(|e| format!("refused the preset dictionary: {e}"))?;
    }
    let flush = if last {
        FlushCompress::Finish
    } else {
        FlushCompress::Sync
    };
    output.clear();
    // deflate's bound for incompressible input, plus the flush markers.
    output.reserve(input.len() + input.len() / 1000 + 64);
    let start = deflate.total_in();
    loop {
        let consumed = usize::try_from(deflate.total_in() - start).unwrap_or(usize::MAX);
        let rest = input.get(consumed..).unwrap_or_default();
        let before = (deflate.total_in(), output.len());
        let status = deflate
            .compress_vec(rest, output, flush)
            .map_err(|e| format!("failed: {e}"))?;
        let all_in = deflate.total_in() - start == input.len() as u64;
        let room_left = output.len() < output.capacity();
        match status {
            Status::StreamEnd => return Ok(()),
            // A sync flush is complete when deflate stops with room left.
            _ if !last && all_in && room_left => return Ok(()),
            Status::BufError if room_left && before == (deflate.total_in(), output.len()) => {
                return Err("made no progress".to_owned());
            }
            _ => output.reserve(output.capacity().max(1024)),
        }
    }
}

/// Worker threads taking blocks from one queue, and the blocks they
/// finished ahead of their turn. Dropping it stops and joins the threads.
struct Pool {
    jobs: Option<mpsc::Sender<Job>>,
    done: mpsc::Receiver<Done>,
    threads: Vec<JoinHandle<()>>,
    /// Blocks sent, and blocks returned in order.
    sent: u64,
    returned: u64,
    /// Blocks finished before the ones before them, by number.
    early: BTreeMap<u64, Done>,
    /// The most blocks out at once.
    limit: usize,
    /// Buffers of written blocks.
    spares: Vec<Spare>,
}

impl Pool {
    fn start(level: u32, workers: usize) -> io::Result<Pool> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        let (finished, done) = mpsc::channel();
        let mut pool = Pool {
            jobs: Some(jobs),
            done,
            threads: Vec::with_capacity(workers),
            sent: 0,
            returned: 0,
            early: BTreeMap::new(),
            limit: workers.saturating_mul(IN_FLIGHT_PER_WORKER),
            spares: Vec::new(),
        };
        for n in 0..workers {
            let queue = Arc::clone(&queue);
            let finished = finished.clone();
            let thread = std::thread::Builder::new()
                .name(format!("gzip-{n}"))
                .spawn(move || work(level, &queue, &finished))
                .map_err(|e| io::Error::new(e.kind(), format!("starting gzip worker {n}: {e}")))?;
            pool.threads.push(thread);
        }
        Ok(pool)
    }

    fn in_flight(&self) -> usize {
        usize::try_from(self.sent - self.returned).unwrap_or(usize::MAX)
    }

    fn send(&mut self, job: Job) -> io::Result<()> {
        let sent = self.jobs.as_ref().map(|jobs| jobs.send(job));
        match sent {
            Some(Ok(())) => {
                self.sent += 1;
                Ok(())
            }
            _ => Err(self.stopped()),
        }
    }

    /// The next block in order if it is finished; with `wait`, waits for it.
    fn ready(&mut self, wait: bool) -> io::Result<Option<Done>> {
        loop {
            if let Some(done) = self.early.remove(&self.returned) {
                self.returned += 1;
                return Ok(Some(done));
            }
            if self.returned == self.sent {
                return Ok(None);
            }
            let done = if wait {
                self.done.recv().map_err(|_| self.stopped())?
            } else {
                match self.done.try_recv() {
                    Ok(done) => done,
                    Err(mpsc::TryRecvError::Empty) => return Ok(None),
                    Err(mpsc::TryRecvError::Disconnected) => return Err(self.stopped()),
                }
            };
            self.early.insert(done.number, done);
        }
    }

    /// The next block in order, waiting for it.
    fn next_done(&mut self) -> io::Result<Done> {
        self.ready(true)?.ok_or_else(|| self.stopped())
    }

    /// The error when the workers are gone before their work is done.
    fn stopped(&self) -> io::Error {
        io::Error::other(format!(
            "gzip worker threads stopped before block {} was compressed",
            self.returned
        ))
    }

    /// Closes the queue and joins every worker.
    fn stop(&mut self) -> io::Result<()> {
        self.jobs = None;
        let mut result = Ok(());
        for thread in self.threads.drain(..) {
            let name = thread.thread().name().unwrap_or("gzip").to_owned();
            if thread.join().is_err() && result.is_ok() {
                result = Err(io::Error::other(format!("{name} worker thread panicked")));
            }
        }
        result
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        // After an error or without finish the stream is incomplete anyway;
        // what matters is that no thread outlives the writer.
        let _ = self.stop();
    }
}

/// A worker: compresses blocks from `queue` until it is closed or nobody
/// waits for the results.
fn work(level: u32, queue: &Mutex<mpsc::Receiver<Job>>, finished: &mpsc::Sender<Done>) {
    loop {
        let job = match queue.lock() {
            Ok(queue) => match queue.recv() {
                Ok(job) => job,
                Err(_) => return,
            },
            Err(_) => return,
        };
        if finished.send(run(level, job)).is_err() {
            return;
        }
    }
}
