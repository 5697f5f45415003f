//! Digests: the content identifiers (`sha256:6c3c…`) that descriptors use to
//! name blobs, validated once when parsed and computed from bytes.
//! Implements image-spec descriptor.md, "Digests" and "Registered algorithms".

use crate::Error;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The algorithms this build can compute, for error messages: always
/// `sha256` and `sha512`, and `blake3` when the crate feature `blake3` is on.
///
/// This is the `supported` field of [`Error::UnsupportedAlgorithm`].
#[cfg(feature = "blake3")]
pub const SUPPORTED: &str = "sha256, sha512, blake3";

/// The algorithms this build can compute, for error messages: always
/// `sha256` and `sha512`, and `blake3` when the crate feature `blake3` is on.
///
/// This is the `supported` field of [`Error::UnsupportedAlgorithm`].
#[cfg(not(feature = "blake3"))]
pub const SUPPORTED: &str = "sha256, sha512";

/// The longest input quoted back in [`Error::InvalidDigest`], in characters.
const MAX_QUOTED_INPUT: usize = 200;

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// The _algorithm_ portion of a digest: which hash function, and how its
/// output is encoded.
///
/// The spec (descriptor.md, "Registered algorithms") defines three
/// identifiers, each with a fixed lowercase-hex encoding:
///
/// | identifier | hash                  | encoded portion | verification   |
/// |------------|-----------------------|-----------------|----------------|
/// | `sha256`   | SHA-256               | `[a-f0-9]{64}`  | MUST implement |
/// | `sha512`   | SHA-512               | `[a-f0-9]{128}` | MAY implement  |
/// | `blake3`   | BLAKE3, 256-bit output| `[a-f0-9]{64}`  | MAY implement  |
///
/// Any other identifier that matches the grammar
/// (`algorithm ::= component (separator component)*`, components
/// `[a-z0-9]+`, separators `[+._-]`) is valid but unregistered, such as
/// `multihash+base58`; it is kept as [`Algorithm::Other`]. Compliant
/// implementations SHOULD use `sha256`.
///
/// ```
/// use ocikit_image::Algorithm;
///
/// let alg: Algorithm = "sha512".parse()?;
/// assert_eq!(alg, Algorithm::Sha512);
/// assert_eq!(alg.encoded_len(), Some(128));
///
/// let other: Algorithm = "multihash+base58".parse()?;
/// assert!(!other.is_registered());
/// assert!("SHA256".parse::<Algorithm>().is_err());
/// # Ok::<(), ocikit_image::digest::DigestError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Algorithm {
    /// `sha256`: SHA-256, encoded as 64 lowercase hex characters. Every
    /// implementation MUST be able to verify it.
    Sha256,
    /// `sha512`: SHA-512, encoded as 128 lowercase hex characters.
    Sha512,
    /// `blake3`: BLAKE3 with a 256-bit output, encoded as 64 lowercase hex
    /// characters. Computed only with the crate feature `blake3`.
    Blake3,
    /// An identifier the spec does not register, such as `multihash+base58`
    /// or `sha256+b64u`. Digests using it are valid but cannot be verified.
    ///
    /// Values made by [`FromStr`] always hold a name that matches the
    /// grammar and is not one of the registered names.
    Other(String),
}

impl Algorithm {
    /// The identifier as it appears before the `:` of a digest, such as `sha256`.
    pub fn as_str(&self) -> &str {
        match self {
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
            Algorithm::Blake3 => "blake3",
            Algorithm::Other(name) => name,
        }
    }

    /// `true` for the identifiers registered by the spec: `sha256`,
    /// `sha512` and `blake3`. Their encoded portion MUST be lowercase hex of
    /// a fixed length.
    pub fn is_registered(&self) -> bool {
        !matches!(self, Algorithm::Other(_))
    }

    /// `true` when this build can compute (and so verify) digests of this
    /// algorithm: `sha256` and `sha512` always, `blake3` with the crate
    /// feature `blake3`. See [`SUPPORTED`].
    pub fn is_supported(&self) -> bool {
        is_supported_name(self.as_str())
    }

    /// The exact length of the encoded portion, in hex characters, for the
    /// registered algorithms (64 for `sha256` and `blake3`, 128 for
    /// `sha512`); `None` for unregistered ones, whose encoding the spec does
    /// not know.
    pub fn encoded_len(&self) -> Option<usize> {
        registered_encoded_len(self.as_str())
    }

    /// Maps an identifier already known to match the grammar.
    fn from_valid_name(name: &str) -> Algorithm {
        match name {
            "sha256" => Algorithm::Sha256,
            "sha512" => Algorithm::Sha512,
            "blake3" => Algorithm::Blake3,
            other => Algorithm::Other(other.to_owned()),
        }
    }

    /// The error for trying to compute or verify with this algorithm when
    /// this build cannot.
    pub(crate) fn unsupported(&self) -> Error {
        Error::UnsupportedAlgorithm {
            algorithm: self.as_str().to_owned(),
            supported: SUPPORTED,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = DigestError;

    /// Checks the algorithm grammar of descriptor.md only; any matching
    /// name is accepted, registered names map to their variants.
    fn from_str(s: &str) -> Result<Self, DigestError> {
        check_algorithm(s)?;
        Ok(Algorithm::from_valid_name(s))
    }
}

/// Why a string is not a valid digest. Each message is a sentence naming
/// what was found and what the spec expects; positions count characters from
/// the start of the algorithm or of the encoded portion, from 0.
///
/// Carried by [`Error::InvalidDigest`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DigestError {
    /// The string is empty.
    #[error("empty string: a digest is an algorithm, ':' and an encoded part")]
    Empty,

    /// There is no `:`; the grammar is `digest ::= algorithm ":" encoded`.
    #[error("missing ':' between algorithm and encoded part")]
    MissingColon,

    /// Nothing comes before the `:`.
    #[error("missing algorithm before ':'")]
    EmptyAlgorithm,

    /// A separator (`+`, `.`, `_`, `-`) starts or ends the algorithm, or two
    /// separators touch: `algorithm ::= algorithm-component
    /// (algorithm-separator algorithm-component)*` and every component is
    /// `[a-z0-9]+`.
    #[error(
        "empty algorithm component at position {position}: separators ('+', '.', '_', '-') must stand between lowercase letters or digits"
    )]
    EmptyAlgorithmComponent {
        /// Where in the algorithm a component was expected.
        position: usize,
    },

    /// The algorithm holds a character outside `[a-z0-9+._-]`.
    #[error(
        "invalid character {found:?} at position {position} of the algorithm: only a-z, 0-9 and the separators '+', '.', '_', '-' are allowed"
    )]
    InvalidAlgorithmChar {
        /// The offending character.
        found: char,
        /// Its position in the algorithm.
        position: usize,
    },

    /// Nothing comes after the `:`; `encoded` needs at least one character.
    #[error("missing encoded part after ':'")]
    EmptyEncoded,

    /// The encoded portion holds a character outside `[a-zA-Z0-9=_-]`.
    #[error(
        "invalid character {found:?} at position {position} of the encoded part: only a-z, A-Z, 0-9, '=', '_' and '-' are allowed"
    )]
    InvalidEncodedChar {
        /// The offending character.
        found: char,
        /// Its position in the encoded part.
        position: usize,
    },

    /// A registered algorithm's encoded portion has the wrong length
    /// (`sha256` and `blake3`: 64, `sha512`: 128).
    #[error("{algorithm} digest must be {expected} lowercase hex characters, found {found}")]
    EncodedLength {
        /// The registered algorithm.
        algorithm: Algorithm,
        /// The length it requires.
        expected: usize,
        /// The length found.
        found: usize,
    },

    /// A registered algorithm's encoded portion holds a character outside
    /// `[a-f0-9]`; the spec says `[A-F]` MUST NOT be used.
    #[error(
        "{algorithm} digest must be lowercase hex: found {found:?} at position {position} of the encoded part"
    )]
    NotLowercaseHex {
        /// The registered algorithm.
        algorithm: Algorithm,
        /// The offending character.
        found: char,
        /// Its position in the encoded part.
        position: usize,
    },
}

/// A validated digest: `algorithm ":" encoded`, the content identifier of a
/// descriptor (descriptor.md, "Digests").
///
/// A digest names content by a collision-resistant hash of its bytes, so
/// content fetched from an untrusted source can be checked by hashing it
/// again ([`Digest::verify`], or [`VerifyingReader`](crate::digester::VerifyingReader)
/// for streams). Every `Digest` value has passed [`Digest::parse`], so it
/// matches the grammar of the spec:
///
/// ```text
/// digest                ::= algorithm ":" encoded
/// algorithm             ::= algorithm-component (algorithm-separator algorithm-component)*
/// algorithm-component   ::= [a-z0-9]+
/// algorithm-separator   ::= [+._-]
/// encoded               ::= [a-zA-Z0-9=_-]+
/// ```
///
/// and, for a registered [`Algorithm`], its encoding: exactly 64 (`sha256`,
/// `blake3`) or 128 (`sha512`) lowercase hex characters; `[A-F]` MUST NOT be
/// used. Digests with unregistered algorithms that match the grammar are
/// accepted, as the spec says implementations SHOULD; they cannot be
/// verified ([`Digest::is_verifiable`]).
///
/// Two digests are equal when their strings are equal. The digest is stored
/// as one string, so cloning it is one small allocation.
///
/// ```
/// use ocikit_image::{Algorithm, Digest};
///
/// let digest: Digest = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a".parse()?;
/// assert_eq!(digest.algorithm(), Algorithm::Sha256);
/// assert_eq!(digest, Digest::sha256(b"{}"));
/// digest.verify(b"{}")?;
/// assert!(digest.verify(b"{ }").is_err());
///
/// let err = "sha256:ABC".parse::<Digest>().unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     r#"invalid digest "sha256:ABC": sha256 digest must be 64 lowercase hex characters, found 3"#,
/// );
/// # Ok::<(), ocikit_image::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    repr: Box<str>,
    colon: usize,
}

impl Digest {
    /// Parses and validates a digest string.
    ///
    /// The string MUST match the grammar of descriptor.md; for the
    /// registered algorithms `sha256`, `sha512` and `blake3` the encoded
    /// portion MUST also be lowercase hex of the algorithm's length.
    /// Unregistered algorithms are accepted when they match the grammar.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidDigest`] with the input
    /// (cut to 200 characters) and a [`DigestError`] saying what is wrong.
    pub fn parse(s: &str) -> crate::Result<Digest> {
        match check(s) {
            Ok(colon) => Ok(Digest {
                repr: s.into(),
                colon,
            }),
            Err(reason) => Err(invalid(s, reason)),
        }
    }

    /// The algorithm portion, such as [`Algorithm::Sha256`].
    pub fn algorithm(&self) -> Algorithm {
        Algorithm::from_valid_name(self.algorithm_str())
    }

    /// The encoded portion: everything after the `:`. For registered
    /// algorithms this is the lowercase hex of the hash.
    pub fn encoded(&self) -> &str {
        self.repr.get(self.colon + 1..).unwrap_or_default()
    }

    /// The whole digest string, `algorithm:encoded`.
    pub fn as_str(&self) -> &str {
        &self.repr
    }

    /// `true` when this build can compute the digest's algorithm, so
    /// [`Digest::verify`] can check content against it. Unregistered
    /// algorithms are never verifiable; `blake3` needs the crate feature.
    pub fn is_verifiable(&self) -> bool {
        is_supported_name(self.algorithm_str())
    }

    /// The SHA-256 digest of `bytes`: `sha256:` and 64 lowercase hex
    /// characters. SHA-256 is the algorithm the spec says implementations
    /// SHOULD use.
    pub fn sha256(bytes: impl AsRef<[u8]>) -> Digest {
        use sha2::Digest as _;
        Digest::from_trusted_hash("sha256", &sha2::Sha256::digest(bytes.as_ref()))
    }

    /// The SHA-512 digest of `bytes`: `sha512:` and 128 lowercase hex
    /// characters.
    pub fn sha512(bytes: impl AsRef<[u8]>) -> Digest {
        use sha2::Digest as _;
        Digest::from_trusted_hash("sha512", &sha2::Sha512::digest(bytes.as_ref()))
    }

    /// The BLAKE3 digest of `bytes` (256-bit output, as the spec requires):
    /// `blake3:` and 64 lowercase hex characters.
    #[cfg(feature = "blake3")]
    #[cfg_attr(docsrs, doc(cfg(feature = "blake3")))]
    pub fn blake3(bytes: impl AsRef<[u8]>) -> Digest {
        Digest::from_trusted_hash("blake3", blake3::hash(bytes.as_ref()).as_bytes())
    }

    /// The digest of `bytes` with `algorithm`: `'<alg>:' + Encode(H(C))` in
    /// the words of descriptor.md, "Digest calculations".
    ///
    /// # Errors
    ///
    /// [`Error::UnsupportedAlgorithm`]
    /// when this build cannot compute `algorithm` (see [`SUPPORTED`]).
    pub fn compute(algorithm: &Algorithm, bytes: impl AsRef<[u8]>) -> crate::Result<Digest> {
        match algorithm {
            Algorithm::Sha256 => Ok(Digest::sha256(bytes)),
            Algorithm::Sha512 => Ok(Digest::sha512(bytes)),
            #[cfg(feature = "blake3")]
            Algorithm::Blake3 => Ok(Digest::blake3(bytes)),
            _ => Err(algorithm.unsupported()),
        }
    }

    /// Checks that `bytes` is the content this digest identifies, by
    /// computing its digest again and comparing (descriptor.md,
    /// "Verification": content from untrusted sources SHOULD be verified
    /// before it is consumed).
    ///
    /// # Errors
    ///
    /// [`Error::DigestMismatch`] with both digests when the content differs;
    /// [`Error::UnsupportedAlgorithm`] when this build cannot compute the algorithm.
    pub fn verify(&self, bytes: impl AsRef<[u8]>) -> crate::Result<()> {
        let found = Digest::compute(&self.algorithm(), bytes)?;
        if found == *self {
            Ok(())
        } else {
            Err(Error::DigestMismatch {
                expected: self.clone(),
                found,
            })
        }
    }

    /// A digest from the raw output of a hash function, hex-encoded in
    /// lowercase: `algorithm ":" hex(hash)`.
    ///
    /// Use it with a hasher this crate does not drive itself. For a
    /// registered algorithm the hash must have its full length (32 bytes for
    /// `sha256` and `blake3`, 64 for `sha512`). An unregistered algorithm
    /// gets hex as well, which is one valid encoding among many.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidDigest`] when the hash
    /// has the wrong length for a registered algorithm, is empty, or the
    /// algorithm name breaks the grammar.
    pub fn from_hash(algorithm: Algorithm, hash: &[u8]) -> crate::Result<Digest> {
        let digest = Digest::from_trusted_hash(algorithm.as_str(), hash);
        // Validation catches a wrong length and a hand-built `Other` name.
        match check(&digest.repr) {
            Ok(colon) if colon == digest.colon => Ok(digest),
            Ok(_) => Err(invalid(&digest.repr, DigestError::MissingColon)),
            Err(reason) => Err(invalid(&digest.repr, reason)),
        }
    }

    /// Builds `algorithm:hex(hash)` without validation: the caller knows
    /// `algorithm` is registered and `hash` is its full output.
    pub(crate) fn from_trusted_hash(algorithm: &str, hash: &[u8]) -> Digest {
        let mut repr = String::with_capacity(algorithm.len() + 1 + 2 * hash.len());
        repr.push_str(algorithm);
        repr.push(':');
        for &byte in hash {
            repr.push(char::from(HEX_DIGITS[usize::from(byte >> 4)]));
            repr.push(char::from(HEX_DIGITS[usize::from(byte & 0x0f)]));
        }
        Digest {
            repr: repr.into_boxed_str(),
            colon: algorithm.len(),
        }
    }

    fn algorithm_str(&self) -> &str {
        self.repr.get(..self.colon).unwrap_or_default()
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.repr)
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.repr)
    }
}

impl FromStr for Digest {
    type Err = Error;

    fn from_str(s: &str) -> crate::Result<Digest> {
        Digest::parse(s)
    }
}

impl TryFrom<&str> for Digest {
    type Error = Error;

    fn try_from(s: &str) -> crate::Result<Digest> {
        Digest::parse(s)
    }
}

impl TryFrom<String> for Digest {
    type Error = Error;

    /// Validates `s` and keeps its allocation.
    fn try_from(s: String) -> crate::Result<Digest> {
        match check(&s) {
            Ok(colon) => Ok(Digest {
                repr: s.into_boxed_str(),
                colon,
            }),
            Err(reason) => Err(invalid(&s, reason)),
        }
    }
}

impl AsRef<str> for Digest {
    fn as_ref(&self) -> &str {
        &self.repr
    }
}

impl Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.repr)
    }
}

impl<'de> Deserialize<'de> for Digest {
    /// Deserializes from a string and validates it as [`Digest::parse`]
    /// does; the error message is that of
    /// [`Error::InvalidDigest`].
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Digest, D::Error> {
        deserializer.deserialize_str(DigestVisitor)
    }
}

struct DigestVisitor;

impl serde::de::Visitor<'_> for DigestVisitor {
    type Value = Digest;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a digest string such as \"sha256:\" followed by 64 lowercase hex characters")
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Digest, E> {
        Digest::parse(s).map_err(E::custom)
    }

    fn visit_string<E: serde::de::Error>(self, s: String) -> Result<Digest, E> {
        Digest::try_from(s).map_err(E::custom)
    }
}

fn invalid(input: &str, reason: DigestError) -> Error {
    Error::InvalidDigest {
        input: input.chars().take(MAX_QUOTED_INPUT).collect(),
        reason,
    }
}

fn registered_encoded_len(name: &str) -> Option<usize> {
    match name {
        "sha256" | "blake3" => Some(64),
        "sha512" => Some(128),
        _ => None,
    }
}

fn is_supported_name(name: &str) -> bool {
    matches!(name, "sha256" | "sha512") || (cfg!(feature = "blake3") && name == "blake3")
}

/// The character starting at byte `at` of `s`. Every byte before `at` is
/// ASCII when this is called, so `at` is also the character position.
fn char_at(s: &str, at: usize) -> char {
    s.get(at..)
        .and_then(|rest| rest.chars().next())
        .unwrap_or(char::REPLACEMENT_CHARACTER)
}

/// Validates a whole digest string; returns the byte offset of the `:`.
fn check(s: &str) -> Result<usize, DigestError> {
    if s.is_empty() {
        return Err(DigestError::Empty);
    }
    // The grammar allows no ':' inside the algorithm, so the first one splits.
    let (algorithm, encoded) = s.split_once(':').ok_or(DigestError::MissingColon)?;
    check_algorithm(algorithm)?;
    check_encoded(algorithm, encoded)?;
    Ok(algorithm.len())
}

/// `algorithm ::= component (separator component)*`, `component ::= [a-z0-9]+`,
/// `separator ::= [+._-]`.
fn check_algorithm(algorithm: &str) -> Result<(), DigestError> {
    if algorithm.is_empty() {
        return Err(DigestError::EmptyAlgorithm);
    }
    // True at the start and right after a separator: a component must begin here.
    let mut need_component = true;
    for (position, &byte) in algorithm.as_bytes().iter().enumerate() {
        match byte {
            b'a'..=b'z' | b'0'..=b'9' => need_component = false,
            b'+' | b'.' | b'_' | b'-' => {
                if need_component {
                    return Err(DigestError::EmptyAlgorithmComponent { position });
                }
                need_component = true;
            }
            _ => {
                return Err(DigestError::InvalidAlgorithmChar {
                    found: char_at(algorithm, position),
                    position,
                });
            }
        }
    }
    if need_component {
        return Err(DigestError::EmptyAlgorithmComponent {
            position: algorithm.len(),
        });
    }
    Ok(())
}

/// `encoded ::= [a-zA-Z0-9=_-]+`, then the registered algorithm's own rule.
fn check_encoded(algorithm: &str, encoded: &str) -> Result<(), DigestError> {
    if encoded.is_empty() {
        return Err(DigestError::EmptyEncoded);
    }
    let Some(expected) = registered_encoded_len(algorithm) else {
        for (position, &byte) in encoded.as_bytes().iter().enumerate() {
            if !matches!(byte, b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'=' | b'_' | b'-') {
                return Err(DigestError::InvalidEncodedChar {
                    found: char_at(encoded, position),
                    position,
                });
            }
        }
        return Ok(());
    };
    // Registered: one pass finds the first byte that is not lowercase hex;
    // the grammar check only runs to tell a grammar error from a hex error.
    let first_non_hex = encoded
        .as_bytes()
        .iter()
        .position(|&b| !matches!(b, b'a'..=b'f' | b'0'..=b'9'));
    if let Some(position) = first_non_hex {
        let rest = encoded.as_bytes().get(position..).unwrap_or_default();
        if let Some(offset) = rest.iter().position(
            |&b| !matches!(b, b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'=' | b'_' | b'-'),
        ) {
            let position = position + offset;
            return Err(DigestError::InvalidEncodedChar {
                found: char_at(encoded, position),
                position,
            });
        }
    }
    // Past the grammar check the encoded part is ASCII: bytes are characters.
    if encoded.len() != expected {
        return Err(DigestError::EncodedLength {
            algorithm: Algorithm::from_valid_name(algorithm),
            expected,
            found: encoded.len(),
        });
    }
    if let Some(position) = first_non_hex {
        return Err(DigestError::NotLowercaseHex {
            algorithm: Algorithm::from_valid_name(algorithm),
            found: char_at(encoded, position),
            position,
        });
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;

    const SHA256_EMPTY: &str =
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    const SHA256_BRACES: &str =
        "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
    const SHA512_EMPTY: &str = "sha512:cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e";
    const BLAKE3_EMPTY: &str =
        "blake3:af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262";

    /// The reason `s` is refused, or a panic naming the digest it became.
    fn reason(s: &str) -> DigestError {
        match Digest::parse(s) {
            Err(Error::InvalidDigest { input, reason }) => {
                assert_eq!(input, s.chars().take(200).collect::<String>());
                reason
            }
            other => panic!("{s:?} gave {other:?}"),
        }
    }

    fn message(s: &str) -> String {
        reason(s).to_string()
    }

    #[test]
    fn registered_algorithms_parse() {
        let d = Digest::parse(SHA256_EMPTY).unwrap();
        assert_eq!(d.algorithm(), Algorithm::Sha256);
        assert_eq!(d.encoded(), &SHA256_EMPTY[7..]);
        assert_eq!(d.as_str(), SHA256_EMPTY);
        assert!(d.is_verifiable());

        let d = Digest::parse(SHA512_EMPTY).unwrap();
        assert_eq!(d.algorithm(), Algorithm::Sha512);
        assert_eq!(d.encoded().len(), 128);
        assert!(d.is_verifiable());

        let d = Digest::parse(BLAKE3_EMPTY).unwrap();
        assert_eq!(d.algorithm(), Algorithm::Blake3);
        assert_eq!(d.is_verifiable(), cfg!(feature = "blake3"));
    }

    #[test]
    fn unregistered_algorithms_are_accepted_but_not_verifiable() {
        for s in [
            "multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8",
            "sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564",
            "a.b_c-d+e:x=",
            "sha384:Zz",
        ] {
            let d = Digest::parse(s).unwrap();
            assert_eq!(d.as_str(), s);
            assert!(!d.algorithm().is_registered());
            assert!(!d.is_verifiable());
            assert!(matches!(
                d.verify(b""),
                Err(Error::UnsupportedAlgorithm {
                    supported: SUPPORTED,
                    ..
                })
            ));
        }
        let d = Digest::parse("sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564").unwrap();
        assert_eq!(d.algorithm(), Algorithm::Other("sha256+b64u".into()));
        assert_eq!(d.encoded(), "LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564");
    }

    #[test]
    fn error_empty() {
        assert_eq!(reason(""), DigestError::Empty);
        assert_eq!(
            message(""),
            "empty string: a digest is an algorithm, ':' and an encoded part"
        );
    }

    #[test]
    fn error_missing_colon() {
        assert_eq!(reason("sha256"), DigestError::MissingColon);
        assert_eq!(
            message("sha256 e3b0"),
            "missing ':' between algorithm and encoded part"
        );
    }

    #[test]
    fn error_empty_algorithm() {
        assert_eq!(reason(":abc"), DigestError::EmptyAlgorithm);
        assert_eq!(message(":abc"), "missing algorithm before ':'");
    }

    #[test]
    fn error_empty_algorithm_component() {
        assert_eq!(
            reason("+sha256:abc"),
            DigestError::EmptyAlgorithmComponent { position: 0 }
        );
        assert_eq!(
            reason("sha256++b64:abc"),
            DigestError::EmptyAlgorithmComponent { position: 7 }
        );
        assert_eq!(
            reason("sha256.:abc"),
            DigestError::EmptyAlgorithmComponent { position: 7 }
        );
        assert_eq!(
            message("sha256-_x:abc"),
            "empty algorithm component at position 7: separators ('+', '.', '_', '-') must stand between lowercase letters or digits"
        );
    }

    #[test]
    fn error_invalid_algorithm_char() {
        assert_eq!(
            reason("SHA256:abc"),
            DigestError::InvalidAlgorithmChar {
                found: 'S',
                position: 0
            }
        );
        assert_eq!(
            reason("sha/256:abc"),
            DigestError::InvalidAlgorithmChar {
                found: '/',
                position: 3
            }
        );
        assert_eq!(
            message("shä256:abc"),
            "invalid character 'ä' at position 2 of the algorithm: only a-z, 0-9 and the separators '+', '.', '_', '-' are allowed"
        );
    }

    #[test]
    fn error_empty_encoded() {
        assert_eq!(reason("sha256:"), DigestError::EmptyEncoded);
        assert_eq!(message("foo:"), "missing encoded part after ':'");
    }

    #[test]
    fn error_invalid_encoded_char() {
        assert_eq!(
            reason("foo:ab/c"),
            DigestError::InvalidEncodedChar {
                found: '/',
                position: 2
            }
        );
        // A second ':' is not part of the encoded grammar.
        assert_eq!(
            reason("foo:ab:c"),
            DigestError::InvalidEncodedChar {
                found: ':',
                position: 2
            }
        );
        // Grammar errors win over hex errors for registered algorithms.
        let mut s = SHA256_EMPTY.to_owned();
        s.replace_range(10..11, "+");
        assert_eq!(
            reason(&s),
            DigestError::InvalidEncodedChar {
                found: '+',
                position: 3
            }
        );
        assert_eq!(
            message("sha256:abcé"),
            "invalid character 'é' at position 3 of the encoded part: only a-z, A-Z, 0-9, '=', '_' and '-' are allowed"
        );
    }

    #[test]
    fn error_encoded_length() {
        assert_eq!(
            message(&SHA256_EMPTY[..SHA256_EMPTY.len() - 1]),
            "sha256 digest must be 64 lowercase hex characters, found 63"
        );
        assert_eq!(
            message(&format!("{SHA256_EMPTY}0")),
            "sha256 digest must be 64 lowercase hex characters, found 65"
        );
        assert_eq!(
            reason(&SHA512_EMPTY[..71]),
            DigestError::EncodedLength {
                algorithm: Algorithm::Sha512,
                expected: 128,
                found: 64
            }
        );
        assert_eq!(
            message("blake3:00"),
            "blake3 digest must be 64 lowercase hex characters, found 2"
        );
    }

    #[test]
    fn error_not_lowercase_hex() {
        let upper = SHA256_EMPTY.to_uppercase().replacen("SHA256", "sha256", 1);
        assert_eq!(
            reason(&upper),
            DigestError::NotLowercaseHex {
                algorithm: Algorithm::Sha256,
                found: 'E',
                position: 0
            }
        );
        // With the length wrong as well, the length is reported.
        assert_eq!(
            message("sha256:e3bA"),
            "sha256 digest must be 64 lowercase hex characters, found 4"
        );
        let mut s = SHA256_EMPTY.to_owned();
        s.replace_range(10..11, "A");
        assert_eq!(
            message(&s),
            "sha256 digest must be lowercase hex: found 'A' at position 3 of the encoded part"
        );
        let mut s = SHA512_EMPTY.to_owned();
        s.replace_range(7..8, "g");
        assert_eq!(
            message(&s),
            "sha512 digest must be lowercase hex: found 'g' at position 0 of the encoded part"
        );
        let mut s = BLAKE3_EMPTY.to_owned();
        s.replace_range(70..71, "=");
        assert_eq!(
            message(&s),
            "blake3 digest must be lowercase hex: found '=' at position 63 of the encoded part"
        );
    }

    #[test]
    fn invalid_digest_error_reads_well_and_cuts_long_input() {
        let err = Digest::parse("sha256:abc").unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"invalid digest "sha256:abc": sha256 digest must be 64 lowercase hex characters, found 3"#
        );
        let long = format!("sha256:{}", "a".repeat(1000));
        match Digest::parse(&long) {
            Err(Error::InvalidDigest { input, .. }) => assert_eq!(input.chars().count(), 200),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn arbitrary_short_strings_never_panic() {
        let alphabet = [
            "a",
            "F",
            "0",
            ":",
            "+",
            "-",
            "=",
            "\u{e9}",
            "/",
            "\u{1f600}",
        ];
        let mut inputs = vec![String::new()];
        for _ in 0..4 {
            let longer: Vec<String> = inputs
                .iter()
                .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
                .collect();
            inputs.extend(longer);
        }
        for s in &inputs {
            if let Ok(d) = Digest::parse(s) {
                assert_eq!(d.as_str(), s);
                assert_eq!(format!("{}:{}", d.algorithm(), d.encoded()), *s);
            } else {
                let _ = message(s);
            }
            let _ = s.parse::<Algorithm>();
        }
    }

    #[test]
    fn algorithm_from_str_and_properties() {
        assert_eq!("sha256".parse(), Ok(Algorithm::Sha256));
        assert_eq!("sha512".parse(), Ok(Algorithm::Sha512));
        assert_eq!("blake3".parse(), Ok(Algorithm::Blake3));
        assert_eq!(
            "multihash+base58".parse(),
            Ok(Algorithm::Other("multihash+base58".into()))
        );
        assert_eq!("".parse::<Algorithm>(), Err(DigestError::EmptyAlgorithm));
        assert_eq!(
            "sha256:".parse::<Algorithm>(),
            Err(DigestError::InvalidAlgorithmChar {
                found: ':',
                position: 6
            })
        );
        assert_eq!(
            "sha-".parse::<Algorithm>(),
            Err(DigestError::EmptyAlgorithmComponent { position: 4 })
        );

        assert_eq!(Algorithm::Sha256.encoded_len(), Some(64));
        assert_eq!(Algorithm::Sha512.encoded_len(), Some(128));
        assert_eq!(Algorithm::Blake3.encoded_len(), Some(64));
        assert_eq!(Algorithm::Other("x".into()).encoded_len(), None);
        assert!(Algorithm::Blake3.is_registered());
        assert!(Algorithm::Sha256.is_supported() && Algorithm::Sha512.is_supported());
        assert_eq!(Algorithm::Blake3.is_supported(), cfg!(feature = "blake3"));
        assert!(!Algorithm::Other("md5".into()).is_supported());
        assert_eq!(Algorithm::Sha512.to_string(), "sha512");
        assert_eq!(SUPPORTED.contains("blake3"), cfg!(feature = "blake3"));
    }

    #[test]
    fn known_digests() {
        assert_eq!(Digest::sha256(b"").as_str(), SHA256_EMPTY);
        assert_eq!(Digest::sha256(b"{}").as_str(), SHA256_BRACES);
        assert_eq!(Digest::sha512(b"").as_str(), SHA512_EMPTY);
        assert_eq!(
            Digest::compute(&Algorithm::Sha512, b"").unwrap().as_str(),
            SHA512_EMPTY
        );
        // Computed digests parse back to themselves.
        let d = Digest::sha512(b"abc");
        assert_eq!(Digest::parse(d.as_str()).unwrap(), d);
        assert_eq!(d.algorithm(), Algorithm::Sha512);
    }

    #[cfg(feature = "blake3")]
    #[test]
    fn known_blake3_digest() {
        assert_eq!(Digest::blake3(b"").as_str(), BLAKE3_EMPTY);
        let d = Digest::parse(BLAKE3_EMPTY).unwrap();
        d.verify(b"").unwrap();
        assert_eq!(Digest::compute(&Algorithm::Blake3, b"").unwrap(), d);
    }

    #[cfg(not(feature = "blake3"))]
    #[test]
    fn blake3_unsupported_without_feature() {
        let d = Digest::parse(BLAKE3_EMPTY).unwrap();
        let err = d.verify(b"").unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"digest algorithm "blake3" is not supported for verification (supported: sha256, sha512)"#
        );
        assert!(Digest::compute(&Algorithm::Blake3, b"").is_err());
    }

    #[test]
    fn verify_matches_and_mismatches() {
        let d = Digest::parse(SHA256_BRACES).unwrap();
        d.verify(b"{}").unwrap();
        match d.verify(b"{ }") {
            Err(Error::DigestMismatch { expected, found }) => {
                assert_eq!(expected, d);
                assert_eq!(found, Digest::sha256(b"{ }"));
            }
            other => panic!("{other:?}"),
        }
        Digest::parse(SHA512_EMPTY).unwrap().verify(b"").unwrap();
    }

    #[test]
    fn from_hash() {
        use sha2::Digest as _;
        let raw = sha2::Sha256::digest(b"{}");
        assert_eq!(
            Digest::from_hash(Algorithm::Sha256, &raw).unwrap().as_str(),
            SHA256_BRACES
        );
        assert_eq!(
            message_of(Digest::from_hash(Algorithm::Sha256, &raw[..31])),
            "sha256 digest must be 64 lowercase hex characters, found 62"
        );
        assert_eq!(
            Digest::from_hash(Algorithm::Other("md5".into()), &[0xde, 0xad])
                .unwrap()
                .as_str(),
            "md5:dead"
        );
        assert_eq!(
            message_of(Digest::from_hash(Algorithm::Other("md5".into()), &[])),
            "missing encoded part after ':'"
        );
        assert_eq!(
            message_of(Digest::from_hash(Algorithm::Other("a:b".into()), &[1])),
            "invalid character ':' at position 1 of the encoded part: only a-z, A-Z, 0-9, '=', '_' and '-' are allowed"
        );
        assert_eq!(
            message_of(Digest::from_hash(Algorithm::Other("MD5".into()), &[1])),
            "invalid character 'M' at position 0 of the algorithm: only a-z, 0-9 and the separators '+', '.', '_', '-' are allowed"
        );
    }

    fn message_of(result: crate::Result<Digest>) -> String {
        match result {
            Err(Error::InvalidDigest { reason, .. }) => reason.to_string(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn conversions() {
        let d: Digest = SHA256_EMPTY.parse().unwrap();
        assert_eq!(Digest::try_from(SHA256_EMPTY).unwrap(), d);
        assert_eq!(Digest::try_from(SHA256_EMPTY.to_owned()).unwrap(), d);
        assert!(Digest::try_from(String::from("sha256:")).is_err());
        assert_eq!(AsRef::<str>::as_ref(&d), SHA256_EMPTY);
        assert_eq!(d.to_string(), SHA256_EMPTY);
        assert_eq!(format!("{d:?}"), SHA256_EMPTY);
        assert!(Digest::sha256(b"a") != Digest::sha256(b"b"));
    }

    #[test]
    fn serde_round_trip() {
        let d = Digest::sha256(b"{}");
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(json, format!("\"{SHA256_BRACES}\""));
        let back: Digest = serde_json::from_str(&json).unwrap();
        assert_eq!(back, d);
        // Owned strings (escapes force serde_json to allocate) validate too.
        let escaped = format!("\"sha256\\u003a{}\"", &SHA256_BRACES[7..]);
        let back: Digest = serde_json::from_str(&escaped).unwrap();
        assert_eq!(back, d);
        let from_value: Digest = serde_json::from_value(serde_json::json!(SHA256_BRACES)).unwrap();
        assert_eq!(from_value, d);
    }

    #[test]
    fn serde_error_text() {
        let err = serde_json::from_str::<Digest>("\"sha256:abc\"").unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"invalid digest "sha256:abc": sha256 digest must be 64 lowercase hex characters, found 3 at line 1 column 12"#
        );
        let err = serde_json::from_value::<Digest>(serde_json::json!("sha256\\x")).unwrap_err();
        assert_eq!(
            err.to_string(),
            r#"invalid digest "sha256\\x": missing ':' between algorithm and encoded part"#
        );
        assert!(serde_json::from_str::<Digest>("42").is_err());
    }
}
