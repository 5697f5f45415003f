//! The sigstore bundle (protobuf-specs `dev.sigstore.bundle.v1.Bundle`,
//! media type version 0.3) in its JSON form, as far as an offline,
//! key-based signature needs it: the DSSE envelope, and the public key's
//! hint as verification material. Transparency-log entries and timestamps
//! that other signers add are kept out of the check (this crate verifies
//! offline), and certificates (keyless signing) are not verified.
//!
//! The bundle is stored as the one layer of an image-spec 1.1 referrer of
//! the image (cosign's specs/BUNDLE_SPEC.md, "Storage in OCI registries").

use serde::{Deserialize, Serialize};

use crate::statement::Envelope;

/// The media type of a sigstore bundle v0.3: the referrer manifest's
/// `artifactType` and its layer's media type.
pub const BUNDLE_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
/// The older spelling of the same version, accepted when reading.
const BUNDLE_MEDIA_TYPE_LEGACY: &str = "application/vnd.dev.sigstore.bundle+json;version=0.3";

/// The referrer manifest annotation saying what the bundle holds:
/// `dsse-envelope` (the only kind this crate writes) or `message-signature`.
pub const CONTENT_ANNOTATION: &str = "dev.sigstore.bundle.content";
/// The referrer manifest annotation giving the predicate type of the
/// statement inside, so that a reader can pick bundles without opening
/// them (a hint: the verifier reads the signed statement).
pub const PREDICATE_TYPE_ANNOTATION: &str = "dev.sigstore.bundle.predicateType";

/// A bundle.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Bundle {
    #[serde(rename = "mediaType")]
    pub media_type: String,
    #[serde(rename = "verificationMaterial")]
    pub verification_material: VerificationMaterial,
    #[serde(
        rename = "dsseEnvelope",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub dsse_envelope: Option<Envelope>,
    /// Present in a `message-signature` bundle, which this crate does not
    /// verify (an image signature made with cosign 3 is a DSSE bundle).
    #[serde(
        rename = "messageSignature",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub message_signature: Option<serde_json::Value>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct VerificationMaterial {
    #[serde(rename = "publicKey", default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<PublicKeyIdentifier>,
    /// A keyless signer's certificate (not verified here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<serde_json::Value>,
    /// A keyless signer's certificate chain (not verified here).
    #[serde(
        rename = "x509CertificateChain",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub x509_certificate_chain: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct PublicKeyIdentifier {
    #[serde(default)]
    pub hint: String,
}

impl Bundle {
    /// A v0.3 bundle of `envelope`, naming the key by `hint`.
    pub fn new(envelope: Envelope, hint: String) -> Bundle {
        Bundle {
            media_type: BUNDLE_MEDIA_TYPE.to_owned(),
            verification_material: VerificationMaterial {
                public_key: Some(PublicKeyIdentifier { hint }),
                ..Default::default()
            },
            dsse_envelope: Some(envelope),
            message_signature: None,
        }
    }

    /// Parses a bundle, checks what the verification relies on (version
    /// 0.3 and a DSSE envelope with exactly one signature) and returns its
    /// envelope.
    pub fn parse_envelope(bytes: &[u8]) -> Result<Envelope, String> {
        let bundle: Bundle = serde_json::from_slice(bytes)
            .map_err(|e| format!("the bundle is not a sigstore bundle's JSON: {e}"))?;
        if bundle.media_type != BUNDLE_MEDIA_TYPE && bundle.media_type != BUNDLE_MEDIA_TYPE_LEGACY {
            return Err(format!(
                "the bundle's mediaType is {:?}; only version 0.3 ({BUNDLE_MEDIA_TYPE}) is read",
                bundle.media_type
            ));
        }
        let Some(envelope) = bundle.dsse_envelope else {
            return Err(if bundle.message_signature.is_some() {
                "the bundle holds a message signature, not a DSSE envelope around an in-toto statement".to_owned()
            } else {
                "the bundle holds no DSSE envelope".to_owned()
            });
        };
        if envelope.signatures.len() != 1 {
            return Err(format!(
                "the DSSE envelope has {} signatures; a sigstore bundle has exactly one",
                envelope.signatures.len()
            ));
        }
        Ok(envelope)
    }

    /// Compact JSON, members in the protobuf's field order.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Strings, bytes and JSON values always serialise.
        serde_json::to_vec(self).unwrap_or_default()
    }
}
