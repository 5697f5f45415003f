//! `oci copy`: an image from one layout into another (created when
//! missing), or under another tag in the same one.

use std::io::Write;

use ocikit_layout::{CopyOptions, Layout};

use crate::args::{Args, Opt};
use crate::progress::Bar;
use crate::store::{open_image, split_image};
use crate::{CmdResult, stdout_failed};

pub fn copy(args: &[String]) -> CmdResult {
    let args = Args::parse("copy", args, &[Opt::Flag("--quiet")])?;
    let [source, target] = args.positionals(["SRC-IMAGE", "DST-IMAGE"])?;
    let (path, new_tag) = split_image(target)?;
    ocikit_layout::check_tag(new_tag)?;
    // The source and its tag are checked before the destination is created.
    let (source, tag) = open_image(source)?;
    source.find_tag(tag)?;
    let layout = Layout::open_or_init(path)?;
    let bar = Bar::new(args.flag("--quiet"));
    let options = CopyOptions {
        progress: bar.progress(),
    };
    let copied = layout.copy_image(&source, tag, new_tag, &options)?;
    drop(bar);
    writeln!(
        std::io::stdout().lock(),
        "{new_tag} {} {}",
        copied.descriptor.digest,
        copied.descriptor.media_type
    )
    .map_err(stdout_failed)
}
