//! Checking a layout: every reachable blob against its descriptor (size and
//! digest, streamed), every document against the media type that references
//! it and the rules of the spec, layers against the config's
//! `rootfs.diff_ids` (image-spec image-layout.md, descriptor.md
//! "Verification", config.md `rootfs`), plus the garbage gc would remove.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::io;
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use ocikit_image::validate::Rule;
use ocikit_image::{
    Descriptor, Digest, Document, ImageIndex, ImageManifest, Json, MediaType, Report,
};

use crate::codec::{self, CodecError};
use crate::dir::{Access, BlobDirs};
use crate::gc::{TEMP_FILE_MAX_AGE, removable};
use crate::walk::{Found, Reached, walk};
use crate::{Error, Layout, MAX_DOCUMENT_SIZE, Result};

/// What [`Layout::fsck`] checks beyond its defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FsckOptions {
    /// Also decompress every layer and check its uncompressed digest against
    /// the config's `rootfs.diff_ids` (config.md: the digest of the layer's
    /// uncompressed tar archive). Without it, only the number of diff IDs is
    /// checked against the layers. Layers of a compression this crate cannot
    /// read (an unknown `+suffix`) are skipped.
    pub verify_diff_ids: bool,
}

/// One thing wrong in a layout. Most name the blob and the chain of
/// references that reached it first, such as
/// `index.json manifests[0] -> layers[2]`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// `index.json` does not parse or breaks the spec.
    IndexJson {
        /// The parse or validation errors.
        error: String,
    },
    /// A referenced blob is not in the layout.
    Missing {
        /// The blob.
        digest: Digest,
        /// The references that reached it.
        path: String,
    },
    /// A `subject` is not in the layout. Not damage: a referrer may be
    /// stored without the manifest it refers to.
    MissingSubject {
        /// The subject's digest.
        digest: Digest,
        /// The references that reached it.
        path: String,
    },
    /// A blob's content does not match its descriptor's size or digest.
    Corrupt {
        /// The blob.
        digest: Digest,
        /// The references that reached it.
        path: String,
        /// The mismatch.
        error: String,
    },
    /// A blob could not be read or verified for another reason (an
    /// algorithm this build cannot compute, a document too large, an I/O
    /// error).
    Unreadable {
        /// The blob.
        digest: Digest,
        /// The references that reached it.
        path: String,
        /// Why.
        error: String,
    },
    /// A document does not parse as what its descriptor says it is.
    Unparsable {
        /// The blob.
        digest: Digest,
        /// The references that reached it.
        path: String,
        /// The parse error.
        error: String,
    },
    /// A descriptor says one kind of document and the blob is the other
    /// (it says image index, the JSON is an image manifest, or the reverse).
    WrongDocumentKind {
        /// The blob.
        digest: Digest,
        /// The references that reached it.
        path: String,
        /// The media type the descriptor gives.
        descriptor: MediaType,
        /// What the content is, such as `an image manifest`.
        found: &'static str,
    },
    /// A document's own `mediaType` field disagrees with its descriptor's.
    MediaTypeMismatch {
        /// The blob.
        digest: Digest,
        /// The references that reached it.
        path: String,
        /// The media type the descriptor gives.
        descriptor: MediaType,
        /// The media type the document gives itself.
        document: MediaType,
    },
    /// A document parses but breaks rules of the spec (ocikit-image's `validate`).
    Invalid {
        /// The blob.
        digest: Digest,
        /// The references that reached it.
        path: String,
        /// The violations, `; `-separated, each naming its field.
        errors: String,
    },
    /// An image manifest's layer count is not its config's number of
    /// `rootfs.diff_ids` (config.md: one diff ID per layer, in order).
    DiffIdCount {
        /// The manifest.
        digest: Digest,
        /// The references that reached the manifest.
        path: String,
        /// The config.
        config: Digest,
        /// The manifest's number of layers.
        layers: usize,
        /// The config's number of diff IDs.
        diff_ids: usize,
    },
    /// A layer whose uncompressed content does not hash to the diff ID its
    /// config gives for it, or that cannot be decompressed (only with
    /// [`FsckOptions::verify_diff_ids`]).
    DiffId {
        /// The layer.
        digest: Digest,
        /// The references that reached the layer.
        path: String,
        /// What is wrong: the two digests, or the decompression error.
        error: String,
    },
    /// A blob nothing reachable from `index.json` references (garbage that
    /// [`Layout::gc`] removes; the spec allows it).
    Unreachable {
        /// The blob.
        digest: Digest,
        /// Its size in bytes.
        size: u64,
    },
    /// A temporary file older than [`TEMP_FILE_MAX_AGE`]: left by a crash
    /// (garbage that [`Layout::gc`] removes).
    StaleTemp {
        /// The file.
        path: PathBuf,
        /// How long ago it was last written.
        age: Duration,
    },
}

impl Problem {
    /// Whether this is damage (something referenced is missing, corrupt or
    /// wrong) rather than garbage or a note: everything but
    /// [`Problem::Unreachable`], [`Problem::StaleTemp`] and
    /// [`Problem::MissingSubject`].
    pub fn is_damage(&self) -> bool {
        !matches!(
            self,
            Problem::Unreachable { .. }
                | Problem::StaleTemp { .. }
                | Problem::MissingSubject { .. }
        )
    }

    /// The blob concerned, when there is one.
    pub fn digest(&self) -> Option<&Digest> {
        match self {
            Problem::IndexJson { .. } | Problem::StaleTemp { .. } => None,
            Problem::Missing { digest, .. }
            | Problem::MissingSubject { digest, .. }
            | Problem::Corrupt { digest, .. }
            | Problem::Unreadable { digest, .. }
            | Problem::Unparsable { digest, .. }
            | Problem::WrongDocumentKind { digest, .. }
            | Problem::MediaTypeMismatch { digest, .. }
            | Problem::Invalid { digest, .. }
            | Problem::DiffIdCount { digest, .. }
            | Problem::DiffId { digest, .. }
            | Problem::Unreachable { digest, .. } => Some(digest),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::IndexJson { error } => write!(f, "invalid index.json: {error}"),
            Problem::Missing { digest, path } => {
                write!(
                    f,
                    "missing: {digest} at {path}: the blob is not in the layout"
                )
            }
            Problem::MissingSubject { digest, path } => write!(
                f,
                "missing subject: {digest} at {path}: the referred-to manifest is not in the layout"
            ),
            Problem::Corrupt {
                digest,
                path,
                error,
            } => write!(f, "corrupt: {digest} at {path}: {error}"),
            Problem::Unreadable {
                digest,
                path,
                error,
            } => write!(f, "unreadable: {digest} at {path}: {error}"),
            Problem::DiffId {
                digest,
                path,
                error,
            } => write!(f, "diff_id: {digest} at {path}: {error}"),
            Problem::Unparsable {
                digest,
                path,
                error,
            } => write!(f, "unparsable: {digest} at {path}: {error}"),
            Problem::WrongDocumentKind {
                digest,
                path,
                descriptor,
                found,
            } => write!(
                f,
                "wrong media type: {digest} at {path}: the descriptor says {descriptor}, the content is {found}"
            ),
            Problem::MediaTypeMismatch {
                digest,
                path,
                descriptor,
                document,
            } => write!(
                f,
                "wrong media type: {digest} at {path}: the descriptor says {descriptor}, the document's mediaType says {document}"
            ),
            Problem::Invalid {
                digest,
                path,
                errors,
            } => write!(f, "invalid: {digest} at {path}: {errors}"),
            Problem::DiffIdCount {
                digest,
                path,
                config,
                layers,
                diff_ids,
            } => write!(
                f,
                "diff_ids: {digest} at {path}: {layers} layers, but its config {config} has {diff_ids} rootfs.diff_ids"
            ),
            Problem::Unreachable { digest, size } => write!(
                f,
                "unreachable: {digest} ({size} bytes): nothing in index.json references it"
            ),
            Problem::StaleTemp { path, age } => write!(
                f,
                "stale temporary file: {} (last written {} hours ago)",
                path.display(),
                age.as_secs() / 3600
            ),
        }
    }
}

/// What [`Layout::fsck`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FsckReport {
    /// Every problem, in the order found: `index.json`, then the walk from it
    /// (breadth first), then unreachable blobs by digest, then temporary files.
    pub problems: Vec<Problem>,
    /// The number of distinct digests reachable from `index.json`.
    pub reachable: usize,
    /// The number of bytes of reachable blobs read and verified.
    pub verified_bytes: u64,
}

impl FsckReport {
    /// No problem at all, not even garbage.
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }

    /// The problems that are damage ([`Problem::is_damage`]).
    pub fn damage(&self) -> impl Iterator<Item = &Problem> {
        self.problems.iter().filter(|p| p.is_damage())
    }
}

impl fmt::Display for FsckReport {
    /// One line per problem.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for problem in &self.problems {
            writeln!(f, "{problem}")?;
        }
        Ok(())
    }
}

impl Layout {
    /// Checks the layout and reports every problem found; the layout is not
    /// changed. See [`Problem`] for what is checked. Unknown media types are
    /// verified as blobs, never refused.
    ///
    /// ```
    /// use ocikit_image::{ImageConfiguration, ImageManifest, MediaType};
    /// use ocikit_layout::{FsckOptions, Layout, Problem};
    /// # let dir = tempfile::tempdir()?;
    /// let layout = Layout::init(dir.path().join("l"))?;
    /// let layer = layout.put_bytes(MediaType::ImageLayer, b"a layer")?;
    /// let mut config = ImageConfiguration::for_platform(&"linux/amd64".parse()?);
    /// config.rootfs.diff_ids.push(layer.digest.clone());
    /// let config = layout.put_json(&config)?;
    /// let manifest = layout.put_json(&ImageManifest { config, layers: vec![layer.clone()], ..Default::default() })?;
    /// layout.tag("v1", &manifest)?;
    /// assert!(layout.fsck(&FsckOptions::default())?.is_clean());
    ///
    /// std::fs::write(layout.blob_path(&layer.digest), b"A layer")?;
    /// let report = layout.fsck(&FsckOptions::default())?;
    /// assert!(matches!(&report.problems[..], [Problem::Corrupt { path, .. }] if path == "index.json manifests[0] -> layers[0]"));
    /// print!("{report}"); // corrupt: sha256:... at index.json manifests[0] -> layers[0]: blob sha256:...: content hashes to ...
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Concurrency
    ///
    /// fsck takes no lock. Run beside writers, it may report their blobs
    /// not tagged yet as unreachable; beside a gc, blobs that gc removed
    /// after fsck read `index.json` (untagged meanwhile) as missing.
    ///
    /// # Errors
    ///
    /// [`Error::Io`] when `index.json` or a directory cannot be read (a
    /// problem with a blob is a [`Problem`], not an error).
    pub fn fsck(&self, options: &FsckOptions) -> Result<FsckReport> {
        let mut check = Check {
            layout: self,
            report: FsckReport::default(),
            configs: HashMap::new(),
            verify_diff_ids: options.verify_diff_ids,
            diff_ids_checked: HashSet::new(),
            verify_leaves: true,
        };
        match self.index() {
            Ok(index) => {
                let errors = errors_of(index.check(), None);
                if !errors.is_empty() {
                    check.push(Problem::IndexJson { error: errors });
                }
                let reached = walk(self, &index, |at, found| check.visit(at, found));
                check.report.reachable = reached.len();
                let mut blobs = self.list_blobs()?;
                blobs.sort();
                for digest in blobs.into_iter().filter(|d| !reached.contains(d)) {
                    let size = std::fs::metadata(self.blob_path(&digest)).map_or(0, |m| m.len());
                    check.push(Problem::Unreachable { digest, size });
                }
            }
            Err(Error::Document { source, .. }) => check.push(Problem::IndexJson {
                error: source.to_string(),
            }),
            Err(e) => return Err(e),
        }
        let now = SystemTime::now();
        for (dir, name) in BlobDirs::open(self, Access::Read)?.temp_files()? {
            if let Some(file) = removable(dir, &name)?
                && file.age(now) >= TEMP_FILE_MAX_AGE
            {
                check.push(Problem::StaleTemp {
                    path: dir.join(&name),
                    age: file.age(now),
                });
            }
        }
        Ok(check.report)
    }
}

impl Layout {
    /// The damage fsck would report in what `roots` reach, without reading
    /// leaf blobs (configs are read, layers are not): for an import, whose
    /// blobs were verified as they were stored, to refuse documents that
    /// break the spec before anything is tagged.
    pub(crate) fn document_damage(&self, roots: &[Descriptor]) -> Vec<Problem> {
        let mut check = Check {
            layout: self,
            report: FsckReport::default(),
            configs: HashMap::new(),
            verify_diff_ids: false,
            diff_ids_checked: HashSet::new(),
            verify_leaves: false,
        };
        let index = ImageIndex::new(roots.to_vec());
        walk(self, &index, |at, found| check.visit(at, found));
        check
            .report
            .problems
            .into_iter()
            .filter(Problem::is_damage)
            .collect()
    }
}

/// The state of one fsck run.
struct Check<'a> {
    layout: &'a Layout,
    report: FsckReport,
    /// The diff IDs of each image config read so far (`None` when it could
    /// not be read), so a shared config is read once.
    configs: HashMap<Digest, Option<Vec<Digest>>>,
    /// Whether to decompress layers and check their diff IDs.
    verify_diff_ids: bool,
    /// The (layer, diff ID) pairs already checked.
    diff_ids_checked: HashSet<(Digest, Digest)>,
    /// Whether to read every leaf blob (layers, configs as blobs) through
    /// the verifying reader.
    verify_leaves: bool,
}

impl Check<'_> {
    fn push(&mut self, problem: Problem) {
        self.report.problems.push(problem);
    }

    fn count(&mut self, bytes: usize) {
        let bytes = u64::try_from(bytes).unwrap_or(u64::MAX);
        self.report.verified_bytes = self.report.verified_bytes.saturating_add(bytes);
    }

    fn visit(&mut self, at: &Reached, found: &Found) {
        let digest = at.descriptor.digest.clone();
        let path = at.path.clone();
        match found {
            Found::Missing if at.is_subject => self.push(Problem::MissingSubject { digest, path }),
            Found::Missing => self.push(Problem::Missing { digest, path }),
            Found::Unreadable(Error::Document { source, .. }) => {
                let problem = self.wrong_kind(at).unwrap_or(Problem::Unparsable {
                    digest,
                    path,
                    error: source.to_string(),
                });
                self.push(problem);
            }
            Found::Unreadable(e) => self.push(blob_problem(at, e)),
            Found::Leaf if self.verify_leaves => self.verify_leaf(at),
            Found::Leaf => {}
            Found::Index(index) => {
                self.count(index.bytes().len());
                self.document(at, index.media_type.as_ref(), index.check());
            }
            Found::Manifest(manifest) => {
                self.count(manifest.bytes().len());
                self.document(at, manifest.media_type.as_ref(), manifest.check());
                self.diff_ids(at, manifest);
            }
        }
    }

    /// Streams a blob through the verifying reader.
    fn verify_leaf(&mut self, at: &Reached) {
        let result = self
            .layout
            .open_blob(&at.descriptor)
            .and_then(|mut reader| {
                io::copy(&mut reader, &mut io::sink()).map_err(|e| {
                    Error::from_blob_read(self.layout.blob_path(&at.descriptor.digest), e)
                })
            });
        match result {
            Ok(n) => self.report.verified_bytes = self.report.verified_bytes.saturating_add(n),
            Err(Error::BlobNotFound { .. }) => self.push(Problem::Missing {
                digest: at.descriptor.digest.clone(),
                path: at.path.clone(),
            }),
            Err(e) => self.push(blob_problem(at, &e)),
        }
    }

    /// The document's own media type against its descriptor's, and the
    /// spec's rules. The `mediaType` rule of ocikit-image is left out: the
    /// descriptor comparison covers it, and a Docker document rightly has
    /// a Docker media type there.
    fn document(&mut self, at: &Reached, own: Option<&MediaType>, report: Report) {
        if let Some(own) = own
            && *own != at.descriptor.media_type
        {
            self.push(Problem::MediaTypeMismatch {
                digest: at.descriptor.digest.clone(),
                path: at.path.clone(),
                descriptor: at.descriptor.media_type.clone(),
                document: own.clone(),
            });
        }
        let errors = errors_of(report, Some("mediaType"));
        if !errors.is_empty() {
            self.push(Problem::Invalid {
                digest: at.descriptor.digest.clone(),
                path: at.path.clone(),
                errors,
            });
        }
    }

    /// One diff ID per layer (config.md `rootfs.diff_ids`), for manifests
    /// whose config is an image config. The config is read and validated
    /// once; a config that is missing or corrupt is reported where the walk
    /// reaches it.
    fn diff_ids(&mut self, at: &Reached, manifest: &Document<ImageManifest>) {
        let config = &manifest.config;
        if !config.media_type.is_config() {
            return;
        }
        let diff_ids = match self.configs.get(&config.digest) {
            Some(diff_ids) => diff_ids.clone(),
            None => {
                let config_path = format!("{} -> config", at.path);
                let count = match self.layout.read_config(config) {
                    Ok(doc) => {
                        let errors = errors_of(doc.check(), None);
                        if !errors.is_empty() {
                            self.push(Problem::Invalid {
                                digest: config.digest.clone(),
                                path: config_path,
                                errors,
                            });
                        }
                        Some(doc.rootfs.diff_ids.clone())
                    }
                    Err(Error::Document { source, .. }) => {
                        self.push(Problem::Unparsable {
                            digest: config.digest.clone(),
                            path: config_path,
                            error: source.to_string(),
                        });
                        None
                    }
                    Err(_) => None,
                };
                self.configs.insert(config.digest.clone(), count.clone());
                count
            }
        };
        let Some(diff_ids) = diff_ids else { return };
        if diff_ids.len() != manifest.layers.len() {
            self.push(Problem::DiffIdCount {
                digest: at.descriptor.digest.clone(),
                path: at.path.clone(),
                config: config.digest.clone(),
                layers: manifest.layers.len(),
                diff_ids: diff_ids.len(),
            });
        } else if self.verify_diff_ids {
            for (i, (layer, diff_id)) in manifest.layers.iter().zip(&diff_ids).enumerate() {
                self.diff_id(&format!("{} -> layers[{i}]", at.path), layer, diff_id);
            }
        }
    }

    /// Decompresses one layer and compares its digest with `expected`. A
    /// missing or corrupt blob is reported where the walk reaches the layer.
    fn diff_id(&mut self, path: &str, layer: &Descriptor, expected: &Digest) {
        if !self
            .diff_ids_checked
            .insert((layer.digest.clone(), expected.clone()))
        {
            return;
        }
        if codec::compression_of(&layer.media_type).is_err() {
            return;
        }
        let Ok(reader) = self.layout.open_blob(layer) else {
            return;
        };
        let error = match codec::verify_diff_id(reader, &layer.media_type, expected) {
            Ok(_) => return,
            Err(CodecError::DiffIdMismatch { expected, found }) => {
                format!(
                    "the uncompressed layer hashes to {found}, its config's diff_id is {expected}"
                )
            }
            // The blob itself is corrupt: reported by the leaf check.
            Err(CodecError::Io(e)) if ocikit_image::digester::io_error_cause(&e).is_some() => {
                return;
            }
            Err(e) => format!("cannot decompress it: {e}"),
        };
        self.push(Problem::DiffId {
            digest: layer.digest.clone(),
            path: path.to_owned(),
            error,
        });
    }

    /// A document that does not parse as its descriptor's kind: is it the
    /// other kind (a manifest where an index is said, or the reverse)?
    fn wrong_kind(&self, at: &Reached) -> Option<Problem> {
        let bytes = self
            .layout
            .read_blob(&at.descriptor, MAX_DOCUMENT_SIZE)
            .ok()?;
        let found = if at.descriptor.media_type.is_index() {
            ImageManifest::from_json(&bytes)
                .ok()
                .map(|_| "an image manifest")
        } else {
            ImageIndex::from_json(&bytes).ok().map(|_| "an image index")
        }?;
        Some(Problem::WrongDocumentKind {
            digest: at.descriptor.digest.clone(),
            path: at.path.clone(),
            descriptor: at.descriptor.media_type.clone(),
            found,
        })
    }
}

/// A size or digest mismatch is corruption; anything else is unreadable.
fn blob_problem(at: &Reached, error: &Error) -> Problem {
    let digest = at.descriptor.digest.clone();
    let path = at.path.clone();
    let message = error.to_string();
    match error {
        Error::Verify(
            ocikit_image::Error::SizeMismatch { .. } | ocikit_image::Error::DigestMismatch { .. },
        ) => Problem::Corrupt {
            digest,
            path,
            error: message,
        },
        _ => Problem::Unreadable {
            digest,
            path,
            error: message,
        },
    }
}

/// The errors of a validation report, `; `-separated, leaving out the
/// document media type rule at `skip`.
fn errors_of(report: Report, skip: Option<&str>) -> String {
    report
        .errors()
        .filter(|v| !(v.rule == Rule::DocumentMediaType && Some(v.path.as_str()) == skip))
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
