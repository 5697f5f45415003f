//! Signing: the two forms cosign writes, into an image layout. The tag
//! form adds one layer (the simple signing payload, its signature in an
//! annotation) to the manifest tagged `sha256-<hex>.sig`; the bundle form
//! stores a sigstore bundle as an image-spec 1.1 referrer of the image
//! (manifest.md `subject`), listed in `index.json` so that the layout's
//! referrers and gc reach it. Attestations are bundles whose statement
//! carries the caller's predicate.

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ocikit_image::descriptor::EMPTY_JSON;
use ocikit_image::{Descriptor, ImageManifest, MediaType};
use ocikit_layout::Layout;

use crate::bundle::{BUNDLE_MEDIA_TYPE, Bundle, CONTENT_ANNOTATION, PREDICATE_TYPE_ANNOTATION};
use crate::payload::{Payload, SIGNATURE_ANNOTATION, SIMPLE_SIGNING};
use crate::statement::{
    COSIGN_SIGN_PREDICATE, Envelope, IN_TOTO_PAYLOAD_TYPE, Statement, empty_predicate,
};
use crate::{Error, MAX_SIGNATURE_BLOB, PrivateKey, Result};

/// The most layers (signatures) a signature manifest may have: what cosign
/// reads at most (its `maxLayers`).
pub const MAX_SIGNATURE_LAYERS: usize = 1000;

/// How many times adding a signature reads the signature tag again when
/// another writer changed it meanwhile.
const TAG_ATTEMPTS: usize = 8;

/// The tag of an image's signature manifest in cosign's tag form:
/// `<algorithm>-<hex>.sig` for the manifest digest `digest`.
///
/// ```
/// let digest = format!("sha256:{}", "ab".repeat(32)).parse()?;
/// assert_eq!(ocikit_sign::signature_tag(&digest), format!("sha256-{}.sig", "ab".repeat(32)));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn signature_tag(digest: &ocikit_image::Digest) -> String {
    format!("{}-{}.sig", digest.algorithm().as_str(), digest.encoded())
}

/// Which forms [`sign`] writes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Format {
    /// cosign's tag form only: a layer of the `sha256-<hex>.sig` manifest
    /// (what cosign 2 writes and every cosign verifies).
    Tag,
    /// The sigstore bundle referrer only (what cosign 3 writes).
    Bundle,
    /// Both, so that old and new verifiers find one.
    #[default]
    Both,
}

impl Format {
    fn tag(self) -> bool {
        matches!(self, Format::Tag | Format::Both)
    }

    fn bundle(self) -> bool {
        matches!(self, Format::Bundle | Format::Both)
    }
}

/// How [`sign`] signs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignOptions {
    /// The forms written.
    pub format: Format,
    /// Annotations signed with the image (`cosign sign -a KEY=VALUE`): the
    /// payload's `optional` in the tag form, the statement subject's
    /// `annotations` in the bundle form. A verifier may require them.
    pub annotations: BTreeMap<String, String>,
    /// The name the signature gives the image (`docker-reference`, and the
    /// statement subject's `name`). By default the tag in a layout, and
    /// `REGISTRY/REPOSITORY` in a registry (as cosign writes it).
    pub identity: Option<String>,
}

/// What [`sign`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signed {
    /// The image signed: its manifest's (or index's) media type, digest
    /// and size.
    pub image: Descriptor,
    /// The signature manifest now tagged `sha256-<hex>.sig`, in the tag
    /// form.
    pub tag: Option<Descriptor>,
    /// The bundle referrer, in the bundle form.
    pub bundle: Option<Descriptor>,
}

/// An in-toto predicate to attest ([`attest`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Attestation {
    /// The predicate type, a URI (`https://slsa.dev/provenance/v1`,
    /// `https://spdx.dev/Document`, ...).
    pub predicate_type: String,
    /// The predicate: a JSON object.
    pub predicate: serde_json::Value,
}

/// Signs the image tagged `tag` in `layout` with `key`, in the forms
/// `options` asks for; the signatures are stored in the same layout.
/// Signing again with another key adds a signature; with the same key and
/// options it changes nothing (the signature is deterministic).
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// # let layout = ocikit_layout::Layout::init(dir.path().join("l"))?;
/// # let manifest = layout.put_json(&ocikit_image::ImageManifest::default())?;
/// # layout.put_bytes(ocikit_image::MediaType::EmptyJson, b"{}")?;
/// # layout.tag("v1", &manifest)?;
/// use ocikit_sign::{PrivateKey, SignOptions};
/// let key = PrivateKey::generate()?;
/// let signed = ocikit_sign::sign(&layout, "v1", &key, &SignOptions::default())?;
/// assert!(signed.tag.is_some() && signed.bundle.is_some());
/// assert_eq!(layout.list_tags()?, [ocikit_sign::signature_tag(&signed.image.digest), "v1".into()]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// The layout's errors (the tag, reading the image's manifest, writing);
/// [`Error::SignatureTag`] when the signature tag names something that
/// cannot take another signature.
pub fn sign(layout: &Layout, tag: &str, key: &PrivateKey, options: &SignOptions) -> Result<Signed> {
    let image = resolve(layout, tag)?;
    let identity = options.identity.as_deref().unwrap_or(tag);
    sign_into(layout, &image, identity, key, options)
}

/// Attests `attestation` about the image tagged `tag` in `layout`: a
/// sigstore bundle referrer whose in-toto statement names the image by
/// digest (and by `tag`), signed with `key`. Returns the referrer.
///
/// # Errors
///
/// [`Error::Predicate`] when the predicate is not a JSON object or the
/// type is empty; the layout's errors.
pub fn attest(
    layout: &Layout,
    tag: &str,
    key: &PrivateKey,
    attestation: &Attestation,
) -> Result<Descriptor> {
    let image = resolve(layout, tag)?;
    attest_into(layout, &image, tag, key, attestation)
}

/// The descriptor (media type, digest and size) of what `tag` names, after
/// reading the manifest or index there (verified against its digest).
pub(crate) fn resolve(layout: &Layout, tag: &str) -> Result<Descriptor> {
    let tagged = layout.find_tag(tag)?;
    if tagged.media_type.is_index() {
        layout.read_index(&tagged)?;
    } else {
        layout.read_manifest(&tagged)?;
    }
    Ok(Descriptor::new(
        tagged.media_type,
        tagged.digest,
        tagged.size,
    ))
}

/// Writes the signatures of `image` into `store`.
pub(crate) fn sign_into(
    store: &Layout,
    image: &Descriptor,
    identity: &str,
    key: &PrivateKey,
    options: &SignOptions,
) -> Result<Signed> {
    let tag = if options.format.tag() {
        Some(add_tag_signature(
            store,
            image,
            identity,
            key,
            &options.annotations,
        )?)
    } else {
        None
    };
    let bundle = if options.format.bundle() {
        let statement = Statement::new(
            identity,
            &image.digest,
            &options.annotations,
            COSIGN_SIGN_PREDICATE,
            empty_predicate(),
        );
        Some(put_bundle(store, image, &statement, key)?)
    } else {
        None
    };
    Ok(Signed {
        image: image.clone(),
        tag,
        bundle,
    })
}

/// Writes the attestation of `image` into `store`.
pub(crate) fn attest_into(
    store: &Layout,
    image: &Descriptor,
    identity: &str,
    key: &PrivateKey,
    attestation: &Attestation,
) -> Result<Descriptor> {
    let predicate_error = |reason: &str| Error::Predicate {
        what: "given".to_owned(),
        reason: reason.to_owned(),
    };
    if !attestation.predicate.is_object() {
        return Err(predicate_error(
            "is not a JSON object (an in-toto statement's predicate is one)",
        ));
    }
    if attestation.predicate_type.is_empty() {
        return Err(predicate_error("has an empty type (a URI is expected)"));
    }
    let statement = Statement::new(
        identity,
        &image.digest,
        &BTreeMap::new(),
        &attestation.predicate_type,
        attestation.predicate.clone(),
    );
    put_bundle(store, image, &statement, key)
}

/// Adds the tag form's signature of `image` to the manifest tagged
/// `sha256-<hex>.sig` (creating it), under compare-and-swap so that a
/// signature added meanwhile by another writer is kept.
fn add_tag_signature(
    store: &Layout,
    image: &Descriptor,
    identity: &str,
    key: &PrivateKey,
    annotations: &BTreeMap<String, String>,
) -> Result<Descriptor> {
    let payload = Payload::new(identity, image.digest.as_str(), annotations).to_bytes();
    let signature = STANDARD.encode(key.sign(&payload));
    let mut layer = store.put_bytes(MediaType::from(SIMPLE_SIGNING), &payload)?;
    layer
        .annotations
        .insert(SIGNATURE_ANNOTATION.to_owned(), signature);
    let config = store.put_bytes(MediaType::EmptyJson, EMPTY_JSON)?;
    let tag = signature_tag(&image.digest);
    for _ in 0..TAG_ATTEMPTS {
        let current = match store.find_tag(&tag) {
            Ok(current) => Some(current),
            Err(ocikit_layout::Error::TagNotFound { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        let mut manifest = match &current {
            Some(current) => signature_manifest(store, &tag, current)?,
            None => ImageManifest::default(),
        };
        if let Some(current) = current
            .as_ref()
            .filter(|_| manifest.layers.contains(&layer))
        {
            let mut unchanged = current.clone();
            unchanged.annotations.clear();
            return Ok(unchanged);
        }
        if manifest.layers.len() >= MAX_SIGNATURE_LAYERS {
            return Err(Error::SignatureTag {
                tag,
                reason: format!(
                    "it has {} signatures already, the most a verifier reads",
                    manifest.layers.len()
                ),
            });
        }
        // cosign's own signature manifests carry an image config whose
        // architecture and os are empty, which image-spec config.md
        // forbids; verifiers read only the layers. Ours, and one we add
        // to, carry the empty descriptor with an artifactType instead
        // (manifest.md, "Guidelines for Artifact Usage").
        manifest.config = config.clone();
        manifest.artifact_type = Some(MediaType::from(SIMPLE_SIGNING));
        // Stored and pushed as an OCI manifest, so it says it is one, even
        // when cosign wrote it with Docker's media type.
        manifest.media_type = Some(MediaType::ImageManifest);
        manifest.layers.push(layer.clone());
        let descriptor = store.put_json(&manifest)?;
        match store.tag_if(&tag, &descriptor, current.as_ref().map(|d| &d.digest)) {
            Ok(()) => return Ok(descriptor),
            Err(ocikit_layout::Error::TagChanged { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::SignatureTag {
        tag,
        reason: format!("other writers kept changing it ({TAG_ATTEMPTS} attempts)"),
    })
}

/// The signature manifest `descriptor` (tagged `tag`), to add a layer to.
fn signature_manifest(store: &Layout, tag: &str, descriptor: &Descriptor) -> Result<ImageManifest> {
    let refuse = |reason: String| Error::SignatureTag {
        tag: tag.to_owned(),
        reason,
    };
    if !descriptor.media_type.is_manifest() {
        return Err(refuse(format!(
            "it names a {}, not an image manifest",
            descriptor.media_type
        )));
    }
    let manifest = store
        .read_manifest(descriptor)
        .map_err(|e| refuse(e.to_string()))?;
    Ok(manifest.value().clone())
}

/// Stores `statement`, signed with `key`, as a bundle referrer of `image`
/// listed in `index.json`; returns the referrer's descriptor.
fn put_bundle(
    store: &Layout,
    image: &Descriptor,
    statement: &Statement,
    key: &PrivateKey,
) -> Result<Descriptor> {
    let envelope = Envelope::sign(statement.to_bytes(), IN_TOTO_PAYLOAD_TYPE, key);
    let bundle = Bundle::new(envelope, key.public_key().hint()).to_bytes();
    // What verify would refuse to read is never written.
    let size = u64::try_from(bundle.len()).unwrap_or(u64::MAX);
    if size > MAX_SIGNATURE_BLOB {
        return Err(Error::Predicate {
            what: "given".to_owned(),
            reason: format!(
                "makes a bundle of {size} bytes, more than the {MAX_SIGNATURE_BLOB} a verifier reads"
            ),
        });
    }
    let bundle_type = MediaType::from(BUNDLE_MEDIA_TYPE);
    let layer = store.put_bytes(bundle_type.clone(), &bundle)?;
    let config = store.put_bytes(MediaType::EmptyJson, EMPTY_JSON)?;
    let manifest = ImageManifest {
        artifact_type: Some(bundle_type.clone()),
        config,
        layers: vec![layer],
        subject: Some(Descriptor::new(
            image.media_type.clone(),
            image.digest.clone(),
            image.size,
        )),
        annotations: BTreeMap::from([
            (CONTENT_ANNOTATION.to_owned(), "dsse-envelope".to_owned()),
            (
                PREDICATE_TYPE_ANNOTATION.to_owned(),
                statement.predicate_type.clone(),
            ),
        ]),
        ..Default::default()
    };
    let mut descriptor = store.put_json(&manifest)?;
    descriptor.artifact_type = Some(bundle_type);
    store.update_index(|index| {
        if !index
            .manifests
            .iter()
            .any(|d| d.digest == descriptor.digest)
        {
            index.manifests.push(descriptor.clone());
        }
        Ok(())
    })?;
    Ok(descriptor)
}
