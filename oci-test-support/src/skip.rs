//! Skip notices. libtest captures what a test prints with `print!` and
//! `eprint!` and shows it only when the test fails, so a test that returns
//! early because it cannot run here would pass in silence. A notice here
//! is written to the process's stderr itself, which the capture does not
//! reach: plain `cargo test` shows it beside the test's `ok`.
//!
//! Every skip of the workspace's tests goes through [`notice`]; a skip
//! that CI must never take (a missing peer tool, no root) through
//! [`required`], which fails the test instead when [`in_ci`] says so.

use std::fmt::Display;
use std::io::Write as _;

use crate::peers::in_ci;

/// The name of the running test: libtest names each test's thread after
/// it (`module::test_name`). On the main thread of a program without
/// libtest's harness (a criterion bench), the program's file name.
pub fn test_name() -> String {
    match std::thread::current().name() {
        Some("main") | None => std::env::args_os()
            .next()
            .map(std::path::PathBuf::from)
            .and_then(|path| Some(path.file_name()?.to_string_lossy().into_owned()))
            .unwrap_or_else(|| "<unnamed thread>".to_owned()),
        Some(name) => name.to_owned(),
    }
}

/// Says on the process's stderr, past libtest's capture, that the running
/// test skips (all of itself, or the part `reason` names), and why:
/// `SKIPPED module::test: reason`.
pub fn notice(reason: impl Display) {
    let line = format!("SKIPPED {}: {reason}\n", test_name());
    // One write, so that the notices of tests running side by side do not
    // interleave; nothing to do if stderr itself is gone.
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// A requirement of the running test that this machine does not meet
/// (`reason` says which): a failure under CI, where every test must run
/// (see .ci/install-peers.sh and .ci/run), a [`notice`] otherwise.
///
/// # Panics
///
/// Under CI ([`in_ci`]), naming the test and the reason.
#[track_caller]
pub fn required(reason: impl Display) {
    assert!(
        !in_ci(),
        "{}: {reason}; CI is set, and CI must run every test",
        test_name()
    );
    notice(reason);
}

/// Whether the tests run as root (effective user id 0).
pub fn is_root() -> bool {
    rustix::process::geteuid().is_root()
}

/// Whether the tests run as root, which the running test needs for `why`
/// (`"runc"`, `"chown, devices and trusted.* xattrs"`): when they do not,
/// [`required`] (a failure under CI, a skip otherwise).
#[track_caller]
pub fn require_root(why: &str) -> bool {
    let root = is_root();
    if !root {
        required(format_args!("it needs root for {why}"));
    }
    root
}
