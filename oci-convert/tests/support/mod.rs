//! Shared helpers of ocikit-convert's tests: a raw tar writer that can say
//! anything a hostile layer can (ustar, PAX and GNU headers byte by byte),
//! a sandbox whose outside tree must never change, a snapshot of a
//! directory tree to compare two roots, a sample tree with every kind of
//! file (`treecmp`), and re-runs of a test as an unprivileged user (what a
//! rootless apply is for). What other crates' tests use too is in
//! ocikit-test-support.

#![allow(dead_code)] // each test file uses a different part
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

pub mod rawtar;
pub mod snapshot;
pub mod treecmp;

use std::path::{Path, PathBuf};

use ocikit_convert::{Applied, ApplyOptions, Result};
use ocikit_test_support::skip;

// Not every test file names every one of these.
#[allow(unused_imports)]
pub use rawtar::{E, Tar};
#[allow(unused_imports)]
pub use snapshot::{Kind, Node, Snapshot, xattr, xattr_names};

/// A temporary directory holding `root/`, where layers are applied, and
/// `outside/`, a small tree beside it that no apply may touch: a file, a
/// directory with a file, a symlink and an empty file, all with distinct
/// modes. The whole directory but `root/` is snapshotted at creation;
/// [`Sandbox::check`] compares it again.
pub struct Sandbox {
    /// Keeps the directory alive.
    pub dir: tempfile::TempDir,
    /// Where layers are applied.
    pub root: PathBuf,
    /// The tree that must stay as it was.
    pub outside: PathBuf,
    before: Snapshot,
}

impl Sandbox {
    /// A fresh sandbox with an empty `root/`.
    pub fn new() -> Sandbox {
        Sandbox::with_root(|_| {})
    }

    /// A fresh sandbox whose `root/` is prepared by `prepare` (a lower
    /// layer, written by the test) before the outside tree is recorded.
    pub fn with_root(prepare: impl FnOnce(&Path)) -> Sandbox {
        let dir = tempfile::Builder::new()
            .prefix("oci-convert-sandbox")
            .tempdir()
            .unwrap();
        let root = dir.path().join("root");
        let outside = dir.path().join("outside");
        std::fs::create_dir(&root).unwrap();
        std::fs::create_dir(&outside).unwrap();
        write_file(&outside.join("file"), b"outside file\n", 0o640);
        write_file(&outside.join("empty"), b"", 0o600);
        std::fs::create_dir(outside.join("dir")).unwrap();
        set_mode(&outside.join("dir"), 0o751);
        write_file(&outside.join("dir/nested"), b"nested\n", 0o604);
        std::os::unix::fs::symlink("file", outside.join("link")).unwrap();
        // A victim beside the root too, the first thing `../` reaches.
        write_file(&dir.path().join("victim"), b"victim\n", 0o644);
        // Old times, so that any touch shows.
        for p in [
            "outside/file",
            "outside/empty",
            "outside/dir/nested",
            "victim",
        ] {
            set_mtime(&dir.path().join(p), 1_000_000_000);
        }
        set_mtime(&outside.join("dir"), 1_000_000_001);
        set_mtime(&outside, 1_000_000_002);
        prepare(&root);
        let before = Sandbox::outside_snapshot(dir.path());
        Sandbox {
            dir,
            root,
            outside,
            before,
        }
    }

    /// Everything in the sandbox but `root/`'s content, with change times,
    /// so that even a chmod to the same mode shows.
    fn outside_snapshot(dir: &Path) -> Snapshot {
        // root/ itself changes as entries are written into it.
        Snapshot::take_outside(dir, "root")
    }

    /// Asserts that nothing outside `root/` changed: same names, types,
    /// modes, owners, contents, link targets, xattrs, mtimes and ctimes.
    #[track_caller]
    pub fn check(&self) {
        let after = Sandbox::outside_snapshot(self.dir.path());
        if let Some(diff) = self.before.difference(&after) {
            panic!("the apply changed something outside the root:\n{diff}");
        }
    }

    /// `root/` joined with `rel`.
    pub fn at(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Applies `tar` to `root/` with `options`, then checks the outside.
    #[track_caller]
    pub fn apply(&self, tar: &[u8], options: &ApplyOptions) -> Result<Applied> {
        let result = ocikit_convert::apply_tar(&self.root, tar, options);
        self.check();
        result
    }
}

/// Options for an apply as root (owners set with chown).
pub fn as_root() -> ApplyOptions {
    ApplyOptions {
        rootless: false,
        ..ApplyOptions::default()
    }
}

/// Options for a rootless apply (owners recorded in an xattr).
pub fn rootless() -> ApplyOptions {
    ApplyOptions {
        rootless: true,
        ..ApplyOptions::default()
    }
}

pub use ocikit_test_support::skip::is_root;

/// Whether the tests run as root, which an apply as root needs (chown,
/// devices and `trusted.*` attributes); when they do not, a skip notice
/// (for the whole test, or its as-root half), or a failure under CI. In
/// the unprivileged re-run of a suite ([`rerun_suite_as_nobody`]) a skip
/// notice only: its parent runs the as-root cases.
#[track_caller]
pub fn require_root() -> bool {
    const WHY: &str = "chown, devices and trusted.* xattrs (the whole test, or its as-root half)";
    if std::env::var_os(CHILD).is_some() {
        skip::notice(format_args!(
            "it needs root for {WHY}, and this is the re-run as uid 65534"
        ));
        return false;
    }
    skip::require_root(WHY)
}

/// Both kinds of apply, with a label for assertion messages; only the
/// rootless one (after [`require_root`]'s notice) when the tests do not
/// run as root.
#[track_caller]
pub fn both_modes() -> Vec<(&'static str, ApplyOptions)> {
    let mut modes = Vec::new();
    if require_root() {
        modes.push(("as root", as_root()));
    }
    modes.push(("rootless", rootless()));
    modes
}

/// Asserts that `result` is an error whose message names `entry`, and
/// returns the message.
#[track_caller]
pub fn expect_err_naming(result: Result<Applied>, entry: &str) -> String {
    match result {
        Ok(applied) => {
            panic!("expected an error naming {entry:?}, the apply succeeded: {applied:?}")
        }
        Err(err) => {
            let msg = err.to_string();
            assert!(
                msg.contains(entry),
                "the error should name the entry {entry:?}: {msg}"
            );
            msg
        }
    }
}

/// Writes `content` to `path` with `mode` (tests' own setup, not apply).
pub fn write_file(path: &Path, content: &[u8], mode: u32) {
    std::fs::write(path, content).unwrap();
    set_mode(path, mode);
}

/// chmod, following no symlink (tests' setup of real files).
pub fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Sets a file's mtime (and atime) to `secs`, not following a symlink.
pub fn set_mtime(path: &Path, secs: i64) {
    let t = rustix::fs::Timestamps {
        last_access: rustix::fs::Timespec {
            tv_sec: secs,
            tv_nsec: 0,
        },
        last_modification: rustix::fs::Timespec {
            tv_sec: secs,
            tv_nsec: 0,
        },
    };
    rustix::fs::utimensat(
        rustix::fs::CWD,
        path,
        &t,
        rustix::fs::AtFlags::SYMLINK_NOFOLLOW,
    )
    .unwrap();
}

/// lstat of `path`, panicking with the path when it fails.
#[track_caller]
pub fn lstat(path: &Path) -> std::fs::Metadata {
    std::fs::symlink_metadata(path).unwrap_or_else(|e| panic!("lstat {}: {e}", path.display()))
}

/// Whether anything (even a dangling symlink) is at `path`.
pub fn exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// The permission bits (with setuid, setgid, sticky) of `path`.
#[track_caller]
pub fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::MetadataExt as _;
    lstat(path).mode() & 0o7777
}

/// The file content of `path`.
#[track_caller]
pub fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// The names in directory `path`, sorted.
#[track_caller]
pub fn list(path: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(path)
        .unwrap_or_else(|e| panic!("read_dir {}: {e}", path.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Every path under `root` whose file name starts with `.wh.` (by name
/// only, so that unreadable files do not matter).
pub fn whiteout_files(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            if entry.file_name().to_string_lossy().starts_with(".wh.") {
                found.push(path.strip_prefix(root).unwrap().to_path_buf());
            }
            if entry.file_type().unwrap().is_dir() {
                stack.push(path);
            }
        }
    }
    found.sort();
    found
}

/// The variable that marks a test process started by [`run_as_nobody`].
pub const CHILD: &str = "OCI_CONVERT_TEST_UNPRIVILEGED_CHILD";

/// Runs this test binary again with `args` as user and group 65534
/// (nobody), marked with [`CHILD`]. The binary is copied into a fresh
/// directory that nobody may enter first: the build directory may be under
/// a home nobody cannot traverse (`/root`). An error when it cannot be
/// started.
pub fn run_as_nobody(args: &[&str]) -> std::io::Result<std::process::Output> {
    use std::os::unix::fs::PermissionsExt as _;
    use std::os::unix::process::CommandExt as _;
    let exe = std::env::current_exe()?;
    let dir = tempfile::tempdir()?;
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))?;
    let copy = dir.path().join("tests");
    std::fs::copy(&exe, &copy)?;
    std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755))?;
    // ETXTBSY: another test thread may fork while the copy is still open
    // for writing here, and its child holds that descriptor until it
    // execs; the copy cannot be executed until then. Try again a while.
    let mut attempts = 0;
    loop {
        let result = std::process::Command::new(&copy)
            .args(args)
            .env(CHILD, "1")
            .env("TMPDIR", std::env::temp_dir())
            .current_dir("/")
            .uid(65534)
            .gid(65534)
            .output();
        match result {
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy && attempts < 100 => {
                attempts += 1;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            result => return result,
        }
    }
}

/// What to do when the binary cannot be run as nobody: under CI that is a
/// failure (the unprivileged half must run there), locally a skip notice.
#[track_caller]
fn cannot_run_as_nobody(what: &str, err: std::io::Error) {
    skip::required(format_args!(
        "{what}: cannot run the test binary as uid 65534 ({err})"
    ));
}

/// Runs the calling test again as nobody (see [`run_as_nobody`]) when the
/// tests run as root, since a rootless apply is meant for unprivileged
/// users and root ignores the permissions that bind them. Returns `true`
/// when the caller is to run its body here: in that child, or when the
/// tests already run unprivileged. Returns `false` after the child passed
/// (or, with a skip notice, when it cannot be started outside CI);
/// panics with the child's output when it failed.
pub fn unprivileged() -> bool {
    if std::env::var_os(CHILD).is_some() || !is_root() {
        return true;
    }
    let test = skip::test_name();
    let args = [test.as_str(), "--exact", "--nocapture", "--test-threads=1"];
    match run_as_nobody(&args) {
        Ok(output) => check_child(&test, &output, "1 passed"),
        Err(err) => cannot_run_as_nobody(&test, err),
    }
    false
}

/// Runs the whole test binary again as nobody, but the tests whose names
/// contain `except` (the caller, and tests that re-run themselves), when
/// the tests run as root: every rootless case then also runs where
/// permissions bind. Nothing when this already is the unprivileged run.
pub fn rerun_suite_as_nobody(suite: &str, except: &str) {
    if std::env::var_os(CHILD).is_some() || !is_root() {
        return;
    }
    match run_as_nobody(&["--skip", except]) {
        Ok(output) => check_child(suite, &output, " passed; 0 failed"),
        Err(err) => cannot_run_as_nobody(suite, err),
    }
}

#[track_caller]
fn check_child(what: &str, output: &std::process::Output, passed: &str) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains(passed),
        "{what} failed in its child process ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
}
