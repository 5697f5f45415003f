//! `oci copy`: an image from one layout into another (created when
//! missing), or under another tag in the same one.

use std::io::Write;

use ocikit_layout::{CopyOptions, Layout};

use crate::progress::QuietArg;
use crate::store::Image;
use crate::{CmdResult, stdout_failed};

/// Copy an image and every blob it reaches into a layout
///
/// Each blob is verified; the layout of DST is created when missing, and
/// the image tagged there. Prints the tag, digest and media type.
#[derive(clap::Args, Debug)]
pub struct CopyArgs {
    /// The image to copy
    #[arg(value_name = "SRC")]
    source: Image,
    /// Where to: the layout and the tag there
    #[arg(value_name = "DST")]
    target: Image,
    #[command(flatten)]
    quiet: QuietArg,
}

pub fn copy(args: CopyArgs) -> CmdResult {
    let CopyArgs {
        source,
        target,
        quiet,
    } = args;
    ocikit_layout::check_tag(&target.tag)?;
    // The source and its tag are checked before the destination is created.
    let tag = source.tag.as_str();
    let source = source.open()?;
    source.find_tag(tag)?;
    let layout = Layout::open_or_init(&target.layout)?;
    let bar = quiet.bar();
    let options = CopyOptions {
        progress: bar.progress(),
    };
    let copied = layout.copy_image(&source, tag, &target.tag, &options)?;
    drop(bar);
    writeln!(
        std::io::stdout().lock(),
        "{} {} {}",
        target.tag,
        copied.descriptor.digest,
        copied.descriptor.media_type
    )
    .map_err(stdout_failed)
}
