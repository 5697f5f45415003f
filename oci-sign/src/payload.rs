//! The payload of cosign's tag form: a "simple signing" document
//! (containers/image's signature format, as cosign's payload package
//! writes it), stored as the blob of one layer of the signature manifest
//! and signed as those exact bytes:
//!
//! ```json
//! {"critical":{"identity":{"docker-reference":"REPO"},
//!              "image":{"docker-manifest-digest":"sha256:..."},
//!              "type":"cosign container image signature"},
//!  "optional":null}
//! ```
//!
//! `optional` holds the annotations of `cosign sign -a KEY=VALUE`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The media type of a layer holding a simple signing payload.
pub const SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";

/// `critical.type` of a cosign image signature.
pub const COSIGN_SIGNATURE_TYPE: &str = "cosign container image signature";

/// The layer annotation holding the base64 of the signature (ASN.1 DER
/// ECDSA over the SHA-256 of the payload blob).
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";

/// A simple signing payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Payload {
    pub critical: Critical,
    /// Annotations; `null` when there are none, as cosign writes it.
    pub optional: Option<BTreeMap<String, serde_json::Value>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Critical {
    pub identity: Identity,
    pub image: Image,
    #[serde(rename = "type")]
    pub kind: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Identity {
    #[serde(rename = "docker-reference")]
    pub docker_reference: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Image {
    #[serde(rename = "docker-manifest-digest")]
    pub docker_manifest_digest: String,
}

impl Payload {
    /// The payload signing the manifest `digest` of the image named
    /// `reference`, with `annotations` in `optional`.
    pub fn new(reference: &str, digest: &str, annotations: &BTreeMap<String, String>) -> Payload {
        let optional = (!annotations.is_empty()).then(|| {
            annotations
                .iter()
                .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                .collect()
        });
        Payload {
            critical: Critical {
                identity: Identity {
                    docker_reference: reference.to_owned(),
                },
                image: Image {
                    docker_manifest_digest: digest.to_owned(),
                },
                kind: COSIGN_SIGNATURE_TYPE.to_owned(),
            },
            optional,
        }
    }

    /// The bytes to store and sign: compact JSON, members in cosign's
    /// order, so that the same payload is the same blob every time.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Strings and maps of strings always serialise.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_payload_is_written_as_cosign_writes_it() {
        let digest = format!("sha256:{}", "a".repeat(64));
        let payload = Payload::new("registry.example/app", &digest, &BTreeMap::new());
        assert_eq!(
            String::from_utf8(payload.to_bytes()).unwrap(),
            format!(
                r#"{{"critical":{{"identity":{{"docker-reference":"registry.example/app"}},"image":{{"docker-manifest-digest":"{digest}"}},"type":"cosign container image signature"}},"optional":null}}"#
            )
        );
        let annotations = BTreeMap::from([("env".to_owned(), "prod".to_owned())]);
        let payload = Payload::new("r/app", &digest, &annotations);
        let text = String::from_utf8(payload.to_bytes()).unwrap();
        assert!(text.ends_with(r#""optional":{"env":"prod"}}"#), "{text}");
        assert_eq!(
            serde_json::from_slice::<Payload>(text.as_bytes()).unwrap(),
            payload
        );
    }
}
