//! Resource limits of the layout store against crafted content: descriptors
//! with absurd sizes, a manifest of 100,000 layers (and one past the
//! document size limit), a tower of 1,000 nested indexes, a cycle of
//! indexes (which only crafted blob files, named for content they do not
//! hold, can make), and an `index.json` past its size limit. Each ends
//! with a typed error naming the limit, digest or file and what was
//! expected, or is handled within the bounds.
//!
//! The bounds are enforced by the kernel, not measured on a clock: each
//! test runs again alone in a child process (this binary, re-executed)
//! that lowers its own `RLIMIT_AS` to `bounds::AS_LIMIT` of
//! ocikit-test-support (1 GiB of address space) and `RLIMIT_CPU` to
//! [`CPU_LIMIT`] (60 s of CPU time) before doing anything. An allocation past the bound aborts the child (SIGABRT), a
//! loop past it gets SIGXCPU, a stack overflow SIGSEGV; the parent asserts
//! that the child exited normally after its assertions passed.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use ocikit_image::{
    Descriptor, Digest, ImageConfiguration, ImageIndex, ImageManifest, Json, MediaType, Platform,
};
use ocikit_layout::{Error, FsckOptions, GcOptions, Layout, MAX_DOCUMENT_SIZE, MAX_INDEX_DEPTH};
use ocikit_test_support::bounds;
use ocikit_test_support::layouts::{layer_tar, small_image};

/// The CPU time a child may use, in seconds (SIGXCPU; SIGKILL 10 s later).
const CPU_LIMIT: u64 = 60;

/// This test again, alone, in a child under `bounds::AS_LIMIT` and [`CPU_LIMIT`]
/// (see `bounds`).
fn bounded() -> bool {
    bounds::bounded(Some(CPU_LIMIT))
}

/// Prints the child's peak resident size and CPU time.
fn report_usage() {
    bounds::report_usage(0);
}

/// fsck finds nothing wrong with `layout`, and gc (no grace) removes
/// nothing from it: every blob is reachable.
#[track_caller]
fn assert_fsck_clean_and_gc_keeps_everything(layout: &Layout) {
    let report = layout.fsck(&FsckOptions::default()).unwrap();
    assert!(report.is_clean(), "{report}");
    let gc = layout
        .gc(&GcOptions {
            grace: std::time::Duration::ZERO,
            ..Default::default()
        })
        .unwrap();
    assert!(gc.removed.is_empty(), "{gc:?}");
}

fn new_layout() -> (tempfile::TempDir, Layout) {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::init(dir.path().join("l")).unwrap();
    (dir, layout)
}

#[track_caller]
fn assert_names(msg: &str, parts: &[&str]) {
    for part in parts {
        assert!(msg.contains(part), "{msg:?} should name {part:?}");
    }
}

/// Descriptors claiming 2^62 and `i64::MAX` bytes for small real blobs:
/// `open_blob` refuses them by comparing with the file's size before any
/// read, `read_blob` and the document readers by their limit before
/// opening anything, a tag on such a manifest resolves to the same error,
/// and `put_blob_verified` stores nothing. No read or allocation is sized
/// by the descriptor. Bounds: 1 GiB of address space, 60 s of CPU.
#[test]
fn descriptors_with_huge_sizes_end_with_named_errors() {
    if !bounded() {
        return;
    }
    let (_dir, layout) = new_layout();
    let manifest = small_image(&layout, "v1", "huge");
    let real = manifest.size_u64().unwrap();
    for size in [1i64 << 62, i64::MAX] {
        let mut huge = manifest.clone();
        huge.size = size;
        let digest = huge.digest.to_string();
        let size_text = size.to_string();

        let err = layout.open_blob(&huge).unwrap_err();
        assert!(matches!(err, Error::Verify(_)), "{err:?}");
        assert_names(&err.to_string(), &[&digest, &size_text, &real.to_string()]);

        let err = layout.read_blob(&huge, u64::MAX).unwrap_err();
        assert!(matches!(err, Error::Verify(_)), "{err:?}");

        for err in [
            layout.read_blob(&huge, 1 << 20).unwrap_err(),
            layout.read_manifest(&huge).unwrap_err(),
        ] {
            assert!(matches!(err, Error::DocumentTooLarge { .. }), "{err:?}");
            assert_names(&err.to_string(), &[&digest, &size_text, "expected at most"]);
        }
        let err = layout.read_manifest(&huge).unwrap_err().to_string();
        assert_eq!(
            err,
            format!(
                "blob {digest} (image manifest): its descriptor gives {size} bytes, \
                 expected at most {MAX_DOCUMENT_SIZE}, the most read into memory"
            )
        );

        layout.tag("huge", &huge).unwrap();
        let err = layout.resolve("huge", None).unwrap_err();
        assert!(matches!(err, Error::DocumentTooLarge { .. }), "{err:?}");

        let err = layout
            .put_blob_verified(&huge, &b"short content"[..])
            .unwrap_err();
        assert!(matches!(err, Error::CommitMismatch { .. }), "{err:?}");
        assert_names(
            &err.to_string(),
            &[&digest, &size_text, "nothing was stored"],
        );
    }
    // The untouched tag still resolves.
    layout.resolve("v1", None).unwrap();
    report_usage();
}

/// A stored empty layer and an image config with `n` diff_ids of it.
fn many_layers(layout: &Layout, n: usize) -> ImageManifest {
    let stored = layout
        .put_layer(&layer_tar(&[])[..], ocikit_layout::codec::Codec::None)
        .unwrap();
    let platform: Platform = "linux/amd64".parse().unwrap();
    let mut config = ImageConfiguration::for_platform(&platform);
    config.rootfs.diff_ids = vec![stored.diff_id.clone(); n];
    ImageManifest {
        config: layout.put_json(&config).unwrap(),
        layers: vec![stored.descriptor; n],
        ..Default::default()
    }
}

/// A manifest of 100,000 layers (13 MB of JSON, under
/// [`MAX_DOCUMENT_SIZE`]) is stored, resolved, checked by fsck and kept by
/// gc within the bounds; one of 140,000 layers (over 16 MiB) is refused
/// on read with an error naming the limit. Bounds: 1 GiB of address space,
/// 60 s of CPU.
#[test]
fn a_manifest_of_100_000_layers_is_handled_and_a_larger_one_refused_by_size() {
    if !bounded() {
        return;
    }
    let (_dir, layout) = new_layout();
    let manifest = many_layers(&layout, 100_000);
    let descriptor = layout.put_json(&manifest).unwrap();
    assert!(descriptor.size_u64().unwrap() < MAX_DOCUMENT_SIZE);
    eprintln!(
        "bounds: manifest of 100000 layers is {} bytes",
        descriptor.size
    );
    layout.tag("many", &descriptor).unwrap();
    let resolved = layout.resolve("many", None).unwrap();
    assert_eq!(resolved.manifest.layers.len(), 100_000);
    assert_fsck_clean_and_gc_keeps_everything(&layout);

    let too_many = many_layers(&layout, 140_000);
    let bytes = too_many.to_canonical_json();
    assert!(bytes.len() as u64 > MAX_DOCUMENT_SIZE);
    let big = layout.put_json(&too_many).unwrap();
    layout.tag("too-many", &big).unwrap();
    let err = layout.resolve("too-many", None).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "blob {} (image manifest): its descriptor gives {} bytes, \
             expected at most {MAX_DOCUMENT_SIZE}, the most read into memory",
            big.digest,
            bytes.len()
        )
    );
    // gc will not guess what an unreadable manifest references.
    let err = layout.gc(&GcOptions::default()).unwrap_err();
    assert!(matches!(err, Error::GcUnsafe { .. }), "{err:?}");
    assert_names(
        &err.to_string(),
        &[big.digest.as_ref(), "nothing was removed"],
    );
    report_usage();
}

/// An index listing `child` only, for no platform in particular.
fn index_of(layout: &Layout, child: &Descriptor) -> Descriptor {
    let index = ImageIndex {
        manifests: vec![child.clone()],
        ..Default::default()
    };
    layout.put_json(&index).unwrap()
}

/// A tower of 1,000 honest indexes, each listing the one below, over a
/// manifest: resolve stops at [`MAX_INDEX_DEPTH`] naming the tag and the
/// limit; fsck, gc and oci-archive export walk the whole tower
/// (iteratively, without stack growth), gc keeps every index and the
/// archive imports whole; a tower within the limit resolves.
/// Bounds: 1 GiB of address space, 60 s of CPU.
#[test]
fn a_tower_of_1000_nested_indexes_stops_at_the_depth_limit() {
    if !bounded() {
        return;
    }
    let (_dir, layout) = new_layout();
    let manifest = small_image(&layout, "base", "tower");
    let mut top = manifest.clone();
    let mut levels = Vec::new();
    for _ in 0..1000 {
        top = index_of(&layout, &top);
        levels.push(top.clone());
    }
    layout.tag("tower", &top).unwrap();
    let err = layout.resolve("tower", None).unwrap_err();
    assert!(
        matches!(err, Error::NestingTooDeep { limit, .. } if limit == MAX_INDEX_DEPTH),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        format!("tag \"tower\": image indexes nest more than {MAX_INDEX_DEPTH} deep")
    );
    // Within the limit, the same tower resolves to the manifest.
    layout.tag("low", &levels[MAX_INDEX_DEPTH - 1]).unwrap();
    let resolved = layout.resolve("low", None).unwrap();
    assert_eq!(resolved.descriptor.digest, manifest.digest);
    assert_eq!(resolved.chain.len(), MAX_INDEX_DEPTH + 1);

    assert_fsck_clean_and_gc_keeps_everything(&layout);
    assert!(levels.iter().all(|d| layout.has_blob(&d.digest)));
    // Export walks the whole tower too, and the archive imports back.
    let archive = ocikit_layout::archive::oci::export(
        &layout,
        &ocikit_layout::archive::Selection::tag("tower"),
        &ocikit_layout::archive::ExportOptions::default(),
        Vec::new(),
    )
    .unwrap();
    let (_copy_dir, copy) = new_layout();
    ocikit_layout::archive::oci::import(
        &copy,
        &archive[..],
        None,
        &ocikit_layout::archive::ImportOptions::default(),
    )
    .unwrap();
    assert!(levels.iter().all(|d| copy.has_blob(&d.digest)));
    report_usage();
}

/// Writes `bytes` as the blob file named `digest`, whatever they hash to
/// (what a crafted layout can do; nothing of ours writes such a file).
fn write_misnamed(layout: &Layout, digest: &Digest, bytes: &[u8]) {
    std::fs::write(layout.blob_path(digest), bytes).unwrap();
}

/// Two indexes that list each other by digest, and one that lists itself:
/// only blob files holding content other than their names say can make
/// such cycles (a digest cannot cover its own digest). Resolve ends with
/// the verification error naming the blob; gc refuses, naming it, before
/// removing anything; fsck reports it as corrupt and ends. Nothing loops.
/// Bounds: 1 GiB of address space, 60 s of CPU.
#[test]
fn a_cycle_of_indexes_ends_with_the_digest_named() {
    if !bounded() {
        return;
    }
    let (_dir, layout) = new_layout();
    small_image(&layout, "base", "cycle");
    // Two digests chosen first; each file lists the other's descriptor.
    let a = Digest::sha256(b"index a");
    let b = Digest::sha256(b"index b");
    let listing = |to: &Digest, size: i64| {
        ImageIndex {
            manifests: vec![Descriptor::new(MediaType::ImageIndex, to.clone(), size)],
            ..Default::default()
        }
        .to_canonical_json()
    };
    // Fixed point of the sizes: both listings have the same length.
    let len = listing(&a, 100).len() as i64;
    assert_eq!(listing(&a, len).len() as i64, len);
    write_misnamed(&layout, &a, &listing(&b, len));
    write_misnamed(&layout, &b, &listing(&a, len));
    let self_ref = Digest::sha256(b"index c");
    let len_c = listing(&self_ref, len).len() as i64;
    write_misnamed(&layout, &self_ref, &listing(&self_ref, len_c));
    layout
        .tag(
            "cycle",
            &Descriptor::new(MediaType::ImageIndex, a.clone(), len),
        )
        .unwrap();
    layout
        .tag(
            "self",
            &Descriptor::new(MediaType::ImageIndex, self_ref.clone(), len_c),
        )
        .unwrap();

    for (tag, digest) in [("cycle", &a), ("self", &self_ref)] {
        let err = layout.resolve(tag, None).unwrap_err();
        assert!(matches!(err, Error::Verify(_)), "{tag}: {err:?}");
        assert_names(&err.to_string(), &[digest.as_ref(), "hashes to"]);
    }
    let err = layout.gc(&GcOptions::default()).unwrap_err();
    assert!(matches!(err, Error::GcUnsafe { .. }), "{err:?}");
    assert_names(&err.to_string(), &["nothing was removed", a.as_ref()]);
    let report = layout.fsck(&FsckOptions::default()).unwrap();
    let damaged: Vec<String> = report
        .damage()
        .filter_map(|p| p.digest().map(Digest::to_string))
        .collect();
    assert!(damaged.contains(&a.to_string()), "{report}");
    assert!(damaged.contains(&self_ref.to_string()), "{report}");
    // The honest image beside them is untouched and resolves.
    layout.resolve("base", None).unwrap();
    report_usage();
}

/// An `index.json` larger than its 64 MiB limit (a sparse file) is refused
/// by name with the limit, by reads and by a tag, which leaves it as it
/// was. Bounds: 1 GiB of address space, 60 s of CPU.
#[test]
fn an_oversized_index_json_is_refused_by_name() {
    if !bounded() {
        return;
    }
    let (_dir, layout) = new_layout();
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(layout.index_path())
        .unwrap();
    file.set_len((64 << 20) + 1).unwrap();
    drop(file);
    for err in [
        layout.index().unwrap_err(),
        layout.resolve("any", None).unwrap_err(),
        layout
            .tag("t", &Descriptor::for_bytes(MediaType::ImageManifest, b"{}"))
            .unwrap_err(),
    ] {
        assert_names(
            &err.to_string(),
            &[
                &layout.index_path().display().to_string(),
                "larger than 67108864 bytes",
            ],
        );
    }
    assert_eq!(
        std::fs::metadata(layout.index_path()).unwrap().len(),
        (64 << 20) + 1
    );
    report_usage();
}
