//! Parse and serialise benchmarks for the runtime-spec's full example
//! `config.json` (schema/test/config/good/spec-example.json: every Linux
//! section, seccomp, hooks, resources).
//!
//! `cargo bench --bench runtime_spec`
#![allow(missing_docs)] // criterion's macros generate undocumented functions

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ocikit_runtime_spec::{Json, Spec};

const EXAMPLE: &[u8] =
    include_bytes!("../oci-runtime-spec/tests/fixtures/config/good/spec-example.json");

fn benches(c: &mut Criterion) {
    // The input is checked first, so a broken benchmark fails in test mode.
    let spec = match Spec::from_json(EXAMPLE) {
        Ok(spec) => spec,
        Err(err) => panic!("spec-example.json does not parse: {err}"),
    };
    let input: serde_json::Value = serde_json::from_slice(EXAMPLE).unwrap_or_default();
    let output: serde_json::Value =
        serde_json::from_slice(&spec.to_canonical_json()).unwrap_or_default();
    assert_eq!(input, output, "spec-example.json does not round-trip");

    let mut group = c.benchmark_group("runtime_spec/spec-example");
    group.throughput(Throughput::Bytes(EXAMPLE.len() as u64));
    group.bench_function("parse", |b| b.iter(|| Spec::from_json(black_box(EXAMPLE))));
    group.bench_function("to_canonical_json", |b| {
        b.iter(|| black_box(&spec).to_canonical_json())
    });
    group.bench_function("to_pretty_json", |b| {
        b.iter(|| black_box(&spec).to_pretty_json())
    });
    group.finish();
}

criterion_group!(runtime_spec, benches);
criterion_main!(runtime_spec);
