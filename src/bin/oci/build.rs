//! `oci build`: a directory becomes a new layer (image-spec layer.md,
//! Creating), added on top of a base image or of nothing, with a history
//! entry (config.md), under a tag.

use std::io::Write;
use std::path::Path;

use ocikit_convert::{BuildOptions, ImageEdit};
use ocikit_image::{History, Platform};
use ocikit_layout::Layout;
use ocikit_layout::codec::Codec;

use crate::args::{Args, Opt};
use crate::progress::Bar;
use crate::store::split_image;
use crate::{CmdResult, Failure, stdout_failed};

pub fn convert_failed(err: ocikit_convert::Error) -> Failure {
    Failure::Failed(err.to_string())
}

/// The codec of `--compression`, with a worker thread per CPU: gzip bytes
/// do not depend on the count, and zstd's agree for any count of 1 or more,
/// so the same tree gives the same layer on every machine.
pub fn parse_compression(value: Option<&str>) -> Result<Codec, Failure> {
    match value {
        None | Some("gzip") => Ok(Codec::gzip().parallel()),
        Some("zstd") => Ok(Codec::zstd().parallel()),
        Some("none") => Ok(Codec::None),
        Some(other) => Err(Failure::Usage(format!(
            "--compression {other:?}: expected gzip, zstd or none"
        ))),
    }
}

pub fn build(args: &[String]) -> CmdResult {
    let args = Args::parse(
        "build",
        args,
        &[
            Opt::Value("--from"),
            Opt::Value("--compression"),
            Opt::Value("--platform"),
            Opt::Flag("--quiet"),
        ],
    )?;
    let [dir, image] = args.positionals(["DIR", "IMAGE"])?;
    let codec = parse_compression(args.value("--compression"))?;
    let platform = args.platform()?;
    let from = args.value("--from");
    let (path, tag) = split_image(image)?;
    ocikit_layout::check_tag(tag)?;
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return Err(Failure::Failed(format!("{dir}: not a directory"))),
        Err(e) => return Err(Failure::Failed(format!("{dir}: {e}"))),
    }
    let created = ocikit_convert::created_now().map_err(convert_failed)?;

    // The base is read before the layer is built, so that a wrong --from
    // fails fast; a new image may create the layout, a base must be in it.
    let (layout, mut edit) = match from {
        Some(from) => {
            let layout = Layout::open(path)?;
            let edit = ImageEdit::open(&layout, from, platform.as_ref()).map_err(convert_failed)?;
            (layout, edit)
        }
        None => (
            Layout::open_or_init(path)?,
            ImageEdit::scratch(&platform.unwrap_or_else(Platform::host)),
        ),
    };
    let bar = Bar::new(args.flag("--quiet"));
    let options = BuildOptions {
        progress: bar.progress(),
        ..BuildOptions::from_env().map_err(convert_failed)?
    };
    let layer = ocikit_convert::build_layer(&layout, Path::new(dir), codec, &options)
        .map_err(convert_failed)?;
    drop(bar);
    let history = History {
        created: Some(created),
        created_by: Some(format!("oci build {dir}")),
        ..Default::default()
    };
    edit.append_layer(&layer, history).map_err(convert_failed)?;
    let descriptor = edit.commit(&layout, tag).map_err(convert_failed)?;
    writeln!(std::io::stdout().lock(), "{}", descriptor.digest).map_err(stdout_failed)
}
