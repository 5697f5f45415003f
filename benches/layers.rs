//! Layer benchmarks on a synthetic layer shaped like a small root
//! filesystem (3,000 files from 0 B to 256 KiB in 300 directories, with
//! symlinks and hardlinks, about 40 MiB), on a tmpfs (`/dev/shm` when there
//! is one: on this machine's unjournaled ext4, creating files where a tree
//! was just deleted is ten times slower):
//!
//! - apply onto an empty directory, uncompressed and from a gzip blob;
//! - build of the applied tree into a tar (no compression) and into a
//!   gzip blob;
//! - baseline record, and the diff of the tree after one file changed.
//!
//! `cargo bench --bench layers`
#![allow(missing_docs)] // criterion's macros generate undocumented functions

use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ocikit_convert::{ApplyOptions, Baseline, BuildOptions, apply_layer, apply_tar};
use ocikit_layout::Layout;
use ocikit_layout::codec::Codec;

/// The synthetic layer, deterministic (xorshift64 from a fixed seed).
fn layer() -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let header = |kind: tar::EntryType, size: u64, mode: u32| {
        let mut h = tar::Header::new_ustar();
        h.set_entry_type(kind);
        h.set_size(size);
        h.set_mode(mode);
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(1_700_000_000);
        h
    };
    for d in 0..300 {
        let dir = format!("usr/lib/pkg{d}/");
        builder
            .append_data(
                &mut header(tar::EntryType::Directory, 0, 0o755),
                &dir,
                &[][..],
            )
            .expect("dir");
        for f in 0..10 {
            // Mostly small files, a few large ones, as in a real root.
            let size = match next() % 100 {
                0..=59 => next() % 4096,
                60..=94 => next() % 32768,
                _ => next() % (256 << 10),
            } as usize;
            let data: Vec<u8> = (0..size).map(|i| (i as u8) ^ (d as u8)).collect();
            let name = format!("{dir}file{f}");
            builder
                .append_data(
                    &mut header(tar::EntryType::Regular, size as u64, 0o644),
                    &name,
                    &data[..],
                )
                .expect("file");
        }
        let mut link = header(tar::EntryType::Symlink, 0, 0o777);
        builder
            .append_link(&mut link, format!("{dir}link"), "file0")
            .expect("symlink");
        let mut hard = header(tar::EntryType::Link, 0, 0o644);
        builder
            .append_link(&mut hard, format!("{dir}hard"), format!("{dir}file1"))
            .expect("hardlink");
    }
    builder.into_inner().expect("tar")
}

fn scratch() -> PathBuf {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    }
}

fn benches(c: &mut Criterion) {
    let tar = layer();
    let base = tempfile::tempdir_in(scratch()).expect("scratch dir");
    let layout = Layout::init(base.path().join("layout")).expect("layout");
    let stored = layout
        .put_layer(&tar[..], Codec::gzip())
        .expect("gzip layer");
    let options = ApplyOptions {
        rootless: false,
        ..ApplyOptions::default()
    };
    let mut round = 0u64;
    let mut fresh_root = || {
        round += 1;
        let root = base.path().join(format!("root{round}"));
        std::fs::create_dir(&root).expect("root");
        root
    };

    let mut group = c.benchmark_group("apply");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(tar.len() as u64));
    group.bench_function("tar", |b| {
        b.iter_batched(
            &mut fresh_root,
            |root| {
                let applied = apply_tar(&root, &tar[..], &options).expect("applies");
                assert_eq!(applied.entries, 300 * 13);
                root
            },
            criterion::BatchSize::PerIteration,
        )
    });
    group.bench_function("gzip blob with diff_id check", |b| {
        b.iter_batched(
            &mut fresh_root,
            |root| {
                apply_layer(
                    &layout,
                    &stored.descriptor,
                    Some(&stored.diff_id),
                    &root,
                    &options,
                )
                .expect("applies");
                root
            },
            criterion::BatchSize::PerIteration,
        )
    });
    group.finish();

    let tree = fresh_root();
    apply_tar(&tree, &tar[..], &options).expect("applies");
    let build = BuildOptions::default();
    let mut group = c.benchmark_group("build");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(tar.len() as u64));
    group.bench_function("tar", |b| {
        b.iter(|| {
            let stats =
                ocikit_convert::write_layer_tar(&tree, std::io::sink(), &build).expect("builds");
            assert_eq!(stats.entries, 300 * 13 + 2); // and usr/, usr/lib/
        })
    });
    group.bench_function("gzip blob", |b| {
        b.iter(|| {
            ocikit_convert::build_layer(&layout, &tree, Codec::gzip(), &build).expect("builds")
        })
    });
    group.finish();

    let mut group = c.benchmark_group("diff");
    group.sample_size(10);
    group.bench_function("baseline record", |b| {
        b.iter(|| Baseline::record(&tree).expect("records"))
    });
    let baseline = Baseline::record(&tree).expect("records");
    std::fs::write(tree.join("usr/lib/pkg7/file3"), b"changed").expect("change");
    group.bench_function("diff after one change", |b| {
        b.iter(|| {
            let changes = ocikit_convert::diff(&tree, &baseline).expect("diffs");
            assert_eq!(changes.modified.len(), 1);
        })
    });
    group.finish();
}

criterion_group!(layers, benches);
criterion_main!(layers);
