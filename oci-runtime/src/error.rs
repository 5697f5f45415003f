//! The one error type of `ocikit-runtime`: each failure names the runtime,
//! the operation and the container, and keeps what the runtime said.

use std::path::PathBuf;
use std::time::Duration;

use ocikit_runtime_spec::ContainerStatus;

/// What kind of refusal an error is, whoever found it: the runtime (from
/// the message of its JSON log) or the driver's lifecycle check before the
/// runtime was asked. See [`Error::kind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The container does not exist.
    NotFound,
    /// A container with that ID exists already.
    AlreadyExists,
    /// The operation needs a running container, and it is not.
    NotRunning,
    /// The container exists but its status does not allow the operation
    /// (start twice, delete while running, resume of one not paused).
    WrongState,
    /// Anything else the runtime refused.
    Other,
}

/// What the driver did after a call passed its deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cleanup {
    /// Nothing to clean: the operation creates nothing.
    None,
    /// `delete --force` removed the container.
    Deleted,
    /// `delete --force` failed too, with this message.
    DeleteFailed(String),
}

impl std::fmt::Display for Cleanup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cleanup::None => f.write_str("the runtime was killed"),
            Cleanup::Deleted => {
                f.write_str("the runtime was killed and the container removed with delete --force")
            }
            Cleanup::DeleteFailed(why) => write!(
                f,
                "the runtime was killed; delete --force failed too: {why}"
            ),
        }
    }
}

/// Everything that can go wrong when driving a runtime.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The runtime refused the operation and said why in its JSON log
    /// (`msg` for runc and crun, `message` for youki).
    #[error("{runtime} {op} {id:?}: {message}")]
    Runtime {
        /// The runtime's program, as given.
        runtime: String,
        /// The operation (`create`, `start`, ...).
        op: &'static str,
        /// The container's ID (empty for `list`, `features`).
        id: String,
        /// The refusal, as [`Error::kind`] reads the message.
        kind: ErrorKind,
        /// The message of the runtime's last error line.
        message: String,
        /// Every line of the runtime's log for this call, as written.
        log: String,
    },

    /// The driver's lifecycle check (runtime-spec runtime.md,
    /// "Operations") refused the operation before the runtime was asked:
    /// the container's status is not one the operation needs.
    #[error("{runtime} {op}: container {id:?} is {status}; {op} needs status {needs}")]
    WrongStatus {
        /// The runtime's program.
        runtime: String,
        /// The operation.
        op: &'static str,
        /// The container's ID.
        id: String,
        /// The status the runtime reported.
        status: ContainerStatus,
        /// The statuses that would do, as `created or running`.
        needs: String,
    },

    /// The lifecycle check found the ID in use before `create` or `run`.
    #[error(
        "{runtime} {op}: container {id:?} already exists (status {status}); {op} needs an unused ID"
    )]
    AlreadyExists {
        /// The runtime's program.
        runtime: String,
        /// The operation.
        op: &'static str,
        /// The container's ID.
        id: String,
        /// Its status.
        status: ContainerStatus,
    },

    /// A container ID that the driver refuses to pass to a runtime.
    #[error("container ID {id:?}: {reason}")]
    InvalidId {
        /// The ID given.
        id: String,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// The runtime's program could not be started.
    #[error("cannot run the runtime {runtime}: {source}")]
    Spawn {
        /// The runtime's program.
        runtime: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// The runtime did not finish the call within its deadline.
    #[error("{runtime} {op} {id:?} did not finish within {} s: {cleanup}", deadline.as_secs_f64())]
    Deadline {
        /// The runtime's program.
        runtime: String,
        /// The operation.
        op: &'static str,
        /// The container's ID.
        id: String,
        /// The deadline that passed.
        deadline: Duration,
        /// What was done about the container.
        cleanup: Cleanup,
    },

    /// The runtime failed without an error line in its log.
    #[error(
        "{runtime} {op} {id:?} failed ({status}) without an error in its log{}",
        stderr_suffix(stderr)
    )]
    Failed {
        /// The runtime's program.
        runtime: String,
        /// The operation.
        op: &'static str,
        /// The container's ID.
        id: String,
        /// How the runtime's process ended.
        status: std::process::ExitStatus,
        /// What it wrote on stderr, when the driver captured it (not for
        /// operations whose stderr is the container's).
        stderr: String,
    },

    /// The runtime does not have the operation (`features` before runc
    /// 1.1).
    #[error("{runtime} has no {op} command: {message}")]
    Unsupported {
        /// The runtime's program.
        runtime: String,
        /// The operation.
        op: &'static str,
        /// What the runtime said.
        message: String,
    },

    /// The runtime succeeded but its output is not what the operation
    /// gives (a state that does not parse, a pid file without a pid).
    #[error("{runtime} {op} {id:?}: {what}")]
    Output {
        /// The runtime's program.
        runtime: String,
        /// The operation.
        op: &'static str,
        /// The container's ID.
        id: String,
        /// What was wrong, naming the output.
        what: String,
    },

    /// The terminal's descriptor did not arrive on the console socket.
    #[error("console socket {}: {what}", path.display())]
    Console {
        /// The socket's path.
        path: PathBuf,
        /// What went wrong.
        what: String,
    },

    /// Waiting for a container's process needs the exit status, which only
    /// its parent gets: the process must be a subreaper (see
    /// [`subreaper`](crate::subreaper)) when the container is created.
    #[error(
        "process {pid} of container {id:?}: its exit status cannot be waited for, as this process was not a child subreaper when it was created (see ocikit_runtime::subreaper)"
    )]
    NotReapable {
        /// The container's ID.
        id: String,
        /// The process.
        pid: i32,
    },

    /// A system call on a container's process failed.
    #[error("{action} process {pid} of container {id:?}: {source}")]
    Process {
        /// What was being done (`wait for`, `signal`).
        action: &'static str,
        /// The container's ID.
        id: String,
        /// The process.
        pid: i32,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// A file-system operation failed.
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done (`create`, `read`, ...).
        action: &'static str,
        /// The file or directory involved.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}

/// `; stderr: TEXT` when there is text.
fn stderr_suffix(stderr: &str) -> String {
    let stderr = stderr.trim();
    if stderr.is_empty() {
        String::new()
    } else {
        format!("; stderr: {stderr}")
    }
}

impl Error {
    /// The kind of refusal, for errors of the runtime and of the lifecycle
    /// check alike; `None` for failures that are not a refusal (a runtime
    /// that cannot be started, a deadline, I/O).
    ///
    /// ```
    /// use ocikit_runtime::{Error, ErrorKind};
    /// use ocikit_runtime_spec::ContainerStatus;
    ///
    /// let err = Error::WrongStatus {
    ///     runtime: "runc".into(),
    ///     op: "start",
    ///     id: "web".into(),
    ///     status: ContainerStatus::Running,
    ///     needs: "created".into(),
    /// };
    /// assert_eq!(err.kind(), Some(ErrorKind::WrongState));
    /// assert_eq!(err.to_string(), r#"runc start: container "web" is running; start needs status created"#);
    /// ```
    pub fn kind(&self) -> Option<ErrorKind> {
        match self {
            Error::Runtime { kind, .. } => Some(*kind),
            Error::WrongStatus { status, needs, .. } => Some(
                if *status == ContainerStatus::Stopped && needs.contains("running") {
                    ErrorKind::NotRunning
                } else {
                    ErrorKind::WrongState
                },
            ),
            Error::AlreadyExists { .. } => Some(ErrorKind::AlreadyExists),
            _ => None,
        }
    }
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
