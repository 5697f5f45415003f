//! The store's basic promises: layout files as the spec lays them out,
//! blobs that are what their names say, verified reads, tags and resolution.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::fs;
use std::io::{Read, Write};

use ocikit_image::{Algorithm, Descriptor, Digest, ImageIndex, MediaType, Platform};
use ocikit_layout::{Error, Layout};
use ocikit_test_support::bytes::sha256;
use ocikit_test_support::layouts::{layer_tar, small_image};

fn new_layout() -> (tempfile::TempDir, Layout) {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::init(dir.path().join("layout")).unwrap();
    (dir, layout)
}

#[test]
fn init_writes_the_files_the_spec_names() {
    let (dir, layout) = new_layout();
    let root = dir.path().join("layout");
    assert_eq!(
        fs::read(root.join("oci-layout")).unwrap(),
        br#"{"imageLayoutVersion":"1.0.0"}"#
    );
    assert_eq!(
        fs::read(root.join("index.json")).unwrap(),
        br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#
    );
    assert!(root.join("blobs/sha256").is_dir());
    assert_eq!(Layout::open(&root).unwrap(), layout);
    // An existing layout is never overwritten.
    assert!(matches!(Layout::init(&root), Err(Error::NotEmpty { .. })));
}

#[test]
fn open_refuses_what_is_not_a_layout() {
    let dir = tempfile::tempdir().unwrap();
    let err = Layout::open(dir.path()).unwrap_err();
    assert!(err.to_string().contains("no oci-layout file"), "{err}");

    fs::write(
        dir.path().join("oci-layout"),
        br#"{"imageLayoutVersion":"2.0.0"}"#,
    )
    .unwrap();
    let err = Layout::open(dir.path()).unwrap_err();
    assert!(
        matches!(err, Error::UnsupportedVersion { ref found, .. } if found == "2.0.0"),
        "{err}"
    );

    fs::write(
        dir.path().join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )
    .unwrap();
    let err = Layout::open(dir.path()).unwrap_err();
    assert!(err.to_string().contains("no index.json"), "{err}");

    fs::write(dir.path().join("oci-layout"), b"{").unwrap();
    let err = Layout::open(dir.path()).unwrap_err();
    assert!(matches!(err, Error::NotALayout { .. }), "{err}");
}

#[test]
fn unknown_files_are_tolerated() {
    let (dir, _) = new_layout();
    let root = dir.path().join("layout");
    fs::write(root.join("README"), b"hi").unwrap();
    fs::create_dir(root.join("blobs/other")).unwrap();
    fs::write(root.join("blobs/stray"), b"x").unwrap();
    let layout = Layout::open(&root).unwrap();
    assert!(layout.list_blobs().unwrap().is_empty());
}

#[test]
fn a_blob_is_stored_under_its_digest() {
    let (_dir, layout) = new_layout();
    let content = b"some content\n".repeat(100_000);
    let descriptor = layout
        .put_blob(MediaType::ImageLayer, &content[..])
        .unwrap();
    assert_eq!(descriptor.digest.to_string(), sha256(&content));
    assert_eq!(descriptor.size, content.len() as i64);
    let path = layout.blob_path(&descriptor.digest);
    assert_eq!(fs::read(&path).unwrap(), content);
    // Nothing else is left in blobs/: no temporary file.
    let names: Vec<_> = fs::read_dir(layout.blobs_path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["sha256"]);

    let mut read = Vec::new();
    layout
        .open_blob(&descriptor)
        .unwrap()
        .read_to_end(&mut read)
        .unwrap();
    assert_eq!(read, content);
}

#[test]
fn sha512_blobs() {
    let (_dir, layout) = new_layout();
    let mut writer = layout.blob_writer_with(&Algorithm::Sha512).unwrap();
    writer.write_all(b"abc").unwrap();
    let blob = writer.commit().unwrap();
    assert_eq!(blob.digest, Digest::sha512(b"abc"));
    assert!(
        layout
            .blobs_path()
            .join("sha512")
            .join(blob.digest.encoded())
            .is_file()
    );
    assert_eq!(
        layout
            .read_blob(&blob.descriptor(MediaType::ImageLayer), 10)
            .unwrap(),
        b"abc"
    );
}

/// Past its first MiB a blob is hashed in a thread of its own: a blob of
/// several MiB written in uneven pieces, flushed on the way, has the
/// digest of its bytes and those bytes on disk, for both algorithms.
#[test]
fn a_large_blob_written_in_uneven_pieces_is_hashed_whole() {
    let (_dir, layout) = new_layout();
    let content: Vec<u8> = (0..3_500_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    for algorithm in [Algorithm::Sha256, Algorithm::Sha512] {
        let mut writer = layout.blob_writer_with(&algorithm).unwrap();
        let mut rest = &content[..];
        for (n, piece) in [1, 7, 300_000, 1_048_000, 5, 700_001, 262_144]
            .into_iter()
            .cycle()
            .enumerate()
        {
            if rest.is_empty() {
                break;
            }
            let (head, tail) = rest.split_at(piece.min(rest.len()));
            writer.write_all(head).unwrap();
            rest = tail;
            if n % 3 == 2 {
                writer.flush().unwrap();
            }
        }
        assert_eq!(writer.bytes_written(), content.len() as u64);
        let expected = match algorithm {
            Algorithm::Sha512 => Digest::sha512(&content),
            _ => Digest::sha256(&content),
        };
        let descriptor = Descriptor::new(
            MediaType::ImageLayer,
            expected.clone(),
            content.len() as i64,
        );
        let info = writer.commit_verified(&descriptor).unwrap();
        assert_eq!(info.digest, expected);
        assert_eq!(fs::read(layout.blob_path(&expected)).unwrap(), content);
    }
    let mut wrong = content.clone();
    wrong[2_000_000] ^= 1;
    let descriptor = Descriptor::new(
        MediaType::ImageLayer,
        Digest::sha256(&content),
        content.len() as i64,
    );
    layout.remove_blob(&descriptor.digest).unwrap();
    let err = layout
        .put_blob_verified(&descriptor, &wrong[..])
        .unwrap_err();
    assert!(matches!(err, Error::CommitMismatch { .. }), "{err}");
    assert!(!layout.has_blob(&descriptor.digest));
}

#[test]
fn commit_verified_refuses_a_mismatch_and_leaves_nothing() {
    let (_dir, layout) = new_layout();
    let expected = Descriptor::for_bytes(MediaType::ImageLayer, b"expected");
    let err = layout
        .put_blob_verified(&expected, &b"something else"[..])
        .unwrap_err();
    assert!(matches!(err, Error::CommitMismatch { .. }), "{err}");
    assert!(
        err.to_string().contains(&expected.digest.to_string()),
        "{err}"
    );
    let leftovers: Vec<_> = walk(layout.path());
    assert!(
        leftovers
            .iter()
            .all(|p| !p.contains("blobs/sha256/") && !p.contains(".tmp-")),
        "{leftovers:?}"
    );

    // Right digest, wrong size in the descriptor: refused too.
    let mut wrong_size = expected.clone();
    wrong_size.size += 1;
    assert!(
        layout
            .put_blob_verified(&wrong_size, &b"expected"[..])
            .is_err()
    );
    assert!(!layout.has_blob(&expected.digest));

    let info = layout
        .put_blob_verified(&expected, &b"expected"[..])
        .unwrap();
    assert!(!info.existed);
    assert!(layout.has_blob(&expected.digest));
}

#[test]
fn an_existing_blob_is_not_rewritten() {
    let (_dir, layout) = new_layout();
    let first = layout.blob_writer().unwrap();
    drop(first); // dropped uncommitted: its temporary file goes
    let d = layout.put_bytes(MediaType::ImageLayer, b"same").unwrap();
    let path = layout.blob_path(&d.digest);
    let inode = std::os::unix::fs::MetadataExt::ino(&fs::metadata(&path).unwrap());
    let mut writer = layout.blob_writer().unwrap();
    writer.write_all(b"same").unwrap();
    let info = writer.commit().unwrap();
    assert!(info.existed);
    assert_eq!(
        std::os::unix::fs::MetadataExt::ino(&fs::metadata(&path).unwrap()),
        inode
    );
    assert_eq!(
        walk(layout.path())
            .iter()
            .filter(|p| p.contains(".tmp-"))
            .count(),
        0
    );
}

#[test]
fn reads_are_verified() {
    let (_dir, layout) = new_layout();
    let content = b"0123456789".repeat(1000);
    let d = layout.put_bytes(MediaType::ImageLayer, &content).unwrap();
    let path = layout.blob_path(&d.digest);

    // A flipped byte: the reader fails at the end, naming the digest.
    let mut corrupt = content.clone();
    corrupt[5000] ^= 1;
    fs::write(&path, &corrupt).unwrap();
    let err = layout.read_blob(&d, 1 << 20).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Verify(ocikit_image::Error::DigestMismatch { .. })
        ),
        "{err}"
    );
    assert!(err.to_string().contains(&d.digest.to_string()), "{err}");

    // A truncated blob: refused before reading.
    fs::write(&path, &content[..9000]).unwrap();
    let err = layout.open_blob(&d).unwrap_err();
    assert!(
        err.to_string().contains("expected 10000 bytes, read 9000"),
        "{err}"
    );

    // A missing blob.
    fs::remove_file(&path).unwrap();
    assert!(matches!(
        layout.open_blob(&d),
        Err(Error::BlobNotFound { .. })
    ));

    // A document larger than the limit is not read.
    let big = layout.put_bytes(MediaType::ImageLayer, &content).unwrap();
    assert!(matches!(
        layout.read_blob(&big, 100),
        Err(Error::DocumentTooLarge { .. })
    ));
}

#[test]
fn documents_round_trip_and_check_their_media_type() {
    let (_dir, layout) = new_layout();
    let manifest = small_image(&layout, "v1", "docs");
    let doc = layout.read_manifest(&manifest).unwrap();
    assert_eq!(sha256(doc.bytes()), manifest.digest.to_string());
    let config = layout.read_config(&doc.config).unwrap();
    assert_eq!(config.rootfs.diff_ids.len(), 1);
    let err = layout.read_index(&manifest).unwrap_err();
    assert!(matches!(err, Error::UnexpectedMediaType { .. }), "{err}");
    assert!(err.to_string().contains("image index"), "{err}");
}

#[test]
fn tags() {
    let (_dir, layout) = new_layout();
    let a = small_image(&layout, "a", "a");
    let b = small_image(&layout, "b", "b");
    assert_eq!(layout.list_tags().unwrap(), ["a", "b"]);
    // Retagging replaces in place.
    layout.tag("a", &b).unwrap();
    let index = layout.index().unwrap();
    assert_eq!(index.manifests.len(), 2);
    assert_eq!(index.manifests[0].ref_name(), Some("a"));
    assert_eq!(index.manifests[0].digest, b.digest);
    assert_eq!(layout.find_tag("a").unwrap().digest, b.digest);
    // Untag returns what had the tag.
    assert_eq!(layout.untag("a").unwrap().digest, b.digest);
    assert_eq!(layout.list_tags().unwrap(), ["b"]);
    let err = layout.untag("a").unwrap_err();
    assert!(matches!(err, Error::TagNotFound { .. }), "{err}");
    assert!(err.to_string().contains("tags: b"), "{err}");
    // Bad names are refused.
    for bad in ["", "-x", "a b", "x/", "a..b"] {
        assert!(
            matches!(layout.tag(bad, &a), Err(Error::InvalidTag { .. })),
            "{bad:?}"
        );
    }
    layout
        .tag("registry.example:5000/ns/repo:1.0@x", &a)
        .unwrap();
}

#[test]
fn two_descriptors_with_one_tag_is_an_error() {
    let (_dir, layout) = new_layout();
    let a = small_image(&layout, "dup", "a");
    let mut b = small_image(&layout, "other", "b");
    b.annotations
        .insert(ocikit_image::annotations::REF_NAME.into(), "dup".into());
    layout
        .update_index(|index| {
            index.manifests.push(b.clone());
            Ok(())
        })
        .unwrap();
    let err = layout.resolve("dup", None).unwrap_err();
    match &err {
        Error::AmbiguousTag { digests, .. } => {
            assert_eq!(digests, &[a.digest.clone(), b.digest.clone()])
        }
        other => panic!("{other}"),
    }
    assert!(layout.untag("dup").is_err());
    assert_eq!(layout.index().unwrap().manifests.len(), 3);
}

#[test]
fn resolve_follows_nested_indexes_by_platform() {
    let (_dir, layout) = new_layout();
    let amd64 = small_image(&layout, "amd64", "amd64");
    let mut arm64 = small_image(&layout, "arm64", "arm64");
    arm64.platform = Some("linux/arm64/v8".parse().unwrap());
    let inner = layout
        .put_json(&ImageIndex::new(vec![arm64.clone()]))
        .unwrap();
    let outer = layout
        .put_json(&ImageIndex::new(vec![amd64.clone(), inner.clone()]))
        .unwrap();
    layout.tag("multi", &outer).unwrap();

    let p: Platform = "linux/amd64".parse().unwrap();
    assert_eq!(
        layout.resolve("multi", Some(&p)).unwrap().descriptor.digest,
        amd64.digest
    );
    // A tag on a manifest declared for amd64 does not resolve for arm64 ...
    let arm: Platform = "linux/arm64".parse().unwrap();
    let err = layout.resolve("amd64", Some(&arm)).unwrap_err();
    assert!(matches!(err, Error::NoMatchingPlatform { .. }), "{err}");
    // ... but it does when no platform is asked for.
    assert_eq!(
        layout.resolve("amd64", None).unwrap().descriptor.digest,
        amd64.digest
    );

    // The nested index gives no platform, and the outer index has two
    // entries, so nothing is known to run on arm64 ...
    let err = layout.resolve("multi", Some(&arm)).unwrap_err();
    assert!(matches!(err, Error::NoMatchingPlatform { .. }), "{err}");
    assert!(err.to_string().contains("linux/amd64"), "{err}");

    // ... unless the nested index says which platform it holds.
    let inner = inner.with_platform("linux/arm64".parse().unwrap());
    let outer = layout
        .put_json(&ImageIndex::new(vec![amd64.clone(), inner]))
        .unwrap();
    layout.tag("multi", &outer).unwrap();
    let resolved = layout.resolve("multi", Some(&arm)).unwrap();
    assert_eq!(resolved.descriptor.digest, arm64.digest);
    assert_eq!(resolved.chain.len(), 3);

    // An index that contains itself cannot be built (digests), but a deep
    // chain can: it stops at the limit.
    let mut d = amd64.clone();
    for _ in 0..=ocikit_layout::MAX_INDEX_DEPTH {
        d = layout
            .put_json(&ImageIndex::new(vec![d]))
            .unwrap()
            .with_platform(p.clone());
    }
    layout.tag("deep", &d).unwrap();
    assert!(matches!(
        layout.resolve("deep", Some(&p)),
        Err(Error::NestingTooDeep { .. })
    ));
}

fn walk(root: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path.to_string_lossy().into_owned());
            }
        }
    }
    out
}

#[test]
fn tar_helper_makes_real_tars() {
    let tar = layer_tar(&[("a", b"1")]);
    assert_eq!(tar.len() % 512, 0);
}
