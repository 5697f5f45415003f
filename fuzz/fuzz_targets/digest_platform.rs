//! cargo-fuzz target `digest_platform`: the checks of
//! `ocikit_test_support::fuzz_checks::digest_platform` on every input. The same
//! checks replay `fuzz/corpus/digest_platform/` and
//! `fuzz/regressions/digest_platform/` in the ordinary tests
//! (`tests/fuzz_regressions.rs`).
#![no_main]

use ocikit_test_support::fuzz_checks::digest_platform;

libfuzzer_sys::fuzz_target!(|data: &[u8]| digest_platform::check(data));
