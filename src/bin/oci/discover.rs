//! `oci inspect`, `oci tags` and `oci referrers`: what a registry holds,
//! without pulling it (distribution-spec spec.md, "Pulling manifests",
//! "Listing Tags", "Listing Referrers").

use std::io::Write;

use ocikit_image::{
    Descriptor, ImageConfiguration, ImageIndex, ImageManifest, Json, MediaType, Platform,
};
use ocikit_remote::{Client, Reference};
use serde_json::{Map, Value, json};

use crate::progress::Transfers;
use crate::remote::{RegistryArgs, parse_reference};
use crate::{CmdResult, Failure, stdout_failed};

/// The largest image config read: configs with long histories reach a
/// few hundred kilobytes.
const CONFIG_LIMIT: u64 = 16 << 20;

/// Show an image in a registry, as JSON
///
/// What REF names (digest, media type, size); for an image index, its
/// manifests with their platforms, and the manifest for this host's
/// platform (its digest in "manifest"); for an image manifest, its config
/// (architecture, os, created, labels) and layers with their sizes, as
/// skopeo inspect shows them. --raw prints the manifest or index exactly
/// as the registry sent it.
#[derive(clap::Args, Debug)]
pub struct InspectArgs {
    /// The image: docker://HOST[:PORT]/REPO[:TAG|@DIGEST]
    #[arg(value_name = "REF", value_parser = parse_reference)]
    reference: Reference,
    /// Print the manifest or index as the registry sent it, byte for byte
    #[arg(long)]
    raw: bool,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// List the tags of a repository, one per line
#[derive(clap::Args, Debug)]
pub struct TagsArgs {
    /// The repository: docker://HOST[:PORT]/REPO (a tag or digest is
    /// ignored)
    #[arg(value_name = "REF", value_parser = parse_reference)]
    reference: Reference,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// List the referrers of a manifest (signatures, SBOMs, attestations)
///
/// One line per referrer: its digest, artifactType and size. They come
/// from the registry's referrers API, or from the fallback tag
/// (sha256-HEX) of a registry without it (said on stderr).
#[derive(clap::Args, Debug)]
pub struct ReferrersArgs {
    /// The manifest: docker://HOST[:PORT]/REPO[:TAG|@DIGEST] (a tag is
    /// resolved to its digest first)
    #[arg(value_name = "REF", value_parser = parse_reference)]
    reference: Reference,
    /// Only referrers of this artifactType
    #[arg(long, value_name = "T")]
    artifact_type: Option<MediaType>,
    #[command(flatten)]
    registry: RegistryArgs,
}

pub fn inspect(args: InspectArgs) -> CmdResult {
    let InspectArgs {
        reference,
        raw,
        registry,
    } = args;
    let notes = Transfers::none("inspect");
    let client = registry.client(&[&reference], &notes)?;
    let manifest = client.fetch_manifest(&reference)?;
    let mut out = std::io::stdout().lock();
    if raw {
        return out.write_all(&manifest.bytes).map_err(stdout_failed);
    }
    let descriptor = manifest.descriptor.clone();
    let mut report = Map::new();
    report.insert(
        "name".into(),
        format!("{}/{}", reference.registry(), reference.repository()).into(),
    );
    if let Some(tag) = reference.tag() {
        report.insert("tag".into(), tag.into());
    }
    report.insert("digest".into(), descriptor.digest.as_str().into());
    report.insert("mediaType".into(), descriptor.media_type.as_str().into());
    report.insert("size".into(), descriptor.size.into());
    let image = if descriptor.media_type.is_index() {
        let index = ImageIndex::from_json(&manifest.bytes)
            .map_err(|e| document_error(&reference, &descriptor, &e))?;
        let entries: Vec<Value> = index.manifests.iter().map(entry).collect();
        report.insert("manifests".into(), entries.into());
        match ocikit_layout::pick_manifest(&index, &Platform::host()) {
            Some(chosen) if chosen.media_type.is_manifest() => {
                report.insert("manifest".into(), chosen.digest.as_str().into());
                Some(client.fetch_manifest(&reference.with_digest(chosen.digest))?)
            }
            _ => None,
        }
    } else {
        Some(manifest)
    };
    if let Some(image) = image {
        summarise(
            &client,
            &reference,
            &image.descriptor,
            &image.bytes,
            &mut report,
        )?;
    }
    let text = serde_json::to_string_pretty(&report)
        .map_err(|e| Failure(format!("serialising the report: {e}")))?;
    writeln!(out, "{text}").map_err(stdout_failed)
}

/// Adds what an image manifest says to `report`: its config (and what it
/// holds, for an image config), artifactType and layers.
fn summarise(
    client: &Client,
    reference: &Reference,
    descriptor: &Descriptor,
    bytes: &[u8],
    report: &mut Map<String, Value>,
) -> Result<(), Failure> {
    let manifest =
        ImageManifest::from_json(bytes).map_err(|e| document_error(reference, descriptor, &e))?;
    if let Some(artifact_type) = &manifest.artifact_type {
        report.insert("artifactType".into(), artifact_type.as_str().into());
    }
    report.insert("config".into(), entry(&manifest.config));
    if manifest.config.media_type.is_config() {
        let bytes = client.fetch_blob(reference, &manifest.config, CONFIG_LIMIT)?;
        let config = ImageConfiguration::from_json(&bytes)
            .map_err(|e| document_error(reference, &manifest.config, &e))?;
        report.insert("architecture".into(), config.architecture.as_str().into());
        report.insert("os".into(), config.os.as_str().into());
        if let Some(variant) = &config.variant {
            report.insert("variant".into(), variant.as_str().into());
        }
        if let Some(created) = &config.created {
            report.insert("created".into(), created.as_str().into());
        }
        let labels = config.config.map(|c| c.labels).unwrap_or_default();
        report.insert("labels".into(), json!(labels));
    }
    let layers: Vec<Value> = manifest.layers.iter().map(entry).collect();
    report.insert("layers".into(), layers.into());
    Ok(())
}

/// A descriptor as the report shows it: digest, media type, size, and
/// platform when it has one.
fn entry(descriptor: &Descriptor) -> Value {
    let mut value = json!({
        "digest": descriptor.digest.as_str(),
        "mediaType": descriptor.media_type.as_str(),
        "size": descriptor.size,
    });
    if let Some(platform) = &descriptor.platform {
        value["platform"] = platform.to_string().into();
    }
    value
}

fn document_error(
    reference: &Reference,
    descriptor: &Descriptor,
    error: &dyn std::fmt::Display,
) -> Failure {
    Failure(format!(
        "registry {}, repository {}: {} {}: {error}",
        reference.registry(),
        reference.repository(),
        descriptor.media_type,
        descriptor.digest
    ))
}

pub fn tags(args: TagsArgs) -> CmdResult {
    let notes = Transfers::none("tags");
    let client = args.registry.client(&[&args.reference], &notes)?;
    let tags = client.tags(&args.reference, None)?;
    let mut out = std::io::stdout().lock();
    for tag in tags {
        writeln!(out, "{tag}").map_err(stdout_failed)?;
    }
    Ok(())
}

pub fn referrers(args: ReferrersArgs) -> CmdResult {
    let ReferrersArgs {
        reference,
        artifact_type,
        registry,
    } = args;
    let notes = Transfers::none("referrers");
    let client = registry.client(&[&reference], &notes)?;
    let subject = match reference.digest() {
        Some(_) => reference.clone(),
        None => {
            let found = client.head_manifest(&reference)?.ok_or_else(|| {
                Failure(format!(
                    "registry {}, repository {}: no manifest is tagged {}",
                    reference.registry(),
                    reference.repository(),
                    reference.tag_or_digest()
                ))
            })?;
            reference.with_digest(found.digest)
        }
    };
    let referrers = client.referrers(&subject, artifact_type.as_ref())?;
    if referrers.from_fallback_tag
        && let Some(digest) = subject.digest()
    {
        notes.say(&format!(
            "note: the registry has no referrers API; read from the tag {}",
            ocikit_remote::referrers_tag(digest)
        ));
    }
    let mut out = std::io::stdout().lock();
    for referrer in &referrers.manifests {
        let artifact_type = referrer
            .artifact_type
            .as_ref()
            .map_or("-", MediaType::as_str);
        // The registry's text: quoted and escaped when it is not one word
        // of printable characters, so that it can neither break the line
        // nor reach the terminal as an escape.
        let artifact_type = if artifact_type.chars().all(|c| c.is_ascii_graphic()) {
            artifact_type.to_owned()
        } else {
            format!("{artifact_type:?}")
        };
        writeln!(out, "{} {artifact_type} {}", referrer.digest, referrer.size)
            .map_err(stdout_failed)?;
    }
    Ok(())
}
