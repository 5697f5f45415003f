//! A container's process as the driver hands it out after `create`, `run`
//! or `exec`: its pid, the terminal's master side when it has one, and,
//! when this process is a child subreaper, a pidfd to wait on it and read
//! its exit status (runtime-spec runtime.md, lifecycle step 10, "the
//! container process exits").

use std::fs::File;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, poll};
use rustix::process::{Pid, PidfdFlags, WaitId, WaitIdOptions, pidfd_open, waitid};

use crate::{Error, ExitStatus, Result, Signal, subreaper};

/// A process of a container: the init process after `create` or `run`,
/// or the one `exec` started.
///
/// Waiting needs its exit status, which only its parent gets: when this
/// process was a child subreaper ([`subreaper::enable`]) at `create`,
/// the container's process is our child once the runtime has exited, and
/// the handle holds a pidfd for it: [`wait`](Self::wait) polls that pidfd
/// and reaps exactly this process (`waitid(P_PIDFD)`), never another.
/// Otherwise the host's init adopts it, and [`wait`](Self::wait) says so
/// ([`Error::NotReapable`]).
///
/// Dropping the handle reaps the process if it has exited already; one
/// that exits later stays a zombie of this process until the program ends.
#[derive(Debug)]
pub struct ProcessHandle {
    id: String,
    pid: i32,
    pidfd: Option<OwnedFd>,
    console: Option<File>,
    status: Option<ExitStatus>,
}

impl ProcessHandle {
    /// The handle of process `pid` of container `id`, with a pidfd when
    /// this process is a subreaper.
    pub(crate) fn new(id: &str, pid: i32, console: Option<File>) -> Result<ProcessHandle> {
        let process_error = |source: std::io::Error| Error::Process {
            action: "open a pidfd for",
            id: id.to_owned(),
            pid,
            source,
        };
        let pidfd = if subreaper::is_enabled() {
            let target = Pid::from_raw(pid).ok_or_else(|| {
                process_error(std::io::Error::from(std::io::ErrorKind::InvalidInput))
            })?;
            // A pidfd is close-on-exec from birth: no program this process
            // starts inherits it. No one else can reap the process (we are
            // its subreaper), so the pid cannot have been reused.
            Some(pidfd_open(target, PidfdFlags::empty()).map_err(|e| process_error(e.into()))?)
        } else {
            None
        };
        Ok(ProcessHandle {
            id: id.to_owned(),
            pid,
            pidfd,
            console,
            status: None,
        })
    }

    /// Its pid, as the host sees it.
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// The container's ID.
    pub fn container_id(&self) -> &str {
        &self.id
    }

    /// The master side of its pseudoterminal, when it has one
    /// ([`ProcessIo::terminal`](crate::ProcessIo::terminal)); the first
    /// call takes it.
    pub fn take_console(&mut self) -> Option<File> {
        self.console.take()
    }

    /// Whether [`wait`](Self::wait) can give its exit status (this process
    /// was a child subreaper when it was created).
    pub fn is_reapable(&self) -> bool {
        self.pidfd.is_some()
    }

    /// Waits until it exits and returns how it ended; once known, the
    /// status is kept and returned again.
    ///
    /// # Errors
    ///
    /// [`Error::NotReapable`] when this process was not a subreaper at
    /// `create`; [`Error::Process`] when the wait itself fails.
    pub fn wait(&mut self) -> Result<ExitStatus> {
        loop {
            if let Some(status) = self.wait_for(None)? {
                return Ok(status);
            }
        }
    }

    /// [`wait`](Self::wait) for at most `timeout`: `None` when it is still
    /// running then.
    ///
    /// # Errors
    ///
    /// As [`wait`](Self::wait).
    pub fn wait_timeout(&mut self, timeout: Duration) -> Result<Option<ExitStatus>> {
        self.wait_for(Some(timeout))
    }

    fn wait_for(&mut self, timeout: Option<Duration>) -> Result<Option<ExitStatus>> {
        if let Some(status) = self.status {
            return Ok(Some(status));
        }
        let pidfd = self.pidfd.as_ref().ok_or_else(|| Error::NotReapable {
            id: self.id.clone(),
            pid: self.pid,
        })?;
        let failed = |source: std::io::Error| Error::Process {
            action: "wait for",
            id: self.id.clone(),
            pid: self.pid,
            source,
        };
        if !wait_readable(pidfd.as_fd(), timeout).map_err(failed)? {
            return Ok(None);
        }
        let status = reap(pidfd.as_fd()).map_err(failed)?;
        self.status = status;
        Ok(status)
    }
}

impl Drop for ProcessHandle {
    fn drop(&mut self) {
        if self.status.is_none()
            && let Some(pidfd) = &self.pidfd
        {
            let _ = reap(pidfd.as_fd());
        }
    }
}

/// Reaps the process of `pidfd` if it has exited (`waitid(P_PIDFD,
/// WEXITED | WNOHANG)`): only that process, whichever others have exited.
fn reap(pidfd: BorrowedFd<'_>) -> std::io::Result<Option<ExitStatus>> {
    let options = WaitIdOptions::EXITED | WaitIdOptions::NOHANG;
    let Some(status) = retry(|| waitid(WaitId::PidFd(pidfd), options))? else {
        return Ok(None);
    };
    if let Some(code) = status.exit_status() {
        return Ok(Some(ExitStatus::Exited(code)));
    }
    match status.terminating_signal().and_then(Signal::from_number) {
        Some(signal) => Ok(Some(ExitStatus::Signaled(signal))),
        // Neither exited nor killed: WEXITED reports nothing else.
        None => Ok(None),
    }
}

/// Waits until `fd` is readable (a pidfd: its process has exited), for at
/// most `timeout` (`None`: for as long as it takes). Whether it became
/// readable.
pub(crate) fn wait_readable(
    fd: BorrowedFd<'_>,
    timeout: Option<Duration>,
) -> std::io::Result<bool> {
    // A timeout past what an Instant can hold is no limit at all.
    let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
    loop {
        let remaining = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        let spec = match remaining {
            Some(left) => Some(rustix::event::Timespec::try_from(left).map_err(|_| {
                std::io::Error::new(std::io::ErrorKind::InvalidInput, "timeout out of range")
            })?),
            None => None,
        };
        let mut fds = [PollFd::new(&fd, PollFlags::IN)];
        match poll(&mut fds, spec.as_ref()) {
            Ok(0) if remaining.is_some_and(|left| left.is_zero()) => return Ok(false),
            Ok(0) => {}
            Ok(_) => return Ok(true),
            Err(rustix::io::Errno::INTR) => {}
            Err(e) => return Err(e.into()),
        }
    }
}

/// `call` again while it fails with `EINTR`.
fn retry<T>(mut call: impl FnMut() -> rustix::io::Result<T>) -> std::io::Result<T> {
    loop {
        match call() {
            Err(rustix::io::Errno::INTR) => {}
            other => return other.map_err(Into::into),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_longest_timeout_waits_without_overflowing() {
        let child = std::process::Command::new("true").spawn().unwrap();
        let pidfd = pidfd_open(Pid::from_child(&child), PidfdFlags::empty()).unwrap();
        assert!(wait_readable(pidfd.as_fd(), Some(Duration::MAX)).unwrap());
        let mut child = child;
        child.wait().unwrap();
    }
}
