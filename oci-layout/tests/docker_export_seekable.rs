//! `archive::docker::export_seekable`: the one-pass docker-archive export
//! (each compressed layer decompressed once, its tar header written after
//! its content) writes the very bytes the two-pass `export` writes, for
//! every compression, duplicate layers, names too long for the one-pass
//! header and an archive that starts mid-file; it refuses a layer that is
//! not its diff_id or a corrupt blob, naming it; skopeo reads the file.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::io::{Cursor, Seek, SeekFrom, Write};

use ocikit_image::{Digest, ImageConfiguration, ImageManifest, Platform};
use ocikit_layout::archive::{self, ExportOptions};
use ocikit_layout::codec::Codec;
use ocikit_layout::{Error, Layout};
use ocikit_test_support::layouts::{build_image_with, layer_tar};
use ocikit_test_support::peers::{require_tools, skopeo, version};
use sha2::Digest as _;

fn two_pass(layout: &Layout, tag: &str) -> ocikit_layout::Result<Vec<u8>> {
    archive::docker::export(
        layout,
        tag,
        "foo/bar:v1",
        None,
        &ExportOptions::default(),
        Vec::new(),
    )
}

fn one_pass(layout: &Layout, tag: &str) -> ocikit_layout::Result<Vec<u8>> {
    let out = Cursor::new(Vec::new());
    archive::docker::export_seekable(
        layout,
        tag,
        "foo/bar:v1",
        None,
        &ExportOptions::default(),
        out,
    )
    .map(Cursor::into_inner)
}

/// Layers of several sizes: empty content, exactly 512 bytes of file,
/// larger than the copy buffers, and one that is not a whole number of
/// tar blocks (export does not parse a layer; its entry needs padding).
fn layers() -> Vec<Vec<u8>> {
    let big: Vec<u8> = (0..3_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8)
        .collect();
    vec![
        layer_tar(&[]),
        layer_tar(&[("etc/exact", &[7u8; 512])]),
        layer_tar(&[("big", &big), ("etc/motd", b"welcome\n")]),
        b"not a whole tar block".repeat(50),
    ]
}

#[test]
fn the_same_bytes_as_the_two_pass_export_for_every_compression() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::init(dir.path().join("layout")).unwrap();
    let mut layers = layers();
    // The same layer twice: one entry.
    layers.push(layers[1].clone());
    for (tag, codec) in [
        ("gzip", Codec::gzip()),
        ("zstd", Codec::zstd()),
        ("none", Codec::None),
    ] {
        build_image_with(&layout, tag, &layers, codec);
        let expected = two_pass(&layout, tag).unwrap();
        let found = one_pass(&layout, tag).unwrap();
        assert!(expected == found, "{tag}: the archives differ");
        // And it is a docker-archive holding the uncompressed layers.
        let mut archive = tar::Archive::new(&found[..]);
        let names: Vec<String> = archive
            .entries()
            .unwrap()
            .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 1 + 4 + 1, "{tag}: {names:?}");
    }
}

#[test]
fn an_archive_that_starts_mid_file_is_written_from_there() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::init(dir.path().join("layout")).unwrap();
    build_image_with(&layout, "v1", &layers(), Codec::gzip());
    let expected = two_pass(&layout, "v1").unwrap();
    let mut out = Cursor::new(Vec::new());
    out.write_all(b"prefix").unwrap();
    let out = archive::docker::export_seekable(
        &layout,
        "v1",
        "foo/bar:v1",
        None,
        &ExportOptions::default(),
        out,
    )
    .unwrap();
    let bytes = out.into_inner();
    assert_eq!(&bytes[..6], b"prefix");
    assert!(
        bytes[6..] == expected[..],
        "the archive after the prefix differs"
    );

    // Into a real file, through a buffer, as `oci export` writes it.
    let path = dir.path().join("out.tar");
    let file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let mut file = archive::docker::export_seekable(
        &layout,
        "v1",
        "foo/bar:v1",
        None,
        &ExportOptions::default(),
        file,
    )
    .unwrap();
    file.flush().unwrap();
    assert_eq!(file.stream_position().unwrap(), expected.len() as u64);
    drop(file);
    assert!(std::fs::read(&path).unwrap() == expected);
}

#[test]
fn names_too_long_for_a_plain_header_are_sized_first() {
    // A sha512 diff_id makes a 132-byte entry name.
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::init(dir.path().join("layout")).unwrap();
    let tar = layer_tar(&[("etc/hostname", b"long\n")]);
    let stored = layout.put_layer(&tar[..], Codec::gzip()).unwrap();
    let hex: String = sha2::Sha512::digest(&tar)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let diff_id: Digest = format!("sha512:{hex}").parse().unwrap();
    let platform: Platform = "linux/amd64".parse().unwrap();
    let mut config = ImageConfiguration::for_platform(&platform);
    config.rootfs.diff_ids.push(diff_id);
    let manifest = ImageManifest {
        config: layout.put_json(&config).unwrap(),
        layers: vec![stored.descriptor],
        ..Default::default()
    };
    layout
        .tag("v1", &layout.put_json(&manifest).unwrap())
        .unwrap();
    let expected = two_pass(&layout, "v1").unwrap();
    assert!(one_pass(&layout, "v1").unwrap() == expected);
}

#[test]
fn a_layer_that_is_not_its_diff_id_or_a_corrupt_blob_is_refused_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::init(dir.path().join("layout")).unwrap();
    let manifest = build_image_with(&layout, "v1", &layers(), Codec::gzip());
    let resolved = layout.resolve("v1", None).unwrap();

    // The config's diff_ids swapped: a layer is checked after it is written.
    let config = layout.read_config(&resolved.manifest.config).unwrap();
    let mut wrong = config.value().clone();
    wrong.rootfs.diff_ids.swap(1, 2);
    let wrong = ImageManifest {
        config: layout.put_json(&wrong).unwrap(),
        layers: resolved.manifest.layers.clone(),
        ..Default::default()
    };
    layout
        .tag("wrong", &layout.put_json(&wrong).unwrap())
        .unwrap();
    let err = one_pass(&layout, "wrong").unwrap_err();
    // Entries go in name order: whichever of the two comes first fails.
    assert!(
        matches!(err, Error::DiffIdMismatch { index: 1 | 2, .. }),
        "{err:?}"
    );

    // The big layer's compressed bytes changed (same size).
    let layer = &resolved.manifest.layers[2];
    let path = layout.blob_path(&layer.digest);
    let mut bytes = std::fs::read(&path).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x55;
    std::fs::write(&path, &bytes).unwrap();
    let err = one_pass(&layout, "v1").unwrap_err();
    assert!(err.to_string().contains(layer.digest.as_str()), "{err}");
    assert_ne!(manifest.digest, layer.digest);
}

#[test]
fn skopeo_reads_the_one_pass_archive() {
    if !require_tools(&["skopeo"]) {
        return;
    }
    let peer = version("skopeo");
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::init(dir.path().join("layout")).unwrap();
    build_image_with(&layout, "v1", &layers(), Codec::gzip());
    let resolved = layout.resolve("v1", None).unwrap();
    let config = layout.read_config(&resolved.manifest.config).unwrap();
    let path = dir.path().join("out.tar");
    let file = std::fs::File::create(&path).unwrap();
    let mut file = archive::docker::export_seekable(
        &layout,
        "v1",
        "foo/bar:v1",
        None,
        &ExportOptions::default(),
        file,
    )
    .unwrap();
    file.seek(SeekFrom::Start(0)).unwrap();
    let inspect = skopeo(&["inspect", &format!("docker-archive:{}", path.display())]);
    let inspect: serde_json::Value = serde_json::from_slice(&inspect).unwrap();
    let layers: Vec<&str> = inspect["Layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    let diff_ids: Vec<&str> = config.rootfs.diff_ids.iter().map(Digest::as_str).collect();
    assert_eq!(layers, diff_ids, "{peer}");
}
