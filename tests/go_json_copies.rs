//! oci-image and oci-runtime-spec each hold the same Go-style JSON writer
//! (`src/go_json.rs`): the two crates depend on nothing of ours, so the
//! code is copied. This test keeps the copies identical below their module
//! documentation, so a fix in one cannot be forgotten in the other.

#![allow(clippy::unwrap_used)]

use std::path::Path;

/// The file without its leading `//!` lines.
fn code(crate_dir: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(crate_dir)
        .join("src/go_json.rs");
    let text = std::fs::read_to_string(&path).unwrap();
    text.lines()
        .skip_while(|line| line.starts_with("//!"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_two_go_json_writers_are_the_same_code() {
    let image = code("oci-image");
    let runtime = code("oci-runtime-spec");
    assert!(
        image.len() > 10_000,
        "oci-image/src/go_json.rs looks truncated"
    );
    if image != runtime {
        let line = image
            .lines()
            .zip(runtime.lines())
            .position(|(a, b)| a != b)
            .map_or_else(
                || "at the end".to_string(),
                |i| format!("first at code line {}", i + 1),
            );
        panic!(
            "oci-image/src/go_json.rs and oci-runtime-spec/src/go_json.rs differ ({line}): change both"
        );
    }
}
