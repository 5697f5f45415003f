//! The root filesystem and additional mounts.
//!
//! Implements runtime-spec config.md, "Root" and "Mounts" (with the idmapped
//! mount fields of "POSIX-platform Mounts").

ocikit_spec_core::model! {
    /// The container's root filesystem (`root`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct Root ("a root object") {
        /// REQUIRED. Path to the root filesystem: absolute, or relative to
        /// the bundle (e.g. `rootfs`). On Windows, a volume GUID path.
        path: String => "path" (required),
        /// OPTIONAL. When true the root filesystem MUST be read-only;
        /// defaults to false. Always false (or absent) on Windows.
        readonly: Option<bool> => "readonly" (optional_or_null),
    }
}

impl Root {
    /// A root at `path`, read-write.
    pub fn new(path: impl Into<String>) -> Self {
        Root {
            path: path.into(),
            ..Default::default()
        }
    }
}

ocikit_spec_core::model! {
    /// An additional mount (an entry of `mounts`), mounted in order.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct Mount ("a mount object") {
        /// REQUIRED. Destination of the mount inside the container; SHOULD
        /// be absolute (on Windows one of the mount points MUST NOT nest).
        destination: String => "destination" (required),
        /// OPTIONAL. Filesystem type (Linux: as in `/proc/filesystems`,
        /// e.g. `proc`, `tmpfs`; `bind` for a bind mount by convention).
        typ: Option<String> => "type" (optional_or_null),
        /// OPTIONAL. A device name, a directory (bind mounts) or a dummy
        /// name; relative paths are relative to the bundle.
        source: Option<String> => "source" (optional_or_null),
        /// OPTIONAL. Mount options (`fstab`-style, e.g. `nosuid`, `rbind`).
        /// An `Option` because configs in the wild write an empty list,
        /// which must survive a round trip.
        options: Option<Vec<String>> => "options" (optional_or_null),
        /// OPTIONAL. User ID mappings of an idmapped mount; with
        /// `gidMappings`, MUST be given together.
        uid_mappings: Vec<crate::IdMapping> => "uidMappings" (default),
        /// OPTIONAL. Group ID mappings of an idmapped mount.
        gid_mappings: Vec<crate::IdMapping> => "gidMappings" (default),
    }
}

impl Mount {
    /// A mount of `source` (of type `typ`) at `destination` with `options`.
    pub fn new(destination: &str, typ: &str, source: &str, options: &[&str]) -> Self {
        Mount {
            destination: destination.to_owned(),
            typ: Some(typ.to_owned()),
            source: Some(source.to_owned()),
            options: Some(options.iter().map(|o| (*o).to_owned()).collect()),
            ..Default::default()
        }
    }
}

ocikit_spec_core::model! {
    /// A range of IDs mapped from the host into a user namespace or an
    /// idmapped mount (`uidMappings`, `gidMappings`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct IdMapping ("an ID mapping object") {
        /// REQUIRED. First ID of the range in the container.
        container_id: u32 => "containerID" (required),
        /// REQUIRED. First ID of the range on the host.
        host_id: u32 => "hostID" (required),
        /// REQUIRED. Number of IDs mapped.
        size: u32 => "size" (required),
    }
}
