//! Shared helpers for the oci-layout tests: small images built in memory,
//! and the peer-tool helpers of oci-image's interop tests.

#![allow(dead_code)] // each test file uses a different part
#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

#[path = "../../../oci-image/tests/support/mod.rs"]
pub mod peers;

use ocikit_image::{Descriptor, ImageConfiguration, ImageManifest, Platform};
use ocikit_layout::Layout;
use ocikit_layout::codec::Codec;
use sha2::Digest as _;

/// An uncompressed tar holding `files` (name, content), regular files with
/// mode 0644, uid/gid 0 and mtime 0, in the order given.
pub fn layer_tar(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, content) in files {
        let mut header = tar::Header::new_ustar();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_mtime(0);
        header.set_entry_type(tar::EntryType::Regular);
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
    let platform: Platform = "linux/amd64".parse().unwrap();
    let mut config = ImageConfiguration::for_platform(&platform);
    let mut manifest = ImageManifest::default();
    for layer in layers {
        let stored = layout.put_layer(&layer[..], codec).unwrap();
        config.rootfs.diff_ids.push(stored.diff_id);
        manifest.layers.push(stored.descriptor);
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

/// The sha256 of `bytes` in `sha256:<hex>` form, computed with `sha2`
/// directly (not through the code under test).
pub fn sha256(bytes: &[u8]) -> String {
    let hash = sha2::Sha256::digest(bytes);
    let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

/// A layout made by umoci under `dir` (its path returned): `umoci init`,
/// an empty image tagged `base`, and `layered`, which adds the file
/// `/greeting` ("from umoci\n") through a rootless unpack and a repack.
/// The caller checks that umoci is installed.
pub fn umoci_layered(dir: &std::path::Path) -> std::path::PathBuf {
    use std::process::Command;
    let layout = dir.join("umoci");
    let p = layout.to_str().unwrap();
    peers::run(Command::new("umoci").args(["init", "--layout", p]));
    peers::run(Command::new("umoci").args(["new", "--image", &format!("{p}:base")]));
    let bundle = dir.join("bundle");
    let b = bundle.to_str().unwrap();
    let base = format!("{p}:base");
    peers::run(Command::new("umoci").args(["unpack", "--rootless", "--image", &base, b]));
    std::fs::write(bundle.join("rootfs/greeting"), b"from umoci\n").unwrap();
    let layered = format!("{p}:layered");
    peers::run(Command::new("umoci").args(["repack", "--image", &layered, b]));
    layout
}

/// A writer that accepts `room` bytes, then fails every write with
/// `StorageFull` ("disk full"): a full disk under an encoder or a blob.
#[derive(Debug)]
pub struct Failing {
    pub room: usize,
}

impl std::io::Write for Failing {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.room == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::StorageFull,
                "disk full",
            ));
        }
        let n = buf.len().min(self.room);
        self.room -= n;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A small seeded pseudo-random generator (xorshift64): the same seed
/// gives the same sequence. The seed must not be zero.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// `bytes` with a few bytes changed, inserted, removed, or cut short.
    pub fn mutate(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut out = bytes.to_vec();
        for _ in 0..=self.below(3) {
            let at = self.below(out.len());
            match self.below(4) {
                0 if !out.is_empty() => out[at] = self.next() as u8,
                1 => {
                    const TOKENS: &[u8] = b"{}[]\",:0-9eE\\u";
                    out.insert(at, TOKENS[self.below(TOKENS.len())]);
                }
                2 if !out.is_empty() => {
                    out.remove(at);
                }
                _ => out.truncate(at),
            }
        }
        out
    }
}
