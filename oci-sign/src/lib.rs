//! Signatures and attestations of OCI images as cosign makes them, offline
//! and with keys only: ECDSA P-256 keys (cosign's encrypted key files
//! included), the `sha256-<hex>.sig` tag form, and sigstore bundles as
//! image-spec 1.1 referrers.

mod encrypted;
mod error;
mod key;

pub use encrypted::MAX_SCRYPT_MEMORY;
pub use error::{Error, Result};
pub use key::{PASSWORD_VARIABLE, Password, PrivateKey, PublicKey};
