//! Fuzz checks for archive import (oci-layout `archive::oci::import` and
//! `archive::docker::import`): the input, read as an oci-archive and as a
//! docker-archive (kept as Docker, and converted to OCI), goes into a fresh
//! layout. Import never panics; when it succeeds the layout fscks clean (a
//! missing `subject`, which the spec allows, aside); when it fails the
//! layout is as it was: no blob, no tag, nothing for fsck to find.

use oci_layout::archive::{self, ImportOptions};
use oci_layout::{FsckOptions, Layout, Problem};

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
        let problems: Vec<&Problem> = report
            .problems
            .iter()
            .filter(|p| !matches!(p, Problem::MissingSubject { .. }))
            .collect();
        assert!(
            problems.is_empty(),
            "{format}: the layout is not clean after the import ({result:?}): {problems:?}"
        );
        if result.is_err() {
            let blobs = layout.list_blobs().expect("the blobs list");
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
