//! What a sigstore bundle of an image signs: an in-toto Statement
//! (in-toto attestation framework, spec/v1/statement.md) naming the image
//! by its manifest digest, wrapped in a DSSE envelope (DSSE protocol.md:
//! the signature is over the "pre-authentication encoding" of the payload
//! type and the payload).

use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ocikit_image::Digest;
use serde::{Deserialize, Serialize};

use crate::PrivateKey;

/// `_type` of an in-toto Statement v1.
pub const STATEMENT_V1: &str = "https://in-toto.io/Statement/v1";
/// `_type` of the older Statement v0.1 (what `cosign attest` writes); read,
/// never written.
const STATEMENT_V01: &str = "https://in-toto.io/Statement/v0.1";

/// The DSSE payload type of an in-toto Statement.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// The predicate type of an image signature in a bundle (what `cosign sign`
/// writes since cosign 3 with the bundle format); its predicate is `{}`.
pub const COSIGN_SIGN_PREDICATE: &str = "https://sigstore.dev/cosign/sign/v1";

/// An in-toto Statement.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Statement {
    #[serde(rename = "_type")]
    pub kind: String,
    pub subject: Vec<Subject>,
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    #[serde(default)]
    pub predicate: serde_json::Value,
}

/// A subject of a Statement (a ResourceDescriptor).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Subject {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default)]
    pub digest: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, serde_json::Value>,
}

impl Statement {
    /// A Statement about the image `digest` named `name` (left out when
    /// empty), with `annotations` on its subject.
    pub fn new(
        name: &str,
        digest: &Digest,
        annotations: &BTreeMap<String, String>,
        predicate_type: &str,
        predicate: serde_json::Value,
    ) -> Statement {
        Statement {
            kind: STATEMENT_V1.to_owned(),
            subject: vec![Subject {
                name: (!name.is_empty()).then(|| name.to_owned()),
                digest: BTreeMap::from([(
                    digest.algorithm().as_str().to_owned(),
                    digest.encoded().to_owned(),
                )]),
                annotations: annotations
                    .iter()
                    .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
                    .collect(),
            }],
            predicate_type: predicate_type.to_owned(),
            predicate,
        }
    }

    /// Whether `_type` is a Statement type this crate reads.
    pub fn is_known_type(&self) -> bool {
        self.kind == STATEMENT_V1 || self.kind == STATEMENT_V01
    }

    /// The subject whose digest is `digest`, if any.
    pub fn subject_of(&self, digest: &Digest) -> Option<&Subject> {
        self.subject.iter().find(|s| {
            s.digest
                .get(digest.algorithm().as_str())
                .map(String::as_str)
                == Some(digest.encoded())
        })
    }

    /// The digests the subjects name, as `alg:hex`, for a message.
    pub fn subject_digests(&self) -> String {
        let digests: Vec<String> = self
            .subject
            .iter()
            .flat_map(|s| s.digest.iter().map(|(alg, hex)| format!("{alg}:{hex}")))
            .collect();
        if digests.is_empty() {
            "no digest".to_owned()
        } else {
            digests.join(", ")
        }
    }

    /// Compact JSON.
    pub fn to_bytes(&self) -> Vec<u8> {
        // Strings, maps and JSON values always serialise.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// `{}`: the predicate of an image signature.
pub(crate) fn empty_predicate() -> serde_json::Value {
    serde_json::Value::Object(serde_json::Map::new())
}

/// A DSSE envelope with one signature, in the JSON form of sigstore's
/// protobuf (`payload` and `sig` in standard base64).
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Envelope {
    #[serde(with = "b64")]
    pub payload: Vec<u8>,
    #[serde(rename = "payloadType")]
    pub payload_type: String,
    pub signatures: Vec<Signature>,
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Signature {
    #[serde(with = "b64")]
    pub sig: Vec<u8>,
    #[serde(default)]
    pub keyid: String,
}

impl Envelope {
    /// `payload` of `payload_type` signed with `key`; the key id is the
    /// public key's hint.
    pub fn sign(payload: Vec<u8>, payload_type: &str, key: &PrivateKey) -> Envelope {
        let sig = key.sign(&pae(payload_type, &payload));
        Envelope {
            payload,
            payload_type: payload_type.to_owned(),
            signatures: vec![Signature {
                sig,
                keyid: key.public_key().hint(),
            }],
        }
    }

    /// What the signatures sign.
    pub fn signed_bytes(&self) -> Vec<u8> {
        pae(&self.payload_type, &self.payload)
    }
}

/// DSSE's pre-authentication encoding (protocol.md):
/// `"DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`, lengths in ASCII
/// decimal.
pub(crate) fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// `Vec<u8>` as standard base64 with padding (protobuf's JSON form of
/// `bytes`; unpadded and URL-safe input is accepted too, as protobuf's
/// JSON parsers do).
pub(crate) mod b64 {
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};

    use super::*;

    pub fn serialize<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD
            .decode(&text)
            .or_else(|_| STANDARD_NO_PAD.decode(&text))
            .or_else(|_| URL_SAFE.decode(&text))
            .or_else(|_| URL_SAFE_NO_PAD.decode(&text))
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn pae_is_the_dsse_encoding() {
        // The example of DSSE's protocol.md.
        assert_eq!(
            pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
        );
        assert_eq!(pae("", b""), b"DSSEv1 0  0 ");
    }

    #[test]
    fn a_statement_names_its_subject_by_digest() {
        let digest: Digest = format!("sha256:{}", "b".repeat(64)).parse().unwrap();
        let statement = Statement::new(
            "",
            &digest,
            &BTreeMap::new(),
            COSIGN_SIGN_PREDICATE,
            empty_predicate(),
        );
        assert_eq!(
            String::from_utf8(statement.to_bytes()).unwrap(),
            format!(
                r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"digest":{{"sha256":"{}"}}}}],"predicateType":"https://sigstore.dev/cosign/sign/v1","predicate":{{}}}}"#,
                "b".repeat(64)
            )
        );
        assert!(statement.subject_of(&digest).is_some());
        let other: Digest = format!("sha256:{}", "c".repeat(64)).parse().unwrap();
        assert!(statement.subject_of(&other).is_none());
    }
}
