//! cargo-fuzz target `image_json`: the checks of `fuzz/checks/image_json.rs` on every
//! input. The same checks replay `fuzz/corpus/image_json/` and
//! `fuzz/regressions/image_json/` in the ordinary tests (`tests/fuzz_regressions.rs`).
#![no_main]

#[path = "../checks/image_json.rs"]
mod image_json;

libfuzzer_sys::fuzz_target!(|data: &[u8]| image_json::check(data));
