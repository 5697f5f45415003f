//! Parse and serialise benchmarks for the image-spec documents: a large
//! index (1,000 platform entries with annotations), a manifest with 10
//! layers, and a Docker-style config with 40 history entries.
//!
//! `cargo bench --bench json`
#![allow(missing_docs)] // criterion's macros generate undocumented functions

mod support;

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ocikit_image::{Document, ImageConfiguration, ImageIndex, ImageManifest, Model};
use support::hex;

fn large_index() -> Vec<u8> {
    let archs = ["amd64", "arm64", "arm", "ppc64le", "s390x"];
    let entries: Vec<String> = (0..1000u64)
        .map(|i| {
            format!(
                r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:{}","size":{},"annotations":{{"org.opencontainers.image.created":"2024-01-01T00:00:00Z","org.opencontainers.image.ref.name":"v1.{i}"}},"platform":{{"architecture":"{}","os":"linux"}}}}"#,
                hex(i),
                1000 + i,
                archs[(i % 5) as usize]
            )
        })
        .collect();
    format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{}]}}"#,
        entries.join(",")
    )
    .into_bytes()
}

fn manifest() -> Vec<u8> {
    let layers: Vec<String> = (0..10u64)
        .map(|i| {
            format!(
                r#"{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:{}","size":{}}}"#,
                hex(100 + i),
                30_000 + i
            )
        })
        .collect();
    format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:{}","size":7023}},"layers":[{}],"annotations":{{"com.example.key1":"value1","com.example.key2":"value2"}}}}"#,
        hex(7),
        layers.join(",")
    )
    .into_bytes()
}

fn config() -> Vec<u8> {
    let diff_ids: Vec<String> = (0..20u64)
        .map(|i| format!("\"sha256:{}\"", hex(200 + i)))
        .collect();
    let history: Vec<String> = (0..40u64)
        .map(|i| {
            format!(
                r#"{{"created":"2015-10-31T22:22:54.690851953Z","created_by":"/bin/sh -c #(nop) step {i} of the build with a long command line"{}}}"#,
                if i % 2 == 1 { r#","empty_layer":true"# } else { "" }
            )
        })
        .collect();
    format!(
        r#"{{"created":"2015-10-31T22:22:56.015925234Z","author":"Alyssa P. Hacker \u003calyspdev@example.com\u003e","architecture":"amd64","os":"linux","config":{{"User":"alice","ExposedPorts":{{"8080/tcp":{{}}}},"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","FOO=oci_is_a","BAR=well_written_spec"],"Entrypoint":["/bin/my-app-binary"],"Cmd":["--foreground","--config","/etc/my-app.d/default.cfg"],"Volumes":{{"/var/job-result-data":{{}},"/var/log/my-app-logs":{{}}}},"WorkingDir":"/home/alice","Labels":{{"com.example.project.git.url":"https://example.com/project.git"}}}},"rootfs":{{"type":"layers","diff_ids":[{}]}},"history":[{}]}}"#,
        diff_ids.join(","),
        history.join(",")
    )
    .into_bytes()
}

fn bench_document<T: Model>(c: &mut Criterion, name: &str, bytes: Vec<u8>) {
    let value = T::from_json(&bytes).expect("benchmark document parses");
    assert!(
        value.to_canonical_json() == bytes,
        "{name}: the benchmark input must be canonical"
    );
    let mut group = c.benchmark_group(name);
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("parse", |b| b.iter(|| T::from_json(black_box(&bytes))));
    group.bench_function("serialise", |b| {
        b.iter(|| black_box(&value).to_canonical_json())
    });
    group.bench_function("validate", |b| b.iter(|| black_box(&value).check()));
    group.bench_function("parse+check raw", |b| {
        b.iter(|| Document::<T>::from_bytes(black_box(bytes.clone())).map(|d| d.check()))
    });
    group.finish();
}

fn benches(c: &mut Criterion) {
    bench_document::<ImageIndex>(c, "index-1000", large_index());
    bench_document::<ImageManifest>(c, "manifest-10-layers", manifest());
    bench_document::<ImageConfiguration>(c, "config-40-history", config());
}

criterion_group!(json, benches);
criterion_main!(json);
