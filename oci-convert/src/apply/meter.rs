//! Resource limits as reader adapters: the uncompressed tar stream is
//! metered as it is read, so a limit stops a bomb while it is being read,
//! not after it was written out.

use std::cell::{Cell, RefCell};
use std::io::{self, Read};
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ocikit_layout::progress::Tracker;

use crate::{Error, Limits};

/// Counts the bytes read through it into a shared counter: the compressed
/// side of a layer, for the expansion ratio. The counter is atomic because
/// the compressed side is read on the read-ahead thread.
pub(crate) struct Count<R> {
    pub(crate) inner: R,
    pub(crate) count: Arc<AtomicU64>,
}

impl<R: Read> Read for Count<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// The shared state of a [`Meter`]: what the applier reads and marks.
#[derive(Debug)]
pub(crate) struct Gauge {
    /// Told the bytes read (compressed ones when the stream is compressed)
    /// and each entry, for progress reports.
    pub(crate) tracker: Tracker,
    /// Uncompressed bytes read so far.
    pub(crate) bytes: Cell<u64>,
    /// `bytes` when the applier asked tar for the next entry: what tar
    /// reads from there until it yields the entry is headers and extension
    /// records, held in memory.
    pub(crate) mark: Cell<u64>,
    /// Whether tar is reading headers now (between the two calls below).
    pub(crate) in_headers: Cell<bool>,
    /// The bytes tar read since `mark`: the raw header blocks, PAX records
    /// and GNU long names of the entry it yields next (see `pax.rs`).
    pub(crate) headers: RefCell<Vec<u8>>,
}

impl Gauge {
    /// A gauge at the start of a stream, reporting to `tracker`.
    pub(crate) fn new(tracker: Tracker) -> Gauge {
        Gauge {
            tracker,
            bytes: Cell::new(0),
            mark: Cell::new(0),
            in_headers: Cell::new(false),
            headers: RefCell::new(Vec::new()),
        }
    }

    /// Tar is about to read the next entry's headers.
    pub(crate) fn begin_headers(&self) {
        self.mark.set(self.bytes.get());
        self.in_headers.set(true);
        self.headers.borrow_mut().clear();
    }

    /// Tar has yielded the entry; what follows is its data.
    pub(crate) fn end_headers(&self) {
        self.in_headers.set(false);
    }
}

/// The limit a [`Meter`] hit, carried inside an `io::Error` through the tar
/// reader and turned back into [`Error::LimitExceeded`] by [`limit_hit`].
#[derive(Debug)]
struct LimitHit(&'static str, &'static str, u64);

impl std::fmt::Display for LimitHit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} exceeds the limit of {}", self.0, self.2)
    }
}

impl std::error::Error for LimitHit {}

/// Meters the uncompressed stream against [`Limits`].
pub(crate) struct Meter<R> {
    pub(crate) inner: R,
    pub(crate) gauge: Rc<Gauge>,
    /// The compressed bytes read, when the stream comes from a blob. It
    /// runs ahead of the stream by the read-ahead's buffers, which makes
    /// the expansion ratio a little more lenient than exact, never stricter.
    pub(crate) compressed: Option<Arc<AtomicU64>>,
    pub(crate) limits: Limits,
}

impl<R: Read> Meter<R> {
    fn check(&self) -> Result<(), LimitHit> {
        let bytes = self.gauge.bytes.get();
        let l = &self.limits;
        if bytes > l.max_bytes {
            return Err(LimitHit("the uncompressed layer", "max_bytes", l.max_bytes));
        }
        if self.gauge.in_headers.get() && bytes - self.gauge.mark.get() > l.max_header_bytes {
            return Err(LimitHit(
                "the metadata of one entry",
                "max_header_bytes",
                l.max_header_bytes,
            ));
        }
        if let Some(compressed) = &self.compressed
            && bytes > l.ratio_grace_bytes
            && bytes / compressed.load(Ordering::Relaxed).max(1) > l.max_expansion_ratio
        {
            return Err(LimitHit(
                "the expansion ratio (uncompressed bytes per compressed byte)",
                "max_expansion_ratio",
                l.max_expansion_ratio,
            ));
        }
        Ok(())
    }
}

impl<R: Read> Read for Meter<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.gauge.bytes.set(self.gauge.bytes.get() + n as u64);
        let done = match &self.compressed {
            Some(compressed) => compressed.load(Ordering::Relaxed),
            None => self.gauge.bytes.get(),
        };
        self.gauge.tracker.set_bytes(done);
        if self.gauge.in_headers.get() {
            self.gauge.headers.borrow_mut().extend_from_slice(&buf[..n]);
        }
        self.check().map_err(io::Error::other)?;
        Ok(n)
    }
}

/// The limit error inside `err`, if a [`Meter`] raised it; also looks
/// through one level of wrapping, as the tar reader adds context.
pub(crate) fn limit_hit(err: &io::Error) -> Option<Error> {
    let mut source: Option<&(dyn std::error::Error + 'static)> = err.get_ref().map(|e| e as _);
    while let Some(e) = source {
        if let Some(LimitHit(what, field, limit)) = e.downcast_ref::<LimitHit>() {
            return Some(Error::LimitExceeded {
                what,
                field,
                limit: *limit,
            });
        }
        source = match e.downcast_ref::<io::Error>() {
            Some(io) => io.get_ref().map(|e| e as _),
            None => e.source(),
        };
    }
    None
}
