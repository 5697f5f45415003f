//! Copies an image layout -> registry -> layout with `ocikit-remote`: a
//! one-file image is built in a new layout, pushed to REGISTRY, pulled
//! back into another layout, and the two digests compared.
//!
//! `cargo run --example pull_push -- 127.0.0.1:5000`
//!
//! REGISTRY is `HOST[:PORT]`. A registry on a loopback address is spoken
//! to without TLS verification (https, then plain http), as Docker treats
//! 127.0.0.0/8; any other is verified against the system's CAs.

use std::net::IpAddr;
use std::process::ExitCode;

use ocikit_image::{ImageConfiguration, ImageManifest, Platform};
use ocikit_layout::codec::Codec;
use ocikit_layout::{FsckOptions, Layout};
use ocikit_remote::{
    Client, ClientOptions, Platforms, PullOptions, PushOptions, Reference, RegistryOptions,
};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [registry] = args.as_slice() else {
        eprintln!("usage: pull_push HOST[:PORT]");
        return ExitCode::from(2);
    };
    match copy_through(registry) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pull_push: {e}");
            ExitCode::FAILURE
        }
    }
}

fn copy_through(registry: &str) -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;

    // A layout with one image: a layer holding hello.txt, its config and
    // manifest, tagged v1.
    let source = Layout::init(dir.path().join("source"))?;
    let mut tar = tar::Builder::new(Vec::new());
    let content = b"hello from ocikit\n";
    let mut header = tar::Header::new_ustar();
    header.set_size(content.len() as u64);
    header.set_mode(0o644);
    tar.append_data(&mut header, "hello.txt", &content[..])?;
    let layer = source.put_layer(&tar.into_inner()?[..], Codec::gzip())?;
    let mut config = ImageConfiguration::for_platform(&Platform::host());
    config.rootfs.diff_ids.push(layer.diff_id.clone());
    let manifest = ImageManifest {
        config: source.put_json(&config)?,
        layers: vec![layer.descriptor],
        ..Default::default()
    };
    let built = source.put_json(&manifest)?;
    source.tag("v1", &built)?;
    println!("built    {}", built.digest);

    // The client: TLS settings for the registry; credentials could go in
    // the same RegistryOptions.
    let host = match registry.strip_prefix('[') {
        Some(ipv6) => ipv6.split(']').next().unwrap_or(ipv6),
        None => registry.split(':').next().unwrap_or(registry),
    };
    let loopback = host == "localhost" || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    let client = Client::new(ClientOptions::default().with_registry(
        registry,
        RegistryOptions {
            tls_verify: !loopback,
            ..RegistryOptions::default()
        },
    ));

    // Layout -> registry: blobs first, then the manifest as its exact bytes.
    let reference: Reference = format!("docker://{registry}/ocikit-example/hello:v1").parse()?;
    let pushed = client.push(&source, "v1", &reference, &PushOptions::default())?;
    println!(
        "pushed   {} to {reference} ({} blobs uploaded, {} already there)",
        pushed.descriptor.digest, pushed.blobs_uploaded, pushed.blobs_existing
    );

    // Registry -> another layout: verified blob by blob, the tag last.
    let target = Layout::init(dir.path().join("target"))?;
    let options = PullOptions {
        platforms: Platforms::All,
        ..PullOptions::default()
    };
    let pulled = client.pull(&reference, &target, "v1", &options)?;
    let report = target.fsck(&FsckOptions::default())?;
    println!(
        "pulled   {} ({} blobs fetched), fsck: {} problems",
        pulled.descriptor.digest,
        pulled.blobs_fetched,
        report.problems.len()
    );
    if pulled.descriptor.digest != built.digest || !report.is_clean() {
        return Err("the image pulled back is not the one built".into());
    }
    println!("the same digest both ways");
    Ok(())
}
