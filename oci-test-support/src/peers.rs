//! The peer tools the interop tests run against (skopeo, umoci, runc and
//! oci-image-tool, and the small ones: GNU tar, gzip, pigz, zstd, busybox,
//! shells), as .ci/install-peers.sh installs them: finding them, the one
//! reading of `CI`, and running them with their failure in the message.
//!
//! A test asks for its tools first ([`require_tool`], [`require_tools`]):
//! a missing one fails the test under CI and skips it, with a notice that
//! `cargo test` shows, otherwise (see [`crate::skip`]).

use std::ffi::OsStr;
use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use crate::skip;

/// The directories searched after those of `PATH`: a user's `PATH` often
/// lacks the sbin ones, where Debian installs runc.
const SBIN: [&str; 3] = ["/usr/local/sbin", "/usr/sbin", "/sbin"];

/// Whether the tests run in CI, where every test must run: a missing peer
/// tool or a missing privilege is then a failure, not a skip. CI is on when
/// the environment variable `CI` is set to anything but the empty string,
/// `0` or `false` (in any case): CI services set `CI=true` or `CI=1`, and
/// `CI=false` or `CI=` turns it off again. Every test of the workspace
/// reads `CI` through this function.
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|value| {
        let value = value.to_string_lossy();
        !(value.is_empty() || value == "0" || value.eq_ignore_ascii_case("false"))
    })
}

/// Where the program `name` is: the first executable file of that name in
/// the directories of `PATH`, then in `/usr/local/sbin`, `/usr/sbin` and
/// `/sbin`. `None` when there is none.
pub fn locate(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(SBIN.iter().map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| {
            std::fs::metadata(candidate)
                .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
        })
}

/// Whether the peer tool `name` is there ([`locate`]). When it is not:
/// a failure under CI ([`in_ci`]), a skip notice naming the test and the
/// tool otherwise ([`skip::required`]), and `false`.
///
/// # Panics
///
/// Under CI, when the tool is missing.
#[track_caller]
pub fn require_tool(name: &str) -> bool {
    let found = locate(name).is_some();
    if !found {
        skip::required(format_args!(
            "peer tool `{name}` not found (on PATH or in {}); .ci/install-peers.sh installs it",
            SBIN.join(", ")
        ));
    }
    found
}

/// [`require_tool`] for each of `names`; every one is checked, so that
/// each missing tool is named.
#[track_caller]
pub fn require_tools(names: &[&str]) -> bool {
    let mut all = true;
    for name in names {
        // Not `&&`: each missing tool gets its notice.
        all &= require_tool(name);
    }
    all
}

/// A command for the program `name`, found as [`locate`] finds it (by its
/// bare name when it is nowhere, so that running it fails saying so).
pub fn command(name: &str) -> Command {
    match locate(name) {
        Some(path) => Command::new(path),
        None => Command::new(name),
    }
}

/// The first line of `name --version` (of its stdout, or of its stderr
/// when stdout is empty), such as `umoci version 0.4.7`, for the assertion
/// messages of interop tests (docs/ARCHITECTURE.md, "Tests").
///
/// # Panics
///
/// When the tool cannot be started.
pub fn version(name: &str) -> String {
    let mut command = command(name);
    let out = command
        .arg("--version")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    let first_line = |bytes: &[u8]| {
        String::from_utf8_lossy(bytes)
            .lines()
            .map(str::trim)
            .find(|line| !line.is_empty())
            .map(str::to_owned)
    };
    first_line(&out.stdout)
        .or_else(|| first_line(&out.stderr))
        .unwrap_or_default()
}

/// Runs `command` and returns its stdout.
///
/// # Panics
///
/// When it cannot be started or does not succeed, with the command line,
/// the exit status, stderr and stdout.
#[track_caller]
pub fn run(command: &mut Command) -> Vec<u8> {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    succeeded(command, output)
}

/// Runs `command` with `input` on its stdin (written by a thread of its
/// own, so that a command that writes as it reads cannot block on a full
/// pipe) and returns its output, whatever its exit status.
///
/// # Panics
///
/// When it cannot be started or its stdin cannot be written.
pub fn output_with_input(command: &mut Command, input: &[u8]) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let feeder = std::thread::spawn(move || stdin.write_all(&input));
    let output = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    if let Err(e) = feeder.join().unwrap() {
        panic!("{command:?}: cannot write its stdin: {e}");
    }
    output
}

/// [`run`] with `input` on the command's stdin.
///
/// # Panics
///
/// As [`run`] and [`output_with_input`].
#[track_caller]
pub fn run_with_input(command: &mut Command, input: &[u8]) -> Vec<u8> {
    let output = output_with_input(command, input);
    succeeded(command, output)
}

/// The stdout of `output`, after checking that `command` succeeded.
#[track_caller]
fn succeeded(command: &Command, output: Output) -> Vec<u8> {
    assert!(
        output.status.success(),
        "{command:?} failed ({}):\n--- stderr\n{}\n--- stdout\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout),
    );
    output.stdout
}

/// GNU tar's verbose listing of the uncompressed tar `tar` (`tar
/// --numeric-owner --full-time -tvf`, times in UTC, the C locale), a line
/// an entry, each run of white space made one space.
///
/// # Panics
///
/// As [`run`]: when tar fails, with its stderr.
pub fn gnu_tar_listing(tar: &[u8]) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("layer.tar");
    std::fs::write(&path, tar).unwrap();
    let out = run(command("tar")
        .args(["--numeric-owner", "--full-time", "-tvf"])
        .arg(&path)
        .env("TZ", "UTC")
        .env("LC_ALL", "C"));
    String::from_utf8_lossy(&out)
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

/// Runs the tool `name` with `args` ([`command`], [`run`]).
#[track_caller]
fn tool<S: AsRef<OsStr>>(name: &str, args: &[S]) -> Vec<u8> {
    run(command(name).args(args))
}

/// Runs `skopeo --insecure-policy ARGS` and returns its stdout. The tests
/// use only local transports (`oci:`, `oci-archive:`, `docker-archive:`),
/// so no `/etc/containers/policy.json` is needed.
///
/// # Panics
///
/// As [`run`]: when skopeo fails, with its stderr.
#[track_caller]
pub fn skopeo<S: AsRef<OsStr>>(args: &[S]) -> Vec<u8> {
    run(command("skopeo").arg("--insecure-policy").args(args))
}

/// Runs `umoci ARGS` and returns its stdout.
///
/// # Panics
///
/// As [`run`]: when umoci fails, with its stderr.
#[track_caller]
pub fn umoci<S: AsRef<OsStr>>(args: &[S]) -> Vec<u8> {
    tool("umoci", args)
}

/// Runs `runc ARGS` and returns its stdout. For a container's stdio or a
/// `--root`, build the command from [`command`]`("runc")`.
///
/// # Panics
///
/// As [`run`]: when runc fails, with its stderr.
#[track_caller]
pub fn runc<S: AsRef<OsStr>>(args: &[S]) -> Vec<u8> {
    tool("runc", args)
}

/// Runs `oci-image-tool ARGS` and returns its stdout.
///
/// # Panics
///
/// As [`run`]: when oci-image-tool fails, with its stderr.
#[track_caller]
pub fn oci_image_tool<S: AsRef<OsStr>>(args: &[S]) -> Vec<u8> {
    tool("oci-image-tool", args)
}

/// A root filesystem of the static busybox (Debian's busybox-static) in
/// `root`: `bin/busybox` (mode 0755), a symbolic link `bin/APPLET` to it
/// for each of `applets`, and the empty mount points `proc`, `dev`, `sys`
/// and `tmp`. Check for busybox with [`require_tool`] first.
///
/// # Panics
///
/// When busybox is not there, or a file cannot be written.
pub fn busybox_rootfs(root: &std::path::Path, applets: &[&str]) {
    for sub in ["bin", "proc", "dev", "sys", "tmp"] {
        std::fs::create_dir_all(root.join(sub)).unwrap();
    }
    let busybox = root.join("bin/busybox");
    std::fs::copy(locate("busybox").expect("busybox"), &busybox).unwrap();
    std::fs::set_permissions(&busybox, std::fs::Permissions::from_mode(0o755)).unwrap();
    for applet in applets {
        std::os::unix::fs::symlink("busybox", root.join("bin").join(applet)).unwrap();
    }
}
