//! Shared helpers of the `oci` command-line tests: the binary, running it,
//! and its output as text.

#![allow(dead_code)] // each test file uses a different part

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The `oci` binary of this package. Cargo builds it, with this test's
/// profile and features, before it builds an integration test, and names
/// it in `CARGO_BIN_EXE_oci`: no nested `cargo build`, no stale binary.
pub fn oci() -> Command {
    Command::new(env!("CARGO_BIN_EXE_oci"))
}

pub fn run(args: &[&str]) -> Output {
    oci().args(args).output().expect("run oci")
}

/// Runs `oci ARGS` with `SOURCE_DATE_EPOCH` fixed (1700000000,
/// 2023-11-14T22:13:20Z), so that the digests of two runs compare.
pub fn run_dated(args: &[&str]) -> Output {
    oci()
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .expect("run oci")
}

/// Runs `oci ARGS` and checks that it is a usage error: exit code 2, and
/// on stderr clap's error and its pointer to `--help`, nothing on stdout.
#[track_caller]
pub fn assert_usage_error(args: &[&str]) {
    let out = run(args);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(
        stderr.starts_with("error: ") && stderr.contains("try '--help'"),
        "{args:?}: {stderr}"
    );
    assert!(out.stdout.is_empty(), "{args:?}: {}", text(&out.stdout));
}

/// Checks that `out` is a success with nothing on stderr (not a
/// terminal: no progress, no notes); returns stdout.
#[track_caller]
pub fn succeeded(out: &Output) -> String {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(stderr, "");
    text(&out.stdout)
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `oci ARGS` under `script`, which gives it a pseudo-terminal for its
/// standard streams; what the terminal showed. The caller checks that
/// `script` is there (`peers::require_tool`).
#[track_caller]
pub fn on_a_terminal(args: &[&str]) -> String {
    let out = terminal(args).output().expect("run script");
    assert!(out.status.success(), "{args:?}: {}", text(&out.stdout));
    text(&out.stdout)
}

/// The command that runs `oci ARGS` under `script` (util-linux): stdin,
/// stdout and stderr a pseudo-terminal, what it shows on script's stdout,
/// oci's exit code as script's.
pub fn terminal(args: &[&str]) -> Command {
    let oci = oci();
    let mut line = quote(oci.get_program().to_str().expect("a UTF-8 path"));
    for arg in args {
        line.push(' ');
        line += &quote(arg);
    }
    let mut script = Command::new("script");
    script.args(["-qfec", &line, "/dev/null"]);
    script
}

/// `word` quoted for sh.
fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', "'\\''"))
}

/// The example `name`, built fresh: cargo names the binaries of a package
/// to its integration tests (`CARGO_BIN_EXE_*`), not its examples, and
/// `cargo test --test NAME` alone would not rebuild an example. The build
/// uses this test's profile and features, so it reuses what `cargo test`
/// already built.
pub fn build_example(name: &str) -> PathBuf {
    let mut cargo = Command::new(env!("CARGO"));
    cargo.args(["build", "--quiet", "--example", name]);
    cargo.current_dir(env!("CARGO_MANIFEST_DIR"));
    if !cfg!(debug_assertions) {
        cargo.arg("--release");
    }
    if cfg!(feature = "blake3") {
        cargo.args(["--features", "blake3"]);
    }
    let status = cargo.status().expect("run cargo build --example");
    assert!(status.success(), "cargo build --example {name} failed");
    let mut path = std::env::current_exe().expect("test binary path");
    path.pop(); // the test binary
    if path.ends_with("deps") {
        path.pop();
    }
    path.join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX))
}

/// Builds a one-layer linux/amd64 image at `image` (`LAYOUT:TAG`) from a
/// tree in `dir` holding `etc/hostname` with `content`; returns the
/// manifest digest `oci build` printed.
pub fn build_image(dir: &Path, image: &str, content: &[u8]) -> String {
    let tree = dir.join(format!(
        "tree-{}",
        ocikit_image::Digest::sha256(content).encoded()
    ));
    std::fs::create_dir_all(tree.join("etc")).expect("create the tree");
    std::fs::write(tree.join("etc/hostname"), content).expect("write etc/hostname");
    let out = run(&[
        "build",
        tree.to_str().expect("a UTF-8 path"),
        image,
        "--platform",
        "linux/amd64",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout).trim().to_owned()
}

/// The files of a layout's blob directory, sorted, with their bytes.
pub fn blobs(layout: impl AsRef<Path>) -> Vec<(String, Vec<u8>)> {
    let dir = layout.as_ref().join("blobs/sha256");
    let mut found: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let e = e.expect("a directory entry");
            let bytes = std::fs::read(e.path()).expect("read a blob");
            (e.file_name().to_string_lossy().into_owned(), bytes)
        })
        .collect();
    found.sort();
    found
}
