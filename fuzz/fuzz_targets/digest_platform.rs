//! cargo-fuzz target `digest_platform`: the checks of `fuzz/checks/digest_platform.rs` on every
//! input. The same checks replay `fuzz/corpus/digest_platform/` and
//! `fuzz/regressions/digest_platform/` in the ordinary tests (`tests/fuzz_regressions.rs`).
#![no_main]

#[path = "../checks/digest_platform.rs"]
mod digest_platform;

libfuzzer_sys::fuzz_target!(|data: &[u8]| digest_platform::check(data));
