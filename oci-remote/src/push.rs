//! Push: an image of a layout into a registry (distribution-spec spec.md,
//! "Push"). Blobs go first (a HEAD skips what is there, a cross-repository
//! mount is tried when a source repository is named), monolithically or in
//! chunks; then the manifests as their exact bytes, children before the
//! indexes that list them, the tagged one last. A manifest with a `subject`
//! pushed to a registry without the referrers API gets its entry in the
//! `<alg>-<hex>` fallback tag ("Referrers Tag Schema").

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};

use ocikit_image::{Descriptor, Digest, ImageIndex, Json, MediaType};
use ocikit_layout::progress::{Progress, Tracker};
use ocikit_layout::{Layout, MAX_INDEX_DEPTH};

use crate::auth::Scope;
use crate::client::{Call, Payload, Registry};
use crate::manifest::{DEFAULT_MANIFEST_LIMIT, content_digest, fetch};
use crate::transport::{Method, Response};
use crate::url::Url;
use crate::{Client, Error, Reference, Result, parallel};

/// Blobs up to this size go up in one request; larger ones in chunks of
/// this size: small enough that a broken connection costs little, large
/// enough that a gigabyte is 64 requests.
pub const DEFAULT_CHUNK_SIZE: u64 = 16 << 20;

/// How [`Client::push`] pushes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushOptions {
    /// A repository on the same registry that may hold the blobs already:
    /// each missing blob is first mounted from it (spec.md, "Mounting a
    /// blob from another repository").
    pub mount_from: Option<String>,
    /// Blobs larger than this are uploaded in chunks of this size (or of
    /// the registry's `OCI-Chunk-Min-Length`, when larger).
    pub chunk_size: u64,
    /// Where each blob's progress goes: one task per blob, named
    /// `upload <digest>` with the blob's size as the total, `exists
    /// <digest>` for a blob the registry has, `mounted <digest>` for one
    /// mounted from [`PushOptions::mount_from`].
    pub progress: Progress,
}

impl Default for PushOptions {
    fn default() -> PushOptions {
        PushOptions {
            mount_from: None,
            chunk_size: DEFAULT_CHUNK_SIZE,
            progress: Progress::none(),
        }
    }
}

/// What [`Client::push`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pushed {
    /// The descriptor of what the reference now names (the tagged
    /// manifest or index of the layout).
    pub descriptor: Descriptor,
    /// Blobs uploaded.
    pub blobs_uploaded: usize,
    /// Bytes of those blobs.
    pub bytes_uploaded: u64,
    /// Blobs the registry had already.
    pub blobs_existing: usize,
    /// Blobs mounted from [`PushOptions::mount_from`].
    pub blobs_mounted: usize,
    /// Manifests and indexes sent.
    pub manifests_pushed: usize,
    /// Referrers fallback tags updated (registries without the referrers
    /// API).
    pub referrers_tags: Vec<String>,
}

/// How one blob ended.
enum Outcome {
    Uploaded(u64),
    Existing,
    Mounted,
}

/// The documents of an image, children first, and the blobs they list.
#[derive(Default)]
struct Contents {
    documents: Vec<Document>,
    blobs: Vec<Descriptor>,
    seen: BTreeSet<Digest>,
}

/// A manifest or index to push.
struct Document {
    descriptor: Descriptor,
    bytes: Vec<u8>,
    /// Its `subject`, when it has one.
    subject: Option<Digest>,
    /// The descriptor the referrers list gives it (`artifactType` and
    /// annotations from the document).
    referrer: Descriptor,
}

impl Client {
    /// Pushes the image tagged `tag` in `layout` to `reference`: under its
    /// tag, or by digest when it has none (a digest it gives must be the
    /// image's).
    ///
    /// Every blob the image reaches is checked with HEAD and uploaded when
    /// missing, several at once; then each manifest and index is sent as
    /// its exact bytes, children first, the tagged one under the
    /// reference's tag last. A layer with `urls` that the layout lacks is
    /// left out (it is fetched from its URLs). For a manifest with a
    /// `subject`, an answer without `OCI-Subject` means the registry has no
    /// referrers API: the manifest is then added to the subject's fallback
    /// tag, read and written back until a read after the write shows it
    /// (another writer may replace the tag between our read and write;
    /// each writer that checks this way puts its entry back, within
    /// [`MAX_TAG_ATTEMPTS`] rounds).
    ///
    /// # Errors
    ///
    /// [`Error::Layout`] for what cannot be read from the layout;
    /// [`Error::Status`], [`Error::Transport`] and [`Error::Protocol`] from
    /// the registry; [`Error::DigestMismatch`] when the registry reports
    /// another digest than ours; [`Error::ReferrersTag`] when the fallback
    /// tag holds something else or kept changing; [`Error::Usage`] when
    /// the reference's digest is not the image's.
    pub fn push(
        &self,
        layout: &Layout,
        tag: &str,
        reference: &Reference,
        options: &PushOptions,
    ) -> Result<Pushed> {
        let mut root = layout.find_tag(tag)?;
        root.annotations.remove(ocikit_image::annotations::REF_NAME);
        if let Some(digest) = reference.digest()
            && *digest != root.digest
        {
            return Err(Error::Usage {
                reference: reference.to_string(),
                reason: format!(
                    "the image tagged {tag:?} is {}, not this digest",
                    root.digest
                ),
            });
        }
        let registry = self.registry(reference)?;
        let repository = reference.repository();
        let mut contents = Contents::default();
        collect(layout, &root, 0, &mut contents)?;

        let outcomes = parallel::map(
            &contents.blobs,
            self.options().max_concurrent_blobs,
            |blob| {
                Upload {
                    registry: &registry,
                    repository,
                    layout,
                    descriptor: blob,
                    options,
                }
                .run()
            },
        )?;

        let mut pushed = Pushed {
            descriptor: root.clone(),
            blobs_uploaded: 0,
            bytes_uploaded: 0,
            blobs_existing: 0,
            blobs_mounted: 0,
            manifests_pushed: 0,
            referrers_tags: Vec::new(),
        };
        for outcome in outcomes {
            match outcome {
                Outcome::Uploaded(bytes) => {
                    pushed.blobs_uploaded += 1;
                    pushed.bytes_uploaded += bytes;
                }
                Outcome::Existing => pushed.blobs_existing += 1,
                Outcome::Mounted => pushed.blobs_mounted += 1,
            }
        }
        let count = contents.documents.len();
        for (i, document) in contents.documents.iter().enumerate() {
            let last = i + 1 == count;
            // The reference's digest, when it has one, is the root's
            // (checked above): the root goes under the tag when there is one.
            let target = match reference.tag() {
                Some(tag) if last => tag.to_owned(),
                _ => document.descriptor.digest.to_string(),
            };
            let subject_processed = put_manifest(
                &registry,
                repository,
                &target,
                &document.descriptor,
                &document.bytes,
                document.subject.as_ref(),
            )?;
            pushed.manifests_pushed += 1;
            if let Some(subject) = &document.subject
                && !subject_processed
            {
                let tag = add_referrer(&registry, repository, subject, &document.referrer)?;
                pushed.referrers_tags.push(tag);
            }
        }
        Ok(pushed)
    }
}

/// Adds what `descriptor` reaches in `layout` to `contents`, children
/// before parents.
fn collect(
    layout: &Layout,
    descriptor: &Descriptor,
    depth: usize,
    contents: &mut Contents,
) -> Result<()> {
    if depth > MAX_INDEX_DEPTH {
        return Err(Error::Layout(ocikit_layout::Error::NestingTooDeep {
            what: format!("index {}", descriptor.digest),
            limit: MAX_INDEX_DEPTH,
        }));
    }
    if contents.seen.contains(&descriptor.digest) {
        return Ok(());
    }
    let (bytes, subject, artifact_type, annotations) = if descriptor.media_type.is_index() {
        let index = layout.read_index(descriptor)?;
        for entry in &index.manifests {
            if entry.media_type.is_index() || entry.media_type.is_manifest() {
                collect(layout, entry, depth + 1, contents)?;
            } else {
                blob(layout, entry, contents)?;
            }
        }
        (
            index.bytes().to_vec(),
            index.subject.as_ref().map(|s| s.digest.clone()),
            index.artifact_type.clone(),
            index.annotations.clone(),
        )
    } else {
        let manifest = layout.read_manifest(descriptor)?;
        blob(layout, &manifest.config, contents)?;
        for layer in &manifest.layers {
            blob(layout, layer, contents)?;
        }
        (
            manifest.bytes().to_vec(),
            manifest.subject.as_ref().map(|s| s.digest.clone()),
            // distribution-spec: the artifactType, else the config's media type.
            Some(
                manifest
                    .artifact_type
                    .clone()
                    .unwrap_or_else(|| manifest.config.media_type.clone()),
            ),
            manifest.annotations.clone(),
        )
    };
    contents.seen.insert(descriptor.digest.clone());
    let mut referrer = Descriptor::new(
        descriptor.media_type.clone(),
        descriptor.digest.clone(),
        descriptor.size,
    );
    referrer.artifact_type = artifact_type;
    referrer.annotations = annotations;
    let mut plain = descriptor.clone();
    plain
        .annotations
        .remove(ocikit_image::annotations::REF_NAME);
    contents.documents.push(Document {
        descriptor: plain,
        bytes,
        subject,
        referrer,
    });
    Ok(())
}

/// Adds a blob to `contents`, unless it is there or is a layer with
/// `urls` that the layout does not have.
fn blob(layout: &Layout, descriptor: &Descriptor, contents: &mut Contents) -> Result<()> {
    if !descriptor.urls.is_empty() && !layout.has_blob(&descriptor.digest) {
        return Ok(());
    }
    if contents.seen.insert(descriptor.digest.clone()) {
        contents.blobs.push(descriptor.clone());
    }
    Ok(())
}

/// Sends a manifest as its bytes to `target` (a tag or its digest);
/// returns whether the registry processed its `subject` (`OCI-Subject`).
fn put_manifest(
    registry: &Registry,
    repository: &str,
    target: &str,
    descriptor: &Descriptor,
    bytes: &[u8],
    subject: Option<&Digest>,
) -> Result<bool> {
    let operation = format!("push manifest {target}");
    let path = Registry::path(repository, &format!("manifests/{target}"));
    let call = Call::new(
        registry,
        Method::Put,
        &path,
        operation.clone(),
        &[200, 201, 202],
    )
    .repository(repository, Scope::push(repository))
    .header("Content-Type", descriptor.media_type.as_str())
    .payload(Payload::Bytes(bytes));
    let response = registry.send(&call)?;
    check_digest(
        registry,
        repository,
        &operation,
        &response,
        &descriptor.digest,
    )?;
    let processed = response.headers.get("OCI-Subject").map(str::trim);
    Ok(match (subject, processed) {
        (Some(expected), Some(given)) => given == expected.as_str(),
        _ => false,
    })
}

/// Refuses an answer whose `Docker-Content-Digest` is not `expected` (of
/// the same algorithm).
fn check_digest(
    registry: &Registry,
    repository: &str,
    operation: &str,
    response: &Response,
    expected: &Digest,
) -> Result<()> {
    if let Some(found) = content_digest(registry, repository, operation, response)?
        && found.algorithm() == expected.algorithm()
        && found != *expected
    {
        return Err(Error::DigestMismatch {
            registry: registry.name.clone(),
            repository: repository.to_owned(),
            what: format!("{operation} (the registry's Docker-Content-Digest)"),
            expected: expected.clone(),
            found,
        });
    }
    Ok(())
}

/// How many times the referrers fallback tag is read and written when
/// other writers keep changing it.
pub const MAX_TAG_ATTEMPTS: usize = 5;

/// The referrers fallback tag of `digest` (spec.md, "Referrers Tag
/// Schema"): the algorithm cut to 32 characters, `-`, the encoded part cut
/// to 64, characters a tag does not allow replaced by `-`.
pub fn referrers_tag(digest: &Digest) -> String {
    let algorithm: String = digest.algorithm().as_str().chars().take(32).collect();
    let encoded: String = digest.encoded().chars().take(64).collect();
    format!("{algorithm}-{encoded}")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// Adds `referrer` to the fallback tag of `subject`; returns the tag.
fn add_referrer(
    registry: &Registry,
    repository: &str,
    subject: &Digest,
    referrer: &Descriptor,
) -> Result<String> {
    let tag = referrers_tag(subject);
    let tag_error = |reason: String| Error::ReferrersTag {
        registry: registry.name.clone(),
        repository: repository.to_owned(),
        tag: tag.clone(),
        reason,
    };
    for _ in 0..MAX_TAG_ATTEMPTS {
        let mut index = match read_referrers_tag(registry, repository, &tag)? {
            Some(index) => index,
            None => ImageIndex {
                media_type: Some(MediaType::ImageIndex),
                ..Default::default()
            },
        };
        if index.manifests.iter().any(|d| d.digest == referrer.digest) {
            return Ok(tag);
        }
        index.manifests.push(referrer.clone());
        let bytes = index.to_canonical_json();
        let written = Digest::sha256(&bytes);
        let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
        let descriptor = Descriptor::new(MediaType::ImageIndex, written.clone(), size);
        put_manifest(registry, repository, &tag, &descriptor, &bytes, None)?;
        // Another writer may have written between our read and our write
        // (and lost its entry) or after it (and kept ours only if it read
        // ours): what the tag names now tells.
        let now = crate::manifest::head(registry, repository, &tag)?;
        if now.as_ref().map(|d| &d.digest) == Some(&written) {
            return Ok(tag);
        }
    }
    Err(tag_error(format!(
        "it changed under other writers {MAX_TAG_ATTEMPTS} times; the entry of {} may be missing",
        referrer.digest
    )))
}

/// The image index the fallback `tag` holds, `None` when there is no such
/// tag.
pub(crate) fn read_referrers_tag(
    registry: &Registry,
    repository: &str,
    tag: &str,
) -> Result<Option<ImageIndex>> {
    let manifest = match fetch(registry, repository, tag, None, DEFAULT_MANIFEST_LIMIT) {
        Ok(manifest) => manifest,
        Err(e) if e.status() == Some(404) => return Ok(None),
        Err(e) => return Err(e),
    };
    let refuse = |reason: String| Error::ReferrersTag {
        registry: registry.name.clone(),
        repository: repository.to_owned(),
        tag: tag.to_owned(),
        reason,
    };
    if manifest.descriptor.media_type != MediaType::ImageIndex {
        return Err(refuse(format!(
            "it holds a {}, not an image index",
            manifest.descriptor.media_type
        )));
    }
    let index = ImageIndex::from_json(&manifest.bytes)
        .map_err(|e| refuse(format!("it is not a valid image index: {e}")))?;
    Ok(Some(index))
}

/// One blob upload.
struct Upload<'a> {
    registry: &'a Registry,
    repository: &'a str,
    layout: &'a Layout,
    descriptor: &'a Descriptor,
    options: &'a PushOptions,
}

impl Upload<'_> {
    fn run(&self) -> Result<Outcome> {
        let digest = &self.descriptor.digest;
        let report = |task: &str| {
            Tracker::new(
                &self.options.progress,
                &format!("{task} {digest}"),
                None,
                None,
            )
            .finish();
        };
        let _slot = self.registry.slots.take();
        let path = Registry::path(self.repository, &format!("blobs/{digest}"));
        let head = Call::new(
            self.registry,
            Method::Head,
            &path,
            format!("check blob {digest}"),
            &[200, 404],
        )
        .repository(self.repository, Scope::push(self.repository));
        if self.registry.send(&head)?.status == 200 {
            report("exists");
            return Ok(Outcome::Existing);
        }
        let uploads = Registry::path(self.repository, "blobs/uploads/");
        let mut scopes = vec![Scope::push(self.repository)];
        let mut url = self.registry.base.with_path(&uploads);
        let operation = format!("upload blob {digest}");
        if let Some(from) = &self.options.mount_from {
            url = url
                .with_query("mount", digest.as_str())
                .with_query("from", from);
            scopes.push(Scope::pull(from));
        }
        let mut start = Call::to(url, Method::Post, operation.clone(), &[201, 202])
            .repository(self.repository, Scope::push(self.repository));
        start.scopes = scopes;
        let response = self.registry.send(&start)?;
        if response.status == 201 && self.options.mount_from.is_some() {
            check_digest(
                self.registry,
                self.repository,
                &operation,
                &response,
                digest,
            )?;
            report("mounted");
            return Ok(Outcome::Mounted);
        }
        let session = self.location(&start.url, &response, &operation)?;
        let min_chunk = response
            .headers
            .get("OCI-Chunk-Min-Length")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .unwrap_or(0);
        let result = self.upload(session.clone(), min_chunk, &operation);
        if result.is_err() {
            // spec.md, "Cancel a blob upload": failures of this are ignored.
            let cancel = Call::to(
                session,
                Method::Delete,
                format!("cancel upload of blob {digest}"),
                &[202, 204],
            )
            .repository(self.repository, Scope::push(self.repository));
            let _ = self.registry.send(&cancel);
        }
        result
    }

    /// The upload session's `Location`, resolved against `base`.
    fn location(&self, base: &Url, response: &Response, operation: &str) -> Result<Url> {
        let value = response.headers.get("Location").ok_or_else(|| {
            self.registry.protocol(
                Some(self.repository),
                operation,
                format!("HTTP {} without a Location header", response.status),
            )
        })?;
        base.join(value).ok_or_else(|| {
            self.registry.protocol(
                Some(self.repository),
                operation,
                format!("Location {:?} is not a URL", crate::error::printable(value)),
            )
        })
    }

    /// Sends the blob's bytes to the upload session at `session`: in one
    /// PUT, or in PATCH chunks (each to the latest `Location`) and a
    /// closing PUT.
    fn upload(&self, mut session: Url, min_chunk: u64, operation: &str) -> Result<Outcome> {
        let digest = &self.descriptor.digest;
        let size = self
            .descriptor
            .size_u64()
            .map_err(ocikit_layout::Error::from)?;
        // The size on disk is checked before anything is sent.
        drop(self.layout.open_blob(self.descriptor)?);
        let path = self.layout.blob_path(digest);
        let tracker = Tracker::new(
            &self.options.progress,
            &format!("upload {digest}"),
            Some(size),
            None,
        );
        let chunk = self.options.chunk_size.max(min_chunk).max(1);
        if size <= chunk {
            let open = || -> io::Result<Box<dyn Read + '_>> {
                tracker.set_bytes(0);
                Ok(Box::new(Counted {
                    inner: self
                        .layout
                        .open_blob(self.descriptor)
                        .map_err(io::Error::other)?,
                    tracker: &tracker,
                }))
            };
            let put = Call::to(
                session.with_query("digest", digest.as_str()),
                Method::Put,
                operation.to_owned(),
                &[201, 204],
            )
            .repository(self.repository, Scope::push(self.repository))
            .header("Content-Type", "application/octet-stream")
            .payload(Payload::Stream {
                open: &open,
                length: size,
            });
            let response = self.registry.send(&put)?;
            check_digest(self.registry, self.repository, operation, &response, digest)?;
            tracker.finish();
            return Ok(Outcome::Uploaded(size));
        }
        let mut offset = 0u64;
        let mut recoveries = 0;
        while offset < size {
            let length = chunk.min(size - offset);
            let start = offset;
            let open = || -> io::Result<Box<dyn Read + '_>> {
                let mut file = File::open(&path)?;
                file.seek(SeekFrom::Start(start))?;
                Ok(Box::new(Counted {
                    inner: file.take(length),
                    tracker: &tracker,
                }))
            };
            let patch = Call::to(
                session.clone(),
                Method::Patch,
                operation.to_owned(),
                &[202, 416],
            )
            .repository(self.repository, Scope::push(self.repository))
            .header("Content-Type", "application/octet-stream")
            .header("Content-Range", format!("{start}-{}", start + length - 1))
            .payload(Payload::Stream {
                open: &open,
                length,
            });
            let response = self.registry.send(&patch)?;
            let next = self.location(&session, &response, operation)?;
            if response.status == 416 {
                // Out of step with the registry: ask where it stands
                // (spec.md, end-13) and go on from there.
                recoveries += 1;
                if recoveries > self.registry.retry_count() {
                    return Err(self.registry.protocol(
                        Some(self.repository),
                        operation,
                        format!(
                            "the registry refused chunk {start}-{} with 416 {recoveries} times",
                            start + length - 1
                        ),
                    ));
                }
                let status = Call::to(next, Method::Get, operation.to_owned(), &[204])
                    .repository(self.repository, Scope::push(self.repository));
                let response = self.registry.send(&status)?;
                session = self.location(&status.url, &response, operation)?;
                offset = match response.headers.get("Range").and_then(range_end) {
                    Some(end) => end + 1,
                    None => 0,
                };
                tracker.set_bytes(offset);
                continue;
            }
            session = next;
            offset = start + length;
            tracker.set_bytes(offset);
        }
        let put = Call::to(
            session.with_query("digest", digest.as_str()),
            Method::Put,
            operation.to_owned(),
            &[201, 204],
        )
        .repository(self.repository, Scope::push(self.repository));
        let response = self.registry.send(&put)?;
        check_digest(self.registry, self.repository, operation, &response, digest)?;
        tracker.finish();
        Ok(Outcome::Uploaded(size))
    }
}

/// The end of a `Range: 0-<end>` header (an upload's status).
fn range_end(value: &str) -> Option<u64> {
    let value = value.trim();
    let value = value.strip_prefix("bytes=").unwrap_or(value);
    value.split_once('-')?.1.trim().parse().ok()
}

/// A reader that reports what passes through it.
struct Counted<'t, R> {
    inner: R,
    tracker: &'t Tracker,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.tracker.add_bytes(n as u64);
        Ok(n)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn referrers_tags_follow_the_spec_table() {
        let a64 = "a".repeat(64);
        assert_eq!(
            referrers_tag(&format!("sha256:{a64}").parse().unwrap()),
            format!("sha256-{a64}")
        );
        let a128 = "a".repeat(128);
        assert_eq!(
            referrers_tag(&format!("sha512:{a128}").parse().unwrap()),
            format!("sha512-{a64}")
        );
        assert_eq!(range_end("0-1023"), Some(1023));
        assert_eq!(range_end("bytes=0-9"), Some(9));
        assert_eq!(range_end("junk"), None);
    }
}
