//! `index.json` and the tags in it (image-spec image-layout.md "index.json
//! file"; a tag is the `org.opencontainers.image.ref.name` annotation of a
//! descriptor there). Changes are made under the index lock and written by
//! atomic replace, so concurrent taggers lose nothing.

use ocikit_image::annotations::{REF_NAME, is_valid_ref_name};
use ocikit_image::{
    Descriptor, Digest, Document, ImageIndex, ImageManifest, Json, ParseError, Platform, Validate,
};

use crate::atomic::write_atomic;
use crate::fsutil::read_limited;
use crate::{Error, Layout, Result};

/// The largest `index.json` read: about 100 000 tagged descriptors.
const INDEX_FILE_LIMIT: u64 = 64 << 20;

/// How deep [`Layout::resolve`] follows indexes inside indexes.
pub const MAX_INDEX_DEPTH: usize = 8;

/// A tag resolved to one image manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The descriptor of the manifest (from the index that listed it).
    pub descriptor: Descriptor,
    /// The manifest, parsed from its verified bytes.
    pub manifest: Document<ImageManifest>,
    /// The descriptors followed to get there, from the tagged one in
    /// `index.json` down to the manifest's own.
    pub chain: Vec<Descriptor>,
}

impl Layout {
    /// Reads `index.json` as it is now.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when it cannot be read or is larger than 64 MiB;
    /// [`Error::Document`] when it is empty or does not parse. Nothing of
    /// this crate replaces a broken `index.json` (that would drop every
    /// tag): changes refuse until a person repairs it.
    pub fn index(&self) -> Result<Document<ImageIndex>> {
        let path = self.index_path();
        let bytes = read_limited(&path, INDEX_FILE_LIMIT)?;
        let document = |source| Error::Document {
            what: Self::INDEX_FILE.into(),
            source,
        };
        // What a crash or a full disk leaves after a writer that truncates
        // in place (not ours: we replace by rename), said plainly.
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(document(ocikit_image::Error::Json(ParseError {
                document: ImageIndex::KIND,
                path: ".".into(),
                message: format!(
                    "the file is empty ({} bytes), expected a JSON object",
                    bytes.len()
                ),
                line: 0,
                column: 0,
            })));
        }
        Document::from_bytes(bytes).map_err(document)
    }

    /// Changes `index.json`: under the index lock, reads the current index,
    /// lets `change` edit it, and when it changed, replaces the file
    /// atomically with the canonical serialisation. `manifests` is always
    /// written as a list, never `null`.
    ///
    /// ```
    /// use ocikit_image::{Descriptor, MediaType};
    /// # let dir = tempfile::tempdir()?;
    /// let layout = ocikit_layout::Layout::init(dir.path().join("l"))?;
    /// let d = Descriptor::for_bytes(MediaType::ImageManifest, b"{}");
    /// layout.update_index(|index| {
    ///     index.manifests.push(d.clone());
    ///     Ok(())
    /// })?;
    /// assert_eq!(layout.index()?.manifests, vec![d]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// Whatever `change` returns (the file is then left as it was), and the
    /// errors of [`Layout::index`] and of writing.
    pub fn update_index<R>(&self, change: impl FnOnce(&mut ImageIndex) -> Result<R>) -> Result<R> {
        let _lock = self.lock_index()?;
        let current = self.index()?;
        let mut index = current.value().clone();
        let result = change(&mut index)?;
        if index != *current.value() {
            write_atomic(self.index_path(), &index.to_canonical_json())?;
        }
        Ok(result)
    }

    /// Tags `descriptor` as `name`: adds it to `index.json` with the
    /// `org.opencontainers.image.ref.name` annotation, replacing whatever
    /// had that tag before (in place, so the order of the index is kept).
    ///
    /// Whatever had the tag is replaced unseen: a writer that read the tag
    /// and now writes back something made from what it read uses
    /// [`Layout::tag_if`], so that a change made meanwhile is not lost.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidTag`] when `name` breaks the ref-name grammar of
    /// annotations.md; errors of [`Layout::update_index`].
    pub fn tag(&self, name: &str, descriptor: &Descriptor) -> Result<()> {
        self.put_tag(name, descriptor, |_| Ok(()))
    }

    /// Tags `descriptor` as `name`, as [`Layout::tag`] does, only if the
    /// tag still names what the caller read: the digest `expected`, or no
    /// descriptor at all when `expected` is `None`. The check and the
    /// change happen under the index lock, so of several writers that read
    /// the same tag and each write back their own change (a
    /// compare-and-swap), exactly one succeeds; the others get
    /// [`Error::TagChanged`] and may read the tag again and redo their
    /// change on top.
    ///
    /// ```
    /// use ocikit_image::{Descriptor, MediaType};
    /// # let dir = tempfile::tempdir()?;
    /// let layout = ocikit_layout::Layout::init(dir.path().join("l"))?;
    /// let v1 = Descriptor::for_bytes(MediaType::ImageManifest, b"{\"v\":1}");
    /// let v2 = Descriptor::for_bytes(MediaType::ImageManifest, b"{\"v\":2}");
    /// layout.tag_if("app", &v1, None)?; // only if there is no tag "app" yet
    /// let read = layout.find_tag("app")?.digest;
    /// // Someone else moves the tag meanwhile...
    /// layout.tag("app", &v2)?;
    /// // ...so a change based on what was read is refused, not lost.
    /// let err = layout.tag_if("app", &v1, Some(&read)).unwrap_err();
    /// assert!(matches!(err, ocikit_layout::Error::TagChanged { .. }));
    /// assert_eq!(layout.find_tag("app")?.digest, v2.digest);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::TagChanged`] naming the tag, the digest expected and the
    /// one found (nothing is changed then); [`Error::AmbiguousTag`] when
    /// several descriptors have the tag; as [`Layout::tag`].
    pub fn tag_if(
        &self,
        name: &str,
        descriptor: &Descriptor,
        expected: Option<&Digest>,
    ) -> Result<()> {
        self.put_tag(name, descriptor, |index| {
            let found = match find_tagged(index, name) {
                Ok(found) => Some(&found.digest),
                Err(Error::TagNotFound { .. }) => None,
                Err(e) => return Err(e),
            };
            if found == expected {
                return Ok(());
            }
            Err(Error::TagChanged {
                name: name.into(),
                expected: expected.cloned(),
                found: found.cloned(),
            })
        })
    }

    /// Tags `descriptor` as `name` when `check`, given the index as it is
    /// under the lock, allows it.
    fn put_tag(
        &self,
        name: &str,
        descriptor: &Descriptor,
        check: impl FnOnce(&ImageIndex) -> Result<()>,
    ) -> Result<()> {
        check_tag(name)?;
        let mut tagged = descriptor.clone();
        tagged.annotations.insert(REF_NAME.into(), name.into());
        self.update_index(|index| {
            check(index)?;
            let mut slot = None;
            let mut position = 0;
            index.manifests.retain(|d| {
                let keep = d.ref_name() != Some(name);
                if !keep && slot.is_none() {
                    slot = Some(position);
                }
                position += usize::from(keep);
                keep
            });
            index
                .manifests
                .insert(slot.unwrap_or(index.manifests.len()), tagged);
            Ok(())
        })
    }

    /// Removes the tag `name` and returns the descriptor that had it. The
    /// descriptor leaves `index.json`; what only it referenced is garbage
    /// for [`gc`](crate::Layout) from then on.
    ///
    /// # Errors
    ///
    /// [`Error::TagNotFound`]; [`Error::AmbiguousTag`] when several
    /// descriptors have it (all are left in place).
    pub fn untag(&self, name: &str) -> Result<Descriptor> {
        self.update_index(|index| {
            let found = find_tagged(index, name)?.clone();
            index.manifests.retain(|d| d.ref_name() != Some(name));
            Ok(found)
        })
    }

    /// The tags in `index.json`, sorted, each once.
    ///
    /// # Errors
    ///
    /// As for [`Layout::index`].
    pub fn list_tags(&self) -> Result<Vec<String>> {
        let index = self.index()?;
        let mut tags: Vec<String> = index
            .manifests
            .iter()
            .filter_map(|d| d.ref_name().map(str::to_owned))
            .collect();
        tags.sort();
        tags.dedup();
        Ok(tags)
    }

    /// The descriptor in `index.json` tagged `name`.
    ///
    /// # Errors
    ///
    /// [`Error::TagNotFound`]; [`Error::AmbiguousTag`] when more than one
    /// descriptor has the tag.
    pub fn find_tag(&self, name: &str) -> Result<Descriptor> {
        let index = self.index()?;
        find_tagged(&index, name).cloned()
    }

    /// Resolves the tag `name` to one image manifest: follows image indexes
    /// (nested too, up to [`MAX_INDEX_DEPTH`]) choosing the entry that best
    /// runs on `platform` (the host's when `None`), as image-index.md
    /// describes; an index whose entries have no platform at all resolves
    /// only when it has exactly one manifest. A tag on a manifest whose
    /// descriptor declares a platform resolves only when that platform runs
    /// on `platform`, if one is given.
    ///
    /// # Errors
    ///
    /// The errors of [`Layout::find_tag`]; [`Error::NoMatchingPlatform`];
    /// [`Error::NestingTooDeep`]; blob and parse errors of the documents on the way.
    pub fn resolve(&self, name: &str, platform: Option<&Platform>) -> Result<Resolved> {
        let host;
        let explicit = platform.is_some();
        let platform = match platform {
            Some(p) => p,
            None => {
                host = Platform::host();
                &host
            }
        };
        let mut descriptor = self.find_tag(name)?;
        // A tag on a manifest names one image: with the host's platform
        // implied it is taken as it is, but a platform asked for explicitly
        // must match the one its descriptor declares.
        if let Some(declared) = descriptor.platform.as_ref().filter(|_| explicit)
            && platform.select([Some(declared)]).is_none()
        {
            return Err(Error::NoMatchingPlatform {
                what: format!("tag {name:?}"),
                platform: platform.to_string(),
                available: declared.to_string(),
            });
        }
        let mut chain = vec![descriptor.clone()];
        for _ in 0..=MAX_INDEX_DEPTH {
            if !descriptor.media_type.is_index() {
                let manifest = self.read_manifest(&descriptor)?;
                return Ok(Resolved {
                    descriptor,
                    manifest,
                    chain,
                });
            }
            let index = self.read_index(&descriptor)?;
            descriptor =
                pick_manifest(&index, platform).ok_or_else(|| Error::NoMatchingPlatform {
                    what: format!("tag {name:?} (index {})", descriptor.digest),
                    platform: platform.to_string(),
                    available: available_platforms(&index),
                })?;
            chain.push(descriptor.clone());
        }
        Err(Error::NestingTooDeep {
            what: format!("tag {name:?}"),
            limit: MAX_INDEX_DEPTH,
        })
    }
}

/// Refuses names that are not valid `org.opencontainers.image.ref.name`
/// values, as [`Layout::tag`] does; for checking a tag before any work.
///
/// # Errors
///
/// [`Error::InvalidTag`] saying why.
pub fn check_tag(name: &str) -> Result<()> {
    if name.is_empty() {
        return Err(Error::InvalidTag {
            name: name.into(),
            reason: "a tag cannot be empty",
        });
    }
    if !is_valid_ref_name(name) {
        return Err(Error::InvalidTag {
            name: name.into(),
            reason: "a tag is made of components of letters and digits, separated by one of - . _ : @ / + or --",
        });
    }
    Ok(())
}

/// The one descriptor tagged `name`.
fn find_tagged<'a>(index: &'a ImageIndex, name: &str) -> Result<&'a Descriptor> {
    let mut tagged = index
        .manifests
        .iter()
        .filter(|d| d.ref_name() == Some(name));
    let Some(first) = tagged.next() else {
        let mut tags: Vec<&str> = index
            .manifests
            .iter()
            .filter_map(Descriptor::ref_name)
            .collect();
        tags.sort_unstable();
        tags.dedup();
        let shown = tags.iter().take(20).copied().collect::<Vec<_>>().join(", ");
        return Err(Error::TagNotFound {
            name: name.into(),
            available: if tags.len() > 20 {
                format!("{shown}, ...")
            } else if tags.is_empty() {
                "none".into()
            } else {
                shown
            },
        });
    };
    let others: Vec<Digest> = tagged.map(|d| d.digest.clone()).collect();
    if !others.is_empty() {
        let mut digests = vec![first.digest.clone()];
        digests.extend(others);
        return Err(Error::AmbiguousTag {
            name: name.into(),
            digests,
        });
    }
    Ok(first)
}

/// The entry of `index` for `platform` ([`Platform::select`]: the best
/// match, the first among equals), or the only manifest of an index that
/// gives no platforms: the choice [`Layout::resolve`] makes at each level,
/// for a caller walking an index it holds (a registry pull).
pub fn pick_manifest(index: &ImageIndex, platform: &Platform) -> Option<Descriptor> {
    let candidates = index.manifests.iter().map(|d| d.platform.as_ref());
    if let Some(i) = platform.select(candidates) {
        return index.manifests.get(i).cloned();
    }
    let runnable: Vec<&Descriptor> = index
        .manifests
        .iter()
        .filter(|d| d.media_type.is_manifest() || d.media_type.is_index())
        .collect();
    match runnable.as_slice() {
        [only] if only.platform.is_none() => Some((*only).clone()),
        _ => None,
    }
}

/// The platforms `index` lists, for a message saying that none matched:
/// `linux/amd64, linux/arm64/v8`, or `none listed`.
pub fn available_platforms(index: &ImageIndex) -> String {
    let platforms: Vec<String> = index
        .manifests
        .iter()
        .filter_map(|d| d.platform.as_ref().map(Platform::to_string))
        .collect();
    if platforms.is_empty() {
        "none listed".into()
    } else {
        platforms.join(", ")
    }
}
