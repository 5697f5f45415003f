//! `oci unpack`, `oci repack` and `oci config`: an image into a runtime
//! bundle that `runc run` takes, a changed bundle back into a new layer,
//! and changes to an image's execution parameters.

use std::io::Write;
use std::path::Path;

use ocikit_convert::{ConfigChange, ImageEdit, RepackOptions, UnpackOptions};
use ocikit_image::{History, Platform};
use ocikit_layout::Layout;
use ocikit_remote::{Platforms, PullOptions, Reference};

use crate::build::Compression;
use crate::progress::{QuietArg, Transfers};
use crate::remote::{self, Location, RegistryArgs};
use crate::shell;
use crate::store::Image;
use crate::{CmdResult, Failure, stdout_failed};

/// Unpack an image into a runtime bundle
///
/// BUNDLE, a new or empty directory, gets rootfs/, config.json (image-spec
/// conversion.md) and what `oci repack` needs. Rootless is implied when not
/// root. An image in a registry is pulled first into a temporary layout
/// beside BUNDLE, removed afterwards (the registry flags apply to it).
/// Prints the manifest digest.
#[derive(clap::Args, Debug)]
pub struct UnpackArgs {
    /// The image to unpack: LAYOUT:TAG, or a registry reference
    /// docker://HOST[:PORT]/REPO[:TAG|@DIGEST]
    #[arg(value_name = "IMAGE|REF")]
    image: Location,
    /// The bundle's directory
    #[arg(value_name = "BUNDLE")]
    bundle: String,
    /// Unpack as an unprivileged user would: owners recorded in an extended
    /// attribute, no device nodes
    #[arg(long)]
    rootless: bool,
    /// The platform to pick when the tag names an image index (default:
    /// this host's)
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    platform: Option<Platform>,
    #[command(flatten)]
    registry: RegistryArgs,
    #[command(flatten)]
    quiet: QuietArg,
}

/// Store the changes made to a bundle's rootfs as a new layer
///
/// The layer goes on top of the bundle's image and the result is tagged
/// IMAGE; no layer when nothing changed. Prints the manifest digest.
#[derive(clap::Args, Debug)]
pub struct RepackArgs {
    /// The bundle's directory, made by `oci unpack`
    #[arg(value_name = "BUNDLE")]
    bundle: String,
    /// The image to write, in the layout the bundle came from
    image: Image,
    /// How the layer is compressed
    #[arg(long, value_enum, default_value_t = Compression::Gzip)]
    compression: Compression,
    #[command(flatten)]
    quiet: QuietArg,
}

/// Change an image's execution parameters
///
/// At least one change is given. Writes a new config and manifest with a
/// history entry that records the command, tagged NEWTAG (default: the
/// same tag), and prints the new manifest digest. --env sets one variable;
/// --entrypoint and --cmd replace the list (`--cmd=` alone clears it).
#[derive(clap::Args, Debug)]
#[command(
    group = clap::ArgGroup::new("change").required(true).multiple(true),
    override_usage = "oci config [OPTIONS] <IMAGE>"
)]
pub struct ConfigArgs {
    /// The image to change
    image: Image,
    /// Tag the result NEWTAG instead of moving the image's tag
    #[arg(long = "tag", value_name = "NEWTAG")]
    new_tag: Option<String>,
    /// Set an environment variable
    #[arg(long, value_name = "K=V", group = "change")]
    env: Vec<String>,
    /// One argument of the entrypoint, in order (replaces the list)
    #[arg(long, value_name = "ARG", group = "change", allow_hyphen_values = true)]
    entrypoint: Vec<String>,
    /// One argument of the command, in order (replaces the list)
    #[arg(long, value_name = "ARG", group = "change", allow_hyphen_values = true)]
    cmd: Vec<String>,
    /// The working directory
    #[arg(long, value_name = "DIR", group = "change")]
    workdir: Option<String>,
    /// The user the process runs as: USER or USER:GROUP, names or ids
    #[arg(long, value_name = "USER", group = "change")]
    user: Option<String>,
    /// Set a label
    #[arg(long, value_name = "K=V", group = "change", value_parser = parse_label)]
    label: Vec<(String, String)>,
    /// Expose a port (PORT or PORT/tcp|udp)
    #[arg(long, value_name = "PORT[/PROTO]", group = "change")]
    expose: Vec<String>,
    /// Add a volume mount point
    #[arg(long, value_name = "PATH", group = "change")]
    volume: Vec<String>,
    /// The signal that stops the container
    #[arg(long, value_name = "SIG", group = "change")]
    stop_signal: Option<String>,
    /// The platform to pick when the tag names an image index (default:
    /// this host's)
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    platform: Option<Platform>,
}

/// `KEY=VALUE` of `--label` (and of `oci sign -a`).
pub fn parse_label(label: &str) -> Result<(String, String), String> {
    match label.split_once('=') {
        Some((key, value)) => Ok((key.to_owned(), value.to_owned())),
        None => Err("expected KEY=VALUE".into()),
    }
}

pub fn unpack(args: UnpackArgs) -> CmdResult {
    let bundle = Path::new(&args.bundle);
    // A pulled image is in a temporary layout until the end.
    let (layout, tag, _pulled) = match &args.image {
        Location::Layout(image) => (image.open()?, image.tag.clone(), None),
        Location::Registry(reference) => {
            // A bundle in the way is said before the pull, not after it.
            ocikit_convert::check_unpack_target(bundle)?;
            let transfers = args.quiet.transfers("unpack");
            let platform = args.platform.as_ref();
            let (dir, layout) =
                pull_beside(reference, bundle, &args.registry, platform, &transfers)?;
            (layout, PULLED_TAG.to_owned(), Some(dir))
        }
    };
    let bar = args.quiet.bar();
    let mut options = UnpackOptions {
        platform: args.platform,
        progress: bar.progress(),
        ..UnpackOptions::default()
    };
    // Rootless is implied for a non-root user, and may be asked for by root.
    options.rootless |= args.rootless;
    let unpacked = ocikit_convert::unpack(&layout, &tag, bundle, &options)?;
    drop(bar);
    for warning in &unpacked.warnings {
        eprintln!("oci unpack: warning: {warning}");
    }
    writeln!(std::io::stdout().lock(), "{}", unpacked.manifest.digest).map_err(stdout_failed)
}

/// The tag of an image pulled for `oci unpack REF` or `oci run REF`, in
/// its temporary layout.
pub const PULLED_TAG: &str = "unpack";

/// Pulls `reference` (for `platform`, default this host's) into a
/// temporary layout in the directory of `bundle`: on the disk that takes
/// the rootfs anyway, rather than in $TMPDIR, often a small tmpfs. It is
/// removed when the returned directory is dropped, as nothing keeps it for
/// a next unpack.
pub fn pull_beside(
    reference: &Reference,
    bundle: &Path,
    registry: &RegistryArgs,
    platform: Option<&Platform>,
    transfers: &Transfers,
) -> Result<(tempfile::TempDir, Layout), Failure> {
    let parent = bundle
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let dir = tempfile::Builder::new()
        .prefix(".oci-unpack-")
        .tempdir_in(parent)
        .map_err(|e| {
            Failure(format!(
                "{}: creating a temporary layout for the pull: {e}",
                parent.display()
            ))
        })?;
    let layout = Layout::init(dir.path())?;
    let client = registry.client(&[reference], transfers)?;
    let options = PullOptions {
        platforms: platform.cloned().map_or(Platforms::Host, Platforms::Only),
        ..PullOptions::default()
    };
    remote::pull(&client, reference, &layout, PULLED_TAG, options, transfers)?;
    Ok((dir, layout))
}

pub fn repack(args: RepackArgs) -> CmdResult {
    let RepackArgs {
        bundle,
        image,
        compression,
        quiet,
    } = args;
    let layout = image.open()?;
    ocikit_layout::check_tag(&image.tag)?;
    let bar = quiet.bar();
    let mut options = RepackOptions {
        codec: compression.codec(),
        ..RepackOptions::default()
    };
    options.build = ocikit_convert::BuildOptions::from_env()?;
    options.build.progress = bar.progress();
    let repacked = ocikit_convert::repack(Path::new(&bundle), &layout, &image.tag, &options)?;
    drop(bar);
    if repacked.layer.is_none() {
        eprintln!("oci repack: the rootfs has not changed; {image} names the bundle's image");
    }
    writeln!(std::io::stdout().lock(), "{}", repacked.descriptor.digest).map_err(stdout_failed)
}

pub fn config(args: ConfigArgs) -> CmdResult {
    // The command as given, for the history: what follows `config`.
    let raw: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .skip_while(|a| a != "config")
        .skip(1)
        .collect();
    let image = &args.image;
    let tag = image.tag.as_str();
    let new_tag = args.new_tag.as_deref().unwrap_or(tag);
    ocikit_layout::check_tag(new_tag)?;
    let change = ConfigChange {
        env: args.env,
        entrypoint: list(args.entrypoint),
        cmd: list(args.cmd),
        working_dir: args.workdir,
        user: args.user,
        labels: args.label.into_iter().collect(),
        exposed_ports: args.expose,
        volumes: args.volume,
        stop_signal: args.stop_signal,
    };
    let layout = image.open()?;
    let mut edit = ImageEdit::open(&layout, tag, args.platform.as_ref())?;
    edit.change_config(&change)?;
    edit.add_history(History {
        created: Some(ocikit_convert::created_now()?),
        created_by: Some(format!(
            "oci config {}",
            shell::command_line(raw.iter().map(String::as_str))
        )),
        ..History::default()
    });
    let descriptor = edit.commit(&layout, new_tag)?;
    writeln!(std::io::stdout().lock(), "{}", descriptor.digest).map_err(stdout_failed)
}

/// A list option: absent is no change; `--cmd=` alone (one empty value)
/// clears the list; otherwise each value is one argument.
fn list(values: Vec<String>) -> Option<Vec<String>> {
    match values.as_slice() {
        [] => None,
        [one] if one.is_empty() => Some(Vec::new()),
        _ => Some(values),
    }
}
