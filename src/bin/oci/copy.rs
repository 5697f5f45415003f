//! `oci copy`: an image between layouts and registries: from one layout
//! into another (created when missing) or under another tag in the same
//! one, from a layout to a registry (a push), from a registry into a
//! layout (a pull of every platform), and from one registry reference to
//! another (a pull into a temporary layout, then a push).

use std::io::Write;

use ocikit_image::Descriptor;
use ocikit_layout::{CopyOptions, Layout};
use ocikit_remote::{Platforms, PullOptions, Reference};

use crate::progress::QuietArg;
use crate::remote::{self, Location, RegistryArgs, into_layout};
use crate::store::Image;
use crate::{CmdResult, Failure, stdout_failed};

/// Copy an image between layouts and registries
///
/// SRC and DST are each a layout image (LAYOUT:TAG) or a registry
/// reference (docker://HOST[:PORT]/REPO[:TAG|@DIGEST]); the registry flags
/// apply to the references. The whole image is copied, every platform of
/// an index, so every digest stays the same, and each blob is verified. A
/// layout DST is created when missing. From a registry to a registry, the
/// image goes through a temporary layout (in $TMPDIR, removed afterwards);
/// when both are on one registry, blobs are mounted from the source
/// repository rather than sent again. Prints DST's tag (or reference), the
/// digest and the media type.
#[derive(clap::Args, Debug)]
pub struct CopyArgs {
    /// What to copy: LAYOUT:TAG or docker://HOST[:PORT]/REPO[:TAG|@DIGEST]
    #[arg(value_name = "SRC")]
    source: Location,
    /// Where to: LAYOUT:TAG or docker://HOST[:PORT]/REPO[:TAG|@DIGEST]
    #[arg(value_name = "DST")]
    target: Location,
    #[command(flatten)]
    registry: RegistryArgs,
    #[command(flatten)]
    quiet: QuietArg,
}

pub fn copy(args: CopyArgs) -> CmdResult {
    let CopyArgs {
        source,
        target,
        registry,
        quiet,
    } = args;
    let (name, descriptor) = match (source, target) {
        (Location::Layout(source), Location::Layout(target)) => {
            let descriptor = layout_to_layout(&source, &target, &quiet)?;
            (target.tag, descriptor)
        }
        (Location::Layout(source), Location::Registry(target)) => {
            let layout = source.open()?;
            layout.find_tag(&source.tag)?;
            let transfers = quiet.transfers("copy");
            let client = registry.client(&[&target], &transfers)?;
            let pushed = remote::push(&client, &layout, &source.tag, &target, None, &transfers)?;
            (target.to_string(), pushed.descriptor)
        }
        (Location::Registry(source), Location::Layout(target)) => {
            ocikit_layout::check_tag(&target.tag)?;
            let transfers = quiet.transfers("copy");
            let client = registry.client(&[&source], &transfers)?;
            let pulled = into_layout(&target.layout, |layout| {
                let pulled = remote::pull(
                    &client,
                    &source,
                    layout,
                    &target.tag,
                    every_platform(),
                    &transfers,
                )?;
                remote::note_docker(&transfers, layout, &pulled);
                Ok(pulled)
            })?;
            (target.tag, pulled.descriptor)
        }
        (Location::Registry(source), Location::Registry(target)) => {
            if source.registry() != target.registry() {
                refuse_for_two_registries(&registry, &source, &target);
            }
            let descriptor = registry_to_registry(&source, &target, &registry, &quiet)?;
            (target.to_string(), descriptor)
        }
    };
    writeln!(
        std::io::stdout().lock(),
        "{name} {} {}",
        descriptor.digest,
        descriptor.media_type
    )
    .map_err(stdout_failed)
}

/// Exits with a usage error when `--creds` or `--cert-dir` is given for a
/// copy between two registries: each is for one registry, and credentials
/// never go to another host.
fn refuse_for_two_registries(registry: &RegistryArgs, source: &Reference, target: &Reference) {
    use clap::CommandFactory as _;
    for (given, flag) in [
        (registry.creds.is_some(), "--creds"),
        (registry.cert_dir.is_some(), "--cert-dir"),
    ] {
        if given {
            crate::Cli::command()
                .error(
                    clap::error::ErrorKind::ArgumentConflict,
                    format!(
                        "{flag} is for one registry, and this copy talks to two ({} and {}): \
                         give their credentials in an auth file (--authfile, or oci login to each)",
                        source.registry(),
                        target.registry()
                    ),
                )
                .exit();
        }
    }
}

/// Every platform of an index: a copy keeps the digest of what it copies.
fn every_platform() -> PullOptions {
    PullOptions {
        platforms: Platforms::All,
        ..PullOptions::default()
    }
}

/// A layout image into another layout, created when missing.
fn layout_to_layout(
    source: &Image,
    target: &Image,
    quiet: &QuietArg,
) -> Result<Descriptor, Failure> {
    ocikit_layout::check_tag(&target.tag)?;
    // The source and its tag are checked before the destination is created.
    let tag = source.tag.as_str();
    let source = source.open()?;
    source.find_tag(tag)?;
    // A destination this copy created goes again when the copy fails.
    into_layout(&target.layout, |layout| {
        let bar = quiet.bar();
        let options = CopyOptions {
            progress: bar.progress(),
        };
        Ok(layout
            .copy_image(&source, tag, &target.tag, &options)?
            .descriptor)
    })
}

/// A registry image to another reference, through a temporary layout;
/// on one registry, blobs are mounted from the source repository.
fn registry_to_registry(
    source: &Reference,
    target: &Reference,
    registry: &RegistryArgs,
    quiet: &QuietArg,
) -> Result<Descriptor, Failure> {
    let transfers = quiet.transfers("copy");
    // Each side with its own credentials: on one registry, two
    // repositories may have two entries in the credential files.
    let from = registry.client(&[source], &transfers)?;
    let to = registry.client(&[target], &transfers)?;
    let dir = tempfile::Builder::new()
        .prefix("oci-copy-")
        .tempdir()
        .map_err(|e| Failure(format!("creating a temporary layout: {e}")))?;
    let layout = Layout::init(dir.path())?;
    remote::pull(&from, source, &layout, "copy", every_platform(), &transfers)?;
    let mount_from = (source.registry() == target.registry()
        && source.repository() != target.repository())
    .then(|| source.repository().to_owned());
    let pushed = remote::push(&to, &layout, "copy", target, mount_from, &transfers)?;
    Ok(pushed.descriptor)
}
