//! Pull: a registry image into an image layout (distribution-spec spec.md,
//! "Pull"). The manifest is resolved and verified, indexes are followed to
//! the platform asked for (or to every platform), the blobs stream into the
//! layout's blob writer several at once, each committed only when its
//! digest and size match; the documents are stored as their exact bytes,
//! children before parents, and the tag is written last, so a pull that is
//! killed leaves no tag to a partial image.

use std::collections::{BTreeSet, HashMap};
use std::io::{self, Read, Write};

use ocikit_image::{
    Descriptor, Digest, Document, ImageIndex, ImageManifest, Json, MediaType, Model, Platform,
};
use ocikit_layout::archive::convert;
use ocikit_layout::progress::{Progress, Tracker};
use ocikit_layout::{BlobWriter, Layout, MAX_INDEX_DEPTH, available_platforms, pick_manifest};

use crate::auth::Scope;
use crate::client::{Call, Registry};
use crate::manifest::{DEFAULT_MANIFEST_LIMIT, Manifest, fetch};
use crate::parallel;
use crate::retry::retryable_io;
use crate::transport::Method;
use crate::url::Url;
use crate::{Client, Error, Reference, Result};

/// Which manifests of an image index are pulled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Platforms {
    /// The one for the platform this program runs on (the default).
    #[default]
    Host,
    /// The one for this platform, through nested indexes.
    Only(Platform),
    /// Every manifest of the index: the index itself is stored and tagged.
    All,
}

/// How [`Client::pull`] pulls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullOptions {
    /// Which manifests of an index are pulled. A single manifest is pulled
    /// whatever it says.
    pub platforms: Platforms,
    /// Store OCI forms of Docker schema 2 manifests and lists, as
    /// `oci import --to-oci` does (configs and layers keep their bytes and
    /// digests; the manifests' change). By default they are stored as
    /// their exact bytes, so the digest a signature names stays valid.
    pub to_oci: bool,
    /// Fetch layers that list `urls` (non-distributable layers) from those
    /// URLs, without credentials. When `false`, such a layer is fetched from
    /// the registry like any other, and the pull fails when the registry
    /// does not have it.
    pub fetch_urls: bool,
    /// The largest manifest or index accepted, in bytes.
    pub max_manifest_size: u64,
    /// Where each blob's progress goes: one task per blob, named
    /// `download <digest>` with the blob's size as the total, or
    /// `exists <digest>` for a blob the layout has already.
    pub progress: Progress,
}

impl Default for PullOptions {
    fn default() -> PullOptions {
        PullOptions {
            platforms: Platforms::Host,
            to_oci: false,
            fetch_urls: false,
            max_manifest_size: DEFAULT_MANIFEST_LIMIT,
            progress: Progress::none(),
        }
    }
}

/// What [`Client::pull`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pulled {
    /// The descriptor tagged in the layout (with the platform when one
    /// manifest was chosen from an index).
    pub descriptor: Descriptor,
    /// The digest the reference resolved to in the registry (the index's
    /// when a platform was chosen from one).
    pub digest: Digest,
    /// Whether Docker-typed manifests or lists were stored (podman's and
    /// skopeo's `oci:` transport do not see them; [`PullOptions::to_oci`]
    /// stores OCI ones instead).
    pub docker_manifests: bool,
    /// Blobs downloaded.
    pub blobs_fetched: usize,
    /// Bytes of those blobs.
    pub bytes_fetched: u64,
    /// Blobs the layout held already.
    pub blobs_present: usize,
}

/// What a pull stores: documents in the order they are to be written
/// (children first), and the blobs they reference.
#[derive(Default)]
struct Plan {
    documents: Vec<(Descriptor, Vec<u8>)>,
    blobs: Vec<Descriptor>,
    seen: BTreeSet<Digest>,
}

impl Plan {
    fn blob(&mut self, descriptor: &Descriptor) {
        if self.seen.insert(descriptor.digest.clone()) {
            self.blobs.push(descriptor.clone());
        }
    }
}

/// How one blob ended.
enum Outcome {
    Fetched(u64),
    Present,
}

impl Client {
    /// Pulls `reference` into `layout` and tags it `tag` there.
    ///
    /// The manifest is fetched with every OCI and Docker schema 2 type in
    /// `Accept`, at most [`PullOptions::max_manifest_size`] bytes, and
    /// verified against the reference's digest, or for a tag against the
    /// registry's `Docker-Content-Digest` (the digest recorded is that of
    /// the bytes received). An index is followed to the manifest for
    /// [`PullOptions::platforms`], or kept whole with every manifest. Each
    /// blob is streamed into the layout's blob writer (hashed as written,
    /// never whole in memory) and committed only when its digest and size
    /// match; one the layout has is not fetched (its time is refreshed for
    /// gc). A download that breaks off resumes with `Range` when the
    /// registry answers 206 with the matching `Content-Range`, and starts
    /// again otherwise. The tag is written last.
    ///
    /// # Errors
    ///
    /// [`Error::Status`], [`Error::Transport`] and [`Error::Protocol`] from
    /// the registry; [`Error::DigestMismatch`] for content that is not
    /// what was asked for; [`Error::ManifestTooLarge`];
    /// [`Error::UnsupportedManifest`] for Docker schema 1;
    /// [`Error::Document`] for a manifest that breaks the image-spec;
    /// [`Error::NoMatchingPlatform`]; [`Error::ForeignLayer`];
    /// [`Error::Layout`] for the tag and for storing. Nothing is tagged
    /// then; blobs stored before the error stay for gc to judge.
    pub fn pull(
        &self,
        reference: &Reference,
        layout: &Layout,
        tag: &str,
        options: &PullOptions,
    ) -> Result<Pulled> {
        ocikit_layout::check_tag(tag)?;
        let registry = self.registry(reference)?;
        let repository = reference.repository();
        let root = fetch(
            &registry,
            repository,
            reference.tag_or_digest(),
            reference.digest(),
            options.max_manifest_size,
        )?;
        let digest = root.descriptor.digest.clone();
        let mut plan = Plan::default();
        let walk = Walk {
            registry: &registry,
            reference,
            options,
        };
        let top = walk.collect(root, 0, &mut plan)?;

        let workers = self.options().max_concurrent_blobs;
        let outcomes = parallel::map(&plan.blobs, workers, |descriptor| {
            BlobFetch {
                registry: &registry,
                repository,
                layout,
                descriptor,
                options,
            }
            .run()
        })?;
        let mut tagged = top;
        let documents = if options.to_oci {
            documents_to_oci(plan.documents, &mut tagged)
                .map_err(|e| walk.document_error(&tagged, e))?
        } else {
            plan.documents
        };
        for (descriptor, bytes) in &documents {
            layout.put_blob_verified(descriptor, &bytes[..])?;
        }
        let docker_manifests = documents.iter().any(|(d, _)| d.media_type.is_docker());
        layout.tag(tag, &tagged)?;
        let mut pulled = Pulled {
            descriptor: tagged,
            digest,
            docker_manifests,
            blobs_fetched: 0,
            bytes_fetched: 0,
            blobs_present: 0,
        };
        for outcome in outcomes {
            match outcome {
                Outcome::Fetched(bytes) => {
                    pulled.blobs_fetched += 1;
                    pulled.bytes_fetched += bytes;
                }
                Outcome::Present => pulled.blobs_present += 1,
            }
        }
        Ok(pulled)
    }
}

/// The OCI forms of `documents` (children first), as `oci import --to-oci`
/// makes them (ocikit-layout's conversion, on the bytes in hand): Docker
/// manifests become OCI manifests, lists and indexes listing converted
/// entries become OCI indexes; `top` becomes the converted descriptor.
/// Nothing of the Docker forms is stored.
fn documents_to_oci(
    documents: Vec<(Descriptor, Vec<u8>)>,
    top: &mut Descriptor,
) -> std::result::Result<Vec<(Descriptor, Vec<u8>)>, ocikit_image::Error> {
    let mut converted: HashMap<Digest, Descriptor> = HashMap::new();
    let mut out = Vec::with_capacity(documents.len());
    for (descriptor, bytes) in documents {
        let new = if descriptor.media_type == MediaType::DockerManifest {
            let manifest = ImageManifest::from_json(&bytes)?;
            Some(convert::manifest_to_oci(&manifest).to_canonical_json())
        } else if descriptor.media_type.is_index() {
            let index = ImageIndex::from_json(&bytes)?;
            let entries = index
                .manifests
                .iter()
                .map(|entry| match converted.get(&entry.digest) {
                    Some(new) => convert::converted_descriptor(entry, new.clone()),
                    None => entry.clone(),
                })
                .collect();
            convert::index_to_oci(&descriptor, &index, entries).map(|i| i.to_canonical_json())
        } else {
            None
        };
        match new {
            Some(new_bytes) => {
                let media_type = if descriptor.media_type.is_index() {
                    MediaType::ImageIndex
                } else {
                    MediaType::ImageManifest
                };
                let new = Descriptor::for_bytes(media_type, &new_bytes);
                converted.insert(descriptor.digest.clone(), new.clone());
                out.push((convert::converted_descriptor(&descriptor, new), new_bytes));
            }
            None => out.push((descriptor, bytes)),
        }
    }
    if let Some(new) = converted.get(&top.digest) {
        *top = convert::converted_descriptor(top, new.clone());
    }
    Ok(out)
}

/// The walk from the root manifest to what is stored.
struct Walk<'a> {
    registry: &'a Registry,
    reference: &'a Reference,
    options: &'a PullOptions,
}

impl Walk<'_> {
    /// Adds `manifest` (and what it reaches) to `plan`; returns the
    /// descriptor to tag: its own, or the chosen manifest's.
    fn collect(&self, manifest: Manifest, depth: usize, plan: &mut Plan) -> Result<Descriptor> {
        if depth > MAX_INDEX_DEPTH {
            return Err(Error::NestingTooDeep {
                reference: self.reference.to_string(),
                limit: MAX_INDEX_DEPTH,
            });
        }
        let Manifest { descriptor, bytes } = manifest;
        if descriptor.media_type.is_index() {
            let index: Document<ImageIndex> = self.parse(&descriptor, &bytes)?;
            let chosen = match &self.options.platforms {
                Platforms::All => None,
                Platforms::Host => Some(Platform::host()),
                Platforms::Only(platform) => Some(platform.clone()),
            };
            if let Some(platform) = chosen {
                let entry =
                    pick_manifest(&index, &platform).ok_or_else(|| Error::NoMatchingPlatform {
                        reference: self.reference.to_string(),
                        platform: platform.to_string(),
                        available: available_platforms(&index),
                    })?;
                let child = self.fetch_child(&entry)?;
                return self.collect(child, depth + 1, plan);
            }
            for entry in &index.manifests {
                if entry.media_type.is_index() || entry.media_type.is_manifest() {
                    let child = self.fetch_child(entry)?;
                    self.collect(child, depth + 1, plan)?;
                } else {
                    plan.blob(entry);
                }
            }
        } else {
            let manifest: Document<ImageManifest> = self.parse(&descriptor, &bytes)?;
            plan.blob(&manifest.config);
            for layer in &manifest.layers {
                plan.blob(layer);
            }
        }
        if plan.seen.insert(descriptor.digest.clone()) {
            plan.documents.push((descriptor.clone(), bytes));
        }
        Ok(descriptor)
    }

    /// Fetches the manifest an index entry names, checking that it is what
    /// the entry says (digest, size, media type); returns it with the
    /// entry's descriptor (platform and annotations kept).
    fn fetch_child(&self, entry: &Descriptor) -> Result<Manifest> {
        let repository = self.reference.repository();
        let fetched = fetch(
            self.registry,
            repository,
            entry.digest.as_str(),
            Some(&entry.digest),
            self.options.max_manifest_size,
        )?;
        let size = entry
            .size_u64()
            .map_err(|e| self.document_error(entry, e))?;
        if fetched.bytes.len() as u64 != size || fetched.descriptor.media_type != entry.media_type {
            return Err(self.registry.protocol(
                Some(repository),
                &format!("fetch manifest {}", entry.digest),
                format!(
                    "the index lists it as {} of {size} bytes, the registry sent {} of {} bytes",
                    entry.media_type,
                    fetched.descriptor.media_type,
                    fetched.bytes.len()
                ),
            ));
        }
        Ok(Manifest {
            descriptor: entry.clone(),
            bytes: fetched.bytes,
        })
    }

    /// Parses and validates a document.
    fn parse<T: Model>(&self, descriptor: &Descriptor, bytes: &[u8]) -> Result<Document<T>> {
        let document = Document::<T>::from_bytes(bytes.to_vec())
            .map_err(|e| self.document_error(descriptor, e))?;
        // The image-spec's rules name OCI media types; Docker schema 2
        // documents are only parsed, as the layout reads them.
        if !descriptor.media_type.is_docker() {
            document
                .validate()
                .map_err(|e| self.document_error(descriptor, ocikit_image::Error::from(e)))?;
        }
        Ok(document)
    }

    fn document_error(&self, descriptor: &Descriptor, source: ocikit_image::Error) -> Error {
        Error::Document {
            registry: self.registry.name.clone(),
            repository: self.reference.repository().to_owned(),
            what: format!("{} {}", descriptor.media_type, descriptor.digest),
            source: Box::new(source),
        }
    }
}

/// The size of each read from a blob download.
const CHUNK: usize = 256 << 10;

/// One blob download.
struct BlobFetch<'a> {
    registry: &'a Registry,
    repository: &'a str,
    layout: &'a Layout,
    descriptor: &'a Descriptor,
    options: &'a PullOptions,
}

impl BlobFetch<'_> {
    fn run(&self) -> Result<Outcome> {
        let digest = &self.descriptor.digest;
        // A blob present is not fetched; refreshing its time keeps gc
        // from removing it before the tag is written.
        if matches!(self.layout.touch_blob(digest), Ok(true)) {
            Tracker::new(
                &self.options.progress,
                &format!("exists {digest}"),
                None,
                None,
            )
            .finish();
            return Ok(Outcome::Present);
        }
        let _slot = self.registry.slots.take();
        let own = self
            .registry
            .base
            .with_path(&Registry::path(self.repository, &format!("blobs/{digest}")));
        if self.descriptor.urls.is_empty() || !self.options.fetch_urls {
            return match self.download(own, false) {
                Err(e) if e.status() == Some(404) && !self.descriptor.urls.is_empty() => {
                    Err(Error::ForeignLayer {
                        digest: digest.clone(),
                        reason: format!(
                            "the registry does not have it, and fetching it from its urls ({}) is not allowed (PullOptions::fetch_urls)",
                            crate::error::printable(&self.descriptor.urls.join(", "))
                        ),
                    })
                }
                result => result.map(Outcome::Fetched),
            };
        }
        let mut failures = Vec::new();
        for url in &self.descriptor.urls {
            let Some(url) = Url::parse(url) else {
                failures.push(format!(
                    "{:?} is not an http(s) URL",
                    crate::error::printable(url)
                ));
                continue;
            };
            match self.download(url, true) {
                Ok(size) => return Ok(Outcome::Fetched(size)),
                Err(e) => failures.push(e.to_string()),
            }
        }
        Err(Error::ForeignLayer {
            digest: digest.clone(),
            reason: format!("none of its urls could be fetched: {}", failures.join("; ")),
        })
    }

    /// Streams the blob from `url` into the layout; `anonymous` sends no
    /// credentials at all. Returns its size.
    fn download(&self, url: Url, anonymous: bool) -> Result<u64> {
        let digest = &self.descriptor.digest;
        let size = self
            .descriptor
            .size_u64()
            .map_err(ocikit_layout::Error::from)?;
        let operation = format!("fetch blob {digest}");
        let tracker = Tracker::new(
            &self.options.progress,
            &format!("download {digest}"),
            Some(size),
            None,
        );
        let mut writer = self.layout.blob_writer_with(&digest.algorithm())?;
        let mut resumes = 0u32;
        loop {
            let offset = writer.bytes_written();
            let mut call = Call::to(
                url.clone(),
                Method::Get,
                operation.clone(),
                &[200, 206, 416],
            )
            .repository(self.repository, Scope::pull(self.repository));
            call.anonymous = anonymous;
            if offset > 0 {
                call = call.header("Range", format!("bytes={offset}-"));
            }
            let response = self.registry.send(&call)?;
            if response.status != 200 || offset > 0 {
                let resumed = response.status == 206
                    && offset > 0
                    && content_range_matches(response.headers.get("Content-Range"), offset, size);
                if !resumed {
                    if offset == 0 {
                        return Err(self.registry.protocol(
                            Some(self.repository),
                            &operation,
                            format!("HTTP {} to a request without Range", response.status),
                        ));
                    }
                    // Not the rest we asked for: start again from the start.
                    writer = self.layout.blob_writer_with(&digest.algorithm())?;
                    tracker.set_bytes(0);
                    if response.status != 200 {
                        continue;
                    }
                }
            }
            match copy_body(response.body, &mut writer, size, &tracker) {
                Ok(()) => break,
                Err(Copy::Read(e)) if retryable_io(&e) && resumes < self.registry.retry_count() => {
                    resumes += 1;
                }
                Err(Copy::Read(e)) => {
                    return Err(self.registry.transport_error(&call, &url, e, resumes + 1));
                }
                Err(Copy::Write(e)) => {
                    return Err(Error::Layout(ocikit_layout::Error::Io {
                        action: "write a blob into",
                        path: self.layout.blobs_path(),
                        source: e,
                    }));
                }
            }
        }
        tracker.finish();
        writer
            .commit_verified(self.descriptor)
            .map_err(|e| match e {
                ocikit_layout::Error::CommitMismatch {
                    expected,
                    found,
                    size: written,
                    expected_size,
                    ..
                } => Error::DigestMismatch {
                    registry: self.registry.name.clone(),
                    repository: self.repository.to_owned(),
                    what: format!("blob {expected} ({expected_size} bytes; {written} received)"),
                    expected,
                    found,
                },
                other => Error::Layout(other),
            })?;
        Ok(size)
    }
}

/// Whether `Content-Range` is `bytes OFFSET-(SIZE-1)/SIZE` (or `/*`): the
/// rest of the blob from where the download broke off.
fn content_range_matches(value: Option<&str>, offset: u64, size: u64) -> bool {
    let Some(range) = value.and_then(|v| v.trim().strip_prefix("bytes ")) else {
        return false;
    };
    let Some((span, total)) = range.split_once('/') else {
        return false;
    };
    let Some((first, last)) = span.split_once('-') else {
        return false;
    };
    let total_ok = total == "*" || total.parse::<u64>().ok() == Some(size);
    first.parse::<u64>().ok() == Some(offset)
        && last.parse::<u64>().ok() == size.checked_sub(1)
        && total_ok
}

/// Why copying a body stopped.
enum Copy {
    Read(io::Error),
    Write(io::Error),
}

/// Copies `body` into `writer` until the end of the body, reading at most
/// one byte past `size` in all (an endless or longer body stops there, and
/// the commit refuses it).
fn copy_body(
    mut body: Box<dyn Read + Send>,
    writer: &mut BlobWriter,
    size: u64,
    tracker: &Tracker,
) -> std::result::Result<(), Copy> {
    let mut buffer = vec![0u8; CHUNK];
    loop {
        let room = (size + 1).saturating_sub(writer.bytes_written());
        if room == 0 {
            return Ok(());
        }
        let want = usize::try_from(room)
            .unwrap_or(usize::MAX)
            .min(buffer.len());
        let Some(chunk) = buffer.get_mut(..want) else {
            return Ok(());
        };
        let n = match body.read(chunk) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Copy::Read(e)),
        };
        writer
            .write_all(chunk.get(..n).unwrap_or_default())
            .map_err(Copy::Write)?;
        tracker.set_bytes(writer.bytes_written());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges() {
        assert!(content_range_matches(Some("bytes 100-199/200"), 100, 200));
        assert!(content_range_matches(Some("bytes 100-199/*"), 100, 200));
        assert!(!content_range_matches(Some("bytes 0-199/200"), 100, 200));
        assert!(!content_range_matches(Some("bytes 100-198/200"), 100, 200));
        assert!(!content_range_matches(Some("bytes 100-199/300"), 100, 200));
        assert!(!content_range_matches(Some("100-199/200"), 100, 200));
        assert!(!content_range_matches(None, 100, 200));
    }
}
