//! What the tests of the OCI toolkit share, in one place instead of modules
//! included by path into several crates' tests.
//!
//! - [`peers`]: the peer tools the interop tests run against (skopeo,
//!   umoci, runc, oci-image-tool, GNU tar, gzip, ...): finding them, the
//!   one reading of `CI` ([`peers::in_ci`]), running them.
//! - [`skip`]: the notice of a test that cannot run here, written where
//!   `cargo test` shows it, and the tests that need root.
//! - [`bytes`]: byte strings in assertion messages, and sha256 computed
//!   apart from the code under test.
//! - [`layouts`]: image layouts built for a test: small images in memory,
//!   and a layout made by umoci.
//! - [`bounds`]: a test run again in a child process under kernel limits
//!   of memory, CPU time and open files.
//! - [`children`]: part of a test run as an ignored test of the same
//!   binary in a child process, killed when dropped.
//! - [`fuzz_checks`]: the checks of the cargo-fuzz targets (fuzz/), which
//!   tests/fuzz_regressions.rs replays on every corpus and regression file.
//! - [`registry`]: Debian's docker-registry (distribution 2.8.2) started on
//!   127.0.0.1 and a free port for one test.
//! - [`http`]: a scripted HTTP/1.1 server for the answers a real registry
//!   does not give (faults, hostile bodies, newer protocol parts).
//! - [`certs`]: certificates made with openssl: a CA and a server
//!   certificate for 127.0.0.1 (a registry over TLS), a P-256 key for a
//!   token server.
//!
//! The crates whose tests use it (ocikit-image, ocikit-runtime-spec,
//! ocikit-layout, ocikit-convert, ocikit-remote and the root package) take it as a
//! dev-dependency without a version: `cargo package` then leaves it out of
//! the packed manifest, so that it may depend on the crates it tests
//! without a cycle in a build of theirs. It is never published; the fuzz
//! package (fuzz/) depends on it by path for the checks.

#![allow(
    clippy::unwrap_used,
    reason = "a failed unwrap in a test helper is a failed test"
)]

pub mod bounds;
pub mod bytes;
pub mod certs;
pub mod children;
pub mod fuzz_checks;
pub mod http;
pub mod layouts;
pub mod peers;
pub mod registry;
pub mod skip;
