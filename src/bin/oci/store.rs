//! The image-layout commands: `init`, `new`, `ls`, `stat`, `tag`, `rm`.

use std::io::Write;

use ocikit_image::{ImageConfiguration, ImageManifest, Platform};
use ocikit_layout::Layout;
use serde_json::json;

use crate::args::{Args, Opt};
use crate::{CmdResult, Failure, stdout_failed};

/// `LAYOUT:TAG`, split at the last colon.
pub fn split_image(image: &str) -> Result<(&str, &str), Failure> {
    match image.rsplit_once(':') {
        Some((layout, tag)) if !layout.is_empty() && !tag.is_empty() => Ok((layout, tag)),
        _ => Err(Failure::Usage(format!(
            "{image:?} is not an image: expected LAYOUT:TAG"
        ))),
    }
}

/// Opens the layout of `IMAGE` and returns it with the tag.
pub fn open_image(image: &str) -> Result<(Layout, &str), Failure> {
    let (path, tag) = split_image(image)?;
    Ok((Layout::open(path)?, tag))
}

pub fn init(args: &[String]) -> CmdResult {
    let args = Args::parse("init", args, &[])?;
    let [path] = args.positionals(["LAYOUT"])?;
    Layout::init(path)?;
    Ok(())
}

pub fn new(args: &[String]) -> CmdResult {
    let args = Args::parse("new", args, &[Opt::Value("--platform")])?;
    let [image] = args.positionals(["IMAGE"])?;
    let platform = args.platform()?.unwrap_or_else(Platform::host);
    let (path, tag) = split_image(image)?;
    ocikit_layout::check_tag(tag)?;
    let layout = Layout::open_or_init(path)?;
    if layout.find_tag(tag).is_ok() {
        return Err(Failure::Failed(format!(
            "{image}: the tag already exists (remove it with `oci rm` first)"
        )));
    }
    let config = layout.put_json(&ImageConfiguration::for_platform(&platform))?;
    let manifest = ImageManifest {
        config,
        ..Default::default()
    };
    let descriptor = layout.put_json(&manifest)?.with_platform(platform);
    layout.tag(tag, &descriptor)?;
    Ok(())
}

pub fn ls(args: &[String]) -> CmdResult {
    let args = Args::parse("ls", args, &[])?;
    let [path] = args.positionals(["LAYOUT"])?;
    let layout = Layout::open(path)?;
    let mut out = std::io::stdout().lock();
    for tag in layout.list_tags()? {
        writeln!(out, "{tag}").map_err(stdout_failed)?;
    }
    Ok(())
}

pub fn stat(args: &[String]) -> CmdResult {
    let args = Args::parse(
        "stat",
        args,
        &[Opt::Flag("--json"), Opt::Value("--platform")],
    )?;
    let [image] = args.positionals(["IMAGE"])?;
    let platform = args.platform()?;
    let (layout, tag) = open_image(image)?;
    let resolved = layout.resolve(tag, platform.as_ref())?;
    let manifest = &resolved.manifest;
    let config = layout.read_config(&manifest.config)?;
    let mut out = std::io::stdout().lock();
    if args.flag("--json") {
        let value = json!({
            "tag": tag,
            "descriptor": resolved.descriptor,
            "manifest": manifest.value(),
            "config": config.value(),
        });
        let text = serde_json::to_string_pretty(&value)
            .map_err(|e| Failure::Failed(format!("serialising the report: {e}")))?;
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

pub fn tag(args: &[String]) -> CmdResult {
    let args = Args::parse("tag", args, &[])?;
    let [image, new_tag] = args.positionals(["IMAGE", "NEWTAG"])?;
    let (layout, tag) = open_image(image)?;
    let mut descriptor = layout.find_tag(tag)?;
    descriptor
        .annotations
        .remove(ocikit_image::annotations::REF_NAME);
    layout.tag(new_tag, &descriptor)?;
    Ok(())
}

pub fn rm(args: &[String]) -> CmdResult {
    let args = Args::parse("rm", args, &[])?;
    let [image] = args.positionals(["IMAGE"])?;
    let (layout, tag) = open_image(image)?;
    layout.untag(tag)?;
    Ok(())
}
