//! The image-layout commands: `init`, `new`, `ls`, `stat`, `tag`, `rm`,
//! and the `IMAGE` argument (`LAYOUT:TAG`) every image command takes.

use std::fmt;
use std::io::Write;
use std::str::FromStr;

use ocikit_image::{ImageConfiguration, ImageManifest, Platform};
use ocikit_layout::Layout;
use serde_json::json;

use crate::{CmdResult, Failure, stdout_failed};

/// An image: `LAYOUT:TAG`, split at the last colon (a tag has none, a path
/// may).
#[derive(Debug, Clone)]
pub struct Image {
    /// The layout's directory.
    pub layout: String,
    /// The tag in it.
    pub tag: String,
}

impl FromStr for Image {
    type Err = String;

    fn from_str(image: &str) -> Result<Image, String> {
        match image.rsplit_once(':') {
            Some((layout, tag)) if !layout.is_empty() && !tag.is_empty() => Ok(Image {
                layout: layout.to_owned(),
                tag: tag.to_owned(),
            }),
            _ => Err(format!(
                "{image:?} is not an image: expected LAYOUT:TAG (split at the last colon)"
            )),
        }
    }
}

impl fmt::Display for Image {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.layout, self.tag)
    }
}

impl Image {
    /// Opens the image's layout, which must exist.
    pub fn open(&self) -> Result<Layout, Failure> {
        Ok(Layout::open(&self.layout)?)
    }
}

/// Create an empty image layout
///
/// The directory is created when missing; an existing one must be empty.
#[derive(clap::Args, Debug)]
pub struct InitArgs {
    /// The layout's directory
    #[arg(value_name = "LAYOUT")]
    layout: String,
}

/// Create an empty image (no layers) and tag it
///
/// The layout is created when missing; the tag must not exist yet.
#[derive(clap::Args, Debug)]
pub struct NewArgs {
    /// The image to create
    image: Image,
    /// The image's platform (default: this host's)
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    platform: Option<Platform>,
}

/// List the tags of a layout, one per line
#[derive(clap::Args, Debug)]
pub struct LsArgs {
    /// The layout's directory
    #[arg(value_name = "LAYOUT")]
    layout: String,
}

/// Show an image: manifest, config, layers, history
#[derive(clap::Args, Debug)]
pub struct StatArgs {
    /// The image to show
    image: Image,
    /// Print the descriptor, manifest and config as one JSON document
    #[arg(long)]
    json: bool,
    /// The platform to pick when the tag names an image index (default:
    /// this host's)
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    platform: Option<Platform>,
}

/// Give an image another tag in its layout
#[derive(clap::Args, Debug)]
pub struct TagArgs {
    /// The image to tag
    image: Image,
    /// The new tag (moved when it exists)
    #[arg(value_name = "NEWTAG")]
    new_tag: String,
}

/// Remove a tag (its blobs stay until `oci gc`)
#[derive(clap::Args, Debug)]
pub struct RmArgs {
    /// The image whose tag goes
    image: Image,
}

pub fn init(args: InitArgs) -> CmdResult {
    Layout::init(&args.layout)?;
    Ok(())
}

pub fn new(args: NewArgs) -> CmdResult {
    let NewArgs { image, platform } = args;
    let platform = platform.unwrap_or_else(Platform::host);
    let tag = image.tag.as_str();
    ocikit_layout::check_tag(tag)?;
    let layout = Layout::open_or_init(&image.layout)?;
    if layout.find_tag(tag).is_ok() {
        return Err(Failure(format!(
            "{image}: the tag already exists (remove it with `oci rm` first)"
        )));
    }
    let config = layout.put_json(&ImageConfiguration::for_platform(&platform))?;
    let manifest = ImageManifest {
        config,
        ..Default::default()
    };
    let descriptor = layout.put_json(&manifest)?.with_platform(platform);
    // Only if the tag is still absent: another `oci new` of the same tag
    // may have won since the check above.
    match layout.tag_if(tag, &descriptor, None) {
        Err(ocikit_layout::Error::TagChanged { .. }) => Err(Failure(format!(
            "{image}: the tag already exists (remove it with `oci rm` first)"
        ))),
        other => Ok(other?),
    }
}

pub fn ls(args: LsArgs) -> CmdResult {
    let layout = Layout::open(&args.layout)?;
    let mut out = std::io::stdout().lock();
    for tag in layout.list_tags()? {
        writeln!(out, "{tag}").map_err(stdout_failed)?;
    }
    Ok(())
}

pub fn stat(args: StatArgs) -> CmdResult {
    let layout = args.image.open()?;
    let tag = args.image.tag.as_str();
    let resolved = layout.resolve(tag, args.platform.as_ref())?;
    let manifest = &resolved.manifest;
    let config = layout.read_config(&manifest.config)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        let value = json!({
            "tag": tag,
            "descriptor": resolved.descriptor,
            "manifest": manifest.value(),
            "config": config.value(),
        });
        let text = serde_json::to_string_pretty(&value)
            .map_err(|e| Failure(format!("serialising the report: {e}")))?;
        return writeln!(out, "{text}").map_err(stdout_failed);
    }
    let mut text = String::new();
    let platform = config.platform();
    text += &format!(
        "manifest  {} ({} bytes)\n",
        resolved.descriptor.digest, resolved.descriptor.size
    );
    text += &format!(
        "config    {} ({} bytes)\n",
        manifest.config.digest, manifest.config.size
    );
    text += &format!("platform  {platform}\n");
    if let Some(created) = &config.created {
        text += &format!("created   {created}\n");
    }
    if let Some(c) = &config.config {
        if !c.entrypoint.is_empty() {
            text += &format!("entrypoint {:?}\n", c.entrypoint);
        }
        if !c.cmd.is_empty() {
            text += &format!("cmd       {:?}\n", c.cmd);
        }
    }
    text += &format!("layers    {}\n", manifest.layers.len());
    for (layer, diff_id) in manifest.layers.iter().zip(
        config
            .rootfs
            .diff_ids
            .iter()
            .map(Some)
            .chain(std::iter::repeat(None)),
    ) {
        text += &format!(
            "  {} {:>12} {}{}\n",
            layer.digest,
            layer.size,
            layer.media_type,
            diff_id
                .map(|d| format!(" (diff_id {d})"))
                .unwrap_or_default()
        );
    }
    if !config.history.is_empty() {
        text += "history\n";
        for h in &config.history {
            let what = h.created_by.as_deref().unwrap_or("");
            let empty = if h.empty_layer { " (empty layer)" } else { "" };
            text += &format!(
                "  {}{what}{empty}\n",
                h.created
                    .as_deref()
                    .map(|c| format!("{c}  "))
                    .unwrap_or_default()
            );
        }
    }
    out.write_all(text.as_bytes()).map_err(stdout_failed)
}

pub fn tag(args: TagArgs) -> CmdResult {
    let layout = args.image.open()?;
    let mut descriptor = layout.find_tag(&args.image.tag)?;
    descriptor
        .annotations
        .remove(ocikit_image::annotations::REF_NAME);
    layout.tag(&args.new_tag, &descriptor)?;
    Ok(())
}

pub fn rm(args: RmArgs) -> CmdResult {
    args.image.open()?.untag(&args.image.tag)?;
    Ok(())
}
