//! Signals for `kill` (runtime-spec runtime.md, "Kill"), by name or
//! number, and the exit status of a container's process.

use std::fmt;
use std::str::FromStr;

/// The Linux signals by number (x86, arm and most others), as `kill -l`
/// names them without the `SIG` prefix.
const NAMES: [(i32, &str); 31] = [
    (1, "HUP"),
    (2, "INT"),
    (3, "QUIT"),
    (4, "ILL"),
    (5, "TRAP"),
    (6, "ABRT"),
    (7, "BUS"),
    (8, "FPE"),
    (9, "KILL"),
    (10, "USR1"),
    (11, "SEGV"),
    (12, "USR2"),
    (13, "PIPE"),
    (14, "ALRM"),
    (15, "TERM"),
    (16, "STKFLT"),
    (17, "CHLD"),
    (18, "CONT"),
    (19, "STOP"),
    (20, "TSTP"),
    (21, "TTIN"),
    (22, "TTOU"),
    (23, "URG"),
    (24, "XCPU"),
    (25, "XFSZ"),
    (26, "VTALRM"),
    (27, "PROF"),
    (28, "WINCH"),
    (29, "IO"),
    (30, "PWR"),
    (31, "SYS"),
];

/// The highest signal number of Linux (`SIGRTMAX`).
const MAX: i32 = 64;

/// A signal: a number from 1 to 64, parsed from a number or a name
/// (`TERM`, `SIGTERM`, `sigterm`). It is passed to the runtime as its
/// number, which runc, crun and youki all read.
///
/// ```
/// use ocikit_runtime::Signal;
///
/// let term: Signal = "SIGTERM".parse()?;
/// assert_eq!(term, Signal::TERM);
/// assert_eq!("9".parse::<Signal>()?, Signal::KILL);
/// assert_eq!(Signal::KILL.to_string(), "SIGKILL");
/// assert!("SIGNOPE".parse::<Signal>().is_err());
/// # Ok::<(), String>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signal(i32);

impl Signal {
    /// `SIGHUP`.
    pub const HUP: Signal = Signal(1);
    /// `SIGINT`, as Ctrl-C sends.
    pub const INT: Signal = Signal(2);
    /// `SIGKILL`, which cannot be caught.
    pub const KILL: Signal = Signal(9);
    /// `SIGTERM`, the default of `kill`.
    pub const TERM: Signal = Signal(15);
    /// `SIGWINCH`, the terminal's size changed.
    pub const WINCH: Signal = Signal(28);

    /// The signal numbered `number`, from 1 to 64.
    pub fn from_number(number: i32) -> Option<Signal> {
        (1..=MAX).contains(&number).then_some(Signal(number))
    }

    /// Its number.
    pub fn number(self) -> i32 {
        self.0
    }

    /// Its name without `SIG` (`TERM`), for the standard signals.
    pub fn name(self) -> Option<&'static str> {
        NAMES
            .iter()
            .find(|(number, _)| *number == self.0)
            .map(|(_, name)| *name)
    }
}

impl FromStr for Signal {
    type Err = String;

    fn from_str(s: &str) -> Result<Signal, String> {
        if let Ok(number) = s.parse::<i32>() {
            return Signal::from_number(number)
                .ok_or_else(|| format!("signal {number} is not between 1 and {MAX}"));
        }
        let upper = s.to_ascii_uppercase();
        let name = upper.strip_prefix("SIG").unwrap_or(&upper);
        NAMES
            .iter()
            .find(|(_, known)| *known == name)
            .map(|(number, _)| Signal(*number))
            .ok_or_else(|| format!("{s:?} is not a signal: expected a name such as TERM or SIGKILL, or a number from 1 to {MAX}"))
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "SIG{name}"),
            None => write!(f, "signal {}", self.0),
        }
    }
}

/// How a container's process ended.
///
/// ```
/// use ocikit_runtime::{ExitStatus, Signal};
///
/// assert_eq!(ExitStatus::Exited(7).code(), 7);
/// assert_eq!(ExitStatus::Signaled(Signal::KILL).code(), 137);
/// assert_eq!(ExitStatus::Signaled(Signal::TERM).to_string(), "killed by SIGTERM");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExitStatus {
    /// It exited with this status.
    Exited(i32),
    /// A signal ended it.
    Signaled(Signal),
}

impl ExitStatus {
    /// The exit code a shell gives it: the status, or 128 plus the signal's
    /// number.
    pub fn code(self) -> i32 {
        match self {
            ExitStatus::Exited(status) => status,
            ExitStatus::Signaled(signal) => 128 + signal.number(),
        }
    }

    /// Whether it exited with status 0.
    pub fn success(self) -> bool {
        self == ExitStatus::Exited(0)
    }
}

impl fmt::Display for ExitStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExitStatus::Exited(status) => write!(f, "exited with status {status}"),
            ExitStatus::Signaled(signal) => write!(f, "killed by {signal}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers_parse_and_bad_ones_do_not() {
        for (text, number) in [("TERM", 15), ("sigint", 2), ("SIGRTMIN", 0), ("34", 34)] {
            match text.parse::<Signal>() {
                Ok(signal) => assert_eq!(signal.number(), number, "{text}"),
                Err(e) => assert_eq!(number, 0, "{text}: {e}"),
            }
        }
        assert_eq!(
            "0".parse::<Signal>().unwrap_err(),
            "signal 0 is not between 1 and 64"
        );
        assert!("65".parse::<Signal>().is_err());
        assert!("-9".parse::<Signal>().is_err());
        assert!("".parse::<Signal>().is_err());
        assert_eq!(Signal(34).to_string(), "signal 34");
        for (number, name) in NAMES {
            assert_eq!(name.parse::<Signal>(), Ok(Signal(number)));
        }
    }
}
