//! Signatures cosign made (tests/fixtures/README.md names where they come
//! from), verified in a layout that holds only the signature: the image's
//! manifest is not public, so the check is by its digest
//! ([`ocikit_sign::verify_digest`]).
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use ocikit_image::{Digest, ImageManifest, MediaType};
use ocikit_layout::Layout;
use ocikit_sign::{PublicKey, Rejection, VerifyOptions, signature_tag, verify_digest};

const PAYLOAD: &[u8] = include_bytes!("fixtures/cosign/busybox.payload");
const SIGNATURE: &str = include_str!("fixtures/cosign/busybox.sig");
const PUBLIC_KEY: &str = include_str!("fixtures/cosign/busybox.pub");
const IMAGE: &str = "sha256:f3cfc9d0dbf931d3db4685ec659b7ac68e2a578219da4aae65427886e649b06b";

/// A layout with the manifest tagged `sha256-<hex>.sig` for `image`,
/// whose one layer is `payload` with `signature` as cosign stores it.
fn layout_with(image: &Digest, payload: &[u8], signature: &str) -> (tempfile::TempDir, Layout) {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::init(dir.path().join("layout")).unwrap();
    let mut layer = layout
        .put_bytes(MediaType::from(ocikit_sign::SIMPLE_SIGNING), payload)
        .unwrap();
    layer.annotations.insert(
        ocikit_sign::SIGNATURE_ANNOTATION.into(),
        signature.trim().into(),
    );
    let manifest = ImageManifest {
        config: layout.put_bytes(MediaType::EmptyJson, b"{}").unwrap(),
        layers: vec![layer],
        ..Default::default()
    };
    let descriptor = layout.put_json(&manifest).unwrap();
    layout.tag(&signature_tag(image), &descriptor).unwrap();
    (dir, layout)
}

fn outcomes(layout: &Layout, image: &Digest, key: &PublicKey) -> Vec<Result<Vec<u8>, Rejection>> {
    verify_digest(
        layout,
        image,
        std::slice::from_ref(key),
        &VerifyOptions::default(),
    )
    .unwrap()
    .checks
    .into_iter()
    .map(|c| c.outcome)
    .collect()
}

#[test]
fn a_signature_cosign_made_verifies() {
    assert_eq!(
        ocikit_image::Digest::sha256(PAYLOAD).as_str(),
        "sha256:3af4414d20c9e1cb76ccc72aae8b242166dabe6af531a4a790db8e2f0e5ee7c9"
    );
    let image: Digest = IMAGE.parse().unwrap();
    let key = PublicKey::from_pem(PUBLIC_KEY).unwrap();
    let (_dir, layout) = layout_with(&image, PAYLOAD, SIGNATURE);
    assert_eq!(outcomes(&layout, &image, &key), [Ok(PAYLOAD.to_vec())]);
    // The name cosign signed, when asked for.
    let named = VerifyOptions {
        identity: Some("registry-testing.svc.lan/busybox".into()),
        annotations: BTreeMap::new(),
    };
    let report = verify_digest(&layout, &image, std::slice::from_ref(&key), &named).unwrap();
    assert!(report.is_verified());
}

#[test]
fn a_cosign_signature_is_refused_when_anything_changes() {
    let image: Digest = IMAGE.parse().unwrap();
    let key = PublicKey::from_pem(PUBLIC_KEY).unwrap();

    // One byte of the payload changed (the name's last letter).
    let text = String::from_utf8(PAYLOAD.to_vec()).unwrap();
    let changed = text.replace("busybox\"", "busyboy\"");
    assert_ne!(changed, text);
    let (_dir, layout) = layout_with(&image, changed.as_bytes(), SIGNATURE);
    assert_eq!(
        outcomes(&layout, &image, &key),
        [Err(Rejection::BadSignature)]
    );

    // The signature put beside another image: it signs busybox's digest.
    let other = Digest::sha256(b"another manifest");
    let (_dir, layout) = layout_with(&other, PAYLOAD, SIGNATURE);
    assert_eq!(
        outcomes(&layout, &other, &key),
        [Err(Rejection::WrongDigest {
            expected: other.clone(),
            found: IMAGE.into()
        })]
    );

    // Another key.
    let stranger = ocikit_sign::PrivateKey::generate().unwrap().public_key();
    let (_dir, layout) = layout_with(&image, PAYLOAD, SIGNATURE);
    assert_eq!(
        outcomes(&layout, &image, &stranger),
        [Err(Rejection::BadSignature)]
    );

    // Another name required than the one signed.
    let named = VerifyOptions {
        identity: Some("registry.example/busybox".into()),
        annotations: BTreeMap::new(),
    };
    let report = verify_digest(&layout, &image, &[key], &named).unwrap();
    assert_eq!(
        report.checks[0].outcome,
        Err(Rejection::WrongIdentity {
            expected: "registry.example/busybox".into(),
            found: "registry-testing.svc.lan/busybox".into()
        })
    );
}
