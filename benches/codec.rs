//! Layer codec benchmarks: compress and decompress 16 MiB of
//! semi-compressible data (random runs between text-like runs, about 60%
//! of its size under gzip) with gzip at the default level and zstd at
//! level 3, in the calling thread, with 1 worker and with one worker per
//! CPU (`Codec::parallel`, at most 4). Each compression also
//! hashes the uncompressed and the compressed bytes (diff_id and blob
//! digest), as building a layer does.
//!
//! `cargo bench --bench codec`
#![allow(missing_docs)] // criterion's macros generate undocumented functions

use std::hint::black_box;
use std::io::{self, Read};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ocikit_image::{Algorithm, Digest};
use ocikit_layout::codec::{self, Codec, Decoder};

const SIZE: usize = 16 << 20;

/// 16 MiB alternating 40 KiB of xorshift64 output with 24 KiB of lines
/// such as a layer's file list or text files hold.
fn data() -> Vec<u8> {
    let mut out = Vec::with_capacity(SIZE + (64 << 10));
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut i = 0u32;
    while out.len() < SIZE {
        for _ in 0..(40 * 1024 / 8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            out.extend_from_slice(&x.to_le_bytes());
        }
        let text_end = out.len() + 24 * 1024;
        while out.len() < text_end {
            out.extend_from_slice(
                format!("usr/share/doc/package-{i}/copyright\t0644\troot:root\n").as_bytes(),
            );
            i += 1;
        }
    }
    out.truncate(SIZE);
    out
}

fn compress(data: &[u8], codec: Codec) -> Vec<u8> {
    let (blob, layer) = codec::compress(data, Vec::with_capacity(SIZE), codec, &Algorithm::Sha256)
        .expect("compresses");
    assert_eq!(layer.stats.uncompressed_size, SIZE as u64);
    blob
}

fn decompress_to_sink(blob: &[u8], codec: Codec) -> u64 {
    let mut decoder = Decoder::new(blob, codec.compression()).expect("decoder");
    io::copy(&mut decoder, &mut io::sink()).expect("decompresses")
}

fn benches(c: &mut Criterion) {
    let data = data();
    let diff_id = Digest::sha256(&data);
    let codecs = [
        ("gzip-6", Codec::gzip()),
        ("zstd-3", Codec::zstd()),
        ("gzip-6-1-worker", Codec::gzip().with_workers(1)),
        ("gzip-6-parallel", Codec::gzip().parallel()),
        ("zstd-3-1-worker", Codec::zstd().with_workers(1)),
        ("zstd-3-parallel", Codec::zstd().parallel()),
    ];

    let mut group = c.benchmark_group("compress-16MiB");
    group.throughput(Throughput::Bytes(SIZE as u64));
    group.sample_size(10);
    for (name, codec) in codecs {
        // The input is what the benchmark claims: it round-trips and is
        // neither incompressible nor trivially compressible.
        let blob = compress(&data, codec);
        assert!(
            blob.len() > SIZE / 3 && blob.len() < SIZE * 9 / 10,
            "{name}: {} bytes",
            blob.len()
        );
        let mut back = Vec::new();
        Decoder::new(&blob[..], codec.compression())
            .expect("decoder")
            .read_to_end(&mut back)
            .expect("decompresses");
        assert!(Digest::sha256(&back) == diff_id, "{name}: round trip");
        group.bench_function(name, |b| b.iter(|| compress(black_box(&data), codec)));
    }
    group.finish();

    let mut group = c.benchmark_group("decompress-16MiB");
    group.throughput(Throughput::Bytes(SIZE as u64));
    group.sample_size(10);
    for (name, codec) in &codecs[..2] {
        let blob = compress(&data, *codec);
        group.bench_function(*name, |b| {
            b.iter(|| decompress_to_sink(black_box(&blob), *codec))
        });
    }
    group.finish();
}

criterion_group!(codec_benches, benches);
criterion_main!(codec_benches);
