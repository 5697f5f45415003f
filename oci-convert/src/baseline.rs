//! The baseline of a root: cheap metadata of every file, recorded right
//! after an unpack, so that a later repack finds what changed from `lstat`
//! alone instead of hashing every file (the repack half of image-spec
//! layer.md, Change Types).

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::os::fd::{BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};

use ocikit_image::digester::Digester;
use rustix::fs::FileType;

use crate::build::source::{self, Meta};
use crate::build::walk::{Visitor, walk};
use crate::{Error, Result};

const MAGIC: &[u8; 8] = b"OCIBASE\n";
const VERSION: u32 = 1;
/// The longest path a record holds (its length is a u16). A root can hold
/// longer relative paths than PATH_MAX (4096) through `*at` calls, so
/// the bound is the format's, not the kernel's.
const MAX_PATH: usize = u16::MAX as usize;

/// What is recorded of one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Record {
    pub kind: FileType,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub ino: u64,
    pub size: u64,
    pub mtime: (i64, u32),
    pub ctime: (i64, u32),
}

impl Record {
    fn from_meta(meta: &Meta) -> Record {
        Record {
            kind: meta.kind,
            mode: meta.mode,
            uid: meta.uid,
            gid: meta.gid,
            ino: meta.ino,
            size: meta.size,
            mtime: meta.mtime,
            ctime: meta.ctime,
        }
    }
}

fn kind_code(kind: FileType) -> u8 {
    match kind {
        FileType::RegularFile => 1,
        FileType::Directory => 2,
        FileType::Symlink => 3,
        FileType::CharacterDevice => 4,
        FileType::BlockDevice => 5,
        // Sockets and unknown types are never recorded.
        _ => 6,
    }
}

fn kind_from_code(code: u8) -> Option<FileType> {
    Some(match code {
        1 => FileType::RegularFile,
        2 => FileType::Directory,
        3 => FileType::Symlink,
        4 => FileType::CharacterDevice,
        5 => FileType::BlockDevice,
        6 => FileType::Fifo,
        _ => return None,
    })
}

/// The recorded metadata of every file under a root (not the root
/// itself; sockets are left out as a layer build leaves them out), by
/// relative path.
///
/// Recorded fields: type, inode, size, mtime and ctime (with
/// nanoseconds), permission bits, uid and gid; see [`diff`](crate::diff)
/// for how they are compared.
///
/// # File format (version 1)
///
/// Binary, little-endian, deterministic (records sorted by path bytes):
///
/// ```text
/// magic    8 bytes  "OCIBASE\n"
/// version  u32      1
/// count    u64      number of records
/// record * count:
///   path_len u16    1..=65535
///   path     bytes  relative, '/'-separated, no empty, "." or ".." part
///   kind     u8     1 file, 2 directory, 3 symlink, 4 char device,
///                   5 block device, 6 FIFO
///   mode     u32    permission bits with setuid/setgid/sticky (<= 0o7777)
///   uid, gid u32, u32
///   ino      u64
///   size     u64
///   mtime    i64 seconds, u32 nanoseconds (< 10^9)
///   ctime    i64 seconds, u32 nanoseconds (< 10^9)
/// checksum 64 bytes ASCII hex sha256 of everything before it
/// ```
///
/// [`Baseline::read_from`] refuses anything else: unknown versions, records out of order
/// or duplicated, a path whose parent is not a recorded directory, bytes
/// after the checksum. Memory grows with the records actually read, never
/// with a count the file claims.
///
/// The device number is not recorded: it can change across reboots or
/// remounts of the same file system, which would mark every file changed;
/// the inode with the ctime catches replacement well enough.
///
/// ```no_run
/// # fn main() -> ocikit_convert::Result<()> {
/// use std::path::Path;
/// let rootfs = Path::new("bundle/rootfs");
/// let baseline = ocikit_convert::Baseline::record(rootfs)?;
/// baseline.save(Path::new("bundle/baseline"))?;
/// // ... the root is edited ...
/// let changes = ocikit_convert::diff(rootfs, &ocikit_convert::Baseline::load(Path::new("bundle/baseline"))?)?;
/// println!("{} added, {} modified", changes.added.len(), changes.modified.len());
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baseline {
    pub(crate) records: BTreeMap<Vec<u8>, Record>,
}

impl Baseline {
    /// Records the tree at `root` with one `lstat` per file, never
    /// following a symlink.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when a directory cannot be opened or read, or a file
    /// cannot be `lstat`ed.
    pub fn record(root: &Path) -> Result<Baseline> {
        let fd = source::open_root(root)?;
        let mut recorder = Recorder {
            root,
            baseline: Baseline::default(),
        };
        walk(root, fd, &mut recorder)?;
        Ok(recorder.baseline)
    }

    /// How many files are recorded.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether no file is recorded (an empty root).
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// Whether `path` (relative to the root) is recorded.
    pub fn contains(&self, path: &Path) -> bool {
        self.records.contains_key(path.as_os_str().as_bytes())
    }

    /// The recorded paths, relative to the root, in byte order.
    pub fn paths(&self) -> impl Iterator<Item = &Path> {
        self.records.keys().map(|k| Path::new(OsStr::from_bytes(k)))
    }

    /// Writes the baseline in the format described on [`Baseline`].
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when `out` fails, [`Error::Unrepresentable`] for a
    /// path longer than 65535 bytes.
    pub fn write_to(&self, out: impl Write) -> Result<()> {
        let mut out = HashedWriter {
            inner: BufWriter::new(out),
            digester: Digester::sha256(),
        };
        let fail = |source| Error::Io {
            action: "write the baseline to",
            path: PathBuf::from("(output)"),
            source,
        };
        out.put(MAGIC).map_err(fail)?;
        out.put(&VERSION.to_le_bytes()).map_err(fail)?;
        out.put(&(self.records.len() as u64).to_le_bytes())
            .map_err(fail)?;
        for (path, r) in &self.records {
            let len = u16::try_from(path.len()).map_err(|_| Error::Unrepresentable {
                path: PathBuf::from(OsStr::from_bytes(path)),
                reason: format!(
                    "a baseline records paths of up to {MAX_PATH} bytes, this one has {}",
                    path.len()
                ),
            })?;
            let mut rec = Vec::with_capacity(path.len() + 64);
            rec.extend_from_slice(&len.to_le_bytes());
            rec.extend_from_slice(path);
            rec.push(kind_code(r.kind));
            for v in [r.mode, r.uid, r.gid] {
                rec.extend_from_slice(&v.to_le_bytes());
            }
            rec.extend_from_slice(&r.ino.to_le_bytes());
            rec.extend_from_slice(&r.size.to_le_bytes());
            for (s, ns) in [r.mtime, r.ctime] {
                rec.extend_from_slice(&s.to_le_bytes());
                rec.extend_from_slice(&ns.to_le_bytes());
            }
            out.put(&rec).map_err(fail)?;
        }
        let HashedWriter {
            mut inner,
            digester,
        } = out;
        inner
            .write_all(digester.finish().encoded().as_bytes())
            .map_err(fail)?;
        inner.flush().map_err(fail)
    }

    /// Reads a baseline written by [`Baseline::write_to`].
    ///
    /// # Errors
    ///
    /// [`Error::BadBaseline`] for anything but a valid version-1 file
    /// (naming the byte offset and what was wrong), [`Error::Io`] when
    /// reading fails.
    pub fn read_from(input: impl Read) -> Result<Baseline> {
        let mut r = Parser {
            inner: BufReader::new(input),
            digester: Digester::sha256(),
            offset: 0,
        };
        let magic: [u8; 8] = r.array()?;
        if &magic != MAGIC {
            return Err(r.bad(
                0,
                "not a baseline file (the magic bytes are not \"OCIBASE\\n\")".into(),
            ));
        }
        let version = u32::from_le_bytes(r.array()?);
        if version != VERSION {
            return Err(r.bad(
                8,
                format!("version {version} is not supported (expected {VERSION})"),
            ));
        }
        let count = u64::from_le_bytes(r.array()?);
        let mut records: BTreeMap<Vec<u8>, Record> = BTreeMap::new();
        for index in 0..count {
            let at = r.offset;
            let len = usize::from(u16::from_le_bytes(r.array()?));
            if len == 0 {
                return Err(r.bad(at, format!("record {index}: the path is empty")));
            }
            let path = r.bytes(len)?;
            if let Some(reason) = path_problem(&path) {
                return Err(r.bad(
                    at,
                    format!(
                        "record {index}: path {:?} {reason}",
                        String::from_utf8_lossy(&path)
                    ),
                ));
            }
            if let Some((last, _)) = records.last_key_value()
                && last.as_slice() >= path.as_slice()
            {
                return Err(r.bad(
                    at,
                    format!(
                        "record {index}: path {:?} is out of order or repeated",
                        String::from_utf8_lossy(&path)
                    ),
                ));
            }
            if let Some(slash) = path.iter().rposition(|&b| b == b'/') {
                let parent = &path[..slash];
                if records
                    .get(parent)
                    .is_none_or(|p| p.kind != FileType::Directory)
                {
                    return Err(r.bad(
                        at,
                        format!(
                            "record {index}: the parent of {:?} is not a recorded directory",
                            String::from_utf8_lossy(&path)
                        ),
                    ));
                }
            }
            let [code]: [u8; 1] = r.array()?;
            let Some(kind) = kind_from_code(code) else {
                return Err(r.bad(at, format!("record {index}: unknown file kind {code}")));
            };
            let mode = u32::from_le_bytes(r.array()?);
            if mode > 0o7777 {
                return Err(r.bad(
                    at,
                    format!("record {index}: mode {mode:o} has bits beyond 0o7777"),
                ));
            }
            let uid = u32::from_le_bytes(r.array()?);
            let gid = u32::from_le_bytes(r.array()?);
            let ino = u64::from_le_bytes(r.array()?);
            let size = u64::from_le_bytes(r.array()?);
            let mut times = [(0i64, 0u32); 2];
            for t in &mut times {
                let secs = i64::from_le_bytes(r.array()?);
                let nsec = u32::from_le_bytes(r.array()?);
                if nsec >= 1_000_000_000 {
                    return Err(r.bad(
                        at,
                        format!("record {index}: {nsec} nanoseconds is not below one second"),
                    ));
                }
                *t = (secs, nsec);
            }
            let record = Record {
                kind,
                mode,
                uid,
                gid,
                ino,
                size,
                mtime: times[0],
                ctime: times[1],
            };
            records.insert(path, record);
        }
        let at = r.offset;
        let Parser {
            mut inner,
            digester,
            ..
        } = r;
        let mut trailer = [0u8; 64];
        inner
            .read_exact(&mut trailer)
            .map_err(|e| read_error(at, e))?;
        if digester.finish().encoded().as_bytes() != trailer {
            return Err(Error::BadBaseline {
                offset: at,
                reason: "the checksum does not match the content (a damaged or edited file)".into(),
            });
        }
        let mut extra = [0u8; 1];
        match inner.read(&mut extra) {
            Ok(0) => Ok(Baseline { records }),
            Ok(_) => Err(Error::BadBaseline {
                offset: at + 64,
                reason: "bytes after the checksum".into(),
            }),
            Err(e) => Err(read_error(at + 64, e)),
        }
    }

    /// Writes the baseline to `path` atomically: a temporary file beside
    /// it, fsynced, renamed over `path`, then the directory fsynced.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] naming the step that failed; `path` is unchanged then.
    pub fn save(&self, path: &Path) -> Result<()> {
        // 0666 less the umask, as a plain create would give.
        let file = ocikit_layout::AtomicFile::create(path)?;
        self.write_to(file.file())?;
        Ok(file.commit()?)
    }

    /// Reads the baseline saved at `path`.
    ///
    /// # Errors
    ///
    /// As [`Baseline::read_from`]; [`Error::Io`] when `path` cannot be
    /// opened.
    pub fn load(path: &Path) -> Result<Baseline> {
        let file = fs::File::open(path).map_err(|source| Error::Io {
            action: "open the baseline",
            path: path.into(),
            source,
        })?;
        Baseline::read_from(file)
    }
}

/// The walk of [`Baseline::record`]: one `lstat` per file, and the
/// directory's own `fstat` for each directory entered.
struct Recorder<'a> {
    root: &'a Path,
    baseline: Baseline,
}

impl Visitor for Recorder<'_> {
    fn visit(&mut self, dir: BorrowedFd<'_>, name: &[u8], rel: &[u8]) -> Result<Option<OwnedFd>> {
        let path = source::host_path(self.root, rel);
        let meta = source::lstat_at(dir, name, &path)?;
        let records = &mut self.baseline.records;
        match meta.kind {
            FileType::Socket | FileType::Unknown => Ok(None),
            FileType::Directory => {
                let fd = source::open_at(dir, name, true, &path)?;
                // The directory's own fstat: the one we walk.
                let meta = source::fstat(&fd, &path)?;
                records.insert(rel.to_vec(), Record::from_meta(&meta));
                Ok(Some(fd))
            }
            _ => {
                records.insert(rel.to_vec(), Record::from_meta(&meta));
                Ok(None)
            }
        }
    }
}

/// Why `path` cannot be a recorded path, if it cannot.
fn path_problem(path: &[u8]) -> Option<&'static str> {
    if path.contains(&0) {
        return Some("holds a NUL byte");
    }
    if path
        .split(|&b| b == b'/')
        .any(|part| part.is_empty() || part == b"." || part == b"..")
    {
        return Some("is not a clean relative path (an empty, \".\" or \"..\" part)");
    }
    None
}

fn read_error(offset: u64, e: io::Error) -> Error {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        Error::BadBaseline {
            offset,
            reason: "the file ends in the middle of a record (truncated)".into(),
        }
    } else {
        Error::Io {
            action: "read the baseline",
            path: PathBuf::from("(input)"),
            source: e,
        }
    }
}

struct HashedWriter<W: Write> {
    inner: W,
    digester: Digester,
}

impl<W: Write> HashedWriter<W> {
    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.digester.update(bytes);
        self.inner.write_all(bytes)
    }
}

struct Parser<R: Read> {
    inner: R,
    digester: Digester,
    offset: u64,
}

impl<R: Read> Parser<R> {
    fn array<const N: usize>(&mut self) -> Result<[u8; N]> {
        let mut buf = [0u8; N];
        self.inner
            .read_exact(&mut buf)
            .map_err(|e| read_error(self.offset, e))?;
        self.digester.update(&buf);
        self.offset += N as u64;
        Ok(buf)
    }

    fn bytes(&mut self, len: usize) -> Result<Vec<u8>> {
        let mut buf = vec![0u8; len];
        self.inner
            .read_exact(&mut buf)
            .map_err(|e| read_error(self.offset, e))?;
        self.digester.update(&buf);
        self.offset += len as u64;
        Ok(buf)
    }

    fn bad(&self, offset: u64, reason: String) -> Error {
        Error::BadBaseline { offset, reason }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn sample() -> Baseline {
        let tmp = tempfile::tempdir().unwrap();
        fs::create_dir_all(tmp.path().join("a/b")).unwrap();
        fs::write(tmp.path().join("a/b/f"), b"12345").unwrap();
        fs::write(tmp.path().join("a-z"), b"").unwrap();
        std::os::unix::fs::symlink("a", tmp.path().join("s")).unwrap();
        Baseline::record(tmp.path()).unwrap()
    }

    #[test]
    fn records_every_file_sorted() {
        let b = sample();
        let paths: Vec<_> = b
            .paths()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        assert_eq!(paths, ["a", "a-z", "a/b", "a/b/f", "s"]);
        assert_eq!(b.records[&b"a/b/f"[..]].size, 5);
        assert_eq!(b.records[&b"s"[..]].kind, FileType::Symlink);
    }

    #[test]
    fn round_trips_and_is_deterministic() {
        let b = sample();
        let mut one = Vec::new();
        b.write_to(&mut one).unwrap();
        let mut two = Vec::new();
        b.write_to(&mut two).unwrap();
        assert_eq!(one, two);
        assert_eq!(Baseline::read_from(&one[..]).unwrap(), b);

        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("baseline");
        b.save(&path).unwrap();
        b.save(&path).unwrap();
        assert_eq!(fs::read(&path).unwrap(), one);
        assert_eq!(Baseline::load(&path).unwrap(), b);
        assert_eq!(
            fs::read_dir(tmp.path()).unwrap().count(),
            1,
            "no temporary file left"
        );
    }

    #[test]
    fn garbage_is_a_typed_error_never_a_panic() {
        let b = sample();
        let mut good = Vec::new();
        b.write_to(&mut good).unwrap();
        // Every truncation, and every single-byte change, is refused.
        for len in 0..good.len() {
            let err = Baseline::read_from(&good[..len]).unwrap_err();
            assert!(matches!(err, Error::BadBaseline { .. }), "{len}: {err}");
        }
        for at in 0..good.len() {
            let mut bad = good.clone();
            bad[at] ^= 0x41;
            assert!(
                matches!(
                    Baseline::read_from(&bad[..]),
                    Err(Error::BadBaseline { .. })
                ),
                "byte {at}"
            );
        }
        let mut longer = good.clone();
        longer.push(b'\n');
        let err = Baseline::read_from(&longer[..]).unwrap_err();
        assert!(err.to_string().contains("after the checksum"), "{err}");
        // A huge claimed count allocates nothing up front.
        let mut huge = MAGIC.to_vec();
        huge.extend_from_slice(&1u32.to_le_bytes());
        huge.extend_from_slice(&u64::MAX.to_le_bytes());
        let err = Baseline::read_from(&huge[..]).unwrap_err();
        assert!(err.to_string().contains("truncated"), "{err}");
    }
}
