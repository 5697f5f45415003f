//! Image configuration -> runtime configuration (image-spec
//! conversion.md): the `config.json` of a bundle made from an image's
//! config and its unpacked rootfs.
//!
//! What conversion.md defines comes from the image: `process.args`
//! (Entrypoint then Cmd), `process.cwd`, `process.env`, `process.user`
//! (names resolved in the rootfs's `/etc/passwd` and `/etc/group`), the
//! implied annotations and the labels, and one mount per volume.
//! Everything else is [`Spec::default_linux`] (or
//! [`Spec::rootless_linux`]), with these changes: no inheritable or
//! ambient capabilities, a writable rootfs, and `process.terminal` as
//! asked.
//!
//! ```
//! use ocikit_convert::{ConversionOptions, runtime_config};
//! let mut image = ocikit_image::ImageConfiguration::for_platform(&"linux/amd64".parse()?);
//! let config = image.config.get_or_insert_with(Default::default);
//! config.entrypoint = vec!["/bin/echo".into()];
//! config.cmd = vec!["hello".into()];
//! config.user = Some("1000:1000".into());
//! # let rootfs = tempfile::tempdir()?;
//! let spec = runtime_config(&image, rootfs.path(), &ConversionOptions::default())?;
//! let process = spec.process.expect("a process");
//! assert_eq!(process.args, ["/bin/echo", "hello"]);
//! assert_eq!(process.user.and_then(|u| u.uid), Some(1000));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Security
//!
//! `/etc/passwd` and `/etc/group` are read inside the rootfs with the
//! confinement of layer apply: a symlink anywhere on the way (the files'
//! own included) resolves inside the rootfs with chroot semantics, so a
//! rootfs cannot make the conversion read a file of the host. Each file is
//! read up to [`MAX_ACCOUNT_FILE_BYTES`]; a FIFO or device there is refused
//! without blocking.
//!
//! # Limitations
//!
//! - Linux only: an image for another os, or a host that is not Linux, is
//!   refused ([`Error::OsMismatch`]).
//! - With [`ConversionOptions::rootless`], only the caller's uid and gid
//!   are mapped (to 0): an image whose user is not root, or who has
//!   additional groups, will not start under a rootless runtime without
//!   more mappings, which the caller adds.

pub mod annotations;
mod env;
mod etc;
mod mounts;
mod user;

use std::path::Path;

use ocikit_image::{ImageConfiguration, Validate};
use ocikit_runtime_spec::{Spec, User};

use crate::root::Root;
use crate::{Error, Result};

pub use env::{DEFAULT_PATH, DEFAULT_TERM};
pub use etc::MAX_ACCOUNT_FILE_BYTES;
pub use mounts::VOLUME_OPTIONS;

/// How an image config becomes a runtime config.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ConversionOptions {
    /// The rootless profile ([`Spec::rootless_linux`] with the caller's
    /// uid and gid) instead of [`Spec::default_linux`]. Default false.
    pub rootless: bool,
    /// The OS the runtime will run on; an image for another os is
    /// refused. Default: the host's ([`std::env::consts::OS`]).
    pub host_os: String,
    /// `process.terminal`; with a terminal, `TERM=xterm` is added when the
    /// image sets no `TERM`. Default false.
    pub terminal: bool,
}

impl Default for ConversionOptions {
    fn default() -> Self {
        ConversionOptions {
            rootless: false,
            host_os: std::env::consts::OS.to_owned(),
            terminal: false,
        }
    }
}

/// The runtime configuration (`config.json`, with `root.path` `rootfs`) of
/// `image`, whose layers are unpacked at `rootfs`, by image-spec
/// conversion.md:
///
/// - `process.args`: `config.Entrypoint` then `config.Cmd`; `sh` when
///   both are empty (as `runc spec` and umoci).
/// - `process.cwd`: `config.WorkingDir`, or `/` when it is absent or empty.
/// - `process.env`: `config.Env` verbatim, with `PATH` (and `TERM` with a
///   terminal) before it and `HOME` (the user's home directory in
///   `/etc/passwd`) after it, each only when the image does not set it.
/// - `process.user`: `config.User` resolved (see the module docs); root
///   when absent.
/// - `annotations`: the implied ones of [`annotations`] and
///   `config.Labels`, which win.
/// - `mounts`: the defaults, then a tmpfs per `config.Volumes` entry.
///
/// # Errors
///
/// [`Error::OsMismatch`], [`Error::BadEnv`], [`Error::BadWorkingDir`],
/// [`Error::BadVolume`], [`Error::BadUser`], [`Error::UnknownUser`],
/// [`Error::UnknownGroup`], [`Error::IdOutOfRange`],
/// [`Error::BadAccountFile`], [`Error::AccountFileTooLarge`], and
/// [`Error::Io`] when the rootfs or an account file cannot be opened or read.
pub fn runtime_config(
    image: &ImageConfiguration,
    rootfs: &Path,
    options: &ConversionOptions,
) -> Result<Spec> {
    check_os(image, options)?;
    let default_config = ocikit_image::ContainerConfig::default();
    let config = image.config.as_ref().unwrap_or(&default_config);
    env::check(&config.env)?;
    let cwd = working_dir(config.working_dir.as_deref())?;
    let volumes = mounts::volume_mounts(&config.volumes)?;

    let root = Root::open(rootfs).map_err(|e| Error::Io {
        action: "open the rootfs",
        path: rootfs.to_path_buf(),
        source: e.into(),
    })?;
    let mut accounts = user::Accounts::new(&root, rootfs);
    let need_home = !env::sets(&config.env, "HOME");
    let user = user::resolve(config.user.as_deref(), &mut accounts, need_home)?;

    let mut spec = if options.rootless {
        let uid = rustix::process::getuid().as_raw();
        let gid = rustix::process::getgid().as_raw();
        Spec::rootless_linux(uid, gid)
    } else {
        Spec::default_linux()
    };
    spec.root = Some(ocikit_runtime_spec::Root::new("rootfs"));
    let process = spec.process.get_or_insert_with(Default::default);
    process.terminal = Some(options.terminal);
    process.args = config
        .entrypoint
        .iter()
        .chain(&config.cmd)
        .cloned()
        .collect();
    if process.args.is_empty() {
        process.args = vec!["sh".to_owned()];
    }
    process.cwd = cwd;
    process.env = env::build(&config.env, options.terminal, user.home.as_deref());
    process.user = Some(User {
        uid: Some(user.uid),
        gid: Some(user.gid),
        additional_gids: user.additional_gids,
        ..Default::default()
    });
    // No capability survives an exec of a non-root user, nor is passed on
    // to the programs the process runs (runc spec puts them in ambient).
    if let Some(caps) = &mut process.capabilities {
        caps.inheritable.clear();
        caps.ambient.clear();
    }
    spec.mounts.extend(volumes);
    spec.annotations = annotations::from_image(image);
    spec.validate().map_err(Error::InvalidRuntimeConfig)?;
    Ok(spec)
}

/// The checks of [`runtime_config`] that need no rootfs (os, Env,
/// WorkingDir, Volumes), for an unpack to run before it applies any
/// layer.
pub(crate) fn check_image(image: &ImageConfiguration, options: &ConversionOptions) -> Result<()> {
    check_os(image, options)?;
    if let Some(config) = &image.config {
        env::check(&config.env)?;
        working_dir(config.working_dir.as_deref())?;
        mounts::volume_mounts(&config.volumes)?;
    }
    Ok(())
}

/// Only Linux images are converted, on a Linux host.
fn check_os(image: &ImageConfiguration, options: &ConversionOptions) -> Result<()> {
    let image_os = image.os.normalize();
    if image_os.as_str() != options.host_os || options.host_os != "linux" {
        return Err(Error::OsMismatch {
            image_os: image.os.as_str().to_owned(),
            host_os: options.host_os.clone(),
        });
    }
    Ok(())
}

/// `process.cwd` from `config.WorkingDir`: `/` when absent or empty (as
/// Docker writes it), else it must be absolute.
fn working_dir(dir: Option<&str>) -> Result<String> {
    match dir {
        None | Some("") => Ok("/".to_owned()),
        Some(dir) if dir.contains('\0') => Err(Error::BadWorkingDir {
            dir: dir.to_owned(),
            reason: "it holds a NUL byte",
        }),
        Some(dir) if !dir.starts_with('/') => Err(Error::BadWorkingDir {
            dir: dir.to_owned(),
            reason: "it is relative",
        }),
        Some(dir) => Ok(dir.to_owned()),
    }
}
