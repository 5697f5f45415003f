//! The container configuration, `config.json`: the top-level [`Spec`] and
//! its JSON entry points.
//!
//! Implements runtime-spec config.md (with each platform's section in its own
//! module).

use std::collections::BTreeMap;

use crate::{FreeBsd, Hooks, Linux, Mount, Process, Root, Solaris, Vm, Windows, Zos};

ocikit_spec_core::model! {
    /// A container configuration (`config.json` of a bundle).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct Spec ("a runtime configuration object") {
        /// REQUIRED. The runtime-spec version of the document (SemVer 2.0.0),
        /// e.g. [`SPEC_VERSION`](crate::SPEC_VERSION).
        oci_version: String => "ociVersion" (required),
        /// OPTIONAL here, REQUIRED when start is called. The container
        /// process.
        process: Option<Process> => "process" (optional_or_null),
        /// REQUIRED on all platforms but Windows (and VM-based runtimes,
        /// where it is OPTIONAL). The root filesystem.
        root: Option<Root> => "root" (optional_or_null),
        /// OPTIONAL. Hostname seen in the container (needs a UTS namespace
        /// on Linux).
        hostname: Option<String> => "hostname" (optional_or_null),
        /// OPTIONAL. Domain name seen in the container.
        domainname: Option<String> => "domainname" (optional_or_null),
        /// OPTIONAL. Additional mounts, in order.
        mounts: Vec<Mount> => "mounts" (default),
        /// OPTIONAL, POSIX. Lifecycle hooks.
        hooks: Option<Hooks> => "hooks" (optional_or_null),
        /// OPTIONAL. Arbitrary metadata; keys SHOULD be reverse domain
        /// names, `org.opencontainers` is reserved.
        annotations: BTreeMap<String, String> => "annotations" (default),
        /// OPTIONAL. Linux-specific configuration.
        linux: Option<Linux> => "linux" (optional_or_null),
        /// OPTIONAL. Solaris-specific configuration.
        solaris: Option<Solaris> => "solaris" (optional_or_null),
        /// OPTIONAL. Windows-specific configuration.
        windows: Option<Windows> => "windows" (optional_or_null),
        /// OPTIONAL. Virtual-machine configuration.
        vm: Option<Vm> => "vm" (optional_or_null),
        /// OPTIONAL. z/OS-specific configuration.
        zos: Option<Zos> => "zos" (optional_or_null),
        /// OPTIONAL. FreeBSD-specific configuration.
        freebsd: Option<FreeBsd> => "freebsd" (optional_or_null),
    }
}
