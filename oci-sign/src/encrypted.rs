//! cosign's encrypted private key file: the PEM body is a JSON object
//! (the `encrypted` format of go-securesystemslib, which cosign uses):
//!
//! ```json
//! {"kdf":{"name":"scrypt","params":{"N":32768,"r":8,"p":1},"salt":"<base64>"},
//!  "cipher":{"name":"nacl/secretbox","nonce":"<base64>"},
//!  "ciphertext":"<base64>"}
//! ```
//!
//! The key is scrypt (RFC 7914) of the password and salt, 32 bytes; the
//! ciphertext is NaCl's secretbox (XSalsa20-Poly1305, the tag first) of
//! the PKCS#8 DER of the private key under that key and the nonce.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use crypto_secretbox::aead::Aead as _;
use crypto_secretbox::{KeyInit as _, XSalsa20Poly1305};
use p256::elliptic_curve::Generate as _;
use p256::elliptic_curve::zeroize::Zeroizing;
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// The PEM label cosign writes since it became part of sigstore.
pub(crate) const LABEL: &str = "ENCRYPTED SIGSTORE PRIVATE KEY";
/// The label of older cosign key files, still read.
pub(crate) const LEGACY_LABEL: &str = "ENCRYPTED COSIGN PRIVATE KEY";

/// scrypt's cost parameters for the files written: cosign's (N = 2^15,
/// r = 8, p = 1: 32 MiB of memory, a fraction of a second).
const LOG_N: u8 = 15;
const R: u32 = 8;
const P: u32 = 1;

/// The most memory scrypt may use to open a file: eight times what
/// cosign's parameters take, so that a crafted file cannot ask for
/// gigabytes. scrypt holds 128 * r * (N + p + 2) bytes: N blocks for its
/// table, p for its lanes, two to mix in.
pub const MAX_SCRYPT_MEMORY: u64 = 256 << 20;
/// The most work scrypt may do to open a file, as N * r * p: sixteen times
/// cosign's (2^15 * 8 * 1), about a second here, so that a crafted file
/// within the memory bound cannot ask for minutes.
pub const MAX_SCRYPT_WORK: u64 = 1 << 22;
/// The largest scrypt parallelism accepted when opening a file (time grows
/// with it; cosign uses 1).
const MAX_P: u32 = 16;

const SALT_LEN: usize = 32;
const NONCE_LEN: usize = 24;
const KEY_LEN: usize = 32;

#[derive(Serialize, Deserialize)]
struct Envelope {
    kdf: Kdf,
    cipher: Cipher,
    #[serde(with = "b64")]
    ciphertext: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct Kdf {
    name: String,
    params: ScryptParams,
    #[serde(with = "b64")]
    salt: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct ScryptParams {
    #[serde(rename = "N")]
    n: u64,
    r: u32,
    p: u32,
}

#[derive(Serialize, Deserialize)]
struct Cipher {
    name: String,
    #[serde(with = "b64")]
    nonce: Vec<u8>,
}

/// Encrypts `plaintext` (a PKCS#8 DER) with `password`: the JSON body of
/// the PEM file, with a fresh random salt and nonce.
pub(crate) fn seal(plaintext: &[u8], password: &[u8]) -> Result<Vec<u8>> {
    let random = |e: &dyn std::fmt::Display| Error::Random {
        reason: e.to_string(),
    };
    let salt = <[u8; SALT_LEN]>::try_generate().map_err(|e| random(&e))?;
    let nonce = <[u8; NONCE_LEN]>::try_generate().map_err(|e| random(&e))?;
    let params = ScryptParams {
        n: 1 << LOG_N,
        r: R,
        p: P,
    };
    let key = derive(password, &salt, &params, "the private key")?;
    let ciphertext = XSalsa20Poly1305::new(key.as_slice().into())
        .encrypt((&nonce).into(), plaintext)
        .map_err(|_| Error::key("the private key", "encryption failed"))?;
    let envelope = Envelope {
        kdf: Kdf {
            name: "scrypt".into(),
            params,
            salt: salt.to_vec(),
        },
        cipher: Cipher {
            name: "nacl/secretbox".into(),
            nonce: nonce.to_vec(),
        },
        ciphertext,
    };
    serde_json::to_vec(&envelope).map_err(|e| Error::key("the private key", e.to_string()))
}

/// Decrypts the JSON body of an encrypted key file (`what` names it in
/// errors): the PKCS#8 DER, zeroed when dropped.
pub(crate) fn open(json: &[u8], password: &[u8], what: &str) -> Result<Zeroizing<Vec<u8>>> {
    let envelope: Envelope = serde_json::from_slice(json).map_err(|e| {
        Error::key(
            what,
            format!("the encrypted key is not the JSON cosign writes: {e}"),
        )
    })?;
    if envelope.kdf.name != "scrypt" {
        return Err(Error::key(
            what,
            format!(
                "kdf.name {:?} is not supported (only \"scrypt\")",
                envelope.kdf.name
            ),
        ));
    }
    if envelope.cipher.name != "nacl/secretbox" {
        return Err(Error::key(
            what,
            format!(
                "cipher.name {:?} is not supported (only \"nacl/secretbox\")",
                envelope.cipher.name
            ),
        ));
    }
    let nonce: [u8; NONCE_LEN] = envelope.cipher.nonce.as_slice().try_into().map_err(|_| {
        Error::key(
            what,
            format!(
                "cipher.nonce has {} bytes, secretbox takes {NONCE_LEN}",
                envelope.cipher.nonce.len()
            ),
        )
    })?;
    let key = derive(password, &envelope.kdf.salt, &envelope.kdf.params, what)?;
    let plaintext = XSalsa20Poly1305::new(key.as_slice().into())
        .decrypt((&nonce).into(), envelope.ciphertext.as_slice())
        .map_err(|_| Error::WrongPassword {
            what: what.to_owned(),
        })?;
    Ok(Zeroizing::new(plaintext))
}

/// scrypt of the password, within [`MAX_SCRYPT_MEMORY`],
/// [`MAX_SCRYPT_WORK`] and [`MAX_P`].
fn derive(
    password: &[u8],
    salt: &[u8],
    params: &ScryptParams,
    what: &str,
) -> Result<Zeroizing<[u8; KEY_LEN]>> {
    let ScryptParams { n, r, p } = *params;
    let bad = |reason: String| Error::key(what, format!("kdf.params: {reason}"));
    if n < 2 || !n.is_power_of_two() {
        return Err(bad(format!("N {n} is not a power of two above 1")));
    }
    if r == 0 {
        return Err(bad("r is 0".to_owned()));
    }
    if p == 0 || p > MAX_P {
        return Err(bad(format!("p {p} is not between 1 and {MAX_P}")));
    }
    let memory = 128u64
        .saturating_mul(u64::from(r))
        .saturating_mul(n.saturating_add(u64::from(p)).saturating_add(2));
    if memory > MAX_SCRYPT_MEMORY {
        return Err(bad(format!(
            "N {n}, r {r} and p {p} need {memory} bytes of memory, more than the {MAX_SCRYPT_MEMORY} allowed"
        )));
    }
    let work = n.saturating_mul(u64::from(r)).saturating_mul(u64::from(p));
    if work > MAX_SCRYPT_WORK {
        return Err(bad(format!(
            "N {n}, r {r} and p {p} ask for N * r * p = {work}, more than the {MAX_SCRYPT_WORK} allowed"
        )));
    }
    // n is a power of two below 2^64: its logarithm fits a u8.
    let log_n = u8::try_from(n.trailing_zeros()).unwrap_or(u8::MAX);
    let params = scrypt::Params::new(log_n, r, p).map_err(|e| bad(e.to_string()))?;
    let mut key = Zeroizing::new([0u8; KEY_LEN]);
    scrypt::scrypt(password, salt, &params, key.as_mut_slice()).map_err(|e| bad(e.to_string()))?;
    Ok(key)
}

/// `Vec<u8>` as standard base64 with padding, as Go's `encoding/json`
/// writes `[]byte`.
mod b64 {
    use super::*;

    pub fn serialize<S: serde::Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes))
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD.decode(text).map_err(serde::de::Error::custom)
    }
}
