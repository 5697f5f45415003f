//! Building a layer from a directory (image-spec layer.md, Creating and
//! Distributable Format): a deterministic tar stream of the tree, stored
//! as a blob in one pass that gives both its digest and its DiffID.

mod emit;
pub(crate) mod source;
pub(crate) mod walk;

use std::io::Write;
use std::path::Path;

use ocikit_layout::codec::Codec;
use ocikit_layout::progress::Progress;
use ocikit_layout::{Layout, StoredLayer};

use crate::Result;
pub(crate) use emit::{Emitter, WHITEOUT_PREFIX};

/// Whose files they are in the layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Ownership {
    /// The owner on disk; when the file carries the
    /// `user.rootlesscontainers` attribute of a rootless unpack, the owner
    /// it records.
    #[default]
    Keep,
    /// Every entry owned by `uid:gid` (`Fixed { uid: 0, gid: 0 }` for
    /// root:root).
    Fixed {
        /// The owner's user id.
        uid: u32,
        /// The owner's group id.
        gid: u32,
    },
}

/// Which modification time entries get.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MtimePolicy {
    /// The file's own, in whole seconds (the nanoseconds are dropped so a
    /// tar header holds it without a PAX record).
    #[default]
    Keep,
    /// The file's own, but no later than this many seconds since the epoch
    /// (`SOURCE_DATE_EPOCH`, reproducible-builds.org).
    Clamp(i64),
    /// This many seconds since the epoch for every entry.
    Fixed(i64),
}

/// How a layer is built from a directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildOptions {
    /// Owners of the entries.
    pub ownership: Ownership,
    /// `false` keeps the permission bits as they are. `true` sets them to
    /// what a clean checkout would have whatever the umask: directories
    /// 0755, regular files 0755 when the owner may execute them and 0644
    /// otherwise, devices and FIFOs 0644, symlinks 0777. The setuid, setgid
    /// and sticky bits are kept: they are deliberate (`passwd`, `/tmp`), not
    /// umask noise.
    pub normalise_modes: bool,
    /// Modification times of the entries. Whiteouts get 0 (or the fixed
    /// time).
    pub mtime: MtimePolicy,
    /// Whether extended attributes go into the layer (as PAX
    /// `SCHILY.xattr.*` records). `security.selinux` never does: it labels
    /// the build host. `user.rootlesscontainers` never does either: it is
    /// read as the entry's owner instead (see [`Ownership::Keep`]).
    pub xattrs: bool,
    /// Where the build reports its progress: bytes of the tar stream and
    /// entries written (no totals: the tree is read once, as it is
    /// written).
    pub progress: Progress,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            ownership: Ownership::Keep,
            normalise_modes: false,
            mtime: MtimePolicy::Keep,
            xattrs: true,
            progress: Progress::none(),
        }
    }
}

impl BuildOptions {
    /// The defaults, with [`MtimePolicy::Clamp`] to `SOURCE_DATE_EPOCH`
    /// when that variable is set (reproducible-builds.org).
    ///
    /// # Errors
    ///
    /// [`Error::Layout`](crate::Error::Layout) holding
    /// [`ocikit_layout::Error::InvalidSourceDateEpoch`] when the variable is
    /// set to anything but decimal digits: a reproducible build that
    /// silently is not would be worse.
    pub fn from_env() -> Result<BuildOptions> {
        let mut options = BuildOptions::default();
        if let Some(epoch) = ocikit_layout::source_date_epoch()? {
            options.mtime = MtimePolicy::Clamp(i64::try_from(epoch).unwrap_or(i64::MAX));
        }
        Ok(options)
    }
}

/// What a build wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BuildStats {
    /// Entries in the tar stream (files, directories, links, whiteouts; not
    /// PAX extended headers).
    pub entries: u64,
    /// Bytes of the tar stream.
    pub bytes: u64,
}

/// Writes the tree at `dir` as a deterministic, uncompressed layer tar
/// stream to `out`.
///
/// The walk never follows a symlink: each file is opened with
/// `O_NOFOLLOW` relative to its parent directory's descriptor. Entries of
/// a directory come in the byte order of their names, after the
/// directory's own entry. Names are relative (`etc/passwd`, `etc/`), and
/// the root directory itself is not an entry: umoci 0.4.7 writes it as
/// `.`, but its metadata belongs to whoever unpacks the image (a bundle's
/// `rootfs`), and an apply that honours a `.` entry would chmod and chown
/// the target root.
///
/// The walk is iterative and keeps at most 64 directories open, however
/// deep the tree.
///
/// # Limitations
///
/// Extended attributes are read from regular files and directories only,
/// not from symlinks, devices or FIFOs.
///
/// # Errors
///
/// [`Error::Io`](crate::Error::Io) when the tree cannot be read,
/// [`Error::SourceChanged`](crate::Error::SourceChanged) when a file
/// changes size while it is read,
/// [`Error::Unrepresentable`](crate::Error::Unrepresentable) for a name
/// beginning with `.wh.`, [`Error::LayerWrite`](crate::Error::LayerWrite)
/// when `out` fails.
pub fn write_layer_tar(dir: &Path, out: impl Write, options: &BuildOptions) -> Result<BuildStats> {
    let root = source::open_root(dir)?;
    let mut emitter = Emitter::new(dir, out, options, "build");
    walk::walk(dir, root, &mut emitter)?;
    let (_, stats) = emitter.finish()?;
    Ok(stats)
}

/// Builds the tree at `dir` into a new layer blob of `layout`, compressed
/// with `codec`: the tar stream goes through the compressor into the blob
/// file, with no temporary copy, and its DiffID is computed on the way.
///
/// ```
/// use ocikit_convert::{BuildOptions, MtimePolicy};
/// use ocikit_image::MediaType;
/// use ocikit_layout::{Layout, codec::Codec};
/// # let dir = tempfile::tempdir()?;
/// let layout = Layout::init(dir.path().join("image"))?;
/// let tree = dir.path().join("tree");
/// std::fs::create_dir_all(tree.join("etc"))?;
/// std::fs::write(tree.join("etc/motd"), "hello\n")?;
///
/// // Fixed times make the layer reproducible (BuildOptions::from_env clamps
/// // them to SOURCE_DATE_EPOCH).
/// let options = BuildOptions { mtime: MtimePolicy::Fixed(0), ..BuildOptions::default() };
/// let layer = ocikit_convert::build_layer(&layout, &tree, Codec::gzip(), &options)?;
/// assert_eq!(layer.descriptor.media_type, MediaType::ImageLayerGzip);
/// assert!(layout.has_blob(&layer.descriptor.digest));
/// // The same tree, built again, is the same layer.
/// let again = ocikit_convert::build_layer(&layout, &tree, Codec::gzip(), &options)?;
/// assert_eq!(again.diff_id, layer.diff_id);
/// assert_eq!(again.descriptor, layer.descriptor);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// As [`write_layer_tar`], plus [`Error::Layout`](crate::Error::Layout) and
/// [`Error::Codec`](crate::Error::Codec) when storing fails; nothing is
/// stored then.
pub fn build_layer(
    layout: &Layout,
    dir: &Path,
    codec: Codec,
    options: &BuildOptions,
) -> Result<StoredLayer> {
    layout.put_layer_with(codec, |out| write_layer_tar(dir, out, options).map(|_| ()))
}
