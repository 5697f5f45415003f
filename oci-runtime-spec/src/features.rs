//! What a runtime implements, as `runc features` prints it.
//!
//! Implements runtime-spec features.md and features-linux.md. Every member
//! but the version range is OPTIONAL, and absent means "unknown", unlike an
//! empty list or `false`: so every one is an `Option`, and an empty list
//! read is an empty list written.

use std::collections::BTreeMap;

use crate::codec::{self, model};
use crate::linux::NamespaceType;
use crate::linux::seccomp::{SeccompAction, SeccompArch, SeccompFlag, SeccompOperator};
use crate::process::Capability;
use crate::{Error, MemoryPolicyFlag, MemoryPolicyMode};

model! {
    /// The features document of a runtime.
    pub struct Features ("a features object") {
        /// REQUIRED. Oldest runtime-spec version the runtime supports.
        oci_version_min: String => "ociVersionMin" (req),
        /// REQUIRED. Newest runtime-spec version the runtime supports.
        oci_version_max: String => "ociVersionMax" (req),
        /// OPTIONAL. Names of the hooks the runtime knows (`prestart`, ...).
        hooks: Option<Vec<String>> => "hooks" (opt),
        /// OPTIONAL. Mount options the runtime knows, including ones the
        /// host may not support.
        mount_options: Option<Vec<String>> => "mountOptions" (opt),
        /// OPTIONAL. Linux features.
        linux: Option<LinuxFeatures> => "linux" (opt),
        /// OPTIONAL. Arbitrary metadata of the runtime (as config.json's
        /// annotations).
        annotations: Option<BTreeMap<String, String>> => "annotations" (opt),
        /// OPTIONAL. Annotation keys (or prefixes ending in `.`) of
        /// config.json that may change the runtime's behaviour in unsafe
        /// ways.
        potentially_unsafe_config_annotations: Option<Vec<String>> => "potentiallyUnsafeConfigAnnotations" (opt),
    }
}

impl Features {
    /// Parses a features document; an error names the failing member's path.
    pub fn from_json(bytes: &[u8]) -> Result<Features, Error> {
        codec::from_slice("features", bytes)
    }

    /// Compact JSON, as Go's `json.Marshal` writes it.
    pub fn to_json(&self) -> Vec<u8> {
        codec::to_vec(self)
    }

    /// Indented JSON (Go's `json.MarshalIndent` with a tab indent).
    pub fn to_json_pretty(&self) -> Vec<u8> {
        codec::to_vec_pretty(self)
    }
}

model! {
    /// Linux features (`linux` of the features document).
    pub struct LinuxFeatures ("a Linux features object") {
        /// OPTIONAL. Namespace types the runtime knows.
        namespaces: Option<Vec<NamespaceType>> => "namespaces" (opt),
        /// OPTIONAL. Capabilities the runtime knows.
        capabilities: Option<Vec<Capability>> => "capabilities" (opt),
        /// OPTIONAL. cgroup managers.
        cgroup: Option<CgroupFeatures> => "cgroup" (opt),
        /// OPTIONAL. seccomp.
        seccomp: Option<SeccompFeatures> => "seccomp" (opt),
        /// OPTIONAL. AppArmor.
        apparmor: Option<Enabled> => "apparmor" (opt),
        /// OPTIONAL. SELinux.
        selinux: Option<Enabled> => "selinux" (opt),
        /// OPTIONAL. Intel RDT.
        intel_rdt: Option<IntelRdtFeatures> => "intelRdt" (opt),
        /// OPTIONAL. Memory policies.
        memory_policy: Option<MemoryPolicyFeatures> => "memoryPolicy" (opt),
        /// OPTIONAL. Mount extensions.
        mount_extensions: Option<MountExtensions> => "mountExtensions" (opt),
        /// OPTIONAL. Moving network devices into the container.
        net_devices: Option<Enabled> => "netDevices" (opt),
    }
}

model! {
    /// A feature that is only on or off (`apparmor`, `selinux`,
    /// `netDevices`, `mountExtensions.idmap`).
    pub struct Enabled ("an object with `enabled`") {
        /// OPTIONAL. Whether the runtime supports the feature.
        enabled: Option<bool> => "enabled" (opt),
    }
}

model! {
    /// cgroup support (`linux.cgroup`).
    pub struct CgroupFeatures ("a cgroup features object") {
        /// OPTIONAL. cgroup v1.
        v1: Option<bool> => "v1" (opt),
        /// OPTIONAL. cgroup v2.
        v2: Option<bool> => "v2" (opt),
        /// OPTIONAL. The system-wide systemd cgroup manager.
        systemd: Option<bool> => "systemd" (opt),
        /// OPTIONAL. The user-scoped systemd cgroup manager.
        systemd_user: Option<bool> => "systemdUser" (opt),
        /// OPTIONAL. The RDMA controller.
        rdma: Option<bool> => "rdma" (opt),
    }
}

model! {
    /// seccomp support (`linux.seccomp`).
    pub struct SeccompFeatures ("a seccomp features object") {
        /// OPTIONAL. Whether seccomp is supported.
        enabled: Option<bool> => "enabled" (opt),
        /// OPTIONAL. Actions the runtime knows.
        actions: Option<Vec<SeccompAction>> => "actions" (opt),
        /// OPTIONAL. Operators the runtime knows.
        operators: Option<Vec<SeccompOperator>> => "operators" (opt),
        /// OPTIONAL. Architectures the runtime knows.
        archs: Option<Vec<SeccompArch>> => "archs" (opt),
        /// OPTIONAL. Flags the runtime knows.
        known_flags: Option<Vec<SeccompFlag>> => "knownFlags" (opt),
        /// OPTIONAL. Flags the runtime knows and the host supports.
        supported_flags: Option<Vec<SeccompFlag>> => "supportedFlags" (opt),
    }
}

model! {
    /// Intel RDT support (`linux.intelRdt`).
    pub struct IntelRdtFeatures ("an Intel RDT features object") {
        /// OPTIONAL. Whether Intel RDT is supported.
        enabled: Option<bool> => "enabled" (opt),
        /// OPTIONAL. Whether `linux.intelRdt.schemata` is supported.
        schemata: Option<bool> => "schemata" (opt),
        /// OPTIONAL. Whether `linux.intelRdt.enableMonitoring` is supported.
        monitoring: Option<bool> => "monitoring" (opt),
    }
}

model! {
    /// Mount extensions (`linux.mountExtensions`).
    pub struct MountExtensions ("a mount extensions object") {
        /// OPTIONAL. idmapped mounts (`uidMappings`/`gidMappings` of a
        /// mount).
        idmap: Option<Enabled> => "idmap" (opt),
    }
}

model! {
    /// Memory policy support (`linux.memoryPolicy`).
    pub struct MemoryPolicyFeatures ("a memory policy features object") {
        /// OPTIONAL. Modes the runtime knows.
        modes: Option<Vec<MemoryPolicyMode>> => "modes" (opt),
        /// OPTIONAL. Flags the runtime knows.
        flags: Option<Vec<MemoryPolicyFlag>> => "flags" (opt),
    }
}
