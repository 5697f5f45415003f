//! `oci build`: a directory becomes a new layer (image-spec layer.md,
//! Creating), added on top of a base image or of nothing, with a history
//! entry (config.md), under a tag.

use std::io::Write;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use oci_convert::{BuildOptions, ImageEdit};
use oci_image::{History, Platform};
use oci_layout::Layout;
use oci_layout::codec::Codec;

use crate::args::{Args, Opt};
use crate::store::split_image;
use crate::{CmdResult, Failure, stdout_failed};

fn convert_failed(err: oci_convert::Error) -> Failure {
    Failure::Failed(err.to_string())
}

fn parse_compression(value: Option<&str>) -> Result<Codec, Failure> {
    match value {
        None | Some("gzip") => Ok(Codec::gzip()),
        Some("zstd") => Ok(Codec::zstd()),
        Some("none") => Ok(Codec::None),
        Some(other) => Err(Failure::Usage(format!(
            "--compression {other:?}: expected gzip, zstd or none"
        ))),
    }
}

/// The `created` time of the new layer: `SOURCE_DATE_EPOCH` when it is set
/// (reproducible builds), else the clock.
fn created_now() -> Result<String, Failure> {
    let epoch = oci_layout::source_date_epoch().map_err(|e| Failure::Failed(e.to_string()))?;
    let seconds = match epoch {
        Some(seconds) => seconds,
        None => SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|e| Failure::Failed(format!("the clock is before 1970: {e}")))?
            .as_secs(),
    };
    oci_convert::format_rfc3339(seconds).map_err(convert_failed)
}

pub fn build(args: &[String]) -> CmdResult {
    let args = Args::parse(
        "build",
        args,
        &[
            Opt::Value("--from"),
            Opt::Value("--compression"),
            Opt::Value("--platform"),
        ],
    )?;
    let [dir, image] = args.positionals(["DIR", "IMAGE"])?;
    let codec = parse_compression(args.value("--compression"))?;
    let platform = args.platform()?;
    let from = args.value("--from");
    let (path, tag) = split_image(image)?;
    oci_layout::check_tag(tag)?;
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return Err(Failure::Failed(format!("{dir}: not a directory"))),
        Err(e) => return Err(Failure::Failed(format!("{dir}: {e}"))),
    }
    let created = created_now()?;

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
    let layer = oci_convert::build_layer(
        &layout,
        Path::new(dir),
        codec,
        &BuildOptions::from_env().map_err(convert_failed)?,
    )
    .map_err(convert_failed)?;
    let history = History {
        created: Some(created),
        created_by: Some(format!("oci build {dir}")),
        ..Default::default()
    };
    edit.append_layer(&layer, history).map_err(convert_failed)?;
    let descriptor = edit.commit(&layout, tag).map_err(convert_failed)?;
    writeln!(std::io::stdout().lock(), "{}", descriptor.digest).map_err(stdout_failed)
}
