//! The child subreaper (`prctl(PR_SET_CHILD_SUBREAPER)`): how a driver
//! gets the exit status of a container's process it did not start itself.
//!
//! runc's `create` (and `run --detach`, `exec --detach`) starts the
//! container's process and exits; the process, an orphan now, is adopted
//! by the nearest ancestor that is a child subreaper, or by the host's
//! init. Only the adopter can wait for it and read its exit status. A
//! process that called [`enable`] before the container was created is
//! that adopter: the driver then opens a pidfd for the container's
//! process and [`ProcessHandle::wait`](crate::ProcessHandle::wait) gives
//! its status.
//!
//! # What it means for the rest of the program
//!
//! The attribute belongs to the whole process, every thread, and cannot be
//! limited to containers: **every** orphaned descendant of the process is
//! adopted from then on: the grandchildren of any program it starts (a
//! shell's background job, a daemon that double-forks), not only the
//! containers' processes. The driver reaps only the processes it handed
//! out handles for, one pid at a time through their pidfds; it never
//! calls `waitpid(-1)`, which would take statuses other code of the
//! program waits for. Other adopted orphans stay zombies until the program
//! reaps them or exits. So enable it in a program that supervises
//! containers (as `oci run` does), not from a library on a caller's
//! behalf.

/// Makes this process a child subreaper, for good (the driver never turns
/// it off). See the module's documentation for what this means for the
/// rest of the program.
///
/// # Errors
///
/// The operating system's error (there is none on Linux since 3.4).
pub fn enable() -> std::io::Result<()> {
    // rustix passes the pid's value as prctl's second argument: nonzero
    // (here 1) turns the attribute on.
    rustix::process::set_child_subreaper(Some(rustix::process::Pid::INIT))?;
    Ok(())
}

/// Whether this process is a child subreaper.
pub fn is_enabled() -> bool {
    rustix::process::child_subreaper().is_ok_and(|value| value.is_some())
}
