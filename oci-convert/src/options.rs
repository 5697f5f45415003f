//! Options and results of layer apply: how whiteouts and ownership are
//! handled, the resource limits, and what an apply reports back.

use std::path::PathBuf;

use ocikit_layout::progress::Progress;

/// What to do with whiteout entries (image-spec layer.md, Whiteouts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum WhiteoutMode {
    /// Apply them: `.wh.NAME` removes `NAME` of lower layers, and
    /// `.wh..wh..opq` empties its directory of lower-layer content. No
    /// `.wh.*` file is ever left on disk. This is what a runtime bundle needs.
    #[default]
    Apply,
    /// Write them the way overlayfs stores them, for a root that will be one
    /// lower directory of an overlay mount: `.wh.NAME` becomes a character
    /// device 0:0 named `NAME`, and `.wh..wh..opq` sets the
    /// `trusted.overlay.opaque` attribute (`user.overlay.opaque` when
    /// rootless) of its directory to `y`. Needs root, except the `user.`
    /// form.
    Overlayfs,
}

/// One range of an id mapping: ids `container_id .. container_id + size` in
/// the layer become `host_id .. host_id + size` on disk. The runtime-spec
/// type of `uidMappings` and `gidMappings` (config-linux.md, User namespace
/// mappings), so a bundle's mappings and an apply's are one value.
pub use ocikit_runtime_spec::IdMapping;

/// Maps an id through `mappings`; `None` when no range holds it. An empty
/// list maps every id to itself.
pub fn map_id(mappings: &[IdMapping], id: u32) -> Option<u32> {
    if mappings.is_empty() {
        return Some(id);
    }
    mappings.iter().find_map(|m| {
        let offset = id.checked_sub(m.container_id)?;
        (offset < m.size)
            .then(|| m.host_id.checked_add(offset))
            .flatten()
    })
}

/// Resource limits for one layer. Reaching one stops the apply with
/// [`Error::LimitExceeded`](crate::Error::LimitExceeded); what was written
/// so far stays (the caller removes a half-made root).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Tar entries in one layer, counting every header (default 1,000,000,
    /// reached by the millionth entry).
    pub max_entries: u64,
    /// Bytes of the uncompressed tar stream (default 64 GiB).
    pub max_bytes: u64,
    /// Uncompressed bytes per compressed byte, checked once the stream is
    /// past [`Limits::ratio_grace_bytes`] (default 200; real layers stay far
    /// below 20, a compression bomb far above 1000).
    pub max_expansion_ratio: u64,
    /// Uncompressed bytes read before the ratio is checked (default 16 MiB),
    /// so that small, highly compressible layers pass.
    pub ratio_grace_bytes: u64,
    /// Bytes of metadata before one entry: its header blocks, PAX records
    /// and GNU long names, which are held in memory (default 1 MiB; a path
    /// is at most 4 KiB on Linux and an attribute value 64 KiB).
    pub max_header_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_entries: 999_999,
            max_bytes: 64 << 30,
            max_expansion_ratio: 200,
            ratio_grace_bytes: 16 << 20,
            max_header_bytes: 1 << 20,
        }
    }
}

impl Limits {
    /// No limits at all, for trusted input.
    pub fn none() -> Limits {
        Limits {
            max_entries: u64::MAX,
            max_bytes: u64::MAX,
            max_expansion_ratio: u64::MAX,
            ratio_grace_bytes: u64::MAX,
            max_header_bytes: u64::MAX,
        }
    }
}

/// How a layer is applied; [`ApplyOptions::default`] suits the current
/// process (rootless when it is not root).
#[derive(Debug, Clone, PartialEq)]
pub struct ApplyOptions {
    /// Whiteouts applied, or written in overlayfs form.
    pub whiteouts: WhiteoutMode,
    /// Unprivileged apply: files are not chowned, the owner the layer gives
    /// is recorded in the `user.rootlesscontainers` attribute instead (as
    /// umoci does), devices are skipped with a warning, and `trusted.*`
    /// attributes are dropped. The default is `true` unless the process's
    /// effective uid is 0.
    pub rootless: bool,
    /// Uid mapping applied to every owner before it is written (or
    /// recorded); empty means identity. An id outside every range is an
    /// error.
    pub uid_map: Vec<IdMapping>,
    /// Gid mapping, as `uid_map`.
    pub gid_map: Vec<IdMapping>,
    /// Resource limits.
    pub limits: Limits,
    /// Where the apply reports its progress: with [`apply_layer`], bytes
    /// of the blob read out of its size; with [`apply_tar`], bytes of the
    /// tar read; and tar entries read, in both.
    ///
    /// [`apply_layer`]: crate::apply_layer
    /// [`apply_tar`]: crate::apply_tar
    pub progress: Progress,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            whiteouts: WhiteoutMode::Apply,
            rootless: !rustix::process::geteuid().is_root(),
            uid_map: Vec::new(),
            gid_map: Vec::new(),
            limits: Limits::default(),
            progress: Progress::none(),
        }
    }
}

/// Something an apply skipped or could not do fully, without failing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Warning {
    /// The file system under the root does not support extended attributes
    /// (ENOTSUP): none were written from here on. Reported once.
    XattrsUnsupported {
        /// The first entry whose attributes were lost.
        entry: String,
    },
    /// An extended attribute was not written: `security.selinux` always,
    /// `trusted.*` when rootless, and, rootless, any the file system
    /// refused to an unprivileged process (`security.capability`), or
    /// `user.*` on a symlink or device where Linux allows none. Reported
    /// once per attribute name.
    XattrDropped {
        /// The attribute name.
        name: String,
    },
    /// A character or block device was skipped because the apply is
    /// rootless.
    DeviceSkipped {
        /// The entry's path in the root.
        entry: PathBuf,
    },
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Warning::XattrsUnsupported { entry } => write!(
                f,
                "the file system does not support extended attributes; dropped them from entry {entry:?} on"
            ),
            Warning::XattrDropped { name } => {
                write!(f, "extended attribute {name:?} was not written")
            }
            Warning::DeviceSkipped { entry } => write!(
                f,
                "device {} was skipped (rootless apply cannot create devices)",
                entry.display()
            ),
        }
    }
}

/// What an apply did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Applied {
    /// Tar entries read, including whiteouts and PAX headers' entries.
    pub entries: u64,
    /// Bytes of the uncompressed tar stream.
    pub uncompressed_bytes: u64,
    /// The DiffID of the stream (sha256 of the uncompressed tar).
    pub diff_id: Option<ocikit_image::Digest>,
    /// What was skipped or dropped.
    pub warnings: Vec<Warning>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_ids_through_ranges() {
        let map = [
            IdMapping::new(0, 100000, 65536),
            IdMapping::new(70000, 5, 1),
        ];
        assert_eq!(map_id(&[], 42), Some(42));
        assert_eq!(map_id(&map, 0), Some(100000));
        assert_eq!(map_id(&map, 65535), Some(165535));
        assert_eq!(map_id(&map, 65536), None);
        assert_eq!(map_id(&map, 70000), Some(5));
        let overflow = [IdMapping::new(0, u32::MAX, 2)];
        assert_eq!(map_id(&overflow, 1), None);
    }
}
