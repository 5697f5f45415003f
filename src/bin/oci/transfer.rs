//! `oci pull` and `oci push`: an image from a registry into a layout, and
//! back (distribution-spec spec.md, "Pull" and "Push", through
//! ocikit-remote).

use std::io::Write;
use std::path::PathBuf;

use ocikit_image::Platform;
use ocikit_remote::{Platforms, PullOptions, Reference};
use ocikit_sign::{PublicKey, VerifyOptions};

use crate::progress::QuietArg;
use crate::remote::{self, RegistryArgs, into_layout, parse_reference};
use crate::store::Image;
use crate::{CmdResult, stdout_failed};

/// Pull an image from a registry into a layout
///
/// The layout is created when missing, and the image tagged there with
/// IMAGE's tag once everything it needs is stored. Docker manifests keep
/// their bytes (and digests) unless --to-oci is given. Prints the tag,
/// digest and media type. On a terminal, one line per blob in flight and
/// a summary. When a signature is required, the image's signatures are
/// checked first and the digest verified is pulled; without a valid one
/// nothing is pulled and no tag written.
#[derive(clap::Args, Debug)]
pub struct PullArgs {
    /// The image in the registry: docker://HOST[:PORT]/REPO[:TAG|@DIGEST]
    #[arg(value_name = "REF", value_parser = parse_reference)]
    reference: Reference,
    /// Where to: the layout and the tag there
    image: Image,
    /// The platform to pull when REF names an image index (default: this
    /// host's)
    #[arg(
        long,
        value_name = "OS/ARCH[/VARIANT]",
        conflicts_with = "all_platforms"
    )]
    platform: Option<Platform>,
    /// Pull every platform of an image index, and tag the index
    #[arg(long)]
    all_platforms: bool,
    /// Store Docker manifests and lists as OCI ones (new digests), as
    /// skopeo's oci: transport does
    #[arg(long)]
    to_oci: bool,
    /// Pull only when a signature of the image verifies with this public
    /// key (cosign's .sig tag or a sigstore bundle referrer, as `oci
    /// verify` checks them); not with --to-oci, whose new digests no
    /// signature names
    #[arg(long, value_name = "KEY.pub", conflicts_with = "to_oci")]
    require_signature: Option<PathBuf>,
    #[command(flatten)]
    registry: RegistryArgs,
    #[command(flatten)]
    quiet: QuietArg,
}

/// Push an image of a layout to a registry
///
/// Blobs the repository has are not sent again; manifests go as their
/// exact bytes, so the digest stays the same. Prints the digest pushed. On
/// a terminal, one line per blob in flight and a summary.
#[derive(clap::Args, Debug)]
pub struct PushArgs {
    /// The image to push
    image: Image,
    /// Where to: docker://HOST[:PORT]/REPO[:TAG|@DIGEST] (by digest: the
    /// image's own)
    #[arg(value_name = "REF", value_parser = parse_reference)]
    reference: Reference,
    #[command(flatten)]
    registry: RegistryArgs,
    #[command(flatten)]
    quiet: QuietArg,
}

pub fn pull(args: PullArgs) -> CmdResult {
    let PullArgs {
        reference,
        image,
        platform,
        all_platforms,
        to_oci,
        require_signature,
        registry,
        quiet,
    } = args;
    ocikit_layout::check_tag(&image.tag)?;
    let transfers = quiet.transfers("pull");
    let client = registry.client(&[&reference], &transfers)?;
    // The policy is the library's: verify, then pull the verified digest.
    let reference = match require_signature {
        Some(key) => {
            let keys = [PublicKey::read(&key)?];
            let options = VerifyOptions::default();
            ocikit_sign::require_signature(&client, &reference, &keys, &options)?.1
        }
        None => reference,
    };
    let platforms = match (platform, all_platforms) {
        (_, true) => Platforms::All,
        (Some(platform), false) => Platforms::Only(platform),
        (None, false) => Platforms::Host,
    };
    let options = PullOptions {
        platforms,
        to_oci,
        ..PullOptions::default()
    };
    let pulled = into_layout(&image.layout, |layout| {
        let pulled = remote::pull(&client, &reference, layout, &image.tag, options, &transfers)?;
        remote::note_docker(&transfers, layout, &pulled);
        Ok(pulled)
    })?;
    writeln!(
        std::io::stdout().lock(),
        "{} {} {}",
        image.tag,
        pulled.descriptor.digest,
        pulled.descriptor.media_type
    )
    .map_err(stdout_failed)
}

pub fn push(args: PushArgs) -> CmdResult {
    let PushArgs {
        image,
        reference,
        registry,
        quiet,
    } = args;
    let layout = image.open()?;
    // The tag is checked before anything is sent.
    layout.find_tag(&image.tag)?;
    let transfers = quiet.transfers("push");
    let client = registry.client(&[&reference], &transfers)?;
    let pushed = remote::push(&client, &layout, &image.tag, &reference, None, &transfers)?;
    writeln!(std::io::stdout().lock(), "{}", pushed.descriptor.digest).map_err(stdout_failed)
}
