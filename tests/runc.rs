//! An image run by runc (runc 1.1.5): built with our own API from a
//! busybox-static root (Debian's busybox-static package) with Entrypoint,
//! Cmd, Env, WorkingDir and User (a name resolved through the image's own
//! `/etc/passwd` and `/etc/group`) set, unpacked by `ocikit_convert::unpack`,
//! then started with `runc run`: what the container prints shows that the
//! args, env, cwd, uid, gid and additional gids of our `config.json` took
//! effect. And `runc create` then `runc state`, parsed with our `State`.
//! Needs root (runc as root); skipped otherwise with a notice `cargo test`
//! shows, failed under CI (ocikit_test_support::skip).

#![allow(clippy::unwrap_used)]

use std::os::unix::fs::{PermissionsExt as _, symlink};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use ocikit_convert::{BuildOptions, ImageEdit, Ownership, UnpackOptions};
use ocikit_image::{ContainerConfig, History, Json, Platform, Validate};
use ocikit_layout::Layout;
use ocikit_layout::codec::Codec;
use ocikit_runtime_spec::{ContainerStatus, State};
use ocikit_test_support::{peers, skip};

/// Whether this test can run: as root, with runc and the static busybox
/// of Debian's busybox-static package; when not, a skip notice, or a
/// failure under CI (see .ci/install-peers.sh). The busybox's path.
fn runc_and_busybox() -> Option<PathBuf> {
    let ready = skip::require_root("runc") && peers::require_tools(&["runc", "busybox"]);
    ready.then(|| peers::locate("busybox").unwrap())
}

const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\n\
runner:x:1234:1235:Test runner:/home/runner:/bin/sh\n";

const GROUP: &str = "root:x:0:\nrunners:x:1235:\nextra:x:2345:runner\nmore:x:3456:someone,runner\nother:x:4567:someone\n";

/// What the container runs: `sh -c SCRIPT first second`, so that `$0` and
/// `$1` show that Cmd was appended to Entrypoint.
const SCRIPT: &str = "echo \"args: $0 $1\"; echo \"uid: $(id -u)\"; echo \"gid: $(id -g)\"; \
echo \"groups: $(id -G)\"; echo \"cwd: $(pwd)\"; env | sort | sed 's/^/env: /'";

/// Builds the busybox image as `v1` with `user` as its User, and unpacks
/// it into `DIR/bundle`.
fn unpacked_bundle(dir: &Path, busybox: &Path, user: &str) -> PathBuf {
    let tree = dir.join("tree");
    for sub in [
        "bin",
        "etc",
        "work",
        "home/runner",
        "proc",
        "dev",
        "sys",
        "tmp",
    ] {
        std::fs::create_dir_all(tree.join(sub)).unwrap();
    }
    std::fs::copy(busybox, tree.join("bin/busybox")).unwrap();
    std::fs::set_permissions(
        tree.join("bin/busybox"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    for applet in ["sh", "id", "env", "pwd", "cat", "echo", "ls", "sort", "sed"] {
        symlink("busybox", tree.join("bin").join(applet)).unwrap();
    }
    std::fs::write(tree.join("etc/passwd"), PASSWD).unwrap();
    std::fs::write(tree.join("etc/group"), GROUP).unwrap();

    let layout = Layout::init(dir.join("layout")).unwrap();
    let build = BuildOptions {
        ownership: Ownership::Fixed { uid: 0, gid: 0 },
        ..Default::default()
    };
    let layer = ocikit_convert::build_layer(&layout, &tree, Codec::gzip(), &build).unwrap();
    let mut image = ImageEdit::scratch(&Platform::host());
    image
        .append_layer(
            &layer,
            History {
                created_by: Some("busybox root".into()),
                ..Default::default()
            },
        )
        .unwrap();
    image.config.config = Some(ContainerConfig {
        entrypoint: vec!["/bin/sh".into(), "-c".into(), SCRIPT.into()],
        cmd: vec!["first".into(), "second".into()],
        env: vec!["PATH=/bin".into(), "GREETING=hello world".into()],
        working_dir: Some("/work".into()),
        user: Some(user.into()),
        ..Default::default()
    });
    image.commit(&layout, "v1").unwrap();

    let bundle = dir.join("bundle");
    let options = UnpackOptions {
        rootless: false,
        ..Default::default()
    };
    ocikit_convert::unpack(&layout, "v1", &bundle, &options).unwrap();
    bundle
}

/// A container id no other test or run uses.
fn container_id(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!("oci-toolkit-{name}-{}-{nanos}", std::process::id())
}

/// `runc delete -f ID` when dropped, so that a failed assertion leaves no
/// container behind.
struct Container {
    id: String,
}

impl Drop for Container {
    fn drop(&mut self) {
        let _ = peers::command("runc")
            .args(["delete", "-f", &self.id])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// Runs the image whose User is `user` with `runc run` and returns what it
/// printed, line by line.
fn run_as(test: &str, user: &str) -> Option<Vec<String>> {
    let busybox = runc_and_busybox()?;
    let dir = tempfile::tempdir().unwrap();
    let bundle = unpacked_bundle(dir.path(), &busybox, user);
    let container = Container {
        id: container_id(test),
    };
    let out = peers::command("runc")
        .args(["run", "--bundle", bundle.to_str().unwrap(), &container.id])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "runc run failed ({}):\n{}\n--- stdout\n{stdout}\n--- config.json\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(bundle.join("config.json")).unwrap(),
    );
    // runc would set HOME from the rootfs's /etc/passwd itself when the
    // config has none: the output cannot tell, the config must have it.
    let spec =
        ocikit_runtime_spec::Spec::from_json(&std::fs::read(bundle.join("config.json")).unwrap())
            .unwrap();
    let env = &spec.process.as_ref().unwrap().env;
    assert!(env.contains(&"HOME=/home/runner".to_owned()), "{env:?}");
    Some(stdout.lines().map(str::to_owned).collect())
}

/// The `env: ` lines of the output, without the prefix.
fn env_lines(lines: &[String]) -> Vec<&str> {
    lines
        .iter()
        .filter_map(|l| l.strip_prefix("env: "))
        .collect()
}

#[test]
fn runc_runs_the_image_with_its_args_env_cwd_user_and_groups() {
    let Some(lines) = run_as("runc_run_user", "runner") else {
        return;
    };
    let head: Vec<&str> = lines
        .iter()
        .map(String::as_str)
        .filter(|l| !l.starts_with("env: "))
        .collect();
    assert_eq!(
        head,
        [
            "args: first second",
            "uid: 1234",
            "gid: 1235",
            // The passwd entry's group, then the groups listing "runner".
            "groups: 1235 2345 3456",
            "cwd: /work",
        ],
        "{lines:#?}"
    );
    // The image's env verbatim, HOME from /etc/passwd (checked in the
    // config too, see run_as), no TERM (no terminal); busybox sh adds PWD
    // and SHLVL itself.
    let env: Vec<&str> = env_lines(&lines)
        .into_iter()
        .filter(|e| !e.starts_with("PWD=") && !e.starts_with("SHLVL="))
        .collect();
    assert_eq!(
        env,
        ["GREETING=hello world", "HOME=/home/runner", "PATH=/bin"],
        "{lines:#?}"
    );
}

#[test]
fn runc_runs_a_user_with_a_group_without_its_other_groups() {
    let Some(lines) = run_as("runc_run_user_group", "runner:more") else {
        return;
    };
    assert!(lines.contains(&"uid: 1234".to_owned()), "{lines:#?}");
    assert!(lines.contains(&"gid: 3456".to_owned()), "{lines:#?}");
    // A group given: no supplementary groups (conversion.md).
    assert!(lines.contains(&"groups: 3456".to_owned()), "{lines:#?}");
    assert!(
        env_lines(&lines).contains(&"HOME=/home/runner"),
        "{lines:#?}"
    );
}

#[test]
fn runc_state_of_a_created_container_parses_as_our_state() {
    let Some(busybox) = runc_and_busybox() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let bundle = unpacked_bundle(dir.path(), &busybox, "runner");
    let container = Container {
        id: container_id("runc_state"),
    };
    // No pipes: the created process keeps its stdio open until started.
    let status = peers::command("runc")
        .args([
            "create",
            "--bundle",
            bundle.to_str().unwrap(),
            &container.id,
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "runc create: {status}");
    let out = peers::command("runc")
        .args(["state", &container.id])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "runc state: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let state = State::from_json(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}:\n{}", String::from_utf8_lossy(&out.stdout)));
    state.validate().unwrap();
    assert_eq!(state.id, container.id);
    assert_eq!(state.status, ContainerStatus::Created);
    assert!(state.pid.is_some_and(|pid| pid > 0), "{state:?}");
    assert_eq!(
        std::fs::canonicalize(&state.bundle).unwrap(),
        std::fs::canonicalize(&bundle).unwrap()
    );
    // Our config.json's annotations reach the state.
    assert_eq!(
        state
            .annotations
            .get("org.opencontainers.image.os")
            .map(String::as_str),
        Some("linux")
    );
    // Deleted on drop: runc no longer knows it.
    let id = container.id.clone();
    drop(container);
    let gone = peers::command("runc")
        .args(["state", &id])
        .output()
        .unwrap();
    assert!(
        !gone.status.success(),
        "{id} is still there after runc delete -f"
    );
}
