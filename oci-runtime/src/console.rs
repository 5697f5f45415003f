//! The console socket (runc's `--console-socket`): when the process has
//! a terminal (`process.terminal`, runtime-spec config.md "Process"), the
//! runtime creates the pseudoterminal inside the container and sends its
//! master side to a Unix socket the caller listens on, as one message
//! carrying one descriptor (`SCM_RIGHTS`); runc 1.1 sends the payload
//! `/dev/ptmx` with it and expects no answer.

use std::fs::File;
use std::io::IoSliceMut;
use std::mem::MaybeUninit;
use std::os::fd::{AsFd, OwnedFd};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rustix::net::{RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags, recvmsg};

use crate::process::wait_readable;
use crate::{Error, Result};

/// How many descriptors a message may carry before the extra ones are
/// cut by the kernel; more than one is refused, but they are received (and
/// closed) rather than left to truncation.
const MAX_FDS: usize = 4;

/// A Unix socket listening for the terminal a runtime sends.
///
/// ```no_run
/// use std::time::Duration;
/// use ocikit_runtime::ConsoleSocket;
///
/// let dir = tempfile::tempdir()?; // 0700: no one else can connect
/// let socket = ConsoleSocket::bind(&dir.path().join("console.sock"))?;
/// // ... `runc create --console-socket <socket.path()> ...` ...
/// let master = socket.receive(Duration::from_secs(5))?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Security
///
/// Whoever can connect to the socket can hand the caller a descriptor of
/// its choice: bind it in a directory only the caller can enter (the
/// driver uses the private 0700 directory of the call).
#[derive(Debug)]
pub struct ConsoleSocket {
    listener: UnixListener,
    path: PathBuf,
}

impl ConsoleSocket {
    /// Listens on a new socket at `path` (which must not exist). Its
    /// descriptor is close-on-exec: the runtime connects by path.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the socket cannot be made there (a path longer
    /// than the 107 bytes a Unix socket address holds among them).
    pub fn bind(path: &Path) -> Result<ConsoleSocket> {
        let listener = UnixListener::bind(path).map_err(|source| Error::Io {
            action: "listen on a console socket at",
            path: path.to_path_buf(),
            source,
        })?;
        Ok(ConsoleSocket {
            listener,
            path: path.to_path_buf(),
        })
    }

    /// The socket's path, for `--console-socket`.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Accepts one connection, waiting at most `timeout` for it, and
    /// receives the master side of the terminal from it (close-on-exec).
    ///
    /// # Errors
    ///
    /// [`Error::Console`] when nothing connects in time, or the message
    /// does not carry exactly one descriptor.
    pub fn receive(&self, timeout: Duration) -> Result<File> {
        let fail = |what: String| Error::Console {
            path: self.path.clone(),
            what,
        };
        let ready = wait_readable(self.listener.as_fd(), Some(timeout))
            .map_err(|e| fail(format!("waiting for the runtime to connect: {e}")))?;
        if !ready {
            return Err(fail(format!(
                "the runtime did not connect within {} s to send the terminal",
                timeout.as_secs_f64()
            )));
        }
        let (stream, _) = self
            .listener
            .accept()
            .map_err(|e| fail(format!("accepting the runtime's connection: {e}")))?;
        stream
            .set_read_timeout(Some(timeout.max(Duration::from_millis(1))))
            .map_err(|e| fail(format!("setting a read timeout: {e}")))?;
        let mut payload = [0u8; 256];
        let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(MAX_FDS))];
        let mut control = RecvAncillaryBuffer::new(&mut space);
        let received = loop {
            match recvmsg(
                &stream,
                &mut [IoSliceMut::new(&mut payload)],
                &mut control,
                RecvFlags::CMSG_CLOEXEC,
            ) {
                Err(rustix::io::Errno::INTR) => {}
                other => {
                    break other.map_err(|e| fail(format!("receiving the terminal: {e}")))?;
                }
            }
        };
        let mut fds: Vec<OwnedFd> = Vec::new();
        for message in control.drain() {
            if let RecvAncillaryMessage::ScmRights(rights) = message {
                fds.extend(rights);
            }
        }
        match fds.len() {
            1 => Ok(File::from(fds.remove(0))),
            n => Err(fail(format!(
                "expected one descriptor (the terminal's master side), received {n} with {} bytes of payload",
                received.bytes
            ))),
        }
    }
}
