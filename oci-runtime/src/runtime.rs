//! The driver: a runtime's program and global options, and the
//! operations of runtime-spec runtime.md ("Operations") with runc's
//! command line, which crun and youki share: create, start, state, kill,
//! delete, and runc's run, list, ps, exec, pause, resume, update,
//! features and version.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ocikit_runtime_spec::{ContainerStatus, Features, Json, Operation, Process, Resources, State};
use serde_json::value::RawValue;

use crate::call::{Call, Scratch, Streams, is_not_found};
use crate::{Error, ProcessHandle, ProcessIo, Result, Signal};

/// How long a call may take unless the [`Runtime`] says otherwise: ample
/// for a `create` that runs hooks or unpacks a large rootfs into a
/// cgroup on a loaded machine, short enough that a runtime stuck on a
/// lock is noticed.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(60);

/// How long the driver waits for the terminal on the console socket once
/// the runtime has exited (it connected before exiting, so this is only
/// a bound).
const CONSOLE_WAIT: Duration = Duration::from_secs(5);

/// A runc-compatible runtime: its program and its global options.
///
/// Each operation runs the program once (twice with the lifecycle check:
/// `state` first), with `--log FILE --log-format json` into a fresh file
/// in a private directory, and reads the runtime's error from there. Every
/// call has a deadline ([`Runtime::deadline`]): past it the runtime's
/// process is killed, and after `create`, `run` or `start` the container
/// is removed with `delete --force`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Runtime {
    /// The program: a path, or a name looked up on `PATH`. Default
    /// `runc`.
    pub program: PathBuf,
    /// `--root DIR`: where the runtime keeps its containers' state
    /// (runc's default is `/run/runc`, or `$XDG_RUNTIME_DIR/runc`
    /// rootless).
    pub root: Option<PathBuf>,
    /// `--systemd-cgroup`: cgroups through systemd.
    pub systemd_cgroup: bool,
    /// `--debug`: debug lines in the log (kept in [`Error::Runtime`]'s
    /// `log`).
    pub debug: bool,
    /// The deadline of each call.
    pub deadline: Duration,
}

impl Default for Runtime {
    fn default() -> Self {
        Runtime::new("runc")
    }
}

/// How `create` and `run` start a container.
#[derive(Debug, Default)]
pub struct CreateOptions {
    /// The process's streams, or its terminal.
    pub io: ProcessIo,
    /// `--no-pivot`: `MS_MOVE` instead of `pivot_root(2)`, for a rootfs
    /// on a ramdisk.
    pub no_pivot: bool,
    /// `--no-new-keyring`: keep the caller's session keyring.
    pub no_new_keyring: bool,
}

/// What `version` reports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RuntimeVersion {
    /// The runtime's name, as it calls itself (`runc`, `crun`, `youki`).
    pub name: String,
    /// Its version (`1.1.5+ds1`).
    pub version: String,
    /// The runtime-spec version it implements, when it says (`spec:
    /// 1.0.2-dev`).
    pub spec: Option<String>,
    /// The whole output of `--version`.
    pub text: String,
}

impl Runtime {
    /// The runtime `program` with no global options and the
    /// [`DEFAULT_DEADLINE`].
    pub fn new(program: impl Into<PathBuf>) -> Runtime {
        Runtime {
            program: program.into(),
            root: None,
            systemd_cgroup: false,
            debug: false,
            deadline: DEFAULT_DEADLINE,
        }
    }

    /// `create`: creates container `id` from the bundle at `bundle`
    /// (runtime.md "Create"); its process waits for [`start`](Self::start).
    /// The lifecycle check first: the ID must be unused.
    ///
    /// The process's streams are `options.io`'s, held by the container
    /// until it exits; the call returns as soon as the container is
    /// created, whatever they are (a pipe's write end given here does not
    /// keep it waiting). The handle gives its pid, its terminal, and its
    /// exit status when this process is a subreaper
    /// ([`subreaper`](crate::subreaper)).
    ///
    /// # Errors
    ///
    /// [`Error::AlreadyExists`] from the check; [`Error::Runtime`] with
    /// the runtime's message when it refuses (a bad `config.json`, a
    /// missing executable); [`Error::Deadline`] (the container is then
    /// deleted); [`Error::Console`]; [`Error::InvalidId`].
    pub fn create(&self, id: &str, bundle: &Path, options: CreateOptions) -> Result<ProcessHandle> {
        self.bring_up("create", id, bundle, options)
    }

    /// `run --detach`: [`create`](Self::create) and [`start`](Self::start)
    /// in one call of the runtime.
    ///
    /// # Errors
    ///
    /// As [`create`](Self::create).
    pub fn run(&self, id: &str, bundle: &Path, options: CreateOptions) -> Result<ProcessHandle> {
        self.bring_up("run", id, bundle, options)
    }

    fn bring_up(
        &self,
        op: &'static str,
        id: &str,
        bundle: &Path,
        options: CreateOptions,
    ) -> Result<ProcessHandle> {
        check_id(id)?;
        self.check(Operation::Create, op, id)?;
        let bundle = std::path::absolute(bundle).map_err(|source| Error::Io {
            action: "find the absolute path of the bundle",
            path: bundle.to_path_buf(),
            source,
        })?;
        let scratch = Scratch::new()?;
        let pid_file = scratch.path("pid");
        let mut args: Vec<OsString> = vec!["--bundle".into(), bundle.into()];
        if op == "run" {
            args.push("--detach".into());
        }
        args.push("--pid-file".into());
        args.push(pid_file.clone().into());
        let console = self.console_socket(&scratch, &options.io, &mut args)?;
        if options.no_pivot {
            args.push("--no-pivot".into());
        }
        if options.no_new_keyring {
            args.push("--no-new-keyring".into());
        }
        args.push(id.into());
        let call = Call {
            op,
            id,
            args,
            streams: Streams::container(options.io),
            cleanup: true,
            global: true,
        };
        self.invoke(&scratch, call)?;
        // Created: from here on a failure removes the container again.
        let handle = self.handle(op, id, &pid_file, console.as_ref());
        if handle.is_err() {
            let _ = self.force_delete(id);
        }
        handle
    }

    /// The console socket in the call's directory, when the process has a
    /// terminal.
    fn console_socket(
        &self,
        scratch: &Scratch,
        io: &ProcessIo,
        args: &mut Vec<OsString>,
    ) -> Result<Option<crate::ConsoleSocket>> {
        if !io.terminal {
            return Ok(None);
        }
        let socket = crate::ConsoleSocket::bind(&scratch.path("console.sock"))?;
        args.push("--console-socket".into());
        args.push(socket.path().into());
        Ok(Some(socket))
    }

    /// The handle of the process whose pid the runtime wrote to `pid_file`.
    fn handle(
        &self,
        op: &'static str,
        id: &str,
        pid_file: &Path,
        console: Option<&crate::ConsoleSocket>,
    ) -> Result<ProcessHandle> {
        let bad = |what: String| Error::Output {
            runtime: self.name(),
            op,
            id: id.to_owned(),
            what,
        };
        let text = std::fs::read_to_string(pid_file)
            .map_err(|e| bad(format!("no pid file {}: {e}", pid_file.display())))?;
        let pid = text
            .trim()
            .parse::<i32>()
            .ok()
            .filter(|pid| *pid > 0)
            .ok_or_else(|| bad(format!("the pid file holds {text:?}, not a pid")))?;
        let console = console
            .map(|socket| socket.receive(CONSOLE_WAIT))
            .transpose()?;
        ProcessHandle::new(id, pid, console)
    }

    /// `start`: runs the user's program in created container `id`
    /// (runtime.md "Start"). The lifecycle check first: the container must
    /// be `created`.
    ///
    /// # Errors
    ///
    /// [`Error::WrongStatus`] from the check; [`Error::Runtime`] (not
    /// found, ...); [`Error::Deadline`] (the container is then deleted).
    pub fn start(&self, id: &str) -> Result<()> {
        check_id(id)?;
        self.check(Operation::Start, "start", id)?;
        let mut call = Call::captured("start", id).args([id]);
        call.cleanup = true;
        self.invoke(&Scratch::new()?, call).map(drop)
    }

    /// `state`: the state of container `id` (runtime.md "Query State"),
    /// with the members the runtime adds (runc's `rootfs`, `created`,
    /// `owner`) kept in `extra`.
    ///
    /// # Errors
    ///
    /// [`Error::Runtime`] of kind [`NotFound`](crate::ErrorKind::NotFound)
    /// for an unknown container; [`Error::Output`] when the state does not
    /// parse.
    pub fn state(&self, id: &str) -> Result<State> {
        self.state_for("state", id)
    }

    /// `state`, with errors naming `op`, the operation it checks for.
    fn state_for(&self, op: &'static str, id: &str) -> Result<State> {
        check_id(id)?;
        let call = Call::captured("state", id).args([id]);
        let out = self
            .invoke(&Scratch::new()?, call)
            .map_err(|e| relabel(e, op))?;
        State::from_json(&out).map_err(|e| Error::Output {
            runtime: self.name(),
            op,
            id: id.to_owned(),
            what: format!("its state does not parse: {e}"),
        })
    }

    /// `kill`: sends `signal` to the container's process (runtime.md
    /// "Kill"). The lifecycle check first: `created` or `running`.
    ///
    /// # Errors
    ///
    /// [`Error::WrongStatus`] (of kind
    /// [`NotRunning`](crate::ErrorKind::NotRunning) for a stopped
    /// container); [`Error::Runtime`].
    pub fn kill(&self, id: &str, signal: Signal) -> Result<()> {
        self.kill_with(id, signal, false)
    }

    /// `kill --all`: sends `signal` to every process of the container.
    ///
    /// # Errors
    ///
    /// As [`kill`](Self::kill).
    pub fn kill_all(&self, id: &str, signal: Signal) -> Result<()> {
        self.kill_with(id, signal, true)
    }

    fn kill_with(&self, id: &str, signal: Signal, all: bool) -> Result<()> {
        check_id(id)?;
        self.check(Operation::Kill, "kill", id)?;
        let mut call = Call::captured("kill", id);
        if all {
            call = call.args(["--all"]);
        }
        let call = call.args([id.to_owned(), signal.number().to_string()]);
        self.invoke(&Scratch::new()?, call).map(drop)
    }

    /// `delete`: removes stopped container `id` (runtime.md "Delete").
    /// The lifecycle check first: `stopped`.
    ///
    /// # Errors
    ///
    /// [`Error::WrongStatus`] (delete while running); [`Error::Runtime`].
    pub fn delete(&self, id: &str) -> Result<()> {
        check_id(id)?;
        self.check(Operation::Delete, "delete", id)?;
        let call = Call::captured("delete", id).args([id]);
        self.invoke(&Scratch::new()?, call).map(drop)
    }

    /// `delete --force`: removes container `id` whatever its status,
    /// killing its processes. No lifecycle check.
    ///
    /// # Errors
    ///
    /// [`Error::Runtime`] (not found).
    pub fn force_delete(&self, id: &str) -> Result<()> {
        check_id(id)?;
        let call = Call::captured("delete", id).args(["--force", id]);
        self.invoke(&Scratch::new()?, call).map(drop)
    }

    /// `list --format json`: the states of all containers under the
    /// runtime's root.
    ///
    /// # Errors
    ///
    /// [`Error::Output`] when the list or a state in it does not parse.
    pub fn list(&self) -> Result<Vec<State>> {
        let call = Call::captured("list", "").args(["--format", "json"]);
        let out = self.invoke(&Scratch::new()?, call)?;
        let bad = |what: String| Error::Output {
            runtime: self.name(),
            op: "list",
            id: String::new(),
            what,
        };
        // runc prints `null` for no container.
        let raw: Option<Vec<Box<RawValue>>> = serde_json::from_slice(&out)
            .map_err(|e| bad(format!("its output is not a JSON list: {e}")))?;
        raw.unwrap_or_default()
            .iter()
            .enumerate()
            .map(|(index, state)| {
                State::from_json(state.get().as_bytes())
                    .map_err(|e| bad(format!("entry {index} is not a state: {e}")))
            })
            .collect()
    }

    /// `ps --format json`: the pids of the container's processes, as the
    /// host sees them.
    ///
    /// # Errors
    ///
    /// [`Error::Runtime`]; [`Error::Output`].
    pub fn ps(&self, id: &str) -> Result<Vec<i32>> {
        check_id(id)?;
        let call = Call::captured("ps", id).args(["--format", "json", id]);
        let out = self.invoke(&Scratch::new()?, call)?;
        let pids: Option<Vec<i32>> = serde_json::from_slice(&out).map_err(|e| Error::Output {
            runtime: self.name(),
            op: "ps",
            id: id.to_owned(),
            what: format!("its output is not a JSON list of pids: {e}"),
        })?;
        Ok(pids.unwrap_or_default())
    }

    /// `exec --detach`: starts `process` in container `id`, which must be
    /// `created` or `running` (checked first). The handle waits for it as
    /// for a container's init (with a subreaper); `process.terminal` goes
    /// with `io.terminal`.
    ///
    /// # Errors
    ///
    /// [`Error::WrongStatus`]; [`Error::Runtime`] (a missing executable);
    /// [`Error::Console`].
    pub fn exec(&self, id: &str, process: &Process, io: ProcessIo) -> Result<ProcessHandle> {
        check_id(id)?;
        self.require("exec", id, live())?;
        let scratch = Scratch::new()?;
        let process_file = scratch.write_json("process.json", process)?;
        let pid_file = scratch.path("pid");
        let mut args: Vec<OsString> = vec![
            "--process".into(),
            process_file.into(),
            "--detach".into(),
            "--pid-file".into(),
            pid_file.clone().into(),
        ];
        let console = self.console_socket(&scratch, &io, &mut args)?;
        args.push(id.into());
        let call = Call {
            op: "exec",
            id,
            args,
            streams: Streams::container(io),
            cleanup: false,
            global: true,
        };
        self.invoke(&scratch, call)?;
        self.handle("exec", id, &pid_file, console.as_ref())
    }

    /// `pause`: freezes the processes of running container `id` (checked
    /// first); its status becomes runc's `paused`.
    ///
    /// # Errors
    ///
    /// [`Error::WrongStatus`]; [`Error::Runtime`].
    pub fn pause(&self, id: &str) -> Result<()> {
        check_id(id)?;
        self.require("pause", id, &[ContainerStatus::Running])?;
        self.invoke(&Scratch::new()?, Call::captured("pause", id).args([id]))
            .map(drop)
    }

    /// `resume`: thaws paused container `id` (checked first).
    ///
    /// # Errors
    ///
    /// [`Error::WrongStatus`]; [`Error::Runtime`].
    pub fn resume(&self, id: &str) -> Result<()> {
        check_id(id)?;
        self.require("resume", id, &[paused()])?;
        self.invoke(&Scratch::new()?, Call::captured("resume", id).args([id]))
            .map(drop)
    }

    /// `update --resources FILE`: changes the cgroup limits of container
    /// `id` while it runs (runtime-spec config-linux.md, "Control
    /// groups"); members absent from `resources` stay as they are.
    ///
    /// # Errors
    ///
    /// [`Error::Runtime`] (a limit the kernel refuses).
    pub fn update(&self, id: &str, resources: &Resources) -> Result<()> {
        check_id(id)?;
        let scratch = Scratch::new()?;
        let file = scratch.write_json("resources.json", resources)?;
        let call = Call::captured("update", id).args([
            OsString::from("--resources"),
            file.into(),
            id.into(),
        ]);
        self.invoke(&scratch, call).map(drop)
    }

    /// `features`: what the runtime implements (runtime-spec features.md).
    ///
    /// # Errors
    ///
    /// [`Error::Unsupported`] when the runtime has no such command (runc
    /// before 1.1); [`Error::Output`] when the document does not parse.
    pub fn features(&self) -> Result<Features> {
        let out = self.invoke(&Scratch::new()?, Call::captured("features", ""))?;
        Features::from_json(&out).map_err(|e| Error::Output {
            runtime: self.name(),
            op: "features",
            id: String::new(),
            what: format!("its features document does not parse: {e}"),
        })
    }

    /// `--version`: the runtime's name, version and runtime-spec version.
    ///
    /// # Errors
    ///
    /// [`Error::Output`] when the first line is not `NAME version X`.
    pub fn version(&self) -> Result<RuntimeVersion> {
        // `--version` is a global option: no other goes with it.
        let mut call = Call::captured("--version", "");
        call.global = false;
        let out = self.invoke(&Scratch::new()?, call)?;
        let text = String::from_utf8_lossy(&out).into_owned();
        parse_version(&text).ok_or_else(|| Error::Output {
            runtime: self.name(),
            op: "--version",
            id: String::new(),
            what: format!(
                "expected \"NAME version X\" first, found {:?}",
                first_line(&text)
            ),
        })
    }

    /// The lifecycle check of `op` (runtime.md "Operations", the statuses
    /// [`Operation::needs`]), for the call `name` on container `id`.
    fn check(&self, op: Operation, name: &'static str, id: &str) -> Result<()> {
        match op.needs() {
            None => Ok(()),
            Some([]) => match self.state_for(name, id) {
                Ok(state) => Err(Error::AlreadyExists {
                    runtime: self.name(),
                    op: name,
                    id: id.to_owned(),
                    status: state.status,
                }),
                Err(e) if is_not_found(&e) => Ok(()),
                Err(e) => Err(e),
            },
            Some(allowed) => self.require(name, id, allowed),
        }
    }

    /// The container's status must be one of `allowed`.
    fn require(&self, op: &'static str, id: &str, allowed: &[ContainerStatus]) -> Result<()> {
        let state = self.state_for(op, id)?;
        if allowed.contains(&state.status) {
            return Ok(());
        }
        let needs: Vec<&str> = allowed.iter().map(ContainerStatus::as_str).collect();
        Err(Error::WrongStatus {
            runtime: self.name(),
            op,
            id: id.to_owned(),
            status: state.status,
            needs: needs.join(" or "),
        })
    }
}

/// `created` or `running`: what `kill` needs, and `exec`.
fn live() -> &'static [ContainerStatus] {
    Operation::Kill.needs().unwrap_or_default()
}

/// runc's own status of a frozen container.
fn paused() -> ContainerStatus {
    ContainerStatus::Other("paused".to_owned())
}

/// `err` with `op` as its operation, for the state call of a lifecycle
/// check.
fn relabel(err: Error, op: &'static str) -> Error {
    match err {
        Error::Runtime {
            runtime,
            id,
            kind,
            message,
            log,
            ..
        } => Error::Runtime {
            runtime,
            op,
            id,
            kind,
            message,
            log,
        },
        other => other,
    }
}

/// The checks of a container ID before it goes on a runtime's command
/// line: runc's own rule (letters, digits, `_`, `+`, `-`, `.`, at most
/// 1024 bytes), so that an ID can never be read as an option
/// (`--root=/x`) or leave the runtime's state directory (`../x`). Every
/// operation makes it; public for callers that name files or directories
/// after an ID before the runtime is asked.
///
/// # Errors
///
/// [`Error::InvalidId`] saying why.
pub fn check_id(id: &str) -> Result<()> {
    let refuse = |reason| {
        Err(Error::InvalidId {
            id: id.to_owned(),
            reason,
        })
    };
    if id.is_empty() {
        return refuse("it is empty");
    }
    if id.len() > 1024 {
        return refuse("it is longer than 1024 bytes");
    }
    if id.starts_with('-') {
        return refuse("it starts with '-' and would be read as an option");
    }
    if id == "." || id == ".." {
        return refuse("it names a directory, not a container");
    }
    if !id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"_+-.".contains(&b))
    {
        return refuse("only letters, digits, '_', '+', '-' and '.' are allowed (as runc has it)");
    }
    Ok(())
}

/// `runc version 1.1.5+ds1` (then `spec: 1.0.2-dev` on a later line).
fn parse_version(text: &str) -> Option<RuntimeVersion> {
    let mut words = first_line(text).split_whitespace();
    let (name, word, version) = (words.next()?, words.next()?, words.next()?);
    if word != "version" {
        return None;
    }
    let spec = text
        .lines()
        .find_map(|line| line.trim().strip_prefix("spec:"))
        .map(|spec| spec.trim().to_owned());
    Some(RuntimeVersion {
        name: name.to_owned(),
        version: version.to_owned(),
        spec,
        text: text.to_owned(),
    })
}

/// The first line with something on it.
fn first_line(text: &str) -> &str {
    text.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_that_could_be_options_or_paths_are_refused() {
        for good in ["c1", "web_1.2+x-y", "A"] {
            assert!(check_id(good).is_ok(), "{good}");
        }
        for (bad, why) in [
            ("", "it is empty"),
            ("--root=/tmp", "it starts with '-'"),
            ("-", "it starts with '-'"),
            ("..", "names a directory"),
            ("a/b", "only letters"),
            ("a b", "only letters"),
            ("é", "only letters"),
        ] {
            let err = check_id(bad).unwrap_err().to_string();
            assert!(err.contains(why), "{bad:?}: {err}");
        }
    }

    #[test]
    fn versions_of_runc_crun_and_youki_parse() {
        let runc =
            "runc version 1.1.5+ds1\ncommit: 1.1.5+ds1-1+deb12u1\nspec: 1.0.2-dev\ngo: go1.19.8\n";
        let v = parse_version(runc).unwrap();
        assert_eq!(
            (v.name.as_str(), v.version.as_str(), v.spec.as_deref()),
            ("runc", "1.1.5+ds1", Some("1.0.2-dev"))
        );
        let crun = "crun version 1.8.1\ncommit: f8a096be\nrundir: /run/crun\nspec: 1.0.0\n+SYSTEMD +SELINUX\n";
        assert_eq!(parse_version(crun).unwrap().spec.as_deref(), Some("1.0.0"));
        let youki = "youki version 0.3.0\ncommit: 0.3.0-0-abc\n";
        let v = parse_version(youki).unwrap();
        assert_eq!((v.name.as_str(), v.spec), ("youki", None));
        assert!(parse_version("1.2.3").is_none());
        assert!(parse_version("").is_none());
    }
}
