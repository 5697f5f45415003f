//! Copying one image from a layout into another (or the same one): every
//! blob its tag reaches, each verified while it is copied, then the tag
//! (image-spec image-layout.md "Blobs" and "index.json file", descriptor.md
//! "Verification").

use std::io::{self, Read, Write};

use ocikit_image::Descriptor;
use ocikit_image::annotations::REF_NAME;

use crate::archive::{Added, reachable};
use crate::progress::{Progress, Tracker};
use crate::{BlobInfo, Error, Layout, Result, check_tag};

/// How [`Layout::copy_image`] copies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyOptions {
    /// Where the copy reports its progress: bytes copied out of the total
    /// of the blobs the destination lacks, and blobs done out of all the
    /// image reaches.
    pub progress: Progress,
}

/// What [`Layout::copy_image`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    /// The descriptor now tagged in the destination (the source's, with
    /// the new tag in its `org.opencontainers.image.ref.name` annotation).
    pub descriptor: Descriptor,
    /// How many blobs were copied (the destination lacked them).
    pub new_blobs: usize,
    /// How many bytes those blobs hold.
    pub bytes_copied: u64,
    /// How many blobs the destination held already (not rewritten, only
    /// their modification time refreshed for gc's grace period).
    pub reused_blobs: usize,
}

/// `descriptor` as [`Layout::tag`] stores it under `name`.
fn tagged(descriptor: &Descriptor, name: &str) -> Descriptor {
    let mut tagged = descriptor.clone();
    tagged.annotations.insert(REF_NAME.into(), name.into());
    tagged
}

/// The size of each read from a source blob: large, so that hashing and
/// writing run in long strides.
const CHUNK: usize = 1 << 20;

impl Layout {
    /// Copies the image tagged `tag` in `source` into this layout and tags
    /// it `new_tag` here (moving the tag if it exists).
    ///
    /// Every blob the tag reaches is copied: nested image indexes,
    /// manifests, configs, layers and any other blob a manifest lists
    /// (artifacts), and subjects that are present. A blob this layout holds
    /// already is not written again (its modification time is refreshed,
    /// so that [`Layout::gc`] keeps it until the tag is in place). Each blob
    /// is copied through the crash-safe blob writer in large reads, hashed
    /// as it goes, and committed only when what was written has the digest
    /// and size its descriptor gives. The documents are checked as an
    /// import checks them (what [`Layout::fsck`] would call damage is
    /// refused) before any blob is copied, and the tag is written last, so
    /// a crash or an error never leaves a tag on an incomplete image. When
    /// the copy fails, the blobs it added are removed again.
    ///
    /// Copying within one layout (`source` is this layout, by path) only
    /// tags: every blob is there already.
    ///
    /// ```
    /// use ocikit_image::{ImageConfiguration, ImageManifest, MediaType};
    /// use ocikit_layout::{CopyOptions, Layout};
    /// # let dir = tempfile::tempdir()?;
    ///
    /// let source = Layout::init(dir.path().join("source"))?;
    /// let layer = source.put_bytes(MediaType::ImageLayer, b"not really a tar")?;
    /// let mut config = ImageConfiguration::for_platform(&"linux/amd64".parse()?);
    /// config.rootfs.diff_ids.push(layer.digest.clone());
    /// let config = source.put_json(&config)?;
    /// let manifest = source.put_json(&ImageManifest { config, layers: vec![layer], ..Default::default() })?;
    /// source.tag("v1", &manifest)?;
    ///
    /// let target = Layout::init(dir.path().join("target"))?;
    /// let copied = target.copy_image(&source, "v1", "stable", &CopyOptions::default())?;
    /// assert_eq!(copied.new_blobs, 3);
    /// assert_eq!(target.find_tag("stable")?.digest, manifest.digest);
    ///
    /// // A second copy finds every blob there already.
    /// let again = target.copy_image(&source, "v1", "v1", &CopyOptions::default())?;
    /// assert_eq!((again.new_blobs, again.reused_blobs), (0, 3));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::InvalidTag`] for `new_tag`; [`Error::TagNotFound`] and
    /// [`Error::AmbiguousTag`] for `tag` in `source`;
    /// [`Error::MissingReference`] when a blob the image reaches is not in
    /// `source` (a layer with `urls` may be absent); [`Error::Verify`] for
    /// a source document that is corrupt or a blob of the wrong size;
    /// [`Error::DamagedSource`] for a document that breaks the spec;
    /// [`Error::CommitMismatch`] for a blob whose content does not hash to
    /// its digest; [`Error::Io`] when reading or writing fails. Nothing is
    /// tagged then.
    pub fn copy_image(
        &self,
        source: &Layout,
        tag: &str,
        new_tag: &str,
        options: &CopyOptions,
    ) -> Result<Copied> {
        check_tag(new_tag)?;
        let descriptor = source.find_tag(tag)?;
        if self.is_same_layout(source) {
            self.tag(new_tag, &descriptor)?;
            return Ok(Copied {
                descriptor: tagged(&descriptor, new_tag),
                new_blobs: 0,
                bytes_copied: 0,
                reused_blobs: 0,
            });
        }
        let mut blobs = reachable(source, std::slice::from_ref(&descriptor))?;
        if let Some(problem) = source
            .document_damage(std::slice::from_ref(&descriptor))
            .first()
        {
            return Err(Error::DamagedSource {
                layout: source.path().to_path_buf(),
                digest: problem.digest().cloned(),
                problem: problem.to_string(),
            });
        }
        // Layers and configs first, then manifests, then indexes: a
        // document arrives after (most of) what it references.
        blobs.sort_by_key(|d| (d.media_type.is_index(), d.media_type.is_manifest()));

        let mut added = Added::new(self);
        let copied = self
            .copy_blobs(source, &blobs, options, &mut added)
            .and_then(|copied| self.tag(new_tag, &descriptor).map(|()| copied));
        match copied {
            Ok((new_blobs, bytes_copied)) => Ok(Copied {
                descriptor: tagged(&descriptor, new_tag),
                new_blobs,
                bytes_copied,
                reused_blobs: blobs.len() - new_blobs,
            }),
            Err(e) => {
                added.discard();
                Err(e)
            }
        }
    }

    /// Copies the blobs of `blobs` this layout lacks from `source`,
    /// recording each in `added`; returns how many were copied and their
    /// bytes.
    fn copy_blobs(
        &self,
        source: &Layout,
        blobs: &[Descriptor],
        options: &CopyOptions,
        added: &mut Added<'_>,
    ) -> Result<(usize, u64)> {
        // Refreshing a blob present here protects it from gc until the tag
        // is written (the `# Concurrency` rule of `Layout::gc`); one that
        // cannot be refreshed is copied, and the copy replaces it.
        let mut missing = Vec::new();
        for blob in blobs {
            if !matches!(self.touch_blob(&blob.digest), Ok(true)) {
                missing.push(blob);
            }
        }
        let total: u64 = missing.iter().map(|d| d.size_u64().unwrap_or(0)).sum();
        let count = u64::try_from(missing.len()).unwrap_or(u64::MAX);
        let tracker = Tracker::new(&options.progress, "copy", Some(total), Some(count));
        let mut buffer = vec![0; CHUNK];
        let mut bytes = 0;
        for blob in &missing {
            let info = self.copy_blob(source, blob, &mut buffer, &tracker)?;
            added.record(&info);
            bytes += info.size;
            tracker.add_entry();
        }
        tracker.finish();
        Ok((missing.len(), bytes))
    }

    /// Copies one blob from `source` through a blob writer, in reads of
    /// `buffer`'s size, and commits it only when it has `descriptor`'s
    /// digest and size. The writer's hash is the only one computed: it is
    /// over exactly the bytes stored.
    fn copy_blob(
        &self,
        source: &Layout,
        descriptor: &Descriptor,
        buffer: &mut [u8],
        tracker: &Tracker,
    ) -> Result<BlobInfo> {
        let (mut file, path) = source.open_blob_file(descriptor)?;
        let expected = descriptor.size_u64()?;
        let mut writer = self.blob_writer_with(&descriptor.digest.algorithm())?;
        // One byte more than expected is enough to see that it grew.
        let mut left = expected.saturating_add(1);
        while left > 0 {
            let want = usize::try_from(left)
                .unwrap_or(usize::MAX)
                .min(buffer.len());
            let Some(chunk) = buffer.get_mut(..want) else {
                break;
            };
            let n = match file.read(chunk) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::io("read", &path)(e)),
            };
            let read = chunk.get(..n).unwrap_or_default();
            writer
                .write_all(read)
                .map_err(Error::io("write a blob into", self.blobs_path()))?;
            left -= n as u64;
            tracker.add_bytes(n as u64);
        }
        writer.commit_verified(descriptor)
    }

    /// Whether `other` is this layout: the same directory, by path once
    /// symbolic links and `..` are resolved.
    fn is_same_layout(&self, other: &Layout) -> bool {
        match (self.path().canonicalize(), other.path().canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => false,
        }
    }
}
