//! The standard streams of a container's process. With runc (and crun
//! and youki) the process gets the runtime's own stdin, stdout and
//! stderr when it has no terminal, so what the caller gives here is what
//! the container holds, for as long as it runs.

use std::fs::File;
use std::os::fd::OwnedFd;

/// One standard stream of a container's process.
///
/// The default is [`Stdio::Null`]. There is no "piped": a pipe whose read
/// end the driver held would have to be read while the container runs, and
/// reading it to the end would wait for the container to exit (`create`
/// returns while the container keeps the write end). Make the pipe
/// yourself (`std::io::pipe()`), give its write end here and keep the
/// read end.
#[derive(Debug, Default)]
pub enum Stdio {
    /// `/dev/null`.
    #[default]
    Null,
    /// This process's own stream.
    Inherit,
    /// A descriptor of the caller's: a file, a pipe's end, a socket. The
    /// runtime gets a duplicate; this one is closed in this process when
    /// the call returns.
    Fd(OwnedFd),
}

impl Stdio {
    /// The standard library's form, for the runtime's process.
    pub(crate) fn into_std(self) -> std::process::Stdio {
        match self {
            Stdio::Null => std::process::Stdio::null(),
            Stdio::Inherit => std::process::Stdio::inherit(),
            Stdio::Fd(fd) => std::process::Stdio::from(fd),
        }
    }
}

impl From<OwnedFd> for Stdio {
    fn from(fd: OwnedFd) -> Stdio {
        Stdio::Fd(fd)
    }
}

impl From<File> for Stdio {
    fn from(file: File) -> Stdio {
        Stdio::Fd(file.into())
    }
}

impl From<std::io::PipeWriter> for Stdio {
    fn from(pipe: std::io::PipeWriter) -> Stdio {
        Stdio::Fd(pipe.into())
    }
}

impl From<std::io::PipeReader> for Stdio {
    fn from(pipe: std::io::PipeReader) -> Stdio {
        Stdio::Fd(pipe.into())
    }
}

/// The streams of a container's process, and whether it gets a terminal
/// instead.
#[derive(Debug, Default)]
pub struct ProcessIo {
    /// Its stdin.
    pub stdin: Stdio,
    /// Its stdout.
    pub stdout: Stdio,
    /// Its stderr. runc writes its own errors here too, as text, besides
    /// the JSON log the driver reads.
    pub stderr: Stdio,
    /// A pseudoterminal instead of the three streams: the driver passes a
    /// console socket and hands the terminal's master side back
    /// ([`ProcessHandle::take_console`](crate::ProcessHandle::take_console)).
    /// Set it exactly when the process's `terminal` is true in
    /// `config.json` (or the exec'd process); the streams above then only
    /// carry the runtime's own messages.
    pub terminal: bool,
}

impl ProcessIo {
    /// This process's own stdin, stdout and stderr, no terminal.
    pub fn inherit() -> ProcessIo {
        ProcessIo {
            stdin: Stdio::Inherit,
            stdout: Stdio::Inherit,
            stderr: Stdio::Inherit,
            terminal: false,
        }
    }
}
