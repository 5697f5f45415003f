//! The Linux section of config.json (`linux`): namespaces, ID mappings,
//! devices, cgroups, sysctl, seccomp, paths, memory policy and more.
//!
//! Implements runtime-spec config-linux.md; resources and seccomp live in
//! their own modules.

use std::collections::BTreeMap;

use crate::IdMapping;
use crate::codec::{model, string_enum};

pub mod resources;
pub mod seccomp;

model! {
    /// Linux-specific configuration (`linux`).
    pub struct Linux ("a linux object") {
        /// OPTIONAL. User ID mappings of the user namespace.
        uid_mappings: Vec<IdMapping> => "uidMappings" (vec),
        /// OPTIONAL. Group ID mappings of the user namespace.
        gid_mappings: Vec<IdMapping> => "gidMappings" (vec),
        /// OPTIONAL. Kernel parameters to set (`/proc/sys`, dotted names).
        sysctl: BTreeMap<String, String> => "sysctl" (map),
        /// OPTIONAL. cgroup resource limits.
        resources: Option<resources::Resources> => "resources" (opt),
        /// OPTIONAL. cgroup path: absolute (relative to the cgroup mount
        /// point) or relative (to the runtime's cgroup); runtime-defined
        /// when absent.
        cgroups_path: Option<String> => "cgroupsPath" (opt),
        /// OPTIONAL. Namespaces to create or join; a type at most once.
        namespaces: Vec<Namespace> => "namespaces" (vec),
        /// OPTIONAL. Devices that MUST be available in the container.
        devices: Vec<Device> => "devices" (vec),
        /// OPTIONAL. Network devices moved into the container's network
        /// namespace, keyed by the name on the host.
        net_devices: BTreeMap<String, NetDevice> => "netDevices" (map),
        /// OPTIONAL. The seccomp filter.
        seccomp: Option<seccomp::Seccomp> => "seccomp" (opt),
        /// OPTIONAL. Propagation of the root mount.
        rootfs_propagation: Option<RootfsPropagation> => "rootfsPropagation" (opt),
        /// OPTIONAL. Paths masked (made unreadable) in the container.
        masked_paths: Vec<String> => "maskedPaths" (vec),
        /// OPTIONAL. Paths made read-only in the container.
        readonly_paths: Vec<String> => "readonlyPaths" (vec),
        /// OPTIONAL. SELinux context of the mounts.
        mount_label: Option<String> => "mountLabel" (opt),
        /// OPTIONAL. Intel Resource Director Technology settings.
        intel_rdt: Option<IntelRdt> => "intelRdt" (opt),
        /// OPTIONAL. NUMA memory policy (`set_mempolicy(2)`).
        memory_policy: Option<MemoryPolicy> => "memoryPolicy" (opt),
        /// OPTIONAL. Execution domain (`personality(2)`).
        personality: Option<Personality> => "personality" (opt),
        /// OPTIONAL. Clock offsets of the time namespace.
        time_offsets: Option<TimeOffsets> => "timeOffsets" (opt),
    }
}

model! {
    /// A namespace to create or join (an entry of `linux.namespaces`).
    pub struct Namespace ("a namespace object") {
        /// REQUIRED. The namespace type.
        typ: NamespaceType => "type" (req),
        /// OPTIONAL. A namespace file to join (`/proc/PID/ns/...`); a new
        /// namespace is created when absent.
        path: Option<String> => "path" (opt),
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

model! {
    /// A device node to create in the container (an entry of `linux.devices`).
    pub struct Device ("a device object") {
        /// REQUIRED. Full path of the device in the container.
        path: String => "path" (req),
        /// REQUIRED. Device type: `c`, `b`, `u` or `p` (`mknod(1)`).
        typ: String => "type" (req),
        /// REQUIRED unless `typ` is `p`. Major number.
        major: Option<i64> => "major" (opt),
        /// REQUIRED unless `typ` is `p`. Minor number.
        minor: Option<i64> => "minor" (opt),
        /// OPTIONAL. File mode (permission bits).
        file_mode: Option<u32> => "fileMode" (opt),
        /// OPTIONAL. Owner user ID in the container namespace.
        uid: Option<u32> => "uid" (opt),
        /// OPTIONAL. Owner group ID in the container namespace.
        gid: Option<u32> => "gid" (opt),
    }
}

model! {
    /// A network device moved into the container (`linux.netDevices` value).
    pub struct NetDevice ("a network device object") {
        /// OPTIONAL. Name of the device in the container; the host name
        /// when absent.
        name: Option<String> => "name" (opt),
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

model! {
    /// Intel RDT settings (`linux.intelRdt`).
    pub struct IntelRdt ("an intelRdt object") {
        /// OPTIONAL. Name of the resctrl class of service (CLOS).
        clos_id: Option<String> => "closID" (opt),
        /// OPTIONAL. Schemata lines written as is to the CLOS's `schemata`.
        schemata: Vec<String> => "schemata" (vec),
        /// OPTIONAL. L3 cache allocation schema.
        l3_cache_schema: Option<String> => "l3CacheSchema" (opt),
        /// OPTIONAL. Memory bandwidth allocation schema.
        mem_bw_schema: Option<String> => "memBwSchema" (opt),
        /// OPTIONAL. Enables resctrl monitoring of the container.
        enable_monitoring: Option<bool> => "enableMonitoring" (opt),
    }
}

model! {
    /// NUMA memory policy (`linux.memoryPolicy`).
    pub struct MemoryPolicy ("a memoryPolicy object") {
        /// REQUIRED. The policy mode.
        mode: MemoryPolicyMode => "mode" (req),
        /// OPTIONAL. NUMA nodes, a list like `0-3,7`.
        nodes: Option<String> => "nodes" (opt),
        /// OPTIONAL. Mode flags.
        flags: Vec<MemoryPolicyFlag> => "flags" (vec),
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

model! {
    /// Execution domain (`linux.personality`).
    pub struct Personality ("a personality object") {
        /// REQUIRED. The domain.
        domain: PersonalityDomain => "domain" (req),
        /// OPTIONAL. Additional flags; none are defined yet.
        flags: Vec<String> => "flags" (vec),
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

model! {
    /// Clock offsets of the time namespace (`linux.timeOffsets`).
    pub struct TimeOffsets ("a timeOffsets object") {
        /// OPTIONAL. Offset of `CLOCK_BOOTTIME`.
        boottime: Option<TimeOffset> => "boottime" (opt),
        /// OPTIONAL. Offset of `CLOCK_MONOTONIC`.
        monotonic: Option<TimeOffset> => "monotonic" (opt),
    }
}

model! {
    /// One clock offset.
    pub struct TimeOffset ("a time offset object") {
        /// OPTIONAL. Seconds.
        secs: Option<i64> => "secs" (opt),
        /// OPTIONAL. Nanoseconds.
        nanosecs: Option<u32> => "nanosecs" (opt),
    }
}
