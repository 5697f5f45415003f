//! Signing and verifying images in an image layout: the bytes of both
//! forms (cosign's `sha256-<hex>.sig` tag and the sigstore bundle
//! referrer), round trips, and each kind of tampering refused with its
//! reason.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::OnceLock;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ocikit_image::{Descriptor, Digest, ImageManifest, MediaType};
use ocikit_layout::Layout;
use ocikit_sign::{
    Attestation, Error, Format, Password, PrivateKey, Rejection, SignOptions, Source, Verification,
    VerifyOptions, sign, signature_tag, verify,
};
use ocikit_test_support::layouts::small_image;

/// A fixed key (cosign wrote it, empty password), so that signatures and
/// so every digest below are the same on every run (RFC 6979).
fn key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| {
        PrivateKey::from_pem(
            include_str!("fixtures/cosign/encrypted-empty-password.key"),
            || Ok(Password::from("")),
        )
        .unwrap()
    })
}

fn layout() -> (tempfile::TempDir, Layout) {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::init(dir.path().join("layout")).unwrap();
    (dir, layout)
}

fn options(format: Format) -> SignOptions {
    SignOptions {
        format,
        ..SignOptions::default()
    }
}

fn check(layout: &Layout, tag: &str, key: &PrivateKey) -> Verification {
    verify(layout, tag, &[key.public_key()], &VerifyOptions::default()).unwrap()
}

/// The outcomes of a verification, in order: `Ok(())` or the rejection.
fn outcomes(report: &Verification) -> Vec<Result<(), Rejection>> {
    report
        .checks
        .iter()
        .map(|c| c.outcome.as_ref().map(|_| ()).map_err(Clone::clone))
        .collect()
}

fn manifest(layout: &Layout, descriptor: &Descriptor) -> ImageManifest {
    layout.read_manifest(descriptor).unwrap().value().clone()
}

#[test]
fn the_tag_form_is_what_cosign_writes() {
    let (_dir, layout) = layout();
    let image = small_image(&layout, "v1", "sign");
    let signed = sign(&layout, "v1", key(), &options(Format::Tag)).unwrap();
    assert_eq!(signed.image.digest, image.digest);
    assert!(signed.bundle.is_none());
    let tag = signature_tag(&image.digest);
    assert_eq!(tag, format!("sha256-{}.sig", image.digest.encoded()));
    assert_eq!(layout.list_tags().unwrap(), [tag.as_str(), "v1"]);

    let descriptor = layout.find_tag(&tag).unwrap();
    assert_eq!(descriptor.digest, signed.tag.unwrap().digest);
    let sig_manifest = manifest(&layout, &descriptor);
    assert_eq!(sig_manifest.layers.len(), 1);
    let layer = &sig_manifest.layers[0];
    assert_eq!(
        layer.media_type,
        "application/vnd.dev.cosign.simplesigning.v1+json"
    );
    let payload = layout.read_blob(layer, 4096).unwrap();
    assert_eq!(
        String::from_utf8(payload.clone()).unwrap(),
        format!(
            r#"{{"critical":{{"identity":{{"docker-reference":"v1"}},"image":{{"docker-manifest-digest":"{}"}},"type":"cosign container image signature"}},"optional":null}}"#,
            image.digest
        )
    );
    let signature = STANDARD
        .decode(&layer.annotations["dev.cosignproject.cosign/signature"])
        .unwrap();
    assert!(key().public_key().verify(&payload, &signature));
    // The same key and payload give the same bytes: signing again changes
    // nothing.
    let again = sign(&layout, "v1", key(), &options(Format::Tag)).unwrap();
    assert_eq!(layout.find_tag(&tag).unwrap().digest, descriptor.digest);
    assert_eq!(again.tag.unwrap().digest, descriptor.digest);

    // Another key adds a layer and keeps the first.
    let other = PrivateKey::generate().unwrap();
    sign(&layout, "v1", &other, &options(Format::Tag)).unwrap();
    let two = manifest(&layout, &layout.find_tag(&tag).unwrap());
    assert_eq!(two.layers.len(), 2);
    assert_eq!(two.layers[0], *layer);
    assert_eq!(two.layers[1].digest, layer.digest, "the same payload");
    assert_ne!(two.layers[1].annotations, layer.annotations);
    assert_eq!(
        outcomes(&check(&layout, "v1", key())),
        [Ok(()), Err(Rejection::BadSignature)]
    );
    assert_eq!(
        outcomes(&check(&layout, "v1", &other)),
        [Err(Rejection::BadSignature), Ok(())]
    );
}

#[test]
fn the_bundle_form_is_a_referrer_with_a_dsse_statement() {
    let (_dir, layout) = layout();
    let image = small_image(&layout, "v1", "bundle");
    let signed = sign(&layout, "v1", key(), &options(Format::Bundle)).unwrap();
    assert!(signed.tag.is_none());
    let referrer = signed.bundle.unwrap();
    assert_eq!(layout.list_tags().unwrap(), ["v1"]);
    let bundle_type = MediaType::from("application/vnd.dev.sigstore.bundle.v0.3+json");
    let listed = layout
        .referrers_of_type(&image.digest, &bundle_type)
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].digest, referrer.digest);
    assert_eq!(
        listed[0].annotations["dev.sigstore.bundle.predicateType"],
        "https://sigstore.dev/cosign/sign/v1"
    );
    assert_eq!(
        listed[0].annotations["dev.sigstore.bundle.content"],
        "dsse-envelope"
    );

    let m = manifest(&layout, &referrer);
    assert_eq!(m.artifact_type.as_ref(), Some(&bundle_type));
    assert!(m.config.is_empty_json());
    assert_eq!(m.subject.as_ref().unwrap().digest, image.digest);
    assert_eq!(m.subject.as_ref().unwrap().size, image.size);
    let bundle: serde_json::Value =
        serde_json::from_slice(&layout.read_blob(&m.layers[0], 1 << 20).unwrap()).unwrap();
    assert_eq!(bundle["mediaType"], bundle_type.as_str());
    let hint = key().public_key().hint();
    assert_eq!(bundle["verificationMaterial"]["publicKey"]["hint"], hint);
    let envelope = &bundle["dsseEnvelope"];
    assert_eq!(envelope["payloadType"], "application/vnd.in-toto+json");
    assert_eq!(envelope["signatures"][0]["keyid"], hint);
    let payload = STANDARD
        .decode(envelope["payload"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        String::from_utf8(payload.clone()).unwrap(),
        format!(
            r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"name":"v1","digest":{{"sha256":"{}"}}}}],"predicateType":"https://sigstore.dev/cosign/sign/v1","predicate":{{}}}}"#,
            image.digest.encoded()
        )
    );
    // The signature is over DSSE's pre-authentication encoding.
    let mut pae = format!("DSSEv1 28 application/vnd.in-toto+json {} ", payload.len()).into_bytes();
    pae.extend_from_slice(&payload);
    let sig = STANDARD
        .decode(envelope["signatures"][0]["sig"].as_str().unwrap())
        .unwrap();
    assert!(key().public_key().verify(&pae, &sig));

    let report = check(&layout, "v1", key());
    assert_eq!(report.checks.len(), 1);
    assert_eq!(
        report.checks[0].source,
        Source::Bundle {
            manifest: referrer.digest.clone()
        }
    );
    assert_eq!(report.checks[0].outcome.as_deref().unwrap(), payload);
    // Signing again stores the same referrer once.
    sign(&layout, "v1", key(), &options(Format::Bundle)).unwrap();
    assert_eq!(layout.referrers(&image.digest).unwrap().len(), 1);
}

#[test]
fn both_forms_round_trip_and_the_wrong_key_is_refused() {
    let (_dir, layout) = layout();
    small_image(&layout, "v1", "both");
    let signed = sign(&layout, "v1", key(), &SignOptions::default()).unwrap();
    let report = check(&layout, "v1", key());
    assert_eq!(outcomes(&report), [Ok(()), Ok(())]);
    assert!(matches!(
        report.checks[0].source,
        Source::TagLayer { layer: 0, .. }
    ));
    assert!(report.is_verified());

    let other = PrivateKey::generate().unwrap();
    let report = check(&layout, "v1", &other);
    assert_eq!(
        outcomes(&report),
        [Err(Rejection::BadSignature), Err(Rejection::BadSignature)]
    );
    let err = report.require("layout:v1").unwrap_err();
    assert!(matches!(err, Error::Unverified { .. }));
    let message = err.to_string();
    assert!(
        message.starts_with(&format!(
            "layout:v1 ({}) has no valid signature: signature ",
            signed.image.digest
        )),
        "{message}"
    );
    assert!(
        message.contains(&format!(
            "bundle referrer {} is not verified by the given public key",
            signed.bundle.unwrap().digest
        )),
        "{message}"
    );
    // Either key of several will do.
    let report = verify(
        &layout,
        "v1",
        &[other.public_key(), key().public_key()],
        &VerifyOptions::default(),
    )
    .unwrap();
    assert_eq!(outcomes(&report), [Ok(()), Ok(())]);
}

#[test]
fn an_unsigned_image_has_nothing_to_check() {
    let (_dir, layout) = layout();
    let image = small_image(&layout, "v1", "unsigned");
    let report = check(&layout, "v1", key());
    assert!(report.checks.is_empty());
    assert_eq!(
        report.require("v1").unwrap_err().to_string(),
        format!(
            "v1 ({}) has no valid signature: no signature found",
            image.digest
        )
    );
}

#[test]
fn a_signature_moved_to_another_image_is_refused() {
    let (_dir, layout) = layout();
    let a = small_image(&layout, "a", "a");
    let b = small_image(&layout, "b", "b");
    let signed = sign(&layout, "a", key(), &SignOptions::default()).unwrap();
    // a's signature manifest tagged as b's, and a's bundle made b's
    // referrer: both sign a's digest.
    layout
        .tag(&signature_tag(&b.digest), &signed.tag.unwrap())
        .unwrap();
    let mut referrer = manifest(&layout, &signed.bundle.unwrap());
    referrer.subject = Some(Descriptor::new(
        b.media_type.clone(),
        b.digest.clone(),
        b.size,
    ));
    let moved = layout.put_json(&referrer).unwrap();
    layout.tag("moved", &moved).unwrap();

    let wrong = |found: String| Rejection::WrongDigest {
        expected: b.digest.clone(),
        found,
    };
    assert_eq!(
        outcomes(&check(&layout, "b", key())),
        [
            Err(wrong(a.digest.to_string())),
            Err(wrong(a.digest.to_string())),
        ]
    );
    assert_eq!(outcomes(&check(&layout, "a", key())), [Ok(()), Ok(())]);
}

#[test]
fn a_changed_payload_is_refused() {
    let (_dir, layout) = layout();
    let image = small_image(&layout, "v1", "payload");
    let signed = sign(&layout, "v1", key(), &SignOptions::default()).unwrap();
    // The payload changed (another name), its signature kept.
    let tag = signature_tag(&image.digest);
    let mut sig_manifest = manifest(&layout, &signed.tag.unwrap());
    let payload = layout.read_blob(&sig_manifest.layers[0], 4096).unwrap();
    let changed = String::from_utf8(payload)
        .unwrap()
        .replace(r#""docker-reference":"v1""#, r#""docker-reference":"v2""#);
    let mut layer = layout
        .put_bytes(
            sig_manifest.layers[0].media_type.clone(),
            changed.as_bytes(),
        )
        .unwrap();
    layer.annotations = sig_manifest.layers[0].annotations.clone();
    sig_manifest.layers = vec![layer];
    layout
        .tag(&tag, &layout.put_json(&sig_manifest).unwrap())
        .unwrap();
    // The statement changed in the bundle, its signature kept.
    let referrer = manifest(&layout, &signed.bundle.unwrap());
    let bytes = layout.read_blob(&referrer.layers[0], 1 << 20).unwrap();
    let mut bundle: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    let statement = STANDARD
        .decode(bundle["dsseEnvelope"]["payload"].as_str().unwrap())
        .unwrap();
    let statement = String::from_utf8(statement)
        .unwrap()
        .replace(r#""name":"v1""#, r#""name":"v2""#);
    bundle["dsseEnvelope"]["payload"] = STANDARD.encode(statement).into();
    let mut referrer2 = referrer.clone();
    referrer2.layers[0] = layout
        .put_bytes(
            referrer.layers[0].media_type.clone(),
            &serde_json::to_vec(&bundle).unwrap(),
        )
        .unwrap();
    layout.untag("v1").unwrap();
    layout.tag("v1", &image).unwrap();
    layout
        .update_index(|index| {
            // The original referrer leaves index.json, the changed one
            // takes its place.
            index.manifests.retain(|d| d.artifact_type.is_none());
            Ok(())
        })
        .unwrap();
    layout
        .tag("changed", &layout.put_json(&referrer2).unwrap())
        .unwrap();
    assert_eq!(
        outcomes(&check(&layout, "v1", key())),
        [Err(Rejection::BadSignature), Err(Rejection::BadSignature)]
    );
}

#[test]
fn a_changed_manifest_is_refused() {
    let (_dir, layout) = layout();
    let image = small_image(&layout, "v1", "manifest");
    let signed = sign(&layout, "v1", key(), &SignOptions::default()).unwrap();
    // The manifest changed under the same tag: no signature names it.
    let mut changed = manifest(&layout, &image);
    changed
        .annotations
        .insert("org.opencontainers.image.title".into(), "changed".into());
    let changed = layout.put_json(&changed).unwrap();
    layout.tag("v1", &changed).unwrap();
    let report = check(&layout, "v1", key());
    assert_eq!(report.digest, changed.digest);
    assert!(report.checks.is_empty());
    // Even with the old signatures put where the new manifest's go.
    layout
        .tag(&signature_tag(&changed.digest), &signed.tag.unwrap())
        .unwrap();
    assert_eq!(
        outcomes(&check(&layout, "v1", key())),
        [Err(Rejection::WrongDigest {
            expected: changed.digest.clone(),
            found: image.digest.to_string()
        })]
    );
}

#[test]
fn annotations_and_the_name_are_checked_when_asked() {
    let (_dir, layout) = layout();
    small_image(&layout, "v1", "annotations");
    let annotations = BTreeMap::from([("env".to_owned(), "prod".to_owned())]);
    let signed = SignOptions {
        annotations: annotations.clone(),
        identity: Some("registry.example/app".into()),
        ..SignOptions::default()
    };
    sign(&layout, "v1", key(), &signed).unwrap();
    let verify_with = |options: VerifyOptions| {
        outcomes(&verify(&layout, "v1", &[key().public_key()], &options).unwrap())
    };
    assert_eq!(
        verify_with(VerifyOptions {
            annotations: annotations.clone(),
            identity: Some("registry.example/app".into()),
        }),
        [Ok(()), Ok(())]
    );
    let wrong = Rejection::WrongAnnotation {
        key: "env".into(),
        expected: "dev".into(),
        found: Some("prod".into()),
    };
    assert_eq!(
        verify_with(VerifyOptions {
            annotations: BTreeMap::from([("env".to_owned(), "dev".to_owned())]),
            identity: None,
        }),
        [Err(wrong.clone()), Err(wrong)]
    );
    let absent = Rejection::WrongAnnotation {
        key: "team".into(),
        expected: "a".into(),
        found: None,
    };
    assert_eq!(
        verify_with(VerifyOptions {
            annotations: BTreeMap::from([("team".to_owned(), "a".to_owned())]),
            identity: None,
        }),
        [Err(absent.clone()), Err(absent)]
    );
    let other_name = Rejection::WrongIdentity {
        expected: "registry.example/other".into(),
        found: "registry.example/app".into(),
    };
    assert_eq!(
        verify_with(VerifyOptions {
            annotations: BTreeMap::new(),
            identity: Some("registry.example/other".into()),
        }),
        [Err(other_name.clone()), Err(other_name)]
    );
}

#[test]
fn a_partial_layout_without_layers_or_config_verifies() {
    let (_dir, layout) = layout();
    let image = small_image(&layout, "v1", "partial");
    sign(&layout, "v1", key(), &SignOptions::default()).unwrap();
    let m = manifest(&layout, &image);
    assert!(layout.remove_blob(&m.config.digest).unwrap());
    assert!(layout.remove_blob(&m.layers[0].digest).unwrap());
    assert_eq!(outcomes(&check(&layout, "v1", key())), [Ok(()), Ok(())]);
    // A signature whose payload blob is gone is reported, not fatal.
    let sig = manifest(
        &layout,
        &layout.find_tag(&signature_tag(&image.digest)).unwrap(),
    );
    assert!(layout.remove_blob(&sig.layers[0].digest).unwrap());
    let report = check(&layout, "v1", key());
    assert!(
        matches!(&report.checks[0].outcome, Err(Rejection::Unreadable { reason }) if reason.contains(sig.layers[0].digest.as_str())),
        "{:?}",
        report.checks[0]
    );
    assert!(report.checks[1].outcome.is_ok());
}

#[test]
fn attestations_carry_the_predicate_and_are_checked_by_type() {
    let (_dir, layout) = layout();
    let image = small_image(&layout, "v1", "attest");
    let predicate = serde_json::json!({"buildType": "https://example.com/make", "n": 1});
    let attestation = Attestation {
        predicate_type: "https://slsa.dev/provenance/v1".into(),
        predicate: predicate.clone(),
    };
    let referrer = ocikit_sign::attest(&layout, "v1", key(), &attestation).unwrap();
    assert_eq!(
        layout.referrers(&image.digest).unwrap()[0].annotations["dev.sigstore.bundle.predicateType"],
        "https://slsa.dev/provenance/v1"
    );
    let public = [key().public_key()];
    let report = ocikit_sign::verify_attestation(
        &layout,
        "v1",
        &public,
        "https://slsa.dev/provenance/v1",
        &VerifyOptions::default(),
    )
    .unwrap();
    assert_eq!(report.checks.len(), 1);
    assert_eq!(
        report.checks[0].source,
        Source::Bundle {
            manifest: referrer.digest
        }
    );
    let statement: serde_json::Value =
        serde_json::from_slice(report.checks[0].outcome.as_ref().unwrap()).unwrap();
    assert_eq!(statement["predicate"], predicate);
    assert_eq!(
        statement["subject"][0]["digest"]["sha256"],
        image.digest.encoded()
    );
    // Another type finds nothing; an attestation is no image signature.
    let other = ocikit_sign::verify_attestation(
        &layout,
        "v1",
        &public,
        "https://spdx.dev/Document",
        &VerifyOptions::default(),
    )
    .unwrap();
    assert!(other.checks.is_empty());
    assert!(check(&layout, "v1", key()).checks.is_empty());
    // A predicate that is not an object is refused before anything is
    // written.
    let err = ocikit_sign::attest(
        &layout,
        "v1",
        key(),
        &Attestation {
            predicate_type: "https://example.com/t".into(),
            predicate: serde_json::json!([1]),
        },
    )
    .unwrap_err();
    assert!(matches!(err, Error::Predicate { .. }), "{err}");
    // Nor is one too large for a verifier to read (a 13 MiB SBOM makes a
    // bundle over 16 MiB once base64 in the envelope).
    let blobs_before = std::fs::read_dir(layout.path().join("blobs/sha256"))
        .unwrap()
        .count();
    let err = ocikit_sign::attest(
        &layout,
        "v1",
        key(),
        &Attestation {
            predicate_type: "https://spdx.dev/Document".into(),
            predicate: serde_json::json!({"packages": "x".repeat(13 << 20)}),
        },
    )
    .unwrap_err();
    assert!(
        err.to_string().ends_with(&format!(
            "more than the {} a verifier reads",
            ocikit_sign::MAX_SIGNATURE_BLOB
        )),
        "{err}"
    );
    let blobs_after = std::fs::read_dir(layout.path().join("blobs/sha256"))
        .unwrap()
        .count();
    assert_eq!(blobs_after, blobs_before);
    assert_eq!(layout.referrers(&image.digest).unwrap().len(), 1);
}

#[test]
fn a_retyped_bundle_is_refused_by_its_signed_type() {
    // An attestation whose referrer annotation was removed is checked as
    // an image signature: the signed predicate type refuses it.
    let (_dir, layout) = layout();
    small_image(&layout, "v1", "retyped");
    let attestation = Attestation {
        predicate_type: "https://slsa.dev/provenance/v1".into(),
        predicate: serde_json::json!({}),
    };
    let referrer = ocikit_sign::attest(&layout, "v1", key(), &attestation).unwrap();
    let mut m = manifest(&layout, &referrer);
    m.annotations.remove("dev.sigstore.bundle.predicateType");
    layout
        .update_index(|index| {
            index.manifests.clear();
            Ok(())
        })
        .unwrap();
    small_image(&layout, "v1", "retyped");
    layout
        .tag("retyped", &layout.put_json(&m).unwrap())
        .unwrap();
    assert_eq!(
        outcomes(&check(&layout, "v1", key())),
        [Err(Rejection::WrongType {
            expected: "https://sigstore.dev/cosign/sign/v1".into(),
            found: "https://slsa.dev/provenance/v1".into()
        })]
    );
}

#[test]
fn the_signature_manifest_digests_are_stable() {
    // Same image, same key: the same bytes on every run and machine.
    let (_dir, layout) = layout();
    let image = small_image(&layout, "v1", "stable");
    let signed = sign(&layout, "v1", key(), &SignOptions::default()).unwrap();
    let digests: Vec<Digest> = vec![
        image.digest,
        signed.tag.unwrap().digest,
        signed.bundle.unwrap().digest,
    ];
    assert_eq!(
        digests.iter().map(Digest::to_string).collect::<Vec<_>>(),
        [
            "sha256:0f00076ef14c8a390eef1e84856a218a0cb6770a61710a6adf09b5fae69d7319",
            "sha256:fd46c52c18fcefb651c7d37a2a82c13e8d386c194e6ab7271283f1d119b87f20",
            "sha256:07f89641e0fb33bd11622fa93f71d07e1d78e72f5ab8895c7968b47522f28161",
        ]
    );
}
