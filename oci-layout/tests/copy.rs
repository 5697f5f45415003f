//! `Layout::copy_image`: every blob a tag reaches arrives byte for byte,
//! blobs already there are not rewritten, a corrupt, missing or damaged
//! source tags nothing and leaves nothing behind, nested indexes and
//! artifacts come whole, and the peers (umoci, skopeo) read what we copy.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::collections::BTreeSet;
use std::os::unix::fs::MetadataExt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use ocikit_image::{Descriptor, Digest, ImageConfiguration, ImageIndex, ImageManifest, MediaType};
use ocikit_layout::codec::Codec;
use ocikit_layout::progress::{Progress, Status};
use ocikit_layout::{CopyOptions, Error, FsckOptions, Layout};
use ocikit_test_support::layouts::{build_image_with, layer_tar, small_image};
use ocikit_test_support::peers::{require_tools, skopeo, umoci, version};

/// What a progress callback saw: task, bytes, total bytes, entries.
type Reports = Arc<Mutex<Vec<(String, u64, Option<u64>, u64)>>>;

fn layouts() -> (tempfile::TempDir, Layout, Layout) {
    let dir = tempfile::tempdir().unwrap();
    let source = Layout::init(dir.path().join("source")).unwrap();
    let target = Layout::init(dir.path().join("target")).unwrap();
    (dir, source, target)
}

/// A two-layer gzip image tagged `v1`.
fn two_layers(source: &Layout) -> Descriptor {
    build_image_with(
        source,
        "v1",
        &[
            layer_tar(&[("etc/hostname", b"copied\n")]),
            layer_tar(&[("etc/motd", b"welcome\n")]),
        ],
        Codec::gzip(),
    )
}

fn blob_set(layout: &Layout) -> BTreeSet<Digest> {
    layout.list_blobs().unwrap().into_iter().collect()
}

fn assert_clean(layout: &Layout) {
    let report = layout.fsck(&FsckOptions::default()).unwrap();
    assert!(report.is_clean(), "{:?}", report.problems);
}

fn copy(
    target: &Layout,
    source: &Layout,
    tag: &str,
    new_tag: &str,
) -> ocikit_layout::Result<ocikit_layout::Copied> {
    target.copy_image(source, tag, new_tag, &CopyOptions::default())
}

#[test]
fn every_blob_arrives_byte_for_byte_and_the_tag_resolves_to_the_same_manifest() {
    let (_dir, source, target) = layouts();
    let manifest = two_layers(&source);
    let copied = copy(&target, &source, "v1", "stable").unwrap();

    assert_eq!(copied.descriptor.digest, manifest.digest);
    assert_eq!(copied.descriptor.ref_name(), Some("stable"));
    assert_eq!((copied.new_blobs, copied.reused_blobs), (4, 0));
    assert_eq!(target.list_tags().unwrap(), ["stable"]);
    assert_eq!(target.find_tag("stable").unwrap().digest, manifest.digest);
    let resolved = target.resolve("stable", None).unwrap();
    assert_eq!(resolved.descriptor.digest, manifest.digest);

    // The same blobs, no more, each the same bytes.
    assert_eq!(blob_set(&target), blob_set(&source));
    let mut bytes = 0;
    for digest in blob_set(&source) {
        let ours = std::fs::read(source.blob_path(&digest)).unwrap();
        let theirs = std::fs::read(target.blob_path(&digest)).unwrap();
        assert!(ours == theirs, "{digest} differs");
        assert_eq!(
            ocikit_test_support::bytes::sha256(&theirs),
            digest.to_string()
        );
        bytes += theirs.len() as u64;
    }
    assert_eq!(copied.bytes_copied, bytes);
    assert_clean(&target);
    // No temporary file is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(target.blobs_path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n != "sha256")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn blobs_already_there_are_not_rewritten_but_refreshed() {
    let (_dir, source, target) = layouts();
    let manifest = two_layers(&source);
    let resolved = source.resolve("v1", None).unwrap();
    let layer = &resolved.manifest.layers[0];
    // The first layer is in the target already, with an old time.
    let bytes = std::fs::read(source.blob_path(&layer.digest)).unwrap();
    target.put_bytes(layer.media_type.clone(), &bytes).unwrap();
    let path = target.blob_path(&layer.digest);
    let old = SystemTime::now() - Duration::from_secs(3 * 24 * 60 * 60);
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let inode = std::fs::metadata(&path).unwrap().ino();

    let copied = copy(&target, &source, "v1", "v1").unwrap();
    assert_eq!((copied.new_blobs, copied.reused_blobs), (3, 1));
    let meta = std::fs::metadata(&path).unwrap();
    assert_eq!(meta.ino(), inode, "the blob was rewritten");
    // Refreshed, so that gc's grace period keeps it until the tag is in.
    assert!(meta.modified().unwrap() > old + Duration::from_secs(24 * 60 * 60));

    // A second copy writes nothing at all.
    let inodes: Vec<u64> = blob_set(&target)
        .iter()
        .map(|d| std::fs::metadata(target.blob_path(d)).unwrap().ino())
        .collect();
    let again = copy(&target, &source, "v1", "again").unwrap();
    assert_eq!(
        (again.new_blobs, again.reused_blobs, again.bytes_copied),
        (0, 4, 0)
    );
    let after: Vec<u64> = blob_set(&target)
        .iter()
        .map(|d| std::fs::metadata(target.blob_path(d)).unwrap().ino())
        .collect();
    assert_eq!(inodes, after);
    assert_eq!(target.find_tag("again").unwrap().digest, manifest.digest);
    assert_clean(&target);
}

#[test]
fn a_corrupt_source_blob_is_named_and_nothing_is_tagged_or_left() {
    let (_dir, source, target) = layouts();
    two_layers(&source);
    let resolved = source.resolve("v1", None).unwrap();
    let layer = resolved.manifest.layers[1].clone();
    // Same size, one byte changed: only the hash can tell.
    let path = source.blob_path(&layer.digest);
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
    std::fs::write(&path, &bytes).unwrap();

    let err = copy(&target, &source, "v1", "v1").unwrap_err();
    assert!(matches!(err, Error::CommitMismatch { .. }), "{err:?}");
    assert!(err.to_string().contains(layer.digest.as_str()), "{err}");
    assert!(target.list_tags().unwrap().is_empty());
    assert!(blob_set(&target).is_empty(), "{:?}", blob_set(&target));

    // Shorter than its descriptor: refused before a byte is copied.
    bytes.truncate(last);
    std::fs::write(&path, &bytes).unwrap();
    let err = copy(&target, &source, "v1", "v1").unwrap_err();
    assert!(err.to_string().contains(layer.digest.as_str()), "{err}");
    assert!(target.list_tags().unwrap().is_empty());
    assert!(blob_set(&target).is_empty());

    // Missing.
    std::fs::remove_file(&path).unwrap();
    let err = copy(&target, &source, "v1", "v1").unwrap_err();
    assert!(
        matches!(&err, Error::MissingReference { digest, .. } if *digest == layer.digest),
        "{err:?}"
    );
    assert!(target.list_tags().unwrap().is_empty());
    assert!(blob_set(&target).is_empty());
}

#[test]
fn a_corrupt_manifest_is_named_and_nothing_is_copied() {
    let (_dir, source, target) = layouts();
    let manifest = two_layers(&source);
    let path = source.blob_path(&manifest.digest);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[0] = b' ';
    std::fs::write(&path, &bytes).unwrap();
    let err = copy(&target, &source, "v1", "v1").unwrap_err();
    assert!(err.to_string().contains(manifest.digest.as_str()), "{err}");
    assert!(target.list_tags().unwrap().is_empty());
    assert!(blob_set(&target).is_empty());
}

#[test]
fn documents_that_break_the_spec_are_refused_as_import_refuses_them() {
    let (_dir, source, target) = layouts();
    // Two layers and a config with one diff_id.
    let mut config = ImageConfiguration::for_platform(&"linux/amd64".parse().unwrap());
    let a = source
        .put_bytes(MediaType::ImageLayer, &layer_tar(&[("a", b"a")]))
        .unwrap();
    let b = source
        .put_bytes(MediaType::ImageLayer, &layer_tar(&[("b", b"b")]))
        .unwrap();
    config.rootfs.diff_ids.push(a.digest.clone());
    let config = source.put_json(&config).unwrap();
    let manifest = ImageManifest {
        config: config.clone(),
        layers: vec![a, b],
        ..Default::default()
    };
    source
        .tag("bad", &source.put_json(&manifest).unwrap())
        .unwrap();

    let err = copy(&target, &source, "bad", "bad").unwrap_err();
    assert!(matches!(err, Error::DamagedSource { .. }), "{err:?}");
    assert!(err.to_string().contains(config.digest.as_str()), "{err}");
    assert!(target.list_tags().unwrap().is_empty());
    assert!(blob_set(&target).is_empty());
}

#[test]
fn a_nested_index_with_an_artifact_copies_whole() {
    let (_dir, source, target) = layouts();
    let amd64 = small_image(&source, "amd64", "amd64");
    let arm64 = small_image(&source, "arm64", "arm64");
    // An artifact about the amd64 image: a blob of its own media type.
    let sbom = source
        .put_bytes(
            MediaType::Other("application/vnd.example.sbom+json".into()),
            b"{\"sbom\":1}",
        )
        .unwrap();
    let artifact = ImageManifest {
        artifact_type: Some(MediaType::Other("application/vnd.example.sbom".into())),
        config: Descriptor::new(
            MediaType::EmptyJson,
            source
                .put_bytes(MediaType::EmptyJson, b"{}")
                .unwrap()
                .digest,
            2,
        ),
        layers: vec![sbom.clone()],
        subject: Some(amd64.clone()),
        ..Default::default()
    };
    let artifact = source.put_json(&artifact).unwrap();
    let inner = source
        .put_json(&ImageIndex::new(vec![amd64.clone(), arm64.clone()]))
        .unwrap();
    let outer = source
        .put_json(&ImageIndex::new(vec![inner.clone(), artifact.clone()]))
        .unwrap();
    source.tag("all", &outer).unwrap();
    source.untag("amd64").unwrap();
    source.untag("arm64").unwrap();

    let copied = copy(&target, &source, "all", "all").unwrap();
    assert_eq!(copied.descriptor.digest, outer.digest);
    for d in [&outer, &inner, &amd64, &arm64, &artifact, &sbom] {
        assert!(target.has_blob(&d.digest), "{} was not copied", d.digest);
    }
    assert_eq!(blob_set(&target), blob_set(&source));
    assert_eq!(copied.new_blobs, blob_set(&source).len());
    let index = target.read_index(&inner).unwrap();
    assert_eq!(index.manifests, [amd64.clone(), arm64.clone()]);
    assert_clean(&target);
}

#[test]
fn copying_within_one_layout_only_tags() {
    let (_dir, source, _target) = layouts();
    let manifest = two_layers(&source);
    let before = blob_set(&source);
    let same = Layout::open(source.path().join("..").join("source")).unwrap();
    let copied = source
        .copy_image(&same, "v1", "v2", &CopyOptions::default())
        .unwrap();
    assert_eq!((copied.new_blobs, copied.reused_blobs), (0, 0));
    assert_eq!(source.list_tags().unwrap(), ["v1", "v2"]);
    assert_eq!(source.find_tag("v2").unwrap().digest, manifest.digest);
    assert_eq!(blob_set(&source), before);
}

#[test]
fn bad_tags_are_refused_before_anything_is_copied() {
    let (_dir, source, target) = layouts();
    two_layers(&source);
    let err = copy(&target, &source, "v1", "no spaces").unwrap_err();
    assert!(matches!(err, Error::InvalidTag { .. }), "{err:?}");
    let err = copy(&target, &source, "v9", "v1").unwrap_err();
    assert!(matches!(err, Error::TagNotFound { .. }), "{err:?}");
    assert!(blob_set(&target).is_empty());
}

#[test]
fn progress_counts_the_bytes_and_blobs_copied() {
    let (_dir, source, target) = layouts();
    // A layer larger than a progress step.
    let big: Vec<u8> = (0..3_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    build_image_with(&source, "v1", &[layer_tar(&[("big", &big)])], Codec::None);
    let seen: Reports = Arc::default();
    let log = seen.clone();
    let options = CopyOptions {
        progress: Progress::new(move |s: &Status<'_>| {
            log.lock()
                .unwrap()
                .push((s.task.to_owned(), s.bytes, s.total_bytes, s.entries))
        }),
    };
    let copied = target.copy_image(&source, "v1", "v1", &options).unwrap();
    let seen = seen.lock().unwrap();
    assert!(seen.len() > 3, "{seen:?}");
    let last = seen.last().unwrap();
    assert_eq!(
        last,
        &(
            "copy".to_owned(),
            copied.bytes_copied,
            Some(copied.bytes_copied),
            copied.new_blobs as u64
        )
    );
}

#[test]
fn a_layout_umoci_made_copies_and_skopeo_and_umoci_read_ours() {
    if !require_tools(&["umoci", "skopeo"]) {
        return;
    }
    let peers = format!("{} / {}", version("umoci"), version("skopeo"));
    let dir = tempfile::tempdir().unwrap();
    let theirs = ocikit_test_support::layouts::umoci_layered(dir.path());
    let source = Layout::open(&theirs).unwrap();
    let ours = dir.path().join("ours");
    let target = Layout::init(&ours).unwrap();
    let copied = copy(&target, &source, "layered", "copied").unwrap();
    assert_eq!(copied.new_blobs, 3, "{peers}");
    assert_clean(&target);
    let o = ours.to_str().unwrap();

    let inspect = skopeo(&["inspect", &format!("oci:{o}:copied")]);
    let inspect: serde_json::Value = serde_json::from_slice(&inspect).unwrap();
    assert_eq!(
        inspect["Digest"],
        copied.descriptor.digest.as_str(),
        "{peers}"
    );
    assert_eq!(inspect["Layers"].as_array().unwrap().len(), 1, "{peers}");

    let stat = umoci(&["stat", "--json", "--image", &format!("{o}:copied")]);
    let stat: serde_json::Value = serde_json::from_slice(&stat).unwrap();
    assert!(
        stat["history"].as_array().is_some_and(|h| !h.is_empty()),
        "{peers}: {stat}"
    );
    // umoci unpacks what we copied, and finds the file.
    let unpacked = dir.path().join("unpacked");
    umoci(&[
        "unpack",
        "--rootless",
        "--image",
        &format!("{o}:copied"),
        unpacked.to_str().unwrap(),
    ]);
    assert_eq!(
        std::fs::read(unpacked.join("rootfs/greeting")).unwrap(),
        b"from umoci\n",
        "{peers}"
    );
}
