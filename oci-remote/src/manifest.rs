//! Fetching one manifest (distribution-spec spec.md, "Pulling manifests"):
//! the `Accept` list of every manifest and index type we read, the bytes
//! kept exactly as received and capped while they are read, the media type
//! from `Content-Type` checked against the document's own `mediaType`, and
//! the digest verified against the one asked for (a digest reference) or
//! the registry's `Docker-Content-Digest` (a tag).

use std::io::Read;

use ocikit_image::{Algorithm, Descriptor, Digest, MediaType};

use crate::auth::Scope;
use crate::client::{Call, Registry};
use crate::error::printable;
use crate::retry::retryable_io;
use crate::transport::{Method, Response};
use crate::{Error, Result};

/// The largest manifest read by default: what registries commonly accept
/// (spec.md, "Pushing Manifests": "at least 4 megabytes").
pub const DEFAULT_MANIFEST_LIMIT: u64 = 4 << 20;

/// Every manifest type asked for, OCI first: an image index or manifest,
/// or Docker's schema 2 list or manifest. Distribution 2.8.2 may answer
/// 404 to a request that does not list the OCI types.
pub(crate) const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json";

/// A manifest or index as the registry gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// Its media type, digest and size (the digest of the exact bytes).
    pub descriptor: Descriptor,
    /// The exact bytes received.
    pub bytes: Vec<u8>,
}

/// Fetches `tag_or_digest` from `repository`, refusing more than `limit`
/// bytes; `expected` is the digest asked for, when it is one.
pub(crate) fn fetch(
    registry: &Registry,
    repository: &str,
    tag_or_digest: &str,
    expected: Option<&Digest>,
    limit: u64,
) -> Result<Manifest> {
    let operation = format!("fetch manifest {tag_or_digest}");
    let call = Call::new(
        registry,
        Method::Get,
        &Registry::path(repository, &format!("manifests/{tag_or_digest}")),
        operation,
        &[200],
    )
    .repository(repository, Scope::pull(repository))
    .header("Accept", ACCEPT);
    // A body that breaks off is fetched again, as a failed request is.
    let mut attempts = 0;
    let (response, bytes) = loop {
        attempts += 1;
        let response = registry.send(&call)?;
        // Content-Length is not trusted: read one byte more than the limit.
        let mut bytes = Vec::new();
        let mut body = response.body;
        match body
            .by_ref()
            .take(limit.saturating_add(1))
            .read_to_end(&mut bytes)
        {
            Ok(_) => break (Response { body, ..response }, bytes),
            Err(e) if retryable_io(&e) && attempts <= registry.retry_count() => {}
            Err(e) => return Err(registry.transport_error(&call, &call.url, e, attempts)),
        }
    };
    if bytes.len() as u64 > limit {
        return Err(Error::ManifestTooLarge {
            registry: registry.name.clone(),
            repository: repository.to_owned(),
            reference: tag_or_digest.to_owned(),
            limit,
        });
    }
    let announced = content_digest(registry, repository, &call.operation, &response)?;
    let content_type = content_type(&response);
    let media_type = media_type(
        registry,
        repository,
        tag_or_digest,
        content_type.as_deref(),
        &bytes,
    )?;
    let algorithm = expected
        .or(announced.as_ref())
        .map_or(Algorithm::Sha256, Digest::algorithm);
    let found = Digest::compute(&algorithm, &bytes).map_err(|e| Error::Document {
        registry: registry.name.clone(),
        repository: repository.to_owned(),
        what: format!("manifest {tag_or_digest}"),
        source: Box::new(e),
    })?;
    for wanted in [expected, announced.as_ref()].into_iter().flatten() {
        if wanted.algorithm() == found.algorithm() && *wanted != found {
            return Err(Error::DigestMismatch {
                registry: registry.name.clone(),
                repository: repository.to_owned(),
                what: format!("manifest {tag_or_digest}"),
                expected: wanted.clone(),
                found,
            });
        }
    }
    let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
    Ok(Manifest {
        descriptor: Descriptor::new(media_type, found, size),
        bytes,
    })
}

/// The `Docker-Content-Digest` of a response, parsed; an unparsable one is
/// a protocol error, an algorithm we cannot compute is ignored.
pub(crate) fn content_digest(
    registry: &Registry,
    repository: &str,
    operation: &str,
    response: &Response,
) -> Result<Option<Digest>> {
    let Some(value) = response.headers.get("Docker-Content-Digest") else {
        return Ok(None);
    };
    let digest = Digest::parse(value.trim()).map_err(|e| {
        registry.protocol(
            Some(repository),
            operation,
            format!(
                "Docker-Content-Digest {:?} is not a digest: {e}",
                printable(value)
            ),
        )
    })?;
    Ok(digest.is_verifiable().then_some(digest))
}

/// `Content-Type` without parameters (spec.md: "clients SHOULD ignore
/// parameters").
pub(crate) fn content_type(response: &Response) -> Option<String> {
    response
        .headers
        .get("Content-Type")
        .map(|v| v.split(';').next().unwrap_or("").trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// The media type of a manifest: `Content-Type`, which must agree with the
/// document's own `mediaType` when it has one (spec.md: clients "SHOULD
/// reject unless the mediaType field's value matches"), else the
/// document's, else what its shape says. Schema 1 is refused by name.
fn media_type(
    registry: &Registry,
    repository: &str,
    reference: &str,
    content_type: Option<&str>,
    bytes: &[u8],
) -> Result<MediaType> {
    #[derive(serde::Deserialize)]
    struct Shape {
        #[serde(rename = "mediaType")]
        media_type: Option<String>,
        #[serde(rename = "schemaVersion")]
        schema_version: Option<serde_json::Value>,
        manifests: Option<serde_json::Value>,
        config: Option<serde_json::Value>,
    }
    let refuse = |media_type: &str, reason: &str| Error::UnsupportedManifest {
        registry: registry.name.clone(),
        repository: repository.to_owned(),
        reference: reference.to_owned(),
        media_type: printable(media_type),
        reason: reason.to_owned(),
    };
    let shape: Shape = serde_json::from_slice(bytes).map_err(|e| {
        refuse(
            content_type.unwrap_or("(none)"),
            &format!("the body is not a JSON object: {e}"),
        )
    })?;
    let generic = |t: &str| {
        matches!(
            t,
            "application/json" | "text/plain" | "application/octet-stream"
        )
    };
    let from_header = content_type.filter(|t| !generic(t));
    let declared = match (from_header, shape.media_type.as_deref()) {
        (Some(header), Some(own)) if header != own => {
            return Err(refuse(
                header,
                &format!("the document says its mediaType is {:?}", printable(own)),
            ));
        }
        (Some(header), _) => Some(header.to_owned()),
        (None, own) => own.map(str::to_owned),
    };
    let schema1 = shape
        .schema_version
        .as_ref()
        .and_then(serde_json::Value::as_u64)
        == Some(1);
    let media_type = match declared {
        Some(declared) => {
            MediaType::check_syntax(&declared).map_err(|e| refuse(&declared, &e))?;
            MediaType::from(declared.as_str())
        }
        None if schema1 => MediaType::DockerManifestSchema1,
        None if shape.manifests.is_some() => MediaType::ImageIndex,
        None if shape.config.is_some() => MediaType::ImageManifest,
        None => {
            return Err(refuse(
                "(none)",
                "neither the answer nor the document gives a media type",
            ));
        }
    };
    match media_type {
        MediaType::DockerManifestSchema1 | MediaType::DockerManifestSchema1Signed => Err(refuse(
            media_type.as_str(),
            "Docker schema 1 manifests are not supported (push the image again with a current client, or convert it with `skopeo copy --format v2s2`)",
        )),
        t if t.is_manifest() || t.is_index() => Ok(t),
        t => Err(refuse(
            t.as_str(),
            "this is not an image manifest or index type",
        )),
    }
}

/// `HEAD` of a manifest: its descriptor (media type from `Content-Type`,
/// digest from `Docker-Content-Digest`, size from `Content-Length`), or
/// `None` when the registry does not have it. A registry that gives no
/// digest gets a `GET`, whose bytes are hashed.
pub(crate) fn head(
    registry: &Registry,
    repository: &str,
    tag_or_digest: &str,
) -> Result<Option<Descriptor>> {
    let operation = format!("check manifest {tag_or_digest}");
    let call = Call::new(
        registry,
        Method::Head,
        &Registry::path(repository, &format!("manifests/{tag_or_digest}")),
        operation.clone(),
        &[200, 404],
    )
    .repository(repository, Scope::pull(repository))
    .header("Accept", ACCEPT);
    let response = registry.send(&call)?;
    if response.status == 404 {
        return Ok(None);
    }
    let digest = content_digest(registry, repository, &operation, &response)?;
    let length = response
        .headers
        .get("Content-Length")
        .and_then(|v| v.trim().parse::<i64>().ok());
    match (digest, content_type(&response), length) {
        (Some(digest), Some(media_type), Some(size)) => Ok(Some(Descriptor::new(
            MediaType::from(media_type.as_str()),
            digest,
            size,
        ))),
        _ => {
            let expected = tag_or_digest.parse::<Digest>().ok();
            fetch(
                registry,
                repository,
                tag_or_digest,
                expected.as_ref(),
                DEFAULT_MANIFEST_LIMIT,
            )
            .map(|m| Some(m.descriptor))
        }
    }
}
