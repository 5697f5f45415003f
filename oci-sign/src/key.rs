//! Keys: ECDSA over P-256 with SHA-256, cosign's default (and only
//! offline) algorithm. Public keys are SubjectPublicKeyInfo PEM (`PUBLIC
//! KEY`, RFC 5280 section 4.1.2.7, as `cosign public-key` writes them);
//! private keys are read as cosign's encrypted files (src/encrypted.rs),
//! PKCS#8 (`PRIVATE KEY`, RFC 5958) or SEC1 (`EC PRIVATE KEY`, RFC 5915),
//! and written only encrypted. Signatures are ASN.1 DER (RFC 3279 section
//! 2.2.3), the form cosign and sigstore put in base64.

use std::fmt;
use std::io::{BufRead, Read};
use std::path::Path;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use p256::ecdsa::signature::{Signer as _, Verifier as _};
use p256::ecdsa::{DerSignature, SigningKey, VerifyingKey};
use p256::elliptic_curve::Generate as _;
use p256::elliptic_curve::zeroize::Zeroizing;
use p256::pkcs8::der::pem;
use p256::pkcs8::{DecodePrivateKey as _, DecodePublicKey as _, EncodePublicKey as _, LineEnding};
use sha2::{Digest as _, Sha256};

use crate::encrypted;
use crate::{Error, Result};

/// The environment variable cosign reads a private key's password from,
/// and so does this crate's [`Password::from_env`].
pub const PASSWORD_VARIABLE: &str = "COSIGN_PASSWORD";

/// The longest key file read: a PEM P-256 key, encrypted or not, is under
/// 1 KiB; the bound keeps a mistaken path (a disk image) from being read
/// whole.
const KEY_FILE_LIMIT: u64 = 64 * 1024;

/// The longest password read from a stream.
const PASSWORD_LIMIT: u64 = 64 * 1024;

/// A P-256 public key: what verifies signatures (`cosign.pub`).
#[derive(Clone, PartialEq, Eq)]
pub struct PublicKey {
    key: VerifyingKey,
}

impl PublicKey {
    /// Parses a SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`) of
    /// a P-256 key. Text around the PEM block is ignored.
    ///
    /// # Errors
    ///
    /// [`Error::Key`] when there is no such block or it holds another kind
    /// of key (RSA, Ed25519, another curve).
    pub fn from_pem(text: &str) -> Result<PublicKey> {
        PublicKey::parse(text, "the public key")
    }

    /// Reads a public key file ([`PublicKey::from_pem`]).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the file cannot be read; as
    /// [`PublicKey::from_pem`], naming the file.
    pub fn read(path: impl AsRef<Path>) -> Result<PublicKey> {
        let path = path.as_ref();
        let text = read_key_file(path)?;
        PublicKey::parse(&text, &path.display().to_string())
    }

    fn parse(text: &str, what: &str) -> Result<PublicKey> {
        let (label, der) = decode_pem(text, what)?;
        if label != "PUBLIC KEY" {
            return Err(Error::key(
                what,
                format!("a {label:?} PEM block, expected a \"PUBLIC KEY\" (SubjectPublicKeyInfo)"),
            ));
        }
        let key = VerifyingKey::from_public_key_der(&der)
            .map_err(|e| Error::key(what, format!("not a P-256 (ECDSA) public key: {e}")))?;
        Ok(PublicKey { key })
    }

    /// The key as SubjectPublicKeyInfo PEM, lines of 64 characters ending
    /// in `\n`, as cosign writes `cosign.pub`.
    pub fn to_pem(&self) -> String {
        // Encoding a valid point cannot fail.
        self.key
            .to_public_key_pem(LineEnding::LF)
            .unwrap_or_default()
    }

    /// The DER of the key's SubjectPublicKeyInfo.
    pub fn to_der(&self) -> Vec<u8> {
        self.key
            .to_public_key_der()
            .map(|d| d.into_vec())
            .unwrap_or_default()
    }

    /// The key's hint in a sigstore bundle (`verificationMaterial.publicKey
    /// .hint`) and its DSSE `keyid`: the base64 of the SHA-256 of the
    /// SubjectPublicKeyInfo DER, as sigstore's clients compute it. It only
    /// helps a verifier pick a key; nothing is trusted because of it.
    pub fn hint(&self) -> String {
        STANDARD.encode(Sha256::digest(self.to_der()))
    }

    /// Whether `signature` (ASN.1 DER) is this key's ECDSA signature over
    /// the SHA-256 of `message`. A signature that does not parse as DER is
    /// not.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        DerSignature::try_from(signature).is_ok_and(|s| self.key.verify(message, &s).is_ok())
    }
}

impl FromStr for PublicKey {
    type Err = Error;

    fn from_str(text: &str) -> Result<PublicKey> {
        PublicKey::from_pem(text)
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.hint())
    }
}

/// A P-256 private key: what signs. Its secret is zeroed when it is
/// dropped, and it is never written out unencrypted
/// ([`PrivateKey::to_encrypted_pem`]).
#[derive(Clone)]
pub struct PrivateKey {
    key: SigningKey,
}

impl PrivateKey {
    /// A new key from the operating system's random number generator.
    ///
    /// # Errors
    ///
    /// [`Error::Random`] when the generator fails.
    pub fn generate() -> Result<PrivateKey> {
        let key = SigningKey::try_generate().map_err(|e| Error::Random {
            reason: e.to_string(),
        })?;
        Ok(PrivateKey { key })
    }

    /// Parses a private key: cosign's encrypted file (`ENCRYPTED SIGSTORE
    /// PRIVATE KEY` or `ENCRYPTED COSIGN PRIVATE KEY`), whose password
    /// `password` is asked for, or an unencrypted PKCS#8 (`PRIVATE KEY`) or
    /// SEC1 (`EC PRIVATE KEY`) P-256 key, for which it is not called.
    ///
    /// # Errors
    ///
    /// [`Error::Key`] for anything else or a damaged file;
    /// [`Error::Password`] when `password` fails; [`Error::WrongPassword`].
    pub fn from_pem(
        text: &str,
        password: impl FnOnce() -> std::io::Result<Password>,
    ) -> Result<PrivateKey> {
        PrivateKey::parse(text, "the private key", password)
    }

    /// Reads a private key file ([`PrivateKey::from_pem`]).
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when the file cannot be read; as
    /// [`PrivateKey::from_pem`], naming the file.
    pub fn read(
        path: impl AsRef<Path>,
        password: impl FnOnce() -> std::io::Result<Password>,
    ) -> Result<PrivateKey> {
        let path = path.as_ref();
        let text = Zeroizing::new(read_key_file(path)?);
        PrivateKey::parse(&text, &path.display().to_string(), password)
    }

    fn parse(
        text: &str,
        what: &str,
        password: impl FnOnce() -> std::io::Result<Password>,
    ) -> Result<PrivateKey> {
        let (label, der) = decode_pem(text, what)?;
        let not_p256 = |e: &dyn fmt::Display| {
            Error::key(what, format!("not a P-256 (ECDSA) private key: {e}"))
        };
        let key = match label.as_str() {
            encrypted::LABEL | encrypted::LEGACY_LABEL => {
                let password = password().map_err(|source| Error::Password {
                    what: what.to_owned(),
                    source,
                })?;
                let der = encrypted::open(&der, password.as_bytes(), what)?;
                SigningKey::from_pkcs8_der(&der).map_err(|e| not_p256(&e))?
            }
            "PRIVATE KEY" => SigningKey::from_pkcs8_der(&der).map_err(|e| not_p256(&e))?,
            "EC PRIVATE KEY" => p256::SecretKey::from_sec1_der(&der)
                .map(SigningKey::from)
                .map_err(|e| not_p256(&e))?,
            other => {
                return Err(Error::key(
                    what,
                    format!(
                        "a {other:?} PEM block, expected \"{}\" (as `oci keygen` and cosign write), \"PRIVATE KEY\" or \"EC PRIVATE KEY\"",
                        encrypted::LABEL
                    ),
                ));
            }
        };
        Ok(PrivateKey { key })
    }

    /// The public half.
    pub fn public_key(&self) -> PublicKey {
        PublicKey {
            key: *self.key.verifying_key(),
        }
    }

    /// The ECDSA signature (ASN.1 DER) over the SHA-256 of `message`. The
    /// nonce is derived from the key and the message (RFC 6979), so the
    /// same message signed twice gives the same bytes.
    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        let signature: DerSignature = self.key.sign(message);
        signature.as_bytes().to_vec()
    }

    /// The key encrypted with `password` as cosign's `generate-key-pair`
    /// writes it (`ENCRYPTED SIGSTORE PRIVATE KEY`; src/encrypted.rs), which
    /// cosign and this crate read back.
    ///
    /// # Errors
    ///
    /// [`Error::Random`] when no salt or nonce can be drawn.
    pub fn to_encrypted_pem(&self, password: &Password) -> Result<String> {
        let der = p256::pkcs8::EncodePrivateKey::to_pkcs8_der(&self.key)
            .map_err(|e| Error::key("the private key", e.to_string()))?;
        let json = encrypted::seal(der.as_bytes(), password.as_bytes())?;
        pem::encode_string(encrypted::LABEL, LineEnding::LF, &json)
            .map_err(|e| Error::key("the private key", e.to_string()))
    }
}

impl fmt::Debug for PrivateKey {
    /// Names the key by its public half's hint; the secret is not shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PrivateKey({})", self.public_key().hint())
    }
}

/// A private key's password, zeroed when dropped.
#[derive(Clone, Default)]
pub struct Password(Zeroizing<Vec<u8>>);

impl Password {
    /// A password of these bytes.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Password {
        Password(Zeroizing::new(bytes.into()))
    }

    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The password in [`PASSWORD_VARIABLE`] (`COSIGN_PASSWORD`), as cosign
    /// reads it; `None` when it is not set. An empty value is an empty
    /// password.
    ///
    /// # Security
    ///
    /// The variable stays in the process's environment (and its children's)
    /// after it is read: removing it is not possible without `unsafe`.
    pub fn from_env() -> Option<Password> {
        std::env::var_os(PASSWORD_VARIABLE).map(|v| Password::new(v.into_encoded_bytes()))
    }

    /// The first line of `reader` (without its `\n` or `\r\n`), at most 64
    /// KiB: a password piped on standard input.
    ///
    /// # Errors
    ///
    /// The reader's errors.
    pub fn read_line(reader: impl Read) -> std::io::Result<Password> {
        let mut line = Zeroizing::new(Vec::new());
        std::io::BufReader::new(reader.take(PASSWORD_LIMIT)).read_until(b'\n', &mut line)?;
        if line.last() == Some(&b'\n') {
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
        }
        Ok(Password(line))
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(..)")
    }
}

impl From<String> for Password {
    fn from(text: String) -> Password {
        Password::new(text.into_bytes())
    }
}

impl From<&str> for Password {
    fn from(text: &str) -> Password {
        Password::new(text.as_bytes())
    }
}

/// The label and the decoded body of the first PEM block of `text` (RFC
/// 7468): what comes before its `-----BEGIN` line is skipped, as Go's
/// `pem.Decode` does, and lines of any length are read. A block with
/// headers (OpenSSL's legacy `Proc-Type` encryption) is refused.
fn decode_pem(text: &str, what: &str) -> Result<(String, Zeroizing<Vec<u8>>)> {
    let mut lines = text
        .lines()
        .map(str::trim)
        .skip_while(|l| !l.starts_with("-----BEGIN "));
    let begin = lines
        .next()
        .ok_or_else(|| Error::key(what, "no PEM block (-----BEGIN ...-----) in it"))?;
    let label = begin
        .strip_prefix("-----BEGIN ")
        .and_then(|l| l.strip_suffix("-----"))
        .ok_or_else(|| Error::key(what, format!("{begin:?} is not a PEM -----BEGIN line")))?;
    let end = format!("-----END {label}-----");
    let mut body = Zeroizing::new(String::new());
    for line in lines.by_ref() {
        if line == end {
            let der = STANDARD.decode(body.as_bytes()).map_err(|e| {
                Error::key(what, format!("the {label:?} PEM block is not base64: {e}"))
            })?;
            return Ok((label.to_owned(), Zeroizing::new(der)));
        }
        if line.contains(':') {
            return Err(Error::key(
                what,
                format!(
                    "the {label:?} PEM block has headers ({line:?}): an encryption this crate does not read"
                ),
            ));
        }
        body.push_str(line);
    }
    Err(Error::key(
        what,
        format!("the {label:?} PEM block has no {end} line"),
    ))
}

/// Reads a key file of at most [`KEY_FILE_LIMIT`] bytes as text.
fn read_key_file(path: &Path) -> Result<String> {
    let file = std::fs::File::open(path).map_err(Error::io("read", path))?;
    let mut text = String::new();
    file.take(KEY_FILE_LIMIT + 1)
        .read_to_string(&mut text)
        .map_err(Error::io("read", path))?;
    if text.len() as u64 > KEY_FILE_LIMIT {
        return Err(Error::key(
            &path.display().to_string(),
            format!("larger than {KEY_FILE_LIMIT} bytes: not a key file"),
        ));
    }
    Ok(text)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_with_its_key_only() {
        let key = PrivateKey::generate().unwrap();
        let other = PrivateKey::generate().unwrap();
        let signature = key.sign(b"payload");
        assert!(key.public_key().verify(b"payload", &signature));
        assert!(!key.public_key().verify(b"payloaD", &signature));
        assert!(!other.public_key().verify(b"payload", &signature));
        assert!(!key.public_key().verify(b"payload", b"not der"));
        // RFC 6979: the same message, the same signature.
        assert_eq!(key.sign(b"payload"), signature);
    }

    #[test]
    fn public_keys_round_trip_through_pem() {
        let key = PrivateKey::generate().unwrap().public_key();
        let pem = key.to_pem();
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"), "{pem}");
        assert!(pem.ends_with("-----END PUBLIC KEY-----\n"), "{pem}");
        assert_eq!(PublicKey::from_pem(&pem).unwrap(), key);
        assert_eq!(
            format!("text before\n{pem}text after")
                .parse::<PublicKey>()
                .unwrap(),
            key
        );
        assert_eq!(
            STANDARD.decode(key.hint()).unwrap(),
            Sha256::digest(key.to_der()).to_vec()
        );
    }

    #[test]
    fn other_pem_blocks_are_refused_by_name() {
        let err = PublicKey::from_pem("nothing").unwrap_err().to_string();
        assert_eq!(
            err,
            "the public key: no PEM block (-----BEGIN ...-----) in it"
        );
        let private = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
        let err = PublicKey::from_pem(private).unwrap_err().to_string();
        assert!(err.contains("a \"PRIVATE KEY\" PEM block"), "{err}");
        let certificate = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        let err = PrivateKey::from_pem(certificate, || Ok(Password::default()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("a \"CERTIFICATE\" PEM block"), "{err}");
    }

    #[test]
    fn passwords_are_read_up_to_the_line_end() {
        let p = Password::read_line(&b"secret\r\nmore"[..]).unwrap();
        assert_eq!(p.as_bytes(), b"secret");
        let p = Password::read_line(&b"no newline"[..]).unwrap();
        assert_eq!(p.as_bytes(), b"no newline");
        assert!(Password::read_line(&b""[..]).unwrap().is_empty());
        assert_eq!(format!("{p:?}"), "Password(..)");
    }
}
