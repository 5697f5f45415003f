//! Blob store throughput: `put_blob` of a 64 MiB file (hash, write to a
//! temporary file, fsync, rename) against `sha256sum` of the same file,
//! which only hashes. Both read from the same file on a tmpfs when one is
//! available (`/dev/shm`), so the figures compare CPU work, not the disk.
//!
//! `cargo bench --bench layout`
#![allow(missing_docs)] // criterion's macros generate undocumented functions
#![allow(clippy::unwrap_used)] // a benchmark with broken inputs must stop

use std::fs::File;
use std::path::PathBuf;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ocikit_image::MediaType;
use ocikit_layout::Layout;
use ocikit_test_support::peers;

const SIZE: usize = 64 << 20;

/// A scratch directory on a tmpfs when there is one.
fn scratch() -> tempfile::TempDir {
    let shm = PathBuf::from("/dev/shm");
    if shm.is_dir() {
        tempfile::tempdir_in(shm).unwrap()
    } else {
        tempfile::tempdir().unwrap()
    }
}

fn content() -> Vec<u8> {
    // Incompressible-looking bytes (xorshift), so no layer of the stack can
    // take a shortcut on repeated data.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    (0..SIZE)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

fn put_blob(c: &mut Criterion) {
    let dir = scratch();
    let file = dir.path().join("input");
    std::fs::write(&file, content()).unwrap();
    let layout = Layout::init(dir.path().join("layout")).unwrap();

    let mut group = c.benchmark_group("put_blob_64MiB");
    group.throughput(Throughput::Bytes(SIZE as u64));
    group.sample_size(10);
    group.bench_function("oci_layout_put_blob", |b| {
        b.iter(|| {
            let d = layout
                .put_blob(MediaType::ImageLayer, File::open(&file).unwrap())
                .unwrap();
            // Remove it, so every iteration writes a new blob rather than
            // finding it there already.
            layout.remove_blob(&d.digest).unwrap();
        })
    });
    if peers::require_tool("sha256sum") {
        group.bench_function("sha256sum", |b| {
            b.iter(|| peers::run(peers::command("sha256sum").arg(&file)))
        });
    }
    group.finish();
}

criterion_group!(benches, put_blob);
criterion_main!(benches);
