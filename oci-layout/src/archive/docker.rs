//! `docker-archive`: the tar `docker save` writes and `docker load` reads
//! (also `skopeo copy ... docker-archive:FILE`). A `manifest.json` lists
//! each image as its config file, its `RepoTags` and its layer files, each
//! layer an uncompressed tar whose sha256 is the config's diff_id for it.
//! Export writes one image; import reads any of the layouts Docker and
//! skopeo write (`<id>/layer.tar`, `<hex>.tar`, `blobs/sha256/<hex>`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{self, Read, Seek, Write};

use ocikit_image::media_type::Compression;
use ocikit_image::{Descriptor, Digest, ImageManifest, Json, MediaType, Platform};
use serde::{Deserialize, Serialize};

use super::{
    Added, ExportOptions, ImportOptions, Imported, TarOut, add_to_index, check_documents,
    clean_name, for_each_entry, list_names, reachable, read_small, shown_name, tagged,
};
use crate::codec::{self, Codec};
use crate::{BlobInfo, BlobReader, Error, Layout, MAX_DOCUMENT_SIZE, Result};

const FORMAT: &str = "docker-archive";

/// The name of the file that lists the images of a docker-archive.
pub const MANIFEST_FILE: &str = "manifest.json";

/// How many symbolic or hard links import follows from one name.
const MAX_LINKS: usize = 16;

/// One image in `manifest.json`.
#[derive(Debug, Serialize, Deserialize)]
struct ManifestEntry {
    /// The config file's name in the archive.
    #[serde(rename = "Config")]
    config: String,
    /// The `name:tag` references of the image; `null` in some archives.
    #[serde(rename = "RepoTags", default)]
    repo_tags: Option<Vec<String>>,
    /// The layer files' names, base layer first.
    #[serde(rename = "Layers")]
    layers: Vec<String>,
}

/// Writes a docker-archive of the image tagged `tag` (resolved for
/// `platform`, the host's when `None`) into `out`, named `repo_tag`, and
/// returns `out`.
///
/// The archive holds, in this (sorted) order:
///
/// - `<hex>.json`: the image config, its exact bytes, named by their sha256;
/// - `<hex>.tar` for each distinct layer: the uncompressed layer tar, named
///   by its diff_id;
/// - `manifest.json`:
///   `[{"Config":"<hex>.json","RepoTags":["name:tag"],"Layers":["<hex>.tar",...]}]`.
///
/// Entries are deterministic as in [`oci::export`](super::oci::export).
/// The legacy `repositories` file and per-layer `json`/`VERSION` files are
/// not written; `docker load` and skopeo read `manifest.json`.
///
/// Layers are uncompressed in a docker-archive: an uncompressed layer is
/// copied as it is (its digest must be its diff_id); a gzip or zstd layer
/// is decompressed twice, streaming, once to learn its size (a tar header
/// comes before the content) and check its diff_id, once into the archive.
/// [`export_seekable`] decompresses it once, into a file.
///
/// # Errors
///
/// [`Error::InvalidDockerReference`] when `repo_tag` is not `name:tag`;
/// the errors of [`Layout::resolve`] and [`Layout::read_config`];
/// [`Error::DiffIdMismatch`] when a layer is not what the config says;
/// [`Error::LayerCodec`] for a compression this build cannot read or a
/// corrupt stream; [`Error::Verify`] for a corrupt blob;
/// [`Error::ArchiveIo`] when writing to `out` fails.
pub fn export<W: Write>(
    layout: &Layout,
    tag: &str,
    repo_tag: &str,
    platform: Option<&Platform>,
    options: &ExportOptions,
    out: W,
) -> Result<W> {
    export_with(layout, tag, repo_tag, platform, options, out, None)
}

/// [`export`] into an output that can seek back (a file): each gzip or
/// zstd layer is decompressed once, not twice. Its entry's header is
/// written with size 0, the content streams after it while its diff_id is
/// computed, and the header is written again, with the size, once the
/// content is complete. The archive is the same, byte for byte, as
/// [`export`] writes; it is written from `out`'s position when the call
/// is made.
///
/// A layer whose content is not its diff_id is found only once its entry
/// is written: the error comes then, and `out` holds a partial archive
/// that should be discarded (as after any failed export).
///
/// Progress reports no byte total when a layer is compressed (its size is
/// only known once it is written).
///
/// # Errors
///
/// As for [`export`]; [`Error::ArchiveIo`] also when seeking `out` fails.
pub fn export_seekable<W: Write + Seek>(
    layout: &Layout,
    tag: &str,
    repo_tag: &str,
    platform: Option<&Platform>,
    options: &ExportOptions,
    out: W,
) -> Result<W> {
    let stream: StreamLayer<'_, W> = &|tar, name, layer, diff_id, index| {
        let decoder = layer_decoder(layout, layer)?;
        let hashing =
            codec::HashingReader::new(decoder, &diff_id.algorithm()).map_err(|source| {
                Error::LayerCodec {
                    digest: layer.digest.clone(),
                    source,
                }
            })?;
        let hashing = tar.unsized_entry(name, hashing, |e| {
            codec_error(layout, layer, index, codec::CodecError::Io(e))
        })?;
        let (_, found, _) = hashing.finish();
        codec::check_diff_id(diff_id, &found).map_err(|e| codec_error(layout, layer, index, e))
    };
    export_with(layout, tag, repo_tag, platform, options, out, Some(stream))
}

/// Writes one compressed layer whose uncompressed size is not known yet as
/// the entry `name`, checking its diff_id; `usize` is the layer's position.
type StreamLayer<'a, W> =
    &'a dyn Fn(&mut TarOut<W>, &str, &Descriptor, &Digest, usize) -> Result<()>;

/// The longest entry name a ustar header holds without a prefix or an
/// extension header: the only names [`TarOut::unsized_entry`] writes.
const USTAR_NAME: usize = 100;

fn export_with<W: Write>(
    layout: &Layout,
    tag: &str,
    repo_tag: &str,
    platform: Option<&Platform>,
    options: &ExportOptions,
    out: W,
    stream: Option<StreamLayer<'_, W>>,
) -> Result<W> {
    check_reference(repo_tag)?;
    let mtime = options.entry_mtime()?;
    let resolved = layout.resolve(tag, platform)?;
    let manifest = &resolved.manifest;
    let config = layout.read_config(&manifest.config)?;
    let config_digest = Digest::sha256(config.bytes());
    let config_name = format!("{}.json", config_digest.encoded());
    let diff_ids = &config.rootfs.diff_ids;
    if diff_ids.len() != manifest.layers.len() {
        return Err(Error::ArchiveFile {
            format: FORMAT,
            file: format!("config {}", manifest.config.digest),
            reason: format!(
                "{} diff_ids for the {} layers of manifest {}",
                diff_ids.len(),
                manifest.layers.len(),
                resolved.descriptor.digest
            ),
        });
    }

    let mut layer_names = Vec::new();
    // Each distinct layer by entry name, with its uncompressed size when
    // it is known before it is written.
    let mut layers: BTreeMap<String, Planned<'_>> = BTreeMap::new();
    for (index, (layer, diff_id)) in manifest.layers.iter().zip(diff_ids).enumerate() {
        let name = format!("{}.tar", diff_id.encoded());
        layer_names.push(name.clone());
        if layers.contains_key(&name) {
            continue;
        }
        let compression =
            codec::compression_of(&layer.media_type).map_err(|source| Error::LayerCodec {
                digest: layer.digest.clone(),
                source,
            })?;
        let size = if compression == Compression::None {
            if layer.digest != *diff_id {
                return Err(Error::DiffIdMismatch {
                    index,
                    layer: layer.digest.to_string(),
                    found: layer.digest.clone(),
                    expected: diff_id.clone(),
                });
            }
            Some(layer.size_u64()?)
        } else if stream.is_some() && name.len() <= USTAR_NAME {
            None
        } else {
            Some(uncompressed_size(layout, layer, diff_id, index)?)
        };
        layers.insert(
            name,
            Planned {
                layer,
                diff_id,
                index,
                size,
            },
        );
    }
    let index = vec![ManifestEntry {
        config: config_name.clone(),
        repo_tags: Some(vec![repo_tag.to_owned()]),
        layers: layer_names,
    }];
    let index = serde_json::to_vec(&index).map_err(|e| Error::ArchiveIo {
        action: "write",
        entry: Some(MANIFEST_FILE.into()),
        source: io::Error::other(e),
    })?;

    // `<hex>.json` and `<hex>.tar` sort among themselves; `manifest.json`
    // sorts after every hex name.
    let total = layers
        .values()
        .try_fold(config.bytes().len() as u64, |sum, p| Some(sum + p.size?));
    let mut tar = TarOut::new(out, mtime, options, total);
    let mut config_written = false;
    for (name, planned) in &layers {
        if !config_written && config_name < *name {
            tar.bytes(&config_name, config.bytes())?;
            config_written = true;
        }
        let layer = planned.layer;
        let size = match (planned.size, stream) {
            (Some(size), _) => size,
            (None, Some(stream)) => {
                stream(&mut tar, name, layer, planned.diff_id, planned.index)?;
                continue;
            }
            (None, None) => uncompressed_size(layout, layer, planned.diff_id, planned.index)?,
        };
        let tar_stream = layer_decoder(layout, layer)?;
        tar.reader(name, size, tar_stream, || layout.blob_path(&layer.digest))?;
    }
    if !config_written {
        tar.bytes(&config_name, config.bytes())?;
    }
    tar.bytes(MANIFEST_FILE, &index)?;
    tar.finish()
}

/// The uncompressed size of a compressed layer, found by decompressing
/// it, which checks its diff_id too: a tar header needs the size before
/// the content, so without a seekable output each such layer is
/// decompressed twice, to count and into the archive.
fn uncompressed_size(
    layout: &Layout,
    layer: &Descriptor,
    diff_id: &Digest,
    index: usize,
) -> Result<u64> {
    let blob = layout.open_blob(layer)?;
    let stats = codec::verify_diff_id(blob, &layer.media_type, diff_id)
        .map_err(|e| codec_error(layout, layer, index, e))?;
    Ok(stats.uncompressed_size)
}

/// One distinct layer of a docker-archive export.
struct Planned<'a> {
    layer: &'a Descriptor,
    diff_id: &'a Digest,
    /// Its position in the manifest (the first, when it is there twice).
    index: usize,
    /// The uncompressed size, when known before it is written.
    size: Option<u64>,
}

/// A codec error about layer `index` as this crate's error: a diff_id
/// mismatch or a corrupt blob as such, anything else as [`Error::LayerCodec`].
fn codec_error(layout: &Layout, layer: &Descriptor, index: usize, err: codec::CodecError) -> Error {
    match err {
        codec::CodecError::DiffIdMismatch { expected, found } => Error::DiffIdMismatch {
            index,
            layer: layer.digest.to_string(),
            found,
            expected,
        },
        codec::CodecError::Io(e) if ocikit_image::digester::io_error_cause(&e).is_some() => {
            Error::from_blob_read(layout.blob_path(&layer.digest), e)
        }
        source => Error::LayerCodec {
            digest: layer.digest.clone(),
            source,
        },
    }
}

/// Checks that `reference` is a Docker reference with a tag:
/// `[host[:port]/]path:tag`, path components of lowercase letters and
/// digits joined by `.`, `_`, `__` or dashes, the tag 1 to 128 of
/// `[A-Za-z0-9_.-]` not starting with `.` or `-`.
///
/// # Errors
///
/// [`Error::InvalidDockerReference`] saying what is wrong.
pub fn check_reference(reference: &str) -> Result<()> {
    let invalid = |reason: &'static str| Error::InvalidDockerReference {
        reference: reference.into(),
        reason,
    };
    if reference.contains('@') {
        return Err(invalid(
            "a docker-archive names an image by name:tag, not by digest",
        ));
    }
    let slash = reference.rfind('/').map_or(0, |i| i + 1);
    let Some(colon) = reference.rfind(':').filter(|&i| i >= slash) else {
        return Err(invalid("it has no tag (expected name:tag)"));
    };
    let (name, tag) = (&reference[..colon], &reference[colon + 1..]);
    let tag_ok = !tag.is_empty()
        && tag.len() <= 128
        && !tag.starts_with(['.', '-'])
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-');
    if !tag_ok {
        return Err(invalid(
            "the tag must be 1 to 128 of A-Z a-z 0-9 _ . - and not start with . or -",
        ));
    }
    if name.is_empty() || name.len() > 255 {
        return Err(invalid("the name must be 1 to 255 characters"));
    }
    let mut components: Vec<&str> = name.split('/').collect();
    if components.len() > 1 {
        let first = components[0];
        if first.contains(['.', ':']) || first == "localhost" {
            let (host, port) = first.split_once(':').unwrap_or((first, ""));
            let host_ok = !host.is_empty()
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
            let port_ok = port.bytes().all(|b| b.is_ascii_digit())
                && (port.is_empty() != first.contains(':'));
            if !host_ok || !port_ok {
                return Err(invalid("the registry host must be host[:port]"));
            }
            components.remove(0);
        }
    }
    for component in components {
        if !is_path_component(component) {
            return Err(invalid(
                "each name component must be lowercase letters and digits, joined by . _ __ or dashes",
            ));
        }
    }
    Ok(())
}

/// `[a-z0-9]+(?:(?:[._]|__|[-]*)[a-z0-9]+)*`
fn is_path_component(component: &str) -> bool {
    let bytes = component.as_bytes();
    let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if !bytes.first().is_some_and(alnum) || !bytes.last().is_some_and(alnum) {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        if alnum(&bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && !alnum(&bytes[i]) {
            i += 1;
        }
        let separator = &component[start..i];
        let ok = separator == "."
            || separator == "_"
            || separator == "__"
            || separator.bytes().all(|b| b == b'-');
        if !ok {
            return false;
        }
    }
    true
}

/// Reads a docker-archive from `archive` into `layout` and tags its
/// images.
///
/// The archive is read once, front to back (`manifest.json` often comes
/// last): each regular file streams into the layout as a sha256 blob as it
/// passes, links are remembered, and then `manifest.json` says which files
/// are configs and layers. Each image becomes a manifest: a Docker schema 2
/// manifest with Docker media types, or with [`ImportOptions::to_oci`] an
/// OCI image manifest (`application/vnd.oci.image.config.v1+json` for the
/// same config bytes, `application/vnd.oci.image.layer.v1.tar` layers).
/// With [`ImportOptions::compress_layers`] the layers are stored
/// compressed (a second streaming pass over each stored tar), and the
/// uncompressed copies are not kept. The descriptor in `index.json`
/// carries the config's platform.
///
/// With `target` `None`, each image is tagged with each of its `RepoTags`
/// (untagged when it has none). With `target` `Some(TAG)`, one image is
/// imported, tagged `TAG`: the archive's only one, or the one with `TAG`
/// among its `RepoTags`.
///
/// Every layer's sha256 must be its config's diff_id. Files that no
/// imported image uses (the legacy `repositories`, `<id>/json`,
/// `<id>/VERSION`, other images' files) are not kept; when the import fails
/// every blob it added is removed and `index.json` is left as it was.
///
/// # Errors
///
/// [`Error::ArchiveEntryRefused`] for an unsafe entry name, a link leaving
/// the archive or an entry type other than file, directory or link;
/// [`Error::ArchiveFile`] when `manifest.json` is missing, malformed or
/// names a file the archive lacks; [`Error::DiffIdMismatch`];
/// [`Error::ArchiveSelection`] when `target` picks no image;
/// [`Error::InvalidTag`] for a tag that is not a valid ref name;
/// [`Error::ArchiveIo`] when the tar cannot be read.
pub fn import<R: Read>(
    layout: &Layout,
    archive: R,
    target: Option<&str>,
    options: &ImportOptions,
) -> Result<Imported> {
    Added::run(layout, |added| {
        import_into(layout, archive, target, options, added)
    })
}

/// The files of an archive as stored: regular files by name, and links.
#[derive(Default)]
struct Files {
    blobs: HashMap<String, BlobInfo>,
    links: HashMap<String, String>,
}

impl Files {
    /// The blob stored for `name`, following links.
    fn get(&self, name: &str) -> Result<&BlobInfo> {
        let missing = |reason: String| Error::ArchiveFile {
            format: FORMAT,
            file: MANIFEST_FILE.into(),
            reason,
        };
        let mut current =
            clean_name(name.as_bytes()).map_err(|e| missing(format!("it names {name:?}: {e}")))?;
        for _ in 0..=MAX_LINKS {
            if let Some(blob) = self.blobs.get(&current) {
                return Ok(blob);
            }
            match self.links.get(&current) {
                Some(next) => current = next.clone(),
                None => {
                    return Err(missing(format!(
                        "it names {name:?}, which the archive does not have as a file"
                    )));
                }
            }
        }
        Err(missing(format!(
            "{name:?} goes through more than {MAX_LINKS} links"
        )))
    }
}

/// Files of the legacy format (and of the OCI layout Docker 25 puts beside
/// `manifest.json`) that import does not use.
fn is_unused_metadata(name: &str) -> bool {
    matches!(name, "repositories" | "index.json" | "oci-layout")
        || name.ends_with("/json")
        || name.ends_with("/VERSION")
}

fn import_into<R: Read>(
    layout: &Layout,
    archive: R,
    target: Option<&str>,
    options: &ImportOptions,
    added: &mut Added<'_>,
) -> Result<(Vec<Descriptor>, HashSet<Digest>)> {
    let mut files = Files::default();
    let mut manifest_bytes: Option<Vec<u8>> = None;
    for_each_entry(FORMAT, archive, options, |entry, entry_name| {
        let (shown, name) = (&entry_name.shown, entry_name.name.clone());
        let refused = |reason: String| entry_name.refused(reason);
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            return Ok(());
        }
        if kind.is_file() {
            if name == MANIFEST_FILE {
                if manifest_bytes.is_some() {
                    return Err(refused("manifest.json appears twice".into()));
                }
                manifest_bytes = Some(read_small(FORMAT, shown, entry, MAX_DOCUMENT_SIZE)?);
            } else if !is_unused_metadata(&name) {
                let mut writer = layout.blob_writer()?;
                io::copy(entry, &mut writer).map_err(|source| Error::ArchiveIo {
                    action: "read",
                    entry: Some(shown.clone()),
                    source,
                })?;
                let blob = writer.commit()?;
                added.record(&blob);
                files.links.remove(&name);
                files.blobs.insert(name, blob);
            }
            return Ok(());
        }
        let link = entry
            .link_name_bytes()
            .map(|l| l.into_owned())
            .ok_or_else(|| refused("a link without a target".into()))?;
        let resolved = if kind.is_symlink() {
            resolve_symlink(&name, &link)
        } else if kind.is_hard_link() {
            clean_name(&link)
        } else {
            return Err(refused(format!(
                "only files, directories and links belong in a docker-archive, this entry is of type {kind:?}"
            )));
        };
        let resolved =
            resolved.map_err(|e| refused(format!("link to {:?}: {e}", shown_name(&link))))?;
        files.blobs.remove(&name);
        files.links.insert(name, resolved);
        Ok(())
    })?;

    let manifest_bytes = manifest_bytes.ok_or_else(|| Error::ArchiveFile {
        format: FORMAT,
        file: MANIFEST_FILE.into(),
        reason: "the archive has no such file".into(),
    })?;
    let images: Vec<ManifestEntry> =
        serde_json::from_slice(&manifest_bytes).map_err(|e| Error::ArchiveFile {
            format: FORMAT,
            file: MANIFEST_FILE.into(),
            reason: e.to_string(),
        })?;

    let mut descriptors = Vec::new();
    for (image, tags) in select(&images, target)? {
        let manifest = image_manifest(layout, &files, image, options, added)?;
        if tags.is_empty() {
            descriptors.push(manifest.clone());
        }
        for tag in tags {
            descriptors.push(tagged(&manifest, tag)?);
        }
    }
    let keep: HashSet<Digest> = reachable(layout, &descriptors)?
        .into_iter()
        .map(|d| d.digest)
        .collect();
    check_documents(layout, FORMAT, &descriptors)?;
    added.touch_reused(&keep)?;
    add_to_index(layout, &descriptors)?;
    Ok((descriptors, keep))
}

/// The images to import, each with the tags to give it.
fn select<'a>(
    images: &'a [ManifestEntry],
    target: Option<&'a str>,
) -> Result<Vec<(&'a ManifestEntry, Vec<&'a str>)>> {
    let tags = |image: &'a ManifestEntry| -> Vec<&'a str> {
        image
            .repo_tags
            .iter()
            .flatten()
            .map(String::as_str)
            .collect()
    };
    let Some(target) = target else {
        return Ok(images.iter().map(|image| (image, tags(image))).collect());
    };
    let available = || {
        list_names(images.iter().flat_map(|image| {
            let names = tags(image);
            if names.is_empty() {
                vec![image.config.as_str()]
            } else {
                names
            }
        }))
    };
    match images {
        [] => Err(Error::ArchiveSelection {
            format: FORMAT,
            reason: "manifest.json lists no image".into(),
            available: available(),
        }),
        [only] => Ok(vec![(only, vec![target])]),
        several => {
            let named: Vec<&ManifestEntry> = several
                .iter()
                .filter(|image| tags(image).contains(&target))
                .collect();
            match named.as_slice() {
                [one] => Ok(vec![(*one, vec![target])]),
                [] => Err(Error::ArchiveSelection {
                    format: FORMAT,
                    reason: format!(
                        "the archive has {} images and none has the RepoTag {target:?}",
                        several.len()
                    ),
                    available: available(),
                }),
                _ => Err(Error::ArchiveSelection {
                    format: FORMAT,
                    reason: format!("{} images have the RepoTag {target:?}", named.len()),
                    available: available(),
                }),
            }
        }
    }
}

/// Builds and stores the manifest of one image of the archive; returns its
/// descriptor, with the config's platform.
fn image_manifest(
    layout: &Layout,
    files: &Files,
    image: &ManifestEntry,
    options: &ImportOptions,
    added: &mut Added<'_>,
) -> Result<Descriptor> {
    let (manifest_type, config_type, layer_type) = if options.to_oci {
        (
            MediaType::ImageManifest,
            MediaType::ImageConfig,
            MediaType::ImageLayer,
        )
    } else {
        (
            MediaType::DockerManifest,
            MediaType::DockerConfig,
            MediaType::DockerLayer,
        )
    };
    let config = files.get(&image.config)?.descriptor(config_type);
    let parsed = layout
        .read_config(&config)
        .map_err(|source| Error::ArchiveEntry {
            entry: image.config.clone(),
            source: Box::new(source),
        })?;
    let diff_ids = &parsed.rootfs.diff_ids;
    if diff_ids.len() != image.layers.len() {
        return Err(Error::ArchiveFile {
            format: FORMAT,
            file: MANIFEST_FILE.into(),
            reason: format!(
                "{} layers for {}, whose config has {} diff_ids",
                image.layers.len(),
                image.config,
                diff_ids.len()
            ),
        });
    }
    let mut layers = Vec::new();
    for (index, (name, diff_id)) in image.layers.iter().zip(diff_ids).enumerate() {
        let blob = files.get(name)?;
        if blob.digest != *diff_id {
            return Err(Error::DiffIdMismatch {
                index,
                layer: name.clone(),
                found: blob.digest.clone(),
                expected: diff_id.clone(),
            });
        }
        let layer = blob.descriptor(layer_type.clone());
        let layer = match options.compress_layers {
            Some(codec @ (Codec::Gzip { .. } | Codec::Zstd { .. })) => {
                compress_layer(layout, &layer, index, codec, options.to_oci, added)?
            }
            Some(Codec::None) | None => layer,
        };
        layers.push(layer);
    }
    let manifest = ImageManifest {
        media_type: Some(manifest_type.clone()),
        config,
        layers,
        ..Default::default()
    };
    let mut writer = layout.blob_writer()?;
    writer
        .write_all(&manifest.to_canonical_json())
        .map_err(Error::io("write", layout.blobs_path()))?;
    let blob = writer.commit()?;
    added.record(&blob);
    Ok(blob
        .descriptor(manifest_type)
        .with_platform(parsed.platform()))
}

/// Stores layer `index` (an uncompressed blob) compressed with `codec` and
/// returns the compressed blob's descriptor, with an OCI or a Docker layer
/// media type.
fn compress_layer(
    layout: &Layout,
    layer: &Descriptor,
    index: usize,
    codec: Codec,
    to_oci: bool,
    added: &mut Added<'_>,
) -> Result<Descriptor> {
    let tar = layout.open_blob(layer)?;
    let (writer, _) = codec::compress(
        tar,
        layout.blob_writer()?,
        codec,
        &ocikit_image::Algorithm::Sha256,
    )
    .map_err(|e| codec_error(layout, layer, index, e))?;
    let blob = writer.commit()?;
    added.record(&blob);
    let media_type = match (to_oci, codec.compression()) {
        (true, _) => codec.layer_media_type(),
        (false, Compression::Zstd) => MediaType::DockerLayerZstd,
        (false, _) => MediaType::DockerLayerGzip,
    };
    Ok(blob.descriptor(media_type))
}

/// Where a symbolic link at `name` pointing to `target` leads, as an
/// archive name; an absolute target or one that leaves the archive is
/// refused.
fn resolve_symlink(name: &str, target: &[u8]) -> std::result::Result<String, String> {
    let target = std::str::from_utf8(target).map_err(|_| "the target is not UTF-8".to_owned())?;
    if target.starts_with('/') {
        return Err("absolute link targets are refused".into());
    }
    let mut parts: Vec<&str> = name.split('/').collect();
    parts.pop();
    for component in target.split('/') {
        match component {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err("the target leaves the archive".into());
                }
            }
            c => parts.push(c),
        }
    }
    if parts.is_empty() {
        return Err("the target is the archive's root".into());
    }
    Ok(parts.join("/"))
}

/// The uncompressed tar stream of the layer blob `layer`, read verified.
fn layer_decoder(layout: &Layout, layer: &Descriptor) -> Result<codec::Decoder<BlobReader>> {
    let blob = layout.open_blob(layer)?;
    codec::Decoder::for_media_type(blob, &layer.media_type).map_err(|source| Error::LayerCodec {
        digest: layer.digest.clone(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references() {
        for good in [
            "foo:1",
            "foo/bar:v1",
            "docker.io/library/busybox:latest",
            "localhost:5000/a/b-c__d.e:1.0_x",
            "localhost/x:y",
        ] {
            assert!(check_reference(good).is_ok(), "{good}");
        }
        for bad in [
            "foo",
            "Foo:1",
            "foo:",
            "foo:-x",
            "foo@sha256:00",
            "foo/:x",
            "a_-b:x",
            "host:port/x:y",
            ":x",
        ] {
            assert!(check_reference(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn symlinks() {
        assert_eq!(
            resolve_symlink("abc/layer.tar", b"../def.tar").as_deref(),
            Ok("def.tar")
        );
        assert_eq!(resolve_symlink("a/b", b"c").as_deref(), Ok("a/c"));
        assert!(resolve_symlink("abc/layer.tar", b"../../x").is_err());
        assert!(resolve_symlink("x", b"/etc/passwd").is_err());
    }
}
