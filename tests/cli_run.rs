//! The runtime commands of `oci` (src/bin/oci/container.rs) against runc
//! 1.1.5 as root, on a busybox-static image that `oci build` and `oci
//! config` make: `oci run` exits with the container's code (7, 137 when
//! killed, 143 when a forwarded SIGTERM ends it), its output arrives, `--rm`
//! removes the bundle it made and only that, the container gets no
//! descriptor but its streams; create, start, state, list, exec, update,
//! kill and delete through a container's life; usage errors exit 2, the
//! runtime's refusals 1. Each test has a runc `--root` of its
//! own. Without root, runc or busybox: skipped with a notice, failed under
//! CI (ocikit_test_support::skip).
#![allow(clippy::unwrap_used)]

mod support;

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use ocikit_test_support::registry::Registry;
use ocikit_test_support::{peers, skip};
use support::{assert_usage_error, oci, run, text};

/// Where the tool keeps the bundles it makes, as root.
const OWN_BUNDLES: &str = "/run/ocikit/bundles";

/// One test's layout with the busybox image `lay:bb` (Entrypoint `sh -c`,
/// Cmd `echo hello`), a runc root of its own, and a container ID; the
/// container and the bundle the tool made for it are removed when dropped.
struct Case {
    dir: tempfile::TempDir,
    id: String,
}

impl Drop for Case {
    fn drop(&mut self) {
        let _ = peers::command("runc")
            .arg("--root")
            .arg(self.root())
            .args(["delete", "--force", &self.id])
            .output();
        let _ = std::fs::remove_dir_all(Path::new(OWN_BUNDLES).join(&self.id));
    }
}

impl Case {
    fn new(name: &str) -> Option<Case> {
        if !(skip::require_root("runc") && peers::require_tools(&["runc", "busybox"])) {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let tree = dir.path().join("tree");
        peers::busybox_rootfs(&tree, &["sh", "sleep", "echo", "cat", "true", "ls"]);
        let layout = dir.path().join("lay");
        let image = format!("{}:bb", layout.display());
        let tree = tree.to_str().unwrap();
        for args in [
            vec!["init", layout.to_str().unwrap()],
            vec!["build", "--quiet", tree, &image],
            vec![
                "config",
                &image,
                "--env",
                "PATH=/bin",
                "--entrypoint",
                "/bin/sh",
                "--entrypoint",
                "-c",
                "--cmd",
                "echo hello",
            ],
        ] {
            let out = oci().args(&args).output().unwrap();
            assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        Some(Case {
            id: format!("ocikit-cli-{name}-{}-{nanos}", std::process::id()),
            dir,
        })
    }

    fn image(&self) -> String {
        format!("{}:bb", self.dir.path().join("lay").display())
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("runc-root")
    }

    /// `oci COMMAND --root ROOT ARGS`, its stdin empty.
    fn oci(&self, args: &[&str]) -> std::process::Command {
        let mut command = oci();
        command
            .arg(args[0])
            .arg("--root")
            .arg(self.root())
            .args(&args[1..])
            .stdin(Stdio::null());
        command
    }

    /// `oci run --name ID IMAGE ARGS`, started, its output piped.
    fn spawn_run(&self, flags: &[&str], script: &str) -> Child {
        let mut args = vec!["run", "--name", &self.id];
        args.extend_from_slice(flags);
        let image = self.image();
        args.extend_from_slice(&[&image, "--", script]);
        self.oci(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// Runs `oci COMMAND --root ROOT ARGS` to its end.
    fn output(&self, args: &[&str]) -> Output {
        self.oci(args).output().unwrap()
    }

    /// `oci state ID`'s status, or None when it fails.
    fn status(&self) -> Option<String> {
        let out = self.output(&["state", &self.id]);
        if !out.status.success() {
            return None;
        }
        let state: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(state["id"], self.id.as_str());
        Some(state["status"].as_str().unwrap().to_owned())
    }

    /// Waits until the container is running, or fails the test.
    fn until_running(&self) {
        let start = Instant::now();
        while self.status().as_deref() != Some("running") {
            assert!(start.elapsed() < Duration::from_secs(20), "never running");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn own_bundle(&self) -> PathBuf {
        Path::new(OWN_BUNDLES).join(&self.id)
    }
}

/// `child`'s exit code, its stdout and stderr.
fn finish(child: Child) -> (Option<i32>, String, String) {
    let out = child.wait_with_output().unwrap();
    (out.status.code(), text(&out.stdout), text(&out.stderr))
}

fn runc() -> String {
    peers::version("runc")
}

#[test]
fn run_exits_with_the_code_of_the_container_and_rm_removes_its_bundle() {
    let Some(case) = Case::new("exit") else {
        return;
    };
    // The image's Cmd, after its Entrypoint.
    let out = case.output(&["run", "--rm", &case.image()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "hello\n");
    // CMD replaces the Cmd and keeps the Entrypoint (`sh -c`); both streams
    // arrive; the code is the container's.
    let run = case.spawn_run(
        &["--rm", "--env", "GREETING=hi", "--workdir", "/tmp"],
        "echo $GREETING in $(pwd); echo oops >&2; exit 7",
    );
    let (code, stdout, stderr) = finish(run);
    assert_eq!(code, Some(7), "{stderr} {}", runc());
    assert_eq!(stdout, "hi in /tmp\n");
    assert_eq!(stderr, "oops\n");
    assert!(!case.own_bundle().exists(), "--rm left the bundle");
    // The container's process holds its three streams and nothing more of
    // ours or the runtime's (3 is the directory `ls` reads).
    let out = case.output(&["run", "--rm", &case.image(), "--", "ls /proc/self/fd"]);
    assert_eq!(text(&out.stdout), "0\n1\n2\n3\n", "{}", text(&out.stderr));
    assert_eq!(case.status(), None, "--rm left the container");
    // A bundle the user named stays after --rm; the container goes.
    let bundle = case.dir.path().join("mine");
    let out = case.output(&[
        "run",
        "--rm",
        "--name",
        &case.id,
        "--bundle",
        bundle.to_str().unwrap(),
        &case.image(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(bundle.join("config.json").is_file());
    assert!(bundle.join("rootfs/bin/busybox").is_file());
    assert_eq!(case.status(), None);
    // A container created from the user's bundle: delete leaves it.
    let out = case
        .oci(&["create", bundle.to_str().unwrap(), &case.id])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert_eq!(out.code(), Some(0));
    assert_eq!(case.status().as_deref(), Some("created"));
    // A run under that name (its own bundle free) is refused by the
    // runtime; --rm then removes only the bundle that run made.
    let out = case.output(&["run", "--rm", "--name", &case.id, &case.image()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("already exists"), "{out:?}");
    assert_eq!(case.status().as_deref(), Some("created"));
    assert!(!case.own_bundle().exists());
    let out = case.output(&["delete", "--force", &case.id]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(case.status(), None);
    assert!(bundle.join("rootfs/bin/busybox").is_file());
    // Without --rm, the stopped container and the bundle stay until
    // `oci delete`, which removes both.
    let (code, _, stderr) = finish(case.spawn_run(&[], "true"));
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(case.status().as_deref(), Some("stopped"));
    let mode = std::fs::metadata(case.own_bundle()).unwrap().permissions();
    assert_eq!(mode.mode() & 0o777, 0o700, "the bundle's directory");
    let out = case.output(&["delete", &case.id]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!case.own_bundle().exists());
    // Overrides the image's config refuses fail after the unpack: the
    // bundle that run made goes, and the name stays free.
    let image = case.image();
    for bad in [["--env", "NOVALUE"], ["--user", "nosuchuser"]] {
        let mut args = vec!["run", "--name", &case.id];
        args.extend(bad);
        args.push(&image);
        let out = case.output(&args);
        assert_eq!(out.status.code(), Some(1), "{bad:?}: {out:?}");
        assert!(!case.own_bundle().exists(), "{bad:?}");
        assert_eq!(case.status(), None);
    }
}

#[test]
fn a_killed_container_gives_137_and_a_forwarded_sigterm_143() {
    let Some(case) = Case::new("signals") else {
        return;
    };
    let run = case.spawn_run(&["--rm"], "sleep 60");
    case.until_running();
    let list = text(&case.output(&["list"]).stdout);
    assert!(list.starts_with("ID "), "{list}");
    assert!(
        list.lines()
            .any(|l| l.starts_with(&case.id) && l.contains(" running ")),
        "{list}"
    );
    // The same name again: refused, and the running one left alone.
    let out = case.output(&["run", "--rm", "--name", &case.id, &case.image()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!("{:?}: its bundle", case.id)),
        "{stderr}"
    );
    assert_eq!(case.status().as_deref(), Some("running"));
    assert!(case.own_bundle().join("config.json").is_file());
    let out = case.output(&["kill", &case.id, "KILL"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let (code, _, stderr) = finish(run);
    assert_eq!(code, Some(137), "{stderr} {}", runc());
    // PID 1 of a namespace ignores a signal it has no handler for: the
    // shell traps SIGTERM, which `oci run` passes on.
    let run = case.spawn_run(
        &["--rm"],
        "trap 'echo got TERM; exit 143' TERM; echo ready; while true; do sleep 0.1; done",
    );
    case.until_running();
    rustix::process::kill_process(
        rustix::process::Pid::from_child(&run),
        rustix::process::Signal::TERM,
    )
    .unwrap();
    let (code, stdout, stderr) = finish(run);
    assert_eq!(code, Some(143), "{stderr} {}", runc());
    assert_eq!(stdout, "ready\ngot TERM\n");
    assert_eq!(case.status(), None);
}

#[test]
fn create_start_exec_update_kill_delete_through_the_life_of_a_container() {
    let Some(case) = Case::new("life") else {
        return;
    };
    // The container's process holds create's streams: into files, since
    // a pipe would stay open as long as the container runs.
    let log = case.dir.path().join("out");
    let errors = case.dir.path().join("err");
    let status = case
        .oci(&["create", &case.image(), &case.id])
        .stdout(std::fs::File::create(&log).unwrap())
        .stderr(std::fs::File::create(&errors).unwrap())
        .status()
        .unwrap();
    let stderr = std::fs::read_to_string(&errors).unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert_eq!(case.status().as_deref(), Some("created"), "{}", runc());
    assert!(case.own_bundle().join("config.json").is_file());
    // Creating it again is refused before anything is unpacked.
    let out = case.output(&["create", &case.image(), &case.id]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("already exists"), "{out:?}");
    let out = case.output(&["start", &case.id]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // The image's Cmd ran and ended: `echo hello` into the file.
    let start = Instant::now();
    while case.status().as_deref() != Some("stopped") {
        assert!(start.elapsed() < Duration::from_secs(20), "never stopped");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(std::fs::read_to_string(&log).unwrap(), "hello\n");
    let out = case.output(&["start", &case.id]);
    assert_eq!(out.status.code(), Some(1), "start twice");
    let out = case.output(&["delete", &case.id]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(!case.own_bundle().exists());

    // A running one: exec, update, delete refused, then killed.
    let run = case.spawn_run(&[], "sleep 60");
    case.until_running();
    let out = case.output(&["exec", &case.id, "--", "sh", "-c", "echo inside; exit 5"]);
    assert_eq!(out.status.code(), Some(5), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "inside\n");
    let out = case.output(&["update", &case.id, "--memory", "64m"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = case.output(&["exec", &case.id, "--", "cat", MEMORY_LIMIT]);
    assert_eq!(text(&out.stdout), format!("{}\n", 64 << 20), "{}", runc());
    let out = case.output(&["delete", &case.id]);
    assert_eq!(out.status.code(), Some(1), "delete while running");
    assert!(text(&out.stderr).starts_with("oci: "), "{out:?}");
    assert!(case.own_bundle().exists());
    let out = case.output(&["kill", &case.id]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // PID 1 ignores the default SIGTERM it has no handler for.
    assert_eq!(case.status().as_deref(), Some("running"));
    let out = case.output(&["delete", "--force", &case.id]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let (code, _, _) = finish(run);
    assert_eq!(code, Some(137));
    assert!(!case.own_bundle().exists());
    let out = case.output(&["state", &case.id]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("does not exist"), "{out:?}");
    assert_eq!(
        text(&case.output(&["list"]).stdout),
        "ID  STATUS  PID  BUNDLE\n"
    );
}

/// The container's memory limit as it sees it (cgroup v1, the host's
/// hierarchy; runc mounts the cgroup namespace's view).
const MEMORY_LIMIT: &str = "/sys/fs/cgroup/memory/memory.limit_in_bytes";

#[test]
fn run_pulls_a_registry_reference_first() {
    let Some(case) = Case::new("ref") else {
        return;
    };
    let Some(registry) = Registry::start() else {
        return;
    };
    let reference = registry.reference("ocikit/busybox:v1");
    let image = case.image();
    let out = oci()
        .args(["push", &image, &reference, "--tls-verify=false"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = case.output(&[
        "run",
        "--rm",
        "--tls-verify=false",
        "--name",
        &case.id,
        &reference,
        "--",
        "echo pulled; exit 4",
    ]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "pulled\n");
    // Neither the bundle nor the layout pulled beside it is left.
    assert!(!case.own_bundle().exists());
    let left: Vec<_> = std::fs::read_dir(OWN_BUNDLES)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.starts_with(".oci-unpack-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn usage_errors_exit_2() {
    assert_usage_error(&["run"]);
    assert_usage_error(&["create", "lay:bb"]);
    assert_usage_error(&["start"]);
    assert_usage_error(&["state"]);
    assert_usage_error(&["kill", "c1", "NOSUCHSIGNAL"]);
    assert_usage_error(&["delete"]);
    assert_usage_error(&["list", "extra"]);
    assert_usage_error(&["exec", "c1"]);
    assert_usage_error(&["update", "c1"]);
    assert_usage_error(&["update", "c1", "--memory", "0"]);
    assert_usage_error(&["update", "c1", "--cpus", "-1"]);
    assert_usage_error(&["run", "--frobnicate", "lay:bb"]);
    assert_usage_error(&["run", "docker://"]);
}

/// An ID the runtime would refuse is refused before anything is made
/// under its name, by the driver's own rule (1024 bytes at most).
#[test]
fn a_bad_container_id_is_refused_before_anything_is_made() {
    let long = "a".repeat(1025);
    for (id, why) in [
        (long.as_str(), "longer than 1024 bytes"),
        ("../x", "only letters"),
    ] {
        let out = run(&["run", "--name", id, "lay:bb"]);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
        assert!(text(&out.stderr).contains(why), "{}", text(&out.stderr));
        assert!(!Path::new(OWN_BUNDLES).join(id).exists());
    }
}
