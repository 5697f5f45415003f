//! Appending layers to images with `ImageEdit`: the new manifest, config
//! (diff_ids, history, created) and tag, what is kept of the base, the
//! errors, determinism, and what our apply and the peers (umoci, skopeo,
//! oci-image-tool) make of the result.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use ocikit_convert::{Error, ImageEdit};
use ocikit_image::{Descriptor, History, ImageManifest, MediaType, Platform};
use ocikit_layout::codec::Codec;
use ocikit_layout::{Layout, StoredLayer};
use ocikit_test_support::bytes::sha256;
use ocikit_test_support::layouts::{is_tag_changed, layer_tar};
use ocikit_test_support::peers::{oci_image_tool, require_tools, skopeo, umoci, version};

fn first_tar() -> Vec<u8> {
    layer_tar(&[
        ("etc/", b""),
        ("etc/hostname", b"first\n"),
        ("bin/", b""),
        ("bin/hello", b"#!/bin/sh\necho hello\n"),
    ])
}

fn second_tar() -> Vec<u8> {
    layer_tar(&[("etc/", b""), ("etc/motd", b"from the second layer\n")])
}

fn history(created_by: &str, created: &str) -> History {
    History {
        created: Some(created.into()),
        created_by: Some(created_by.into()),
        comment: Some(format!("comment on {created_by}")),
        ..Default::default()
    }
}

fn amd64() -> Platform {
    "linux/amd64".parse().unwrap()
}

/// A layout with a one-layer image `v1` (gzip) built from scratch, and
/// that layer.
fn one_layer_image(dir: &std::path::Path) -> (Layout, StoredLayer, Descriptor) {
    let layout = Layout::init(dir.join("layout")).unwrap();
    let layer = layout.put_layer(&first_tar()[..], Codec::gzip()).unwrap();
    let mut image = ImageEdit::scratch(&amd64());
    image
        .append_layer(&layer, history("first step", "2024-01-02T03:04:05Z"))
        .unwrap();
    let v1 = image.commit(&layout, "v1").unwrap();
    (layout, layer, v1)
}

#[test]
fn append_to_nothing_then_to_the_image() {
    let dir = tempfile::tempdir().unwrap();
    let (layout, first, v1) = one_layer_image(dir.path());

    // The tag is in index.json, with the platform on its descriptor.
    let index = layout.index().unwrap();
    assert_eq!(index.manifests.len(), 1);
    assert_eq!(index.manifests[0].ref_name(), Some("v1"));
    assert_eq!(index.manifests[0].digest, v1.digest);
    assert_eq!(index.manifests[0].media_type, MediaType::ImageManifest);
    assert_eq!(index.manifests[0].platform, Some(amd64()));

    let resolved = layout.resolve("v1", None).unwrap();
    let manifest = &resolved.manifest;
    manifest.validate().unwrap();
    assert_eq!(manifest.media_type, Some(MediaType::ImageManifest));
    assert_eq!(manifest.config.media_type, MediaType::ImageConfig);
    assert_eq!(manifest.layers, vec![first.descriptor.clone()]);
    assert_eq!(
        manifest.layers[0].media_type,
        MediaType::ImageLayerGzip,
        "put_layer with gzip"
    );
    let config = layout.read_config(&manifest.config).unwrap();
    config.validate().unwrap();
    let json: serde_json::Value = serde_json::from_slice(config.bytes()).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "created": "2024-01-02T03:04:05Z",
            "architecture": "amd64",
            "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [sha256(&first_tar())]},
            "history": [{
                "created": "2024-01-02T03:04:05Z",
                "created_by": "first step",
                "comment": "comment on first step",
            }],
        })
    );

    // Append a second, zstd layer to v1 and tag the result v2.
    let second = layout.put_layer(&second_tar()[..], Codec::zstd()).unwrap();
    let mut image = ImageEdit::open(&layout, "v1", None).unwrap();
    image
        .append_layer(&second, history("second step", "2024-02-03T04:05:06Z"))
        .unwrap();
    let v2 = image.commit(&layout, "v2").unwrap();
    assert_ne!(v2.digest, v1.digest);
    assert_eq!(layout.find_tag("v1").unwrap().digest, v1.digest, "v1 stays");

    let resolved = layout.resolve("v2", None).unwrap();
    resolved.manifest.validate().unwrap();
    assert_eq!(
        resolved.manifest.layers,
        vec![first.descriptor.clone(), second.descriptor.clone()]
    );
    assert_eq!(
        resolved.manifest.layers[1].media_type,
        MediaType::ImageLayerZstd
    );
    let config = layout.read_config(&resolved.manifest.config).unwrap();
    config.validate().unwrap();
    let diff_ids: Vec<String> = config
        .rootfs
        .diff_ids
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(diff_ids, [sha256(&first_tar()), sha256(&second_tar())]);
    let steps: Vec<_> = config
        .history
        .iter()
        .map(|h| (h.created_by.as_deref().unwrap(), h.empty_layer))
        .collect();
    assert_eq!(steps, [("first step", false), ("second step", false)]);
    assert_eq!(config.created.as_deref(), Some("2024-02-03T04:05:06Z"));

    // Editing v1 again the same way, into v1 itself, moves the tag to the
    // very same manifest as v2: same inputs, same digests.
    let mut image = ImageEdit::open(&layout, "v1", None).unwrap();
    image
        .append_layer(&second, history("second step", "2024-02-03T04:05:06Z"))
        .unwrap();
    let moved = image.commit(&layout, "v1").unwrap();
    assert_eq!(moved, v2);
    assert_eq!(layout.list_tags().unwrap(), ["v1", "v2"]);
    assert_eq!(layout.find_tag("v1").unwrap().digest, v2.digest);
    assert_eq!(layout.index().unwrap().manifests.len(), 2);
}

#[test]
fn the_same_inputs_give_the_same_digests() {
    let build = |created: Option<&str>| {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::init(dir.path().join("l")).unwrap();
        let mut image = ImageEdit::scratch(&amd64());
        for (tar, step) in [(first_tar(), "one"), (second_tar(), "two")] {
            let layer = layout.put_layer(&tar[..], Codec::gzip()).unwrap();
            let history = History {
                created: created.map(str::to_owned),
                created_by: Some(step.into()),
                ..Default::default()
            };
            image.append_layer(&layer, history).unwrap();
        }
        let descriptor = image.commit(&layout, "t").unwrap();
        let config = layout.resolve("t", None).unwrap().manifest.config.clone();
        let config = layout.read_config(&config).unwrap();
        (descriptor, config.created.clone(), dir)
    };
    let (a, _, _a) = build(Some("2024-01-01T00:00:00Z"));
    let (b, _, _b) = build(Some("2024-01-01T00:00:00Z"));
    assert_eq!(a, b);
    let (c, _, _c) = build(Some("2024-01-01T00:00:01Z"));
    assert_ne!(a.digest, c.digest, "the created time is part of the image");
    // Without a time from the caller, no clock is read: no created at all.
    let (d, created, _d) = build(None);
    assert_eq!(created, None);
    let (e, _, _e) = build(None);
    assert_eq!(d, e);
}

#[test]
fn everything_else_of_the_base_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::init(dir.path().join("l")).unwrap();
    let base_layer = layout.put_layer(&first_tar()[..], Codec::None).unwrap();
    // A config with execution parameters, Docker extras, unknown fields at
    // three levels, and a history entry for an empty layer.
    let base_config = serde_json::json!({
        "created": "2020-01-01T00:00:00Z",
        "author": "someone",
        "architecture": "arm64",
        "os": "linux",
        "variant": "v8",
        "config": {
            "Env": ["PATH=/bin"],
            "Entrypoint": ["/bin/hello"],
            "Labels": {"a": "1"},
            "Healthcheck": {"Test": ["CMD", "true"]},
        },
        "rootfs": {"type": "layers", "diff_ids": [base_layer.diff_id.to_string()], "x-rootfs": 1},
        "history": [
            {"created": "2020-01-01T00:00:00Z", "created_by": "base", "x-history": true},
            {"created_by": "ENV PATH=/bin", "empty_layer": true},
        ],
        "docker_version": "20.10",
        "x-unknown": {"nested": [1, 2, 3]},
    });
    let config = layout
        .put_bytes(
            MediaType::ImageConfig,
            &serde_json::to_vec(&base_config).unwrap(),
        )
        .unwrap();
    let manifest = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": MediaType::ImageManifest.as_str(),
        "config": config,
        "layers": [base_layer.descriptor],
        "annotations": {"org.opencontainers.image.title": "base"},
        "x-manifest": "kept",
    });
    let manifest = layout
        .put_bytes(
            MediaType::ImageManifest,
            &serde_json::to_vec(&manifest).unwrap(),
        )
        .unwrap();
    layout.tag("base", &manifest).unwrap();

    let layer = layout.put_layer(&second_tar()[..], Codec::gzip()).unwrap();
    let mut image = ImageEdit::open(&layout, "base", None).unwrap();
    image
        .append_layer(
            &layer,
            History {
                created: Some("2024-05-06T07:08:09Z".into()),
                created_by: Some("oci build".into()),
                empty_layer: true, // wrong for a layer that is there: ignored
                ..Default::default()
            },
        )
        .unwrap();
    let new = image.commit(&layout, "new").unwrap();
    assert_eq!(
        new.platform,
        Some("linux/arm64/v8".parse().unwrap()),
        "the platform of the base config"
    );

    let resolved = layout.resolve("new", None).unwrap();
    let mut got: serde_json::Value = serde_json::from_slice(resolved.manifest.bytes()).unwrap();
    assert_eq!(got["x-manifest"], "kept");
    assert_eq!(
        got["annotations"],
        serde_json::json!({"org.opencontainers.image.title": "base"})
    );
    assert_eq!(
        got["layers"],
        serde_json::json!([base_layer.descriptor, layer.descriptor])
    );
    let config = layout.read_config(&resolved.manifest.config).unwrap();
    config.validate().unwrap();
    got = serde_json::from_slice(config.bytes()).unwrap();
    let mut expected = base_config.clone();
    expected["created"] = "2024-05-06T07:08:09Z".into();
    expected["rootfs"]["diff_ids"]
        .as_array_mut()
        .unwrap()
        .push(sha256(&second_tar()).into());
    expected["history"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({"created": "2024-05-06T07:08:09Z", "created_by": "oci build"}));
    assert_eq!(got, expected);
}

#[test]
fn a_tag_on_an_index_gives_an_image_for_one_platform() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::init(dir.path().join("l")).unwrap();
    let mut descriptors = Vec::new();
    for (platform, tar) in [("linux/amd64", first_tar()), ("linux/arm64", second_tar())] {
        let platform: Platform = platform.parse().unwrap();
        let layer = layout.put_layer(&tar[..], Codec::gzip()).unwrap();
        let mut image = ImageEdit::scratch(&platform);
        image.append_layer(&layer, History::default()).unwrap();
        descriptors.push(
            image
                .commit(&layout, platform.architecture.as_str())
                .unwrap(),
        );
    }
    let index = ocikit_image::ImageIndex {
        manifests: descriptors.clone(),
        ..Default::default()
    };
    let index = layout.put_json(&index).unwrap();
    layout.tag("multi", &index).unwrap();

    let arm64: Platform = "linux/arm64".parse().unwrap();
    let layer = layout.put_layer(&first_tar()[..], Codec::gzip()).unwrap();
    let mut image = ImageEdit::open(&layout, "multi", Some(&arm64)).unwrap();
    image.append_layer(&layer, History::default()).unwrap();
    let new = image.commit(&layout, "multi").unwrap();
    assert_eq!(new.media_type, MediaType::ImageManifest, "not an index");
    assert_eq!(new.platform, Some(arm64));
    let resolved = layout.resolve("multi", None).unwrap();
    let base = layout.read_manifest(&descriptors[1]).unwrap();
    assert_eq!(
        resolved.manifest.layers,
        vec![base.layers[0].clone(), layer.descriptor]
    );
}

/// Edits of one tag made at once (each opens the tag, changes the image
/// and commits to the same tag): exactly one wins, the others fail with
/// `TagChanged` naming the tag, the digest they read and the winner's,
/// instead of silently undoing the winner's change; redone on top, a
/// loser's change joins the winner's. A commit to another tag moves it
/// whatever it names.
#[test]
fn edits_of_one_tag_at_once_exactly_one_wins_and_none_is_lost() {
    const EDITS: usize = 4;
    let dir = tempfile::tempdir().unwrap();
    let (layout, _, v1) = one_layer_image(dir.path());
    let barrier = std::sync::Barrier::new(EDITS);
    let commits: Vec<Result<Descriptor, Error>> = std::thread::scope(|s| {
        let edits: Vec<_> = (0..EDITS)
            .map(|e| {
                let (layout, barrier) = (&layout, &barrier);
                s.spawn(move || {
                    barrier.wait();
                    let mut image = ImageEdit::open(layout, "v1", None).unwrap();
                    image.add_history(history(&format!("edit {e}"), "2024-03-04T05:06:07Z"));
                    // Every edit has read the tag before any commits.
                    barrier.wait();
                    image.commit(layout, "v1")
                })
            })
            .collect();
        edits.into_iter().map(|e| e.join().unwrap()).collect()
    });
    let winners: Vec<&Descriptor> = commits.iter().filter_map(|c| c.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1, "{commits:?}");
    let winner = winners[0].clone();
    assert_eq!(layout.find_tag("v1").unwrap().digest, winner.digest);
    let history_of = |tag: &str| -> Vec<String> {
        let resolved = layout.resolve(tag, None).unwrap();
        let config = layout.read_config(&resolved.manifest.config).unwrap();
        config
            .history
            .iter()
            .filter_map(|h| h.created_by.clone())
            .collect()
    };
    let won: Vec<String> = history_of("v1");
    for (e, commit) in commits.iter().enumerate() {
        let Err(err) = commit else { continue };
        assert!(
            matches!(err, Error::Layout(l) if is_tag_changed(l, "v1", &v1.digest, &winner.digest)),
            "edit {e}: {err:?}"
        );
        let msg = err.to_string();
        assert!(
            msg.contains("\"v1\"") && msg.contains(&v1.digest.to_string()),
            "{msg}"
        );
        // The loser redoes its edit on top of the winner's: both are kept.
        let mut image = ImageEdit::open(&layout, "v1", None).unwrap();
        image.add_history(history(&format!("edit {e}"), "2024-03-04T05:06:07Z"));
        image.commit(&layout, "v1").unwrap();
    }
    let all = history_of("v1");
    assert_eq!(all.len(), 1 + EDITS, "{all:?}");
    assert_eq!(all[..won.len()], won[..], "the winner's edit is kept");

    // Another tag is not read by the edit: it is moved whatever it names.
    let image = ImageEdit::open(&layout, "v1", None).unwrap();
    layout.tag("v2", &v1).unwrap();
    let v2 = image.commit(&layout, "v2").unwrap();
    assert_eq!(layout.find_tag("v2").unwrap().digest, v2.digest);
}

#[test]
fn errors_name_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let (layout, first, _) = one_layer_image(dir.path());

    // A missing base tag is the store's error, naming it and the tags there.
    let err = ImageEdit::open(&layout, "nope", None).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Layout(ocikit_layout::Error::TagNotFound { ref name, .. }) if name == "nope"
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "tag \"nope\" is not in the layout (tags: v1)"
    );

    // A base whose config lists fewer diff_ids than the manifest has layers.
    let config = layout
        .put_json(&ocikit_image::ImageConfiguration::for_platform(&amd64()))
        .unwrap();
    let manifest = ImageManifest {
        config: config.clone(),
        layers: vec![first.descriptor.clone()],
        ..Default::default()
    };
    let manifest = layout.put_json(&manifest).unwrap();
    layout.tag("skewed", &manifest).unwrap();
    let err = ImageEdit::open(&layout, "skewed", None).unwrap_err();
    assert!(
        matches!(
            err,
            Error::LayerCountMismatch {
                layers: 1,
                diff_ids: 0,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!(
            "tag \"skewed\" ({}): the manifest lists 1 layers but the config's rootfs.diff_ids has 0; expected one DiffID per layer",
            manifest.digest
        )
    );

    // A Docker manifest is refused, pointing at the conversion.
    let mut docker = ImageManifest {
        config: config.clone(),
        ..Default::default()
    };
    docker.media_type = Some(MediaType::DockerManifest);
    let docker = layout
        .put_bytes(
            MediaType::DockerManifest,
            &ocikit_image::Json::to_canonical_json(&docker),
        )
        .unwrap();
    layout.tag("docker", &docker).unwrap();
    let err = ImageEdit::open(&layout, "docker", None).unwrap_err();
    assert!(matches!(err, Error::UnsupportedImage { .. }), "{err:?}");
    assert!(err.to_string().contains("--to-oci"), "{err}");

    // A layer that is not an OCI layer type.
    let mut image = ImageEdit::open(&layout, "v1", None).unwrap();
    let mut foreign = first.clone();
    foreign.descriptor.media_type = MediaType::DockerLayerGzip;
    let err = image
        .append_layer(&foreign, History::default())
        .unwrap_err();
    assert!(matches!(err, Error::LayerMediaType { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains(&first.descriptor.digest.to_string()),
        "{err}"
    );

    // A bad created time is caught before anything is written; so is an
    // invalid tag, and a layer that is not a blob of the layout.
    let blobs = layout.list_blobs().unwrap();
    let mut bad_time = image.clone();
    bad_time
        .append_layer(&first, history("x", "yesterday"))
        .unwrap();
    let err = bad_time.commit(&layout, "v3").unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidImage {
                document: "config",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("\"yesterday\""), "{err}");

    image.append_layer(&first, History::default()).unwrap();
    let err = image.commit(&layout, "not a tag").unwrap_err();
    assert!(
        matches!(err, Error::Layout(ocikit_layout::Error::InvalidTag { .. })),
        "{err:?}"
    );

    let other = Layout::init(dir.path().join("other")).unwrap();
    let elsewhere = other.put_layer(&second_tar()[..], Codec::gzip()).unwrap();
    let mut image = ImageEdit::open(&layout, "v1", None).unwrap();
    image.append_layer(&elsewhere, History::default()).unwrap();
    let err = image.commit(&layout, "v3").unwrap_err();
    assert!(
        matches!(err, Error::Layout(ocikit_layout::Error::BlobNotFound { ref digest }) if *digest == elsewhere.descriptor.digest),
        "{err:?}"
    );
    assert_eq!(layout.list_blobs().unwrap(), blobs, "nothing was written");
    assert_eq!(layout.list_tags().unwrap(), ["docker", "skewed", "v1"]);
}

/// A two-layer image `v2` built in two steps, for the peers.
fn two_step_image(dir: &std::path::Path) -> Layout {
    let (layout, _, _) = one_layer_image(dir);
    let second = layout.put_layer(&second_tar()[..], Codec::gzip()).unwrap();
    let mut image = ImageEdit::open(&layout, "v1", None).unwrap();
    image
        .append_layer(&second, history("second step", "2024-02-03T04:05:06Z"))
        .unwrap();
    image.commit(&layout, "v2").unwrap();
    layout
}

#[test]
fn our_apply_unpacks_the_result() {
    let dir = tempfile::tempdir().unwrap();
    let layout = two_step_image(dir.path());
    let resolved = layout.resolve("v2", None).unwrap();
    let config = layout.read_config(&resolved.manifest.config).unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir(&root).unwrap();
    let options = ocikit_convert::ApplyOptions::default();
    for (layer, diff_id) in resolved.manifest.layers.iter().zip(&config.rootfs.diff_ids) {
        ocikit_convert::apply_layer(&layout, layer, Some(diff_id), &root, &options).unwrap();
    }
    for (path, content) in [
        ("etc/hostname", &b"first\n"[..]),
        ("bin/hello", b"#!/bin/sh\necho hello\n"),
        ("etc/motd", b"from the second layer\n"),
    ] {
        assert_eq!(std::fs::read(root.join(path)).unwrap(), content, "{path}");
    }
}

#[test]
fn umoci_stats_and_unpacks_the_result() {
    if !require_tools(&["umoci"]) {
        return;
    }
    let peer = version("umoci");
    let dir = tempfile::tempdir().unwrap();
    let layout = two_step_image(dir.path());
    let image = format!("{}:v2", layout.path().display());

    let stat: serde_json::Value =
        serde_json::from_slice(&umoci(&["stat", "--json", "--image", &image])).unwrap();
    let history: Vec<_> = stat["history"]
        .as_array()
        .unwrap_or_else(|| panic!("{peer}: no history in {stat}"))
        .iter()
        .map(|h| {
            (
                h["created_by"].as_str().unwrap_or_default().to_owned(),
                h["created"].as_str().unwrap_or_default().to_owned(),
                h["empty_layer"].as_bool().unwrap_or(false),
            )
        })
        .collect();
    let expected = [
        ("first step", "2024-01-02T03:04:05Z"),
        ("second step", "2024-02-03T04:05:06Z"),
    ]
    .map(|(by, at)| (by.to_owned(), at.to_owned(), false));
    assert_eq!(history, expected, "{peer}: {stat}");

    let bundle = dir.path().join("bundle");
    umoci(&[
        "unpack",
        "--rootless",
        "--image",
        &image,
        bundle.to_str().unwrap(),
    ]);
    let rootfs = bundle.join("rootfs");
    for (path, content) in [
        ("etc/hostname", &b"first\n"[..]),
        ("bin/hello", b"#!/bin/sh\necho hello\n"),
        ("etc/motd", b"from the second layer\n"),
    ] {
        assert_eq!(
            std::fs::read(rootfs.join(path)).unwrap(),
            content,
            "{peer}: {path}"
        );
    }
}

#[test]
fn skopeo_inspects_the_result() {
    if !require_tools(&["skopeo"]) {
        return;
    }
    let peer = version("skopeo");
    let dir = tempfile::tempdir().unwrap();
    let layout = two_step_image(dir.path());
    let resolved = layout.resolve("v2", None).unwrap();
    let reference = format!("oci:{}:v2", layout.path().display());
    let inspect: serde_json::Value =
        serde_json::from_slice(&skopeo(&["inspect", &reference])).unwrap();
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
    assert_eq!(layers.len(), 2);
    assert_eq!(inspect["Layers"], serde_json::json!(layers), "{peer}");
    assert_eq!(inspect["Created"], "2024-02-03T04:05:06Z", "{peer}");
    assert_eq!(inspect["Architecture"], "amd64", "{peer}");
}

#[test]
fn oci_image_tool_validates_the_result() {
    if !require_tools(&["oci-image-tool"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let layout = two_step_image(dir.path());
    for tag in ["v1", "v2"] {
        oci_image_tool(&[
            "validate",
            "--type",
            "image",
            "--ref",
            &format!("name={tag}"),
            layout.path().to_str().unwrap(),
        ]);
    }
}
