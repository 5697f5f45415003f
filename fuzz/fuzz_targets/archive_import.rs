//! cargo-fuzz target `archive_import`: the checks of
//! `ocikit_test_support::fuzz_checks::archive_import` on every input. The same
//! checks replay `fuzz/corpus/archive_import/` and
//! `fuzz/regressions/archive_import/` in the ordinary tests
//! (`tests/fuzz_regressions.rs`).
#![no_main]

use ocikit_test_support::fuzz_checks::archive_import;

libfuzzer_sys::fuzz_target!(|data: &[u8]| archive_import::check(data));
