//! fsck: a clean layout has no problems; each kind of damage is found and
//! named with the chain of references that reached it; layouts written by
//! skopeo and umoci check clean and still work for them after our gc.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::fs::{self, File};
use std::path::Path;
use std::time::{Duration, SystemTime};

use ocikit_image::{
    Descriptor, ImageConfiguration, ImageIndex, ImageManifest, MediaType, Platform,
};
use ocikit_layout::codec::Codec;
use ocikit_layout::{FsckOptions, FsckReport, GcOptions, Layout, Problem};
use ocikit_test_support::layouts::{build_image, build_image_with, layer_tar, small_image};
use ocikit_test_support::peers::{self, require_tools, run, skopeo, umoci, version};

fn new_layout() -> (tempfile::TempDir, Layout) {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::init(dir.path().join("layout")).unwrap();
    (dir, layout)
}

fn fsck(layout: &Layout) -> FsckReport {
    layout.fsck(&FsckOptions::default()).unwrap()
}

/// A tagged two-layer image, then a tagged index holding it and a
/// one-layer image: the layout every damage test starts from.
fn image(layout: &Layout) -> (Descriptor, ImageManifest) {
    let d = build_image(
        layout,
        "app",
        &[
            layer_tar(&[("a.txt", b"first layer")]),
            layer_tar(&[("b.txt", b"second layer")]),
        ],
    );
    let other = small_image(layout, "other", "other");
    layout.untag("other").unwrap();
    let index = layout
        .put_json(&ImageIndex::new(vec![other, d.clone()]))
        .unwrap();
    layout.tag("multi", &index).unwrap();
    let manifest = layout.read_manifest(&d).unwrap().value().clone();
    (d, manifest)
}

/// The one problem of `report`, with the whole report in the message if
/// there is not exactly one.
fn only(report: &FsckReport) -> &Problem {
    assert_eq!(report.problems.len(), 1, "{report}");
    &report.problems[0]
}

#[test]
fn a_clean_layout_has_no_problems() {
    let (_dir, layout) = new_layout();
    let (app, _) = image(&layout);
    // A tagged referrer too, and a Docker schema 2 image.
    let empty = layout.put_bytes(MediaType::EmptyJson, b"{}").unwrap();
    let sbom = ImageManifest {
        artifact_type: Some("application/vnd.example.sbom.v1".into()),
        config: empty,
        layers: vec![
            layout
                .put_bytes("application/spdx+json".into(), b"{\"spdx\":1}")
                .unwrap(),
        ],
        subject: Some(app.clone()),
        ..Default::default()
    };
    layout
        .tag("app-sbom", &layout.put_json(&sbom).unwrap())
        .unwrap();
    let layer = layout
        .put_bytes(MediaType::DockerLayer, &layer_tar(&[("d", b"docker")]))
        .unwrap();
    let mut config = ImageConfiguration::for_platform(&"linux/amd64".parse().unwrap());
    config.rootfs.diff_ids.push(layer.digest.clone());
    let mut config = layout.put_json(&config).unwrap();
    config.media_type = MediaType::DockerConfig;
    let docker = ImageManifest {
        media_type: Some(MediaType::DockerManifest),
        config,
        layers: vec![layer],
        ..Default::default()
    };
    let mut docker = layout.put_json(&docker).unwrap();
    docker.media_type = MediaType::DockerManifest;
    layout.tag("docker", &docker).unwrap();

    let report = fsck(&layout);
    assert!(report.is_clean(), "{report}");
    assert_eq!(report.to_string(), "");
    assert_eq!(report.reachable, layout.list_blobs().unwrap().len());
    assert!(report.verified_bytes > 0);
}

#[test]
fn a_flipped_byte_in_a_layer_is_corruption() {
    let (_dir, layout) = new_layout();
    let (_, manifest) = image(&layout);
    let layer = &manifest.layers[1];
    let path = layout.blob_path(&layer.digest);
    let mut bytes = fs::read(&path).unwrap();
    bytes[600] ^= 1;
    fs::write(&path, bytes).unwrap();
    let report = fsck(&layout);
    match only(&report) {
        Problem::Corrupt { digest, path, .. } => {
            assert_eq!(digest, &layer.digest);
            assert_eq!(path, "index.json manifests[0] -> layers[1]");
        }
        other => panic!("{other}"),
    }
    let line = report.to_string();
    assert!(
        line.starts_with(&format!(
            "corrupt: {} at index.json manifests[0] -> layers[1]: blob {}: content hashes to sha256:",
            layer.digest, layer.digest
        )),
        "{line}"
    );
    assert_eq!(line.lines().count(), 1);
}

#[test]
fn a_truncated_config_is_corruption() {
    let (_dir, layout) = new_layout();
    let (_, manifest) = image(&layout);
    let path = layout.blob_path(&manifest.config.digest);
    let bytes = fs::read(&path).unwrap();
    fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let report = fsck(&layout);
    match only(&report) {
        Problem::Corrupt {
            digest,
            path,
            error,
        } => {
            assert_eq!(digest, &manifest.config.digest);
            assert_eq!(path, "index.json manifests[0] -> config");
            assert!(error.contains("shorter than its descriptor"), "{error}");
        }
        other => panic!("{other}"),
    }
}

#[test]
fn a_missing_layer_is_named() {
    let (_dir, layout) = new_layout();
    let (_, manifest) = image(&layout);
    fs::remove_file(layout.blob_path(&manifest.layers[0].digest)).unwrap();
    let report = fsck(&layout);
    assert_eq!(
        only(&report),
        &Problem::Missing {
            digest: manifest.layers[0].digest.clone(),
            path: "index.json manifests[0] -> layers[0]".into(),
        }
    );
    assert!(report.damage().count() == 1);
}

#[test]
fn a_manifest_whose_descriptor_says_index_is_named() {
    let (_dir, layout) = new_layout();
    let (app, _) = image(&layout);
    let mut wrong = app.clone();
    wrong.media_type = MediaType::ImageIndex;
    layout.tag("app", &wrong).unwrap();
    let report = fsck(&layout);
    assert_eq!(
        only(&report),
        &Problem::WrongDocumentKind {
            digest: app.digest.clone(),
            path: "index.json manifests[0]".into(),
            descriptor: MediaType::ImageIndex,
            found: "an image manifest",
        }
    );
    assert!(report.to_string().contains(
        "the descriptor says application/vnd.oci.image.index.v1+json, the content is an image manifest"
    ));
}

#[test]
fn a_manifest_whose_own_media_type_disagrees_is_named() {
    let (_dir, layout) = new_layout();
    let (_, manifest) = image(&layout);
    let docker = ImageManifest {
        media_type: Some(MediaType::DockerManifest),
        ..manifest
    };
    let d = layout.put_json(&docker).unwrap(); // the descriptor says OCI
    layout.tag("app", &d).unwrap();
    let report = fsck(&layout);
    let problems: Vec<_> = report
        .problems
        .iter()
        .filter(|p| !matches!(p, Problem::Unreachable { .. }))
        .collect();
    assert_eq!(
        problems,
        [&Problem::MediaTypeMismatch {
            digest: d.digest.clone(),
            path: "index.json manifests[0]".into(),
            descriptor: MediaType::ImageManifest,
            document: MediaType::DockerManifest,
        }],
        "{report}"
    );
}

#[test]
fn a_config_with_fewer_diff_ids_than_layers_is_named() {
    let (_dir, layout) = new_layout();
    let (_, manifest) = image(&layout);
    let mut config = layout
        .read_config(&manifest.config)
        .unwrap()
        .value()
        .clone();
    config.rootfs.diff_ids.pop();
    let broken = ImageManifest {
        config: layout.put_json(&config).unwrap(),
        ..manifest.clone()
    };
    let d = layout.put_json(&broken).unwrap();
    layout.tag("app", &d).unwrap();
    let report = fsck(&layout);
    let problems: Vec<_> = report.damage().collect();
    assert_eq!(
        problems,
        [&Problem::DiffIdCount {
            digest: d.digest.clone(),
            path: "index.json manifests[0]".into(),
            config: broken.config.digest.clone(),
            layers: 2,
            diff_ids: 1,
        }],
        "{report}"
    );
    // The old manifest stays reachable through the index: nothing else to report.
    assert_eq!(report.problems.len(), 1, "{report}");
}

#[test]
fn an_unreachable_blob_and_a_stale_temp_file_are_garbage() {
    let (_dir, layout) = new_layout();
    image(&layout);
    let stray = layout
        .put_bytes(MediaType::ImageLayer, b"nobody's")
        .unwrap();
    let temp = layout.blobs_path().join(".tmp-blob-9-9-dead");
    fs::write(&temp, b"partial").unwrap();
    let young = layout.blobs_path().join(".tmp-blob-9-9-busy");
    fs::write(&young, b"in flight").unwrap();
    File::options()
        .write(true)
        .open(&temp)
        .unwrap()
        .set_modified(SystemTime::now() - Duration::from_secs(8 * 24 * 3600))
        .unwrap();
    let report = fsck(&layout);
    assert_eq!(report.problems.len(), 2, "{report}");
    assert_eq!(
        report.problems[0],
        Problem::Unreachable {
            digest: stray.digest.clone(),
            size: 8,
        }
    );
    assert!(
        matches!(&report.problems[1], Problem::StaleTemp { path, age } if *path == temp && age.as_secs() >= 8 * 24 * 3600)
    );
    assert_eq!(report.damage().count(), 0);
    assert!(!report.is_clean());
    assert_eq!(
        report.to_string().lines().collect::<Vec<_>>(),
        [
            format!(
                "unreachable: {} (8 bytes): nothing in index.json references it",
                stray.digest
            ),
            format!(
                "stale temporary file: {} (last written 192 hours ago)",
                temp.display()
            ),
        ]
    );
}

#[test]
fn unparsable_and_invalid_documents_and_index_json() {
    let (_dir, layout) = new_layout();
    let (_, manifest) = image(&layout);
    // A manifest blob that is not JSON; an index whose entry has a bad size.
    let junk = layout
        .put_bytes(MediaType::ImageManifest, b"{\"schemaVersion\":")
        .unwrap();
    layout.tag("junk", &junk).unwrap();
    let invalid = ImageManifest {
        schema_version: 3,
        ..manifest
    };
    let invalid = layout.put_json(&invalid).unwrap();
    layout.tag("invalid", &invalid).unwrap();
    let report = fsck(&layout);
    let damage: Vec<_> = report.damage().collect();
    assert_eq!(damage.len(), 2, "{report}");
    assert!(
        matches!(damage[0], Problem::Unparsable { digest, path, .. } if *digest == junk.digest && path == "index.json manifests[2]"),
        "{report}"
    );
    assert!(
        matches!(damage[1], Problem::Invalid { digest, errors, .. } if *digest == invalid.digest && errors == "schemaVersion: must be 2, found 3"),
        "{report}"
    );

    fs::write(layout.index_path(), b"{\"schemaVersion\":2}").unwrap();
    let report = fsck(&layout);
    assert!(
        matches!(&report.problems[0], Problem::IndexJson { error } if error.contains("manifests")),
        "{report}"
    );
}

fn fsck_deep(layout: &Layout) -> FsckReport {
    layout
        .fsck(&FsckOptions {
            verify_diff_ids: true,
        })
        .unwrap()
}

#[test]
fn diff_ids_are_verified_by_decompressing_each_layer() {
    let (_dir, layout) = new_layout();
    let layers = [
        layer_tar(&[("a.txt", b"first layer")]),
        layer_tar(&[("b.txt", b"second layer")]),
    ];
    build_image_with(&layout, "gzip", &layers, Codec::gzip());
    build_image_with(&layout, "zstd", &layers, Codec::zstd());
    build_image(&layout, "plain", &layers);
    let report = fsck_deep(&layout);
    assert!(report.is_clean(), "{report}");

    // A config whose second diff_id is another layer's: the count is right,
    // only decompressing finds it.
    let resolved = layout.resolve("gzip", None).unwrap();
    let mut config = layout
        .read_config(&resolved.manifest.config)
        .unwrap()
        .value()
        .clone();
    config.rootfs.diff_ids.swap(0, 1);
    let mut manifest = resolved.manifest.value().clone();
    manifest.config = layout.put_json(&config).unwrap();
    let bad = layout.put_json(&manifest).unwrap();
    layout.tag("gzip", &bad).unwrap();
    assert!(fsck(&layout).damage().next().is_none(), "{}", fsck(&layout));
    let report = fsck_deep(&layout);
    let damage: Vec<&Problem> = report.damage().collect();
    assert_eq!(damage.len(), 2, "{report}");
    for (i, problem) in damage.iter().enumerate() {
        match problem {
            Problem::DiffId {
                digest,
                path,
                error,
            } => {
                assert_eq!(*digest, manifest.layers[i].digest);
                assert!(path.ends_with(&format!("layers[{i}]")), "{path}");
                assert!(
                    error.contains(&config.rootfs.diff_ids[i].to_string()),
                    "{error}"
                );
            }
            other => panic!("{other}"),
        }
    }

    // A gzip layer that is not gzip: it verifies as a blob (the descriptor
    // was made for these bytes) but cannot be decompressed.
    let (_dir, layout) = new_layout();
    let junk = layout
        .put_bytes(MediaType::ImageLayerGzip, b"not gzip at all")
        .unwrap();
    let mut config = ImageConfiguration::for_platform(&"linux/amd64".parse().unwrap());
    config.rootfs.diff_ids.push(junk.digest.clone());
    let config = layout.put_json(&config).unwrap();
    let manifest = layout
        .put_json(&ImageManifest {
            config,
            layers: vec![junk.clone()],
            ..Default::default()
        })
        .unwrap();
    layout.tag("junk", &manifest).unwrap();
    let report = fsck_deep(&layout);
    assert!(
        matches!(only(&report), Problem::DiffId { error, .. } if error.contains("cannot decompress")),
        "{report}"
    );
}

/// Checks a layout made by a peer: fsck finds no damage, our gc keeps what
/// its tags reference, and the peer still reads its image afterwards.
fn check_peer_layout(layout_dir: &Path, tag: &str, made_by: &str) {
    let layout = Layout::open(layout_dir).unwrap();
    let report = fsck_deep(&layout);
    assert_eq!(report.damage().count(), 0, "{made_by}:\n{report}");
    let gc = layout
        .gc(&GcOptions {
            grace: Duration::ZERO,
            dry_run: false,
        })
        .unwrap();
    let report = fsck(&layout);
    assert!(
        report.is_clean(),
        "{made_by}, after gc removed {:?}:\n{report}",
        gc.removed
    );
    let listed = run(peers::command("umoci")
        .args(["ls", "--layout"])
        .arg(layout_dir));
    assert!(
        String::from_utf8_lossy(&listed).lines().any(|l| l == tag),
        "{} after our gc: {}",
        version("umoci"),
        String::from_utf8_lossy(&listed)
    );
    let image = format!("oci:{}:{tag}", layout_dir.display());
    let inspected = skopeo(&["inspect", &image]);
    assert!(
        String::from_utf8_lossy(&inspected).contains("\"Digest\""),
        "{} after our gc",
        version("skopeo")
    );
}

#[test]
fn a_layout_written_by_skopeo_checks_clean_and_survives_our_gc() {
    if !require_tools(&["skopeo", "umoci"]) {
        return;
    }
    let (dir, src) = new_layout();
    let platform: Platform = "linux/amd64".parse().unwrap();
    build_image(
        &src,
        "t",
        &[
            layer_tar(&[("one.txt", b"one")]),
            layer_tar(&[("two.txt", b"two")]),
        ],
    );
    let dst = dir.path().join("dst");
    skopeo(&[
        "copy",
        &format!("oci:{}:t", src.path().display()),
        &format!("oci:{}:t", dst.display()),
    ]);
    // Garbage beside it, for our gc to remove.
    let garbage = Layout::open(&dst)
        .unwrap()
        .put_bytes(MediaType::ImageLayer, b"garbage")
        .unwrap();
    check_peer_layout(&dst, "t", &version("skopeo"));
    let dst = Layout::open(&dst).unwrap();
    assert!(!dst.has_blob(&garbage.digest));
    dst.resolve("t", Some(&platform)).unwrap();
}

#[test]
fn a_layout_made_by_umoci_checks_clean_and_survives_our_gc() {
    if !require_tools(&["skopeo", "umoci"]) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let layout = dir.path().join("umoci");
    let image = format!("{}:t", layout.display());
    run(peers::command("umoci")
        .args(["init", "--layout"])
        .arg(&layout));
    umoci(&["new", "--image", &image]);
    // insert makes a new layer, config and manifest; the old ones are garbage.
    let file = dir.path().join("hello.txt");
    fs::write(&file, b"hello from umoci\n").unwrap();
    run(peers::command("umoci")
        .args(["insert", "--rootless", "--image", &image])
        .arg(&file)
        .arg("/hello.txt"));
    let report = fsck(&Layout::open(&layout).unwrap());
    assert!(
        report
            .problems
            .iter()
            .any(|p| matches!(p, Problem::Unreachable { .. })),
        "umoci insert leaves the old manifest: {report}"
    );
    check_peer_layout(&layout, "t", &version("umoci"));
}

#[test]
fn unknown_media_types_are_verified_leaves_never_errors() {
    let (_dir, layout) = new_layout();
    let thing = layout
        .put_bytes(
            "application/vnd.example.thing".into(),
            b"{\"not\":\"a manifest\"}",
        )
        .unwrap();
    layout.tag("thing", &thing).unwrap();
    assert!(fsck(&layout).is_clean());
    let gc = layout
        .gc(&GcOptions {
            grace: Duration::ZERO,
            dry_run: false,
        })
        .unwrap();
    assert!(gc.removed.is_empty() && layout.has_blob(&thing.digest));
    fs::write(layout.blob_path(&thing.digest), b"{}").unwrap();
    assert!(
        matches!(only(&fsck(&layout)), Problem::Corrupt { path, .. } if path == "index.json manifests[0]")
    );
}
