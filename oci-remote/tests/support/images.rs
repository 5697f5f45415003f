//! Small images built in a layout: gzip-compressed layers of pseudo-random
//! bytes (no peer looks inside them; compressed, so skopeo keeps them), a config with one diff ID per
//! layer, a manifest, and indexes of several platforms.

use ocikit_image::{Descriptor, ImageConfiguration, ImageIndex, ImageManifest, Platform};
use ocikit_layout::Layout;
use ocikit_layout::codec::Codec;

/// `len` bytes from a small generator seeded with `seed`.
pub fn random(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

/// A manifest for `platform` with layers of `sizes` bytes, stored in
/// `layout` (not tagged); its descriptor carries the platform.
pub fn manifest(layout: &Layout, platform: &str, sizes: &[usize], seed: u64) -> Descriptor {
    let platform: Platform = platform.parse().unwrap();
    let mut config = ImageConfiguration::for_platform(&platform);
    let mut layers = Vec::new();
    for (i, size) in sizes.iter().enumerate() {
        let content = random(*size, seed * 100 + i as u64);
        let layer = layout.put_layer(&content[..], Codec::gzip()).unwrap();
        config.rootfs.diff_ids.push(layer.diff_id);
        layers.push(layer.descriptor);
    }
    let manifest = ImageManifest {
        config: layout.put_json(&config).unwrap(),
        layers,
        ..Default::default()
    };
    layout.put_json(&manifest).unwrap().with_platform(platform)
}

/// A one-platform image tagged `tag`.
pub fn image(layout: &Layout, tag: &str, sizes: &[usize], seed: u64) -> Descriptor {
    let descriptor = manifest(layout, "linux/amd64", sizes, seed);
    layout.tag(tag, &descriptor).unwrap();
    descriptor
}

/// An index of linux/amd64 and linux/arm64 images tagged `tag`.
pub fn multi_platform(layout: &Layout, tag: &str, seed: u64) -> Descriptor {
    let amd64 = manifest(layout, "linux/amd64", &[3000, 5000], seed);
    let arm64 = manifest(layout, "linux/arm64/v8", &[4000], seed + 1);
    let index = ImageIndex::new(vec![amd64, arm64]);
    let descriptor = layout.put_json(&index).unwrap();
    layout.tag(tag, &descriptor).unwrap();
    descriptor
}
