//! Fuzz checks for archive import (ocikit-layout `archive::oci::import` and
//! `archive::docker::import`): the input, read as an oci-archive and as a
//! docker-archive (kept as Docker, and converted to OCI), goes into a fresh
//! layout. Import never panics; when it succeeds the layout fscks clean;
//! when it fails the layout is as it was: no tag, no blob, nothing for fsck
//! to find. Two things are allowed, both by design: a missing `subject`
//! (the spec allows it), and a leftover blob whose content the archive
//! holds more than once (ocikit_layout::archive, `# Limitations`: a blob one
//! import commits twice is left for gc).

use std::collections::HashMap;
use std::io::Read as _;

use ocikit_image::Digest;
use ocikit_layout::archive::{self, ImportOptions};
use ocikit_layout::{FsckOptions, Layout, Problem};

/// Imports `data` in each archive format into a fresh layout; panics on a
/// violation.
pub fn check(data: &[u8]) {
    let dir = tempfile::Builder::new()
        .prefix("oci-fuzz-archive")
        .tempdir()
        .expect("a temporary directory");
    let formats: [(&str, ImportOptions); 3] = [
        ("oci-archive", ImportOptions::default()),
        ("docker-archive", ImportOptions::default()),
        (
            "docker-archive to OCI",
            ImportOptions {
                to_oci: true,
                ..ImportOptions::default()
            },
        ),
    ];
    for (i, (format, options)) in formats.into_iter().enumerate() {
        let layout = Layout::init(dir.path().join(i.to_string())).expect("a fresh layout");
        let result = if i == 0 {
            archive::oci::import(&layout, data, None, &options)
        } else {
            archive::docker::import(&layout, data, None, &options)
        };
        let report = match layout.fsck(&FsckOptions::default()) {
            Ok(report) => report,
            Err(e) => panic!("{format}: fsck fails after the import ({result:?}): {e}"),
        };
        // Documented in ocikit_layout::archive (# Limitations): a blob one
        // import commits twice (the same content under two names) is kept
        // for gc, since the second commit refreshed its time.
        let twice = committed_twice(data);
        let problems: Vec<&Problem> = report
            .problems
            .iter()
            .filter(|p| match p {
                Problem::MissingSubject { .. } => false,
                Problem::Unreachable { digest, .. } => !twice.contains(digest),
                _ => true,
            })
            .collect();
        assert!(
            problems.is_empty(),
            "{format}: the layout is not clean after the import ({result:?}): {problems:?}"
        );
        if result.is_err() {
            let blobs: Vec<_> = layout
                .list_blobs()
                .expect("the blobs list")
                .into_iter()
                .filter(|d| !twice.contains(d))
                .collect();
            assert!(
                blobs.is_empty(),
                "{format}: a failed import left blobs ({result:?}): {blobs:?}"
            );
            let index = layout.index().expect("index.json");
            assert!(
                index.manifests.is_empty(),
                "{format}: a failed import changed index.json ({result:?})"
            );
        }
    }
}

/// The digests of contents that appear in more than one regular file of
/// the tar `data`, as far as it reads.
fn committed_twice(data: &[u8]) -> Vec<Digest> {
    let mut seen: HashMap<Digest, usize> = HashMap::new();
    let mut archive = tar::Archive::new(data);
    let Ok(entries) = archive.entries() else {
        return Vec::new();
    };
    for entry in entries {
        let Ok(mut entry) = entry else { break };
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let mut content = Vec::new();
        if entry.read_to_end(&mut content).is_err() {
            break;
        }
        *seen.entry(Digest::sha256(&content)).or_default() += 1;
    }
    seen.into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(d, _)| d)
        .collect()
}
