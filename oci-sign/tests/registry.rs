//! Signing and verifying images in a registry: Debian's docker-registry
//! (distribution 2.8.2, which has no referrers API, so bundles are listed
//! through the fallback tag) on the loopback interface.
#![allow(clippy::unwrap_used)]

use ocikit_layout::Layout;
use ocikit_remote::{Client, ClientOptions, PullOptions, PushOptions, Reference, RegistryOptions};
use ocikit_sign::{
    Attestation, Error, PrivateKey, Rejection, SignOptions, Source, VerifyOptions, signature_tag,
};
use ocikit_test_support::layouts::small_image;
use ocikit_test_support::registry::Registry;

fn client(registry: &Registry) -> Client {
    Client::new(ClientOptions::default().with_registry(
        &registry.address,
        RegistryOptions {
            tls_verify: false,
            ..Default::default()
        },
    ))
}

/// Pushes a small image (content from `seed`) to `REPO:TAG` of the
/// registry; returns the reference.
fn push_image(client: &Client, registry: &Registry, name: &str, seed: &str) -> Reference {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::init(dir.path().join("source")).unwrap();
    small_image(&layout, "v1", seed);
    let reference = Reference::parse(&registry.reference(name)).unwrap();
    client
        .push(&layout, "v1", &reference, &PushOptions::default())
        .unwrap();
    reference
}

fn outcomes(verification: &ocikit_sign::Verification) -> Vec<Result<(), Rejection>> {
    verification
        .checks
        .iter()
        .map(|c| c.outcome.as_ref().map(|_| ()).map_err(Clone::clone))
        .collect()
}

#[test]
fn sign_and_verify_through_a_registry() {
    let Some(registry) = Registry::start() else {
        return;
    };
    let client = client(&registry);
    let reference = push_image(&client, &registry, "team/app:v1", "remote");
    let digest = client.fetch_manifest(&reference).unwrap().descriptor.digest;
    let key = PrivateKey::generate().unwrap();
    let signed =
        ocikit_sign::sign_remote(&client, &reference, &key, &SignOptions::default()).unwrap();
    assert_eq!(signed.image.digest, digest);

    // The .sig tag and, without a referrers API, the fallback tag.
    let mut tags = client.tags(&reference, None).unwrap();
    tags.sort();
    let fallback = ocikit_remote::referrers_tag(&digest);
    assert_eq!(
        tags,
        [fallback.clone(), signature_tag(&digest), "v1".into()]
    );
    let sig = client
        .fetch_manifest(&reference.with_tag(&signature_tag(&digest)).unwrap())
        .unwrap();
    assert_eq!(sig.descriptor.digest, signed.tag.as_ref().unwrap().digest);

    let public = [key.public_key()];
    let report =
        ocikit_sign::verify_remote(&client, &reference, &public, &VerifyOptions::default())
            .unwrap();
    assert_eq!(report.digest, digest);
    assert_eq!(outcomes(&report), [Ok(()), Ok(())]);
    assert_eq!(
        report.checks[1].source,
        Source::Bundle {
            manifest: signed.bundle.unwrap().digest
        }
    );
    // The name cosign gives it: REGISTRY/REPOSITORY.
    let named = VerifyOptions {
        identity: Some(format!("{}/team/app", registry.address)),
        ..VerifyOptions::default()
    };
    let report = ocikit_sign::verify_remote(&client, &reference, &public, &named).unwrap();
    assert_eq!(outcomes(&report), [Ok(()), Ok(())]);

    // A second key adds a layer to the .sig manifest and a referrer.
    let other = PrivateKey::generate().unwrap();
    ocikit_sign::sign_remote(&client, &reference, &other, &SignOptions::default()).unwrap();
    let report =
        ocikit_sign::verify_remote(&client, &reference, &public, &VerifyOptions::default())
            .unwrap();
    assert_eq!(report.checks.len(), 4, "{report:?}");
    let passed = report.checks.iter().filter(|c| c.outcome.is_ok()).count();
    assert_eq!(passed, 2, "{report:?}");
    assert!(matches!(
        report.checks[1],
        ocikit_sign::Check {
            source: Source::TagLayer { layer: 1, .. },
            outcome: Err(Rejection::BadSignature)
        }
    ));

    // Another image of the same repository has none of them.
    let unsigned = push_image(&client, &registry, "team/app:v2", "unsigned");
    let report =
        ocikit_sign::verify_remote(&client, &unsigned, &public, &VerifyOptions::default()).unwrap();
    assert!(report.checks.is_empty());
}

#[test]
fn a_pull_that_requires_a_signature_stores_nothing_without_one() {
    let Some(registry) = Registry::start() else {
        return;
    };
    let client = client(&registry);
    let signed_ref = push_image(&client, &registry, "team/signed:v1", "signed");
    let unsigned_ref = push_image(&client, &registry, "team/unsigned:v1", "unsigned");
    let key = PrivateKey::generate().unwrap();
    ocikit_sign::sign_remote(&client, &signed_ref, &key, &SignOptions::default()).unwrap();
    let public = [key.public_key()];

    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::init(dir.path().join("pulled")).unwrap();
    let (verification, pulled) = ocikit_sign::pull_verified(
        &client,
        &signed_ref,
        &layout,
        "app",
        &public,
        &VerifyOptions::default(),
        &PullOptions::default(),
    )
    .unwrap();
    assert_eq!(pulled.descriptor.digest, verification.digest);
    assert_eq!(layout.list_tags().unwrap(), ["app"]);

    let err = ocikit_sign::pull_verified(
        &client,
        &unsigned_ref,
        &layout,
        "unsigned",
        &public,
        &VerifyOptions::default(),
        &PullOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Unverified { .. }), "{err}");
    assert!(
        err.to_string()
            .ends_with("has no valid signature: no signature found"),
        "{err}"
    );
    // Signed by another key: refused as well, naming why.
    let stranger = [PrivateKey::generate().unwrap().public_key()];
    let err = ocikit_sign::pull_verified(
        &client,
        &signed_ref,
        &layout,
        "stranger",
        &stranger,
        &VerifyOptions::default(),
        &PullOptions::default(),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("is not verified by the given public key"),
        "{err}"
    );
    assert_eq!(
        layout.list_tags().unwrap(),
        ["app"],
        "no tag for a refused image"
    );
}

#[test]
fn attestations_through_a_registry() {
    let Some(registry) = Registry::start() else {
        return;
    };
    let client = client(&registry);
    let reference = push_image(&client, &registry, "team/attested:v1", "attested");
    let key = PrivateKey::generate().unwrap();
    let attestation = Attestation {
        predicate_type: "https://slsa.dev/provenance/v1".into(),
        predicate: serde_json::json!({"builder": {"id": "https://example.com/ci"}}),
    };
    let referrer = ocikit_sign::attest_remote(&client, &reference, &key, &attestation).unwrap();
    let public = [key.public_key()];
    let report = ocikit_sign::verify_attestation_remote(
        &client,
        &reference,
        &public,
        "https://slsa.dev/provenance/v1",
        &VerifyOptions::default(),
    )
    .unwrap();
    assert_eq!(
        report.checks[0].source,
        Source::Bundle {
            manifest: referrer.digest
        }
    );
    let statement: serde_json::Value =
        serde_json::from_slice(report.checks[0].outcome.as_ref().unwrap()).unwrap();
    assert_eq!(statement["predicate"], attestation.predicate);
    // An attestation is no image signature.
    let report =
        ocikit_sign::verify_remote(&client, &reference, &public, &VerifyOptions::default())
            .unwrap();
    assert!(report.checks.is_empty());
}
