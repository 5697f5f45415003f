//! Image layouts for tests (image-spec image-layout.md): small images
//! built in memory with our own store, and a layout made by umoci.

use std::path::{Path, PathBuf};

use ocikit_image::{Descriptor, ImageConfiguration, ImageManifest, Platform};
use ocikit_layout::codec::Codec;
use ocikit_layout::{Layout, StoredLayer};

use crate::peers;

/// An uncompressed tar holding `files` (name, content), in the order
/// given: regular files with mode 0644, uid/gid 0 and mtime 0, and, for a
/// name that ends with `/`, a directory with mode 0755.
pub fn layer_tar(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, content) in files {
        let mut header = tar::Header::new_ustar();
        if name.ends_with('/') {
            header.set_entry_type(tar::EntryType::Directory);
            header.set_mode(0o755);
            header.set_size(0);
        } else {
            header.set_entry_type(tar::EntryType::Regular);
            header.set_mode(0o644);
            header.set_size(content.len() as u64);
        }
        header.set_mtime(0);
        builder.append_data(&mut header, name, *content).unwrap();
    }
    builder.into_inner().unwrap()
}

/// Stores an image with `layers` (uncompressed tars, stored as they are)
/// for linux/amd64 and tags it `tag`; returns the manifest's descriptor.
pub fn build_image(layout: &Layout, tag: &str, layers: &[Vec<u8>]) -> Descriptor {
    build_image_with(layout, tag, layers, Codec::None)
}

/// Like [`build_image`], with the layers compressed by `codec`.
pub fn build_image_with(
    layout: &Layout,
    tag: &str,
    layers: &[Vec<u8>],
    codec: Codec,
) -> Descriptor {
    let stored: Vec<StoredLayer> = layers
        .iter()
        .map(|layer| layout.put_layer(&layer[..], codec).unwrap())
        .collect();
    image_of(layout, tag, &stored)
}

/// Stores the manifest and config of a linux/amd64 image of `layers`
/// (stored already) and tags it `tag`; returns the manifest's descriptor.
pub fn image_of(layout: &Layout, tag: &str, layers: &[StoredLayer]) -> Descriptor {
    let platform: Platform = "linux/amd64".parse().unwrap();
    let mut config = ImageConfiguration::for_platform(&platform);
    let mut manifest = ImageManifest::default();
    for layer in layers {
        config.rootfs.diff_ids.push(layer.diff_id.clone());
        manifest.layers.push(layer.descriptor.clone());
    }
    manifest.config = layout.put_json(&config).unwrap();
    let descriptor = layout.put_json(&manifest).unwrap().with_platform(platform);
    layout.tag(tag, &descriptor).unwrap();
    descriptor
}

/// A one-layer image whose file content includes `seed`, so that images
/// built with different seeds share no blob but the empty-config parts.
pub fn small_image(layout: &Layout, tag: &str, seed: &str) -> Descriptor {
    let content = format!("hello from {seed}\n");
    build_image(
        layout,
        tag,
        &[layer_tar(&[("hello.txt", content.as_bytes())])],
    )
}

/// A layout made by umoci under `dir` (its path returned): `umoci init`,
/// an empty image tagged `base`, and `layered`, which adds the file
/// `/greeting` ("from umoci\n") through a rootless unpack and a repack.
/// The caller checks that umoci is installed ([`peers::require_tool`]).
pub fn umoci_layered(dir: &Path) -> PathBuf {
    let layout = dir.join("umoci");
    let p = layout.to_str().unwrap();
    let base = format!("{p}:base");
    peers::umoci(&["init", "--layout", p]);
    peers::umoci(&["new", "--image", &base]);
    let bundle = dir.join("bundle");
    let b = bundle.to_str().unwrap();
    peers::umoci(&["unpack", "--rootless", "--image", &base, b]);
    std::fs::write(bundle.join("rootfs/greeting"), b"from umoci\n").unwrap();
    peers::umoci(&["repack", "--image", &format!("{p}:layered"), b]);
    layout
}

/// Whether `err` is a compare-and-swap refusal ([`ocikit_layout::Error::TagChanged`])
/// of the tag `tag`, which was expected to name `expected` and was found
/// naming `found`: what the loser of two concurrent edits of one tag gets.
pub fn is_tag_changed(
    err: &ocikit_layout::Error,
    tag: &str,
    expected: &ocikit_image::Digest,
    found: &ocikit_image::Digest,
) -> bool {
    matches!(
        err,
        ocikit_layout::Error::TagChanged { name, expected: e, found: f }
            if name == tag && e.as_ref() == Some(expected) && f.as_ref() == Some(found)
    )
}
