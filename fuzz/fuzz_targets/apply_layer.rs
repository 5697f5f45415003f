//! cargo-fuzz target `apply_layer`: the checks of
//! `ocikit_test_support::fuzz_checks::apply_layer` on every input. The same
//! checks replay `fuzz/corpus/apply_layer/` and `fuzz/regressions/apply_layer/`
//! in the ordinary tests (`tests/fuzz_regressions.rs`).
#![no_main]

use ocikit_test_support::fuzz_checks::apply_layer;

libfuzzer_sys::fuzz_target!(|data: &[u8]| apply_layer::check(data));
