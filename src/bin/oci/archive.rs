//! `oci export` and `oci import`: an image as an oci-archive or
//! docker-archive tar, and back.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;

use ocikit_layout::archive::{self, ExportOptions, ImportOptions, Selection};
use ocikit_layout::{AtomicFile, Layout};

use crate::args::{Args, Opt};
use crate::progress::Bar;
use crate::store::{open_image, split_image};
use crate::{CmdResult, Failure, stdout_failed};

/// The two archive formats.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Oci,
    Docker,
}

fn parse_format(value: Option<&str>) -> Result<Option<Format>, Failure> {
    match value {
        None => Ok(None),
        Some("oci-archive") => Ok(Some(Format::Oci)),
        Some("docker-archive") => Ok(Some(Format::Docker)),
        Some(other) => Err(Failure::Usage(format!(
            "--format {other:?}: expected oci-archive or docker-archive"
        ))),
    }
}

pub fn export(args: &[String]) -> CmdResult {
    let args = Args::parse(
        "export",
        args,
        &[
            Opt::Value("--format"),
            Opt::Value("--repo-tag"),
            Opt::Flag("--quiet"),
        ],
    )?;
    let [image, target] = args.positionals(["IMAGE", "ARCHIVE"])?;
    let format = parse_format(args.value("--format"))?.unwrap_or(Format::Oci);
    let (layout, tag) = open_image(image)?;
    // Check the tag before creating the output file.
    layout.find_tag(tag)?;
    let bar = Bar::new(args.flag("--quiet"));
    let options = ExportOptions {
        progress: bar.progress(),
        ..ExportOptions::default()
    };
    let repo_tag = match args.value("--repo-tag") {
        Some(r) => r.to_owned(),
        None => default_repo_tag(layout.path(), tag),
    };
    if format == Format::Docker {
        archive::docker::check_reference(&repo_tag)
            .map_err(|e| Failure::Usage(format!("--repo-tag: {e}")))?;
    }
    // Written beside the target and renamed over it at the end: a failed
    // export leaves no half-written archive under the name asked for.
    let file = AtomicFile::create(target)?;
    let out = BufWriter::with_capacity(1 << 20, file);
    let written = match format {
        Format::Oci => archive::oci::export(&layout, &Selection::tag(tag), &options, out),
        // A file seeks: each compressed layer is decompressed once.
        Format::Docker => {
            archive::docker::export_seekable(&layout, tag, &repo_tag, None, &options, out)
        }
    }?;
    let file = written
        .into_inner()
        .map_err(|e| Failure::Failed(format!("{target}: {}", e.error())))?;
    Ok(file.commit()?)
}

pub fn import(args: &[String]) -> CmdResult {
    let args = Args::parse(
        "import",
        args,
        &[
            Opt::Value("--format"),
            Opt::Flag("--to-oci"),
            Opt::Flag("--quiet"),
        ],
    )?;
    let [source, image] = args.positionals(["ARCHIVE", "IMAGE"])?;
    let (path, tag) = split_image(image)?;
    let format = match parse_format(args.value("--format"))? {
        Some(f) => f,
        None => detect_format(source)?,
    };
    let file = File::open(source).map_err(|e| Failure::Failed(format!("{source}: {e}")))?;
    let archive_size = file.metadata().ok().map(|m| m.len());
    let reader = BufReader::with_capacity(1 << 20, file);
    let layout = Layout::open_or_init(path)?;
    let bar = Bar::new(args.flag("--quiet"));
    let options = ImportOptions {
        to_oci: args.flag("--to-oci"),
        progress: bar.progress(),
        archive_size,
        ..ImportOptions::default()
    };
    let imported = match format {
        Format::Oci => archive::oci::import(&layout, reader, Some(tag), &options)?,
        Format::Docker => archive::docker::import(&layout, reader, Some(tag), &options)?,
    };
    let mut out = std::io::stdout().lock();
    for d in &imported.descriptors {
        writeln!(
            out,
            "{} {} {}",
            d.ref_name().unwrap_or(tag),
            d.digest,
            d.media_type
        )
        .map_err(stdout_failed)?;
    }
    Ok(())
}

/// An oci-archive has an `oci-layout` file; a docker-archive a
/// `manifest.json`. Only the tar headers are read (the file is seekable).
fn detect_format(source: &str) -> Result<Format, Failure> {
    let failed = |e: std::io::Error| Failure::Failed(format!("{source}: {e}"));
    let file = File::open(source).map_err(failed)?;
    let mut tar = tar::Archive::new(file);
    let mut found = None;
    for entry in tar.entries_with_seek().map_err(failed)? {
        let entry = entry.map_err(failed)?;
        let name = entry.path_bytes();
        let name = name.strip_prefix(b"./").unwrap_or(&name);
        match name {
            b"oci-layout" => return Ok(Format::Oci),
            b"manifest.json" => found = Some(Format::Docker),
            _ => {}
        }
    }
    found.ok_or_else(|| {
        Failure::Failed(format!(
            "{source}: neither an oci-archive (no oci-layout file) nor a docker-archive (no manifest.json); say which with --format"
        ))
    })
}

/// `<layout directory name>:<tag>`, lower-cased and with characters a
/// Docker repository name cannot have replaced, for `docker load`.
fn default_repo_tag(layout: &Path, tag: &str) -> String {
    let name = layout
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default()
        .to_lowercase();
    let mut repo: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .trim_matches('-')
        .to_owned();
    if repo.is_empty() {
        repo = "image".into();
    }
    format!("{repo}:{tag}")
}
