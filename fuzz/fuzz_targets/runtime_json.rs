//! cargo-fuzz target `runtime_json`: the checks of
//! `ocikit_test_support::fuzz_checks::runtime_json` on every input. The same
//! checks replay `fuzz/corpus/runtime_json/` and
//! `fuzz/regressions/runtime_json/` in the ordinary tests
//! (`tests/fuzz_regressions.rs`).
#![no_main]

use ocikit_test_support::fuzz_checks::runtime_json;

libfuzzer_sys::fuzz_target!(|data: &[u8]| runtime_json::check(data));
