#![doc = include_str!("../README.md")]
//!
//! # A tour
//!
//! A [`Runtime`] is a program and its global options; each operation runs
//! it once, with `--log FILE --log-format json` into a fresh file, and
//! turns a refusal into an [`Error`] whose [`kind`](Error::kind) says what
//! went wrong:
//!
//! ```no_run
//! use ocikit_runtime::{ErrorKind, Runtime, Signal};
//!
//! let runtime = Runtime { root: Some("/run/my-tool".into()), ..Runtime::default() };
//! match runtime.state("web") {
//!     Ok(state) => println!("{} is {}, pid {:?}", state.id, state.status, state.pid),
//!     Err(e) if e.kind() == Some(ErrorKind::NotFound) => println!("no container web"),
//!     Err(e) => return Err(e.into()),
//! }
//! // Checked first: a stopped container is refused before runc is asked.
//! if let Err(e) = runtime.kill("web", Signal::TERM) {
//!     eprintln!("{e}"); // runc kill: container "web" is stopped; kill needs status created or running
//! }
//! for state in runtime.list()? {
//!     println!("{} {}", state.id, state.status);
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! **Operations.** [`create`](Runtime::create), [`start`](Runtime::start),
//! [`state`](Runtime::state), [`kill`](Runtime::kill) and
//! [`delete`](Runtime::delete) are runtime-spec runtime.md's; runc adds
//! [`run`](Runtime::run) (create and start in one call, detached),
//! [`list`](Runtime::list), [`ps`](Runtime::ps), [`exec`](Runtime::exec),
//! [`pause`](Runtime::pause), [`resume`](Runtime::resume),
//! [`update`](Runtime::update) (cgroup limits from
//! `ocikit_runtime_spec::Resources` while the container runs),
//! [`features`](Runtime::features) and [`version`](Runtime::version).
//!
//! **Lifecycle checks.** Before `create`, `run`, `start`, `kill`, `delete`,
//! `exec`, `pause` and `resume` the driver asks for the container's state
//! and checks it against the statuses the operation needs
//! ([`ocikit_runtime_spec::Operation::needs`]): the error then names the
//! status found and the one needed ([`Error::WrongStatus`],
//! [`Error::AlreadyExists`]). The check is advice, not a lock: the
//! runtime checks again, and its refusal comes back as
//! [`Error::Runtime`] of the same kind.
//!
//! **Processes.** `create`, `run` and `exec` return a [`ProcessHandle`]:
//! the pid from the runtime's `--pid-file` (in the call's private
//! directory), the terminal's master side when
//! [`ProcessIo::terminal`] asked for one ([`ConsoleSocket`]), and, when
//! this process is a child subreaper ([`subreaper`]), the exit status
//! through a pidfd ([`ProcessHandle::wait`]).
//!
//! **Streams.** [`ProcessIo`] gives the container's stdin, stdout and
//! stderr ([`Stdio`]: null, inherit, or a descriptor you own). The
//! runtime's own stdout and stderr are the container's during `create`,
//! `run` and `exec`; the driver never reads them then, so a pipe given
//! here cannot block a call. Other calls write into files of the call's
//! private directory, read after the runtime exits, up to 16 MiB.
//!
//! **Deadlines.** Every call has one ([`Runtime::deadline`], default
//! [`DEFAULT_DEADLINE`]). Past it the runtime's process is killed, and
//! after `create`, `run` and `start` the container is deleted with
//! `delete --force` ([`Error::Deadline`] says what was done).
//!
//! # Security
//!
//! - **No descriptor of ours reaches the runtime or the container.** Every
//!   descriptor the driver opens is close-on-exec (files, the console
//!   socket, pidfds, the received terminal): the runtime's process gets
//!   its three streams and nothing else. Descriptors the caller opened
//!   without close-on-exec are the caller's business (runc closes them
//!   in the container).
//! - **Private files.** The log, pid file, console socket, `process.json`
//!   and resources of a call live in a directory created 0700 with an
//!   unguessable name, removed when the call returns: no other user can
//!   read them, forge a pid or connect to the socket and hand us a
//!   descriptor.
//! - **IDs are not options.** A container ID must be runc's kind (letters,
//!   digits, `_`, `+`, `-`, `.`; not starting with `-`), so it can never be
//!   read as an option or a path.
//! - **Bounded output.** What the runtime prints is read up to 16 MiB, its
//!   log up to its last MiB.
//! - **Only our own children are reaped**, through their pidfds.
//!
//! # Limitations
//!
//! - Linux 5.3 or later (pidfds).
//! - The lifecycle check costs one more run of the runtime (`state`), and
//!   another process may change the container between the two.
//! - `kill` of a paused container is refused by the check: runtime.md
//!   lets `kill` act on `created` or `running` only (`delete --force`
//!   removes a paused one).
//! - A deadline of `exec` kills the runtime's process only: the process it
//!   may have started in the container is left alone.
//! - Without a subreaper, the exit status of a container's process is
//!   lost to the host's init; poll [`Runtime::state`] instead.

mod call;
mod console;
mod error;
mod log;
mod process;
mod runtime;
mod signal;
mod stdio;
pub mod subreaper;

pub use console::ConsoleSocket;
pub use error::{Cleanup, Error, ErrorKind, Result};
pub use process::ProcessHandle;
pub use runtime::{CreateOptions, DEFAULT_DEADLINE, Runtime, RuntimeVersion, check_id};
pub use signal::{ExitStatus, Signal};
pub use stdio::{ProcessIo, Stdio};
