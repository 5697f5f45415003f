//! Signatures and attestations of OCI images as cosign makes them, offline
//! and with keys only: ECDSA P-256 keys (cosign's encrypted key files
//! included), the `sha256-<hex>.sig` tag form, and sigstore bundles as
//! image-spec 1.1 referrers.

mod bundle;
mod encrypted;
mod error;
mod key;
mod payload;
mod sign;
mod statement;
mod verify;

pub use bundle::{BUNDLE_MEDIA_TYPE, CONTENT_ANNOTATION, PREDICATE_TYPE_ANNOTATION};
pub use encrypted::MAX_SCRYPT_MEMORY;
pub use error::{Error, Result};
pub use key::{PASSWORD_VARIABLE, Password, PrivateKey, PublicKey};
pub use payload::{COSIGN_SIGNATURE_TYPE, SIGNATURE_ANNOTATION, SIMPLE_SIGNING};
pub use sign::{
    Attestation, Format, MAX_SIGNATURE_LAYERS, SignOptions, Signed, attest, sign, signature_tag,
};
pub use statement::{COSIGN_SIGN_PREDICATE, IN_TOTO_PAYLOAD_TYPE, STATEMENT_V1};
pub use verify::{
    Check, MAX_SIGNATURE_BLOB, Rejection, Source, Verification, VerifyOptions, verify,
    verify_attestation,
};
