//! Creating and opening an image layout directory (image-spec
//! image-layout.md): the `oci-layout` marker file, `index.json` and `blobs/`.

use std::fs;
use std::path::{Path, PathBuf};

use ocikit_image::{Algorithm, Digest, ImageIndex, ImageLayout, Json};

use crate::atomic::write_atomic;
use crate::fsutil::{ensure_dir, read_limited, sync_dir};
use crate::{Error, Result};

/// The largest `oci-layout` file read: it holds one short JSON object.
const LAYOUT_FILE_LIMIT: u64 = 64 * 1024;

/// An image layout on disk: a directory with an `oci-layout` file, an
/// `index.json` and a `blobs/` tree of content-addressed files.
///
/// A `Layout` is only a path: cheap to clone, and any number of them, in
/// any number of processes, may work on the same directory at once. Blobs
/// are written under unique temporary names and renamed into place;
/// `index.json` is changed under an advisory lock and replaced atomically.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    root: PathBuf,
}

impl Layout {
    /// The name of the marker file at the root of a layout.
    pub const LAYOUT_FILE: &'static str = "oci-layout";
    /// The name of the root index.
    pub const INDEX_FILE: &'static str = "index.json";
    /// The name of the blob directory.
    pub const BLOBS_DIR: &'static str = "blobs";

    /// Creates an empty image layout at `path`: the directory (if missing),
    /// `blobs/sha256/`, an `index.json` with no manifests and, last, the
    /// `oci-layout` file, so that a crash midway never leaves something that
    /// opens as a layout but is incomplete.
    ///
    /// # Errors
    ///
    /// [`Error::NotEmpty`] when `path` exists and is not an empty directory
    /// (an existing layout is not overwritten, and the error says it is
    /// one); [`Error::Io`] when a file
    /// cannot be written.
    pub fn init(path: impl AsRef<Path>) -> Result<Layout> {
        let root = path.as_ref().to_path_buf();
        match fs::read_dir(&root) {
            Ok(mut entries) => {
                if let Some(entry) = entries.next() {
                    let reason = if root.join(Self::LAYOUT_FILE).exists() {
                        "it already is an image layout (it has an oci-layout file)".to_owned()
                    } else {
                        let name = entry
                            .map(|e| e.file_name().to_string_lossy().into_owned())
                            .unwrap_or_default();
                        format!("the directory is not empty (it has {name:?})")
                    };
                    return Err(Error::NotEmpty { path: root, reason });
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                fs::create_dir_all(&root).map_err(Error::io("create directory", &root))?;
                if let Some(parent) = root.parent().filter(|p| !p.as_os_str().is_empty()) {
                    sync_dir(parent)?;
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => {
                return Err(Error::NotEmpty {
                    path: root,
                    reason: "it is a file, not a directory".into(),
                });
            }
            Err(e) => return Err(Error::io("read directory", &root)(e)),
        }
        let layout = Layout { root };
        ensure_dir(&layout.root.join(Self::BLOBS_DIR))?;
        ensure_dir(&layout.algorithm_dir(&Algorithm::Sha256))?;
        write_atomic(
            layout.index_path(),
            &ImageIndex::default().to_canonical_json(),
        )?;
        write_atomic(
            layout.root.join(Self::LAYOUT_FILE),
            &ImageLayout::default().to_canonical_json(),
        )?;
        Ok(layout)
    }

    /// Opens the layout at `path`, checking its `oci-layout` file and that
    /// `index.json` and `blobs/` exist. Files the spec does not name are
    /// tolerated.
    ///
    /// # Errors
    ///
    /// [`Error::NotALayout`] when the marker file, `index.json` or `blobs/` is
    /// missing or the marker is not valid JSON; [`Error::UnsupportedVersion`]
    /// when `imageLayoutVersion` is not 1.x.
    pub fn open(path: impl AsRef<Path>) -> Result<Layout> {
        let root = path.as_ref().to_path_buf();
        let marker = root.join(Self::LAYOUT_FILE);
        let not_a_layout = |reason: String| Error::NotALayout {
            path: root.clone(),
            reason,
        };
        let bytes = match read_limited(&marker, LAYOUT_FILE_LIMIT) {
            Ok(bytes) => bytes,
            Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                let reason = if root.is_dir() {
                    "it has no oci-layout file".to_string()
                } else {
                    "no such directory".to_string()
                };
                return Err(not_a_layout(reason));
            }
            Err(e) => return Err(e),
        };
        let header =
            ImageLayout::from_json(&bytes).map_err(|e| not_a_layout(format!("oci-layout: {e}")))?;
        if !is_supported_version(&header.image_layout_version) {
            return Err(Error::UnsupportedVersion {
                path: marker,
                found: header.image_layout_version,
            });
        }
        if !root.join(Self::INDEX_FILE).is_file() {
            return Err(not_a_layout("it has no index.json".into()));
        }
        if !root.join(Self::BLOBS_DIR).is_dir() {
            return Err(not_a_layout("it has no blobs directory".into()));
        }
        Ok(Layout { root })
    }

    /// Opens the layout at `path`, or creates it when there is none.
    ///
    /// # Errors
    ///
    /// As for [`Layout::open`] and [`Layout::init`].
    pub fn open_or_init(path: impl AsRef<Path>) -> Result<Layout> {
        let path = path.as_ref();
        if path.join(Self::LAYOUT_FILE).exists() {
            Layout::open(path)
        } else {
            Layout::init(path)
        }
    }

    /// The root directory.
    pub fn path(&self) -> &Path {
        &self.root
    }

    /// The path of `index.json`.
    pub fn index_path(&self) -> PathBuf {
        self.root.join(Self::INDEX_FILE)
    }

    /// The path of the blobs directory.
    pub fn blobs_path(&self) -> PathBuf {
        self.root.join(Self::BLOBS_DIR)
    }

    /// The directory holding blobs of `algorithm`: `blobs/<algorithm>`.
    pub fn algorithm_dir(&self, algorithm: &Algorithm) -> PathBuf {
        self.blobs_path().join(algorithm.as_str())
    }

    /// Where the blob with `digest` lives: `blobs/<algorithm>/<encoded>`.
    ///
    /// The digest grammar admits neither `/` nor a leading `.` in either
    /// part, so the path never leaves `blobs/`.
    pub fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.blobs_path()
            .join(digest.algorithm().as_str())
            .join(digest.encoded())
    }
}

/// `1.0.0` is the only version defined; a later 1.x stays readable under
/// semantic versioning, so only the major version is checked.
fn is_supported_version(version: &str) -> bool {
    let mut parts = version.split('.');
    parts.next() == Some("1")
        && parts.clone().count() == 2
        && parts.all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        assert!(is_supported_version("1.0.0"));
        assert!(is_supported_version("1.1.0"));
        assert!(!is_supported_version("2.0.0"));
        assert!(!is_supported_version("1.0"));
        assert!(!is_supported_version("1.0.x"));
        assert!(!is_supported_version(""));
    }
}
