#![doc = include_str!("../README.md")]
//!
//! # Security
//!
//! - Private keys are never written unencrypted by this crate:
//!   [`PrivateKey::to_encrypted_pem`] is the only way out, and key bytes
//!   and [`Password`]s are zeroed when dropped. Copies made on the way in
//!   are not: a key file's text while it is read and decoded, and a
//!   password in the buffer of the stream it was read from.
//! - A crafted encrypted key file cannot make scrypt take more than
//!   [`MAX_SCRYPT_MEMORY`] or do more than [`MAX_SCRYPT_WORK`]; key files
//!   over 64 KiB are not read.
//! - A signature is checked before anything it signs is believed: the
//!   payload is parsed only after its signature verified with a key the
//!   caller gave, and it must name the image's manifest digest.
//! - Signature payloads and bundles are read verified against their
//!   digests and bounded by [`MAX_SIGNATURE_BLOB`]; a signature manifest
//!   with more than [`MAX_SIGNATURE_LAYERS`] layers is refused.
//!
//! # Limitations
//!
//! - Offline and key-based only: no keyless signing, no Rekor or Fulcio.
//!   Certificates, transparency log entries and timestamps in bundles made
//!   by other signers are not checked.
//! - ECDSA P-256 with SHA-256 only (cosign's default).

mod bundle;
mod encrypted;
mod error;
mod key;
mod payload;
#[cfg(feature = "remote")]
mod remote;
mod sign;
mod statement;
mod verify;

pub use bundle::{BUNDLE_MEDIA_TYPE, CONTENT_ANNOTATION, PREDICATE_TYPE_ANNOTATION};
pub use encrypted::{MAX_SCRYPT_MEMORY, MAX_SCRYPT_WORK};
pub use error::{Error, Result};
pub use key::{PASSWORD_VARIABLE, Password, PrivateKey, PublicKey};
pub use payload::{COSIGN_SIGNATURE_TYPE, SIGNATURE_ANNOTATION, SIMPLE_SIGNING};
#[cfg(feature = "remote")]
pub use remote::{
    attest_remote, pull_verified, require_signature, sign_remote, verify_attestation_remote,
    verify_remote,
};
pub use sign::{
    Attestation, Format, MAX_SIGNATURE_LAYERS, SignOptions, Signed, attest, sign, signature_tag,
};
pub use statement::{COSIGN_SIGN_PREDICATE, IN_TOTO_PAYLOAD_TYPE, STATEMENT_V1};
pub use verify::{
    Check, MAX_SIGNATURE_BLOB, Rejection, Source, Verification, VerifyOptions, verify,
    verify_attestation, verify_attestation_digest, verify_digest,
};
