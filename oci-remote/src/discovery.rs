//! Discovery and content management (distribution-spec spec.md, "Content
//! Discovery" and "Content Management"): tags and the catalog, page by page
//! through `Link` headers; referrers through the API or its fallback tag;
//! a manifest's descriptor by `HEAD`; deletes where the registry allows
//! them.

use std::collections::HashSet;
use std::io::Read;

use ocikit_image::{Descriptor, Digest, Json, MediaType};

use crate::auth::Scope;
use crate::client::{Call, Registry};
use crate::error::printable;
use crate::manifest::{self, DEFAULT_MANIFEST_LIMIT, Manifest, fetch};
use crate::push::{read_referrers_tag, referrers_tag};
use crate::retry::retryable_io;
use crate::transport::{Method, Response};
use crate::url::Url;
use crate::{Client, Error, Reference, Result};

/// The most pages one listing follows, a guard against a registry whose
/// `Link` headers never end.
pub const MAX_PAGES: usize = 10_000;

/// The largest page of a listing read.
const PAGE_LIMIT: u64 = 16 << 20;

/// The referrers of a manifest.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Referrers {
    /// One descriptor per referrer, with its `artifactType` and annotations.
    pub manifests: Vec<Descriptor>,
    /// Whether they came from the fallback tag (the registry has no
    /// referrers API).
    pub from_fallback_tag: bool,
}

impl Client {
    /// The tags of the reference's repository, every page followed (`Link`
    /// headers, relative or absolute, on the registry's own origin), asking
    /// for `page_size` tags a page when given (`n`; registries may ignore
    /// it). In the registry's order.
    ///
    /// # Errors
    ///
    /// The registry's errors; [`Error::Protocol`] for a body that is not a
    /// tag list, a `Link` to another origin, or more than [`MAX_PAGES`]
    /// pages (a loop).
    pub fn tags(&self, reference: &Reference, page_size: Option<u32>) -> Result<Vec<String>> {
        #[derive(serde::Deserialize)]
        struct Page {
            #[serde(default)]
            tags: Option<Vec<String>>,
        }
        let registry = self.registry(reference)?;
        let repository = reference.repository();
        let mut url = registry
            .base
            .with_path(&Registry::path(repository, "tags/list"));
        if let Some(n) = page_size {
            url = url.with_query("n", &n.to_string());
        }
        let mut tags = Vec::new();
        pages(&registry, Some(repository), url, "list tags", |bytes| {
            let page: Page = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
            // Only names that are tags: whoever prints or loops over them
            // gets no line breaks or terminal escapes from the registry.
            for tag in page.tags.unwrap_or_default() {
                crate::reference::check_tag(&tag)?;
                tags.push(tag);
            }
            Ok(())
        })?;
        Ok(tags)
    }

    /// The repositories of `registry` (a name as references give it:
    /// `127.0.0.1:5000`), every page followed, as [`Client::tags`] does.
    ///
    /// # Errors
    ///
    /// As for [`Client::tags`]; [`Error::InvalidReference`] for a
    /// registry name that is not `HOST[:PORT]`.
    pub fn catalog(&self, registry: &str, page_size: Option<u32>) -> Result<Vec<String>> {
        #[derive(serde::Deserialize)]
        struct Page {
            #[serde(default)]
            repositories: Option<Vec<String>>,
        }
        let probe = Reference::parse(&format!("{registry}/catalog"))?;
        let registry = self.registry(&probe)?;
        let mut url = registry.base.with_path("/v2/_catalog");
        if let Some(n) = page_size {
            url = url.with_query("n", &n.to_string());
        }
        let mut repositories = Vec::new();
        pages(&registry, None, url, "list repositories", |bytes| {
            let page: Page = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
            repositories.extend(page.repositories.unwrap_or_default());
            Ok(())
        })?;
        Ok(repositories)
    }

    /// The referrers of the manifest `reference` names by digest (spec.md,
    /// "Listing Referrers"): from the referrers API, every page followed,
    /// or when it answers 404, from the fallback tag (none when that tag
    /// does not exist). With `artifact_type`, only referrers of that type:
    /// the registry is asked to filter, and when its answer lacks
    /// `OCI-Filters-Applied: artifactType`, the filter is applied here.
    ///
    /// # Errors
    ///
    /// [`Error::Usage`] for a reference without a digest; the registry's
    /// errors; [`Error::ReferrersTag`] when the fallback tag holds
    /// something that is not an image index.
    pub fn referrers(
        &self,
        reference: &Reference,
        artifact_type: Option<&MediaType>,
    ) -> Result<Referrers> {
        let digest = require_digest(reference, "listing referrers")?;
        let registry = self.registry(reference)?;
        let repository = reference.repository();
        let mut url = registry
            .base
            .with_path(&Registry::path(repository, &format!("referrers/{digest}")));
        if let Some(t) = artifact_type {
            url = url.with_query("artifactType", t.as_str());
        }
        let mut manifests = Vec::new();
        let mut filtered = true;
        let found = read_pages(
            &registry,
            Some(repository),
            url,
            "list referrers",
            &[200, 404],
            |bytes, response| {
                let index =
                    ocikit_image::ImageIndex::from_json(bytes).map_err(|e| e.to_string())?;
                let applied = response
                    .headers
                    .get_all("OCI-Filters-Applied")
                    .flat_map(|v| v.split(','))
                    .any(|f| f.trim() == "artifactType");
                filtered &= applied;
                manifests.extend(index.manifests);
                Ok(())
            },
        )?;
        let from_fallback_tag = !found;
        if from_fallback_tag {
            filtered = false;
            manifests = read_referrers_tag(&registry, repository, &referrers_tag(digest))?
                .map(|index| index.manifests)
                .unwrap_or_default();
        }
        if let Some(t) = artifact_type
            && !filtered
        {
            manifests.retain(|d| d.artifact_type.as_ref() == Some(t));
        }
        Ok(Referrers {
            manifests,
            from_fallback_tag,
        })
    }

    /// The descriptor of the manifest `reference` names (`HEAD`; media
    /// type, `Docker-Content-Digest` and size), or `None` when the registry
    /// does not have it.
    ///
    /// # Errors
    ///
    /// The registry's errors.
    pub fn head_manifest(&self, reference: &Reference) -> Result<Option<Descriptor>> {
        let registry = self.registry(reference)?;
        manifest::head(&registry, reference.repository(), reference.tag_or_digest())
    }

    /// The manifest or index `reference` names, as its exact bytes,
    /// verified against the reference's digest or the registry's
    /// `Docker-Content-Digest`, at most [`DEFAULT_MANIFEST_LIMIT`] bytes.
    ///
    /// # Errors
    ///
    /// As for the manifest of [`Client::pull`].
    pub fn fetch_manifest(&self, reference: &Reference) -> Result<Manifest> {
        let registry = self.registry(reference)?;
        fetch(
            &registry,
            reference.repository(),
            reference.tag_or_digest(),
            reference.digest(),
            DEFAULT_MANIFEST_LIMIT,
        )
    }

    /// The blob `descriptor` names, from the reference's repository, read
    /// into memory (spec.md, "Pulling blobs"): for small blobs such as an
    /// image config. At most `limit` bytes are accepted, and the bytes are
    /// verified against the descriptor's digest and size; larger blobs
    /// belong in a layout ([`Client::pull`]).
    ///
    /// # Errors
    ///
    /// [`Error::Usage`] when the descriptor's size is above `limit`; the
    /// registry's errors; [`Error::DigestMismatch`] for content that is
    /// not the descriptor's (another digest, or another size).
    pub fn fetch_blob(
        &self,
        reference: &Reference,
        descriptor: &Descriptor,
        limit: u64,
    ) -> Result<Vec<u8>> {
        let digest = &descriptor.digest;
        let size = descriptor.size_u64().map_err(ocikit_layout::Error::from)?;
        if size > limit {
            return Err(Error::Usage {
                reference: reference.to_string(),
                reason: format!(
                    "blob {digest} has {size} bytes, more than the {limit} read into memory"
                ),
            });
        }
        let registry = self.registry(reference)?;
        let repository = reference.repository();
        let call = Call::new(
            &registry,
            Method::Get,
            &Registry::path(repository, &format!("blobs/{digest}")),
            format!("fetch blob {digest}"),
            &[200],
        )
        .repository(repository, Scope::pull(repository));
        let mut attempts = 0;
        let bytes = loop {
            attempts += 1;
            let response = registry.send(&call)?;
            // One byte past the size, whatever Content-Length says: a
            // longer body is refused below, an endless one stops here.
            let mut bytes = Vec::new();
            match response.body.take(size + 1).read_to_end(&mut bytes) {
                Ok(_) => break bytes,
                Err(e) if retryable_io(&e) && attempts <= registry.retry_count() => {}
                Err(e) => return Err(registry.transport_error(&call, &call.url, e, attempts)),
            }
        };
        let found = Digest::compute(&digest.algorithm(), &bytes).map_err(|e| Error::Document {
            registry: registry.name.clone(),
            repository: repository.to_owned(),
            what: format!("blob {digest}"),
            source: Box::new(e),
        })?;
        if found != *digest || bytes.len() as u64 != size {
            return Err(Error::DigestMismatch {
                registry: registry.name.clone(),
                repository: repository.to_owned(),
                what: format!("blob {digest} ({size} bytes; {} received)", bytes.len()),
                expected: digest.clone(),
                found,
            });
        }
        Ok(bytes)
    }

    /// Deletes the manifest `reference` names by digest (spec.md, "Deleting
    /// Manifests"; many registries refuse deletes by tag).
    ///
    /// # Errors
    ///
    /// [`Error::Usage`] for a reference without a digest; [`Error::Status`]
    /// with 400 or 405 when the registry does not allow deletes.
    pub fn delete_manifest(&self, reference: &Reference) -> Result<()> {
        let digest = require_digest(reference, "deleting a manifest")?;
        self.delete(
            reference,
            &format!("manifests/{digest}"),
            format!("delete manifest {digest}"),
        )
    }

    /// Deletes the blob `digest` from the reference's repository (spec.md,
    /// "Deleting Blobs").
    ///
    /// # Errors
    ///
    /// [`Error::Status`] with 400 or 405 when the registry does not allow
    /// deletes, 404 when it does not have the blob.
    pub fn delete_blob(&self, reference: &Reference, digest: &Digest) -> Result<()> {
        self.delete(
            reference,
            &format!("blobs/{digest}"),
            format!("delete blob {digest}"),
        )
    }

    fn delete(&self, reference: &Reference, rest: &str, operation: String) -> Result<()> {
        let registry = self.registry(reference)?;
        let repository = reference.repository();
        let call = Call::new(
            &registry,
            Method::Delete,
            &Registry::path(repository, rest),
            operation,
            &[200, 202, 204],
        )
        .repository(repository, Scope::push(repository));
        registry.send(&call).map(drop)
    }
}

fn require_digest<'r>(reference: &'r Reference, what: &str) -> Result<&'r Digest> {
    reference.digest().ok_or_else(|| Error::Usage {
        reference: reference.to_string(),
        reason: format!("{what} needs a reference by digest (REPO@sha256:...)"),
    })
}

/// Reads every page from `url` on, handing each body to `page`; a 404 is
/// an error like any other, with the registry's codes (`NAME_UNKNOWN`).
fn pages(
    registry: &Registry,
    repository: Option<&str>,
    url: Url,
    operation: &str,
    mut page: impl FnMut(&[u8]) -> std::result::Result<(), String>,
) -> Result<()> {
    read_pages(registry, repository, url, operation, &[200], |bytes, _| {
        page(bytes)
    })
    .map(drop)
}

/// Reads every page from `url` on, the first answering one of `first_ok`
/// (the others 200); `Ok(false)` when the first answers 404.
fn read_pages(
    registry: &Registry,
    repository: Option<&str>,
    mut url: Url,
    operation: &str,
    first_ok: &[u16],
    mut page: impl FnMut(&[u8], &Response) -> std::result::Result<(), String>,
) -> Result<bool> {
    let mut visited = HashSet::new();
    let scope = repository.map(Scope::pull);
    for number in 0..MAX_PAGES {
        let ok: &[u16] = if number == 0 { first_ok } else { &[200] };
        let mut call = Call::to(url.clone(), Method::Get, operation.to_owned(), ok);
        call.repository = repository;
        call.scopes.extend(scope.clone());
        let response = registry.send(&call)?;
        if response.status == 404 {
            return Ok(false);
        }
        let next = next_link(&response);
        let Response {
            status,
            headers,
            mut body,
        } = response;
        let mut bytes = Vec::new();
        body.by_ref()
            .take(PAGE_LIMIT + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| registry.transport_error(&call, &url, e, 1))?;
        if bytes.len() as u64 > PAGE_LIMIT {
            return Err(registry.protocol(
                repository,
                operation,
                format!("a page is larger than {PAGE_LIMIT} bytes"),
            ));
        }
        let answer = Response {
            status,
            headers,
            body: Box::new(std::io::empty()),
        };
        page(&bytes, &answer).map_err(|reason| {
            registry.protocol(repository, operation, format!("page {url}: {reason}"))
        })?;
        visited.insert(url.clone());
        let Some(next) = next else {
            return Ok(true);
        };
        let next = url
            .join(&next)
            .filter(|n| n.same_origin(&registry.base))
            .ok_or_else(|| {
                registry.protocol(
                    repository,
                    operation,
                    format!(
                        "Link {:?} does not lead to a page of this registry",
                        printable(&next)
                    ),
                )
            })?;
        if visited.contains(&next) {
            return Err(registry.protocol(
                repository,
                operation,
                format!("Link leads back to {next}: a loop"),
            ));
        }
        url = next;
    }
    Err(registry.protocol(
        repository,
        operation,
        format!("more than {MAX_PAGES} pages"),
    ))
}

/// The target of the `Link` header with `rel="next"` (RFC 8288), as written.
fn next_link(response: &Response) -> Option<String> {
    for value in response.headers.get_all("Link") {
        let mut rest = value;
        while let Some(open) = rest.find('<') {
            let after = &rest[open + 1..];
            let close = after.find('>')?;
            let target = &after[..close];
            let params = &after[close + 1..];
            let end = params.find('<').unwrap_or(params.len());
            let is_next = params[..end].split(';').any(|p| {
                let p = p.trim().trim_end_matches(',').trim();
                let p = p.to_ascii_lowercase();
                p == "rel=\"next\"" || p == "rel=next"
            });
            if is_next {
                return Some(target.to_owned());
            }
            rest = &params[end..];
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::Headers;

    fn with_link(values: &[&str]) -> Response {
        Response {
            status: 200,
            headers: Headers::new(
                values
                    .iter()
                    .map(|v| ("Link".to_owned(), (*v).to_owned()))
                    .collect(),
            ),
            body: Box::new(std::io::empty()),
        }
    }

    #[test]
    fn next_links_are_found() {
        assert_eq!(
            next_link(&with_link(&[r#"</v2/a/tags/list?n=2&last=b>; rel="next""#])).as_deref(),
            Some("/v2/a/tags/list?n=2&last=b")
        );
        assert_eq!(
            next_link(&with_link(&[
                r#"<https://x/prev>; rel="prev", <https://x/next>; rel=next"#
            ]))
            .as_deref(),
            Some("https://x/next")
        );
        assert_eq!(
            next_link(&with_link(&[r#"<https://x/prev>; rel="prev""#])),
            None
        );
        assert_eq!(next_link(&with_link(&[])), None);
    }
}
