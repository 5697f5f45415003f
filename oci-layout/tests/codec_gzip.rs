#![allow(clippy::unwrap_used)]
//! The block-parallel gzip of `Codec::Gzip`: the bytes are the same for
//! every worker count and every split of the input into writes, they are
//! exactly the format the codec documents (128 KiB blocks, each deflated
//! with the 32 KiB before it as dictionary and ended by a sync flush, the
//! last one ending the stream; RFC 1952 header and trailer), and `gzip`
//! and `pigz` read them back byte for byte.

mod support;

use std::io::{self, Read, Write};

use flate2::{Compress, FlushCompress, Status};
use ocikit_layout::codec::{Codec, Compression, Decoder, Encoder};
use ocikit_test_support::layouts::layer_tar;
use ocikit_test_support::peers;
use support::{Failing, Rng};

const BLOCK: usize = 128 * 1024;
const WINDOW: usize = 32 * 1024;

/// Tar-like data: incompressible runs between compressible text, so blocks
/// differ in cost and the workers finish out of order.
fn data(len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 64 * 1024);
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut i = 0u32;
    while out.len() < len {
        for _ in 0..rng.below(8 * 1024) {
            out.extend_from_slice(&rng.next().to_le_bytes());
        }
        for _ in 0..rng.below(2000) {
            out.extend_from_slice(format!("usr/lib/x86_64-linux-gnu/lib{i}.so\t0755\n").as_bytes());
            i += 1;
        }
    }
    out.truncate(len);
    out
}

fn gzip(level: u32, workers: u32) -> Codec {
    Codec::Gzip { level, workers }
}

/// Compresses `data` handing the encoder writes of `split` bytes.
fn compress(data: &[u8], codec: Codec, split: usize) -> Vec<u8> {
    let mut encoder = Encoder::new(Vec::new(), codec).unwrap();
    for piece in data.chunks(split.max(1)) {
        encoder.write_all(piece).unwrap();
    }
    let (blob, stats) = encoder.finish().unwrap();
    assert_eq!(stats.uncompressed_size, data.len() as u64);
    assert_eq!(stats.compressed_size, blob.len() as u64);
    blob
}

fn decode(blob: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    Decoder::new(blob, Compression::Gzip)
        .unwrap()
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// CRC-32 of RFC 1952 (reflected, polynomial 0xedb88320), bit by bit: an
/// implementation independent of the codec's.
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// The stream the codec documents, built here from its description with a
/// fresh raw deflate per block.
fn expected(data: &[u8], level: u32) -> Vec<u8> {
    let xfl = match level {
        9 => 2,
        0 | 1 => 4,
        _ => 0,
    };
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl, 255];
    // Full blocks are flushed; the last block (maybe empty) finishes.
    let full = data.len() / BLOCK;
    for n in 0..=full {
        let start = n * BLOCK;
        let input = &data[start..data.len().min(start + BLOCK)];
        let dictionary = &data[start.saturating_sub(WINDOW)..start];
        let mut deflate = Compress::new(flate2::Compression::new(level), false);
        if !dictionary.is_empty() {
            deflate.set_dictionary(dictionary).unwrap();
        }
        let last = n == full;
        let flush = if last {
            FlushCompress::Finish
        } else {
            FlushCompress::Sync
        };
        let mut block = Vec::with_capacity(2 * BLOCK);
        let status = deflate.compress_vec(input, &mut block, flush).unwrap();
        assert_eq!(deflate.total_in(), input.len() as u64);
        if last {
            assert_eq!(status, Status::StreamEnd);
        } else {
            // A sync flush ends with an empty stored block.
            assert_eq!(&block[block.len() - 4..], &[0, 0, 0xff, 0xff]);
        }
        out.extend_from_slice(&block);
    }
    out.extend_from_slice(&crc32(data).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

#[test]
fn the_bytes_are_the_documented_blocks_for_every_worker_count_and_split() {
    let big = data(5 * BLOCK + 12_345);
    let sizes = [
        0,
        1,
        WINDOW - 1,
        BLOCK - 1,
        BLOCK,
        BLOCK + 1,
        2 * BLOCK,
        big.len(),
    ];
    for len in sizes {
        let input = &big[..len];
        let reference = expected(input, 6);
        for workers in [0, 1, 2, 4] {
            for split in [1, 4097, BLOCK - 1, BLOCK, BLOCK + 3, 300_007, len] {
                if split == 1 && len > 3 * BLOCK {
                    continue; // a million one-byte writes add nothing here
                }
                let blob = compress(input, gzip(6, workers), split);
                assert!(
                    blob == reference,
                    "{len} bytes, {workers} workers, writes of {split}: {} bytes, expected {}",
                    blob.len(),
                    reference.len()
                );
            }
        }
        assert!(decode(&reference) == input, "{len} bytes");
    }
}

/// A tar of a few hundred files as a layer holds them: headers that are
/// mostly zeros, text and binary content, zero padding.
fn tar_layer() -> Vec<u8> {
    let mut rng = Rng(0x6a09_e667_f3bc_c909);
    let mut files = Vec::new();
    for i in 0..400 {
        let len = rng.below(12_000);
        let content: Vec<u8> = match i % 3 {
            0 => (0..len).map(|_| rng.next() as u8).collect(),
            1 => format!("line {i} of a text file\n")
                .repeat(len / 20 + 1)
                .into_bytes(),
            _ => {
                let mut elf = vec![0u8; len];
                for chunk in elf.chunks_mut(64) {
                    chunk[0] = (rng.next() % 4) as u8;
                }
                elf
            }
        };
        files.push((format!("usr/share/doc/pkg{}/file{i}", i % 37), content));
    }
    let files: Vec<(&str, &[u8])> = files.iter().map(|(n, c)| (n.as_str(), &c[..])).collect();
    layer_tar(&files)
}

#[test]
fn a_tar_layer_gives_the_same_blocks_whichever_worker_took_them() {
    let input = tar_layer();
    assert!(input.len() > 8 * BLOCK, "{} bytes", input.len());
    let reference = expected(&input, 6);
    for workers in [0, 2, 4] {
        for _ in 0..3 {
            let blob = compress(&input, gzip(6, workers), 100_000);
            assert!(blob == reference, "{workers} workers");
        }
    }
}

#[test]
fn every_level_gives_the_documented_blocks() {
    let input = data(3 * BLOCK + 999);
    for level in [0, 1, 2, 5, 6, 9] {
        let reference = expected(&input, level);
        for workers in [0, 3] {
            let blob = compress(&input, gzip(level, workers), 65_536);
            assert!(blob == reference, "level {level}, {workers} workers");
        }
        assert!(decode(&reference) == input, "level {level}");
    }
}

#[test]
fn blocks_cost_little_against_one_deflate_stream() {
    let input = data(3 << 20);
    let blob = compress(&input, gzip(6, 2), 1 << 16);
    let mut one = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    one.write_all(&input).unwrap();
    let one = one.finish().unwrap();
    // 24 blocks: 24 sync flushes and dictionary restarts.
    let extra = blob.len() as f64 / one.len() as f64 - 1.0;
    assert!(
        extra < 0.005,
        "{} bytes against {} in one stream ({:.3}%)",
        blob.len(),
        one.len(),
        extra * 100.0
    );
}

#[test]
fn a_failing_writer_fails_the_encoder_with_workers() {
    let input = data(40 * BLOCK);
    for workers in [0, 2] {
        let mut encoder = Encoder::new(Failing { room: 100_000 }, gzip(6, workers)).unwrap();
        let err = input
            .chunks(BLOCK / 2)
            .try_for_each(|piece| encoder.write_all(piece))
            .unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::StorageFull, "{workers} workers");
        assert!(encoder.write_all(b"more").is_err(), "broken for good");
        assert!(encoder.finish().is_err());
        // The same failure at the end of the stream, from finish.
        let mut encoder = Encoder::new(Failing { room: 1000 }, gzip(6, workers)).unwrap();
        encoder.write_all(&input[..3 * BLOCK]).unwrap_or(());
        assert!(encoder.finish().is_err(), "{workers} workers");
    }
}

// --- peers: gzip and pigz read ours back byte for byte ---

/// Runs `tool args` on `input`; its stdout, and whether it succeeded.
fn pipe(tool: &str, args: &[&str], input: &[u8]) -> (Vec<u8>, bool) {
    let out = peers::output_with_input(peers::command(tool).args(args), input);
    (out.stdout, out.status.success())
}

#[test]
fn gzip_and_pigz_read_ours_byte_for_byte() {
    let input = data(20 * BLOCK + 77);
    for tool in ["gzip", "pigz"] {
        if !peers::require_tool(tool) {
            continue;
        }
        for (level, workers) in [(6, 0), (6, 4), (1, 2), (9, 2), (0, 1)] {
            let blob = compress(&input, gzip(level, workers), 10_000);
            let (_, ok) = pipe(tool, &["-t"], &blob);
            assert!(ok, "{tool} -t, level {level}");
            let (out, ok) = pipe(tool, &["-dc"], &blob);
            assert!(ok && out == input, "{tool} -dc, level {level}");
        }
        let (out, ok) = pipe(tool, &["-dc"], &compress(&[], Codec::gzip(), 1));
        assert!(ok && out.is_empty(), "{tool}: empty layer");
    }
}
