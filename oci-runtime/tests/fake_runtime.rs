//! The driver against a fake runtime: a shell script that records its
//! arguments, answers `state`, `list`, `ps`, `features` and `--version`
//! as runc 1.1.5 does, and fails in runc's or youki's JSON log style when
//! told to. It checks what no real runtime on this host can show: the
//! argument order of every operation (crun and youki share runc's), both
//! log styles, the lifecycle checks made before the runtime is asked, the
//! deadline, and what the runtime's process is given (its three streams
//! and a private directory). Needs no root.

#![allow(clippy::unwrap_used)]

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ocikit_runtime::{Cleanup, CreateOptions, Error, ErrorKind, ProcessIo, Runtime, Signal, Stdio};
use ocikit_runtime_spec::{ContainerStatus, Memory, Process, Resources};

/// The script. `@DIR@` is its directory, where it appends each call to
/// `calls` (the arguments, each ended by \037), lists its descriptors in
/// `fds` (before it opens any of its own), the mode and path of the
/// `--log` file's directory in `dirs`, copies the
/// `--process` and `--resources` files to `files`, and reads `status`
/// (`none` when the container does not exist) and `mode` (`ok`,
/// `reject-runc`, `reject-youki`, `hang`, `garbage`).
const SCRIPT: &str = r#"#!/bin/sh
dir=@DIR@
(ls -l /proc/$$/fd) >> "$dir/fds"
{ for a in "$@"; do printf '%s\037' "$a"; done; printf '\n'; } >> "$dir/calls"
log= pidfile= process= resources= prev= op=
for a in "$@"; do
  case "$prev" in
    --log) log=$a ;; --pid-file) pidfile=$a ;; --process) process=$a ;; --resources) resources=$a ;;
  esac
  prev=$a
done
for a in "$@"; do
  case "$a" in
    create|run|start|state|kill|delete|list|ps|exec|pause|resume|update|features|--version) op=$a; break ;;
  esac
done
for last; do :; done
[ -n "$log" ] && printf '%s %s\n' "$(stat -c %a "$(dirname "$log")")" "$(dirname "$log")" >> "$dir/dirs"
[ -n "$process" ] && cat "$process" >> "$dir/files"
[ -n "$resources" ] && cat "$resources" >> "$dir/files"
status=$(cat "$dir/status")
mode=$(cat "$dir/mode")
fail() {
  if [ "$mode" = reject-youki ]; then
    printf '{"timestamp":"2026-01-01T00:00:00.000000Z","level":"ERROR","message":"%s"}\n' "$1" >> "$log"
  else
    printf '{"level":"debug","msg":"nsexec started","time":"2026-01-01T00:00:00Z"}\n' >> "$log"
    printf '{"level":"error","msg":"%s","time":"2026-01-01T00:00:00Z"}\n' "$1" >> "$log"
  fi
  echo "$1" >&2
  exit 1
}
case "$op" in
  state)
    [ "$status" = none ] && fail "container does not exist"
    [ "$mode" = garbage ] && { echo 'not json'; exit 0; }
    printf '{"ociVersion":"1.0.2-dev","id":"%s","pid":4242,"status":"%s","bundle":"/b","rootfs":"/b/rootfs","created":"2026-01-01T00:00:00Z","owner":""}' "$last" "$status" ;;
  create|run|exec)
    [ "$mode" = hang ] && exec sleep 60
    case "$mode" in reject-*) fail "container with given ID already exists" ;; esac
    echo 4242 > "$pidfile" ;;
  list)
    printf '[{"ociVersion":"1.0.2-dev","id":"c1","pid":0,"status":"stopped","bundle":"/b","rootfs":"/b/rootfs","created":"2026-01-01T00:00:00Z","owner":"root"}]' ;;
  ps) printf '[4242,4243]' ;;
  features) printf '{"ociVersionMin":"1.0.0","ociVersionMax":"1.1.0","hooks":["prestart"]}' ;;
  --version) printf 'fake version 0.1.0\ncommit: none\nspec: 1.2.0\n' ;;
  *) case "$mode" in reject-*) fail "container not running" ;; esac ;;
esac
exit 0
"#;

/// A fake runtime in a directory of its own.
struct Fake {
    dir: tempfile::TempDir,
    runtime: Runtime,
}

impl Fake {
    fn new() -> Fake {
        let dir = tempfile::tempdir().unwrap();
        let program = dir.path().join("fake-runtime");
        let script = SCRIPT.replace("@DIR@", dir.path().to_str().unwrap());
        std::fs::write(&program, script).unwrap();
        std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
        let fake = Fake {
            runtime: Runtime {
                root: Some("/run/fake".into()),
                systemd_cgroup: true,
                debug: true,
                ..Runtime::new(&program)
            },
            dir,
        };
        fake.set("none", "ok");
        fake
    }

    /// The container's status (`none`: it does not exist) and the mode.
    fn set(&self, status: &str, mode: &str) {
        std::fs::write(self.dir.path().join("status"), status).unwrap();
        std::fs::write(self.dir.path().join("mode"), mode).unwrap();
        let _ = std::fs::remove_file(self.dir.path().join("calls"));
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default()
    }

    /// The calls since [`set`], each as its arguments joined by spaces,
    /// the private directory written `$DIR`.
    fn calls(&self) -> Vec<String> {
        self.read("calls")
            .lines()
            .map(|line| {
                let args: Vec<&str> = line.split('\u{1f}').filter(|a| !a.is_empty()).collect();
                let log = args.iter().position(|a| *a == "--log").map(|i| args[i + 1]);
                let dir = log.map(|l| Path::new(l).parent().unwrap().to_str().unwrap().to_owned());
                let joined = args.join(" ");
                match dir {
                    Some(dir) => joined.replace(&dir, "$DIR"),
                    None => joined,
                }
            })
            .collect()
    }
}

const GLOBAL: &str =
    "--root /run/fake --systemd-cgroup --debug --log $DIR/log.json --log-format json";

fn call(rest: &str) -> String {
    format!("{GLOBAL} {rest}")
}

#[test]
fn every_operation_passes_its_arguments_in_runc_order() {
    let fake = Fake::new();
    let rt = &fake.runtime;
    let bundle = fake.dir.path().join("bundle");
    let b = bundle.display();

    fake.set("none", "ok");
    let options = CreateOptions {
        no_pivot: true,
        no_new_keyring: true,
        ..Default::default()
    };
    let init = rt.create("c1", &bundle, options).unwrap();
    assert_eq!(init.pid(), 4242);
    assert!(!init.is_reapable(), "this test process is no subreaper");
    assert_eq!(
        fake.calls(),
        [
            call("state c1"),
            call(&format!(
                "create --bundle {b} --pid-file $DIR/pid --no-pivot --no-new-keyring c1"
            )),
        ]
    );

    fake.set("none", "ok");
    rt.run("c1", &bundle, CreateOptions::default()).unwrap();
    assert_eq!(
        fake.calls(),
        [
            call("state c1"),
            call(&format!("run --bundle {b} --detach --pid-file $DIR/pid c1")),
        ]
    );

    let expect = |status: &str, what: &dyn Fn() -> Result<(), Error>, op: &str| {
        fake.set(status, "ok");
        what().unwrap();
        assert_eq!(fake.calls(), [call("state c1"), call(op)], "{op}");
    };
    expect("created", &|| rt.start("c1"), "start c1");
    expect("running", &|| rt.kill("c1", Signal::TERM), "kill c1 15");
    expect(
        "created",
        &|| rt.kill_all("c1", Signal::KILL),
        "kill --all c1 9",
    );
    expect("stopped", &|| rt.delete("c1"), "delete c1");
    expect("running", &|| rt.pause("c1"), "pause c1");
    expect("paused", &|| rt.resume("c1"), "resume c1");

    fake.set("running", "ok");
    let process = Process {
        args: vec!["/bin/sh".into(), "-c".into(), "exit 3".into()],
        cwd: "/".into(),
        ..Default::default()
    };
    rt.exec("c1", &process, ProcessIo::default()).unwrap();
    assert_eq!(
        fake.calls(),
        [
            call("state c1"),
            call("exec --process $DIR/process.json --detach --pid-file $DIR/pid c1"),
        ]
    );
    assert_eq!(
        fake.read("files"),
        r#"{"args":["/bin/sh","-c","exit 3"],"cwd":"/"}"#
    );

    // No lifecycle check for these.
    let once = |what: &dyn Fn(), op: &str| {
        fake.set("running", "ok");
        what();
        assert_eq!(fake.calls(), [call(op)], "{op}");
    };
    once(&|| rt.force_delete("c1").unwrap(), "delete --force c1");
    once(
        &|| {
            let state = rt.state("c1").unwrap();
            assert_eq!(state.status, ContainerStatus::Running);
            assert_eq!(state.extra["rootfs"], "/b/rootfs");
        },
        "state c1",
    );
    once(
        &|| assert_eq!(rt.ps("c1").unwrap(), [4242, 4243]),
        "ps --format json c1",
    );
    once(
        &|| {
            let list = rt.list().unwrap();
            assert_eq!(list.len(), 1);
            assert_eq!(
                (list[0].id.as_str(), &list[0].status),
                ("c1", &ContainerStatus::Stopped)
            );
        },
        "list --format json",
    );
    once(
        &|| assert_eq!(rt.features().unwrap().oci_version_max, "1.1.0"),
        "features",
    );
    let resources = Resources {
        memory: Some(Memory {
            limit: Some(64 << 20),
            ..Default::default()
        }),
        ..Default::default()
    };
    let _ = std::fs::remove_file(fake.dir.path().join("files"));
    once(
        &|| rt.update("c1", &resources).unwrap(),
        "update --resources $DIR/resources.json c1",
    );
    assert_eq!(fake.read("files"), r#"{"memory":{"limit":67108864}}"#);

    // `--version` alone: no global option, no log.
    fake.set("none", "ok");
    let version = rt.version().unwrap();
    assert_eq!(
        (
            version.name.as_str(),
            version.version.as_str(),
            version.spec.as_deref()
        ),
        ("fake", "0.1.0", Some("1.2.0"))
    );
    assert_eq!(fake.calls(), ["--version"]);
}

#[test]
fn errors_in_both_log_styles_become_typed_errors_with_the_raw_text() {
    let fake = Fake::new();
    let rt = &fake.runtime;

    // runc's style: {"level":"error","msg":...}, after a debug line.
    fake.set("none", "reject-runc");
    let err = rt.state("c1").unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::NotFound), "{err}");
    let runtime = rt.program.display().to_string();
    assert_eq!(
        err.to_string(),
        format!("{runtime} state \"c1\": container does not exist")
    );
    let Error::Runtime { log, message, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(message, "container does not exist");
    assert!(
        log.contains(r#""level":"debug""#) && log.contains(r#""msg":"container does not exist""#),
        "{log}"
    );

    // youki's style: {"level":"ERROR","message":...}.
    fake.set("none", "reject-youki");
    let err = rt.start("c1").unwrap_err();
    assert_eq!(err.kind(), Some(ErrorKind::NotFound), "{err}");
    assert_eq!(
        err.to_string(),
        format!("{runtime} start \"c1\": container does not exist")
    );

    // The lifecycle check passes; the runtime refuses in both styles.
    for mode in ["reject-runc", "reject-youki"] {
        fake.set("running", mode);
        let err = rt.kill("c1", Signal::INT).unwrap_err();
        assert_eq!(err.kind(), Some(ErrorKind::NotRunning), "{mode}: {err}");
        assert_eq!(
            err.to_string(),
            format!("{runtime} kill \"c1\": container not running")
        );
        fake.set("none", mode);
        let err = rt
            .create("c1", Path::new("/b"), CreateOptions::default())
            .unwrap_err();
        assert_eq!(err.kind(), Some(ErrorKind::AlreadyExists), "{mode}: {err}");
    }

    // Output that is not what the operation gives.
    fake.set("running", "garbage");
    let err = rt.state("c1").unwrap_err();
    assert!(
        matches!(err, Error::Output { op: "state", .. })
            && err.to_string().contains("its state does not parse"),
        "{err}"
    );
}

#[test]
fn lifecycle_checks_refuse_before_the_runtime_is_asked() {
    let fake = Fake::new();
    let rt = &fake.runtime;
    let runtime = rt.program.display().to_string();
    for (status, attempt, message, kind) in [
        (
            "running",
            Box::new(|| rt.start("c1")) as Box<dyn Fn() -> Result<(), Error>>,
            "start: container \"c1\" is running; start needs status created",
            ErrorKind::WrongState,
        ),
        (
            "running",
            Box::new(|| rt.delete("c1")),
            "delete: container \"c1\" is running; delete needs status stopped",
            ErrorKind::WrongState,
        ),
        (
            "stopped",
            Box::new(|| rt.kill("c1", Signal::KILL)),
            "kill: container \"c1\" is stopped; kill needs status created or running",
            ErrorKind::NotRunning,
        ),
        (
            "paused",
            Box::new(|| rt.pause("c1")),
            "pause: container \"c1\" is paused; pause needs status running",
            ErrorKind::WrongState,
        ),
        (
            "created",
            Box::new(|| {
                rt.run("c1", Path::new("/b"), CreateOptions::default())
                    .map(drop)
            }),
            "run: container \"c1\" already exists (status created); run needs an unused ID",
            ErrorKind::AlreadyExists,
        ),
    ] {
        fake.set(status, "ok");
        let err = attempt().unwrap_err();
        assert_eq!(err.to_string(), format!("{runtime} {message}"));
        assert_eq!(err.kind(), Some(kind), "{err}");
        // Only the state was asked for.
        assert_eq!(fake.calls(), [call("state c1")], "{message}");
    }
    // An ID that would pass for an option never reaches the runtime.
    fake.set("running", "ok");
    let err = rt.state("--root=/tmp").unwrap_err();
    assert!(matches!(err, Error::InvalidId { .. }), "{err}");
    assert!(fake.calls().is_empty());
}

#[test]
fn a_call_past_its_deadline_is_killed_and_the_container_deleted() {
    let mut fake = Fake::new();
    fake.runtime.deadline = Duration::from_millis(500);
    fake.set("none", "hang");
    let started = Instant::now();
    let err = fake
        .runtime
        .create("c1", Path::new("/b"), CreateOptions::default())
        .unwrap_err();
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "{took:?}");
    let Error::Deadline { op, cleanup, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!((*op, cleanup), ("create", &Cleanup::Deleted), "{err}");
    assert!(err.to_string().ends_with("did not finish within 0.5 s: the runtime was killed and the container removed with delete --force"), "{err}");
    let calls = fake.calls();
    assert_eq!(calls.len(), 3, "{calls:#?}");
    assert!(calls[1].contains(" create --bundle /b "), "{calls:#?}");
    assert_eq!(calls[2], call("delete --force c1"));
}

/// The descriptors of this process that any child inherits: those
/// without close-on-exec (`O_CLOEXEC` is 02000000 in `flags` of
/// /proc/self/fdinfo), such as the jobserver pipe cargo hands its tests.
/// The driver cannot close them in the runtime's process (that needs code
/// between fork and exec), and they are not its own.
fn inheritable_fds() -> Vec<String> {
    std::fs::read_dir("/proc/self/fdinfo")
        .unwrap()
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let info = std::fs::read_to_string(entry.path()).ok()?;
            let flags = info.lines().find_map(|l| l.strip_prefix("flags:"))?;
            let flags = u32::from_str_radix(flags.trim(), 8).ok()?;
            (flags & 0o2000000 == 0).then(|| entry.file_name().to_string_lossy().into_owned())
        })
        .collect()
}

#[test]
fn the_runtime_gets_its_three_streams_and_a_private_directory_only() {
    let fake = Fake::new();
    // Descriptors of ours that a careless driver could pass on: open
    // files, a pipe, a listening socket.
    let _file = std::fs::File::open("/etc/hostname").unwrap();
    let (_reader, writer) = std::io::pipe().unwrap();
    let _listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let stdout = tempfile::tempfile().unwrap();
    fake.set("none", "ok");
    let options = CreateOptions {
        io: ProcessIo {
            stdin: Stdio::Null,
            stdout: stdout.into(),
            stderr: writer.into(),
            terminal: false,
        },
        ..Default::default()
    };
    fake.runtime.create("c1", Path::new("/b"), options).unwrap();
    let inheritable = inheritable_fds();
    let script = fake.runtime.program.display().to_string();
    let fds = fake.read("fds");
    let mut calls = 0;
    for line in fds.lines() {
        if line.starts_with("total") {
            calls += 1;
            continue;
        }
        // `lr-x------ 1 root root 64 Dec  6 21:18 3 -> /dev/null`
        let (left, target) = line.split_once(" -> ").unwrap();
        let number = left.rsplit(' ').next().unwrap();
        // Its streams, the shell's descriptor of its script, and what any
        // child of this test inherits.
        let allowed = ["0", "1", "2"].contains(&number)
            || target == script
            || inheritable.iter().any(|n| n == number);
        assert!(
            allowed,
            "the runtime got descriptor {number} ({target}):\n{fds}"
        );
    }
    assert_eq!(calls, 2, "{fds}");
    // The state call and the create, each with a 0700 directory of its
    // own, removed when the call returned.
    let dirs: Vec<(String, PathBuf)> = fake
        .read("dirs")
        .lines()
        .map(|l| {
            let (mode, path) = l.split_once(' ').unwrap();
            (mode.to_owned(), PathBuf::from(path))
        })
        .collect();
    assert_eq!(dirs.len(), 2, "{dirs:?}");
    assert_ne!(dirs[0].1, dirs[1].1);
    for (mode, dir) in dirs {
        assert_eq!(mode, "700", "{}", dir.display());
        assert!(!dir.exists(), "{} is left", dir.display());
    }
}
