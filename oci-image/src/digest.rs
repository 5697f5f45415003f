//! STUB: to be replaced (digest grammar, registered algorithms).
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A digest algorithm.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Algorithm {
    /// sha256
    Sha256,
    /// sha512
    Sha512,
    /// blake3
    Blake3,
    /// unregistered
    Other(String),
}

impl Algorithm {
    /// The identifier.
    pub fn as_str(&self) -> &str {
        todo!()
    }
}

/// Why a digest string is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigestError {
    /// x
    #[error("x")]
    Empty,
}

/// A validated digest.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest {
    repr: Box<str>,
    colon: usize,
}

impl Digest {
    /// Parse.
    pub fn parse(s: &str) -> crate::Result<Self> {
        let _ = s;
        todo!()
    }
    /// The algorithm.
    pub fn algorithm(&self) -> Algorithm {
        todo!()
    }
    /// The encoded part.
    pub fn encoded(&self) -> &str {
        &self.repr[self.colon + 1..]
    }
    /// The whole string.
    pub fn as_str(&self) -> &str {
        &self.repr
    }
    /// sha256 of bytes.
    pub fn sha256(bytes: impl AsRef<[u8]>) -> Self {
        let _ = bytes;
        todo!()
    }
    /// Computes the digest of `bytes` with `algorithm`.
    pub fn compute(algorithm: &Algorithm, bytes: impl AsRef<[u8]>) -> crate::Result<Self> {
        let _ = (algorithm, bytes);
        todo!()
    }
    /// Verifies.
    pub fn verify(&self, bytes: impl AsRef<[u8]>) -> crate::Result<()> {
        let _ = bytes;
        todo!()
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
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Self> {
        Self::parse(s)
    }
}
impl Serialize for Digest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.repr)
    }
}
impl<'de> Deserialize<'de> for Digest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}
