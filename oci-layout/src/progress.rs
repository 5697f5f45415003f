//! Progress of long operations (import, export, unpack, build, repack) for
//! a caller that draws its own bar: a [`Progress`] callback handle that
//! options carry, and the [`Tracker`] that an operation reports through.

use std::cell::Cell;
use std::fmt;
use std::sync::Arc;

/// How far an operation has got: what it is doing now, and how much of it
/// is done, with the totals when they are known in advance.
///
/// The counts only grow during one task; a new `task` text starts a new
/// step (the next layer of an unpack, say), whose counts may carry on from
/// the last one's or start again, as the operation documents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Status<'a> {
    /// What is being done, for display: `unpack layer 2/3`, `export`.
    pub task: &'a str,
    /// Bytes done: read from a blob or an archive, or written to one.
    pub bytes: u64,
    /// Bytes in all, when known.
    pub total_bytes: Option<u64>,
    /// Entries done: tar entries, files, blobs.
    pub entries: u64,
    /// Entries in all, when known.
    pub total_entries: Option<u64>,
}

impl<'a> Status<'a> {
    /// A status with nothing done and no totals.
    pub fn new(task: &'a str) -> Status<'a> {
        Status {
            task,
            bytes: 0,
            total_bytes: None,
            entries: 0,
            total_entries: None,
        }
    }
}

/// The callback type a [`Progress`] holds.
type Callback = dyn Fn(&Status<'_>) + Send + Sync;

/// Where an operation reports its progress: a callback, or nowhere (the
/// default). Cloning shares the callback.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use ocikit_layout::progress::{Progress, Status, Tracker};
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let log = seen.clone();
/// let progress = Progress::new(move |status: &Status<'_>| {
///     log.lock().unwrap().push((status.task.to_string(), status.bytes));
/// });
///
/// let tracker = Tracker::new(&progress, "copy", Some(3 << 20), None);
/// tracker.add_bytes(3 << 20);
/// tracker.finish();
/// assert_eq!(seen.lock().unwrap().last(), Some(&("copy".to_string(), 3 << 20)));
/// ```
#[derive(Clone, Default)]
pub struct Progress(Option<Arc<Callback>>);

impl Progress {
    /// Reports to `callback`. It is called from the thread doing the work,
    /// often (about every [`Tracker::BYTES_STEP`] bytes and every entry),
    /// so it should be quick: a bar redraws on a timer of its own.
    pub fn new(callback: impl Fn(&Status<'_>) + Send + Sync + 'static) -> Progress {
        Progress(Some(Arc::new(callback)))
    }

    /// Reports nowhere.
    pub fn none() -> Progress {
        Progress(None)
    }

    /// Whether reports go nowhere.
    pub fn is_none(&self) -> bool {
        self.0.is_none()
    }

    /// Passes `status` to the callback, if there is one.
    pub fn report(&self, status: &Status<'_>) {
        if let Some(callback) = &self.0 {
            callback(status);
        }
    }

    /// A progress that reports to this one with `task` instead of the
    /// task it is given, and `bytes_before`/`entries_before` added to the
    /// counts, and `total_bytes`/`total_entries` as the totals: a step of
    /// a larger operation (one layer of an unpack) reports in the terms of
    /// the whole.
    pub fn step(
        &self,
        task: impl Into<String>,
        bytes_before: u64,
        entries_before: u64,
        total_bytes: Option<u64>,
        total_entries: Option<u64>,
    ) -> Progress {
        let Some(outer) = self.0.clone() else {
            return Progress::none();
        };
        let task = task.into();
        Progress::new(move |status: &Status<'_>| {
            outer(&Status {
                task: &task,
                bytes: bytes_before + status.bytes,
                total_bytes,
                entries: entries_before + status.entries,
                total_entries,
            })
        })
    }
}

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self.0 {
            Some(_) => "Progress(callback)",
            None => "Progress(none)",
        })
    }
}

/// Two handles are equal when both report nowhere or both share one
/// callback.
impl PartialEq for Progress {
    fn eq(&self, other: &Progress) -> bool {
        match (&self.0, &other.0) {
            (None, None) => true,
            (Some(a), Some(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl Eq for Progress {}

/// A panic inside an operation leaves at worst the callback's own state
/// half-updated (a bar drawn wrong); options holding a [`Progress`] stay
/// usable across `catch_unwind`, as they were before they held one.
impl std::panic::RefUnwindSafe for Progress {}
impl std::panic::UnwindSafe for Progress {}

/// The counts of one running task, reported to a [`Progress`] as they
/// grow: after every entry, after every [`Tracker::BYTES_STEP`] bytes, and
/// once more by [`Tracker::finish`]. Shared by reference within the one
/// thread doing the work.
#[derive(Debug)]
pub struct Tracker {
    progress: Progress,
    task: String,
    total_bytes: Option<u64>,
    total_entries: Option<u64>,
    bytes: Cell<u64>,
    entries: Cell<u64>,
    reported_bytes: Cell<u64>,
}

impl Tracker {
    /// Bytes between two reports when no entry is finished in between.
    pub const BYTES_STEP: u64 = 256 << 10;

    /// A tracker of `task` reporting to `progress`, with nothing done yet.
    pub fn new(
        progress: &Progress,
        task: &str,
        total_bytes: Option<u64>,
        total_entries: Option<u64>,
    ) -> Tracker {
        Tracker {
            progress: progress.clone(),
            task: task.to_string(),
            total_bytes,
            total_entries,
            bytes: Cell::new(0),
            entries: Cell::new(0),
            reported_bytes: Cell::new(0),
        }
    }

    /// A tracker that reports nowhere.
    pub fn none() -> Tracker {
        Tracker::new(&Progress::none(), "", None, None)
    }

    /// Adds `n` bytes done; reports when [`Tracker::BYTES_STEP`] have
    /// passed since the last report.
    pub fn add_bytes(&self, n: u64) {
        self.set_bytes(self.bytes.get() + n);
    }

    /// Sets the bytes done to `bytes` (a count kept elsewhere); reports as
    /// [`Tracker::add_bytes`] does.
    pub fn set_bytes(&self, bytes: u64) {
        self.bytes.set(bytes);
        if bytes.saturating_sub(self.reported_bytes.get()) >= Self::BYTES_STEP {
            self.report();
        }
    }

    /// Adds one entry done, and reports.
    pub fn add_entry(&self) {
        self.entries.set(self.entries.get() + 1);
        self.report();
    }

    /// Reports the counts as they are now, the last time.
    pub fn finish(&self) {
        self.report();
    }

    fn report(&self) {
        if self.progress.is_none() {
            return;
        }
        self.reported_bytes.set(self.bytes.get());
        self.progress.report(&Status {
            task: &self.task,
            bytes: self.bytes.get(),
            total_bytes: self.total_bytes,
            entries: self.entries.get(),
            total_entries: self.total_entries,
        });
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use std::sync::Mutex;

    use super::*;

    /// What a recorder saw: (task, bytes, entries) per report.
    type Seen = Arc<Mutex<Vec<(String, u64, u64)>>>;

    fn recorder() -> (Progress, Seen) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let progress = Progress::new(move |s: &Status<'_>| {
            log.lock()
                .unwrap()
                .push((s.task.to_string(), s.bytes, s.entries))
        });
        (progress, seen)
    }

    #[test]
    fn reports_every_step_of_bytes_and_every_entry() {
        let (progress, seen) = recorder();
        let tracker = Tracker::new(&progress, "t", None, None);
        for _ in 0..8 {
            tracker.add_bytes(Tracker::BYTES_STEP / 4);
        }
        assert_eq!(seen.lock().unwrap().len(), 2);
        tracker.add_entry();
        tracker.add_entry();
        tracker.finish();
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 5);
        assert_eq!(seen[4], ("t".into(), 2 * Tracker::BYTES_STEP, 2));
    }

    #[test]
    fn a_step_reports_in_terms_of_the_whole() {
        let (progress, seen) = recorder();
        let layer = progress.step("layer 2/2", 100, 7, Some(300), None);
        let tracker = Tracker::new(&layer, "ignored", Some(200), None);
        tracker.add_bytes(50);
        tracker.add_entry();
        assert_eq!(seen.lock().unwrap()[0], ("layer 2/2".into(), 150, 8));
        assert!(Progress::none().step("x", 0, 0, None, None).is_none());
    }

    #[test]
    fn handles_compare_by_callback() {
        let (a, _) = recorder();
        assert_eq!(a, a.clone());
        assert_ne!(a, recorder().0);
        assert_eq!(Progress::none(), Progress::default());
        assert_eq!(format!("{a:?}"), "Progress(callback)");
    }
}
