//! Tests under kernel-enforced bounds. A test runs again alone in a child
//! process of its test binary, where it may change process-wide limits
//! without disturbing the tests beside it: the address space
//! (`RLIMIT_AS`) and CPU time (`RLIMIT_CPU`) of [`bounded`], so that a
//! bomb that got through ends the child with a signal instead of
//! exhausting the machine, and the parent can tell our error from a kill;
//! the open files of [`with_fd_limit`] in [`in_own_process`]. Used by
//! oci-layout's limits.rs and oci-convert's bombs.rs, deep.rs and
//! hostile.rs.

use std::os::unix::process::ExitStatusExt as _;
use std::process::Output;

use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

use crate::skip::test_name;

/// The address space a child may map: 1 GiB.
pub const AS_LIMIT: u64 = 1 << 30;

/// The environment variable that names the test a child process runs.
const CHILD_VAR: &str = "OCIKIT_TEST_BOUNDED_CHILD";

/// Runs the calling test again alone in a child process under
/// [`AS_LIMIT`], and under `cpu_seconds` of CPU when given (SIGXCPU then,
/// SIGKILL ten seconds later; a test may set its own bound with
/// [`start_cpu_bound`] instead). Returns `true` in that child, after
/// setting the limits, where the caller runs its body; `false` in the
/// parent once the child passed.
///
/// # Panics
///
/// When the child was killed by a signal or failed, with its output.
pub fn bounded(cpu_seconds: Option<u64>) -> bool {
    if is_child() {
        setrlimit(Resource::As, limit(AS_LIMIT, AS_LIMIT)).unwrap();
        if let Some(seconds) = cpu_seconds {
            setrlimit(Resource::Cpu, limit(seconds, seconds + 10)).unwrap();
        }
        return true;
    }
    let (test, output) = run_child();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if let Some(signal) = output.status.signal() {
        panic!(
            "{test}: the bounded child was killed by signal {signal} \
             (6 = SIGABRT: an allocation beyond {AS_LIMIT} bytes of address space; \
             11 = SIGSEGV: a stack overflow; 24 = SIGXCPU: past the test's CPU bound), \
             not stopped by our error:\n{stdout}\n{stderr}"
        );
    }
    check_child(&test, &output);
    // Pass the child's figures on (shown with --nocapture).
    for line in stderr.lines().filter(|l| l.starts_with("bounds:")) {
        eprintln!("{test}: {line}");
    }
    false
}

/// Runs the calling test again alone in a process of its own, for a test
/// that changes process-wide state (a resource limit, see
/// [`with_fd_limit`]) that would disturb the tests running beside it.
/// Returns `true` in that process, where the caller runs its body; `false`
/// after the child passed.
///
/// # Panics
///
/// When the child failed, with its output.
pub fn in_own_process() -> bool {
    if is_child() {
        return true;
    }
    let (test, output) = run_child();
    check_child(&test, &output);
    false
}

/// Runs `body` with the soft limit of open files lowered to `limit`, then
/// puts the limit back. The limit is the process's: the caller runs in a
/// process of its own ([`in_own_process`]).
pub fn with_fd_limit<T>(limit: u64, body: impl FnOnce() -> T) -> T {
    let saved = getrlimit(Resource::Nofile);
    let lowered = Rlimit {
        current: Some(limit),
        maximum: saved.maximum,
    };
    setrlimit(Resource::Nofile, lowered).unwrap();
    let result = body();
    setrlimit(Resource::Nofile, saved).unwrap();
    result
}

/// Whether this process is the child [`run_child`] started for the
/// running test.
fn is_child() -> bool {
    std::env::var(CHILD_VAR).is_ok_and(|name| name == test_name())
}

/// Runs this test binary again with only the running test, uncaptured, on
/// one thread, marked by [`CHILD_VAR`]; the test's name and the child's
/// output.
fn run_child() -> (String, Output) {
    let test = test_name();
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([test.as_str(), "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_VAR, &test)
        .output()
        .unwrap();
    (test, output)
}

/// Asserts that the child of `test` passed it.
#[track_caller]
fn check_child(test: &str, output: &Output) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "{test} failed in its child process ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}

fn limit(current: u64, maximum: u64) -> Rlimit {
    Rlimit {
        current: Some(current),
        maximum: Some(maximum),
    }
}

/// The CPU time this process has used, in clock ticks (100 a second):
/// fields 14 and 15 (utime, stime) of `/proc/self/stat`, counted after
/// the ")" that ends the command name.
pub fn cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

/// Starts the CPU bound of the operation under test: `RLIMIT_CPU` becomes
/// the CPU time used so far (building the input) plus `seconds`, with
/// SIGKILL ten seconds after the SIGXCPU. Returns the ticks used so far.
pub fn start_cpu_bound(seconds: u64) -> u64 {
    let used = cpu_ticks();
    let soft = used.div_ceil(100) + seconds;
    setrlimit(Resource::Cpu, limit(soft, soft + 10)).unwrap();
    used
}

/// Prints (to stderr, as `bounds: ...`) the child's peak resident size,
/// and the CPU time used since `start` ticks (0: since the child began).
pub fn report_usage(start: u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let peak = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .unwrap_or("?")
        .trim()
        .to_owned();
    let ticks = cpu_ticks() - start;
    eprintln!(
        "bounds: peak {peak}, CPU {:.1} s (user + system)",
        ticks as f64 / 100.0
    );
}
