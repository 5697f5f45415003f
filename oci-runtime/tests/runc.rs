//! The driver against runc 1.1.5 (Debian's, from .ci/install-peers.sh) as
//! root, on bundles of Debian's static busybox: exit statuses through the
//! subreaper, states through the lifecycle, exec, where the streams go,
//! `create` with its stdout on a pipe, typed errors, live updates of the
//! memory limit, a terminal through the console socket, and a deadline.
//! Each test has a runc `--root` of its own, so `list` sees its containers
//! only. Without root, runc or busybox: skipped with a notice, failed
//! under CI (ocikit_test_support::skip).

#![allow(clippy::unwrap_used)]

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ocikit_runtime::{CreateOptions, Error, ErrorKind, ExitStatus, ProcessIo, Runtime, Signal};
use ocikit_runtime_spec::{ContainerStatus, Hook, Hooks, Json, Memory, Process, Resources, Spec};
use ocikit_test_support::{peers, skip};

/// A container of one test: its bundle, the runtime with a root of its
/// own, its ID; deleted with `delete --force` when dropped.
struct Case {
    dir: tempfile::TempDir,
    runtime: Runtime,
    id: String,
}

impl Drop for Case {
    fn drop(&mut self) {
        let _ = self.runtime.force_delete(&self.id);
    }
}

impl Case {
    /// A bundle whose process runs `sh -c SCRIPT` (with a terminal when
    /// `terminal`), `change` applied to its config; `None` when the test
    /// cannot run here.
    fn new(
        name: &str,
        script: &str,
        terminal: bool,
        change: impl FnOnce(&mut Spec),
    ) -> Option<Case> {
        if !(skip::require_root("runc") && peers::require_tools(&["runc", "busybox"])) {
            return None;
        }
        ocikit_runtime::subreaper::enable().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let rootfs = dir.path().join("bundle/rootfs");
        let applets = ["sh", "sleep", "echo", "cat", "ls", "trap", "tty"];
        peers::busybox_rootfs(&rootfs, &applets);
        let mut spec = Spec::default_linux();
        let process = spec.process.as_mut().unwrap();
        process.terminal = Some(terminal);
        process.args = vec!["/bin/sh".into(), "-c".into(), script.into()];
        process.env = vec!["PATH=/bin".into()];
        change(&mut spec);
        let mut json = spec.to_pretty_json();
        json.push(b'\n');
        std::fs::write(dir.path().join("bundle/config.json"), json).unwrap();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos();
        let runtime = Runtime {
            root: Some(dir.path().join("runc-root")),
            deadline: Duration::from_secs(30),
            ..Runtime::new(peers::locate("runc").unwrap())
        };
        Some(Case {
            id: format!("ocikit-{name}-{}-{nanos}", std::process::id()),
            runtime,
            dir,
        })
    }

    fn bundle(&self) -> PathBuf {
        self.dir.path().join("bundle")
    }

    fn status(&self) -> ContainerStatus {
        self.runtime.state(&self.id).unwrap().status
    }

    /// A file of the test's directory, for a stream.
    fn file(&self, name: &str) -> (PathBuf, std::fs::File) {
        let path = self.dir.path().join(name);
        (path.clone(), std::fs::File::create(path).unwrap())
    }
}

/// The version in assertion messages (docs/ARCHITECTURE.md, "Tests").
fn runc() -> String {
    peers::version("runc")
}

#[test]
fn exit_status_and_states_from_created_to_stopped() {
    let Some(case) = Case::new("exit7", "read line; exit 7", false, |_| {}) else {
        return;
    };
    // The process waits for a line on stdin: it cannot stop on its own
    // before the test has seen it running.
    let (stdin, mut feed) = std::io::pipe().unwrap();
    let options = CreateOptions {
        io: ProcessIo {
            stdin: stdin.into(),
            ..Default::default()
        },
        ..Default::default()
    };
    let rt = &case.runtime;
    let mut init = rt.create(&case.id, &case.bundle(), options).unwrap();
    assert!(init.is_reapable());
    let state = rt.state(&case.id).unwrap();
    assert_eq!(state.status, ContainerStatus::Created, "{}", runc());
    assert_eq!(state.pid, Some(i64::from(init.pid())));
    assert_eq!(init.wait_timeout(Duration::ZERO).unwrap(), None);
    rt.start(&case.id).unwrap();
    assert_eq!(case.status(), ContainerStatus::Running);
    assert_eq!(rt.list().unwrap().len(), 1);
    feed.write_all(b"go\n").unwrap();
    let status = init.wait().unwrap();
    assert_eq!(status, ExitStatus::Exited(7), "{}", runc());
    assert_eq!(status.code(), 7);
    assert_eq!(case.status(), ContainerStatus::Stopped);
    rt.delete(&case.id).unwrap();
    let err = rt.state(&case.id).unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::NotFound), "{err}");
    assert!(rt.list().unwrap().is_empty());
}

#[test]
fn a_sleeping_container_killed_with_sigkill_gives_137() {
    let Some(case) = Case::new("kill", "sleep 600", false, |_| {}) else {
        return;
    };
    let rt = &case.runtime;
    let mut init = rt
        .run(&case.id, &case.bundle(), CreateOptions::default())
        .unwrap();
    assert_eq!(case.status(), ContainerStatus::Running);
    // PID 1 of a PID namespace ignores signals it has no handler for.
    rt.kill(&case.id, Signal::TERM).unwrap();
    assert_eq!(init.wait_timeout(Duration::from_millis(300)).unwrap(), None);
    rt.kill(&case.id, Signal::KILL).unwrap();
    let status = init.wait_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(
        status,
        Some(ExitStatus::Signaled(Signal::KILL)),
        "{}",
        runc()
    );
    assert_eq!(status.unwrap().code(), 137);
    // Stopped now: kill is refused by the lifecycle check.
    let err = rt.kill(&case.id, Signal::KILL).unwrap_err();
    assert!(matches!(err, Error::WrongStatus { .. }), "{err}");
    assert_eq!(err.kind(), Some(ErrorKind::NotRunning));
}

#[test]
fn waiting_for_a_container_reaps_no_other_process() {
    let Some(case) = Case::new("others", "exit 7", false, |_| {}) else {
        return;
    };
    // A child of this process that has exited, and an orphan this process
    // adopted as a subreaper (a shell's background job) that has exited
    // too: neither is the driver's to reap.
    let mut child = std::process::Command::new("sh")
        .args(["-c", "exit 3"])
        .spawn()
        .unwrap();
    let out = std::process::Command::new("sh")
        .args(["-c", "sleep 0.1 & echo $!"])
        .output()
        .unwrap();
    let orphan: i32 = String::from_utf8(out.stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let mut init = case
        .runtime
        .run(&case.id, &case.bundle(), CreateOptions::default())
        .unwrap();
    assert_eq!(init.wait().unwrap(), ExitStatus::Exited(7), "{}", runc());
    drop(init);
    // Still a zombie, waiting for whoever adopted it.
    let stat = std::fs::read_to_string(format!("/proc/{orphan}/stat")).unwrap();
    assert!(stat.contains(") Z "), "{stat}");
    assert_eq!(child.wait().unwrap().code(), Some(3));
    let orphan = rustix::process::Pid::from_raw(orphan).unwrap();
    let reaped = rustix::process::waitpid(Some(orphan), rustix::process::WaitOptions::empty());
    assert_eq!(reaped.unwrap().map(|(pid, _)| pid), Some(orphan));
}

#[test]
fn stdout_and_stderr_arrive_where_the_caller_pointed_them() {
    let script = "echo out; echo err >&2; ls /proc/self/fd";
    let Some(case) = Case::new("streams", script, false, |_| {}) else {
        return;
    };
    let (out_path, out) = case.file("out");
    let (err_path, err) = case.file("err");
    let options = CreateOptions {
        io: ProcessIo {
            stdout: out.into(),
            stderr: err.into(),
            ..Default::default()
        },
        ..Default::default()
    };
    let mut init = case.runtime.run(&case.id, &case.bundle(), options).unwrap();
    assert_eq!(init.wait().unwrap(), ExitStatus::Exited(0));
    // `ls` holds one more descriptor, for the directory it reads: the
    // container got its three streams and nothing of ours.
    assert_eq!(
        std::fs::read_to_string(out_path).unwrap(),
        "out\n0\n1\n2\n3\n",
        "{}",
        runc()
    );
    assert_eq!(std::fs::read_to_string(err_path).unwrap(), "err\n");
}

#[test]
fn create_with_stdout_into_a_pipe_returns_within_its_deadline() {
    let Some(mut case) = Case::new("pipe", "echo hello; sleep 600", false, |_| {}) else {
        return;
    };
    case.runtime.deadline = Duration::from_secs(10);
    let (mut reader, writer) = std::io::pipe().unwrap();
    let options = CreateOptions {
        io: ProcessIo {
            stdout: writer.into(),
            ..Default::default()
        },
        ..Default::default()
    };
    let started = Instant::now();
    let rt = &case.runtime;
    let mut init = rt.create(&case.id, &case.bundle(), options).unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    rt.start(&case.id).unwrap();
    let mut line = [0u8; 6];
    reader.read_exact(&mut line).unwrap();
    assert_eq!(&line, b"hello\n");
    // The container holds the write end until it exits.
    rt.kill(&case.id, Signal::KILL).unwrap();
    assert_eq!(init.wait().unwrap(), ExitStatus::Signaled(Signal::KILL));
    let mut rest = Vec::new();
    reader.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
}

#[test]
fn exec_runs_a_process_in_a_running_container() {
    let Some(case) = Case::new("exec", "sleep 600", false, |_| {}) else {
        return;
    };
    let rt = &case.runtime;
    let _init = rt
        .run(&case.id, &case.bundle(), CreateOptions::default())
        .unwrap();
    let (out_path, out) = case.file("exec-out");
    let process = Process {
        args: vec![
            "/bin/sh".into(),
            "-c".into(),
            "echo inside $$; exit 3".into(),
        ],
        env: vec!["PATH=/bin".into()],
        cwd: "/tmp".into(),
        user: Some(Default::default()),
        ..Default::default()
    };
    let io = ProcessIo {
        stdout: out.into(),
        ..Default::default()
    };
    let mut exec = rt.exec(&case.id, &process, io).unwrap();
    assert_eq!(exec.wait().unwrap(), ExitStatus::Exited(3), "{}", runc());
    let out = std::fs::read_to_string(out_path).unwrap();
    assert!(out.starts_with("inside ") && out != "inside 1\n", "{out}");
    assert_eq!(rt.ps(&case.id).unwrap().len(), 1);
}

#[test]
fn unknown_start_twice_and_delete_while_running_are_typed_errors() {
    let Some(case) = Case::new("errors", "sleep 600", false, |_| {}) else {
        return;
    };
    let rt = &case.runtime;
    // Unknown: runc's own "container does not exist".
    let err = rt.start("ocikit-no-such-container").unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::NotFound), "{err}");
    assert!(
        err.to_string()
            .ends_with("start \"ocikit-no-such-container\": container does not exist"),
        "{err} ({})",
        runc()
    );
    let _init = rt
        .create(&case.id, &case.bundle(), CreateOptions::default())
        .unwrap();
    rt.start(&case.id).unwrap();
    // Start twice, delete while running, create again: our check.
    let err = rt.start(&case.id).unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::WrongState), "{err}");
    assert!(
        err.to_string()
            .contains("is running; start needs status created"),
        "{err}"
    );
    let err = rt.delete(&case.id).unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::WrongState), "{err}");
    let err = rt
        .create(&case.id, &case.bundle(), CreateOptions::default())
        .unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::AlreadyExists), "{err}");
    rt.pause(&case.id).unwrap();
    assert_eq!(case.status(), ContainerStatus::Other("paused".into()));
    let err = rt.pause(&case.id).unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::WrongState), "{err}");
    rt.resume(&case.id).unwrap();
    assert_eq!(case.status(), ContainerStatus::Running);
    rt.force_delete(&case.id).unwrap();
    assert!(rt.list().unwrap().is_empty());
}

/// The memory cgroup's limit file of process `pid` (cgroup v1 as on this
/// host, or v2).
fn memory_limit_file(pid: i32) -> PathBuf {
    let cgroups = std::fs::read_to_string(format!("/proc/{pid}/cgroup")).unwrap();
    for line in cgroups.lines() {
        let mut parts = line.splitn(3, ':');
        let (_, controllers, path) = (parts.next(), parts.next().unwrap(), parts.next().unwrap());
        if controllers.split(',').any(|c| c == "memory") {
            return Path::new("/sys/fs/cgroup/memory")
                .join(path.trim_start_matches('/'))
                .join("memory.limit_in_bytes");
        }
        if controllers.is_empty() && cgroups.lines().count() == 1 {
            return Path::new("/sys/fs/cgroup")
                .join(path.trim_start_matches('/'))
                .join("memory.max");
        }
    }
    panic!("no memory cgroup in {cgroups}");
}

#[test]
fn update_changes_the_memory_limit_of_a_running_container() {
    let Some(case) = Case::new("update", "sleep 600", false, |_| {}) else {
        return;
    };
    let rt = &case.runtime;
    let init = rt
        .run(&case.id, &case.bundle(), CreateOptions::default())
        .unwrap();
    let limit_file = memory_limit_file(init.pid());
    let before = std::fs::read_to_string(&limit_file).unwrap();
    let resources = Resources {
        memory: Some(Memory {
            limit: Some(48 << 20),
            ..Default::default()
        }),
        ..Default::default()
    };
    rt.update(&case.id, &resources).unwrap();
    let after = std::fs::read_to_string(&limit_file).unwrap();
    assert_ne!(before.trim(), "50331648");
    assert_eq!(
        after.trim(),
        "50331648",
        "{} ({})",
        limit_file.display(),
        runc()
    );
}

#[test]
fn a_terminal_arrives_on_the_console_socket_with_the_output() {
    let script = "tty; echo hello from the terminal";
    let Some(case) = Case::new("tty", script, true, |_| {}) else {
        return;
    };
    let options = CreateOptions {
        io: ProcessIo {
            terminal: true,
            ..Default::default()
        },
        ..Default::default()
    };
    let rt = &case.runtime;
    let mut init = rt.create(&case.id, &case.bundle(), options).unwrap();
    let mut console = init.take_console().expect("a terminal");
    rt.start(&case.id).unwrap();
    // Read until the container has gone and the terminal hangs up (EIO).
    let mut output = Vec::new();
    let mut buf = [0u8; 256];
    loop {
        match console.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => output.extend_from_slice(&buf[..n]),
        }
    }
    assert_eq!(init.wait().unwrap(), ExitStatus::Exited(0));
    let output = String::from_utf8_lossy(&output);
    // The terminal turns \n into \r\n.
    assert_eq!(
        output,
        "/dev/pts/0\r\nhello from the terminal\r\n",
        "{}",
        runc()
    );
}

#[test]
fn a_deadline_kills_a_hung_create_and_leaves_no_container() {
    // A createRuntime hook that outlives the deadline: runc waits for it.
    let Some(mut case) = Case::new("deadline", "true", false, |spec| {
        spec.hooks = Some(Hooks {
            create_runtime: vec![Hook {
                path: "/bin/sleep".into(),
                args: vec!["sleep".into(), "30".into()],
                ..Default::default()
            }],
            ..Default::default()
        });
    }) else {
        return;
    };
    case.runtime.deadline = Duration::from_secs(2);
    let started = Instant::now();
    let err = case
        .runtime
        .create(&case.id, &case.bundle(), CreateOptions::default())
        .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert!(
        matches!(
            &err,
            Error::Deadline {
                cleanup: ocikit_runtime::Cleanup::Deleted,
                ..
            }
        ),
        "{err} ({})",
        runc()
    );
    assert!(case.runtime.list().unwrap().is_empty());
    let listed = peers::run(
        peers::command("runc")
            .arg("--root")
            .arg(case.runtime.root.as_ref().unwrap())
            .args(["list", "-q"]),
    );
    assert_eq!(String::from_utf8_lossy(&listed), "");
}
