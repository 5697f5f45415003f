//! The progress bar of long commands (build, unpack, repack, import,
//! export, copy), drawn with indicatif from the library's progress reports
//! (`ocikit_layout::progress`): a bar with bytes, rate and time left when
//! the total is known, a spinner with bytes, entries and rate when it is
//! not. Registry transfers (pull, push) draw one line per blob in flight
//! instead ([`Transfers`]). Only on a terminal, and not with `--quiet`: a
//! pipe or a file gets nothing at all.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use ocikit_layout::progress::{Progress, Status};

/// How often the bar is redrawn while no report comes (a spinner keeps
/// turning, the rate and time left keep being recomputed).
const TICK: Duration = Duration::from_millis(100);

/// With a total: `unpack layer 1/2 [=====>      ] 44.20 MiB/118.00 MiB
/// 12.30 MiB/s ETA 6s`; the bar takes the width the rest leaves.
const WITH_TOTAL: &str = "{msg} [{wide_bar}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}";

/// Without: `/ build 110.50 MiB 2769 entries 40.10 MiB/s 3s` (no
/// entries until the first is done).
const WITHOUT_TOTAL: &str = "{spinner} {msg} {bytes}{entries} {bytes_per_sec} {elapsed}";

/// The `--quiet` flag of the commands that draw a bar.
#[derive(clap::Args, Debug)]
pub struct QuietArg {
    /// Draw no progress bar (none is drawn either when stderr is not a
    /// terminal)
    #[arg(long)]
    pub quiet: bool,
}

impl QuietArg {
    /// The bar for this command: nothing when `--quiet` was given or when
    /// stderr is not a terminal.
    pub fn bar(&self) -> Bar {
        if !self.drawn() {
            return Bar { shown: None };
        }
        Bar {
            shown: Some(Arc::new(Shown::default())),
        }
    }

    /// The transfer lines of the registry command `command` (`pull`):
    /// drawn only when a bar would be.
    pub fn transfers(&self, command: &'static str) -> Transfers {
        Transfers {
            command,
            lines: self.drawn().then(|| Arc::new(Lines::default())),
        }
    }

    fn drawn(&self) -> bool {
        !self.quiet && std::io::stderr().is_terminal()
    }
}

/// A bar on stderr, or nothing; [`Bar::progress`] is what the library
/// reports to. Dropping it clears the line.
pub struct Bar {
    shown: Option<Arc<Shown>>,
}

/// What a bar on a terminal keeps between reports.
#[derive(Default)]
struct Shown {
    /// The bar, made at the first report so that its clock starts with
    /// the work.
    drawn: Mutex<Option<Drawn>>,
    /// Entries done, and in all (0: unknown), for the `{entries}` key.
    entries: Arc<[AtomicU64; 2]>,
}

/// The bar and what it shows now.
struct Drawn {
    bar: ProgressBar,
    task: String,
    total: Option<u64>,
}

impl Bar {
    /// The handle to put in the operation's options.
    pub fn progress(&self) -> Progress {
        match &self.shown {
            None => Progress::none(),
            Some(shown) => {
                let shown = shown.clone();
                Progress::new(move |status: &Status<'_>| shown.update(status))
            }
        }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        let Some(shown) = &self.shown else { return };
        if let Ok(drawn) = shown.drawn.lock()
            && let Some(drawn) = &*drawn
        {
            drawn.bar.finish_and_clear();
        }
    }
}

impl Shown {
    /// Shows `status`: the counts always, the style and the message when
    /// the task or its total changes.
    fn update(&self, status: &Status<'_>) {
        let Ok(mut drawn) = self.drawn.lock() else {
            return;
        };
        self.entries[0].store(status.entries, Ordering::Relaxed);
        self.entries[1].store(status.total_entries.unwrap_or(0), Ordering::Relaxed);
        let position = match status.total_bytes {
            // A count past its total (a file that grew) keeps the bar full.
            Some(length) => status.bytes.min(length),
            None => status.bytes,
        };
        let drawn = match &mut *drawn {
            Some(drawn) if drawn.task == status.task && drawn.total == status.total_bytes => drawn,
            slot => {
                let new = slot.is_none();
                let drawn = slot.get_or_insert_with(|| Drawn {
                    bar: ProgressBar::hidden(),
                    task: String::new(),
                    total: None,
                });
                self.restyle(drawn, status);
                if new {
                    // Drawn from here on, styled. The first drawing is
                    // ours: once the steady tick runs, only its thread
                    // draws, and a short task could end before that
                    // thread first runs, leaving nothing on the screen.
                    drawn.bar.set_draw_target(ProgressDrawTarget::stderr());
                    drawn.bar.set_position(position);
                    drawn.bar.tick();
                    drawn.bar.enable_steady_tick(TICK);
                }
                drawn
            }
        };
        drawn.bar.set_position(position);
    }

    /// Shows the task and total of `status` on `drawn`: a bar when the
    /// total is known, a spinner when it is not.
    fn restyle(&self, drawn: &mut Drawn, status: &Status<'_>) {
        let bar = &drawn.bar;
        if status.bytes < bar.position() {
            // A task whose counts start again: its rate and time left are
            // its own.
            bar.reset();
        }
        let template = match status.total_bytes {
            Some(length) => {
                bar.set_length(length);
                WITH_TOTAL
            }
            None => {
                bar.unset_length();
                WITHOUT_TOTAL
            }
        };
        bar.set_style(self.style(template));
        bar.set_message(status.task.to_owned());
        status.task.clone_into(&mut drawn.task);
        drawn.total = status.total_bytes;
    }

    /// The style of `template`, with the `{entries}` key (` 12 entries`,
    /// ` 3/7 entries`, or nothing while there are none).
    fn style(&self, template: &str) -> ProgressStyle {
        let entries = self.entries.clone();
        ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ")
            .tick_chars("|/-\\ ")
            .with_key(
                "entries",
                move |_: &ProgressState, out: &mut dyn std::fmt::Write| {
                    let (done, all) = (
                        entries[0].load(Ordering::Relaxed),
                        entries[1].load(Ordering::Relaxed),
                    );
                    let noun = if done == 1 { "entry" } else { "entries" };
                    let _ = match (done, all) {
                        (0, _) => Ok(()),
                        (done, 0) => write!(out, " {done} {noun}"),
                        (done, all) => write!(out, " {done}/{all} {noun}"),
                    };
                },
            )
    }
}

/// One line per blob in flight: `download 6c3c624b58db [=====>    ]
/// 3.20 MiB/11.50 MiB 8.10 MiB/s`.
const TRANSFER: &str = "{msg} {prefix} [{wide_bar}] {bytes}/{total_bytes} {bytes_per_sec}";

/// What a registry command says on stderr: one line per blob in flight
/// while blobs move (drawn together with indicatif's `MultiProgress`, as
/// podman and skopeo show a pull), its summary at the end, and notes and
/// warnings at any time, printed above the lines so that they do not tear
/// them. Without a terminal (or with `--quiet`), only the notes and
/// warnings, plainly. Cheap to clone: clones share the lines.
#[derive(Clone)]
pub struct Transfers {
    /// The command, for the prefix of notes: `oci pull: ...`.
    command: &'static str,
    lines: Option<Arc<Lines>>,
}

/// The lines on a terminal.
#[derive(Default)]
struct Lines {
    multi: MultiProgress,
    /// The line of each transfer by task (`download DIGEST`), `None` once
    /// it is done (a last report after the end draws nothing again).
    bars: Mutex<HashMap<String, Option<ProgressBar>>>,
}

impl Transfers {
    /// Notes and warnings only, for the commands that move no blobs.
    pub fn none(command: &'static str) -> Transfers {
        Transfers {
            command,
            lines: None,
        }
    }

    /// The command these lines are of (`pull`).
    pub fn command(&self) -> &'static str {
        self.command
    }

    /// The handle to put in the pull's or push's options: the library
    /// reports each blob as `download DIGEST` or `upload DIGEST` with its
    /// size as the total, and `exists DIGEST` or `mounted DIGEST` for one
    /// that needs no transfer (no line: it is not in flight).
    pub fn progress(&self) -> Progress {
        match &self.lines {
            None => Progress::none(),
            Some(lines) => {
                let lines = lines.clone();
                Progress::new(move |status: &Status<'_>| lines.update(status))
            }
        }
    }

    /// `oci COMMAND: TEXT` on stderr, above the lines when they are drawn.
    pub fn say(&self, text: &str) {
        let line = format!("oci {}: {text}", self.command);
        match &self.lines {
            Some(lines) => lines.multi.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    /// The summary at the end (`oci pull: 3 blobs fetched ...`), only where
    /// the lines are drawn.
    pub fn summary(&self, text: &str) {
        if self.lines.is_some() {
            self.say(text);
        }
    }
}

impl Lines {
    fn update(&self, status: &Status<'_>) {
        let (Some((verb, digest)), Some(total)) = (status.task.split_once(' '), status.total_bytes)
        else {
            return;
        };
        let Ok(mut bars) = self.bars.lock() else {
            return;
        };
        // By task, not digest: a copy downloads a blob, then uploads it.
        let slot = bars.entry(status.task.to_owned()).or_insert_with(|| {
            let short = digest.split_once(':').map_or(digest, |(_, hex)| hex);
            let style = ProgressStyle::with_template(TRANSFER)
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden())
                .with_style(style)
                .with_message(verb.to_owned())
                .with_prefix(short.chars().take(12).collect::<String>());
            let bar = self.multi.add(bar);
            // Drawn once here: with the steady tick on, only its thread
            // draws (see `Shown::update`).
            bar.set_position(status.bytes.min(total));
            bar.tick();
            bar.enable_steady_tick(TICK);
            Some(bar)
        });
        let Some(bar) = slot.clone() else { return };
        if status.bytes < bar.position() {
            // Started again (a download resumed from the start): its own
            // rate.
            bar.reset();
        }
        bar.set_position(status.bytes.min(total));
        if status.bytes >= total {
            bar.finish_and_clear();
            self.multi.remove(&bar);
            *slot = None;
        }
    }
}

impl Drop for Lines {
    fn drop(&mut self) {
        let _ = self.multi.clear();
    }
}
