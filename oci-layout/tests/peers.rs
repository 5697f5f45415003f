//! Interop with the real peers, both directions: layouts we write must
//! satisfy skopeo, umoci and oci-image-tool; layouts they write must open
//! and resolve with ours. Each assertion names the peer's version.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use ocikit_image::{ImageIndex, MediaType};
use ocikit_layout::Layout;
use ocikit_layout::codec;
use ocikit_test_support::layouts::{build_image, layer_tar};
use ocikit_test_support::peers::{self, oci_image_tool, require_tools, skopeo, umoci, version};

/// A layout with a two-layer image tagged `v1`, written by us.
fn our_layout() -> (tempfile::TempDir, Layout) {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::init(dir.path().join("ours")).unwrap();
    build_image(
        &layout,
        "v1",
        &[
            layer_tar(&[
                ("etc/hostname", b"ours\n"),
                ("bin/hello", b"#!/bin/sh\necho hi\n"),
            ]),
            layer_tar(&[("etc/motd", b"welcome\n")]),
        ],
    );
    (dir, layout)
}

fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).unwrap()
}

#[test]
fn skopeo_inspects_and_copies_our_layout() {
    if !require_tools(&["skopeo"]) {
        return;
    }
    let peer = version("skopeo");
    let (dir, layout) = our_layout();
    let resolved = layout.resolve("v1", None).unwrap();
    let reference = format!("oci:{}:v1", layout.path().display());

    let inspect = json(&skopeo(&["inspect", &reference]));
    assert_eq!(
        inspect["Digest"],
        resolved.descriptor.digest.to_string(),
        "{peer}"
    );
    let layers: Vec<String> = resolved
        .manifest
        .layers
        .iter()
        .map(|l| l.digest.to_string())
        .collect();
    assert_eq!(inspect["Layers"], serde_json::json!(layers), "{peer}");
    assert_eq!(inspect["Architecture"], "amd64", "{peer}");

    // skopeo copies it into a layout of its own, which opens with ours.
    let copy = dir.path().join("copy");
    skopeo(&[
        "copy",
        &reference,
        &format!("oci:{}:copied", copy.display()),
    ]);
    let theirs = Layout::open(&copy).unwrap();
    let copied = theirs.resolve("copied", None).unwrap();
    // skopeo compresses uncompressed layers when it copies, so the manifest
    // changes; the config (with our diff_ids) is carried over byte for byte.
    assert_eq!(copied.manifest.config, resolved.manifest.config, "{peer}");
    assert_eq!(copied.manifest.layers.len(), 2, "{peer}");
    // Their gzip layers decompress to exactly our tars (the diff_ids).
    let config = theirs.read_config(&copied.manifest.config).unwrap();
    for (layer, diff_id) in copied.manifest.layers.iter().zip(&config.rootfs.diff_ids) {
        let reader = theirs.open_blob(layer).unwrap();
        codec::verify_diff_id(reader, &layer.media_type, diff_id)
            .unwrap_or_else(|e| panic!("{peer}: layer {}: {e}", layer.digest));
    }
}

#[test]
fn umoci_lists_stats_and_unpacks_our_layout() {
    if !require_tools(&["umoci"]) {
        return;
    }
    let peer = version("umoci");
    let (dir, layout) = our_layout();
    let path = layout.path().to_str().unwrap().to_owned();
    let ls = umoci(&["ls", "--layout", &path]);
    assert_eq!(String::from_utf8_lossy(&ls).trim(), "v1", "{peer}");
    let stat = json(&umoci(&[
        "stat",
        "--json",
        "--image",
        &format!("{path}:v1"),
    ]));
    assert_eq!(stat["history"], serde_json::Value::Null, "{peer}: {stat}");
    let bundle = dir.path().join("bundle");
    umoci(&[
        "unpack",
        "--rootless",
        "--image",
        &format!("{path}:v1"),
        bundle.to_str().unwrap(),
    ]);
    assert_eq!(
        std::fs::read(bundle.join("rootfs/etc/motd")).unwrap(),
        b"welcome\n",
        "{peer}"
    );
    assert_eq!(
        std::fs::read(bundle.join("rootfs/etc/hostname")).unwrap(),
        b"ours\n",
        "{peer}"
    );
}

/// Debian's oci-image-tool 1.0.0-rc1 has no `imageLayout` type (so the
/// layout is validated through one image ref) and rejects manifests with
/// zero layers, so the image here has layers.
#[test]
fn oci_image_tool_validates_our_image() {
    if !require_tools(&["oci-image-tool"]) {
        return;
    }
    let (_dir, layout) = our_layout();
    oci_image_tool(&[
        "validate",
        "--type",
        "image",
        "--ref",
        "name=v1",
        layout.path().to_str().unwrap(),
    ]);
    // And it does fail on a broken one: a layer blob removed.
    let resolved = layout.resolve("v1", None).unwrap();
    std::fs::remove_file(layout.blob_path(&resolved.manifest.layers[0].digest)).unwrap();
    let out = peers::command("oci-image-tool")
        .args([
            "validate",
            "--type",
            "image",
            "--ref",
            "name=v1",
            layout.path().to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "oci-image-tool accepted a layout with a missing layer"
    );
}

#[test]
fn layouts_written_by_umoci_open_and_resolve() {
    if !require_tools(&["umoci"]) {
        return;
    }
    let peer = version("umoci");
    let dir = tempfile::tempdir().unwrap();
    let path = ocikit_test_support::layouts::umoci_layered(dir.path());
    let p = path.to_str().unwrap();
    let layout = Layout::open(&path).unwrap();
    assert_eq!(layout.list_tags().unwrap(), ["base", "layered"], "{peer}");
    let resolved = layout.resolve("layered", None).unwrap();
    assert_eq!(resolved.manifest.layers.len(), 1, "{peer}");
    assert_eq!(
        resolved.manifest.layers[0].media_type,
        MediaType::ImageLayerGzip,
        "{peer}"
    );
    let config = layout.read_config(&resolved.manifest.config).unwrap();
    assert_eq!(config.rootfs.diff_ids.len(), 1, "{peer}");
    let mut layer = Vec::new();
    std::io::copy(
        &mut layout.open_blob(&resolved.manifest.layers[0]).unwrap(),
        &mut layer,
    )
    .unwrap();
    assert_eq!(&layer[..2], b"\x1f\x8b", "{peer}: a gzip layer");

    // We can tag into their layout, and they still read it.
    layout.tag("ours", &resolved.descriptor).unwrap();
    let ls = umoci(&["ls", "--layout", p]);
    assert_eq!(
        String::from_utf8_lossy(&ls)
            .split_whitespace()
            .collect::<Vec<_>>(),
        ["base", "layered", "ours"],
        "{peer}"
    );
}

#[test]
fn layouts_written_by_skopeo_open_and_resolve() {
    if !require_tools(&["skopeo"]) {
        return;
    }
    let peer = version("skopeo");
    let (dir, ours) = our_layout();
    // skopeo copies with gzip compression into a fresh layout ...
    let theirs_path = dir.path().join("skopeo");
    skopeo(&[
        "copy",
        "--dest-compress",
        &format!("oci:{}:v1", ours.path().display()),
        &format!("oci:{}:v1", theirs_path.display()),
    ]);
    let theirs = Layout::open(&theirs_path).unwrap();
    let resolved = theirs.resolve("v1", None).unwrap();
    assert_eq!(resolved.manifest.layers.len(), 2, "{peer}");
    for layer in &resolved.manifest.layers {
        assert_eq!(layer.media_type, MediaType::ImageLayerGzip, "{peer}");
        std::io::copy(&mut theirs.open_blob(layer).unwrap(), &mut std::io::sink()).unwrap();
    }
    let index: ImageIndex = theirs.index().unwrap().value().clone();
    assert_eq!(index.manifests.len(), 1, "{peer}");
}
