//! The runtime-spec commands of `oci` (src/bin/oci/runtime.rs):
//! `oci runtime-spec [--rootless]` against the real `runc spec` (tested
//! with runc 1.1.5), and `oci validate --type runtime-*` on the
//! runtime-spec's own good and bad documents.
//!
//! runc missing: the runc tests fail under CI and are skipped otherwise,
//! with a notice that `cargo test` shows (ocikit_test_support::peers).
#![allow(clippy::unwrap_used)]

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use ocikit_test_support::peers;
use support::{oci, run, text};

/// `runc spec [args]` in a fresh directory: the config.json it writes.
fn runc_spec(args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    peers::run(
        peers::command("runc")
            .arg("spec")
            .args(args)
            .current_dir(dir.path()),
    );
    std::fs::read_to_string(dir.path().join("config.json")).unwrap()
}

/// What `oci runtime-spec` prints for runc's file: the same bytes, but our
/// `ociVersion` (runc 1.1.5 writes its own, `1.0.2-dev`) and a final
/// newline (runc's file has none).
fn expected_from_runc(file: &str) -> String {
    let theirs = file
        .lines()
        .find(|l| l.trim_start().starts_with("\"ociVersion\""))
        .unwrap();
    let ours = format!(
        "\t\"ociVersion\": \"{}\",",
        ocikit_runtime_spec::SPEC_VERSION
    );
    format!("{}\n", file.replacen(theirs, &ours, 1))
}

#[test]
fn runtime_spec_is_what_runc_spec_writes() {
    if !peers::require_tool("runc") {
        return;
    }
    let out = run(&["runtime-spec"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), expected_from_runc(&runc_spec(&[])));
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn runtime_spec_rootless_is_what_runc_spec_rootless_writes() {
    if !peers::require_tool("runc") {
        return;
    }
    // Both run as this test's user, so both map the same uid and gid.
    let out = run(&["runtime-spec", "--rootless"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        expected_from_runc(&runc_spec(&["--rootless"]))
    );
}

/// Runs `oci args...` with `input` on stdin.
fn run_with_stdin(args: &[&str], input: &[u8]) -> std::process::Output {
    let mut child = oci()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn runtime_spec_output_is_valid() {
    for args in [&["runtime-spec"][..], &["runtime-spec", "--rootless"]] {
        let out = run(args);
        assert!(out.status.success());
        let check = run_with_stdin(&["validate", "--type", "runtime-config", "-"], &out.stdout);
        assert_eq!(text(&check.stdout), "valid\n", "{args:?}");
        assert_eq!(text(&check.stderr), "", "{args:?}");
        assert!(check.status.success());
    }
}

#[test]
fn runtime_spec_usage_errors() {
    let out = run(&["runtime-spec", "extra"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["runtime-spec", "--rootles"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).starts_with(
            "error: unexpected argument '--rootles' found\n\n  tip: a similar argument exists: '--rootless'\n"
        ),
        "{}",
        text(&out.stderr)
    );
}

/// `oci validate --type ty file`.
fn validate(ty: &str, file: &Path) -> std::process::Output {
    run(&["validate", "--type", ty, file.to_str().unwrap()])
}

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("oci-runtime-spec/tests/fixtures")
        .join(path)
}

fn fixtures(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(fixture(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

#[test]
fn validate_good_runtime_documents() {
    for (ty, dir, count) in [
        ("runtime-config", "config/good", 9),
        ("runtime-state", "state/good", 1),
        ("runtime-features", "features/good", 2),
    ] {
        let files = fixtures(dir);
        assert_eq!(files.len(), count, "{dir}");
        for file in files {
            let out = run(&["validate", "--type", ty, file.to_str().unwrap()]);
            assert!(
                out.status.success(),
                "{}: {}",
                file.display(),
                text(&out.stderr)
            );
            assert_eq!(text(&out.stdout), "valid\n", "{}", file.display());
        }
    }
    // A warning goes to stderr, and the document is still valid.
    let state = fixture("state/good/spec-example.json");
    let out = run(&[
        "validate",
        "--type",
        "runtime-state",
        state.to_str().unwrap(),
    ]);
    assert_eq!(
        text(&out.stderr),
        format!(
            "{}: warning: annotations[\"myKey\"]: a key should be a reverse domain name like \"com.example.key\"\n",
            state.display()
        )
    );
}

#[test]
fn validate_bad_runtime_config_names_the_field() {
    // The hugepage page size: right JSON type, wrong pattern.
    let file = fixture("config/bad/linux-hugepage.json");
    let p = file.display();
    let out = validate("runtime-config", &file);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout),
        format!(
            "{p}: linux.resources.hugepageLimits[0].pageSize: must be a size like \"2MB\" (digits, then KB, MB or GB), found \"64kB\"\n"
        )
    );
    assert_eq!(
        text(&out.stderr),
        format!("oci: {p} is not a valid runtime configuration (1 error)\n")
    );

    // The other bad files fail to parse, naming the field.
    for (name, field) in [
        (
            "linux-rdma.json",
            r#"config.json: linux.resources.rdma["mlx5_1"].hcaHandles: "#,
        ),
        (
            "linux-netdevice.json",
            r#"config.json: linux.netDevices["eth0"].name: "#,
        ),
        (
            "freebsd-vnet-disable.json",
            "config.json: freebsd.jail.vnet: ",
        ),
        ("invalid-json.json", "config.json: .: "),
    ] {
        let file = fixture(&format!("config/bad/{name}"));
        let out = validate("runtime-config", &file);
        assert_eq!(out.status.code(), Some(1), "{name}");
        assert_eq!(text(&out.stdout), "", "{name}");
        let expected = format!("oci: {}: {field}", file.display());
        assert!(
            text(&out.stderr).starts_with(&expected),
            "{}",
            text(&out.stderr)
        );
    }
}

#[test]
fn validate_runtime_config_errors_and_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.json");
    std::fs::write(
        &file,
        br#"{"ociVersion": "1.3.0", "root": {"path": "rootfs"},
            "process": {"cwd": "/", "args": ["sh"], "user": {"uid": 0, "gid": 0},
                        "capabilities": {"bounding": ["CAP_NEW"]}},
            "linux": {"namespaces": [{"type": "pid"}, {"type": "pid"}],
                      "maskedPaths": ["proc/kcore"]}}"#,
    )
    .unwrap();
    let p = file.display();
    let out = validate("runtime-config", &file);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout),
        format!(
            "{p}: linux.namespaces[1].type: must be unique, found \"pid\" again (first at linux.namespaces[0])\n\
             {p}: linux.maskedPaths[0]: must be an absolute path, found \"proc/kcore\"\n"
        )
    );
    assert_eq!(
        text(&out.stderr),
        format!(
            "{p}: warning: process.capabilities.bounding[0]: unknown capability \"CAP_NEW\"; a runtime that cannot map it warns or fails\n\
             oci: {p} is not a valid runtime configuration (2 errors)\n"
        )
    );
}

#[test]
fn validate_runtime_state_and_features() {
    let out = run_with_stdin(
        &["validate", "--type", "runtime-state", "-"],
        br#"{"ociVersion": "1.3.0", "id": "c1", "status": "running", "bundle": "/b"}"#,
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout),
        "-: pid: is required on Linux when the status is running, found none\n"
    );
    assert_eq!(
        text(&out.stderr),
        "oci: - is not a valid runtime state (1 error)\n"
    );

    let out = run_with_stdin(
        &["validate", "--type", "runtime-features", "-"],
        br#"{"ociVersionMin": "1.1.0", "ociVersionMax": "1.0.0"}"#,
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stdout),
        "-: ociVersionMax: must not be less than ociVersionMin (\"1.1.0\"), found \"1.0.0\"\n"
    );
    assert_eq!(
        text(&out.stderr),
        "oci: - is not a valid runtime features document (1 error)\n"
    );

    let file = fixture("features/bad/missing-ociVersionMax.json");
    let out = validate("runtime-features", &file);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!(
            "oci: {}: features: .: missing field `ociVersionMax` (line 3, column 1)\n",
            file.display()
        )
    );
}
