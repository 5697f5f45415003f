//! The progress bar of long commands (build, unpack, repack, import,
//! export): one line on stderr, redrawn at most ten times a second, only
//! when stderr is a terminal and `--quiet` was not given.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ocikit_layout::progress::{Progress, Status};

/// How often the line is redrawn at most.
const REDRAW: Duration = Duration::from_millis(100);

/// A bar on stderr; [`Bar::progress`] is what the library reports to.
pub struct Bar {
    progress: Progress,
    drawn: Arc<Mutex<Option<Instant>>>,
}

impl Bar {
    /// A bar, or nothing when `quiet` or when stderr is not a terminal (a
    /// pipe or a file gets no control characters).
    pub fn new(quiet: bool) -> Bar {
        let drawn = Arc::new(Mutex::new(None));
        if quiet || !std::io::stderr().is_terminal() {
            return Bar {
                progress: Progress::none(),
                drawn,
            };
        }
        let last = drawn.clone();
        let progress = Progress::new(move |status: &Status<'_>| {
            let Ok(mut last) = last.lock() else { return };
            let now = Instant::now();
            if last.is_some_and(|t| now.duration_since(t) < REDRAW) {
                return;
            }
            *last = Some(now);
            let _ = write!(std::io::stderr().lock(), "\r\x1b[K{}", line(status));
        });
        Bar { progress, drawn }
    }

    /// The handle to put in the operation's options.
    pub fn progress(&self) -> Progress {
        self.progress.clone()
    }
}

impl Drop for Bar {
    /// Clears the line, so that what follows starts on a clean one.
    fn drop(&mut self) {
        if self.drawn.lock().is_ok_and(|d| d.is_some()) {
            let _ = write!(std::io::stderr().lock(), "\r\x1b[K");
        }
    }
}

/// `unpack layer 1/2  12.0 MiB / 40.2 MiB (29%)  1,024 entries`
pub fn line(status: &Status<'_>) -> String {
    let mut line = format!("{}  {}", status.task, size(status.bytes));
    if let Some(total) = status.total_bytes {
        line += &format!(" / {}", size(total));
        if let Some(percent) = (status.bytes.min(total) * 100).checked_div(total) {
            line += &format!(" ({percent}%)");
        }
    }
    if status.entries > 0 {
        line += &format!("  {} entries", status.entries);
        if let Some(total) = status.total_entries {
            line += &format!(" of {total}");
        }
    }
    line
}

/// `512 B`, `1.5 KiB`, `12.0 MiB`, `3.2 GiB`.
fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}
