//! Referrers (image-spec 1.1 `subject`): the manifests and indexes in the
//! layout that refer to a manifest, described as distribution-spec's
//! referrers API describes them.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::collections::BTreeMap;

use ocikit_image::{Descriptor, Digest, ImageIndex, ImageManifest, MediaType};
use ocikit_layout::{GcOptions, Layout};
use ocikit_test_support::layouts::small_image;

const SBOM: &str = "application/vnd.example.sbom.v1";
const SIGNATURE_CONFIG: &str = "application/vnd.example.signature.config.v1+json";

fn new_layout() -> (tempfile::TempDir, Layout) {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::init(dir.path().join("layout")).unwrap();
    (dir, layout)
}

fn annotations(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// An SBOM artifact (artifactType set, empty config) referring to `subject`.
fn sbom(layout: &Layout, subject: &Descriptor, note: &str) -> Descriptor {
    let manifest = ImageManifest {
        artifact_type: Some(SBOM.into()),
        config: layout.put_bytes(MediaType::EmptyJson, b"{}").unwrap(),
        layers: vec![
            layout
                .put_bytes("application/spdx+json".into(), note.as_bytes())
                .unwrap(),
        ],
        subject: Some(subject.clone()),
        annotations: annotations(&[("org.example.note", note)]),
        ..Default::default()
    };
    layout.put_json(&manifest).unwrap()
}

/// A signature with no artifactType: its config's media type stands in.
fn signature(layout: &Layout, subject: &Descriptor) -> Descriptor {
    let manifest = ImageManifest {
        config: layout
            .put_bytes(SIGNATURE_CONFIG.into(), b"{\"signed\":true}")
            .unwrap(),
        layers: vec![
            layout
                .put_bytes("application/octet-stream".into(), b"sig")
                .unwrap(),
        ],
        subject: Some(subject.clone()),
        ..Default::default()
    };
    layout.put_json(&manifest).unwrap()
}

fn expected(d: &Descriptor, artifact_type: Option<&str>, pairs: &[(&str, &str)]) -> Descriptor {
    let mut e = Descriptor::new(d.media_type.clone(), d.digest.clone(), d.size);
    e.artifact_type = artifact_type.map(MediaType::from);
    e.annotations = annotations(pairs);
    e
}

#[test]
fn referrers_are_the_reachable_manifests_and_indexes_with_that_subject() {
    let (_dir, layout) = new_layout();
    let app = small_image(&layout, "app", "app");
    let other = small_image(&layout, "other", "other");

    let s = sbom(&layout, &app, "first");
    layout.tag("app-sbom", &s).unwrap();
    let sig = signature(&layout, &app);
    layout.tag("app-sig", &sig).unwrap();
    // An index referring to app, without artifactType: none is given.
    let mut bundle = ImageIndex::new(vec![sbom(&layout, &other, "inside")]);
    bundle.subject = Some(app.clone());
    bundle.annotations = annotations(&[("org.example.kind", "bundle")]);
    let bundle = layout.put_json(&bundle).unwrap();
    layout.tag("bundle", &bundle).unwrap();
    // A referrer of app that is only reachable inside another index.
    let nested = sbom(&layout, &app, "nested");
    let holder = layout
        .put_json(&ImageIndex::new(vec![nested.clone()]))
        .unwrap();
    layout.tag("holder", &holder).unwrap();
    // Stored but not reachable from index.json: not found.
    let _untagged = sbom(&layout, &app, "untagged");
    // The same referrer tagged twice is listed once.
    layout.tag("app-sbom-again", &s).unwrap();

    let found = layout.referrers(&app.digest).unwrap();
    assert_eq!(
        found,
        [
            expected(&s, Some(SBOM), &[("org.example.note", "first")]),
            expected(&sig, Some(SIGNATURE_CONFIG), &[]),
            expected(&bundle, None, &[("org.example.kind", "bundle")]),
            expected(&nested, Some(SBOM), &[("org.example.note", "nested")]),
        ]
    );

    // The referrer inside the bundle refers to `other`.
    let of_other = layout.referrers(&other.digest).unwrap();
    assert_eq!(of_other.len(), 1);
    assert_eq!(of_other[0].annotations["org.example.note"], "inside");

    // Filtering by artifactType.
    let sboms = layout.referrers_of_type(&app.digest, &SBOM.into()).unwrap();
    assert_eq!(
        sboms.iter().map(|d| &d.digest).collect::<Vec<_>>(),
        [&s.digest, &nested.digest]
    );
    assert!(
        layout
            .referrers_of_type(&app.digest, &"application/x-none".into())
            .unwrap()
            .is_empty()
    );
    // A digest nothing refers to.
    assert!(
        layout
            .referrers(&Digest::sha256(b"nothing"))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn untagged_referrers_are_garbage_and_tagged_ones_keep_their_subject() {
    let (_dir, layout) = new_layout();
    let app = small_image(&layout, "app", "app");
    let s = sbom(&layout, &app, "kept");
    layout.tag("app-sbom", &s).unwrap();
    let dropped = sbom(&layout, &app, "dropped");
    layout.untag("app").unwrap();

    let gc = GcOptions {
        grace: std::time::Duration::ZERO,
        dry_run: false,
    };
    layout.gc(&gc).unwrap();
    assert!(!layout.has_blob(&dropped.digest));
    // The subject stays: the tagged referrer reaches it.
    assert!(layout.has_blob(&app.digest));
    assert_eq!(
        layout
            .referrers(&app.digest)
            .unwrap()
            .iter()
            .map(|d| &d.digest)
            .collect::<Vec<_>>(),
        [&s.digest]
    );
}

#[test]
fn unreadable_documents_are_skipped() {
    let (_dir, layout) = new_layout();
    let app = small_image(&layout, "app", "app");
    let s = sbom(&layout, &app, "ok");
    layout.tag("app-sbom", &s).unwrap();
    let broken = sbom(&layout, &app, "broken");
    layout.tag("broken", &broken).unwrap();
    std::fs::write(layout.blob_path(&broken.digest), b"garbage").unwrap();
    let found = layout.referrers(&app.digest).unwrap();
    assert_eq!(
        found.iter().map(|d| &d.digest).collect::<Vec<_>>(),
        [&s.digest]
    );
}
