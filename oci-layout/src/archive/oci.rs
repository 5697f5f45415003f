//! `oci-archive`: an image layout (image-spec image-layout.md) as one tar,
//! as `skopeo copy ... oci-archive:FILE[:ref]` reads and writes it. The
//! entries are `oci-layout`, `index.json`, `blobs/`, `blobs/<alg>/` and
//! `blobs/<alg>/<encoded>`, at the root of the tar.

use std::collections::{BTreeSet, HashSet};
use std::io::{Read, Write};

use ocikit_image::{Descriptor, Digest, Document, ImageIndex, ImageLayout, Json, MediaType};

use super::{
    Added, ExportOptions, ImportOptions, Imported, Selection, TarOut, add_to_index,
    check_documents, convert, for_each_entry, list_names, reachable, read_small, tagged,
};
use crate::{Error, Layout, MAX_DOCUMENT_SIZE, Result};

const FORMAT: &str = "oci-archive";

/// The largest `oci-layout` file read from an archive.
const LAYOUT_FILE_LIMIT: u64 = 64 * 1024;

/// The largest `index.json` read from an archive.
const INDEX_LIMIT: u64 = 4 * MAX_DOCUMENT_SIZE;

/// Writes an oci-archive of `layout` into `out` and returns `out`.
///
/// With [`Selection::All`] the archive holds every blob of the layout and
/// its `index.json` as it is. With [`Selection::Tag`] it holds only the
/// blobs reachable from that tag's descriptor (through nested indexes,
/// manifests, configs, layers, and subjects that are present), and an
/// `index.json` that lists that one descriptor, tagged with the archive
/// name.
///
/// The tar is deterministic: entries sorted by name (the directories
/// `blobs/` and `blobs/<alg>/` included), every mtime
/// [`ExportOptions::entry_mtime`], uid and gid 0, no user or group
/// names, mode 0644 for files and 0755 for directories. Blobs are copied
/// from verifying readers, so a blob whose content does not match its name
/// aborts the export with an error naming it; `out` then holds a partial
/// tar that should be discarded.
///
/// # Errors
///
/// [`Error::TagNotFound`], [`Error::AmbiguousTag`], [`Error::InvalidTag`]
/// (for the archive name); [`Error::MissingReference`] when a reachable
/// blob is not in the layout; [`Error::Verify`] for a corrupt blob;
/// [`Error::ArchiveIo`] when writing to `out` fails.
pub fn export<W: Write>(
    layout: &Layout,
    selection: &Selection,
    options: &ExportOptions,
    out: W,
) -> Result<W> {
    let mtime = options.entry_mtime()?;
    let (index, blobs) = match selection {
        Selection::All => {
            let index = layout.index()?.bytes().to_vec();
            let mut blobs = Vec::new();
            for digest in layout.list_blobs()? {
                let path = layout.blob_path(&digest);
                let size = std::fs::metadata(&path)
                    .map_err(Error::io("stat", &path))?
                    .len();
                let size = i64::try_from(size).unwrap_or(i64::MAX);
                blobs.push(Descriptor::new(
                    MediaType::Other("application/octet-stream".into()),
                    digest,
                    size,
                ));
            }
            (index, blobs)
        }
        Selection::Tag { tag, rename } => {
            let descriptor = layout.find_tag(tag)?;
            let name = rename.as_deref().unwrap_or(tag);
            let entry = tagged(&descriptor, name)?;
            let blobs = reachable(layout, &[descriptor])?;
            (ImageIndex::new(vec![entry]).to_canonical_json(), blobs)
        }
    };

    let mut entries: Vec<(String, Option<&Descriptor>)> = Vec::new();
    let mut algorithms: BTreeSet<String> = BTreeSet::from(["sha256".to_owned()]);
    for blob in &blobs {
        let algorithm = blob.digest.algorithm();
        algorithms.insert(algorithm.as_str().to_owned());
        entries.push((blob_name(&blob.digest), Some(blob)));
    }
    entries.push(("blobs/".into(), None));
    for algorithm in &algorithms {
        entries.push((format!("blobs/{algorithm}/"), None));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));

    let total = blobs.iter().map(|b| b.size_u64().unwrap_or(0)).sum();
    let mut tar = TarOut::new(out, mtime, options, Some(total));
    for (name, blob) in entries {
        match blob {
            Some(descriptor) => tar.blob(layout, &name, descriptor)?,
            None => tar.dir(&name)?,
        }
    }
    tar.bytes(Layout::INDEX_FILE, &index)?;
    tar.bytes(
        Layout::LAYOUT_FILE,
        &ImageLayout::default().to_canonical_json(),
    )?;
    tar.finish()
}

/// The entry name of a blob: `blobs/<alg>/<encoded>`.
fn blob_name(digest: &Digest) -> String {
    format!("blobs/{}/{}", digest.algorithm().as_str(), digest.encoded())
}

/// Reads an oci-archive from `archive` into `layout` and adds its images
/// to `index.json`.
///
/// The archive is read once, front to back, and never seeks: each blob
/// entry streams straight into the layout and is committed only when its
/// content has the digest its name gives and the size its header gives.
/// `index.json` and `oci-layout` are read into memory (with size limits)
/// and may come anywhere in the tar.
///
/// Then, with `target` `None`, every descriptor of the archive's
/// `index.json` is added to ours, tagged as it was (replacing our
/// descriptors with the same tags). With `target` `Some(TAG)`, one image is
/// added, tagged `TAG`: the archive's only one, or, when it has several,
/// the one whose tag is `TAG`. With [`ImportOptions::to_oci`], Docker
/// manifests and manifest lists among them are converted
/// ([`convert::to_oci`]).
///
/// Before anything is tagged, every blob reachable from what is to be
/// added must be in the layout (from the archive or from before). Blobs
/// the archive brought that nothing added references are removed again,
/// and when the import fails every blob it added is removed and
/// `index.json` is left as it was. See the [module's](super) `# Security`
/// section.
///
/// # Errors
///
/// [`Error::ArchiveEntryRefused`] for an entry name or type that has no
/// place in an image layout; [`Error::ArchiveEntry`] for a blob whose
/// content does not match its name; [`Error::ArchiveFile`] when
/// `index.json` or `oci-layout` is missing or malformed;
/// [`Error::ArchiveSelection`] when `target` picks no image;
/// [`Error::MissingReference`] for a blob in neither the archive nor the
/// layout; [`Error::ArchiveIo`] when the tar cannot be read.
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

fn import_into<R: Read>(
    layout: &Layout,
    archive: R,
    target: Option<&str>,
    options: &ImportOptions,
    added: &mut Added<'_>,
) -> Result<(Vec<Descriptor>, HashSet<Digest>)> {
    let mut index_bytes: Option<Vec<u8>> = None;
    let mut layout_bytes: Option<Vec<u8>> = None;
    for_each_entry(FORMAT, archive, options, |entry, entry_name| {
        let (shown, name) = (&entry_name.shown, &entry_name.name);
        let refused = |reason: String| entry_name.refused(reason);
        let kind = entry.header().entry_type();
        let parts: Vec<&str> = name.split('/').collect();
        if kind.is_dir() {
            match parts.as_slice() {
                [""] | ["blobs"] | ["blobs", _] => return Ok(()),
                _ => {
                    return Err(refused("an image layout has no such directory".into()));
                }
            }
        }
        if !kind.is_file() {
            return Err(refused(format!(
                "only regular files and directories belong in an oci-archive, this entry is of type {kind:?}"
            )));
        }
        match parts.as_slice() {
            ["index.json"] => {
                if index_bytes.is_some() {
                    return Err(refused("index.json appears twice".into()));
                }
                index_bytes = Some(read_small(FORMAT, shown, entry, INDEX_LIMIT)?);
            }
            ["oci-layout"] => {
                if layout_bytes.is_some() {
                    return Err(refused("oci-layout appears twice".into()));
                }
                layout_bytes = Some(read_small(FORMAT, shown, entry, LAYOUT_FILE_LIMIT)?);
            }
            ["blobs", algorithm, encoded] => {
                let digest: Digest = format!("{algorithm}:{encoded}")
                    .parse()
                    .map_err(|e: ocikit_image::Error| refused(format!("not a blob name: {e}")))?;
                let size = i64::try_from(entry.size())
                    .map_err(|_| refused(format!("size {} is out of range", entry.size())))?;
                let expected = Descriptor::new(
                    MediaType::Other("application/octet-stream".into()),
                    digest,
                    size,
                );
                let blob = layout
                    .put_blob_verified(&expected, &mut *entry)
                    .map_err(|source| Error::ArchiveEntry {
                        entry: shown.clone(),
                        source: Box::new(source),
                    })?;
                added.record(&blob);
            }
            _ => {
                return Err(refused(
                    "an image layout has no such file (only oci-layout, index.json and blobs/<alg>/<encoded>)".into(),
                ));
            }
        }
        Ok(())
    })?;

    let missing = |file: &str| Error::ArchiveFile {
        format: FORMAT,
        file: file.into(),
        reason: "the archive has no such file".into(),
    };
    let layout_bytes = layout_bytes.ok_or_else(|| missing(Layout::LAYOUT_FILE))?;
    let header = ImageLayout::from_json(&layout_bytes).map_err(|e| Error::ArchiveFile {
        format: FORMAT,
        file: Layout::LAYOUT_FILE.into(),
        reason: e.to_string(),
    })?;
    if !header.image_layout_version.starts_with("1.") {
        return Err(Error::ArchiveFile {
            format: FORMAT,
            file: Layout::LAYOUT_FILE.into(),
            reason: format!(
                "imageLayoutVersion {:?} is not supported (1.x is)",
                header.image_layout_version
            ),
        });
    }
    let index_bytes = index_bytes.ok_or_else(|| missing(Layout::INDEX_FILE))?;
    let index =
        Document::<ImageIndex>::from_bytes(index_bytes).map_err(|e| Error::ArchiveFile {
            format: FORMAT,
            file: Layout::INDEX_FILE.into(),
            reason: e.to_string(),
        })?;
    // What is selected goes into the layout's index.json, which must stay
    // valid (fsck checks it): a descriptor breaking the spec is refused here.
    index.validate().map_err(|e| Error::ArchiveFile {
        format: FORMAT,
        file: Layout::INDEX_FILE.into(),
        reason: e.to_string(),
    })?;

    let mut selected = select(&index.manifests, target)?;
    // Every reference must resolve, and every document reached must keep
    // the spec, before anything is tagged.
    reachable(layout, &selected)?;
    check_documents(layout, FORMAT, &selected)?;
    if options.to_oci {
        for descriptor in &mut selected {
            *descriptor = convert::convert(layout, descriptor, 0, &mut |blob| added.record(blob))?;
        }
    }
    let keep: HashSet<Digest> = reachable(layout, &selected)?
        .into_iter()
        .map(|d| d.digest)
        .collect();
    added.touch_reused(&keep)?;
    add_to_index(layout, &selected)?;
    Ok((selected, keep))
}

/// The descriptors to add: all of them (no target), the only one, or the
/// one tagged `target`; with a target, tagged `target`.
fn select(manifests: &[Descriptor], target: Option<&str>) -> Result<Vec<Descriptor>> {
    let Some(target) = target else {
        return Ok(manifests.to_vec());
    };
    let available = || {
        list_names(
            manifests
                .iter()
                .map(|d| d.ref_name().unwrap_or(d.digest.as_str())),
        )
    };
    match manifests {
        [] => Err(Error::ArchiveSelection {
            format: FORMAT,
            reason: "index.json lists no image".into(),
            available: available(),
        }),
        [only] => Ok(vec![tagged(only, target)?]),
        several => {
            let named: Vec<&Descriptor> = several
                .iter()
                .filter(|d| d.ref_name() == Some(target))
                .collect();
            match named.as_slice() {
                [one] => Ok(vec![tagged(one, target)?]),
                [] => Err(Error::ArchiveSelection {
                    format: FORMAT,
                    reason: format!(
                        "the archive has {} images and none is tagged {target:?}",
                        several.len()
                    ),
                    available: available(),
                }),
                _ => Err(Error::ArchiveSelection {
                    format: FORMAT,
                    reason: format!("{} images are tagged {target:?}", named.len()),
                    available: available(),
                }),
            }
        }
    }
}
