//! Tests that run part of their work in a child process: the child is an
//! ignored test of the same test binary, told what to do through
//! environment variables, so that the parent can kill it at a chosen
//! moment, run several at once, or watch it from outside.

use std::ops::{Deref, DerefMut};
use std::process::{Child, Command};

/// A command that runs the ignored test `name` of this test binary alone:
/// `--exact`, uncaptured, on one thread. The caller adds environment
/// variables and stdio, then spawns or runs it.
pub fn ignored_test(name: &str) -> Command {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.args([
        "--ignored",
        "--exact",
        name,
        "--nocapture",
        "--test-threads=1",
    ]);
    command
}

/// A child process that is SIGKILLed and reaped when dropped, so that a
/// failing test leaves no process behind.
pub struct KilledOnDrop(pub Child);

impl Deref for KilledOnDrop {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl DerefMut for KilledOnDrop {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for KilledOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
