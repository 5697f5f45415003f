//! Resource bombs through `apply_layer` with the default [`Limits`]: a
//! gzip and a zstd bomb (10 GiB of zeros in a blob of a few MiB or KiB), a
//! layer of a million empty entries, and layer descriptors with absurd
//! sizes. Each must end with our typed error, naming the limit or digest
//! and what was expected.
//!
//! The bounds are enforced by the kernel, not measured on a clock: each
//! test runs again alone in a child process (this binary, re-executed)
//! that lowers its own `RLIMIT_AS` to `bounds::AS_LIMIT` of
//! ocikit-test-support (1 GiB of address space) before doing anything, and `RLIMIT_CPU` to [`CPU_LIMIT`] (60 s of CPU
//! time) past what building its input used, just before the operation
//! under test. A bomb that allocates past the bound aborts the child
//! (SIGABRT), one that spins past it gets SIGXCPU; the parent asserts that
//! the child exited normally after its assertions passed, never by a
//! signal. Each child prints its peak resident size (`VmHWM`).

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::io::{Read, Write};

use ocikit_convert::{ApplyOptions, Error, Limits};
use ocikit_image::{Descriptor, Digest, MediaType};
use ocikit_layout::Layout;
use ocikit_layout::codec::{Codec, Decoder, Encoder};
use ocikit_test_support::bounds::{self, report_usage, start_cpu_bound};

/// The CPU time a child may use, in seconds (SIGXCPU at this soft limit,
/// SIGKILL ten seconds later).
const CPU_LIMIT: u64 = 60;

/// This test again, alone, in a bounded child (see `bounds`); the CPU
/// bound is set by each test with [`start_cpu_bound`].
fn bounded() -> bool {
    bounds::bounded(None)
}

/// The error inside an [`Error::InLayer`], or `err` itself.
fn innermost(err: Error) -> Error {
    match err {
        Error::InLayer { source, .. } => innermost(*source),
        other => other,
    }
}

/// Applies `layer` of `layout` into a fresh root with the default limits
/// (as root, or rootless when the tests are not root), and returns the
/// error it must end with, and the root.
fn apply_expecting_error(layout: &Layout, layer: &Descriptor) -> (Error, tempfile::TempDir) {
    let root = tempfile::tempdir().unwrap();
    let options = ApplyOptions::default();
    assert_eq!(options.limits, Limits::default());
    match ocikit_convert::apply_layer(layout, layer, None, root.path(), &options) {
        Ok(applied) => panic!("the layer {} applied: {applied:?}", layer.digest),
        Err(err) => (innermost(err), root),
    }
}

/// The size of the uncompressed bombs: 10 GiB of zeros.
const BOMB_BYTES: u64 = 10 << 30;
/// Zeros per compressed member (gzip) or frame (zstd); the bomb repeats
/// one member, as gzip and zstd both allow a stream of several.
const MEMBER_BYTES: u64 = 8 << 20;

/// `write` compressed by `codec` into memory.
fn compressed(codec: Codec, write: impl FnOnce(&mut Encoder<Vec<u8>>)) -> Vec<u8> {
    let mut encoder = Encoder::new(Vec::new(), codec).unwrap();
    write(&mut encoder);
    encoder.finish().unwrap().0
}

/// Stores a bomb compressed by `codec`, streaming it into the blob: one
/// tar entry `zeros` of [`BOMB_BYTES`] zero bytes (a GNU header, since
/// ustar sizes stop below 8 GiB), then the end-of-archive blocks. Returns
/// its descriptor.
fn store_bomb(layout: &Layout, codec: Codec) -> Descriptor {
    let mut header = tar::Header::new_gnu();
    header.set_path("zeros").unwrap();
    header.set_size(BOMB_BYTES);
    header.set_mode(0o644);
    header.set_mtime(0);
    header.set_entry_type(tar::EntryType::Regular);
    header.set_cksum();
    let head = compressed(codec, |e| e.write_all(header.as_bytes()).unwrap());
    let zeros = compressed(codec, |e| {
        let chunk = vec![0u8; 1 << 20];
        for _ in 0..MEMBER_BYTES / chunk.len() as u64 {
            e.write_all(&chunk).unwrap();
        }
    });
    let tail = compressed(codec, |e| e.write_all(&[0u8; 1024]).unwrap());
    // One member holds what it says (checked with our decoder here; the
    // peer tools agree in ocikit-layout's codec tests).
    let mut decoded = Decoder::new(&zeros[..], codec.compression()).unwrap();
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = decoded.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        assert!(buf[..n].iter().all(|&b| b == 0));
        total += n as u64;
    }
    assert_eq!(total, MEMBER_BYTES);

    let mut writer = layout.blob_writer().unwrap();
    writer.write_all(&head).unwrap();
    for _ in 0..BOMB_BYTES / MEMBER_BYTES {
        writer.write_all(&zeros).unwrap();
    }
    writer.write_all(&tail).unwrap();
    writer
        .commit()
        .unwrap()
        .descriptor(codec.layer_media_type())
}

/// A bomb of `codec` ends at the expansion-ratio limit, having written no
/// more than about 30 MiB of its 10 GiB.
fn bomb_stops_at_the_ratio(codec: Codec, max_blob: u64) {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::init(dir.path().join("l")).unwrap();
    let bomb = store_bomb(&layout, codec);
    let blob = bomb.size_u64().unwrap();
    assert!(
        blob < max_blob,
        "{codec:?}: the bomb is {blob} bytes, expected under {max_blob}"
    );
    eprintln!(
        "bounds: {codec:?} bomb of {blob} bytes for {BOMB_BYTES} bytes of zeros (ratio {})",
        BOMB_BYTES / blob
    );
    let start = start_cpu_bound(CPU_LIMIT);
    let (err, root) = apply_expecting_error(&layout, &bomb);
    let msg = err.to_string();
    assert!(
        matches!(
            err,
            Error::LimitExceeded {
                field: "max_expansion_ratio",
                limit: 200,
                ..
            }
        ),
        "{codec:?}: expected the expansion-ratio limit, got {err:?}"
    );
    assert_eq!(
        msg,
        "the expansion ratio (uncompressed bytes per compressed byte) exceeds the limit of 200 \
         (raise Limits::max_expansion_ratio to accept it)"
    );
    let written = std::fs::symlink_metadata(root.path().join("zeros"))
        .map(|m| m.len())
        .unwrap_or(0);
    // The ratio is checked from the default grace of 16 MiB on, against
    // the compressed bytes the decoder has taken in, buffer included:
    // zstd's input buffer of 128 KiB lets 200 times that (25 MiB) through
    // first. A few MiB more for the writer's buffers.
    let bound: u64 = 30 << 20;
    assert!(
        written <= bound,
        "{codec:?}: {written} bytes of zeros were written, expected at most {bound}"
    );
    eprintln!("bounds: {codec:?} bomb stopped after {written} bytes were written");
    report_usage(start);
}

/// A gzip bomb (10 GiB of zeros in about 10 MiB: deflate's ratio tops out
/// near 1030) ends with [`Error::LimitExceeded`] for `max_expansion_ratio`.
/// Bounds: 1 GiB of address space, 60 s of CPU.
#[test]
fn a_gzip_bomb_stops_at_the_expansion_ratio() {
    if bounded() {
        bomb_stops_at_the_ratio(
            Codec::Gzip {
                level: 9,
                workers: 0,
            },
            12 << 20,
        );
    }
}

/// A zstd bomb (10 GiB of zeros in well under 1 MiB) ends with
/// [`Error::LimitExceeded`] for `max_expansion_ratio`. Bounds: 1 GiB of
/// address space, 60 s of CPU.
#[test]
fn a_zstd_bomb_stops_at_the_expansion_ratio() {
    if bounded() {
        bomb_stops_at_the_ratio(Codec::zstd(), 1 << 20);
    }
}

/// The CPU bound of applying a million empty files, in seconds: each
/// costs a few system calls (create, owner, mode, times), 100 to 200 µs of
/// CPU in a debug build.
const MANY_ENTRIES_CPU_LIMIT: u64 = 600;

/// Entries in the million-entry layer: 1,000 directories and 999,000 empty
/// files in them.
const ENTRIES: u64 = 1_000_000;
const DIRS: u64 = 1_000;

/// A tar of [`ENTRIES`] empty entries, produced block by block as it is
/// read (never whole in memory): `dNNN/` directories, each followed by its
/// 999 empty files `dNNN/fNNN`.
struct ManyEntries {
    next: u64,
    block: Vec<u8>,
    at: usize,
    /// Whiteouts of names that are not there instead of files and
    /// directories: entries that cost no file-system work.
    whiteouts: bool,
}

impl ManyEntries {
    fn new(whiteouts: bool) -> ManyEntries {
        ManyEntries {
            next: 0,
            block: Vec::new(),
            at: 0,
            whiteouts,
        }
    }

    fn header(&self, i: u64) -> [u8; 512] {
        let per_dir = ENTRIES / DIRS;
        let (dir, file) = (i / per_dir, i % per_dir);
        let mut header = tar::Header::new_ustar();
        if self.whiteouts {
            header
                .set_path(format!("d{dir:03}/.wh.f{file:03}"))
                .unwrap();
            header.set_entry_type(tar::EntryType::Regular);
            header.set_mode(0o644);
        } else if file == 0 {
            header.set_path(format!("d{dir:03}/")).unwrap();
            header.set_entry_type(tar::EntryType::Directory);
            header.set_mode(0o755);
        } else {
            header.set_path(format!("d{dir:03}/f{file:03}")).unwrap();
            header.set_entry_type(tar::EntryType::Regular);
            header.set_mode(0o644);
        }
        header.set_size(0);
        header.set_mtime(0);
        header.set_cksum();
        *header.as_bytes()
    }
}

impl Read for ManyEntries {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.block.len() {
            self.block.clear();
            self.at = 0;
            // 256 headers at a time; then the two end-of-archive blocks.
            while self.next < ENTRIES && self.block.len() < 512 * 256 {
                let header = self.header(self.next);
                self.block.extend_from_slice(&header);
                self.next += 1;
            }
            if self.block.is_empty() && self.next == ENTRIES {
                self.block.extend_from_slice(&[0u8; 1024]);
                self.next += 1;
            }
        }
        let n = buf.len().min(self.block.len() - self.at);
        buf[..n].copy_from_slice(&self.block[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// A layer of a million empty entries, whiteouts of names that are not
/// there (no file-system work each), ends with [`Error::LimitExceeded`] for
/// `max_entries` at its last entry (the default limit is 999,999) with
/// nothing written. Bounds: 1 GiB of address space, 120 s of CPU (it takes
/// about 26 s in a debug build: reading, hashing and parsing 512 MB of
/// headers).
#[test]
fn a_million_empty_entries_stop_at_max_entries() {
    if bounded() {
        million_entries(true, 2 * CPU_LIMIT);
    }
}

/// The same with a million real entries, 1,000 directories and 999,000
/// empty files: the limit stops it at the millionth, after the 999,999
/// before it were written. Ignored by default for its cost: in a debug
/// build about 100 s of CPU on a quiet machine, twice that on a busy one
/// (peak resident size 160 MB). Bounds: 1 GiB of address space,
/// [`MANY_ENTRIES_CPU_LIMIT`] (600 s) of CPU.
#[test]
#[ignore = "slow: a million files written, minutes of CPU in a debug build"]
fn a_million_empty_files_stop_at_max_entries() {
    if bounded() {
        million_entries(false, MANY_ENTRIES_CPU_LIMIT);
    }
}

fn million_entries(whiteouts: bool, cpu_limit: u64) {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::init(dir.path().join("l")).unwrap();
    let stored = layout
        .put_layer(
            ManyEntries::new(whiteouts),
            Codec::Zstd {
                level: 1,
                workers: 0,
            },
        )
        .unwrap();
    assert_eq!(stored.uncompressed_size, ENTRIES * 512 + 1024);
    eprintln!(
        "bounds: {ENTRIES} entries, {} bytes of tar in a {}-byte zstd blob",
        stored.uncompressed_size, stored.descriptor.size
    );
    let start = start_cpu_bound(cpu_limit);
    let (err, root) = apply_expecting_error(&layout, &stored.descriptor);
    assert!(
        matches!(
            err,
            Error::LimitExceeded {
                field: "max_entries",
                limit: 999_999,
                ..
            }
        ),
        "expected the entry limit, got {err:?}"
    );
    assert_eq!(
        err.to_string(),
        "the number of tar entries exceeds the limit of 999999 \
         (raise Limits::max_entries to accept it)"
    );
    if whiteouts {
        assert!(std::fs::read_dir(root.path()).unwrap().next().is_none());
    } else {
        // The limit stops the layer at its millionth entry: the last file
        // is not there, the one before it is.
        assert!(root.path().join("d999/f998").is_file());
        assert!(!root.path().join("d999/f999").exists());
    }
    report_usage(start);
}

/// A layer descriptor whose size is absurd (2^62 bytes, `i64::MAX`) over a
/// real small blob: apply ends at once with the size mismatch, naming the
/// digest and both sizes, having allocated nothing by that size. Bounds:
/// 1 GiB of address space, 60 s of CPU.
#[test]
fn a_layer_descriptor_with_a_huge_size_is_refused_by_name() {
    if !bounded() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::init(dir.path().join("l")).unwrap();
    let tar = {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_ustar();
        h.set_size(2);
        h.set_mode(0o644);
        h.set_mtime(0);
        b.append_data(&mut h, "f", &b"hi"[..]).unwrap();
        b.into_inner().unwrap()
    };
    let real = layout.put_layer(&tar[..], Codec::gzip()).unwrap();
    let actual = real.descriptor.size_u64().unwrap();
    let start = start_cpu_bound(CPU_LIMIT);
    for size in [1i64 << 62, i64::MAX] {
        let mut huge = real.descriptor.clone();
        huge.size = size;
        let (err, root) = apply_expecting_error(&layout, &huge);
        let msg = err.to_string();
        assert!(
            matches!(err, Error::Layout(ocikit_layout::Error::Verify(_))),
            "size {size}: expected a size mismatch, got {err:?}"
        );
        for part in [
            real.descriptor.digest.to_string(),
            size.to_string(),
            actual.to_string(),
        ] {
            assert!(
                msg.contains(&part),
                "size {size}: {msg:?} should name {part}"
            );
        }
        assert!(std::fs::read_dir(root.path()).unwrap().next().is_none());
    }
    // A blob that is not there at all, whatever its size, is named too.
    let missing = Descriptor::new(
        MediaType::ImageLayerGzip,
        Digest::sha256(b"not stored"),
        i64::MAX,
    );
    let (err, _) = apply_expecting_error(&layout, &missing);
    assert_eq!(
        err.to_string(),
        format!("blob {} is not in the layout", missing.digest)
    );
    report_usage(start);
}

/// The bombs' 10 GiB entry has a GNU base-256 size (ustar's octal field
/// ends below 8 GiB): such a header, here for a 3-byte file, is read, not
/// refused as "not a number" (it was, before the PAX record scan learned
/// to leave the entry's own header to the tar reader).
#[test]
fn a_gnu_base_256_size_is_read() {
    let mut header = tar::Header::new_gnu();
    header.set_path("big").unwrap();
    header.set_mode(0o644);
    header.set_mtime(0);
    header.set_entry_type(tar::EntryType::Regular);
    let field = &mut header.as_old_mut().size;
    field.fill(0);
    field[0] = 0x80; // base-256, big-endian
    field[11] = 3;
    header.set_cksum();
    assert_eq!(header.size().unwrap(), 3);
    let mut tar = header.as_bytes().to_vec();
    tar.extend_from_slice(b"abc");
    tar.resize(1024 + 1024, 0);
    let root = tempfile::tempdir().unwrap();
    ocikit_convert::apply_tar(root.path(), &tar[..], &ApplyOptions::default()).unwrap();
    assert_eq!(std::fs::read(root.path().join("big")).unwrap(), b"abc");
}
