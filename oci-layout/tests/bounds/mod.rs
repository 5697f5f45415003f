//! Tests under kernel-enforced bounds: a test runs again alone in a child
//! process whose address space (`RLIMIT_AS`) and CPU time (`RLIMIT_CPU`)
//! are capped, so that a bomb that got through would end the child with a
//! signal instead of exhausting the machine, and the parent can tell our
//! error from a kill. Shared by oci-layout's limits.rs and oci-convert's
//! bombs.rs.

#![allow(dead_code)] // each test file uses a different part
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::os::unix::process::ExitStatusExt as _;

use rustix::process::{Resource, Rlimit, setrlimit};

/// The address space a child may map: 1 GiB.
pub const AS_LIMIT: u64 = 1 << 30;

/// Runs the calling test again alone in a child process (marked by the
/// environment variable `child_var` holding the test's name) under
/// [`AS_LIMIT`], and under `cpu_seconds` of CPU when given (SIGXCPU then,
/// SIGKILL ten seconds later; a test may set its own bound with
/// [`start_cpu_bound`] instead). Returns `true` in that child, after
/// setting the limits, where the caller runs its body; `false` in the
/// parent once the child passed. Panics when the child was killed by a
/// signal or failed, with its output.
pub fn bounded(child_var: &str, cpu_seconds: Option<u64>) -> bool {
    let test = std::thread::current().name().unwrap().to_owned();
    if std::env::var(child_var).is_ok_and(|v| v == test) {
        setrlimit(Resource::As, limit(AS_LIMIT, AS_LIMIT)).unwrap();
        if let Some(seconds) = cpu_seconds {
            setrlimit(Resource::Cpu, limit(seconds, seconds + 10)).unwrap();
        }
        return true;
    }
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args([test.as_str(), "--exact", "--nocapture", "--test-threads=1"])
        .env(child_var, &test)
        .output()
        .unwrap();
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
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "{test} failed in its bounded child ({}):\n{stdout}\n{stderr}",
        output.status
    );
    // Pass the child's figures on (shown with --nocapture).
    for line in stderr.lines().filter(|l| l.starts_with("bounds:")) {
        eprintln!("{test}: {line}");
    }
    false
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
