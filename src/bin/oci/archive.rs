//! `oci export` and `oci import`: an image as an oci-archive or
//! docker-archive tar, and back.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;

use ocikit_layout::archive::{self, ExportOptions, ImportOptions, Selection};
use ocikit_layout::{AtomicFile, Layout};

use crate::progress::QuietArg;
use crate::store::Image;
use crate::{CmdResult, Failure, stdout_failed};

/// Write an image as a tar archive
///
/// An oci-archive (the default) is an image layout in a tar, as skopeo's
/// oci-archive: transport reads it; a docker-archive is what `docker load`
/// and `podman load` read.
#[derive(clap::Args, Debug)]
pub struct ExportArgs {
    /// The image to export
    image: Image,
    /// The archive to write (replaced when it exists)
    #[arg(value_name = "ARCHIVE")]
    target: String,
    /// The archive's format
    #[arg(long, value_enum, default_value_t = Format::OciArchive)]
    format: Format,
    /// The name a docker-archive gives the image (default: the layout
    /// directory's name, and the tag)
    #[arg(long, value_name = "NAME:TAG", value_parser = parse_repo_tag)]
    repo_tag: Option<String>,
    #[command(flatten)]
    quiet: QuietArg,
}

/// Add the image of a tar archive to a layout
///
/// The layout is created when missing, and the image tagged with the tag
/// of IMAGE. The format is found from the archive's files unless --format
/// says it. Prints the tag, digest and media type of what was added.
#[derive(clap::Args, Debug)]
pub struct ImportArgs {
    /// The archive to read
    #[arg(value_name = "ARCHIVE")]
    source: String,
    /// Where to: the layout and the tag there
    image: Image,
    /// The archive's format (default: found from its files)
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Convert the Docker manifests and configs of a docker-archive to OCI
    /// ones (new digests)
    #[arg(long)]
    to_oci: bool,
    #[command(flatten)]
    quiet: QuietArg,
}

/// The two archive formats.
#[derive(clap::ValueEnum, Clone, Copy, PartialEq, Eq, Debug)]
enum Format {
    OciArchive,
    DockerArchive,
}

/// A docker-archive's `NAME:TAG`, checked as `docker load` would.
fn parse_repo_tag(value: &str) -> Result<String, String> {
    archive::docker::check_reference(value)
        .map(|()| value.to_owned())
        .map_err(|e| e.to_string())
}

pub fn export(args: ExportArgs) -> CmdResult {
    let ExportArgs {
        image,
        target,
        format,
        repo_tag,
        quiet,
    } = args;
    let layout = image.open()?;
    let tag = image.tag.as_str();
    // Check the tag before creating the output file.
    layout.find_tag(tag)?;
    let bar = quiet.bar();
    let options = ExportOptions {
        progress: bar.progress(),
        ..ExportOptions::default()
    };
    let repo_tag = repo_tag.unwrap_or_else(|| default_repo_tag(layout.path(), tag));
    // Written beside the target and renamed over it at the end: a failed
    // export leaves no half-written archive under the name asked for.
    let file = AtomicFile::create(&target)?;
    let out = BufWriter::with_capacity(1 << 20, file);
    let written = match format {
        Format::OciArchive => archive::oci::export(&layout, &Selection::tag(tag), &options, out),
        // A file seeks: each compressed layer is decompressed once.
        Format::DockerArchive => {
            archive::docker::export_seekable(&layout, tag, &repo_tag, None, &options, out)
        }
    }?;
    let file = written
        .into_inner()
        .map_err(|e| Failure(format!("{target}: {}", e.error())))?;
    Ok(file.commit()?)
}

pub fn import(args: ImportArgs) -> CmdResult {
    let ImportArgs {
        source,
        image,
        format,
        to_oci,
        quiet,
    } = args;
    let tag = image.tag.as_str();
    let format = match format {
        Some(f) => f,
        None => detect_format(&source)?,
    };
    let file = File::open(&source).map_err(|e| Failure(format!("{source}: {e}")))?;
    let archive_size = file.metadata().ok().map(|m| m.len());
    let reader = BufReader::with_capacity(1 << 20, file);
    let layout = Layout::open_or_init(&image.layout)?;
    let bar = quiet.bar();
    let options = ImportOptions {
        to_oci,
        progress: bar.progress(),
        archive_size,
        ..ImportOptions::default()
    };
    let imported = match format {
        Format::OciArchive => archive::oci::import(&layout, reader, Some(tag), &options),
        Format::DockerArchive => archive::docker::import(&layout, reader, Some(tag), &options),
    }
    .map_err(|e| match e {
        // The library's error does not know the file.
        ocikit_layout::Error::NotATarArchive { .. } => {
            Failure(format!("{source}: {e}{}", compressed(&source)))
        }
        e => e.into(),
    })?;
    drop(bar);
    if let Some(docker) = imported
        .descriptors
        .iter()
        .find(|d| d.media_type.is_docker())
    {
        eprintln!(
            "oci import: {}",
            crate::remote::docker_note("import", &docker.media_type)
        );
    }
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
    let failed = |e: std::io::Error| Failure(format!("{source}: {e}"));
    let file = File::open(source).map_err(failed)?;
    let mut tar = tar::Archive::new(file);
    let mut found = None;
    for (index, entry) in tar.entries_with_seek().map_err(failed)?.enumerate() {
        let entry = entry.map_err(|e| match index {
            // The tar reader's message may quote the bytes it found.
            0 => Failure(format!(
                "{source}: not a tar archive: no valid tar header at its start{}",
                compressed(source)
            )),
            _ => failed(e),
        })?;
        let name = entry.path_bytes();
        let name = name.strip_prefix(b"./").unwrap_or(&name);
        match name {
            b"oci-layout" => return Ok(Format::OciArchive),
            b"manifest.json" => found = Some(Format::DockerArchive),
            _ => {}
        }
    }
    found.ok_or_else(|| {
        Failure(format!(
            "{source}: neither an oci-archive (no oci-layout file) nor a docker-archive (no manifest.json); say which with --format"
        ))
    })
}

/// `; it is gzip-compressed: decompress it first` when the file starts
/// with the magic number of a compression (RFC 1952 section 2.3.1 for gzip,
/// RFC 8878 section 3.1.1 for zstd), else nothing.
fn compressed(path: &str) -> &'static str {
    let mut start = [0u8; 4];
    let read = File::open(path).and_then(|mut f| std::io::Read::read_exact(&mut f, &mut start));
    match (read, start) {
        (Ok(()), [0x1f, 0x8b, ..]) => "; it is gzip-compressed: decompress it first",
        (Ok(()), [0x28, 0xb5, 0x2f, 0xfd]) => "; it is zstd-compressed: decompress it first",
        _ => "",
    }
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
