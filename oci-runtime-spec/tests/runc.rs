//! Interop with runc (tested against runc 1.1.5, Debian 12): `runc spec`
//! and `runc spec --rootless` parse and round-trip to the same bytes, and
//! the state of a running container parses.
//!
//! runc missing: the tests fail under CI and are skipped otherwise, with a
//! notice that `cargo test` shows (ocikit_test_support::peers).

#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use ocikit_runtime_spec::{ContainerStatus, Json, Mount, Spec, State, Validate};
use ocikit_test_support::peers::{self, require_tool, run};
use ocikit_test_support::skip;

/// Runs `runc spec [args]` in a fresh directory and returns config.json.
fn runc_spec(args: &[&str]) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    run(peers::command("runc")
        .arg("spec")
        .args(args)
        .current_dir(dir.path()));
    fs::read(dir.path().join("config.json")).unwrap()
}

fn check_round_trip(file: &[u8]) -> Spec {
    let spec = Spec::from_json(file).unwrap();
    let before: serde_json::Value = serde_json::from_slice(file).unwrap();
    let after: serde_json::Value = serde_json::from_slice(&spec.to_canonical_json()).unwrap();
    assert_eq!(before, after);
    assert_eq!(Spec::from_json(&spec.to_canonical_json()).unwrap(), spec);
    // Byte for byte what runc (Go's json.MarshalIndent, tab indent) wrote.
    assert_eq!(
        String::from_utf8(spec.to_pretty_json()).unwrap(),
        String::from_utf8(file.to_vec()).unwrap()
    );
    spec
}

#[test]
fn runc_spec_round_trips_byte_for_byte() {
    if !require_tool("runc") {
        return;
    }
    let spec = check_round_trip(&runc_spec(&[]));
    assert_eq!(spec.validate().unwrap(), []);
    let process = spec.process.as_ref().unwrap();
    assert_eq!(process.args, ["sh"]);
    let caps = process.capabilities.as_ref().unwrap();
    assert!(caps.bounding.iter().all(|c| c.is_known()));
    let linux = spec.linux.as_ref().unwrap();
    assert!(linux.namespaces.iter().all(|n| n.typ.is_known()));
    assert!(linux.extra.is_empty() && spec.extra.is_empty());
}

#[test]
fn runc_spec_rootless_round_trips_byte_for_byte() {
    if !require_tool("runc") {
        return;
    }
    let spec = check_round_trip(&runc_spec(&["--rootless"]));
    let linux = spec.linux.as_ref().unwrap();
    assert_eq!(linux.uid_mappings.len(), 1);
    assert_eq!(linux.gid_mappings.len(), 1);
}

/// runc 1.1.5 writes the spec version it was built with; our defaults say
/// the version our models follow. Everything else must be identical.
fn with_runc_version(mut ours: Spec, runc: &Spec) -> Spec {
    ours.oci_version.clone_from(&runc.oci_version);
    ours
}

/// Our default equals the config.json runc wrote: the same model, the
/// same bytes (but `ociVersion`), and valid without a warning.
fn assert_same_as_runc(ours: Spec, file: &[u8]) {
    let theirs = Spec::from_json(file).unwrap();
    let ours = with_runc_version(ours, &theirs);
    assert_eq!(ours, theirs);
    assert_eq!(
        String::from_utf8(ours.to_pretty_json()).unwrap(),
        String::from_utf8(file.to_vec()).unwrap()
    );
    let report = ours.check();
    assert!(report.violations.is_empty(), "{report:?}");
}

#[test]
fn default_linux_is_what_runc_spec_writes() {
    if !require_tool("runc") {
        return;
    }
    let ours = Spec::default_linux();
    assert_eq!(ours.oci_version, ocikit_runtime_spec::SPEC_VERSION);
    assert_same_as_runc(ours, &runc_spec(&[]));
}

#[test]
fn rootless_linux_is_what_runc_spec_rootless_writes() {
    if !require_tool("runc") {
        return;
    }
    // As the current user (root in CI containers): runc maps the caller's
    // uid and gid.
    let (uid, gid) = current_ids();
    assert_same_as_runc(Spec::rootless_linux(uid, gid), &runc_spec(&["--rootless"]));
}

#[test]
fn rootless_linux_maps_the_callers_ids() {
    if !require_tool("runc") {
        return;
    }
    // Run as another user when we can switch (root with setpriv), so the
    // mapping is not just 0 -> 0.
    let (uid, gid) = if current_ids().0 == 0 {
        (1000, 1001)
    } else {
        current_ids()
    };
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = if uid != current_ids().0 {
        if !require_tool("setpriv") {
            return;
        }
        // The directory must be writable by the other user.
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o777)).unwrap();
        let mut cmd = peers::command("setpriv");
        cmd.args([
            format!("--reuid={uid}"),
            format!("--regid={gid}"),
            "--clear-groups".to_owned(),
        ]);
        cmd.arg(peers::locate("runc").unwrap());
        cmd
    } else {
        peers::command("runc")
    };
    run(cmd.args(["spec", "--rootless"]).current_dir(dir.path()));
    let file = fs::read(dir.path().join("config.json")).unwrap();
    assert_same_as_runc(Spec::rootless_linux(uid, gid), &file);
}

/// The uid and gid of this process, from `/proc/self/status`.
fn current_ids() -> (u32, u32) {
    let status = fs::read_to_string("/proc/self/status").unwrap();
    let id = |name: &str| -> u32 {
        let line = status.lines().find(|l| l.starts_with(name)).unwrap();
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    };
    (id("Uid:"), id("Gid:"))
}

#[test]
fn runc_features_parse_and_round_trip() {
    if !require_tool("runc") {
        return;
    }
    let out = peers::runc(&["features"]);
    let features = ocikit_runtime_spec::Features::from_json(&out).unwrap();
    // runc prints it with Go's json.Encoder and a four-space indent: the
    // bytes of to_pretty_json, and a newline.
    let mut pretty = features.to_pretty_json();
    pretty.push(b'\n');
    assert_eq!(
        String::from_utf8(pretty).unwrap(),
        String::from_utf8(out.clone()).unwrap()
    );
    // Valid; runc's org.opencontainers.runc.* annotations are warnings.
    for warning in features.validate().unwrap() {
        assert!(warning.path.starts_with("annotations["), "{warning}");
    }
    let before: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let after: serde_json::Value = serde_json::from_slice(&features.to_canonical_json()).unwrap();
    assert_eq!(before, after);
    let linux = features.linux.as_ref().unwrap();
    let caps = linux.capabilities.as_ref().unwrap();
    assert!(caps.contains(&ocikit_runtime_spec::Capability::SysAdmin));
    let seccomp = linux.seccomp.as_ref().unwrap();
    assert!(
        seccomp
            .actions
            .as_ref()
            .unwrap()
            .iter()
            .all(|a| a.is_known())
    );
}

/// Kills and deletes the container when dropped, whatever happened.
struct Container {
    root: PathBuf,
    id: String,
}

impl Container {
    fn runc(&self) -> Command {
        let mut cmd = peers::command("runc");
        cmd.arg("--root").arg(&self.root);
        cmd.stdin(Stdio::null());
        cmd
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        // Best effort: the container may not exist or may have exited.
        let _ = self
            .runc()
            .args(["kill", &self.id, "KILL"])
            .stderr(Stdio::null())
            .status();
        let _ = self
            .runc()
            .args(["delete", "-f", &self.id])
            .stderr(Stdio::null())
            .status();
    }
}

#[test]
fn runc_state_of_a_running_container() {
    if !require_tool("runc") || !skip::require_root("runc run") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let bundle = dir.path().join("bundle");
    fs::create_dir_all(bundle.join("rootfs")).unwrap();

    // The bundle's config: runc's default, edited through our models.
    let mut spec = Spec::from_json(&runc_spec(&[])).unwrap();
    let process = spec.process.as_mut().unwrap();
    process.args = vec!["sleep".to_owned(), "60".to_owned()];
    process.terminal = Some(false);
    for dir in ["/bin", "/lib", "/lib64", "/usr"] {
        if Path::new(dir).exists() {
            spec.mounts
                .push(Mount::new(dir, "bind", dir, &["rbind", "ro"]));
        }
    }
    fs::write(bundle.join("config.json"), spec.to_pretty_json()).unwrap();

    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let container = Container {
        root: dir.path().join("runc-root"),
        id: format!("oci-rs-test-{}-{nanos}", std::process::id()),
    };
    let status = container
        .runc()
        .args(["run", "-d", "--bundle"])
        .arg(&bundle)
        .arg(&container.id)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .status()
        .unwrap();
    assert!(status.success(), "runc run -d: {status}");

    let out = run(container.runc().args(["state", &container.id]));
    let state = State::from_json(&out).unwrap();
    // runc indents a state by two spaces (json.MarshalIndent), as does
    // to_pretty_json; runc's own members (rootfs, created, owner) come in
    // another order, so only the start is compared.
    let start = b"{\n  \"ociVersion\": ";
    assert!(out.starts_with(start), "{}", String::from_utf8_lossy(&out));
    assert!(state.to_pretty_json().starts_with(start));
    assert_eq!(state.id, container.id);
    assert_eq!(state.status, ContainerStatus::Running);
    assert_eq!(state.validate().unwrap(), []);
    assert!(state.pid.is_some_and(|pid| pid > 0), "pid: {:?}", state.pid);
    assert_eq!(Path::new(&state.bundle), bundle.canonicalize().unwrap());
    // runc adds members of its own (rootfs, created, owner): kept as extra.
    assert!(state.extra.contains_key("rootfs"), "{:?}", state.extra);

    let before: serde_json::Value = serde_json::from_slice(&out).unwrap();
    let after: serde_json::Value = serde_json::from_slice(&state.to_canonical_json()).unwrap();
    assert_eq!(before, after);
    assert_eq!(State::from_json(&state.to_canonical_json()).unwrap(), state);

    run(container.runc().args(["kill", &container.id, "KILL"]));
    drop(container);
}
