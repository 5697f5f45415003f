//! cargo-fuzz target `image_json`: the checks of
//! `ocikit_test_support::fuzz_checks::image_json` on every input. The same
//! checks replay `fuzz/corpus/image_json/` and `fuzz/regressions/image_json/`
//! in the ordinary tests (`tests/fuzz_regressions.rs`).
#![no_main]

use ocikit_test_support::fuzz_checks::image_json;

libfuzzer_sys::fuzz_target!(|data: &[u8]| image_json::check(data));
