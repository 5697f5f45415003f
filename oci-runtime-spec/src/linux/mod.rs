//! The Linux section of config.json (`linux`): namespaces, ID mappings,
//! devices, cgroups, sysctl, seccomp, paths, memory policy and more.
//!
//! Implements runtime-spec config-linux.md and its rules (and those of
//! config-zos.md's namespaces, which are Linux's); resources and seccomp
//! live in their own modules.

use std::collections::BTreeMap;

use crate::IdMapping;
use crate::codec::string_enum;
use crate::validate::{Checker, Rule, absolute, absolute_at, each, known, not_one_of, one_of};

pub mod resources;
pub mod seccomp;

ocikit_spec_core::model! {
    /// Linux-specific configuration (`linux`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct Linux ("a linux object") {
        /// OPTIONAL. User ID mappings of the user namespace.
        uid_mappings: Vec<IdMapping> => "uidMappings" (default),
        /// OPTIONAL. Group ID mappings of the user namespace.
        gid_mappings: Vec<IdMapping> => "gidMappings" (default),
        /// OPTIONAL. Kernel parameters to set (`/proc/sys`, dotted names).
        sysctl: BTreeMap<String, String> => "sysctl" (default),
        /// OPTIONAL. cgroup resource limits.
        resources: Option<resources::Resources> => "resources" (optional_or_null),
        /// OPTIONAL. cgroup path: absolute (relative to the cgroup mount
        /// point) or relative (to the runtime's cgroup); runtime-defined
        /// when absent.
        cgroups_path: Option<String> => "cgroupsPath" (optional_or_null),
        /// OPTIONAL. Namespaces to create or join; a type at most once.
        namespaces: Vec<Namespace> => "namespaces" (default),
        /// OPTIONAL. Devices that MUST be available in the container.
        devices: Vec<Device> => "devices" (default),
        /// OPTIONAL. Network devices moved into the container's network
        /// namespace, keyed by the name on the host.
        net_devices: BTreeMap<String, NetDevice> => "netDevices" (default),
        /// OPTIONAL. The seccomp filter.
        seccomp: Option<seccomp::Seccomp> => "seccomp" (optional_or_null),
        /// OPTIONAL. Propagation of the root mount.
        rootfs_propagation: Option<RootfsPropagation> => "rootfsPropagation" (optional_or_null),
        /// OPTIONAL. Paths masked (made unreadable) in the container.
        masked_paths: Vec<String> => "maskedPaths" (default),
        /// OPTIONAL. Paths made read-only in the container.
        readonly_paths: Vec<String> => "readonlyPaths" (default),
        /// OPTIONAL. SELinux context of the mounts.
        mount_label: Option<String> => "mountLabel" (optional_or_null),
        /// OPTIONAL. Intel Resource Director Technology settings.
        intel_rdt: Option<IntelRdt> => "intelRdt" (optional_or_null),
        /// OPTIONAL. NUMA memory policy (`set_mempolicy(2)`).
        memory_policy: Option<MemoryPolicy> => "memoryPolicy" (optional_or_null),
        /// OPTIONAL. Execution domain (`personality(2)`).
        personality: Option<Personality> => "personality" (optional_or_null),
        /// OPTIONAL. Clock offsets of the time namespace.
        time_offsets: Option<TimeOffsets> => "timeOffsets" (optional_or_null),
    }
}

ocikit_spec_core::model! {
    /// A namespace to create or join (an entry of `linux.namespaces`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct Namespace ("a namespace object") {
        /// REQUIRED. The namespace type.
        typ: NamespaceType => "type" (required),
        /// OPTIONAL. A namespace file to join (`/proc/PID/ns/...`); a new
        /// namespace is created when absent.
        path: Option<String> => "path" (optional_or_null),
    }
}

impl Namespace {
    /// A new namespace of type `typ`.
    pub fn new(typ: NamespaceType) -> Self {
        Namespace {
            typ,
            ..Default::default()
        }
    }
}

string_enum! {
    /// A namespace type (`linux.namespaces[].type`, also z/OS's).
    pub enum NamespaceType (open, "namespace type", default Mount) {
        /// PID namespace.
        Pid = "pid",
        /// Network namespace.
        Network = "network",
        /// Mount namespace.
        Mount = "mount",
        /// IPC namespace.
        Ipc = "ipc",
        /// UTS namespace (hostname, domain name).
        Uts = "uts",
        /// User namespace.
        User = "user",
        /// cgroup namespace.
        Cgroup = "cgroup",
        /// Time namespace.
        Time = "time",
    }
}

ocikit_spec_core::model! {
    /// A device node to create in the container (an entry of `linux.devices`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct Device ("a device object") {
        /// REQUIRED. Full path of the device in the container.
        path: String => "path" (required),
        /// REQUIRED. Device type: `c`, `b`, `u` or `p` (`mknod(1)`).
        typ: String => "type" (required),
        /// REQUIRED unless `typ` is `p`. Major number.
        major: Option<i64> => "major" (optional_or_null),
        /// REQUIRED unless `typ` is `p`. Minor number.
        minor: Option<i64> => "minor" (optional_or_null),
        /// OPTIONAL. File mode (permission bits).
        file_mode: Option<u32> => "fileMode" (optional_or_null),
        /// OPTIONAL. Owner user ID in the container namespace.
        uid: Option<u32> => "uid" (optional_or_null),
        /// OPTIONAL. Owner group ID in the container namespace.
        gid: Option<u32> => "gid" (optional_or_null),
    }
}

ocikit_spec_core::model! {
    /// A network device moved into the container (`linux.netDevices` value).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct NetDevice ("a network device object") {
        /// OPTIONAL. Name of the device in the container; the host name
        /// when absent.
        name: Option<String> => "name" (optional_or_null),
    }
}

string_enum! {
    /// Propagation of the root mount (`linux.rootfsPropagation`).
    pub enum RootfsPropagation (open, "rootfs propagation") {
        /// `MS_PRIVATE`.
        Private = "private",
        /// `MS_SHARED`.
        Shared = "shared",
        /// `MS_SLAVE`.
        Slave = "slave",
        /// `MS_UNBINDABLE`.
        Unbindable = "unbindable",
    }
}

ocikit_spec_core::model! {
    /// Intel RDT settings (`linux.intelRdt`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct IntelRdt ("an intelRdt object") {
        /// OPTIONAL. Name of the resctrl class of service (CLOS).
        clos_id: Option<String> => "closID" (optional_or_null),
        /// OPTIONAL. Schemata lines written as is to the CLOS's `schemata`.
        schemata: Vec<String> => "schemata" (default),
        /// OPTIONAL. L3 cache allocation schema.
        l3_cache_schema: Option<String> => "l3CacheSchema" (optional_or_null),
        /// OPTIONAL. Memory bandwidth allocation schema.
        mem_bw_schema: Option<String> => "memBwSchema" (optional_or_null),
        /// OPTIONAL. Enables resctrl monitoring of the container.
        enable_monitoring: Option<bool> => "enableMonitoring" (optional_or_null),
    }
}

ocikit_spec_core::model! {
    /// NUMA memory policy (`linux.memoryPolicy`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct MemoryPolicy ("a memoryPolicy object") {
        /// REQUIRED. The policy mode.
        mode: MemoryPolicyMode => "mode" (required),
        /// OPTIONAL. NUMA nodes, a list like `0-3,7`.
        nodes: Option<String> => "nodes" (optional_or_null),
        /// OPTIONAL. Mode flags.
        flags: Vec<MemoryPolicyFlag> => "flags" (default),
    }
}

string_enum! {
    /// A memory policy mode (`linux.memoryPolicy.mode`).
    pub enum MemoryPolicyMode (open, "memory policy mode", default Default) {
        /// Default policy.
        Default = "MPOL_DEFAULT",
        /// Bind to nodes.
        Bind = "MPOL_BIND",
        /// Interleave over nodes.
        Interleave = "MPOL_INTERLEAVE",
        /// Weighted interleave.
        WeightedInterleave = "MPOL_WEIGHTED_INTERLEAVE",
        /// Preferred node.
        Preferred = "MPOL_PREFERRED",
        /// Preferred nodes.
        PreferredMany = "MPOL_PREFERRED_MANY",
        /// Local node.
        Local = "MPOL_LOCAL",
    }
}

string_enum! {
    /// A memory policy flag (`linux.memoryPolicy.flags`).
    pub enum MemoryPolicyFlag (open, "memory policy flag") {
        /// NUMA balancing.
        NumaBalancing = "MPOL_F_NUMA_BALANCING",
        /// Relative node numbers.
        RelativeNodes = "MPOL_F_RELATIVE_NODES",
        /// Static node numbers.
        StaticNodes = "MPOL_F_STATIC_NODES",
    }
}

ocikit_spec_core::model! {
    /// Execution domain (`linux.personality`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct Personality ("a personality object") {
        /// REQUIRED. The domain.
        domain: PersonalityDomain => "domain" (required),
        /// OPTIONAL. Additional flags; none are defined yet.
        flags: Vec<String> => "flags" (default),
    }
}

string_enum! {
    /// An execution domain (`linux.personality.domain`).
    pub enum PersonalityDomain (open, "personality domain", default Linux) {
        /// 64-bit.
        Linux = "LINUX",
        /// 32-bit.
        Linux32 = "LINUX32",
    }
}

ocikit_spec_core::model! {
    /// Clock offsets of the time namespace (`linux.timeOffsets`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct TimeOffsets ("a timeOffsets object") {
        /// OPTIONAL. Offset of `CLOCK_BOOTTIME`.
        boottime: Option<TimeOffset> => "boottime" (optional_or_null),
        /// OPTIONAL. Offset of `CLOCK_MONOTONIC`.
        monotonic: Option<TimeOffset> => "monotonic" (optional_or_null),
    }
}

ocikit_spec_core::model! {
    /// One clock offset.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct TimeOffset ("a time offset object") {
        /// OPTIONAL. Seconds.
        secs: Option<i64> => "secs" (optional_or_null),
        /// OPTIONAL. Nanoseconds.
        nanosecs: Option<u32> => "nanosecs" (optional_or_null),
    }
}

pub(crate) fn check(c: &mut Checker, l: &Linux) {
    check_namespaces(c, &l.namespaces);
    check_id_mappings(c, "uidMappings", &l.uid_mappings);
    check_id_mappings(c, "gidMappings", &l.gid_mappings);
    check_devices(c, &l.devices);
    if let Some(r) = &l.resources {
        c.field("resources", |c| resources::check(c, r));
    }
    if let Some(s) = &l.seccomp {
        c.field("seccomp", |c| seccomp::check(c, s));
    }
    if let Some(p) = &l.rootfs_propagation {
        c.field("rootfsPropagation", |c| {
            one_of(c, Rule::RootfsPropagation, p)
        });
    }
    for (name, list) in [
        ("maskedPaths", &l.masked_paths),
        ("readonlyPaths", &l.readonly_paths),
    ] {
        each(c, name, list, |c, p| absolute(c, Rule::LinuxPath, p));
    }
    if let Some(rdt) = &l.intel_rdt {
        c.field("intelRdt", |c| {
            if let Some(s) = &rdt.mem_bw_schema
                && (!s.starts_with("MB:") || s.contains('\n'))
            {
                c.field("memBwSchema", |c| {
                    c.error(
                        Rule::IntelRdt,
                        format!("must start with \"MB:\" and have no newline, found {s:?}"),
                    )
                });
            }
            if let Some(s) = &rdt.l3_cache_schema
                && (!s.starts_with("L3:") || s.contains('\n'))
            {
                c.field("l3CacheSchema", |c| {
                    c.warning(
                        Rule::IntelRdt,
                        format!("should start with \"L3:\" and have no newline, found {s:?}"),
                    )
                });
            }
            each(c, "schemata", &rdt.schemata, |c, s| {
                if s.contains('\n') {
                    c.error(
                        Rule::IntelRdt,
                        format!("must not contain a newline, found {s:?}"),
                    );
                }
            });
        });
    }
    if let Some(mp) = &l.memory_policy {
        c.field("memoryPolicy", |c| {
            c.field("mode", |c| one_of(c, Rule::MemoryPolicy, &mp.mode));
            each(c, "flags", &mp.flags, |c, f| {
                one_of(c, Rule::MemoryPolicy, f)
            });
        });
    }
    if let Some(p) = &l.personality {
        c.field("personality", |c| {
            c.field("domain", |c| one_of(c, Rule::Personality, &p.domain))
        });
    }
}

/// config-linux.md "Namespaces" (and config-zos.md), as the member
/// `namespaces`: `path` MUST be absolute; the runtime MUST error on two
/// entries of the same `type`; an unknown type is a warning (the set is
/// open).
pub(crate) fn check_namespaces(c: &mut Checker, namespaces: &[Namespace]) {
    let mut seen: BTreeMap<&NamespaceType, usize> = BTreeMap::new();
    c.field("namespaces", |c| {
        let list = c.path();
        for (i, ns) in namespaces.iter().enumerate() {
            c.index(i, |c| {
                c.field("type", |c| {
                    known(c, Rule::Namespace, "namespace type", &ns.typ);
                    if let Some(&first) = seen.get(&ns.typ) {
                        c.error(
                            Rule::Namespace,
                            format!(
                                "must be unique, found {:?} again (first at {list}[{first}])",
                                ns.typ.as_str()
                            ),
                        );
                    } else {
                        seen.insert(&ns.typ, i);
                    }
                });
                if let Some(p) = &ns.path {
                    absolute_at(c, "path", Rule::Namespace, p);
                }
            });
        }
    });
}

/// config-linux.md "User namespace mappings", as the member `name`. The spec
/// gives the fields; the kernel (user_namespaces(7)) rejects a mapping of
/// zero IDs, a range past 2^32, and ranges that overlap inside or outside,
/// so a runtime MUST error on them (config.md "Valid values").
pub(crate) fn check_id_mappings(c: &mut Checker, name: &'static str, mappings: &[IdMapping]) {
    const END: u64 = 1 << 32;
    if mappings.is_empty() {
        return;
    }
    c.field(name, |c| {
        let list = c.path();
        for (i, m) in mappings.iter().enumerate() {
            c.index(i, |c| {
                if m.size == 0 {
                    c.field("size", |c| {
                        c.error(Rule::IdMapping, "must be at least 1, found 0")
                    });
                    return;
                }
                for (name, start) in [("containerID", m.container_id), ("hostID", m.host_id)] {
                    if u64::from(start) + u64::from(m.size) > END {
                        c.field("size", |c| {
                            c.error(
                                Rule::IdMapping,
                                format!(
                                    "the range {name} {start} + size {} must end at or below 4294967296",
                                    m.size
                                ),
                            )
                        });
                    }
                }
                for (j, earlier) in mappings.iter().enumerate().take(i) {
                    for (name, a, b) in [
                        ("containerID", m.container_id, earlier.container_id),
                        ("hostID", m.host_id, earlier.host_id),
                    ] {
                        let (a, b) = (u64::from(a), u64::from(b));
                        let overlap = a < b + u64::from(earlier.size) && b < a + u64::from(m.size);
                        if earlier.size > 0 && overlap {
                            c.field(name, |c| {
                                c.error(
                                    Rule::IdMapping,
                                    format!(
                                        "the {name} range must not overlap {list}[{j}]'s, found {}..{} and {}..{}",
                                        a,
                                        a + u64::from(m.size),
                                        b,
                                        b + u64::from(earlier.size)
                                    ),
                                )
                            });
                        }
                    }
                }
            });
        }
    });
}

/// config-linux.md "Devices": `type` one of c, b, u, p; `path` the full path
/// in the container; `major` and `minor` REQUIRED unless `type` is `p`;
/// `fileMode` at most 0o777 (the schema); the same type, major and minor
/// SHOULD NOT be used twice.
fn check_devices(c: &mut Checker, devices: &[crate::Device]) {
    let mut seen = BTreeMap::new();
    c.field("devices", |c| {
        let list = c.path();
        for (i, d) in devices.iter().enumerate() {
            c.index(i, |c| {
                if !matches!(d.typ.as_str(), "c" | "b" | "u" | "p") {
                    c.field("type", |c| {
                        not_one_of(c, Rule::Device, &["c", "b", "u", "p"], &d.typ)
                    });
                }
                absolute_at(c, "path", Rule::Device, &d.path);
                if d.typ != "p" {
                    for (name, v) in [("major", d.major), ("minor", d.minor)] {
                        if v.is_none() {
                            c.field(name, |c| {
                                c.error(
                                    Rule::Device,
                                    format!(
                                        "is required for a device of type {:?}, found none",
                                        d.typ
                                    ),
                                )
                            });
                        }
                    }
                }
                if let Some(mode) = d.file_mode
                    && mode > 0o777
                {
                    c.field("fileMode", |c| {
                        c.error(
                            Rule::Device,
                            format!(
                                "must be a permission mode from 0 to 511 (0o777), found {mode}"
                            ),
                        )
                    });
                }
                if d.typ != "p" && d.major.is_some() && d.minor.is_some() {
                    let id = (d.typ.as_str(), d.major, d.minor);
                    if let Some(&first) = seen.get(&id) {
                        c.warning(
                            Rule::Device,
                            format!(
                                "should not repeat the type, major and minor of {list}[{first}]"
                            ),
                        );
                    } else {
                        seen.insert(id, i);
                    }
                }
            });
        }
    });
}
