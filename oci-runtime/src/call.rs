//! One invocation of the runtime's program: its arguments (global options
//! first), its private directory, its streams, its deadline, and its
//! outcome read from the JSON log of this call alone.

use std::ffi::OsString;
use std::fs::File;
use std::io::Read;
use std::os::fd::AsFd;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

use rustix::process::{Pid, PidfdFlags, pidfd_open};

use crate::error::Cleanup;
use crate::process::wait_readable;
use crate::{Error, ErrorKind, ProcessIo, Result, Runtime, Stdio, log};

/// The most the driver reads of what a runtime prints (a `list` of many
/// containers, a `features` document); more is an error, not a truncation.
pub(crate) const MAX_OUTPUT: u64 = 16 << 20;

/// The most kept of a log or of stderr for messages: the end, where the
/// error is.
const MAX_LOG: u64 = 1 << 20;

/// How long `delete --force` may take after a deadline.
const CLEANUP_DEADLINE: Duration = Duration::from_secs(10);

/// The private directory of one call: the log file, and what the
/// operation puts there (pid file, console socket, process.json,
/// resources). Mode 0700 under the temporary directory, a name no one
/// can guess, removed when dropped.
pub(crate) struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    pub(crate) fn new() -> Result<Scratch> {
        let base = std::env::temp_dir();
        let dir = tempfile::Builder::new()
            .prefix("ocikit-runtime.")
            .permissions(std::fs::Permissions::from_mode(0o700))
            .tempdir_in(&base)
            .map_err(|source| Error::Io {
                action: "create a private directory in",
                path: base,
                source,
            })?;
        Ok(Scratch { dir })
    }

    /// The path of `name` in the directory.
    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes `value` as JSON to `name` in the directory, returning its
    /// path.
    pub(crate) fn write_json<T: serde::Serialize>(&self, name: &str, value: &T) -> Result<PathBuf> {
        let path = self.path(name);
        serde_json::to_vec(value)
            .map_err(std::io::Error::other)
            .and_then(|bytes| std::fs::write(&path, bytes))
            .map_err(|source| Error::Io {
                action: "write",
                path: path.clone(),
                source,
            })?;
        Ok(path)
    }
}

/// The streams of the runtime's process.
pub(crate) enum Streams {
    /// The container's: the runtime passes them on to the process it
    /// starts (`create`, `run`, `exec`).
    Container {
        stdin: Stdio,
        stdout: Stdio,
        stderr: Stdio,
    },
    /// Captured into files of the call's directory: stdout is the call's
    /// output, stderr is kept for messages. Files rather than pipes: a
    /// runtime's child that kept a pipe open would make a read to the end
    /// wait for it.
    Captured,
}

impl Streams {
    /// The container's streams of `io` (its terminal flag is the caller's
    /// business: the console socket).
    pub(crate) fn container(io: ProcessIo) -> Streams {
        Streams::Container {
            stdin: io.stdin,
            stdout: io.stdout,
            stderr: io.stderr,
        }
    }
}

/// One call: the operation, its arguments after the operation's name, its
/// streams, and whether a deadline deletes the container.
pub(crate) struct Call<'a> {
    pub(crate) op: &'static str,
    pub(crate) id: &'a str,
    pub(crate) args: Vec<OsString>,
    pub(crate) streams: Streams,
    /// `delete --force ID` when the deadline passes: for the operations
    /// that bring a container up.
    pub(crate) cleanup: bool,
    /// The global options and the log file go first (not for
    /// `--version`).
    pub(crate) global: bool,
}

impl<'a> Call<'a> {
    /// A call of `op` on container `id` with its output captured.
    pub(crate) fn captured(op: &'static str, id: &'a str) -> Call<'a> {
        Call {
            op,
            id,
            args: Vec::new(),
            streams: Streams::Captured,
            cleanup: false,
            global: true,
        }
    }

    /// Adds arguments.
    pub(crate) fn args<I, S>(mut self, args: I) -> Call<'a>
    where
        I: IntoIterator<Item = S>,
        S: Into<OsString>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }
}

impl Runtime {
    /// The runtime's program for messages.
    pub(crate) fn name(&self) -> String {
        self.program.display().to_string()
    }

    /// The global options, which go before the operation: runc's
    /// urfave/cli, crun and youki read them only there.
    fn global_args(&self, log: &Path) -> Vec<OsString> {
        let mut args: Vec<OsString> = Vec::new();
        if let Some(root) = &self.root {
            args.push("--root".into());
            args.push(root.into());
        }
        if self.systemd_cgroup {
            args.push("--systemd-cgroup".into());
        }
        if self.debug {
            args.push("--debug".into());
        }
        args.push("--log".into());
        args.push(log.into());
        args.push("--log-format".into());
        args.push("json".into());
        args
    }

    /// Runs `call` in `scratch` and returns its stdout (empty unless
    /// captured).
    pub(crate) fn invoke(&self, scratch: &Scratch, mut call: Call<'_>) -> Result<Vec<u8>> {
        let log = scratch.path("log.json");
        let mut command = Command::new(&self.program);
        if call.global {
            command.args(self.global_args(&log));
        }
        command.arg(call.op).args(&call.args);
        let captured = matches!(call.streams, Streams::Captured);
        let streams = std::mem::replace(&mut call.streams, Streams::Captured);
        match streams {
            Streams::Container {
                stdin,
                stdout,
                stderr,
            } => {
                command
                    .stdin(stdin.into_std())
                    .stdout(stdout.into_std())
                    .stderr(stderr.into_std());
            }
            Streams::Captured => {
                command
                    .stdin(std::process::Stdio::null())
                    .stdout(self.create_file(&scratch.path("stdout"))?)
                    .stderr(self.create_file(&scratch.path("stderr"))?);
            }
        }
        let status = self.run_to_deadline(command, &call)?;
        let log_text = read_tail(&log);
        if !status.success() {
            return Err(self.failure(&call, status, &log_text, scratch, captured));
        }
        if !captured {
            return Ok(Vec::new());
        }
        let path = scratch.path("stdout");
        let mut out = Vec::new();
        File::open(&path)
            .and_then(|f| f.take(MAX_OUTPUT + 1).read_to_end(&mut out))
            .map_err(|source| Error::Io {
                action: "read the runtime's output in",
                path,
                source,
            })?;
        if out.len() as u64 > MAX_OUTPUT {
            return Err(self.output_error(
                &call,
                format!("its output is longer than {MAX_OUTPUT} bytes"),
            ));
        }
        Ok(out)
    }

    fn create_file(&self, path: &Path) -> Result<File> {
        File::create(path).map_err(|source| Error::Io {
            action: "create",
            path: path.to_path_buf(),
            source,
        })
    }

    /// Starts the runtime and waits for it until the deadline; past it,
    /// kills it (and, for the calls that bring a container up, deletes the
    /// container).
    fn run_to_deadline(
        &self,
        mut command: Command,
        call: &Call<'_>,
    ) -> Result<std::process::ExitStatus> {
        let spawn_error = |source: std::io::Error| Error::Spawn {
            runtime: self.name(),
            source,
        };
        let mut child = command.spawn().map_err(spawn_error)?;
        // Dropped here: the runtime holds its copies of the container's
        // descriptors, we keep none.
        drop(command);
        let finished = watch(&child, self.deadline);
        match finished {
            Ok(true) => child.wait().map_err(spawn_error),
            Ok(false) => {
                let _ = child.kill();
                let _ = child.wait();
                let cleanup = if call.cleanup {
                    self.force_delete_after_deadline(call.id)
                } else {
                    Cleanup::None
                };
                Err(Error::Deadline {
                    runtime: self.name(),
                    op: call.op,
                    id: call.id.to_owned(),
                    deadline: self.deadline,
                    cleanup,
                })
            }
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                Err(spawn_error(e))
            }
        }
    }

    /// `delete --force ID` with a deadline of its own.
    fn force_delete_after_deadline(&self, id: &str) -> Cleanup {
        let runtime = Runtime {
            deadline: CLEANUP_DEADLINE,
            ..self.clone()
        };
        match runtime.force_delete(id) {
            Ok(()) => Cleanup::Deleted,
            Err(e) => Cleanup::DeleteFailed(e.to_string()),
        }
    }

    /// The error of a call that failed: the last error of its log, the
    /// runtime's missing command, or its exit status and stderr.
    fn failure(
        &self,
        call: &Call<'_>,
        status: std::process::ExitStatus,
        log_text: &str,
        scratch: &Scratch,
        captured: bool,
    ) -> Error {
        let stderr = if captured {
            read_tail(&scratch.path("stderr"))
        } else {
            String::new()
        };
        let unsupported = |message: String| Error::Unsupported {
            runtime: self.name(),
            op: call.op,
            message,
        };
        if let Some(message) = log::errors(log_text).pop() {
            if log::unknown_command(&message) {
                return unsupported(message);
            }
            return Error::Runtime {
                runtime: self.name(),
                op: call.op,
                id: call.id.to_owned(),
                kind: log::kind(&message),
                message,
                log: log_text.to_owned(),
            };
        }
        if log::unknown_command(&stderr) {
            return unsupported(stderr.trim().to_owned());
        }
        Error::Failed {
            runtime: self.name(),
            op: call.op,
            id: call.id.to_owned(),
            status,
            stderr,
        }
    }

    pub(crate) fn output_error(&self, call: &Call<'_>, what: String) -> Error {
        Error::Output {
            runtime: self.name(),
            op: call.op,
            id: call.id.to_owned(),
            what,
        }
    }
}

/// Waits for the runtime's process through a pidfd until `deadline`:
/// whether it exited. A pidfd of our own child: no one else reaps it.
fn watch(child: &Child, deadline: Duration) -> std::io::Result<bool> {
    let pidfd = pidfd_open(Pid::from_child(child), PidfdFlags::empty())?;
    wait_readable(pidfd.as_fd(), Some(deadline))
}

/// The end of the file at `path` (at most [`MAX_LOG`] bytes), as text;
/// empty when it is missing.
fn read_tail(path: &Path) -> String {
    let Ok(mut file) = File::open(path) else {
        return String::new();
    };
    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
    if len > MAX_LOG {
        use std::io::Seek;
        let _ = file.seek(std::io::SeekFrom::Start(len - MAX_LOG));
    }
    let mut bytes = Vec::new();
    let _ = file.take(MAX_LOG).read_to_end(&mut bytes);
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Whether `err` says the container does not exist.
pub(crate) fn is_not_found(err: &Error) -> bool {
    matches!(
        err,
        Error::Runtime {
            kind: ErrorKind::NotFound,
            ..
        }
    )
}
