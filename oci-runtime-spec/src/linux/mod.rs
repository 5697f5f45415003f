//! The Linux section of config.json (`linux`): namespaces, ID mappings,
//! devices, cgroups, sysctl, seccomp, paths, memory policy and more.
//!
//! Implements runtime-spec config-linux.md; resources and seccomp live in
//! their own modules.

use std::collections::BTreeMap;

use crate::IdMapping;
use crate::codec::string_enum;

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
