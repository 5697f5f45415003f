//! Docker schema 2 to OCI: a Docker manifest becomes an OCI image manifest
//! and a manifest list an OCI image index, with each media type rewritten by
//! [`MediaType::to_oci`]. The config and layer bytes stay as they are (the
//! Docker image config and the OCI one share their schema, and the layer
//! formats are the same), so only the manifests and indexes get new digests.

use ocikit_image::{Descriptor, ImageIndex, ImageManifest, Json, MediaType};

use crate::{BlobInfo, Error, Layout, MAX_INDEX_DEPTH, Result};

/// Stores the OCI form of what `descriptor` references and returns its
/// descriptor (annotations and platform kept, media type, digest and size
/// those of the new document).
///
/// A Docker manifest (`application/vnd.docker.distribution.manifest.v2+json`)
/// becomes an OCI image manifest whose config and layer descriptors have
/// the OCI media types; a Docker manifest list, or an OCI index listing
/// Docker manifests, becomes an OCI index of converted entries. Anything
/// else, OCI manifests included, is returned unchanged. Only the new
/// manifests and indexes are stored; nothing is tagged.
///
/// # Errors
///
/// The errors of reading the documents ([`Layout::read_manifest`],
/// [`Layout::read_index`]) and of storing the new ones;
/// [`Error::NestingTooDeep`] for indexes nested deeper than
/// [`MAX_INDEX_DEPTH`].
pub fn to_oci(layout: &Layout, descriptor: &Descriptor) -> Result<Descriptor> {
    convert(layout, descriptor, 0, &mut |_| {})
}

/// [`to_oci`], telling `stored` about every blob it writes.
pub(super) fn convert(
    layout: &Layout,
    descriptor: &Descriptor,
    depth: usize,
    stored: &mut dyn FnMut(&BlobInfo),
) -> Result<Descriptor> {
    if depth > MAX_INDEX_DEPTH {
        return Err(Error::NestingTooDeep {
            what: format!("index {}", descriptor.digest),
            limit: MAX_INDEX_DEPTH,
        });
    }
    match descriptor.media_type {
        MediaType::DockerManifest => {
            let manifest = manifest_to_oci(layout.read_manifest(descriptor)?.value());
            store(
                layout,
                descriptor,
                MediaType::ImageManifest,
                &manifest.to_canonical_json(),
                stored,
            )
        }
        MediaType::DockerManifestList | MediaType::ImageIndex => {
            let original = layout.read_index(descriptor)?;
            let mut entries = Vec::with_capacity(original.manifests.len());
            for entry in &original.manifests {
                entries.push(convert(layout, entry, depth + 1, stored)?);
            }
            match index_to_oci(descriptor, original.value(), entries) {
                None => Ok(descriptor.clone()),
                Some(index) => store(
                    layout,
                    descriptor,
                    MediaType::ImageIndex,
                    &index.to_canonical_json(),
                    stored,
                ),
            }
        }
        _ => Ok(descriptor.clone()),
    }
}

/// The OCI form of a Docker schema 2 manifest: the manifest's, config's
/// and layers' media types rewritten by [`MediaType::to_oci`], everything
/// else kept. For a caller converting documents it holds in memory (a
/// registry pull) rather than stored ones ([`to_oci`]).
pub fn manifest_to_oci(manifest: &ImageManifest) -> ImageManifest {
    let mut manifest = manifest.clone();
    manifest.media_type = Some(MediaType::ImageManifest);
    manifest.config.media_type = manifest.config.media_type.to_oci();
    for layer in &mut manifest.layers {
        layer.media_type = layer.media_type.to_oci();
    }
    manifest
}

/// The OCI form of the manifest list or index `descriptor` names, whose
/// entries, converted already, are `entries` (in the same order); `None`
/// when it is an OCI index that this leaves unchanged.
pub fn index_to_oci(
    descriptor: &Descriptor,
    index: &ImageIndex,
    entries: Vec<Descriptor>,
) -> Option<ImageIndex> {
    let mut converted = index.clone();
    converted.manifests = entries;
    converted.media_type = Some(MediaType::ImageIndex);
    if descriptor.media_type == MediaType::ImageIndex && converted == *index {
        return None;
    }
    Some(converted)
}

/// `original` (annotations and platform kept) pointing at the blob `new`
/// describes instead (its media type, digest and size).
pub fn converted_descriptor(original: &Descriptor, new: Descriptor) -> Descriptor {
    Descriptor {
        media_type: new.media_type,
        digest: new.digest,
        size: new.size,
        data: None,
        ..original.clone()
    }
}

/// Stores `bytes` and returns `original` pointing at them instead.
fn store(
    layout: &Layout,
    original: &Descriptor,
    media_type: MediaType,
    bytes: &[u8],
    stored: &mut dyn FnMut(&BlobInfo),
) -> Result<Descriptor> {
    use std::io::Write;
    let mut writer = layout.blob_writer()?;
    writer
        .write_all(bytes)
        .map_err(Error::io("write", layout.blobs_path()))?;
    let blob = writer.commit()?;
    stored(&blob);
    Ok(converted_descriptor(original, blob.descriptor(media_type)))
}
