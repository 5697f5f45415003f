//! Streaming digests and verified reads: hash content as it passes through a
//! `Write` or `Read`, and refuse a blob whose size or digest is not the one
//! its descriptor gives. Implements image-spec descriptor.md, "Verification".

use crate::digest::Digest;
use crate::{Algorithm, Error};
use std::fmt;
use std::io::{self, Read, Write};

/// An incremental hash of one of the algorithms this build supports; it
/// ends in a [`Digest`].
///
/// Feed it with [`update`](Digester::update) or as an [`io::Write`] (for
/// example with [`io::copy`]), then call [`finish`](Digester::finish). The
/// result equals [`Digest::compute`] over the concatenated input, however it
/// was split.
///
/// ```
/// use ocikit_image::digester::Digester;
/// use ocikit_image::Digest;
///
/// let mut digester = Digester::sha256();
/// digester.update(b"{");
/// digester.update(b"}");
/// assert_eq!(digester.bytes(), 2);
/// assert_eq!(digester.finish(), Digest::sha256(b"{}"));
/// ```
#[derive(Clone)]
pub struct Digester {
    hasher: Hasher,
    bytes: u64,
}

#[derive(Clone)]
enum Hasher {
    Sha256(sha2::Sha256),
    Sha512(sha2::Sha512),
    // Boxed: its state is about 2 KiB, far more than the SHA-2 states.
    #[cfg(feature = "blake3")]
    Blake3(Box<blake3::Hasher>),
}

impl Digester {
    /// A digester for `algorithm`.
    ///
    /// # Errors
    ///
    /// [`Error::UnsupportedAlgorithm`]
    /// when this build cannot compute `algorithm`: any unregistered one, and
    /// `blake3` without the crate feature `blake3`.
    pub fn new(algorithm: &Algorithm) -> crate::Result<Digester> {
        use sha2::Digest as _;
        let hasher = match algorithm {
            Algorithm::Sha256 => Hasher::Sha256(sha2::Sha256::new()),
            Algorithm::Sha512 => Hasher::Sha512(sha2::Sha512::new()),
            #[cfg(feature = "blake3")]
            Algorithm::Blake3 => Hasher::Blake3(Box::new(blake3::Hasher::new())),
            _ => return Err(algorithm.unsupported()),
        };
        Ok(Digester { hasher, bytes: 0 })
    }

    /// A SHA-256 digester; SHA-256 is the algorithm the spec says
    /// implementations SHOULD use, and the one every build supports.
    pub fn sha256() -> Digester {
        use sha2::Digest as _;
        Digester {
            hasher: Hasher::Sha256(sha2::Sha256::new()),
            bytes: 0,
        }
    }

    /// The algorithm being computed.
    pub fn algorithm(&self) -> Algorithm {
        match self.hasher {
            Hasher::Sha256(_) => Algorithm::Sha256,
            Hasher::Sha512(_) => Algorithm::Sha512,
            #[cfg(feature = "blake3")]
            Hasher::Blake3(_) => Algorithm::Blake3,
        }
    }

    /// Hashes `data`, after everything given before.
    pub fn update(&mut self, data: &[u8]) {
        use sha2::Digest as _;
        match &mut self.hasher {
            Hasher::Sha256(h) => h.update(data),
            Hasher::Sha512(h) => h.update(data),
            #[cfg(feature = "blake3")]
            Hasher::Blake3(h) => {
                h.update(data);
            }
        }
        // A u64 cannot overflow from data held in memory, but saturate anyway.
        self.bytes = self.bytes.saturating_add(data.len() as u64);
    }

    /// How many bytes have been hashed so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The digest of everything hashed: `'<alg>:' + Encode(H(C))`.
    pub fn finish(self) -> Digest {
        use sha2::Digest as _;
        match self.hasher {
            Hasher::Sha256(h) => Digest::from_trusted_hash("sha256", &h.finalize()),
            Hasher::Sha512(h) => Digest::from_trusted_hash("sha512", &h.finalize()),
            #[cfg(feature = "blake3")]
            Hasher::Blake3(h) => Digest::from_trusted_hash("blake3", h.finalize().as_bytes()),
        }
    }
}

impl fmt::Debug for Digester {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Digester")
            .field("algorithm", &self.algorithm())
            .field("bytes", &self.bytes)
            .finish()
    }
}

impl Write for Digester {
    /// Hashes all of `buf`; never fails.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }

    /// Does nothing: there is no buffer to flush.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A [`Read`] adapter that passes a blob through and checks it against its
/// descriptor: exactly `size` bytes, hashing to `expected`.
///
/// The spec (descriptor.md, "Verification") says content from untrusted
/// sources SHOULD be verified against its digest before it is consumed, and
/// its size SHOULD be checked first, to narrow the room for hash collisions.
/// This reader does both while streaming:
///
/// - it never asks the inner reader for more than the `size - read` bytes
///   still due, so a longer blob is never passed on;
/// - once `size` bytes have passed, it reads one more byte to make sure the
///   blob ends there; if one comes, the read fails with
///   [`Error::SizeMismatch`] (`read` is
///   `size + 1`: the blob is longer than its descriptor);
/// - if the inner reader ends early, the read fails with
///   [`Error::SizeMismatch`] giving the count
///   read (the blob is shorter than its descriptor);
/// - at the end of a blob of the right size it compares digests and fails
///   with [`Error::DigestMismatch`] if they
///   differ.
///
/// Only after the digest matched does `read` return `Ok(0)` (end of file),
/// so a consumer that reads to the end, such as [`io::copy`] or
/// [`Read::read_to_end`], has either verified content or an error.
/// Verification errors are [`io::Error`]s of kind
/// [`InvalidData`](io::ErrorKind::InvalidData) that carry the crate's
/// [`Error`]; get it back with [`io_error_cause`]. They are sticky: every
/// later read returns the same error again. Errors of the inner reader,
/// [`Interrupted`](io::ErrorKind::Interrupted) included, are passed through
/// unchanged and the read may be retried.
///
/// ```
/// use ocikit_image::digester::{io_error_cause, VerifyingReader};
/// use ocikit_image::{Digest, Error};
/// use std::io::Read;
///
/// let blob = b"{}";
/// let mut reader = VerifyingReader::new(&blob[..], Digest::sha256(blob), 2)?;
/// let mut out = Vec::new();
/// reader.read_to_end(&mut out).expect("content matches its descriptor");
/// assert!(reader.is_verified());
///
/// // The same bytes announced as 1 byte long: the second byte is refused.
/// let mut reader = VerifyingReader::new(&blob[..], Digest::sha256(blob), 1)?;
/// let err = reader.read_to_end(&mut Vec::new()).unwrap_err();
/// assert!(matches!(io_error_cause(&err), Some(Error::SizeMismatch { read: 2, .. })));
/// # Ok::<(), ocikit_image::Error>(())
/// ```
///
/// # Security
///
/// Defended against: a blob that is longer than its descriptor (at most
/// `size + 1` bytes are ever requested from the inner reader, and none past
/// `size` is passed on), shorter, or different in content.
///
/// Not defended against: acting on bytes before the end. Bytes are handed
/// out as they arrive, before the digest can be checked; until `read`
/// returns `Ok(0)` they are unverified. Write them somewhere provisional
/// (a temporary file renamed only after the end) and avoid heavy
/// processing of them, such as decompression, when the source is untrusted;
/// the spec says heavy processing before calculating a hash SHOULD be
/// avoided. A `size` taken from an untrusted descriptor bounds nothing.
///
/// # Limitations
///
/// The digest's algorithm must be computable by this build
/// ([`Digest::is_verifiable`]); digests with unregistered algorithms cannot
/// be checked and are refused by [`VerifyingReader::new`].
#[derive(Debug)]
pub struct VerifyingReader<R> {
    inner: R,
    expected: Digest,
    size: u64,
    read: u64,
    state: State,
}

#[derive(Debug)]
enum State {
    // Boxed: a hash state is hundreds of bytes, the other variants a few words.
    Reading(Box<Digester>),
    Verified,
    Failed(Failure),
}

/// What went wrong, kept so the same error can be returned again.
#[derive(Debug, Clone)]
enum Failure {
    Size { read: u64 },
    Digest { found: Digest },
}

impl<R: Read> VerifyingReader<R> {
    /// Wraps `inner`, which should yield exactly `size` bytes hashing to
    /// `expected`: the `size` and `digest` of the blob's descriptor.
    ///
    /// # Errors
    ///
    /// [`Error::UnsupportedAlgorithm`] when this build cannot compute the algorithm of `expected`.
    pub fn new(inner: R, expected: Digest, size: u64) -> crate::Result<Self> {
        let digester = Digester::new(&expected.algorithm())?;
        Ok(VerifyingReader {
            inner,
            expected,
            size,
            read: 0,
            state: State::Reading(Box::new(digester)),
        })
    }

    /// Wraps `inner` to yield the content `descriptor` references: its
    /// `size` and `digest`.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] naming `size` when the descriptor's size is
    /// negative; [`Error::UnsupportedAlgorithm`] as for [`VerifyingReader::new`].
    pub fn for_descriptor(inner: R, descriptor: &crate::Descriptor) -> crate::Result<Self> {
        Self::new(inner, descriptor.digest.clone(), descriptor.size_u64()?)
    }

    /// Reads and discards the rest of the blob, then returns the inner
    /// reader once the content is verified.
    ///
    /// # Errors
    ///
    /// The first error [`read`](Read::read) returns, other than
    /// [`Interrupted`](io::ErrorKind::Interrupted), which is retried.
    pub fn verify_to_end(mut self) -> io::Result<R> {
        let mut buf = [0u8; 8192];
        loop {
            match self.read(&mut buf) {
                // `read` gives `Ok(0)` for a non-empty buffer only once verified.
                Ok(0) => return Ok(self.inner),
                Ok(_) => {}
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        }
    }

    /// Compares digests at the end of a blob of the right size.
    fn finish(&mut self) -> io::Result<usize> {
        let digester = match std::mem::replace(&mut self.state, State::Verified) {
            State::Reading(digester) => digester,
            done => {
                self.state = done;
                return self.replay();
            }
        };
        let found = digester.finish();
        if found == self.expected {
            Ok(0)
        } else {
            self.fail(Failure::Digest { found })
        }
    }

    fn fail(&mut self, failure: Failure) -> io::Result<usize> {
        self.state = State::Failed(failure);
        self.replay()
    }

    /// The result of a read after the end: `Ok(0)` once verified, else the
    /// stored error, rebuilt each time (`io::Error` is not `Clone`).
    fn replay(&self) -> io::Result<usize> {
        match &self.state {
            State::Failed(Failure::Size { read }) => Err(Error::SizeMismatch {
                digest: self.expected.clone(),
                expected: self.size,
                read: *read,
            }
            .into()),
            State::Failed(Failure::Digest { found }) => Err(Error::DigestMismatch {
                expected: self.expected.clone(),
                found: found.clone(),
            }
            .into()),
            State::Verified => Ok(0),
            // Not reached: `read` only replays once reading is over.
            State::Reading(_) => Err(io::Error::other("blob verification has not finished")),
        }
    }
}

impl<R> VerifyingReader<R> {
    /// How many bytes of the blob have been passed on so far (never more
    /// than `size`).
    pub fn bytes_read(&self) -> u64 {
        self.read
    }

    /// `true` once the blob has been read to its end, had the right size,
    /// and matched its digest.
    pub fn is_verified(&self) -> bool {
        matches!(self.state, State::Verified)
    }

    /// The digest the blob must match.
    pub fn expected(&self) -> &Digest {
        &self.expected
    }

    /// The size the blob must have, in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The inner reader, by reference. Reading from it directly would
    /// bypass verification.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    /// Unwraps the inner reader, whether or not the blob was verified.
    pub fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: Read> Read for VerifyingReader<R> {
    /// Passes on bytes of the blob, and returns `Ok(0)` only at the end of
    /// a verified blob (or for an empty `buf`, as [`Read`] requires).
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if !matches!(self.state, State::Reading(_)) {
            return self.replay();
        }
        if buf.is_empty() {
            return Ok(0);
        }
        let remaining = self.size.saturating_sub(self.read);
        if remaining == 0 {
            // Probe for one byte past the announced size, into our own
            // buffer so the caller never sees it.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => self.finish(),
                _ => self.fail(Failure::Size {
                    read: self.size.saturating_add(1),
                }),
            };
        }
        let want = usize::try_from(remaining).map_or(buf.len(), |r| r.min(buf.len()));
        // In bounds: `want` is at most `buf.len()`.
        let window = &mut buf[..want];
        let n = self.inner.read(window)?;
        if n == 0 {
            return self.fail(Failure::Size { read: self.read });
        }
        let Some(data) = window.get(..n) else {
            return Err(io::Error::other(format!(
                "inner reader claims {n} bytes read into a {want}-byte buffer"
            )));
        };
        if let State::Reading(digester) = &mut self.state {
            digester.update(data);
        }
        self.read = self.read.saturating_add(n as u64);
        Ok(n)
    }
}

/// The crate's [`Error`] inside an [`io::Error`], such as the
/// [`Error::SizeMismatch`] or [`Error::DigestMismatch`] that
/// [`VerifyingReader`] returns; `None` for any other I/O error.
pub fn io_error_cause(err: &io::Error) -> Option<&Error> {
    err.get_ref()?.downcast_ref::<Error>()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a failed unwrap is a failed test
mod tests {
    use super::*;
    use std::io::Cursor;

    const BLOB: &[u8] = b"{\"schemaVersion\":2,\"layers\":[]}";

    /// Counts how many bytes were asked for and how many were given.
    struct Counting<R> {
        inner: R,
        requested: usize,
        given: usize,
    }

    impl<R: Read> Read for Counting<R> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.requested += buf.len();
            let n = self.inner.read(buf)?;
            self.given += n;
            Ok(n)
        }
    }

    fn counting(data: &[u8]) -> Counting<Cursor<Vec<u8>>> {
        Counting {
            inner: Cursor::new(data.to_vec()),
            requested: 0,
            given: 0,
        }
    }

    /// Gives at most one byte per read.
    struct OneByte<R>(R);

    impl<R: Read> Read for OneByte<R> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let end = buf.len().min(1);
            self.0.read(&mut buf[..end])
        }
    }

    /// Fails with `Interrupted` on every other read.
    struct Interrupting<R> {
        inner: R,
        interrupt: bool,
    }

    impl<R: Read> Read for Interrupting<R> {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.interrupt = !self.interrupt;
            if self.interrupt {
                Err(io::ErrorKind::Interrupted.into())
            } else {
                self.inner.read(buf)
            }
        }
    }

    fn cause(err: &io::Error) -> &Error {
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        io_error_cause(err).expect("crate error inside")
    }

    #[test]
    fn chunked_writes_equal_one_shot() {
        let data: Vec<u8> = (0..10_000u32).map(|i| (i * 31 % 251) as u8).collect();
        let mut algorithms = vec![Algorithm::Sha256, Algorithm::Sha512];
        if cfg!(feature = "blake3") {
            algorithms.push(Algorithm::Blake3);
        }
        for algorithm in algorithms {
            let one_shot = Digest::compute(&algorithm, &data).unwrap();
            for chunk in [1, 7, 64, 1000, 10_000] {
                let mut d = Digester::new(&algorithm).unwrap();
                assert_eq!(d.algorithm(), algorithm);
                for piece in data.chunks(chunk) {
                    d.write_all(piece).unwrap();
                }
                d.flush().unwrap();
                assert_eq!(d.bytes(), data.len() as u64);
                assert_eq!(d.finish(), one_shot, "{algorithm} in chunks of {chunk}");
            }
        }
        let mut d = Digester::sha256();
        io::copy(&mut &data[..], &mut d).unwrap();
        assert_eq!(d.finish(), Digest::sha256(&data));
        assert_eq!(Digester::sha256().finish(), Digest::sha256(b""));
    }

    #[test]
    fn digester_refuses_unsupported_algorithms() {
        let err = Digester::new(&Algorithm::Other("md5".into())).unwrap_err();
        assert!(
            matches!(err, Error::UnsupportedAlgorithm { ref algorithm, .. } if algorithm == "md5")
        );
        assert_eq!(
            Digester::new(&Algorithm::Blake3).is_ok(),
            cfg!(feature = "blake3")
        );
        let other =
            Digest::parse("multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8")
                .unwrap();
        assert!(matches!(
            VerifyingReader::new(&b""[..], other, 0),
            Err(Error::UnsupportedAlgorithm { .. })
        ));
    }

    #[test]
    fn exact_content_is_verified() {
        let mut r =
            VerifyingReader::new(counting(BLOB), Digest::sha256(BLOB), BLOB.len() as u64).unwrap();
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        assert_eq!(out, BLOB);
        assert!(r.is_verified());
        assert_eq!(r.bytes_read(), BLOB.len() as u64);
        // Reading after the end stays at the end.
        assert_eq!(r.read(&mut [0; 8]).unwrap(), 0);
        assert!(r.get_ref().requested <= BLOB.len() + 1);
        assert_eq!(r.into_inner().given, BLOB.len());
    }

    #[test]
    fn short_content_is_a_size_mismatch() {
        let short = &BLOB[..10];
        let mut r = VerifyingReader::new(short, Digest::sha256(BLOB), BLOB.len() as u64).unwrap();
        let mut out = Vec::new();
        let err = r.read_to_end(&mut out).unwrap_err();
        assert_eq!(out, short);
        match cause(&err) {
            Error::SizeMismatch {
                digest,
                expected,
                read,
            } => {
                assert_eq!(*digest, Digest::sha256(BLOB));
                assert_eq!((*expected, *read), (BLOB.len() as u64, 10));
            }
            other => panic!("{other:?}"),
        }
        assert!(err.to_string().ends_with(&format!(
            "expected {} bytes, read 10 (the blob is shorter than its descriptor)",
            BLOB.len()
        )));
        assert!(!r.is_verified());
    }

    #[test]
    fn long_content_is_a_size_mismatch_and_not_over_read() {
        let mut long = BLOB.to_vec();
        long.extend_from_slice(&[b' '; 5000]);
        let size = BLOB.len() as u64;
        let mut r = VerifyingReader::new(counting(&long), Digest::sha256(BLOB), size).unwrap();
        let mut out = Vec::new();
        let err = r.read_to_end(&mut out).unwrap_err();
        assert_eq!(out, BLOB, "nothing past the size is passed on");
        assert!(matches!(cause(&err), Error::SizeMismatch { read, .. } if *read == size + 1));
        assert!(
            err.to_string()
                .ends_with("(the blob is longer than its descriptor)")
        );
        let inner = r.into_inner();
        assert!(
            inner.requested <= BLOB.len() + 1,
            "asked for {}",
            inner.requested
        );
        assert_eq!(inner.given, BLOB.len() + 1);
    }

    #[test]
    fn wrong_digest_same_size_is_a_digest_mismatch() {
        let mut other = BLOB.to_vec();
        other[1] = b'X';
        let expected = Digest::sha256(BLOB);
        let mut r = VerifyingReader::new(&other[..], expected.clone(), BLOB.len() as u64).unwrap();
        let err = r.read_to_end(&mut Vec::new()).unwrap_err();
        match cause(&err) {
            Error::DigestMismatch { expected: e, found } => {
                assert_eq!(*e, expected);
                assert_eq!(*found, Digest::sha256(&other));
            }
            other => panic!("{other:?}"),
        }
        assert!(!r.is_verified());
    }

    #[test]
    fn one_byte_reads() {
        let expected = Digest::sha512(BLOB);
        let mut r = VerifyingReader::new(OneByte(BLOB), expected, BLOB.len() as u64).unwrap();
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        assert_eq!(out, BLOB);
        assert!(r.is_verified());

        let mut r = VerifyingReader::new(OneByte(BLOB), Digest::sha256(BLOB), 3).unwrap();
        let err = r.read_to_end(&mut Vec::new()).unwrap_err();
        assert!(matches!(cause(&err), Error::SizeMismatch { read: 4, .. }));
    }

    #[test]
    fn size_zero() {
        let mut r = VerifyingReader::new(counting(b""), Digest::sha256(b""), 0).unwrap();
        assert_eq!(r.read(&mut [0; 16]).unwrap(), 0);
        assert!(r.is_verified());
        assert_eq!(r.get_ref().requested, 1);

        let mut r = VerifyingReader::new(&b"x"[..], Digest::sha256(b""), 0).unwrap();
        let err = r.read(&mut [0; 16]).unwrap_err();
        assert!(matches!(
            cause(&err),
            Error::SizeMismatch {
                expected: 0,
                read: 1,
                ..
            }
        ));
    }

    #[test]
    fn empty_buffer_reads_nothing() {
        let mut r = VerifyingReader::new(counting(BLOB), Digest::sha256(BLOB), 3).unwrap();
        assert_eq!(r.read(&mut []).unwrap(), 0);
        assert_eq!(r.get_ref().requested, 0);
        assert!(!r.is_verified());
    }

    #[test]
    fn interrupted_passes_through() {
        let inner = Interrupting {
            inner: BLOB,
            interrupt: false,
        };
        let mut r = VerifyingReader::new(inner, Digest::sha256(BLOB), BLOB.len() as u64).unwrap();
        let mut buf = [0u8; 64];
        let err = r.read(&mut buf).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::Interrupted);
        assert!(io_error_cause(&err).is_none());
        // read_to_end retries on Interrupted, including around the probe.
        let mut out = Vec::new();
        r.read_to_end(&mut out).unwrap();
        assert_eq!(out, BLOB);
        assert!(r.is_verified());
    }

    #[test]
    fn errors_are_sticky() {
        let mut r =
            VerifyingReader::new(&BLOB[..5], Digest::sha256(BLOB), BLOB.len() as u64).unwrap();
        let first = r.read_to_end(&mut Vec::new()).unwrap_err().to_string();
        for _ in 0..3 {
            let again = r.read(&mut [0; 8]).unwrap_err();
            assert_eq!(again.kind(), io::ErrorKind::InvalidData);
            assert_eq!(again.to_string(), first);
        }

        let mut r = VerifyingReader::new(&b"{]"[..], Digest::sha256(b"{}"), 2).unwrap();
        let first = r.read_to_end(&mut Vec::new()).unwrap_err().to_string();
        assert!(first.contains("content hashes to"));
        assert_eq!(r.read(&mut [0; 8]).unwrap_err().to_string(), first);
        assert_eq!(r.read(&mut []).unwrap_err().to_string(), first);
    }

    #[test]
    fn verify_to_end_returns_the_inner_reader() {
        let r =
            VerifyingReader::new(counting(BLOB), Digest::sha256(BLOB), BLOB.len() as u64).unwrap();
        assert_eq!(r.verify_to_end().unwrap().given, BLOB.len());
        let r = VerifyingReader::new(BLOB, Digest::sha256(b"{}"), BLOB.len() as u64).unwrap();
        let err = r.verify_to_end().unwrap_err();
        assert!(matches!(cause(&err), Error::DigestMismatch { .. }));
    }

    #[test]
    fn a_reader_claiming_too_many_bytes_is_an_error_not_a_panic() {
        struct Liar;
        impl Read for Liar {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                Ok(buf.len() + 1)
            }
        }
        let mut r = VerifyingReader::new(Liar, Digest::sha256(BLOB), 4).unwrap();
        let err = r.read(&mut [0; 16]).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::Other);
        assert_eq!(r.bytes_read(), 0);
    }

    #[test]
    fn io_error_cause_ignores_other_errors() {
        assert!(io_error_cause(&io::Error::other("boom")).is_none());
        assert!(io_error_cause(&io::ErrorKind::UnexpectedEof.into()).is_none());
        let err: io::Error = Error::UnsupportedAlgorithm {
            algorithm: "md5".into(),
            supported: crate::digest::SUPPORTED,
        }
        .into();
        assert!(matches!(
            io_error_cause(&err),
            Some(Error::UnsupportedAlgorithm { .. })
        ));
    }

    #[test]
    fn for_descriptor_uses_size_and_digest_and_refuses_negative_sizes() {
        let blob = b"layer bytes";
        let d = crate::Descriptor::for_bytes(crate::MediaType::ImageLayer, blob);
        let mut out = Vec::new();
        VerifyingReader::for_descriptor(&blob[..], &d)
            .expect("supported")
            .read_to_end(&mut out)
            .expect("verified");
        assert_eq!(out, blob);
        let mut negative = d;
        negative.size = -5;
        let err = VerifyingReader::for_descriptor(&blob[..], &negative).expect_err("negative size");
        assert!(
            err.to_string().contains("must not be negative, found -5"),
            "{err}"
        );
    }
}
