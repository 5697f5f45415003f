//! Hostile layouts and archives: seeded mutations of `index.json`, of a
//! manifest blob (rewritten under its new digest, so it verifies), and of
//! archive bytes go through every read path of the store. Nothing may
//! panic; whatever happens is a result.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

mod support;

use std::fs;

use ocikit_image::{Descriptor, Digest, MediaType};
use ocikit_layout::archive::{self, ExportOptions, ImportOptions, Selection};
use ocikit_layout::{FsckOptions, GcOptions, Layout};
use ocikit_test_support::layouts::{build_image, layer_tar};
use support::Rng;

/// Every read path, on whatever the layout holds now.
fn exercise(layout: &Layout) {
    let _ = layout.list_tags();
    for tag in ["v1", "other"] {
        if let Ok(resolved) = layout.resolve(tag, None) {
            let _ = layout.read_config(&resolved.manifest.config);
        }
        let _ = archive::oci::export(
            layout,
            &Selection::tag(tag),
            &ExportOptions::default(),
            Vec::new(),
        );
        let _ = archive::docker::export(
            layout,
            tag,
            "x:y",
            None,
            &ExportOptions::default(),
            Vec::new(),
        );
    }
    let _ = layout.fsck(&FsckOptions {
        verify_diff_ids: true,
    });
    let _ = layout.gc(&GcOptions {
        dry_run: true,
        ..Default::default()
    });
    let _ = layout.referrers(&Digest::sha256(b"x"));
}

#[test]
fn mutated_index_json_and_manifests_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::init(dir.path().join("l")).unwrap();
    let manifest = build_image(&layout, "v1", &[layer_tar(&[("a", b"1")])]);
    let index_bytes = fs::read(layout.index_path()).unwrap();
    let manifest_bytes = layout.read_blob(&manifest, 1 << 20).unwrap();
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    for round in 0..300 {
        // A mutated manifest, stored under its own digest and tagged.
        let bytes = rng.mutate(&manifest_bytes);
        let media_type = if round % 5 == 0 {
            MediaType::ImageIndex
        } else {
            MediaType::ImageManifest
        };
        let d: Descriptor = layout.put_bytes(media_type, &bytes).unwrap();
        let _ = layout.tag("other", &d);
        exercise(&layout);
        // A mutated index.json.
        fs::write(layout.index_path(), rng.mutate(&index_bytes)).unwrap();
        exercise(&layout);
        fs::write(layout.index_path(), &index_bytes).unwrap();
    }
}

#[test]
fn mutated_archives_never_panic_and_never_tag_a_broken_image() {
    let dir = tempfile::tempdir().unwrap();
    let source = Layout::init(dir.path().join("src")).unwrap();
    build_image(
        &source,
        "v1",
        &[layer_tar(&[("a", b"1")]), layer_tar(&[("b", b"2")])],
    );
    let oci = archive::oci::export(
        &source,
        &Selection::tag("v1"),
        &ExportOptions::default(),
        Vec::new(),
    )
    .unwrap();
    let docker = archive::docker::export(
        &source,
        "v1",
        "x:y",
        None,
        &ExportOptions::default(),
        Vec::new(),
    )
    .unwrap();
    let mut rng = Rng(0x0dd_ba11_5eed_0002);
    let mut imported = 0;
    for round in 0..200 {
        let target = Layout::init(dir.path().join(format!("t{round}"))).unwrap();
        let (bytes, oci_format) = if round % 2 == 0 {
            (rng.mutate(&oci), true)
        } else {
            (rng.mutate(&docker), false)
        };
        let result = if oci_format {
            archive::oci::import(&target, &bytes[..], Some("t"), &ImportOptions::default())
        } else {
            archive::docker::import(&target, &bytes[..], Some("t"), &ImportOptions::default())
        };
        // Whatever an import tags must be whole: resolvable, every blob verified.
        if result.is_ok() {
            imported += 1;
            let report = target
                .fsck(&FsckOptions {
                    verify_diff_ids: true,
                })
                .unwrap();
            assert_eq!(
                report.damage().count(),
                0,
                "round {round}: an import tagged a broken image:\n{report}"
            );
        } else {
            assert!(
                target.list_tags().unwrap().is_empty(),
                "round {round}: a failed import tagged something"
            );
        }
        fs::remove_dir_all(target.path()).unwrap();
    }
    // Mutations in padding and unused header fields leave a valid archive:
    // both branches above ran.
    assert!(
        (1..200).contains(&imported),
        "{imported} of 200 imports succeeded"
    );
}
