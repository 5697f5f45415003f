//! The runtime commands: `oci run`, `create`, `start`, `state`, `kill`,
//! `delete`, `list`, `exec` and `update`, through `ocikit-runtime`'s
//! driver and a runc-compatible runtime (`--runtime PATH`, default runc).
//!
//! A bundle that `oci run` or `oci create` unpacks from an image, when no
//! `--bundle` is given, goes to `bundles/ID` under the tool's state
//! directory (`/run/ocikit` for root, `$XDG_RUNTIME_DIR/ocikit`
//! otherwise); `oci run --rm` and `oci delete` remove it again, and only
//! such a bundle.

use std::io::Write;
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use ocikit_convert::{ConfigChange, ConversionOptions, ImageEdit, UnpackOptions};
use ocikit_layout::Layout;
use ocikit_runtime::{CreateOptions, ExitStatus, ProcessHandle, ProcessIo, Runtime, Signal};
use ocikit_runtime_spec::{Cpu, Json, Memory, Pids, Resources, Spec};

use crate::progress::Transfers;
use crate::remote::{Location, RegistryArgs};
use crate::store::Image;
use crate::{CmdResult, Failure, stdout_failed};

impl From<ocikit_runtime::Error> for Failure {
    fn from(err: ocikit_runtime::Error) -> Self {
        Failure(err.to_string())
    }
}

/// The runtime and its state directory, which every runtime command takes.
#[derive(clap::Args, Debug)]
pub struct RuntimeArgs {
    /// The runc-compatible runtime (runc, crun, youki): a path, or a name
    /// on PATH
    #[arg(long, value_name = "PATH", default_value = "runc")]
    runtime: PathBuf,
    /// The runtime's state directory (its --root; default: the runtime's
    /// own, /run/runc for runc)
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
}

impl RuntimeArgs {
    fn runtime(&self) -> Runtime {
        Runtime {
            root: self.root.clone(),
            ..Runtime::new(&self.runtime)
        }
    }
}

/// Run a command in a new container from an image
///
/// Unpacks IMAGE into a bundle (a directory of the tool's own unless
/// --bundle), applies the overrides to its config.json, runs it with the
/// runtime, forwards SIGINT and SIGTERM to it, and exits with its exit
/// code (128 + the signal's number when a signal ended it). CMD ARG...
/// replace the image's Cmd and keep its Entrypoint.
#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// The image to run: LAYOUT:TAG, or a registry reference
    /// docker://HOST[:PORT]/REPO[:TAG|@DIGEST], pulled first
    #[arg(value_name = "IMAGE|REF")]
    image: Location,
    /// The container's ID (default: oci- and a unique suffix)
    #[arg(long, value_name = "ID")]
    name: Option<String>,
    /// Delete the container when it has exited, and the bundle if the
    /// command made it
    #[arg(long)]
    rm: bool,
    /// Give the container a terminal, connected to this one
    #[arg(long, short = 't')]
    tty: bool,
    /// Set an environment variable
    #[arg(long, short = 'e', value_name = "K=V")]
    env: Vec<String>,
    /// The user the process runs as: USER or USER:GROUP, names or ids
    #[arg(long, short = 'u', value_name = "U")]
    user: Option<String>,
    /// The working directory
    #[arg(long, short = 'w', value_name = "DIR")]
    workdir: Option<String>,
    /// Unpack into DIR (new or empty) instead of a directory of the tool's
    /// own; kept afterwards
    #[arg(long, value_name = "DIR")]
    bundle: Option<PathBuf>,
    /// Unpack and configure as an unprivileged user would (implied when
    /// not root)
    #[arg(long)]
    rootless: bool,
    #[command(flatten)]
    runtime: RuntimeArgs,
    #[command(flatten)]
    registry: RegistryArgs,
    /// The command and its arguments, after `--`
    #[arg(last = true, value_name = "CMD")]
    command: Vec<String>,
}

/// Create a container from an image or a bundle, without starting it
///
/// An IMAGE is unpacked into a bundle of the tool's own, which `oci
/// delete` removes. The container's process holds this command's stdin,
/// stdout and stderr, as with `runc create`.
#[derive(clap::Args, Debug)]
pub struct CreateArgs {
    /// An image (LAYOUT:TAG), or a bundle's directory (with config.json)
    #[arg(value_name = "IMAGE|BUNDLE")]
    source: String,
    /// The container's ID
    #[arg(value_name = "ID")]
    id: String,
    #[command(flatten)]
    runtime: RuntimeArgs,
}

/// Start a created container
#[derive(clap::Args, Debug)]
pub struct StartArgs {
    /// The container's ID
    #[arg(value_name = "ID")]
    id: String,
    #[command(flatten)]
    runtime: RuntimeArgs,
}

/// Print the state of a container as JSON
#[derive(clap::Args, Debug)]
pub struct StateArgs {
    /// The container's ID
    #[arg(value_name = "ID")]
    id: String,
    #[command(flatten)]
    runtime: RuntimeArgs,
}

/// Send a signal to a container's process
#[derive(clap::Args, Debug)]
pub struct KillArgs {
    /// The container's ID
    #[arg(value_name = "ID")]
    id: String,
    /// The signal: a name (TERM, SIGKILL) or a number
    #[arg(value_name = "SIGNAL", default_value = "TERM")]
    signal: Signal,
    #[command(flatten)]
    runtime: RuntimeArgs,
}

/// Delete a stopped container, and the bundle the tool made for it
#[derive(clap::Args, Debug)]
pub struct DeleteArgs {
    /// The container's ID
    #[arg(value_name = "ID")]
    id: String,
    /// Kill it first if it still runs
    #[arg(long, short = 'f')]
    force: bool,
    #[command(flatten)]
    runtime: RuntimeArgs,
}

/// List the containers: ID, status, pid and bundle
#[derive(clap::Args, Debug)]
pub struct ListArgs {
    #[command(flatten)]
    runtime: RuntimeArgs,
}

/// Run a command in a running container
///
/// The process gets the container's environment, user and working
/// directory; this command exits with its exit code.
#[derive(clap::Args, Debug)]
#[command(override_usage = "oci exec [OPTIONS] <ID> -- <CMD> [ARG]...")]
pub struct ExecArgs {
    /// The container's ID
    #[arg(value_name = "ID")]
    id: String,
    #[command(flatten)]
    runtime: RuntimeArgs,
    /// The command and its arguments, after `--`
    #[arg(last = true, required = true, value_name = "CMD")]
    command: Vec<String>,
}

/// Change the resource limits of a running container
///
/// The flags change the members of the runtime-spec `linux.resources`
/// object that --resources reads, or set them alone.
#[derive(clap::Args, Debug)]
#[command(group = clap::ArgGroup::new("limits").required(true).multiple(true))]
pub struct UpdateArgs {
    /// The container's ID
    #[arg(value_name = "ID")]
    id: String,
    /// The memory limit, in bytes (or with a k, m or g suffix: KiB, MiB,
    /// GiB)
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes, group = "limits")]
    memory: Option<i64>,
    /// How many CPUs' worth of time it may use (1.5: one and a half)
    #[arg(long, value_name = "N", value_parser = parse_cpus, group = "limits")]
    cpus: Option<f64>,
    /// The most processes it may have
    #[arg(long, value_name = "N", group = "limits")]
    pids_limit: Option<i64>,
    /// A JSON file of limits (runtime-spec config-linux.md, "Control
    /// groups")
    #[arg(long, value_name = "FILE", group = "limits")]
    resources: Option<PathBuf>,
    #[command(flatten)]
    runtime: RuntimeArgs,
}

/// The CFS period `--cpus` is a share of, as docker and podman use it
/// (microseconds).
const CPU_PERIOD: u64 = 100_000;

/// `BYTES` of `--memory`: a number, with k, m or g (KiB, MiB, GiB).
fn parse_bytes(text: &str) -> Result<i64, String> {
    let lower = text.to_ascii_lowercase();
    let number = lower.strip_suffix('b').unwrap_or(&lower);
    let (digits, shift) = match number.as_bytes().last() {
        Some(b'k') => (&number[..number.len() - 1], 10),
        Some(b'm') => (&number[..number.len() - 1], 20),
        Some(b'g') => (&number[..number.len() - 1], 30),
        _ => (number, 0),
    };
    digits
        .parse::<i64>()
        .ok()
        .filter(|n| *n > 0)
        .and_then(|n| n.checked_mul(1 << shift))
        .ok_or_else(|| {
            format!(
                "{text:?} is not a size: expected a positive number of bytes, or one with k, m or g"
            )
        })
}

/// `N` of `--cpus`: a positive number.
fn parse_cpus(text: &str) -> Result<f64, String> {
    text.parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && *n > 0.0 && *n <= 1e6)
        .ok_or_else(|| {
            format!("{text:?} is not a number of CPUs: expected a positive number such as 1.5")
        })
}

/// The tool's state directory, for bundles it makes.
fn state_dir() -> Result<PathBuf, Failure> {
    if rustix::process::geteuid().is_root() {
        return Ok(PathBuf::from("/run/ocikit"));
    }
    match std::env::var_os("XDG_RUNTIME_DIR") {
        Some(dir) if !dir.is_empty() => Ok(PathBuf::from(dir).join("ocikit")),
        _ => Err(Failure(
            "no directory for the bundle: XDG_RUNTIME_DIR is not set; give --bundle DIR".into(),
        )),
    }
}

/// Where the tool puts the bundle of container `id`.
fn own_bundle(id: &str) -> Result<PathBuf, Failure> {
    // The driver's rule, before anything is made under the ID's name.
    ocikit_runtime::check_id(id)?;
    let dir = state_dir()?.join("bundles");
    std::fs::DirBuilder::new()
        .recursive(true)
        .create(&dir)
        .map_err(|e| Failure(format!("create {}: {e}", dir.display())))?;
    Ok(dir.join(id))
}

/// Removes the bundle the tool made for `id`, if `bundle` is it: under the
/// state directory, named for the ID, made by an unpack. Anything else is
/// the user's and stays.
fn remove_own_bundle(id: &str, bundle: &Path) -> CmdResult {
    let Ok(dir) = state_dir() else {
        return Ok(());
    };
    let own = dir.join("bundles").join(id);
    let same = match (std::fs::canonicalize(&own), std::fs::canonicalize(bundle)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same && own.join(ocikit_convert::RECORD_FILE).is_file() {
        std::fs::remove_dir_all(&own)
            .map_err(|e| Failure(format!("remove the bundle {}: {e}", own.display())))?;
    }
    Ok(())
}

/// Unpacks `image` into `bundle`, then applies the overrides: the image
/// config as changed by `change` becomes `config.json` again (image-spec
/// conversion.md), so that a user name resolves in the rootfs and HOME
/// follows it.
fn unpack(
    layout: &Layout,
    tag: &str,
    bundle: &Path,
    rootless: bool,
    terminal: bool,
    change: Option<&ConfigChange>,
) -> CmdResult {
    let mut options = UnpackOptions {
        terminal,
        ..UnpackOptions::default()
    };
    options.rootless |= rootless;
    let unpacked = ocikit_convert::unpack(layout, tag, bundle, &options)?;
    for warning in &unpacked.warnings {
        eprintln!("oci: warning: {warning}");
    }
    let Some(change) = change else {
        return Ok(());
    };
    let mut edit = ImageEdit::open_manifest(layout, &unpacked.manifest)?;
    edit.change_config(change)?;
    let mut conversion = ConversionOptions::default();
    conversion.rootless = options.rootless;
    conversion.terminal = terminal;
    let spec = ocikit_convert::runtime_config(
        &edit.config,
        &bundle.join(ocikit_convert::ROOTFS_DIR),
        &conversion,
    )?;
    write_config(bundle, &spec)
}

fn write_config(bundle: &Path, spec: &Spec) -> CmdResult {
    let mut json = spec.to_pretty_json();
    json.push(b'\n');
    Ok(ocikit_layout::write_atomic(
        bundle.join(ocikit_convert::CONFIG_FILE),
        &json,
    )?)
}

/// A container ID that no other run uses: the process id and the clock.
fn fresh_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "oci-{:x}{:08x}",
        std::process::id(),
        (nanos & 0xffff_ffff) as u32
    )
}

pub fn run(args: RunArgs) -> CmdResult {
    // Before anything is made: our orphans, the container's process among
    // them, come to us, and the signals to forward wait in a queue.
    ocikit_runtime::subreaper::enable()
        .map_err(|e| Failure(format!("cannot become a child subreaper: {e}")))?;
    let mut signals = signal_hook::iterator::Signals::new([
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGWINCH,
    ])
    .map_err(|e| Failure(format!("cannot handle signals: {e}")))?;
    let id = args.name.clone().unwrap_or_else(fresh_id);
    let made = args.bundle.is_none();
    let bundle = match &args.bundle {
        Some(dir) => dir.clone(),
        None => {
            let bundle = own_bundle(&id)?;
            // Left by a container of that name: refused before the runtime
            // is asked, and left alone.
            if bundle.exists() {
                return Err(Failure(format!(
                    "container {id:?}: its bundle {} exists (the container's, or left by one \
                     not deleted with `oci delete`)",
                    bundle.display()
                )));
            }
            bundle
        }
    };
    let change = ConfigChange {
        env: args.env.clone(),
        cmd: (!args.command.is_empty()).then(|| args.command.clone()),
        working_dir: args.workdir.clone(),
        user: args.user.clone(),
        ..ConfigChange::default()
    };
    let changed = change != ConfigChange::default();
    // A pulled image is in a temporary layout until the end.
    let (layout, tag, pulled) = match &args.image {
        Location::Layout(image) => (image.open()?, image.tag.clone(), None),
        Location::Registry(reference) => {
            // A bundle in the way is said before the pull, not after it.
            ocikit_convert::check_unpack_target(&bundle)?;
            let transfers = Transfers::none("run");
            let (dir, layout) =
                crate::bundle::pull_beside(reference, &bundle, &args.registry, None, &transfers)?;
            (layout, crate::bundle::PULLED_TAG.to_owned(), Some(dir))
        }
    };
    // A failed unpack removes what it made itself.
    let unpacked = unpack(
        &layout,
        &tag,
        &bundle,
        args.rootless,
        args.tty,
        changed.then_some(&change),
    );
    drop(pulled);
    if unpacked.is_err() && made {
        // An override the image's config refused (--env, --user, --workdir)
        // fails after the unpack: the bundle it left is ours to remove.
        remove_own_bundle(&id, &bundle)?;
    }
    unpacked?;
    let runtime = args.runtime.runtime();
    // The driver removes a container it could not bring up; an ID in use
    // is refused by its lifecycle check, and that container left alone.
    // A window resized meanwhile is no reason to stop.
    let stop = signals
        .pending()
        .find(|&signal| signal != signal_hook::consts::SIGWINCH);
    let (outcome, created) = match stop {
        // A signal before the container exists ends the run.
        Some(signal) => {
            let signal = Signal::from_number(signal).unwrap_or(Signal::TERM);
            (Ok(ExitStatus::Signaled(signal)), false)
        }
        None => match start_container(&runtime, &id, &bundle, args.tty) {
            Ok(init) => {
                let status = supervise(&runtime, &id, init, signals);
                if args.rm || status.is_err() {
                    // Stopped, or still running after a failed wait.
                    let _ = runtime.force_delete(&id);
                }
                (status, true)
            }
            Err(e) => (Err(e), false),
        },
    };
    // A bundle of ours that no container kept.
    if made && (args.rm || !created || outcome.is_err()) {
        remove_own_bundle(&id, &bundle)?;
    }
    exit_with(outcome?)
}

/// Refuses an ID that the runtime already has a container for.
fn check_unused(runtime: &Runtime, id: &str) -> CmdResult {
    match runtime.state(id) {
        Ok(state) => Err(Failure(format!(
            "container {id:?} already exists (status {})",
            state.status
        ))),
        Err(e) if e.kind() == Some(ocikit_runtime::ErrorKind::NotFound) => Ok(()),
        // A runtime that cannot be run, or a state it cannot read: said
        // before anything is unpacked.
        Err(e) => Err(e.into()),
    }
}

/// Brings the container up with `runtime run --detach`: its process is
/// ours to wait for.
fn start_container(
    runtime: &Runtime,
    id: &str,
    bundle: &Path,
    tty: bool,
) -> Result<ProcessHandle, Failure> {
    let io = if tty {
        ProcessIo {
            terminal: true,
            // The runtime's own messages.
            stderr: ocikit_runtime::Stdio::Inherit,
            ..ProcessIo::default()
        }
    } else {
        ProcessIo::inherit()
    };
    Ok(runtime.run(
        id,
        bundle,
        CreateOptions {
            io,
            ..CreateOptions::default()
        },
    )?)
}

/// Forwards `signals` to the container, and its terminal to ours, until
/// its process exits; returns how it ended.
fn supervise(
    runtime: &Runtime,
    id: &str,
    mut init: ProcessHandle,
    mut signals: signal_hook::iterator::Signals,
) -> Result<ExitStatus, Failure> {
    let console = init.take_console();
    let raw = match &console {
        Some(console) => Some(Terminal::attach(console)?),
        None => None,
    };
    let handle = signals.handle();
    let forwarder = {
        let runtime = runtime.clone();
        let id = id.to_owned();
        let console = console
            .as_ref()
            .map(std::fs::File::try_clone)
            .transpose()
            .map_err(|e| Failure(format!("the container's terminal: {e}")))?;
        std::thread::spawn(move || {
            for signal in signals.forever() {
                if signal == signal_hook::consts::SIGWINCH {
                    if let Some(console) = &console {
                        copy_size(console);
                    }
                } else if let Some(signal) = Signal::from_number(signal) {
                    // A container that has just exited refuses: nothing to do.
                    let _ = runtime.kill(&id, signal);
                }
            }
        })
    };
    let status = init.wait();
    handle.close();
    let _ = forwarder.join();
    drop(raw);
    Ok(status?)
}

/// This terminal in raw mode, its input copied to the container's
/// terminal and the container's output to our stdout, until the
/// container's side hangs up. Restores the mode when dropped.
struct Terminal {
    saved: Option<rustix::termios::Termios>,
    output: Option<std::thread::JoinHandle<()>>,
}

impl Terminal {
    fn attach(console: &std::fs::File) -> Result<Terminal, Failure> {
        let stdin = std::io::stdin();
        let saved = if rustix::termios::isatty(stdin.as_fd()) {
            let saved = rustix::termios::tcgetattr(stdin.as_fd())
                .map_err(|e| Failure(format!("reading this terminal's mode: {e}")))?;
            let mut raw = saved.clone();
            raw.make_raw();
            rustix::termios::tcsetattr(stdin.as_fd(), rustix::termios::OptionalActions::Now, &raw)
                .map_err(|e| Failure(format!("setting this terminal raw: {e}")))?;
            Some(saved)
        } else {
            None
        };
        copy_size(console);
        let clone = |f: &std::fs::File| {
            f.try_clone()
                .map_err(|e| Failure(format!("the container's terminal: {e}")))
        };
        let mut to_container = clone(console)?;
        // Never joined: it blocks reading our stdin; the process ends first.
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut std::io::stdin().lock(), &mut to_container);
        });
        let mut from_container = clone(console)?;
        let output = std::thread::spawn(move || {
            let mut stdout = std::io::stdout().lock();
            let mut buf = [0u8; 8192];
            // EIO when the container's side has closed.
            while let Ok(n) = std::io::Read::read(&mut from_container, &mut buf) {
                if n == 0
                    || stdout
                        .write_all(&buf[..n])
                        .and_then(|()| stdout.flush())
                        .is_err()
                {
                    break;
                }
            }
        });
        Ok(Terminal {
            saved,
            output: Some(output),
        })
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        if let Some(output) = self.output.take() {
            let _ = output.join();
        }
        if let Some(saved) = &self.saved {
            let _ = rustix::termios::tcsetattr(
                std::io::stdin().as_fd(),
                rustix::termios::OptionalActions::Now,
                saved,
            );
        }
    }
}

/// This terminal's size onto the container's.
fn copy_size(console: &std::fs::File) {
    if let Ok(size) = rustix::termios::tcgetwinsize(std::io::stdout().as_fd()) {
        let _ = rustix::termios::tcsetwinsize(console, size);
    }
}

/// Exits with the container's exit code, as a shell reports it.
fn exit_with(status: ExitStatus) -> CmdResult {
    let _ = std::io::stdout().flush();
    if status.success() {
        return Ok(());
    }
    std::process::exit(status.code().clamp(0, 255))
}

pub fn create(args: CreateArgs) -> CmdResult {
    let runtime = args.runtime.runtime();
    let source = Path::new(&args.source);
    let (bundle, made) = if source.join(ocikit_convert::CONFIG_FILE).is_file() {
        (source.to_path_buf(), false)
    } else {
        let image: Image = args.source.parse().map_err(Failure)?;
        // Checked before anything is unpacked under the ID's name.
        check_unused(&runtime, &args.id)?;
        let bundle = own_bundle(&args.id)?;
        unpack(&image.open()?, &image.tag, &bundle, false, false, None)?;
        (bundle, true)
    };
    let created = runtime.create(
        &args.id,
        &bundle,
        CreateOptions {
            io: ProcessIo::inherit(),
            ..CreateOptions::default()
        },
    );
    if created.is_err() && made {
        let _ = remove_own_bundle(&args.id, &bundle);
    }
    created?;
    Ok(())
}

pub fn start(args: StartArgs) -> CmdResult {
    Ok(args.runtime.runtime().start(&args.id)?)
}

pub fn state(args: StateArgs) -> CmdResult {
    let state = args.runtime.runtime().state(&args.id)?;
    let mut json = state.to_pretty_json();
    json.push(b'\n');
    std::io::stdout().write_all(&json).map_err(stdout_failed)
}

pub fn kill(args: KillArgs) -> CmdResult {
    Ok(args.runtime.runtime().kill(&args.id, args.signal)?)
}

pub fn delete(args: DeleteArgs) -> CmdResult {
    let runtime = args.runtime.runtime();
    let state = runtime.state(&args.id)?;
    if args.force {
        runtime.force_delete(&args.id)?;
    } else {
        runtime.delete(&args.id)?;
    }
    remove_own_bundle(&args.id, Path::new(&state.bundle))
}

pub fn list(args: ListArgs) -> CmdResult {
    let states = args.runtime.runtime().list()?;
    let rows: Vec<[String; 4]> = states
        .iter()
        .map(|s| {
            let pid = match s.pid {
                Some(pid) if pid > 0 => pid.to_string(),
                _ => "-".to_owned(),
            };
            [s.id.clone(), s.status.to_string(), pid, s.bundle.clone()]
        })
        .collect();
    let header = ["ID", "STATUS", "PID", "BUNDLE"].map(str::to_owned);
    let mut widths = [0usize; 3];
    for row in std::iter::once(&header).chain(&rows) {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.len());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        out.push_str(&format!(
            "{:w0$}  {:w1$}  {:>w2$}  {}\n",
            row[0],
            row[1],
            row[2],
            row[3],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        ));
    }
    std::io::stdout()
        .write_all(out.as_bytes())
        .map_err(stdout_failed)
}

pub fn exec(args: ExecArgs) -> CmdResult {
    ocikit_runtime::subreaper::enable()
        .map_err(|e| Failure(format!("cannot become a child subreaper: {e}")))?;
    let runtime = args.runtime.runtime();
    let state = runtime.state(&args.id)?;
    // The container's own process, as its config.json gives it: env, user,
    // cwd, capabilities; the command replaced, no terminal.
    let config = Path::new(&state.bundle).join(ocikit_convert::CONFIG_FILE);
    let bytes =
        std::fs::read(&config).map_err(|e| Failure(format!("read {}: {e}", config.display())))?;
    let spec = Spec::from_json(&bytes).map_err(|e| {
        Failure(format!(
            "container {:?}: {}: {e}",
            args.id,
            config.display()
        ))
    })?;
    let mut process = spec.process.unwrap_or_default();
    process.args = args.command;
    process.terminal = Some(false);
    process.console_size = None;
    let mut handle = runtime.exec(&args.id, &process, ProcessIo::inherit())?;
    let status = handle.wait()?;
    exit_with(status)
}

pub fn update(args: UpdateArgs) -> CmdResult {
    let mut resources = match &args.resources {
        Some(path) => {
            let bytes = std::fs::read(path)
                .map_err(|e| Failure(format!("read {}: {e}", path.display())))?;
            serde_json::from_slice::<Resources>(&bytes).map_err(|e| {
                Failure(format!(
                    "{}: not a runtime-spec resources object: {e}",
                    path.display()
                ))
            })?
        }
        None => Resources::default(),
    };
    if let Some(bytes) = args.memory {
        resources.memory.get_or_insert_with(Memory::default).limit = Some(bytes);
    }
    if let Some(cpus) = args.cpus {
        let cpu = resources.cpu.get_or_insert_with(Cpu::default);
        cpu.period = Some(CPU_PERIOD);
        // At most 1e6 CPUs (parse_cpus): the product fits.
        cpu.quota = Some((cpus * CPU_PERIOD as f64).round() as i64);
    }
    if let Some(limit) = args.pids_limit {
        resources.pids = Some(Pids {
            limit,
            ..Pids::default()
        });
    }
    Ok(args.runtime.runtime().update(&args.id, &resources)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_cpus_parse_and_bad_ones_do_not() {
        assert_eq!(parse_bytes("1048576"), Ok(1 << 20));
        assert_eq!(parse_bytes("64m"), Ok(64 << 20));
        assert_eq!(parse_bytes("2G"), Ok(2 << 30));
        assert_eq!(parse_bytes("512kb"), Ok(512 << 10));
        for bad in ["", "m", "-1", "0", "1.5g", "12x", "99999999999g"] {
            assert!(parse_bytes(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_cpus("1.5"), Ok(1.5));
        for bad in ["0", "-1", "nan", "inf", "x"] {
            assert!(parse_cpus(bad).is_err(), "{bad}");
        }
    }
}
