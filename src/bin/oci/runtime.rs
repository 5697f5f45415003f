//! The runtime-spec commands: `oci runtime-spec [--rootless]`, and the
//! runtime document types of `oci validate` (`runtime-config`,
//! `runtime-state`, `runtime-features`).

use std::io::Write;

use ocikit_runtime_spec::{Error, Features, Json, Report, Spec, State, Validate};

use crate::{CmdResult, Failure, stdout_failed};

/// Print a default runtime config.json, as `runc spec` writes it
#[derive(clap::Args, Debug)]
pub struct RuntimeSpecArgs {
    /// The rootless form, as `runc spec --rootless` writes it: the caller's
    /// uid and gid mapped to root in a user namespace
    #[arg(long)]
    rootless: bool,
}

/// `oci runtime-spec [--rootless]`: prints the default `config.json`, as
/// `runc spec [--rootless]` writes it (with our `ociVersion`), to stdout
/// with a final newline. Rootless maps the caller's uid and gid, as runc
/// does.
pub fn runtime_spec(args: RuntimeSpecArgs) -> CmdResult {
    let spec = if args.rootless {
        let (uid, gid) = caller_ids()?;
        Spec::rootless_linux(uid, gid)
    } else {
        Spec::default_linux()
    };
    let mut out = spec.to_pretty_json();
    out.push(b'\n');
    std::io::stdout().write_all(&out).map_err(stdout_failed)
}

/// The effective uid and gid of this process: the owner of `/proc/self`.
#[cfg(unix)]
fn caller_ids() -> Result<(u32, u32), Failure> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata("/proc/self").map_err(|e| {
        Failure(format!(
            "--rootless needs the caller's uid and gid from /proc/self: {e}"
        ))
    })?;
    Ok((meta.uid(), meta.gid()))
}

#[cfg(not(unix))]
fn caller_ids() -> Result<(u32, u32), Failure> {
    Err(Failure(
        "--rootless needs the caller's uid and gid, which this platform does not have".into(),
    ))
}

/// The runtime document types of `oci validate --type`.
#[derive(Clone, Copy, Debug)]
pub enum RuntimeDoc {
    /// `config.json`.
    Config,
    /// The state of a container.
    State,
    /// The features of a runtime.
    Features,
}

impl RuntimeDoc {
    /// The document type's name, as in messages.
    pub fn name(self) -> &'static str {
        match self {
            RuntimeDoc::Config => "runtime configuration",
            RuntimeDoc::State => "runtime state",
            RuntimeDoc::Features => "runtime features document",
        }
    }

    /// Parses and checks `bytes`: the error lines and the warning lines.
    pub fn check(self, bytes: &[u8]) -> Result<(Vec<String>, Vec<String>), Error> {
        let report: Report = match self {
            RuntimeDoc::Config => Spec::from_json(bytes)?.check(),
            RuntimeDoc::State => State::from_json(bytes)?.check(),
            RuntimeDoc::Features => Features::from_json(bytes)?.check(),
        };
        Ok((
            report.errors().map(ToString::to_string).collect(),
            report.warnings().map(ToString::to_string).collect(),
        ))
    }
}
