//! Verification: an image's signatures in both forms, each checked against
//! the caller's public keys and the image's manifest digest, with the
//! reason each one failed. What cosign checks (`cosign verify --key`): the
//! signature over the exact payload bytes, then, in the signed payload, the
//! manifest digest, the type and the annotations asked for; the image's
//! name only when the caller asks (containers/image's policy does).
//!
//! Only the image's manifest (or index) and the signatures are read: a
//! layout whose layers and config are absent verifies the same.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ocikit_image::{Descriptor, Digest, MediaType};
use ocikit_layout::Layout;

use crate::bundle::{BUNDLE_MEDIA_TYPE, Bundle, PREDICATE_TYPE_ANNOTATION};
use crate::payload::{COSIGN_SIGNATURE_TYPE, Payload, SIGNATURE_ANNOTATION, SIMPLE_SIGNING};
use crate::sign::{MAX_SIGNATURE_LAYERS, resolve, signature_tag};
use crate::statement::{COSIGN_SIGN_PREDICATE, IN_TOTO_PAYLOAD_TYPE, Statement};
use crate::{Error, PublicKey, Result};

/// The largest signature payload or bundle read: a simple signing payload
/// is a few hundred bytes, a bundle with a certificate chain a few KiB, an
/// attestation's predicate (an SBOM) can be larger.
pub const MAX_SIGNATURE_BLOB: u64 = 16 << 20;

/// What [`verify`] and [`verify_attestation`] require besides a valid
/// signature over this image's digest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyOptions {
    /// Annotations the signature must carry with these values (`cosign
    /// verify -a KEY=VALUE`): in the payload's `optional`, or the statement
    /// subject's `annotations`.
    pub annotations: BTreeMap<String, String>,
    /// The name the signature must give the image (`docker-reference`, or
    /// the statement subject's `name`); not checked when `None`, as cosign
    /// does not.
    pub identity: Option<String>,
}

/// Where a checked signature was found.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Source {
    /// The manifest tagged `sha256-<hex>.sig` as a whole (when it cannot be
    /// read, no layer of it is checked).
    TagManifest {
        /// The signature manifest.
        manifest: Digest,
    },
    /// A layer of the manifest tagged `sha256-<hex>.sig`.
    TagLayer {
        /// The signature manifest.
        manifest: Digest,
        /// The layer's position, from 0.
        layer: usize,
        /// The layer's blob: the payload.
        blob: Digest,
    },
    /// A sigstore bundle referrer of the image.
    Bundle {
        /// The referrer manifest.
        manifest: Digest,
    },
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::TagManifest { manifest } => write!(f, "signature manifest {manifest}"),
            Source::TagLayer {
                manifest,
                layer,
                blob,
            } => write!(
                f,
                "signature {blob} (layer {layer} of signature manifest {manifest})"
            ),
            Source::Bundle { manifest } => write!(f, "bundle referrer {manifest}"),
        }
    }
}

/// Why a signature was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// A blob of the signature is absent or does not match its digest.
    #[error("cannot be read: {reason}")]
    Unreadable {
        /// The layout's error.
        reason: String,
    },
    /// It is not what it claims to be (not a signature manifest, not a
    /// bundle, a signature that is not base64, ...).
    #[error("is malformed: {reason}")]
    Malformed {
        /// What is wrong.
        reason: String,
    },
    /// It carries no signature.
    #[error("carries no signature (no {SIGNATURE_ANNOTATION} annotation)")]
    NoSignature,
    /// The signature does not verify with any key given: another key made
    /// it, or the payload changed after signing.
    #[error(
        "is not verified by the given public key (another key signed it, or the payload was changed)"
    )]
    BadSignature,
    /// The signed payload names another image (a signature copied from one
    /// image to another).
    #[error("signs the manifest {found}, not this image's {expected}")]
    WrongDigest {
        /// This image's manifest digest.
        expected: Digest,
        /// What the payload names.
        found: String,
    },
    /// The signed payload is of another type: not a cosign image
    /// signature, or an attestation of another predicate type.
    #[error("is of type {found:?}, expected {expected:?}")]
    WrongType {
        /// The type required.
        expected: String,
        /// The type signed.
        found: String,
    },
    /// The signed payload names the image otherwise than required.
    #[error("names the image {found:?}, expected {expected:?}")]
    WrongIdentity {
        /// The name required.
        expected: String,
        /// The name signed.
        found: String,
    },
    /// An annotation required is absent or has another value.
    #[error("annotation {key}: expected {expected:?}, {}", match found {
        Some(found) => format!("signed {found:?}"),
        None => "not signed".to_owned(),
    })]
    WrongAnnotation {
        /// The annotation.
        key: String,
        /// The value required.
        expected: String,
        /// The value signed, if any.
        found: Option<String>,
    },
}

/// One signature checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Where it was found.
    pub source: Source,
    /// The signed payload when it passed every check (the simple signing
    /// payload, or the in-toto statement), else why it was refused.
    pub outcome: std::result::Result<Vec<u8>, Rejection>,
}

/// The signatures of an image, each checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// The image's manifest (or index) digest: what each signature must
    /// name.
    pub digest: Digest,
    /// Each signature found, in the order checked: the tag form's layers,
    /// then the bundle referrers.
    pub checks: Vec<Check>,
}

impl Verification {
    /// Whether at least one signature passed.
    pub fn is_verified(&self) -> bool {
        self.checks.iter().any(|c| c.outcome.is_ok())
    }

    /// The payloads of the signatures that passed.
    pub fn verified_payloads(&self) -> impl Iterator<Item = &[u8]> {
        self.checks.iter().filter_map(|c| c.outcome.as_deref().ok())
    }

    /// `self` when a signature passed, else [`Error::Unverified`] for the
    /// image `name`, naming each signature and why it was refused.
    ///
    /// # Errors
    ///
    /// [`Error::Unverified`].
    pub fn require(self, name: &str) -> Result<Verification> {
        if self.is_verified() {
            return Ok(self);
        }
        let reasons = if self.checks.is_empty() {
            "no signature found".to_owned()
        } else {
            self.checks
                .iter()
                .filter_map(|c| {
                    c.outcome
                        .as_ref()
                        .err()
                        .map(|r| format!("{} {r}", c.source))
                })
                .collect::<Vec<_>>()
                .join("; ")
        };
        Err(Error::Unverified {
            image: name.to_owned(),
            digest: self.digest,
            reasons,
        })
    }
}

/// Checks the signatures of the image tagged `tag` in `layout`, in both
/// forms, against `keys`: each passes when one of the keys verifies it and
/// its signed payload names this image's manifest digest, is a cosign
/// image signature, and has what `options` requires. The result lists
/// every signature with its outcome; [`Verification::require`] turns "none
/// passed" into an error.
///
/// ```
/// # let dir = tempfile::tempdir()?;
/// # let layout = ocikit_layout::Layout::init(dir.path().join("l"))?;
/// # let manifest = layout.put_json(&ocikit_image::ImageManifest::default())?;
/// # layout.tag("v1", &manifest)?;
/// use ocikit_sign::{PrivateKey, SignOptions, VerifyOptions};
/// let key = PrivateKey::generate()?;
/// ocikit_sign::sign(&layout, "v1", &key, &SignOptions::default())?;
/// let report = ocikit_sign::verify(&layout, "v1", &[key.public_key()], &VerifyOptions::default())?;
/// assert_eq!(report.checks.len(), 2); // the tag form and the bundle
/// assert!(report.checks.iter().all(|c| c.outcome.is_ok()));
///
/// let other = PrivateKey::generate()?.public_key();
/// let report = ocikit_sign::verify(&layout, "v1", &[other], &VerifyOptions::default())?;
/// assert!(!report.is_verified());
/// assert!(report.require("v1").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// The layout's errors finding the tag and reading the image's manifest.
/// A signature that cannot be read is a [`Rejection`], not an error.
pub fn verify(
    layout: &Layout,
    tag: &str,
    keys: &[PublicKey],
    options: &VerifyOptions,
) -> Result<Verification> {
    let image = resolve(layout, tag)?;
    verify_digest(layout, &image.digest, keys, options)
}

/// Checks the attestations of predicate type `predicate_type` of the image
/// tagged `tag` in `layout` (bundle referrers whose in-toto statement
/// names the image), as [`verify`] does for signatures; a passing check's
/// payload is the statement, predicate included.
///
/// # Errors
///
/// As for [`verify`].
pub fn verify_attestation(
    layout: &Layout,
    tag: &str,
    keys: &[PublicKey],
    predicate_type: &str,
    options: &VerifyOptions,
) -> Result<Verification> {
    let digest = resolve(layout, tag)?.digest;
    verify_attestation_digest(layout, &digest, keys, predicate_type, options)
}

/// [`verify_attestation`] of the image whose manifest digest is `digest`,
/// without reading its manifest (as [`verify_digest`] does).
///
/// # Errors
///
/// The layout's errors reading `index.json`.
pub fn verify_attestation_digest(
    layout: &Layout,
    digest: &Digest,
    keys: &[PublicKey],
    predicate_type: &str,
    options: &VerifyOptions,
) -> Result<Verification> {
    let checks = check_bundles(layout, digest, keys, predicate_type, options)?;
    Ok(Verification {
        digest: digest.clone(),
        checks,
    })
}

/// Checks the signatures in `layout` of the image whose manifest (or
/// index) digest is `digest`, as [`verify`] does, without reading that
/// manifest: for a digest the caller resolved elsewhere (a registry, a
/// pinned reference) when the layout holds only the signatures.
///
/// # Errors
///
/// The layout's errors reading `index.json`.
pub fn verify_digest(
    layout: &Layout,
    digest: &Digest,
    keys: &[PublicKey],
    options: &VerifyOptions,
) -> Result<Verification> {
    let mut checks = check_tag_form(layout, digest, keys, options)?;
    checks.extend(check_bundles(
        layout,
        digest,
        keys,
        COSIGN_SIGN_PREDICATE,
        options,
    )?);
    Ok(Verification {
        digest: digest.clone(),
        checks,
    })
}

/// The checks of each layer of the manifest tagged `sha256-<hex>.sig`.
fn check_tag_form(
    store: &Layout,
    image: &Digest,
    keys: &[PublicKey],
    options: &VerifyOptions,
) -> Result<Vec<Check>> {
    let tagged = match store.find_tag(&signature_tag(image)) {
        Ok(tagged) => tagged,
        Err(ocikit_layout::Error::TagNotFound { .. }) => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let whole = |outcome| {
        vec![Check {
            source: Source::TagManifest {
                manifest: tagged.digest.clone(),
            },
            outcome: Err(outcome),
        }]
    };
    let manifest = match store.read_manifest(&tagged) {
        Ok(manifest) => manifest,
        Err(e) => return Ok(whole(unreadable(e))),
    };
    if manifest.layers.len() > MAX_SIGNATURE_LAYERS {
        return Ok(whole(Rejection::Malformed {
            reason: format!(
                "{} layers, more than the {MAX_SIGNATURE_LAYERS} a verifier reads",
                manifest.layers.len()
            ),
        }));
    }
    Ok(manifest
        .layers
        .iter()
        .enumerate()
        .map(|(n, layer)| Check {
            source: Source::TagLayer {
                manifest: tagged.digest.clone(),
                layer: n,
                blob: layer.digest.clone(),
            },
            outcome: check_tag_layer(store, layer, image, keys, options),
        })
        .collect())
}

/// One layer of a signature manifest: the signature over the payload blob,
/// then the payload.
fn check_tag_layer(
    store: &Layout,
    layer: &Descriptor,
    image: &Digest,
    keys: &[PublicKey],
    options: &VerifyOptions,
) -> std::result::Result<Vec<u8>, Rejection> {
    if layer.media_type != SIMPLE_SIGNING {
        return Err(malformed(format!(
            "the layer's media type is {}, not {SIMPLE_SIGNING}",
            layer.media_type
        )));
    }
    let signature = layer
        .annotations
        .get(SIGNATURE_ANNOTATION)
        .ok_or(Rejection::NoSignature)?;
    let signature = STANDARD
        .decode(signature.trim())
        .map_err(|e| malformed(format!("{SIGNATURE_ANNOTATION} is not base64: {e}")))?;
    let payload = store
        .read_blob(layer, MAX_SIGNATURE_BLOB)
        .map_err(unreadable)?;
    if !keys.iter().any(|k| k.verify(&payload, &signature)) {
        return Err(Rejection::BadSignature);
    }
    let signed: Payload = serde_json::from_slice(&payload)
        .map_err(|e| malformed(format!("the payload is not a simple signing payload: {e}")))?;
    let critical = &signed.critical;
    if critical.image.docker_manifest_digest != image.as_str() {
        return Err(Rejection::WrongDigest {
            expected: image.clone(),
            found: critical.image.docker_manifest_digest.clone(),
        });
    }
    check_type(COSIGN_SIGNATURE_TYPE, &critical.kind)?;
    check_identity(options, Some(&critical.identity.docker_reference))?;
    check_annotations(options, signed.optional.as_ref())?;
    Ok(payload)
}

/// The checks of the image's bundle referrers whose predicate type (as
/// their annotation says) may be `predicate_type`.
fn check_bundles(
    store: &Layout,
    image: &Digest,
    keys: &[PublicKey],
    predicate_type: &str,
    options: &VerifyOptions,
) -> Result<Vec<Check>> {
    let referrers = store.referrers_of_type(image, &MediaType::from(BUNDLE_MEDIA_TYPE))?;
    Ok(referrers
        .iter()
        // The annotation only selects (attestations of other types are
        // not this caller's business); the signed statement decides.
        .filter(|r| {
            r.annotations
                .get(PREDICATE_TYPE_ANNOTATION)
                .is_none_or(|t| t == predicate_type)
        })
        .map(|referrer| Check {
            source: Source::Bundle {
                manifest: referrer.digest.clone(),
            },
            outcome: check_bundle(store, referrer, image, keys, predicate_type, options),
        })
        .collect())
}

/// One bundle referrer: its one layer, the bundle, the DSSE signature,
/// then the statement.
fn check_bundle(
    store: &Layout,
    referrer: &Descriptor,
    image: &Digest,
    keys: &[PublicKey],
    predicate_type: &str,
    options: &VerifyOptions,
) -> std::result::Result<Vec<u8>, Rejection> {
    let manifest = store.read_manifest(referrer).map_err(unreadable)?;
    let [layer] = manifest.layers.as_slice() else {
        return Err(malformed(format!(
            "{} layers, expected one holding the bundle",
            manifest.layers.len()
        )));
    };
    let bytes = store
        .read_blob(layer, MAX_SIGNATURE_BLOB)
        .map_err(unreadable)?;
    let envelope = Bundle::parse_envelope(&bytes).map_err(malformed)?;
    let signed = envelope.signed_bytes();
    if !envelope
        .signatures
        .iter()
        .any(|s| keys.iter().any(|k| k.verify(&signed, &s.sig)))
    {
        return Err(Rejection::BadSignature);
    }
    check_type(IN_TOTO_PAYLOAD_TYPE, &envelope.payload_type)?;
    let statement: Statement = serde_json::from_slice(&envelope.payload)
        .map_err(|e| malformed(format!("the DSSE payload is not an in-toto statement: {e}")))?;
    if !statement.is_known_type() {
        return Err(malformed(format!(
            "the statement's _type is {:?}, not an in-toto Statement",
            statement.kind
        )));
    }
    let Some(subject) = statement.subject_of(image) else {
        return Err(Rejection::WrongDigest {
            expected: image.clone(),
            found: statement.subject_digests(),
        });
    };
    check_type(predicate_type, &statement.predicate_type)?;
    check_identity(options, subject.name.as_ref())?;
    check_annotations(options, Some(&subject.annotations))?;
    Ok(envelope.payload)
}

fn check_type(expected: &str, found: &str) -> std::result::Result<(), Rejection> {
    if expected == found {
        return Ok(());
    }
    Err(Rejection::WrongType {
        expected: expected.to_owned(),
        found: found.to_owned(),
    })
}

fn check_identity(
    options: &VerifyOptions,
    found: Option<&String>,
) -> std::result::Result<(), Rejection> {
    match &options.identity {
        Some(expected) if Some(expected) != found => Err(Rejection::WrongIdentity {
            expected: expected.clone(),
            found: found.cloned().unwrap_or_default(),
        }),
        _ => Ok(()),
    }
}

/// Each annotation required against the signed ones. A signed value that
/// is not a string is compared as its JSON text.
fn check_annotations(
    options: &VerifyOptions,
    signed: Option<&BTreeMap<String, serde_json::Value>>,
) -> std::result::Result<(), Rejection> {
    for (key, expected) in &options.annotations {
        let found = signed.and_then(|s| s.get(key)).map(|v| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        });
        if found.as_ref() != Some(expected) {
            return Err(Rejection::WrongAnnotation {
                key: key.clone(),
                expected: expected.clone(),
                found,
            });
        }
    }
    Ok(())
}

fn unreadable(e: ocikit_layout::Error) -> Rejection {
    Rejection::Unreadable {
        reason: e.to_string(),
    }
}

fn malformed(reason: String) -> Rejection {
    Rejection::Malformed { reason }
}
