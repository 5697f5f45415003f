//! The root filesystem and additional mounts.
//!
//! Implements runtime-spec config.md, "Root" and "Mounts" (with the idmapped
//! mount fields of "POSIX-platform Mounts"), and their rules.

use crate::validate::{Checker, Platform, Rule, absolute, each};

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

/// config.md "Root": REQUIRED on all platforms but Windows (where Hyper-V
/// containers MUST NOT set it) and VMs; on Windows `path` MUST be a volume
/// GUID path and `readonly` MUST be omitted or false.
pub(crate) fn check_root(c: &mut Checker, spec: &crate::Spec, platform: Platform) {
    let hyperv = spec.windows.as_ref().is_some_and(|w| w.hyperv.is_some());
    c.field("root", |c| {
        let Some(root) = &spec.root else {
            if platform != Platform::Vm && !hyperv {
                c.error(Rule::Root, "is required on this platform, found none");
            }
            return;
        };
        if hyperv {
            c.error(
                Rule::Root,
                "must not be set for a Hyper-V container (windows.hyperv is set)",
            );
        }
        if platform == Platform::Windows {
            if !crate::windows::is_volume_guid_path(&root.path) {
                c.field("path", |c| {
                    c.error(
                        Rule::Root,
                        format!(
                            "must be a volume GUID path like \"\\\\?\\Volume{{GUID}}\\\" on Windows, found {:?}",
                            root.path
                        ),
                    )
                });
            }
            if root.readonly == Some(true) {
                c.field("readonly", |c| {
                    c.error(Rule::Root, "must be omitted or false on Windows, found true")
                });
            }
        } else if root.path.is_empty() {
            c.field("path", |c| {
                c.error(
                    Rule::Root,
                    "must be a path (absolute or relative to the bundle), found \"\"",
                )
            });
        }
    });
}

/// config.md "Mounts": `destination` absolute (on Linux only a SHOULD;
/// relative is deprecated), Windows destinations not nested, and a mount's
/// `uidMappings` and `gidMappings` given together.
pub(crate) fn check_mounts(c: &mut Checker, mounts: &[Mount], platform: Platform) {
    each(c, "mounts", mounts, |c, m| {
        c.field("destination", |c| match platform {
            Platform::Windows => {
                if !crate::windows::is_windows_absolute(&m.destination) {
                    c.error(
                        Rule::Mount,
                        format!("must be an absolute path, found {:?}", m.destination),
                    );
                }
            }
            Platform::Linux => {
                if !m.destination.starts_with('/') {
                    c.warning(
                        Rule::Mount,
                        format!(
                            "should be an absolute path (relative is deprecated), found {:?}",
                            m.destination
                        ),
                    );
                }
            }
            Platform::Vm | Platform::OtherPosix => absolute(c, Rule::Mount, &m.destination),
        });
        let (uids, gids) = (!m.uid_mappings.is_empty(), !m.gid_mappings.is_empty());
        if uids != gids {
            let (given, missing) = if uids {
                ("uidMappings", "gidMappings")
            } else {
                ("gidMappings", "uidMappings")
            };
            c.field(missing, |c| {
                c.error(
                    Rule::Mount,
                    format!("must be given together with {given}, found none"),
                )
            });
        }
        if uids || gids {
            let idmap = m
                .options
                .iter()
                .flatten()
                .any(|o| o == "idmap" || o == "ridmap");
            if !idmap {
                c.field("options", |c| {
                    c.warning(
                        Rule::Mount,
                        "should contain idmap or ridmap when the mount has ID mappings",
                    )
                });
            }
        }
        crate::linux::check_id_mappings(c, "uidMappings", &m.uid_mappings);
        crate::linux::check_id_mappings(c, "gidMappings", &m.gid_mappings);
    });
    if platform == Platform::Windows {
        for (i, a) in mounts.iter().enumerate() {
            for b in mounts.iter().skip(i + 1) {
                let (pa, pb) = (
                    crate::windows::windows_key(&a.destination),
                    crate::windows::windows_key(&b.destination),
                );
                if crate::windows::nested(&pa, &pb) || crate::windows::nested(&pb, &pa) {
                    c.field("mounts", |c| {
                        c.index(i, |c| {
                            c.field("destination", |c| {
                                c.error(
                                    Rule::Mount,
                                    format!(
                                        "must not nest with another mount destination on Windows, found {:?} and {:?}",
                                        a.destination, b.destination
                                    ),
                                )
                            })
                        })
                    });
                }
            }
        }
    }
}

impl IdMapping {
    /// The range `container_id .. container_id + size` in the container
    /// mapped to `host_id .. host_id + size` on the host.
    ///
    /// ```
    /// let map = ocikit_runtime_spec::IdMapping::new(0, 100_000, 65536);
    /// assert_eq!((map.container_id, map.host_id, map.size), (0, 100_000, 65536));
    /// ```
    pub fn new(container_id: u32, host_id: u32, size: u32) -> IdMapping {
        IdMapping {
            container_id,
            host_id,
            size,
            ..IdMapping::default()
        }
    }
}
