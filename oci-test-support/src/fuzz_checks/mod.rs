//! The checks of the cargo-fuzz targets, one module a target (fuzz/README.md
//! lists them): each `check` takes an input and panics on a violation. The
//! targets of the fuzz package (fuzz/fuzz_targets/) run them on what the
//! fuzzer makes; tests/fuzz_regressions.rs runs them on every file of
//! `fuzz/corpus/<target>/` and `fuzz/regressions/<target>/`.

pub mod apply_layer;
pub mod archive_import;
pub mod digest_platform;
pub mod image_json;
pub mod runtime_json;
