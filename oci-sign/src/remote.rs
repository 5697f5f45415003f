//! The registry half: the same two forms, in a registry, through
//! ocikit-remote. The signature manifest tagged `sha256-<hex>.sig` and the
//! bundle referrers are brought into a temporary image layout (only they:
//! the image's layers are never fetched), signed or checked there with the
//! layout half, and what was signed is pushed back; a bundle goes up as a
//! manifest with a `subject`, which the registry's referrers API lists, or
//! else the fallback tag `sha256-<hex>` (distribution-spec spec.md,
//! "Pushing Manifests with Subject"). A pull that requires a signature
//! checks the signatures of the digest the reference names first, then
//! pulls exactly that digest, so what is stored is what was verified.

use ocikit_image::{Descriptor, Digest, MediaType};
use ocikit_layout::Layout;
use ocikit_remote::{Client, PullOptions, Pulled, PushOptions, Reference};

use crate::bundle::BUNDLE_MEDIA_TYPE;
use crate::sign::{attest_into, sign_into, signature_tag};
use crate::verify::{verify_attestation_digest, verify_digest};
use crate::{
    Attestation, Error, PrivateKey, PublicKey, Result, SignOptions, Signed, Verification,
    VerifyOptions,
};

/// A temporary image layout, removed when dropped.
struct Staging {
    layout: Layout,
    _dir: tempfile::TempDir,
}

impl Staging {
    fn new() -> Result<Staging> {
        let dir = tempfile::tempdir().map_err(Error::io(
            "create a temporary directory in",
            std::env::temp_dir(),
        ))?;
        let layout = Layout::init(dir.path().join("signatures"))?;
        Ok(Staging { layout, _dir: dir })
    }
}

/// The manifest (or index) `reference` names: its descriptor, the digest
/// verified against the bytes received.
fn resolve(client: &Client, reference: &Reference) -> Result<Descriptor> {
    Ok(client.fetch_manifest(reference)?.descriptor)
}

/// The name cosign gives an image in a registry: `REGISTRY/REPOSITORY`.
fn identity(reference: &Reference) -> String {
    format!("{}/{}", reference.registry(), reference.repository())
}

/// Signs the image `reference` names, in the forms `options` asks for, and
/// pushes the signatures to its repository: the `sha256-<hex>.sig`
/// manifest (with the signatures already there, and ours added) and the
/// bundle referrer. The image is named `REGISTRY/REPOSITORY` in the
/// signature unless [`SignOptions::identity`] says otherwise.
///
/// # Errors
///
/// The registry's errors ([`Error::Remote`]); [`Error::SignatureTag`] when
/// the signature tag names something else.
pub fn sign_remote(
    client: &Client,
    reference: &Reference,
    key: &PrivateKey,
    options: &SignOptions,
) -> Result<Signed> {
    let image = resolve(client, reference)?;
    let staging = Staging::new()?;
    let (tag, tag_reference) = pull_signature_tag(client, reference, &image.digest, &staging)?;
    let identity = options
        .identity
        .clone()
        .unwrap_or_else(|| identity(reference));
    let signed = sign_into(&staging.layout, &image, &identity, key, options)?;
    if signed.tag.is_some() {
        client.push(
            &staging.layout,
            &tag,
            &tag_reference,
            &PushOptions::default(),
        )?;
    }
    if let Some(bundle) = &signed.bundle {
        push_referrer(client, &staging.layout, reference, bundle)?;
    }
    Ok(signed)
}

/// Attests `attestation` about the image `reference` names: a bundle
/// referrer pushed to its repository. Returns the referrer.
///
/// # Errors
///
/// As for [`sign_remote`], and [`Error::Predicate`].
pub fn attest_remote(
    client: &Client,
    reference: &Reference,
    key: &PrivateKey,
    attestation: &Attestation,
) -> Result<Descriptor> {
    let image = resolve(client, reference)?;
    let staging = Staging::new()?;
    let referrer = attest_into(
        &staging.layout,
        &image,
        &identity(reference),
        key,
        attestation,
    )?;
    push_referrer(client, &staging.layout, reference, &referrer)?;
    Ok(referrer)
}

/// Pulls the manifest tagged `sha256-<hex>.sig` for `digest`, when the
/// repository has one, into `staging` under that tag; returns the tag and
/// its reference.
fn pull_signature_tag(
    client: &Client,
    reference: &Reference,
    digest: &Digest,
    staging: &Staging,
) -> Result<(String, Reference)> {
    let tag = signature_tag(digest);
    let tag_reference = reference.with_tag(&tag)?;
    if client.head_manifest(&tag_reference)?.is_some() {
        client.pull(
            &tag_reference,
            &staging.layout,
            &tag,
            &PullOptions::default(),
        )?;
    }
    Ok((tag, tag_reference))
}

/// Pushes the referrer `descriptor` of `staging` by its digest.
fn push_referrer(
    client: &Client,
    staging: &Layout,
    reference: &Reference,
    descriptor: &Descriptor,
) -> Result<()> {
    // A push starts from a tag of the layout.
    const TAG: &str = "referrer";
    staging.tag(TAG, descriptor)?;
    client.push(
        staging,
        TAG,
        &reference.with_digest(descriptor.digest.clone()),
        &PushOptions::default(),
    )?;
    Ok(())
}

/// The signatures of `digest` in `reference`'s repository, in a staging
/// layout: the `.sig` manifest and the bundle referrers (each with its
/// blobs), nothing of the image.
fn fetch_signatures(client: &Client, reference: &Reference, digest: &Digest) -> Result<Staging> {
    let staging = Staging::new()?;
    pull_signature_tag(client, reference, digest, &staging)?;
    let by_digest = reference.with_digest(digest.clone());
    let referrers = client.referrers(&by_digest, Some(&MediaType::from(BUNDLE_MEDIA_TYPE)))?;
    for (n, referrer) in referrers.manifests.iter().enumerate() {
        client.pull(
            &reference.with_digest(referrer.digest.clone()),
            &staging.layout,
            &format!("referrer-{n}"),
            &PullOptions::default(),
        )?;
    }
    Ok(staging)
}

/// Checks the signatures of the image `reference` names, as
/// [`verify`](crate::verify) does in a layout: the digest is the one the
/// registry serves for the reference (verified against the bytes), the
/// signatures those its repository holds for that digest.
///
/// # Errors
///
/// The registry's errors; a signature manifest or referrer that cannot be
/// fetched is an error, not a rejection.
pub fn verify_remote(
    client: &Client,
    reference: &Reference,
    keys: &[PublicKey],
    options: &VerifyOptions,
) -> Result<Verification> {
    let digest = resolve(client, reference)?.digest;
    let staging = fetch_signatures(client, reference, &digest)?;
    verify_digest(&staging.layout, &digest, keys, options)
}

/// Checks the attestations of `predicate_type` of the image `reference`
/// names, as [`verify_remote`] checks signatures.
///
/// # Errors
///
/// As for [`verify_remote`].
pub fn verify_attestation_remote(
    client: &Client,
    reference: &Reference,
    keys: &[PublicKey],
    predicate_type: &str,
    options: &VerifyOptions,
) -> Result<Verification> {
    let digest = resolve(client, reference)?.digest;
    let staging = fetch_signatures(client, reference, &digest)?;
    verify_attestation_digest(&staging.layout, &digest, keys, predicate_type, options)
}

/// The policy of a pull that requires a signature: checks the signatures
/// of the image `reference` names ([`verify_remote`]) and, when one
/// passes, returns the verification and `reference` pinned to the digest
/// verified. Pull that pinned reference, not `reference`: a tag moved
/// meanwhile in the registry cannot then slip in another image.
///
/// # Errors
///
/// [`Error::Unverified`] naming each signature and why it was refused;
/// the registry's errors.
pub fn require_signature(
    client: &Client,
    reference: &Reference,
    keys: &[PublicKey],
    options: &VerifyOptions,
) -> Result<(Verification, Reference)> {
    let verification =
        verify_remote(client, reference, keys, options)?.require(&reference.to_string())?;
    let pinned = reference.with_digest(verification.digest.clone());
    Ok((verification, pinned))
}

/// Pulls `reference` into `layout` as `tag` only when one of its
/// signatures passes ([`require_signature`]), by the digest verified.
/// Without a valid signature nothing is pulled and no tag is written.
///
/// # Errors
///
/// As for [`require_signature`]; the registry's and the layout's errors
/// of the pull.
pub fn pull_verified(
    client: &Client,
    reference: &Reference,
    layout: &Layout,
    tag: &str,
    keys: &[PublicKey],
    verify: &VerifyOptions,
    pull: &PullOptions,
) -> Result<(Verification, Pulled)> {
    let (verification, pinned) = require_signature(client, reference, keys, verify)?;
    let pulled = client.pull(&pinned, layout, tag, pull)?;
    Ok((verification, pulled))
}
