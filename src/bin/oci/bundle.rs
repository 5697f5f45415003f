//! `oci unpack`, `oci repack` and `oci config`: an image into a runtime
//! bundle that `runc run` takes, a changed bundle back into a new layer,
//! and changes to an image's execution parameters.

use std::io::Write;
use std::path::Path;

use ocikit_convert::{ConfigChange, ImageEdit, RepackOptions, UnpackOptions};
use ocikit_image::History;
use ocikit_layout::Layout;

use crate::args::{Args, Opt};
use crate::build::{convert_failed, parse_compression};
use crate::progress::Bar;
use crate::store::{open_image, split_image};
use crate::{CmdResult, Failure, stdout_failed};

pub fn unpack(args: &[String]) -> CmdResult {
    let args = Args::parse(
        "unpack",
        args,
        &[
            Opt::Flag("--rootless"),
            Opt::Value("--platform"),
            Opt::Flag("--quiet"),
        ],
    )?;
    let [image, bundle] = args.positionals(["IMAGE", "BUNDLE"])?;
    let (layout, tag) = open_image(image)?;
    let bar = Bar::new(args.flag("--quiet"));
    let mut options = UnpackOptions {
        platform: args.platform()?,
        progress: bar.progress(),
        ..UnpackOptions::default()
    };
    // Rootless is implied for a non-root user, and may be asked for by root.
    options.rootless |= args.flag("--rootless");
    let unpacked = ocikit_convert::unpack(&layout, tag, Path::new(bundle), &options)
        .map_err(convert_failed)?;
    drop(bar);
    for warning in &unpacked.warnings {
        eprintln!("oci unpack: warning: {warning}");
    }
    writeln!(std::io::stdout().lock(), "{}", unpacked.manifest.digest).map_err(stdout_failed)
}

pub fn repack(args: &[String]) -> CmdResult {
    let args = Args::parse(
        "repack",
        args,
        &[Opt::Value("--compression"), Opt::Flag("--quiet")],
    )?;
    let [bundle, image] = args.positionals(["BUNDLE", "IMAGE"])?;
    let (layout, tag) = open_image(image)?;
    ocikit_layout::check_tag(tag)?;
    let bar = Bar::new(args.flag("--quiet"));
    let mut options = RepackOptions {
        codec: parse_compression(args.value("--compression"))?,
        ..RepackOptions::default()
    };
    options.build = ocikit_convert::BuildOptions::from_env().map_err(convert_failed)?;
    options.build.progress = bar.progress();
    let repacked = ocikit_convert::repack(Path::new(bundle), &layout, tag, &options)
        .map_err(convert_failed)?;
    drop(bar);
    if repacked.layer.is_none() {
        eprintln!("oci repack: the rootfs has not changed; {image} names the bundle's image");
    }
    writeln!(std::io::stdout().lock(), "{}", repacked.descriptor.digest).map_err(stdout_failed)
}

pub fn config(args: &[String]) -> CmdResult {
    let raw = args;
    let args = Args::parse(
        "config",
        args,
        &[
            Opt::Value("--tag"),
            Opt::Value("--env"),
            Opt::Value("--entrypoint"),
            Opt::Value("--cmd"),
            Opt::Value("--workdir"),
            Opt::Value("--user"),
            Opt::Value("--label"),
            Opt::Value("--expose"),
            Opt::Value("--volume"),
            Opt::Value("--stop-signal"),
            Opt::Value("--platform"),
        ],
    )?;
    let [image] = args.positionals(["IMAGE"])?;
    let (path, tag) = split_image(image)?;
    let new_tag = args.value("--tag").unwrap_or(tag);
    ocikit_layout::check_tag(new_tag)?;
    let mut labels = std::collections::BTreeMap::new();
    for label in args.values("--label") {
        let Some((key, value)) = label.split_once('=') else {
            return Err(Failure::Usage(format!(
                "--label {label:?}: expected KEY=VALUE"
            )));
        };
        labels.insert(key.to_owned(), value.to_owned());
    }
    let change = ConfigChange {
        env: owned(args.values("--env")),
        entrypoint: list(args.values("--entrypoint")),
        cmd: list(args.values("--cmd")),
        working_dir: args.value("--workdir").map(str::to_owned),
        user: args.value("--user").map(str::to_owned),
        labels,
        exposed_ports: owned(args.values("--expose")),
        volumes: owned(args.values("--volume")),
        stop_signal: args.value("--stop-signal").map(str::to_owned),
    };
    if change == ConfigChange::default() {
        return Err(Failure::Usage("no change given".into()));
    }
    let layout = Layout::open(path)?;
    let mut edit =
        ImageEdit::open(&layout, tag, args.platform()?.as_ref()).map_err(convert_failed)?;
    edit.change_config(&change).map_err(convert_failed)?;
    edit.add_history(History {
        created: Some(ocikit_convert::created_now().map_err(convert_failed)?),
        created_by: Some(format!("oci config {}", raw.join(" "))),
        ..History::default()
    });
    let descriptor = edit.commit(&layout, new_tag).map_err(convert_failed)?;
    writeln!(std::io::stdout().lock(), "{}", descriptor.digest).map_err(stdout_failed)
}

fn owned(values: Vec<&str>) -> Vec<String> {
    values.into_iter().map(str::to_owned).collect()
}

/// A list option: absent is no change; `--cmd=` alone (one empty value)
/// clears the list; otherwise each value is one argument.
fn list(values: Vec<&str>) -> Option<Vec<String>> {
    match values.as_slice() {
        [] => None,
        [""] => Some(Vec::new()),
        _ => Some(owned(values)),
    }
}
