//! Layer codecs end to end: round trips over a few MiB, diff_id and blob
//! digest against an independent SHA-256 (the `sha2` crate), deterministic
//! output, multi-member gzip and multi-frame zstd, broken streams, and
//! interop with the `gzip` and `zstd` tools both ways.

mod support;

use std::io::{self, Read, Write};

use ocikit_image::digester::VerifyingReader;
use ocikit_image::{Algorithm, Digest, MediaType};
use ocikit_layout::codec::{self, Codec, CodecError, Compression, Decoder, Encoder, HashingWriter};
use ocikit_test_support::bytes::sha256;
use ocikit_test_support::peers;
use support::{Failing, Rng};

/// About 3 MiB alternating incompressible pseudo-random runs (xorshift64)
/// with compressible tar-like text, so both the literal and the match
/// paths of each compressor are exercised.
fn layer_data() -> Vec<u8> {
    let mut out = Vec::with_capacity(3 << 20);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut i = 0u32;
    while out.len() < 3 << 20 {
        for _ in 0..(40 * 1024 / 8) {
            out.extend_from_slice(&rng.next().to_le_bytes());
        }
        for _ in 0..600 {
            out.extend_from_slice(
                format!("usr/share/doc/package-{i}/copyright\t0644\troot:root\n").as_bytes(),
            );
            i += 1;
        }
    }
    out
}

const CODECS: [Codec; 6] = [
    Codec::None,
    Codec::Gzip {
        level: 6,
        workers: 2,
    },
    Codec::Gzip {
        level: 1,
        workers: 0,
    },
    Codec::Zstd {
        level: 3,
        workers: 0,
    },
    Codec::Zstd {
        level: 3,
        workers: 2,
    },
    Codec::Zstd {
        level: 19,
        workers: 0,
    },
];

fn decode(blob: &[u8], compression: Compression) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    Decoder::new(blob, compression)?.read_to_end(&mut out)?;
    Ok(out)
}

fn compress(data: &[u8], codec: Codec) -> (Vec<u8>, codec::CompressedLayer) {
    codec::compress(data, Vec::new(), codec, &Algorithm::Sha256).expect("compresses")
}

#[test]
fn round_trip_digests_and_sizes_for_every_codec() {
    let data = layer_data();
    for codec in CODECS {
        let (blob, layer) = compress(&data, codec);
        assert_eq!(layer.stats.compression, codec.compression());
        assert_eq!(layer.stats.diff_id.as_str(), sha256(&data), "{codec:?}");
        assert_eq!(layer.digest.as_str(), sha256(&blob), "{codec:?}");
        assert_eq!(layer.stats.uncompressed_size, data.len() as u64);
        assert_eq!(layer.stats.compressed_size, blob.len() as u64);
        assert_eq!(layer.media_type(), codec.layer_media_type());
        let descriptor = layer.descriptor();
        assert_eq!(descriptor.size, blob.len() as i64);
        assert_eq!(descriptor.digest, layer.digest);
        if codec == Codec::None {
            assert_eq!(blob, data);
        } else {
            assert!(
                blob.len() < data.len() * 3 / 4,
                "{codec:?}: {} of {} bytes",
                blob.len(),
                data.len()
            );
        }
        assert!(
            decode(&blob, codec.compression()).unwrap() == data,
            "{codec:?}"
        );

        // The read side computes the same diff_id and sizes.
        let media_type = codec.layer_media_type();
        let stats = codec::verify_diff_id(&blob[..], &media_type, &layer.stats.diff_id).unwrap();
        assert_eq!(stats, layer.stats, "{codec:?}");
    }
}

#[test]
fn encoder_over_a_blob_writer_hashes_both_sides_in_one_pass() {
    let data = layer_data();
    let blob_writer = HashingWriter::new(Vec::new(), &Algorithm::Sha512).unwrap();
    let mut encoder = Encoder::with_algorithm(blob_writer, Codec::zstd(), &Algorithm::Sha512)
        .expect("sha512 is supported");
    for chunk in data.chunks(10_000) {
        encoder.write_all(chunk).unwrap();
    }
    assert_eq!(encoder.uncompressed_bytes(), data.len() as u64);
    let (blob_writer, stats) = encoder.finish().unwrap();
    let (blob, digest, size) = blob_writer.finish().unwrap();
    assert_eq!(stats.diff_id, Digest::sha512(&data));
    assert_eq!(digest, Digest::sha512(&blob));
    assert_eq!((size, stats.compressed_size), (blob.len() as u64, size));
    let again = codec::diff_id(&blob[..], &MediaType::ImageLayerZstd, &Algorithm::Sha512).unwrap();
    assert_eq!(again.diff_id, stats.diff_id);
}

#[test]
fn output_is_deterministic_however_it_is_written() {
    // 1.2 MiB, several of the encoder's chunks; level 19 is left out for time.
    let data = &layer_data()[..1_234_567];
    for codec in CODECS.into_iter().take(5) {
        let (first, _) = compress(data, codec);
        let (second, _) = compress(data, codec);
        assert!(first == second, "{codec:?}: two runs differ");
        // Other write sizes, with flushes in between, give the same bytes.
        for chunk in [1000, 4096, 65_537] {
            let mut encoder = Encoder::new(Vec::new(), codec).unwrap();
            for (i, piece) in data.chunks(chunk).enumerate() {
                encoder.write_all(piece).unwrap();
                if i % 10 == 0 {
                    encoder.flush().unwrap();
                }
            }
            let (blob, _) = encoder.finish().unwrap();
            assert!(
                blob == first,
                "{codec:?}: writes of {chunk} bytes give other bytes"
            );
        }
    }
}

#[test]
fn zstd_output_does_not_depend_on_the_worker_count() {
    let data = layer_data();
    let zstd = |workers| compress(&data, Codec::Zstd { level: 3, workers }).0;
    let one = zstd(1);
    assert!(zstd(2) == one && zstd(4) == one);
    assert!(zstd(0) != one, "single-threaded mode writes other frames");
}

#[test]
fn gzip_header_has_no_time_no_name_and_a_fixed_os() {
    let (blob, _) = compress(b"x", Codec::gzip());
    // ID1 ID2 CM=deflate FLG=0 (no name, comment or extra) MTIME=0 XFL OS=255
    assert_eq!(&blob[..8], &[0x1f, 0x8b, 8, 0, 0, 0, 0, 0]);
    assert_eq!(blob[9], 255);
    let (zstd, _) = compress(b"x", Codec::zstd());
    assert_eq!(&zstd[..4], &[0x28, 0xb5, 0x2f, 0xfd], "zstd frame magic");
}

#[test]
fn empty_layers_round_trip() {
    for codec in CODECS {
        let (blob, layer) = compress(b"", codec);
        assert_eq!(layer.stats.diff_id.as_str(), sha256(b""));
        assert_eq!(layer.stats.uncompressed_size, 0);
        assert_eq!(decode(&blob, codec.compression()).unwrap(), b"");
    }
}

#[test]
fn multi_member_gzip_and_multi_frame_zstd_are_read_whole() {
    let data = layer_data();
    let (a, b) = data.split_at(1_000_001);
    for codec in [Codec::gzip(), Codec::zstd()] {
        let mut blob = compress(a, codec).0;
        blob.extend_from_slice(&compress(b, codec).0);
        blob.extend_from_slice(&compress(b"", codec).0);
        assert!(
            decode(&blob, codec.compression()).unwrap() == data,
            "{codec:?}"
        );
        let stats = codec::diff_id(&blob[..], &codec.layer_media_type(), &Algorithm::Sha256)
            .expect("diff_id over every member");
        assert_eq!(stats.diff_id.as_str(), sha256(&data));
        assert_eq!(stats.compressed_size, blob.len() as u64);
    }
}

#[test]
fn zstd_skippable_frames_are_skipped() {
    let (a, b) = (b"first frame, ".as_slice(), b"second frame".as_slice());
    let mut blob = compress(a, Codec::zstd()).0;
    // A skippable frame (RFC 8478, 3.1.2): magic 0x184D2A5?, size, payload.
    blob.extend_from_slice(&0x184D_2A50u32.to_le_bytes());
    blob.extend_from_slice(&5u32.to_le_bytes());
    blob.extend_from_slice(b"skip!");
    blob.extend_from_slice(&compress(b, Codec::zstd()).0);
    assert_eq!(
        decode(&blob, Compression::Zstd).unwrap(),
        b"first frame, second frame"
    );
}

#[test]
fn a_failing_blob_writer_fails_the_encoder_for_good() {
    let data = layer_data();
    for codec in [Codec::gzip(), Codec::zstd(), Codec::None] {
        // A writer that fails at once: the error shows by finish at the latest.
        let err = codec::compress(
            &data[..1000],
            Failing { room: 0 },
            codec,
            &Algorithm::Sha256,
        )
        .expect_err("disk full");
        assert!(
            matches!(&err, CodecError::Io(e) if e.kind() == io::ErrorKind::StorageFull),
            "{codec:?}: {err:?}"
        );
        // Failing part way: the write that hits it fails, and so does every
        // later write and finish, rather than a blob with a hole.
        let mut encoder = Encoder::new(Failing { room: 100_000 }, codec).unwrap();
        let mut first = None;
        for (i, chunk) in data.chunks(50_000).enumerate() {
            if let Err(e) = encoder.write_all(chunk) {
                first = Some(i);
                assert_eq!(e.kind(), io::ErrorKind::StorageFull, "{codec:?}");
                break;
            }
        }
        let first = first.expect("a write failed");
        assert!(
            encoder.write_all(&data[..10]).is_err(),
            "{codec:?} after {first}"
        );
        assert!(encoder.finish().is_err(), "{codec:?}");
    }
}

#[test]
fn truncated_corrupt_trailing_and_empty_streams_are_errors() {
    let data = layer_data();
    for codec in [Codec::gzip(), Codec::zstd()] {
        let compression = codec.compression();
        let (blob, _) = compress(&data, codec);
        for cut in [
            1,
            4,
            10,
            100,
            blob.len() / 2,
            blob.len() - 8,
            blob.len() - 1,
        ] {
            let err = decode(&blob[..cut], compression).expect_err("truncated");
            assert!(
                matches!(
                    err.kind(),
                    io::ErrorKind::UnexpectedEof
                        | io::ErrorKind::InvalidData
                        | io::ErrorKind::Other
                ),
                "{codec:?} cut at {cut}: {err:?}"
            );
        }
        // A flipped byte in the middle of the compressed data.
        let mut corrupt = blob.clone();
        let mid = corrupt.len() / 2;
        corrupt[mid] ^= 0x55;
        assert!(
            decode(&corrupt, compression).is_err(),
            "{codec:?}: corruption unnoticed"
        );
        // A flipped byte in the checksum at the end.
        let mut corrupt = blob.clone();
        let last = corrupt.len() - 2;
        corrupt[last] ^= 1;
        assert!(decode(&corrupt, compression).is_err(), "{codec:?} checksum");
        // Garbage after the stream.
        let mut trailing = blob.clone();
        trailing.extend_from_slice(b"garbage!garbage!");
        assert!(
            decode(&trailing, compression).is_err(),
            "{codec:?} trailing"
        );
        let mut zeros = blob.clone();
        zeros.extend_from_slice(&[0; 512]);
        assert!(decode(&zeros, compression).is_err(), "{codec:?} zeros");
        // An empty blob holds no member or frame.
        let err = decode(b"", compression).expect_err("empty");
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "{codec:?}: {err}");
        // Data that is not compressed at all.
        assert!(decode(&data[..5000], compression).is_err(), "{codec:?} raw");
        // The fsck helper reports the failure rather than a diff_id.
        let err = codec::diff_id(
            &blob[..blob.len() / 2],
            &codec.layer_media_type(),
            &Algorithm::Sha256,
        )
        .expect_err("truncated");
        assert!(matches!(err, CodecError::Io(_)), "{err:?}");
    }
}

#[test]
fn a_wrong_diff_id_names_expected_and_found() {
    let data = layer_data();
    let (blob, layer) = compress(&data, Codec::gzip());
    let wrong = Digest::sha256(b"another layer");
    let err = codec::verify_diff_id(&blob[..], &MediaType::DockerLayerGzip, &wrong).unwrap_err();
    match &err {
        CodecError::DiffIdMismatch { expected, found } => {
            assert_eq!(expected, &wrong);
            assert_eq!(found, &layer.stats.diff_id);
        }
        other => panic!("{other:?}"),
    }
    let text = err.to_string();
    assert!(text.contains(wrong.as_str()) && text.contains(layer.stats.diff_id.as_str()));
}

#[test]
fn unknown_media_types_are_named_in_the_error() {
    for (media_type, what) in [
        ("application/vnd.oci.image.layer.v1.tar+foo", "\"foo\""),
        (
            "application/vnd.oci.image.config.v1+json",
            "not a layer media type",
        ),
    ] {
        let mt = MediaType::from(media_type);
        let err = Decoder::for_media_type(&b""[..], &mt).unwrap_err();
        let text = err.to_string();
        assert!(text.contains(media_type) && text.contains(what), "{text}");
        let err = codec::diff_id(&b""[..], &mt, &Algorithm::Sha256).unwrap_err();
        assert!(err.to_string().contains(media_type));
        let io: io::Error = err.into();
        assert_eq!(io.kind(), io::ErrorKind::InvalidData);
        assert!(codec::io_error_cause(&io).is_some());
    }
}

#[test]
fn the_decoder_reads_a_verified_blob_to_its_end() {
    let data = layer_data();
    for codec in [Codec::gzip(), Codec::zstd(), Codec::None] {
        let (blob, layer) = compress(&data, codec);
        let verified = VerifyingReader::new(&blob[..], layer.digest.clone(), blob.len() as u64)
            .expect("sha256");
        let mut decoder = Decoder::for_media_type(verified, &codec.layer_media_type()).unwrap();
        let mut out = Vec::new();
        decoder.read_to_end(&mut out).unwrap();
        assert!(out == data);
        assert_eq!(decoder.compressed_bytes(), blob.len() as u64);
        assert!(
            decoder.into_inner().is_verified(),
            "{codec:?}: the blob's end was never reached"
        );
        // A tampered blob fails verification through the decoder.
        let verified =
            VerifyingReader::new(&blob[..], Digest::sha256(b"other"), blob.len() as u64).unwrap();
        let mut decoder = Decoder::for_media_type(verified, &codec.layer_media_type()).unwrap();
        assert!(decoder.read_to_end(&mut Vec::new()).is_err());
    }
}

// --- interop with the gzip and zstd tools ---

/// Runs `tool args`, feeding `input` on stdin, and returns its stdout.
fn pipe(tool: &str, args: &[&str], input: &[u8]) -> Vec<u8> {
    peers::run_with_input(peers::command(tool).args(args), input)
}

#[test]
fn gzip_tool_reads_ours_and_we_read_its() {
    if !peers::require_tool("gzip") {
        return;
    }
    let v = peers::version("gzip");
    let data = layer_data();
    for codec in [
        Codec::gzip(),
        Codec::Gzip {
            level: 9,
            workers: 2,
        },
        Codec::Gzip {
            level: 0,
            workers: 0,
        },
    ] {
        let (blob, _) = compress(&data, codec);
        assert!(pipe("gzip", &["-dc"], &blob) == data, "{v} on {codec:?}");
    }
    let theirs = pipe("gzip", &["-c"], &data);
    assert!(decode(&theirs, Compression::Gzip).unwrap() == data, "{v}");
    // Two gzip members in one file, as `cat a.gz b.gz` makes.
    let (a, b) = data.split_at(777_777);
    let mut two = pipe("gzip", &["-c", "-1"], a);
    two.extend_from_slice(&pipe("gzip", &["-c", "-9"], b));
    assert!(decode(&two, Compression::Gzip).unwrap() == data, "{v}");
    assert!(pipe("gzip", &["-dc"], &two) == data);
}

#[test]
fn zstd_tool_reads_ours_and_we_read_its() {
    if !peers::require_tool("zstd") {
        return;
    }
    let v = peers::version("zstd");
    let data = layer_data();
    for codec in CODECS
        .into_iter()
        .filter(|c| c.compression() == Compression::Zstd)
    {
        let (blob, _) = compress(&data, codec);
        assert!(pipe("zstd", &["-dc"], &blob) == data, "{v} on {codec:?}");
    }
    for args in [&["-c"][..], &["-c", "-T2"], &["-c", "-19", "--no-check"]] {
        let theirs = pipe("zstd", args, &data);
        assert!(
            decode(&theirs, Compression::Zstd).unwrap() == data,
            "{v} {args:?}"
        );
    }
    let (a, b) = data.split_at(777_777);
    let mut two = pipe("zstd", &["-c"], a);
    two.extend_from_slice(&pipe("zstd", &["-c", "-T2"], b));
    assert!(decode(&two, Compression::Zstd).unwrap() == data, "{v}");
    assert!(pipe("zstd", &["-dc"], &two) == data);
}
