//! `oci build`: a directory becomes a new layer (image-spec layer.md,
//! Creating), added on top of a base image or of nothing, with a history
//! entry (config.md), under a tag.

use std::io::Write;
use std::path::Path;

use ocikit_convert::{BuildOptions, ImageEdit};
use ocikit_image::{History, Platform};
use ocikit_layout::Layout;
use ocikit_layout::codec::Codec;

use crate::progress::QuietArg;
use crate::shell;
use crate::store::Image;
use crate::{CmdResult, Failure, stdout_failed};

/// Add a layer built from a directory to an image
///
/// The layer goes on top of the image TAG of the same layout (--from), or
/// of a new empty image for the platform (default: this host's); the
/// result is tagged IMAGE (the tag moves) and its manifest digest printed.
/// Created times come from SOURCE_DATE_EPOCH when it is set, else from the
/// clock, and file times are clamped to it.
#[derive(clap::Args, Debug)]
pub struct BuildArgs {
    /// The directory whose tree becomes the layer
    #[arg(value_name = "DIR")]
    dir: String,
    /// The image to write
    image: Image,
    /// The base image's tag in the same layout
    #[arg(long, value_name = "TAG")]
    from: Option<String>,
    /// How the layer is compressed
    #[arg(long, value_enum, default_value_t = Compression::Gzip)]
    compression: Compression,
    /// The platform of a new image, or the one to pick when --from names an
    /// image index
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    platform: Option<Platform>,
    #[command(flatten)]
    quiet: QuietArg,
}

/// The layer compressions of `--compression`.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum Compression {
    Gzip,
    Zstd,
    None,
}

impl Compression {
    /// The codec, with a worker thread per CPU: gzip bytes do not depend on
    /// the count, and zstd's agree for any count of 1 or more, so the same
    /// tree gives the same layer on every machine.
    pub fn codec(self) -> Codec {
        match self {
            Compression::Gzip => Codec::gzip().parallel(),
            Compression::Zstd => Codec::zstd().parallel(),
            Compression::None => Codec::None,
        }
    }
}

pub fn build(args: BuildArgs) -> CmdResult {
    let BuildArgs {
        dir,
        image,
        from,
        compression,
        platform,
        quiet,
    } = args;
    let tag = image.tag.as_str();
    ocikit_layout::check_tag(tag)?;
    match std::fs::metadata(&dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return Err(Failure(format!("{dir}: not a directory"))),
        Err(e) => return Err(Failure(format!("{dir}: {e}"))),
    }
    let created = ocikit_convert::created_now()?;

    // The base is read before the layer is built, so that a wrong --from
    // fails fast; a new image may create the layout, a base must be in it.
    let (layout, mut edit) = match from {
        Some(from) => {
            let layout = image.open()?;
            let edit = ImageEdit::open(&layout, &from, platform.as_ref())?;
            (layout, edit)
        }
        None => (
            Layout::open_or_init(&image.layout)?,
            ImageEdit::scratch(&platform.unwrap_or_else(Platform::host)),
        ),
    };
    let bar = quiet.bar();
    let options = BuildOptions {
        progress: bar.progress(),
        ..BuildOptions::from_env()?
    };
    let layer =
        ocikit_convert::build_layer(&layout, Path::new(&dir), compression.codec(), &options)?;
    drop(bar);
    let history = History {
        created: Some(created),
        created_by: Some(format!("oci build {}", shell::quote(&dir))),
        ..Default::default()
    };
    edit.append_layer(&layer, history)?;
    let descriptor = edit.commit(&layout, tag)?;
    writeln!(std::io::stdout().lock(), "{}", descriptor.digest).map_err(stdout_failed)
}
