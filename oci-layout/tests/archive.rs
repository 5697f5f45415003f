//! Archives: oci-archive and docker-archive export and import, round trips,
//! determinism, hostile archives, streaming from a pipe, Docker-to-OCI
//! conversion, and interop with skopeo in both directions.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::collections::BTreeSet;
use std::io::Read;

use ocikit_image::annotations::REF_NAME;
use ocikit_image::{Descriptor, Digest, ImageManifest, Json, MediaType};
use ocikit_layout::archive::{self, ExportOptions, ImportOptions, Selection};
use ocikit_layout::{Error, FsckOptions, Layout};
use ocikit_test_support::bytes::sha256;
use ocikit_test_support::layouts::{build_image, layer_tar, small_image};
use ocikit_test_support::peers::{require_tools, skopeo, version};

fn new_layout(dir: &tempfile::TempDir, name: &str) -> Layout {
    Layout::init(dir.path().join(name)).unwrap()
}

/// A layout with `v1` (two layers) and `v2` (one layer, sharing nothing
/// with v1 but the empty parts).
fn source(dir: &tempfile::TempDir) -> (Layout, Descriptor, Descriptor) {
    let layout = new_layout(dir, "source");
    let v1 = build_image(
        &layout,
        "v1",
        &[
            layer_tar(&[("etc/hostname", b"ours\n"), ("bin/hello", b"#!/bin/sh\n")]),
            layer_tar(&[("etc/motd", b"welcome\n")]),
        ],
    );
    let v2 = small_image(&layout, "v2", "two");
    (layout, v1, v2)
}

fn oci_export(layout: &Layout, selection: &Selection) -> Vec<u8> {
    archive::oci::export(layout, selection, &ExportOptions::default(), Vec::new()).unwrap()
}

fn docker_export(layout: &Layout, tag: &str, repo_tag: &str) -> Vec<u8> {
    archive::docker::export(
        layout,
        tag,
        repo_tag,
        None,
        &ExportOptions::default(),
        Vec::new(),
    )
    .unwrap()
}

/// Each entry of a tar: name, header, content.
fn entries(tar: &[u8]) -> Vec<(String, tar::Header, Vec<u8>)> {
    let mut archive = tar::Archive::new(tar);
    archive
        .entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let name = String::from_utf8(e.path_bytes().into_owned()).unwrap();
            let header = e.header().clone();
            let mut content = Vec::new();
            e.read_to_end(&mut content).unwrap();
            (name, header, content)
        })
        .collect()
}

fn names(tar: &[u8]) -> Vec<String> {
    entries(tar).into_iter().map(|(n, _, _)| n).collect()
}

fn content(tar: &[u8], name: &str) -> Vec<u8> {
    entries(tar)
        .into_iter()
        .find(|(n, _, _)| n == name)
        .unwrap_or_else(|| panic!("no {name} in the archive"))
        .2
}

/// A tar whose entries are regular files with exactly these names (raw
/// bytes, so that hostile names the `tar` builder refuses can be written).
fn raw_tar(files: &[(&[u8], &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, data) in files {
        builder
            .append(
                &raw_header(name, data.len() as u64, tar::EntryType::Regular),
                *data,
            )
            .unwrap();
    }
    builder.into_inner().unwrap()
}

fn raw_header(name: &[u8], size: u64, kind: tar::EntryType) -> tar::Header {
    let mut header = tar::Header::new_gnu();
    header.as_gnu_mut().unwrap().name[..name.len()].copy_from_slice(name);
    header.set_size(size);
    header.set_mode(0o644);
    header.set_entry_type(kind);
    header.set_cksum();
    header
}

/// The blobs and index.json of a layout, to show that a failed import
/// changed nothing.
fn state(layout: &Layout) -> (BTreeSet<Digest>, Vec<u8>) {
    (
        layout.list_blobs().unwrap().into_iter().collect(),
        std::fs::read(layout.index_path()).unwrap(),
    )
}

/// Reads every blob of the image tagged `tag` through the verifying reader.
fn verify_image(layout: &Layout, tag: &str) -> ocikit_layout::Resolved {
    let resolved = layout
        .resolve(tag, Some(&"linux/amd64".parse().unwrap()))
        .unwrap();
    let config = layout.read_config(&resolved.manifest.config).unwrap();
    assert_eq!(config.rootfs.diff_ids.len(), resolved.manifest.layers.len());
    for layer in &resolved.manifest.layers {
        std::io::copy(&mut layout.open_blob(layer).unwrap(), &mut std::io::sink()).unwrap();
    }
    resolved
}

fn diff_ids(layout: &Layout, resolved: &ocikit_layout::Resolved) -> Vec<Digest> {
    layout
        .read_config(&resolved.manifest.config)
        .unwrap()
        .rootfs
        .diff_ids
        .clone()
}

#[test]
fn oci_archive_of_a_tag_round_trips_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let (source, v1, v2) = source(&dir);
    let tar = oci_export(&source, &Selection::tag("v1"));

    // Only what v1 reaches is in the archive, and index.json lists only v1.
    let original = source.resolve("v1", None).unwrap();
    let mut expected: Vec<String> = vec![
        "blobs/".into(),
        "blobs/sha256/".into(),
        "index.json".into(),
        "oci-layout".into(),
    ];
    for d in [&v1, &original.manifest.config]
        .into_iter()
        .chain(&original.manifest.layers)
    {
        expected.push(format!("blobs/sha256/{}", d.digest.encoded()));
    }
    expected.sort();
    assert_eq!(names(&tar), expected);
    let v2_manifest = format!("blobs/sha256/{}", v2.digest.encoded());
    assert!(!names(&tar).contains(&v2_manifest));
    let index: ocikit_image::ImageIndex =
        ocikit_image::ImageIndex::from_json(&content(&tar, "index.json")).unwrap();
    assert_eq!(index.manifests.len(), 1);
    assert_eq!(index.manifests[0].digest, v1.digest);
    assert_eq!(index.manifests[0].ref_name(), Some("v1"));
    assert_eq!(
        content(&tar, "oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#
    );

    let target = new_layout(&dir, "target");
    let imported =
        archive::oci::import(&target, &tar[..], None, &ImportOptions::default()).unwrap();
    assert_eq!(imported.descriptors.len(), 1);
    assert_eq!(imported.new_blobs, 4);
    let resolved = verify_image(&target, "v1");
    assert_eq!(resolved.descriptor.digest, v1.digest);
    assert_eq!(
        target.read_blob(&v1, 1 << 20).unwrap(),
        source.read_blob(&v1, 1 << 20).unwrap(),
        "the manifest is copied byte for byte"
    );
    assert_eq!(target.list_tags().unwrap(), ["v1"]);
}

#[test]
fn oci_archive_of_the_whole_layout_and_renamed_tags() {
    let dir = tempfile::tempdir().unwrap();
    let (source, v1, v2) = source(&dir);
    let tar = oci_export(&source, &Selection::All);
    assert_eq!(
        content(&tar, "index.json"),
        std::fs::read(source.index_path()).unwrap()
    );
    let blobs = names(&tar).iter().filter(|n| n.len() > 20).count();
    assert_eq!(blobs, source.list_blobs().unwrap().len());

    let target = new_layout(&dir, "all");
    archive::oci::import(&target, &tar[..], None, &ImportOptions::default()).unwrap();
    assert_eq!(target.list_tags().unwrap(), ["v1", "v2"]);
    assert_eq!(verify_image(&target, "v2").descriptor.digest, v2.digest);

    // Several images: the target tag picks one by name...
    let picked = new_layout(&dir, "picked");
    archive::oci::import(&picked, &tar[..], Some("v1"), &ImportOptions::default()).unwrap();
    assert_eq!(picked.list_tags().unwrap(), ["v1"]);
    assert!(!picked.has_blob(&v2.digest), "v2's blobs are not kept");
    // ...and one that names none is an error listing them, storing nothing.
    let before = state(&picked);
    let err =
        archive::oci::import(&picked, &tar[..], Some("v3"), &ImportOptions::default()).unwrap_err();
    assert!(matches!(err, Error::ArchiveSelection { .. }), "{err}");
    assert!(err.to_string().contains("v1, v2"), "{err}");
    assert_eq!(state(&picked), before);

    // An archive of one image under a new name, imported under a third.
    let renamed = archive::oci::export(
        &source,
        &Selection::Tag {
            tag: "v1".into(),
            rename: Some("release-1".into()),
        },
        &ExportOptions::default(),
        Vec::new(),
    )
    .unwrap();
    let index = ocikit_image::ImageIndex::from_json(&content(&renamed, "index.json")).unwrap();
    assert_eq!(index.manifests[0].ref_name(), Some("release-1"));
    let third = new_layout(&dir, "third");
    archive::oci::import(
        &third,
        &renamed[..],
        Some("prod"),
        &ImportOptions::default(),
    )
    .unwrap();
    assert_eq!(third.list_tags().unwrap(), ["prod"]);
    assert_eq!(third.find_tag("prod").unwrap().digest, v1.digest);
}

#[test]
fn a_tag_export_follows_nested_indexes_and_subjects() {
    let dir = tempfile::tempdir().unwrap();
    let (source, v1, v2) = source(&dir);
    // An index of an index of the two images, for two platforms.
    let arm = Descriptor {
        platform: Some("linux/arm64".parse().unwrap()),
        ..v2.clone()
    };
    let inner = ocikit_image::ImageIndex::new(vec![v1.clone(), arm]);
    let inner = source.put_json(&inner).unwrap();
    let outer = source
        .put_json(&ocikit_image::ImageIndex::new(vec![inner.clone()]))
        .unwrap();
    source.tag("multi", &outer).unwrap();
    // A referrer of v1: an artifact whose subject is v1's manifest (and
    // whose config is the empty descriptor, stored as the spec asks).
    source.put_bytes(MediaType::EmptyJson, b"{}").unwrap();
    let artifact = source
        .put_bytes(MediaType::Other("text/plain".into()), b"signed")
        .unwrap();
    let referrer = ImageManifest {
        artifact_type: Some(MediaType::Other("application/example".into())),
        layers: vec![artifact.clone()],
        subject: Some(v1.clone()),
        ..Default::default()
    };
    let referrer = source.put_json(&referrer).unwrap();
    source.tag("sig", &referrer).unwrap();

    let all_of = |d: &Descriptor| {
        let resolved = source
            .resolve("v1", None)
            .ok()
            .filter(|_| d.digest == v1.digest)
            .unwrap_or_else(|| source.resolve("v2", None).unwrap());
        let mut names = vec![
            resolved.descriptor.digest.clone(),
            resolved.manifest.config.digest.clone(),
        ];
        names.extend(resolved.manifest.layers.iter().map(|l| l.digest.clone()));
        names
    };
    let blobs = |tar: &[u8]| -> BTreeSet<String> {
        names(tar)
            .into_iter()
            .filter_map(|n| {
                n.strip_prefix("blobs/sha256/")
                    .filter(|h| !h.is_empty())
                    .map(|h| format!("sha256:{h}"))
            })
            .collect()
    };

    let tar = oci_export(&source, &Selection::tag("multi"));
    let mut expected: BTreeSet<String> = [&outer, &inner]
        .iter()
        .map(|d| d.digest.to_string())
        .collect();
    expected.extend(
        all_of(&v1)
            .iter()
            .chain(&all_of(&v2))
            .map(Digest::to_string),
    );
    assert_eq!(blobs(&tar), expected);
    let target = new_layout(&dir, "multi");
    archive::oci::import(&target, &tar[..], None, &ImportOptions::default()).unwrap();
    let amd = target
        .resolve("multi", Some(&"linux/amd64".parse().unwrap()))
        .unwrap();
    assert_eq!(amd.descriptor.digest, v1.digest);
    assert_eq!(amd.chain.len(), 3);
    let arm = target
        .resolve("multi", Some(&"linux/arm64".parse().unwrap()))
        .unwrap();
    assert_eq!(arm.descriptor.digest, v2.digest);

    // The referrer takes its subject along, and the subject's blobs.
    let tar = oci_export(&source, &Selection::tag("sig"));
    let mut expected: BTreeSet<String> = [&referrer, &artifact, &Descriptor::empty_json()]
        .iter()
        .map(|d| d.digest.to_string())
        .collect();
    expected.extend(all_of(&v1).iter().map(Digest::to_string));
    assert_eq!(blobs(&tar), expected);
}

#[test]
fn exports_are_deterministic() {
    let dir = tempfile::tempdir().unwrap();
    let (source, _, _) = source(&dir);
    for (a, b) in [
        (
            oci_export(&source, &Selection::tag("v1")),
            oci_export(&source, &Selection::tag("v1")),
        ),
        (
            oci_export(&source, &Selection::All),
            oci_export(&source, &Selection::All),
        ),
        (
            docker_export(&source, "v1", "foo/bar:v1"),
            docker_export(&source, "v1", "foo/bar:v1"),
        ),
    ] {
        assert_eq!(a, b);
        let all = entries(&a);
        let names: Vec<&String> = all.iter().map(|(n, _, _)| n).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted, "entries are sorted");
        for (name, header, _) in &all {
            assert_eq!(header.mtime().unwrap(), 0, "{name}");
            assert_eq!(header.uid().unwrap(), 0, "{name}");
            assert_eq!(header.gid().unwrap(), 0, "{name}");
            assert_eq!(header.username_bytes(), Some(&b""[..]), "{name}");
            assert_eq!(header.groupname_bytes(), Some(&b""[..]), "{name}");
            let mode = if name.ends_with('/') { 0o755 } else { 0o644 };
            assert_eq!(header.mode().unwrap(), mode, "{name}");
        }
    }
    let dated = archive::oci::export(
        &source,
        &Selection::tag("v1"),
        &ExportOptions {
            mtime: Some(1_700_000_000),
            ..Default::default()
        },
        Vec::new(),
    )
    .unwrap();
    assert!(
        entries(&dated)
            .iter()
            .all(|(_, h, _)| h.mtime().unwrap() == 1_700_000_000)
    );
}

#[test]
fn a_corrupt_blob_aborts_the_export_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let (source, _, _) = source(&dir);
    let layer = source.resolve("v1", None).unwrap().manifest.layers[1].clone();
    let path = source.blob_path(&layer.digest);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[600] ^= 1; // same size, other content
    std::fs::write(&path, bytes).unwrap();
    let err = archive::oci::export(
        &source,
        &Selection::tag("v1"),
        &ExportOptions::default(),
        Vec::new(),
    )
    .unwrap_err();
    assert!(err.to_string().contains(layer.digest.as_str()), "{err}");
    let err = archive::docker::export(
        &source,
        "v1",
        "a:b",
        None,
        &ExportOptions::default(),
        Vec::new(),
    )
    .unwrap_err();
    assert!(err.to_string().contains(layer.digest.as_str()), "{err}");
}

#[test]
fn docker_archive_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let (source, _, _) = source(&dir);
    let original = source.resolve("v1", None).unwrap();
    let config = source.read_config(&original.manifest.config).unwrap();
    let tar = docker_export(&source, "v1", "foo/bar:v1");

    // The exact shape docker load and skopeo read.
    let config_hex = sha256(config.bytes())
        .trim_start_matches("sha256:")
        .to_owned();
    let layer_hexes: Vec<&str> = config.rootfs.diff_ids.iter().map(Digest::encoded).collect();
    let expected = format!(
        r#"[{{"Config":"{config_hex}.json","RepoTags":["foo/bar:v1"],"Layers":["{}.tar","{}.tar"]}}]"#,
        layer_hexes[0], layer_hexes[1]
    );
    assert_eq!(
        String::from_utf8(content(&tar, "manifest.json")).unwrap(),
        expected
    );
    assert_eq!(
        content(&tar, &format!("{config_hex}.json")),
        config.bytes().as_ref()
    );
    for (hex, layer) in layer_hexes.iter().zip(&original.manifest.layers) {
        let bytes = content(&tar, &format!("{hex}.tar"));
        assert_eq!(sha256(&bytes), layer.digest.to_string());
    }

    // Imported as Docker schema 2 (the default)...
    let docker = new_layout(&dir, "docker");
    let imported =
        archive::docker::import(&docker, &tar[..], None, &ImportOptions::default()).unwrap();
    assert_eq!(imported.descriptors[0].ref_name(), Some("foo/bar:v1"));
    let resolved = verify_image(&docker, "foo/bar:v1");
    assert_eq!(resolved.descriptor.media_type, MediaType::DockerManifest);
    assert_eq!(
        resolved.manifest.media_type,
        Some(MediaType::DockerManifest)
    );
    assert_eq!(resolved.manifest.config.media_type, MediaType::DockerConfig);
    assert_eq!(
        resolved.manifest.config.digest,
        original.manifest.config.digest
    );
    assert!(
        resolved
            .manifest
            .layers
            .iter()
            .all(|l| l.media_type == MediaType::DockerLayer)
    );
    assert_eq!(diff_ids(&docker, &resolved), config.rootfs.diff_ids);
    assert_eq!(
        resolved.descriptor.platform,
        Some("linux/amd64".parse().unwrap())
    );

    // ...or as OCI, under a tag of our choosing.
    let oci = new_layout(&dir, "oci");
    archive::docker::import(
        &oci,
        &tar[..],
        Some("latest"),
        &ImportOptions {
            to_oci: true,
            ..Default::default()
        },
    )
    .unwrap();
    let resolved = verify_image(&oci, "latest");
    assert_eq!(resolved.descriptor.media_type, MediaType::ImageManifest);
    assert_eq!(resolved.manifest.config.media_type, MediaType::ImageConfig);
    assert_eq!(
        resolved.manifest.config.digest,
        original.manifest.config.digest
    );
    assert_eq!(
        resolved
            .manifest
            .layers
            .iter()
            .map(|l| &l.digest)
            .collect::<Vec<_>>(),
        original
            .manifest
            .layers
            .iter()
            .map(|l| &l.digest)
            .collect::<Vec<_>>()
    );
    // Nothing but the image's blobs: config, two layers, manifest.
    assert_eq!(oci.list_blobs().unwrap().len(), 4);
}

#[test]
fn docker_export_wants_a_name_and_a_tag() {
    let dir = tempfile::tempdir().unwrap();
    let (source, _, _) = source(&dir);
    for bad in ["foo", "Foo:1", "foo@sha256:abc", "foo:"] {
        let err = archive::docker::export(
            &source,
            "v1",
            bad,
            None,
            &ExportOptions::default(),
            Vec::new(),
        )
        .unwrap_err();
        assert!(
            matches!(err, Error::InvalidDockerReference { .. }),
            "{bad}: {err}"
        );
    }
}

#[test]
fn docker_export_refuses_layers_it_cannot_decompress() {
    let dir = tempfile::tempdir().unwrap();
    let layout = new_layout(&dir, "encrypted");
    let media_type: MediaType = "application/vnd.oci.image.layer.v1.tar+encrypted".into();
    let layer = layout.put_bytes(media_type, b"ciphertext").unwrap();
    let mut config =
        ocikit_image::ImageConfiguration::for_platform(&"linux/amd64".parse().unwrap());
    config.rootfs.diff_ids.push(Digest::sha256(b"the tar"));
    let config = layout.put_json(&config).unwrap();
    let manifest = layout
        .put_json(&ImageManifest {
            config,
            layers: vec![layer.clone()],
            ..Default::default()
        })
        .unwrap();
    layout.tag("enc", &manifest).unwrap();
    let mut out = Vec::new();
    let err = archive::docker::export(
        &layout,
        "enc",
        "a:b",
        None,
        &ExportOptions::default(),
        &mut out,
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::LayerCodec { ref digest, .. } if *digest == layer.digest),
        "{err}"
    );
    assert!(err.to_string().contains("encrypted"), "{err}");
    assert!(
        out.is_empty(),
        "nothing is written before the layers are known to be readable"
    );
}

#[test]
fn compressed_layers_are_decompressed_into_docker_archives() {
    let dir = tempfile::tempdir().unwrap();
    let (source, _, _) = source(&dir);
    let original = source.resolve("v1", None).unwrap();
    let tar = docker_export(&source, "v1", "foo/bar:v1");
    let codecs = [
        (
            ocikit_layout::codec::Codec::gzip(),
            true,
            MediaType::ImageLayerGzip,
        ),
        (
            ocikit_layout::codec::Codec::gzip(),
            false,
            MediaType::DockerLayerGzip,
        ),
        (
            ocikit_layout::codec::Codec::zstd(),
            true,
            MediaType::ImageLayerZstd,
        ),
    ];
    for (codec, to_oci, media_type) in codecs {
        let what = format!("{media_type}");
        let layout = new_layout(
            &dir,
            &format!("compressed-{}-{to_oci}", codec.compression() as u8),
        );
        let options = ImportOptions {
            to_oci,
            compress_layers: Some(codec),
            ..Default::default()
        };
        archive::docker::import(&layout, &tar[..], Some("c"), &options).unwrap();
        let resolved = verify_image(&layout, "c");
        assert!(
            resolved
                .manifest
                .layers
                .iter()
                .all(|l| l.media_type == media_type),
            "{what}"
        );
        assert_eq!(
            diff_ids(&layout, &resolved),
            diff_ids(&source, &original),
            "{what}"
        );
        for (layer, plain) in resolved
            .manifest
            .layers
            .iter()
            .zip(&original.manifest.layers)
        {
            assert_ne!(layer.digest, plain.digest, "{what}: stored compressed");
            assert!(
                !layout.has_blob(&plain.digest),
                "{what}: the plain tar is not kept"
            );
        }
        // Exported again, decompressed: the very same archive.
        assert_eq!(docker_export(&layout, "c", "foo/bar:v1"), tar, "{what}");

        // A compressed layer whose content is not its diff_id.
        let config = layout.read_config(&resolved.manifest.config).unwrap();
        let mut wrong = config.value().clone();
        wrong.rootfs.diff_ids.swap(0, 1);
        let wrong = layout.put_json(&wrong).unwrap();
        let manifest = ImageManifest {
            config: wrong,
            layers: resolved.manifest.layers.clone(),
            ..Default::default()
        };
        let manifest = layout.put_json(&manifest).unwrap();
        layout.tag("wrong", &manifest).unwrap();
        let err = archive::docker::export(
            &layout,
            "wrong",
            "a:b",
            None,
            &ExportOptions::default(),
            Vec::new(),
        )
        .unwrap_err();
        assert!(
            matches!(err, Error::DiffIdMismatch { index: 0, .. }),
            "{what}: {err}"
        );
    }
}

#[test]
fn docker_import_checks_diff_ids_and_keeps_no_strays() {
    let dir = tempfile::tempdir().unwrap();
    let (source, _, _) = source(&dir);
    let tar = docker_export(&source, "v1", "foo/bar:v1");
    let all = entries(&tar);

    // Legacy files and an extra file: read past, nothing of them kept.
    let mut files: Vec<(Vec<u8>, Vec<u8>)> = vec![
        (
            b"repositories".to_vec(),
            br#"{"foo/bar":{"v1":"abc"}}"#.to_vec(),
        ),
        (b"abc/VERSION".to_vec(), b"1.0".to_vec()),
        (b"abc/json".to_vec(), b"{}".to_vec()),
        (b"unused.bin".to_vec(), b"nobody needs me".to_vec()),
    ];
    files.extend(
        all.iter()
            .map(|(n, _, c)| (n.clone().into_bytes(), c.clone())),
    );
    let borrowed: Vec<(&[u8], &[u8])> = files.iter().map(|(n, c)| (&n[..], &c[..])).collect();
    let target = new_layout(&dir, "strays");
    archive::docker::import(
        &target,
        &raw_tar(&borrowed)[..],
        None,
        &ImportOptions::default(),
    )
    .unwrap();
    assert!(!target.has_blob(&Digest::sha256(b"nobody needs me")));
    assert_eq!(target.list_blobs().unwrap().len(), 4);

    // A layer that is not its diff_id: an error naming both, nothing kept.
    let mut files: Vec<(Vec<u8>, Vec<u8>)> = all
        .iter()
        .map(|(n, _, c)| (n.clone().into_bytes(), c.clone()))
        .collect();
    let layer = files
        .iter_mut()
        .find(|(n, _)| n.ends_with(b".tar"))
        .unwrap();
    let expected = format!("sha256:{}", String::from_utf8_lossy(&layer.0[..64]));
    layer.1 = layer_tar(&[("evil", b"swapped")]);
    let found = sha256(&layer.1);
    let borrowed: Vec<(&[u8], &[u8])> = files.iter().map(|(n, c)| (&n[..], &c[..])).collect();
    let target = new_layout(&dir, "mismatch");
    let before = state(&target);
    let err = archive::docker::import(
        &target,
        &raw_tar(&borrowed)[..],
        None,
        &ImportOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::DiffIdMismatch { .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.contains(&expected) && message.contains(&found),
        "{message}"
    );
    assert_eq!(state(&target), before);
}

#[test]
fn docker_import_follows_safe_links_and_refuses_escaping_ones() {
    let dir = tempfile::tempdir().unwrap();
    let (source, _, _) = source(&dir);
    let original = source.resolve("v1", None).unwrap();
    let tar = docker_export(&source, "v1", "foo/bar:v1");

    // Legacy layout: <id>/layer.tar as a symlink to ../<hex>.tar, and the
    // manifest naming the links.
    let mut builder = tar::Builder::new(Vec::new());
    let mut layers = Vec::new();
    for (name, header, data) in entries(&tar) {
        if name == "manifest.json" {
            continue;
        }
        builder.append(&header, &data[..]).unwrap();
        if let Some(hex) = name.strip_suffix(".tar") {
            let link = format!("{}/layer.tar", &sha256(hex.as_bytes())[7..]);
            let mut header = raw_header(link.as_bytes(), 0, tar::EntryType::Symlink);
            header.set_link_name(format!("../{name}")).unwrap();
            header.set_cksum();
            builder.append(&header, &[][..]).unwrap();
            layers.push(link);
        }
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&content(&tar, "manifest.json")).unwrap();
    let config = manifest[0]["Config"].as_str().unwrap();
    let manifest = serde_json::json!([{"Config": config, "RepoTags": null, "Layers": layers}]);
    let manifest = serde_json::to_vec(&manifest).unwrap();
    builder
        .append(
            &raw_header(
                b"manifest.json",
                manifest.len() as u64,
                tar::EntryType::Regular,
            ),
            &manifest[..],
        )
        .unwrap();
    let legacy = builder.into_inner().unwrap();
    let target = new_layout(&dir, "legacy");
    archive::docker::import(&target, &legacy[..], Some("old"), &ImportOptions::default()).unwrap();
    assert_eq!(
        diff_ids(&target, &verify_image(&target, "old")),
        diff_ids(&source, &original)
    );

    // A link out of the archive is refused, and nothing is kept.
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = raw_header(b"abc/layer.tar", 0, tar::EntryType::Symlink);
    header.set_link_name("../../etc/passwd").unwrap();
    header.set_cksum();
    builder.append(&header, &[][..]).unwrap();
    let evil = builder.into_inner().unwrap();
    let target = new_layout(&dir, "evil-link");
    let err =
        archive::docker::import(&target, &evil[..], None, &ImportOptions::default()).unwrap_err();
    assert!(matches!(err, Error::ArchiveEntryRefused { .. }), "{err}");
}

#[test]
fn hostile_oci_archives_store_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (source, v1, _) = source(&dir);
    let good = oci_export(&source, &Selection::tag("v1"));
    let good_files: Vec<(Vec<u8>, Vec<u8>)> = entries(&good)
        .into_iter()
        .filter(|(n, _, _)| !n.ends_with('/'))
        .map(|(n, _, c)| (n.into_bytes(), c))
        .collect();
    let target = new_layout(&dir, "target");
    // A blob the target already has must survive any failed import.
    let kept = target
        .put_bytes(MediaType::ImageLayer, b"already here")
        .unwrap();
    let before = state(&target);

    let with = |extra: (&[u8], &[u8]), first: bool| {
        let mut files: Vec<(&[u8], &[u8])> =
            good_files.iter().map(|(n, c)| (&n[..], &c[..])).collect();
        if first {
            files.insert(0, extra);
        } else {
            files.push(extra);
        }
        raw_tar(&files)
    };
    let wrong_name = format!(
        "blobs/sha256/{}",
        Digest::sha256(b"something else").encoded()
    );
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("../x", with((b"../x", b"escape"), false)),
        ("blobs/../../x", with((b"blobs/../../x", b"escape"), false)),
        ("/etc/passwd", with((b"/etc/passwd", b"root"), false)),
        (
            "a file a layout has not",
            with((b"notes.txt", b"hi"), false),
        ),
        ("a bad digest", with((b"blobs/sha256/xyz", b"hi"), false)),
        (
            "content not matching its name",
            with((wrong_name.as_bytes(), b"not that"), false),
        ),
        (
            "content not matching its name, early",
            with((wrong_name.as_bytes(), b"not that"), true),
        ),
    ];
    for (what, tar) in cases {
        let err =
            archive::oci::import(&target, &tar[..], None, &ImportOptions::default()).unwrap_err();
        assert!(
            matches!(
                err,
                Error::ArchiveEntryRefused { .. } | Error::ArchiveEntry { .. }
            ),
            "{what}: {err}"
        );
        assert_eq!(state(&target), before, "{what}: the layout is unchanged");
    }

    // A symlink entry, even with an innocent name.
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = raw_header(b"index.json", 0, tar::EntryType::Symlink);
    header.set_link_name("/etc/passwd").unwrap();
    header.set_cksum();
    builder.append(&header, &[][..]).unwrap();
    let err = archive::oci::import(
        &target,
        &builder.into_inner().unwrap()[..],
        None,
        &ImportOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::ArchiveEntryRefused { .. }), "{err}");

    // An index referencing a layer the archive lacks: named, nothing kept
    // or tagged, the blob that was there before still there.
    let layer = source.resolve("v1", None).unwrap().manifest.layers[0].clone();
    let missing_name = format!("blobs/sha256/{}", layer.digest.encoded());
    let files: Vec<(&[u8], &[u8])> = good_files
        .iter()
        .filter(|(n, _)| *n != missing_name.as_bytes())
        .map(|(n, c)| (&n[..], &c[..]))
        .collect();
    let err = archive::oci::import(
        &target,
        &raw_tar(&files)[..],
        Some("x"),
        &ImportOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::MissingReference { ref digest, .. } if *digest == layer.digest),
        "{err}"
    );
    assert!(
        err.to_string().contains(v1.digest.as_str()),
        "names the manifest: {err}"
    );
    assert_eq!(state(&target), before);
    assert!(target.has_blob(&kept.digest));

    // Without index.json or oci-layout: an error naming the file.
    let files: Vec<(&[u8], &[u8])> = good_files
        .iter()
        .filter(|(n, _)| n != b"index.json")
        .map(|(n, c)| (&n[..], &c[..]))
        .collect();
    let err = archive::oci::import(
        &target,
        &raw_tar(&files)[..],
        None,
        &ImportOptions::default(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("index.json"), "{err}");
    assert_eq!(state(&target), before);

    // The same blob, present in the layout already, completes the archive.
    target
        .put_blob_verified(&layer, &source.read_blob(&layer, 1 << 20).unwrap()[..])
        .unwrap();
    let files: Vec<(&[u8], &[u8])> = good_files
        .iter()
        .filter(|(n, _)| *n != missing_name.as_bytes())
        .map(|(n, c)| (&n[..], &c[..]))
        .collect();
    archive::oci::import(
        &target,
        &raw_tar(&files)[..],
        Some("x"),
        &ImportOptions::default(),
    )
    .unwrap();
    verify_image(&target, "x");
}

/// Input that is not a tar archive at all (text, noise, a compressed
/// archive) is refused as such, in both formats, and stores nothing; a tar
/// archive broken after its first header is a read error as before.
#[test]
fn input_that_is_no_tar_archive_is_named_so() {
    let dir = tempfile::tempdir().unwrap();
    let (source, _, _) = source(&dir);
    let good = oci_export(&source, &Selection::tag("v1"));
    let target = new_layout(&dir, "target");
    let before = state(&target);
    let text = "a line of text\n".repeat(100);
    let mut gzipped = vec![0x1f, 0x8b, 0x08, 0x00];
    gzipped.extend_from_slice(&good[..2000]);
    let inputs: [(&str, &[u8]); 3] = [
        ("shorter than a header", b"hello\n"),
        ("text", text.as_bytes()),
        ("gzip", &gzipped),
    ];
    for (what, input) in inputs {
        let options = ImportOptions::default();
        for (format, err) in [
            (
                "oci-archive",
                archive::oci::import(&target, input, Some("x"), &options).unwrap_err(),
            ),
            (
                "docker-archive",
                archive::docker::import(&target, input, Some("x"), &options).unwrap_err(),
            ),
        ] {
            assert!(
                matches!(err, Error::NotATarArchive { format: f, .. } if f == format),
                "{what}, {format}: {err:?}"
            );
            assert_eq!(
                err.to_string(),
                format!("not a tar archive: no valid tar header at its start (read as {format})")
            );
        }
    }
    // A good first header, then a broken one: a tar archive, damaged.
    let mut damaged = good[..512].to_vec();
    let size = usize::try_from(entries(&good)[0].1.entry_size().unwrap()).unwrap();
    damaged.extend_from_slice(&good[512..512 + size.div_ceil(512) * 512]);
    damaged.extend_from_slice(&[b'x'; 512]);
    let err = archive::oci::import(&target, &damaged[..], Some("x"), &ImportOptions::default())
        .unwrap_err();
    assert!(matches!(err, Error::ArchiveIo { .. }), "{err:?}");
    assert_eq!(state(&target), before);
}

/// A reader that is only a reader: no seeking, no peeking.
struct OnlyRead<R>(R);

impl<R: Read> Read for OnlyRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        // Short reads, too, as a pipe gives them.
        let n = buf.len().min(1000);
        self.0.read(&mut buf[..n])
    }
}

#[test]
fn import_streams_from_a_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let (source, v1, _) = source(&dir);

    // Export straight into a pipe while another thread imports from it.
    for format in ["oci", "docker"] {
        let (reader, writer) = std::io::pipe().unwrap();
        let exporter = {
            let source = source.clone();
            std::thread::spawn(move || {
                let writer = if format == "oci" {
                    archive::oci::export(
                        &source,
                        &Selection::tag("v1"),
                        &ExportOptions::default(),
                        writer,
                    )
                } else {
                    archive::docker::export(
                        &source,
                        "v1",
                        "foo:v1",
                        None,
                        &ExportOptions::default(),
                        writer,
                    )
                };
                drop(writer.unwrap());
            })
        };
        let target = new_layout(&dir, &format!("piped-{format}"));
        let imported = if format == "oci" {
            archive::oci::import(
                &target,
                OnlyRead(reader),
                Some("p"),
                &ImportOptions::default(),
            )
        } else {
            archive::docker::import(
                &target,
                OnlyRead(reader),
                Some("p"),
                &ImportOptions {
                    to_oci: true,
                    ..Default::default()
                },
            )
        }
        .unwrap();
        exporter.join().unwrap();
        assert_eq!(imported.descriptors.len(), 1);
        let resolved = verify_image(&target, "p");
        if format == "oci" {
            assert_eq!(resolved.descriptor.digest, v1.digest);
        }
    }
}

#[test]
fn docker_manifests_in_an_oci_archive_convert_to_oci_where_asked() {
    let dir = tempfile::tempdir().unwrap();
    let layout = new_layout(&dir, "docker-in-oci");
    let layer_bytes = layer_tar(&[("a", b"b")]);
    let layer = layout
        .put_bytes(MediaType::DockerLayer, &layer_bytes)
        .unwrap();
    let mut config =
        ocikit_image::ImageConfiguration::for_platform(&"linux/amd64".parse().unwrap());
    config.rootfs.diff_ids.push(layer.digest.clone());
    let mut config = layout.put_json(&config).unwrap();
    config.media_type = MediaType::DockerConfig;
    let manifest = ImageManifest {
        media_type: Some(MediaType::DockerManifest),
        config: config.clone(),
        layers: vec![layer.clone()],
        ..Default::default()
    };
    let manifest = layout
        .put_bytes(MediaType::DockerManifest, &manifest.to_canonical_json())
        .unwrap()
        .with_platform("linux/amd64".parse().unwrap());
    let list = ocikit_image::ImageIndex {
        media_type: Some(MediaType::DockerManifestList),
        manifests: vec![manifest.clone()],
        ..Default::default()
    };
    let list = layout
        .put_bytes(MediaType::DockerManifestList, &list.to_canonical_json())
        .unwrap();
    layout.tag("docker", &manifest).unwrap();
    layout.tag("list", &list).unwrap();
    let tar = oci_export(&layout, &Selection::All);

    // Kept as they are by default...
    let kept = new_layout(&dir, "kept");
    archive::oci::import(&kept, &tar[..], None, &ImportOptions::default()).unwrap();
    assert_eq!(
        kept.find_tag("docker").unwrap(),
        layout.find_tag("docker").unwrap()
    );

    // ...converted where asked: new manifests, the same config and layer.
    let converted = new_layout(&dir, "converted");
    archive::oci::import(
        &converted,
        &tar[..],
        None,
        &ImportOptions {
            to_oci: true,
            ..Default::default()
        },
    )
    .unwrap();
    for tag in ["docker", "list"] {
        let resolved = verify_image(&converted, tag);
        assert_eq!(
            resolved.descriptor.media_type,
            MediaType::ImageManifest,
            "{tag}"
        );
        assert_eq!(
            resolved.manifest.media_type,
            Some(MediaType::ImageManifest),
            "{tag}"
        );
        assert_eq!(resolved.manifest.config.media_type, MediaType::ImageConfig);
        assert_eq!(resolved.manifest.config.digest, config.digest);
        assert_eq!(
            resolved.manifest.layers[0].media_type,
            MediaType::ImageLayer
        );
        assert_eq!(resolved.manifest.layers[0].digest, layer.digest);
        assert_eq!(resolved.descriptor.platform, manifest.platform);
    }
    let index = converted.find_tag("list").unwrap();
    assert_eq!(index.media_type, MediaType::ImageIndex);
    // The Docker manifests the archive brought are not kept.
    assert!(!converted.has_blob(&manifest.digest));
    assert!(!converted.has_blob(&list.digest));
    // The public conversion gives the same result.
    let again = archive::convert::to_oci(&kept, &kept.find_tag("list").unwrap()).unwrap();
    assert_eq!(again.digest, index.digest);
}

// Interop with skopeo, both directions. Every assertion names the version.

fn json(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).unwrap()
}

#[test]
fn skopeo_reads_our_archives() {
    if !require_tools(&["skopeo"]) {
        return;
    }
    let peer = version("skopeo");
    let dir = tempfile::tempdir().unwrap();
    let (source, _, _) = source(&dir);
    let original = source.resolve("v1", None).unwrap();
    let our_diff_ids = diff_ids(&source, &original);
    let layer_digests: Vec<String> = original
        .manifest
        .layers
        .iter()
        .map(|l| l.digest.to_string())
        .collect();

    let oci_path = dir.path().join("ours.oci.tar");
    let docker_path = dir.path().join("ours.docker.tar");
    std::fs::write(&oci_path, oci_export(&source, &Selection::tag("v1"))).unwrap();
    std::fs::write(&docker_path, docker_export(&source, "v1", "foo/bar:v1")).unwrap();
    let oci_ref = format!("oci-archive:{}", oci_path.display());
    let docker_ref = format!("docker-archive:{}", docker_path.display());

    // skopeo inspect reports our layers, from both.
    for reference in [&oci_ref, &docker_ref] {
        let inspect = json(&skopeo(&["inspect", reference]));
        assert_eq!(
            inspect["Layers"],
            serde_json::json!(layer_digests),
            "{peer}: {reference}"
        );
        assert_eq!(inspect["Architecture"], "amd64", "{peer}: {reference}");
    }
    let inspect = json(&skopeo(&["inspect", &oci_ref]));
    assert_eq!(
        inspect["Digest"],
        original.descriptor.digest.to_string(),
        "{peer}"
    );

    // ours (oci-archive) -> skopeo -> docker-archive -> ours.
    let via_docker = dir.path().join("via.docker.tar");
    skopeo(&[
        "copy",
        &oci_ref,
        &format!("docker-archive:{}:foo/bar:v1", via_docker.display()),
    ]);
    let back = new_layout(&dir, "back-docker");
    archive::docker::import(
        &back,
        std::fs::File::open(&via_docker).unwrap(),
        Some("v1"),
        &ImportOptions::default(),
    )
    .unwrap();
    let resolved = verify_image(&back, "v1");
    assert_eq!(
        diff_ids(&back, &resolved),
        our_diff_ids,
        "{peer}: docker-archive written by skopeo"
    );

    // ours (oci-archive) -> skopeo -> oci layout, which opens with ours.
    let copy = dir.path().join("copy");
    skopeo(&["copy", &oci_ref, &format!("oci:{}:copied", copy.display())]);
    let theirs = Layout::open(&copy).unwrap();
    let copied = verify_image(&theirs, "copied");
    assert_eq!(copied.manifest.config, original.manifest.config, "{peer}");

    // ours (docker-archive) -> skopeo -> oci layout.
    let copy = dir.path().join("copy-docker");
    skopeo(&[
        "copy",
        &docker_ref,
        &format!("oci:{}:copied", copy.display()),
    ]);
    let theirs = Layout::open(&copy).unwrap();
    let copied = verify_image(&theirs, "copied");
    assert_eq!(
        diff_ids(&theirs, &copied),
        our_diff_ids,
        "{peer}: our docker-archive"
    );
}

#[test]
fn archives_skopeo_writes_import_with_ours() {
    if !require_tools(&["skopeo"]) {
        return;
    }
    let peer = version("skopeo");
    let dir = tempfile::tempdir().unwrap();
    let (source, _, _) = source(&dir);
    let original = source.resolve("v1", None).unwrap();
    let our_diff_ids = diff_ids(&source, &original);
    let from = format!("oci:{}:v1", source.path().display());

    let oci_path = dir.path().join("theirs.oci.tar");
    skopeo(&[
        "copy",
        &from,
        &format!("oci-archive:{}:v1", oci_path.display()),
    ]);
    let target = new_layout(&dir, "from-oci-archive");
    let imported = archive::oci::import(
        &target,
        std::fs::File::open(&oci_path).unwrap(),
        None,
        &ImportOptions::default(),
    )
    .unwrap();
    assert_eq!(imported.descriptors.len(), 1, "{peer}");
    let resolved = verify_image(&target, "v1");
    assert_eq!(
        resolved.manifest.config, original.manifest.config,
        "{peer}: oci-archive"
    );
    // skopeo compressed the layers; our docker-archive of them holds the
    // plain tars again, which skopeo reads back as the diff_ids.
    assert!(
        resolved
            .manifest
            .layers
            .iter()
            .all(|l| l.media_type == MediaType::ImageLayerGzip),
        "{peer}: skopeo gzips layers it copies"
    );
    let docker_path = dir.path().join("ours-from-gzip.docker.tar");
    let tar = docker_export(&target, "v1", "foo/bar:v1");
    assert_eq!(tar, docker_export(&source, "v1", "foo/bar:v1"), "{peer}");
    std::fs::write(&docker_path, tar).unwrap();
    let inspect = json(&skopeo(&[
        "inspect",
        &format!("docker-archive:{}", docker_path.display()),
    ]));
    let expected: Vec<String> = our_diff_ids.iter().map(Digest::to_string).collect();
    assert_eq!(inspect["Layers"], serde_json::json!(expected), "{peer}");
    assert_eq!(diff_ids(&target, &resolved), our_diff_ids, "{peer}");

    let docker_path = dir.path().join("theirs.docker.tar");
    skopeo(&[
        "copy",
        &from,
        &format!(
            "docker-archive:{}:example.com/foo/bar:v1",
            docker_path.display()
        ),
    ]);
    for to_oci in [false, true] {
        let target = new_layout(&dir, &format!("from-docker-archive-{to_oci}"));
        let imported = archive::docker::import(
            &target,
            std::fs::File::open(&docker_path).unwrap(),
            None,
            &ImportOptions {
                to_oci,
                ..Default::default()
            },
        )
        .unwrap();
        let tag = imported.descriptors[0].ref_name().unwrap().to_owned();
        assert_eq!(tag, "example.com/foo/bar:v1", "{peer}");
        let resolved = verify_image(&target, &tag);
        assert_eq!(
            diff_ids(&target, &resolved),
            our_diff_ids,
            "{peer}: docker-archive"
        );
        // skopeo's legacy files (repositories, <id>/json, <id>/VERSION) are not kept.
        assert_eq!(
            target.list_blobs().unwrap().len(),
            2 + our_diff_ids.len(),
            "{peer}"
        );
    }
}

/// An oci-archive of one image, written by hand: its layer (an empty tar),
/// `config` and `manifest` (with `{config}` and `{layer}` replaced by their
/// descriptors), and an index.json naming the manifest.
fn hand_made_archive(config: &str, manifest: &str) -> (Vec<u8>, Digest, Digest) {
    let layer = vec![0u8; 1024];
    let layer_d = Descriptor::for_bytes(MediaType::ImageLayer, &layer);
    let config = config.replace("{diff_id}", layer_d.digest.as_str());
    let config_d = Descriptor::for_bytes(MediaType::ImageConfig, config.as_bytes());
    let json = |d: &Descriptor| String::from_utf8(d.to_canonical_json()).unwrap();
    let manifest = manifest
        .replace("{config}", &json(&config_d))
        .replace("{layer}", &json(&layer_d));
    let manifest_d = Descriptor::for_bytes(MediaType::ImageManifest, manifest.as_bytes());
    let mut tagged = manifest_d.clone();
    tagged.annotations.insert(REF_NAME.into(), "v1".into());
    let index = format!(r#"{{"schemaVersion":2,"manifests":[{}]}}"#, json(&tagged));
    let name = |d: &Descriptor| format!("blobs/sha256/{}", d.digest.encoded()).into_bytes();
    let (layer_n, config_n, manifest_n) = (name(&layer_d), name(&config_d), name(&manifest_d));
    let tar = raw_tar(&[
        (b"oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#),
        (&layer_n, &layer),
        (&config_n, config.as_bytes()),
        (&manifest_n, manifest.as_bytes()),
        (b"index.json", index.as_bytes()),
    ]);
    (tar, config_d.digest, manifest_d.digest)
}

#[test]
fn oci_archives_whose_documents_break_the_spec_store_nothing() {
    let good_config = r#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["{diff_id}"]}}"#;
    let good_manifest = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{config},"layers":[{layer}]}"#;
    let dir = tempfile::tempdir().unwrap();
    let target = new_layout(&dir, "target");
    let (tar, _, _) = hand_made_archive(good_config, good_manifest);
    archive::oci::import(&target, &tar[..], None, &ImportOptions::default()).unwrap();
    assert!(target.fsck(&FsckOptions::default()).unwrap().is_clean());

    let cases = [
        (
            "a config whose rootfs.type is not layers",
            good_config.replace(r#""type":"layers""#, r#""type":"l)yers""#),
            good_manifest.to_owned(),
            "config",
            "rootfs.type",
        ),
        (
            "two layers for one diff_id",
            good_config.to_owned(),
            good_manifest.replace("[{layer}]", "[{layer},{layer}]"),
            "manifest",
            "diff_ids",
        ),
        (
            "a manifest that says it is an index",
            good_config.to_owned(),
            good_manifest.replace(
                "vnd.oci.image.manifest.v1+json",
                "vnd.oci.image.index.v1+json",
            ),
            "manifest",
            "index",
        ),
    ];
    for (what, config, manifest, blamed, expected) in cases {
        let target = new_layout(&dir, &format!("t-{}", what.len()));
        let before = state(&target);
        let (tar, config_digest, manifest_digest) = hand_made_archive(&config, &manifest);
        let err =
            archive::oci::import(&target, &tar[..], None, &ImportOptions::default()).unwrap_err();
        let blamed = if blamed == "config" {
            config_digest
        } else {
            manifest_digest
        };
        let message = err.to_string();
        assert!(
            matches!(err, Error::ArchiveFile { .. })
                && message.contains(&format!("blob {blamed}"))
                && message.contains(expected),
            "{what}: {message}"
        );
        assert_eq!(state(&target), before, "{what}: the layout is unchanged");
    }
}
