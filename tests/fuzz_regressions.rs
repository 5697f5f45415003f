//! Replays the fuzz corpora and regressions through the fuzz targets' own
//! checks, in the ordinary test command: every file of
//! `fuzz/corpus/<target>/` and `fuzz/regressions/<target>/` goes through
//! `ocikit_test_support::fuzz_checks::<target>`, the code each cargo-fuzz
//! target runs. A crash found by fuzzing is kept in
//! `fuzz/regressions/<target>/` and stays a test here once fixed.
#![allow(clippy::unwrap_used)]

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use ocikit_test_support::fuzz_checks::{
    apply_layer, archive_import, digest_platform, image_json, runtime_json,
};

/// The files of `fuzz/<kind>/<target>/`, sorted; none when it is missing.
fn inputs(kind: &str, target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz")
        .join(kind)
        .join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files
}

/// Runs `check` on every corpus and regression file of `target` (at least
/// `min_corpus` corpus files must be there), and fails naming every file
/// whose check panicked.
fn replay(target: &str, min_corpus: usize, check: fn(&[u8])) {
    let corpus = inputs("corpus", target);
    assert!(
        corpus.len() >= min_corpus,
        "fuzz/corpus/{target}/ holds {} files, expected at least {min_corpus}",
        corpus.len()
    );
    let mut failed = Vec::new();
    for path in corpus.iter().chain(&inputs("regressions", target)) {
        let data = std::fs::read(path).unwrap();
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| check(&data))) {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            failed.push(format!("{}: {message}", path.display()));
        }
    }
    assert!(
        failed.is_empty(),
        "{target}: {} input(s) fail the fuzz checks:\n{}",
        failed.len(),
        failed.join("\n")
    );
}

#[test]
fn image_json_inputs() {
    replay("image_json", 80, image_json::check);
}

#[test]
fn runtime_json_inputs() {
    replay("runtime_json", 15, runtime_json::check);
}

#[test]
fn digest_platform_inputs() {
    replay("digest_platform", 10, digest_platform::check);
}

#[test]
fn apply_layer_inputs() {
    replay("apply_layer", 10, apply_layer::check);
}

#[test]
fn archive_import_inputs() {
    replay("archive_import", 3, archive_import::check);
}
