//! What a runtime implements, as `runc features` prints it.
//!
//! Implements runtime-spec features.md and features-linux.md. Every member
//! but the version range is OPTIONAL, and absent means "unknown", unlike an
//! empty list or `false`: so every one is an `Option`, and an empty list
//! read is an empty list written. Validation: the version range, no member
//! the spec does not define, and warnings for unknown values.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use ocikit_spec_core::Json;

use crate::linux::NamespaceType;
use crate::linux::seccomp::{SeccompAction, SeccompArch, SeccompFlag, SeccompOperator};
use crate::process::Capability;
use crate::validate::{Checker, Rule, SemVer, Validate, annotations, each, known, semver};
use crate::{MemoryPolicyFlag, MemoryPolicyMode};

ocikit_spec_core::model! {
    /// The features document of a runtime.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct Features ("a features object") {
        /// REQUIRED. Oldest runtime-spec version the runtime supports.
        oci_version_min: String => "ociVersionMin" (required),
        /// REQUIRED. Newest runtime-spec version the runtime supports.
        oci_version_max: String => "ociVersionMax" (required),
        /// OPTIONAL. Names of the hooks the runtime knows (`prestart`, ...).
        hooks: Option<Vec<String>> => "hooks" (optional_or_null),
        /// OPTIONAL. Mount options the runtime knows, including ones the
        /// host may not support.
        mount_options: Option<Vec<String>> => "mountOptions" (optional_or_null),
        /// OPTIONAL. Linux features.
        linux: Option<LinuxFeatures> => "linux" (optional_or_null),
        /// OPTIONAL. Arbitrary metadata of the runtime (as config.json's
        /// annotations).
        annotations: Option<BTreeMap<String, String>> => "annotations" (optional_or_null),
        /// OPTIONAL. Annotation keys (or prefixes ending in `.`) of
        /// config.json that may change the runtime's behaviour in unsafe
        /// ways.
        potentially_unsafe_config_annotations: Option<Vec<String>> => "potentiallyUnsafeConfigAnnotations" (optional_or_null),
    }
}

ocikit_spec_core::model! {
    /// Linux features (`linux` of the features document).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct LinuxFeatures ("a Linux features object") {
        /// OPTIONAL. Namespace types the runtime knows.
        namespaces: Option<Vec<NamespaceType>> => "namespaces" (optional_or_null),
        /// OPTIONAL. Capabilities the runtime knows.
        capabilities: Option<Vec<Capability>> => "capabilities" (optional_or_null),
        /// OPTIONAL. cgroup managers.
        cgroup: Option<CgroupFeatures> => "cgroup" (optional_or_null),
        /// OPTIONAL. seccomp.
        seccomp: Option<SeccompFeatures> => "seccomp" (optional_or_null),
        /// OPTIONAL. AppArmor.
        apparmor: Option<Enabled> => "apparmor" (optional_or_null),
        /// OPTIONAL. SELinux.
        selinux: Option<Enabled> => "selinux" (optional_or_null),
        /// OPTIONAL. Intel RDT.
        intel_rdt: Option<IntelRdtFeatures> => "intelRdt" (optional_or_null),
        /// OPTIONAL. Memory policies.
        memory_policy: Option<MemoryPolicyFeatures> => "memoryPolicy" (optional_or_null),
        /// OPTIONAL. Mount extensions.
        mount_extensions: Option<MountExtensions> => "mountExtensions" (optional_or_null),
        /// OPTIONAL. Moving network devices into the container.
        net_devices: Option<Enabled> => "netDevices" (optional_or_null),
    }
}

ocikit_spec_core::model! {
    /// A feature that is only on or off (`apparmor`, `selinux`,
    /// `netDevices`, `mountExtensions.idmap`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct Enabled ("an object with `enabled`") {
        /// OPTIONAL. Whether the runtime supports the feature.
        enabled: Option<bool> => "enabled" (optional_or_null),
    }
}

ocikit_spec_core::model! {
    /// cgroup support (`linux.cgroup`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct CgroupFeatures ("a cgroup features object") {
        /// OPTIONAL. cgroup v1.
        v1: Option<bool> => "v1" (optional_or_null),
        /// OPTIONAL. cgroup v2.
        v2: Option<bool> => "v2" (optional_or_null),
        /// OPTIONAL. The system-wide systemd cgroup manager.
        systemd: Option<bool> => "systemd" (optional_or_null),
        /// OPTIONAL. The user-scoped systemd cgroup manager.
        systemd_user: Option<bool> => "systemdUser" (optional_or_null),
        /// OPTIONAL. The RDMA controller.
        rdma: Option<bool> => "rdma" (optional_or_null),
    }
}

ocikit_spec_core::model! {
    /// seccomp support (`linux.seccomp`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct SeccompFeatures ("a seccomp features object") {
        /// OPTIONAL. Whether seccomp is supported.
        enabled: Option<bool> => "enabled" (optional_or_null),
        /// OPTIONAL. Actions the runtime knows.
        actions: Option<Vec<SeccompAction>> => "actions" (optional_or_null),
        /// OPTIONAL. Operators the runtime knows.
        operators: Option<Vec<SeccompOperator>> => "operators" (optional_or_null),
        /// OPTIONAL. Architectures the runtime knows.
        archs: Option<Vec<SeccompArch>> => "archs" (optional_or_null),
        /// OPTIONAL. Flags the runtime knows.
        known_flags: Option<Vec<SeccompFlag>> => "knownFlags" (optional_or_null),
        /// OPTIONAL. Flags the runtime knows and the host supports.
        supported_flags: Option<Vec<SeccompFlag>> => "supportedFlags" (optional_or_null),
    }
}

ocikit_spec_core::model! {
    /// Intel RDT support (`linux.intelRdt`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct IntelRdtFeatures ("an Intel RDT features object") {
        /// OPTIONAL. Whether Intel RDT is supported.
        enabled: Option<bool> => "enabled" (optional_or_null),
        /// OPTIONAL. Whether `linux.intelRdt.schemata` is supported.
        schemata: Option<bool> => "schemata" (optional_or_null),
        /// OPTIONAL. Whether `linux.intelRdt.enableMonitoring` is supported.
        monitoring: Option<bool> => "monitoring" (optional_or_null),
    }
}

ocikit_spec_core::model! {
    /// Mount extensions (`linux.mountExtensions`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct MountExtensions ("a mount extensions object") {
        /// OPTIONAL. idmapped mounts (`uidMappings`/`gidMappings` of a
        /// mount).
        idmap: Option<Enabled> => "idmap" (optional_or_null),
    }
}

ocikit_spec_core::model! {
    /// Memory policy support (`linux.memoryPolicy`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct MemoryPolicyFeatures ("a memory policy features object") {
        /// OPTIONAL. Modes the runtime knows.
        modes: Option<Vec<MemoryPolicyMode>> => "modes" (optional_or_null),
        /// OPTIONAL. Flags the runtime knows.
        flags: Option<Vec<MemoryPolicyFlag>> => "flags" (optional_or_null),
    }
}

impl Validate for Features {
    type Rule = Rule;
    const KIND: &'static str = "features";

    /// Every rule of features.md this document breaks.
    fn check_into(&self, c: &mut Checker) {
        semver(c, "ociVersionMin", &self.oci_version_min);
        semver(c, "ociVersionMax", &self.oci_version_max);
        if let (Some(min), Some(max)) = (
            SemVer::parse(&self.oci_version_min),
            SemVer::parse(&self.oci_version_max),
        ) && max.cmp(&min) == Ordering::Less
        {
            c.field("ociVersionMax", |c| {
                c.error(
                    Rule::Features,
                    format!(
                        "must not be less than ociVersionMin ({:?}), found {:?}",
                        self.oci_version_min, self.oci_version_max
                    ),
                )
            });
        }
        // features.md: the structure MUST NOT contain properties this version of
        // the spec does not define.
        no_extra(c, &self.extra);
        if let Some(hooks) = &self.hooks {
            const HOOKS: &[&str] = &[
                "prestart",
                "createRuntime",
                "createContainer",
                "startContainer",
                "poststart",
                "poststop",
            ];
            each(c, "hooks", hooks, |c, h| {
                if !HOOKS.contains(&h.as_str()) {
                    c.warning(
                        Rule::Features,
                        format!("unknown hook {h:?}; the spec defines {}", HOOKS.join(", ")),
                    );
                }
            });
        }
        if let Some(a) = &self.annotations {
            c.field("annotations", |c| annotations(c, a));
        }
        if let Some(l) = &self.linux {
            c.field("linux", |c| {
                no_extra(c, &l.extra);
                unknown_values(c, "namespaces", "namespace type", &l.namespaces);
                unknown_values(c, "capabilities", "capability", &l.capabilities);
                if let Some(s) = &l.seccomp {
                    c.field("seccomp", |c| {
                        no_extra(c, &s.extra);
                        let what = "seccomp value";
                        unknown_values(c, "actions", what, &s.actions);
                        unknown_values(c, "archs", what, &s.archs);
                        unknown_values(c, "operators", what, &s.operators);
                        unknown_values(c, "knownFlags", what, &s.known_flags);
                        unknown_values(c, "supportedFlags", what, &s.supported_flags);
                    });
                }
            });
        }
    }
}

impl Json for Features {
    /// As `runc features` prints it: Go's `json.MarshalIndent` with four
    /// spaces.
    const PRETTY_INDENT: &'static str = "    ";
    const MAP_MEMBERS: &'static [&'static str] = &["annotations"];
}

/// Warns about each value of the list `name` that this crate does not know
/// (a `what`).
fn unknown_values<T: crate::codec::StringEnum>(
    c: &mut Checker,
    name: &'static str,
    what: &str,
    list: &Option<Vec<T>>,
) {
    each(c, name, list.as_deref().unwrap_or_default(), |c, v| {
        known(c, Rule::Features, what, v)
    });
}

/// features.md: no member the spec does not define, at the checker's path.
fn no_extra(c: &mut Checker, extra: &BTreeMap<String, serde_json::Value>) {
    for name in extra.keys() {
        c.field(name.clone(), |c| {
            c.error(
                Rule::Features,
                "is not a property this version of the spec defines; a features document must not contain one",
            )
        });
    }
}
