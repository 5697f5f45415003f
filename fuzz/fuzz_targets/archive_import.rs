//! cargo-fuzz target `archive_import`: the checks of `fuzz/checks/archive_import.rs` on every
//! input. The same checks replay `fuzz/corpus/archive_import/` and
//! `fuzz/regressions/archive_import/` in the ordinary tests (`tests/fuzz_regressions.rs`).
#![no_main]

#[path = "../checks/archive_import.rs"]
mod archive_import;

libfuzzer_sys::fuzz_target!(|data: &[u8]| archive_import::check(data));
