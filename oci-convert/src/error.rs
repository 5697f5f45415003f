//! The one error type of `ocikit-convert`: each failure names the entry, path,
//! layer or limit it concerns, and keeps its cause.

use std::path::PathBuf;

/// Everything that can go wrong while applying, building or diffing layers.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file-system operation on the host failed (outside any layer entry:
    /// opening the root directory, reading a baseline, ...).
    #[error("{action} {}: {source}", path.display())]
    Io {
        /// What was being done (`open`, `read`, `create`, ...).
        action: &'static str,
        /// The file or directory involved.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// Applying one tar entry failed in the file system.
    #[error("entry {entry:?}: {action}: {source}")]
    EntryIo {
        /// The entry's name as the layer gives it.
        entry: String,
        /// What was being done (`create the file`, `set the owner`, ...).
        action: &'static str,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },

    /// A tar entry was refused: it would leave the root, or it breaks
    /// image-spec layer.md.
    #[error("entry {entry:?}: {reason}")]
    BadEntry {
        /// The entry's name as the layer gives it.
        entry: String,
        /// What is wrong with it and what was expected.
        reason: String,
    },

    /// The layer stream could not be read: a malformed tar, corrupt
    /// compressed data, or a read error.
    #[error("reading the layer, {after}: {source}")]
    Tar {
        /// Where in the stream (`after entry "etc/passwd"`, `at the start`).
        after: String,
        /// The reader's error.
        #[source]
        source: std::io::Error,
    },

    /// A limit of [`Limits`](crate::Limits) was reached.
    #[error("{what} exceeds the limit of {limit} (raise Limits::{field} to accept it)")]
    LimitExceeded {
        /// What was counted (`entries`, `uncompressed bytes`, ...).
        what: &'static str,
        /// The field of [`Limits`](crate::Limits) that sets it.
        field: &'static str,
        /// The limit.
        limit: u64,
    },

    /// A store operation failed.
    #[error(transparent)]
    Layout(#[from] ocikit_layout::Error),

    /// Decompressing, compressing or checking the DiffID of a layer failed.
    #[error(transparent)]
    Codec(#[from] ocikit_layout::codec::CodecError),

    /// Something went wrong in one layer of an image.
    #[error("layer {index} ({digest}): {source}")]
    InLayer {
        /// The layer's position in the manifest, from 0.
        index: usize,
        /// The layer's blob digest.
        digest: ocikit_image::Digest,
        /// What went wrong.
        #[source]
        source: Box<Error>,
    },
    // -- build and diff (build.rs, diff.rs) add their variants below --
    /// A file of the source tree changed while its content was being
    /// written to a layer: its size differs from the one in its header.
    #[error("{}: the file changed while the layer was being written: expected {expected} bytes, read {found}", path.display())]
    SourceChanged {
        /// The file in the source tree.
        path: PathBuf,
        /// The size `lstat` reported, written in the tar header.
        expected: u64,
        /// What was read (`expected + 1` when there was more).
        found: u64,
    },

    /// Writing an entry of a layer tar stream to its output failed.
    #[error("layer entry {entry:?}: cannot write it: {source}")]
    LayerWrite {
        /// The entry's name in the layer.
        entry: String,
        /// The output's error.
        #[source]
        source: std::io::Error,
    },

    /// A file of the source tree cannot be represented in a layer (a name
    /// beginning with `.wh.`, a device number too large for a tar header).
    #[error("{}: cannot be put in a layer: {reason}", path.display())]
    Unrepresentable {
        /// The file in the source tree.
        path: PathBuf,
        /// Why, and what a layer can hold instead.
        reason: String,
    },

    /// A baseline file is malformed (see [`Baseline`](crate::Baseline)).
    #[error("baseline, at byte {offset}: {reason}")]
    BadBaseline {
        /// Where in the file the problem was found.
        offset: u64,
        /// What was expected and what was found.
        reason: String,
    },
    // -- bundles (bundle/) add their variants below --
    /// A bundle directory cannot be unpacked into or repacked from: it
    /// already holds an unpacked image, or lacks what an unpack leaves.
    #[error("bundle {}: {reason}", bundle.display())]
    Bundle {
        /// The bundle directory.
        bundle: PathBuf,
        /// What is wrong with it and what was expected.
        reason: String,
    },

    /// A change of an image config was refused: a value that the config
    /// cannot hold (an `Env` entry without `=`, a relative volume).
    #[error("config change, {field} {value:?}: {reason}")]
    ConfigChange {
        /// The config field (`Env`, `Volumes`, `ExposedPorts`, ...).
        field: &'static str,
        /// The value given.
        value: String,
        /// What was expected.
        reason: String,
    },
    // -- images (image.rs) add their variants below --
    /// The manifest and the config of an image disagree on how many layers
    /// it has (config.md: `rootfs.diff_ids` lists one DiffID per layer).
    #[error(
        "{image}: the manifest lists {layers} layers but the config's rootfs.diff_ids has {diff_ids}; expected one DiffID per layer"
    )]
    LayerCountMismatch {
        /// The image, such as `tag "v1" (sha256:...)`.
        image: String,
        /// How many layers the manifest lists.
        layers: usize,
        /// How many DiffIDs the config lists.
        diff_ids: usize,
    },

    /// The image cannot take a new layer: it is not an OCI image manifest
    /// with an OCI image config whose `rootfs.type` is `layers`.
    #[error("{image}: cannot add a layer: {reason}")]
    UnsupportedImage {
        /// The image, such as `tag "v1" (sha256:...)`.
        image: String,
        /// What it is instead.
        reason: String,
    },

    /// A layer's media type cannot go into an OCI image manifest.
    #[error(
        "layer {digest}: media type {media_type} cannot be added to an OCI image (expected application/vnd.oci.image.layer.v1.tar, +gzip or +zstd)"
    )]
    LayerMediaType {
        /// The layer's blob digest.
        digest: ocikit_image::Digest,
        /// Its media type.
        media_type: ocikit_image::MediaType,
    },

    /// An edited image breaks a rule of the spec, so it is not written.
    #[error("{image}: the edited {source}")]
    InvalidImage {
        /// The image the edit started from.
        image: String,
        /// `config` or `manifest`.
        document: &'static str,
        /// The document and the rules it breaks, each naming its field.
        #[source]
        source: ocikit_image::Invalid,
    },

    /// A time cannot be written as an RFC 3339 date-time.
    #[error(
        "{seconds} seconds after 1970-01-01T00:00:00Z is later than 9999-12-31T23:59:59Z, the last time RFC 3339 can write"
    )]
    TimeOutOfRange {
        /// The time, in seconds since the Unix epoch.
        seconds: u64,
    },
    // -- image config -> runtime config (conversion/) adds its variants below --
    /// The image is for an operating system the host cannot run, or the
    /// host is not one this crate writes runtime configurations for.
    #[error(
        "config.os: the image is for {image_os:?} and the host runs {host_os:?}; expected an image for the host's os (and a linux host)"
    )]
    OsMismatch {
        /// The image config's `os`.
        image_os: String,
        /// [`ConversionOptions::host_os`](crate::ConversionOptions::host_os).
        host_os: String,
    },

    /// An entry of `config.Env` is not `NAME=value`.
    #[error("config.Env[{index}] {entry:?}: {reason}; expected NAME=value with a non-empty NAME")]
    BadEnv {
        /// The entry's position in `config.Env`, from 0.
        index: usize,
        /// The entry as the image gives it.
        entry: String,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// `config.WorkingDir` is not an absolute path.
    #[error("config.WorkingDir {dir:?}: {reason}; expected an absolute path such as \"/app\"")]
    BadWorkingDir {
        /// The value as the image gives it.
        dir: String,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// A `config.Volumes` path cannot be a mount destination.
    #[error(
        "config.Volumes {volume:?}: {reason}; expected a clean absolute path such as \"/data\""
    )]
    BadVolume {
        /// The volume as the image gives it.
        volume: String,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// `config.User` is malformed (not `user`, `uid`, `user:group`,
    /// `uid:gid`, `uid:group` or `user:gid`).
    #[error(
        "config.User {user:?}: {reason}; expected user, uid, user:group, uid:gid, uid:group or user:gid"
    )]
    BadUser {
        /// The value as the image gives it.
        user: String,
        /// What is wrong with it.
        reason: &'static str,
    },

    /// A user name of `config.User` is not in the rootfs's `/etc/passwd`
    /// (image-spec conversion.md: the converter MUST return an error).
    #[error("config.User {user:?}: no user {name:?} in the rootfs's /etc/passwd{missing}")]
    UnknownUser {
        /// The value of `config.User`.
        user: String,
        /// The user name looked up.
        name: String,
        /// `" (there is no /etc/passwd)"` when the file is missing, else empty.
        missing: &'static str,
    },

    /// A group name of `config.User` is not in the rootfs's `/etc/group`.
    #[error("config.User {user:?}: no group {name:?} in the rootfs's /etc/group{missing}")]
    UnknownGroup {
        /// The value of `config.User`.
        user: String,
        /// The group name looked up.
        name: String,
        /// `" (there is no /etc/group)"` when the file is missing, else empty.
        missing: &'static str,
    },

    /// A user or group id does not fit the range Linux allows.
    #[error("{field}: id {value} is out of range; expected 0..=2147483647")]
    IdOutOfRange {
        /// Where the id comes from (`config.User "4294967296"`,
        /// `/etc/passwd line 3 (user "alice") uid`).
        field: String,
        /// The id as written.
        value: String,
    },

    /// The rootfs's `/etc/passwd` or `/etc/group` cannot be used: not a
    /// regular file, or the entry needed is malformed.
    #[error("{file}: {reason}")]
    BadAccountFile {
        /// `/etc/passwd` or `/etc/group`, with the line when one is meant.
        file: String,
        /// What is wrong and what was expected.
        reason: String,
    },

    /// The rootfs's `/etc/passwd` or `/etc/group` is larger than
    /// [`MAX_ACCOUNT_FILE_BYTES`](crate::conversion::MAX_ACCOUNT_FILE_BYTES):
    /// it is not read.
    #[error(
        "{file}: larger than {limit} bytes, the most read of an account file; refusing to read it"
    )]
    AccountFileTooLarge {
        /// `/etc/passwd` or `/etc/group`.
        file: &'static str,
        /// The limit.
        limit: u64,
    },

    /// The generated runtime configuration breaks a MUST of the
    /// runtime-spec (a bug of the conversion, never expected).
    #[error("the runtime configuration made from the image: {0}")]
    InvalidRuntimeConfig(#[source] ocikit_runtime_spec::Invalid),
}

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
