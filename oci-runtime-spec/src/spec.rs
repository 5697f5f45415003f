//! The container configuration, `config.json`: the top-level [`Spec`] and
//! its JSON entry points.
//!
//! Implements runtime-spec config.md (with each platform's section in its own
//! module).

use std::collections::BTreeMap;

use crate::codec::{self, model};
use crate::{Error, FreeBsd, Hooks, Linux, Mount, Process, Root, Solaris, Vm, Windows, Zos};

model! {
    /// A container configuration (`config.json` of a bundle).
    pub struct Spec ("a runtime configuration object") {
        /// REQUIRED. The runtime-spec version of the document (SemVer 2.0.0),
        /// e.g. [`SPEC_VERSION`](crate::SPEC_VERSION).
        oci_version: String => "ociVersion" (req),
        /// OPTIONAL here, REQUIRED when start is called. The container
        /// process.
        process: Option<Process> => "process" (opt),
        /// REQUIRED on all platforms but Windows (and VM-based runtimes,
        /// where it is OPTIONAL). The root filesystem.
        root: Option<Root> => "root" (opt),
        /// OPTIONAL. Hostname seen in the container (needs a UTS namespace
        /// on Linux).
        hostname: Option<String> => "hostname" (opt),
        /// OPTIONAL. Domain name seen in the container.
        domainname: Option<String> => "domainname" (opt),
        /// OPTIONAL. Additional mounts, in order.
        mounts: Vec<Mount> => "mounts" (vec),
        /// OPTIONAL, POSIX. Lifecycle hooks.
        hooks: Option<Hooks> => "hooks" (opt),
        /// OPTIONAL. Arbitrary metadata; keys SHOULD be reverse domain
        /// names, `org.opencontainers` is reserved.
        annotations: BTreeMap<String, String> => "annotations" (map),
        /// OPTIONAL. Linux-specific configuration.
        linux: Option<Linux> => "linux" (opt),
        /// OPTIONAL. Solaris-specific configuration.
        solaris: Option<Solaris> => "solaris" (opt),
        /// OPTIONAL. Windows-specific configuration.
        windows: Option<Windows> => "windows" (opt),
        /// OPTIONAL. Virtual-machine configuration.
        vm: Option<Vm> => "vm" (opt),
        /// OPTIONAL. z/OS-specific configuration.
        zos: Option<Zos> => "zos" (opt),
        /// OPTIONAL. FreeBSD-specific configuration.
        freebsd: Option<FreeBsd> => "freebsd" (opt),
    }
}

impl Spec {
    /// Parses a `config.json`. Accepts what the JSON types allow; the
    /// spec's other rules are checked by validation, not here. An error
    /// names the JSON path of the failing member.
    pub fn from_json(bytes: &[u8]) -> Result<Spec, Error> {
        codec::from_slice("config.json", bytes)
    }

    /// Compact JSON, as Go's `json.Marshal` writes it: members in the
    /// order of the spec's Go types, absent `None`s and empty lists, map
    /// keys sorted, `<`, `>` and `&` escaped. The same value always gives
    /// the same bytes.
    pub fn to_json(&self) -> Vec<u8> {
        codec::to_vec(self)
    }

    /// Indented JSON as `runc spec` writes `config.json` (Go's
    /// `json.MarshalIndent` with a tab): no final newline.
    pub fn to_json_pretty(&self) -> Vec<u8> {
        codec::to_vec_pretty(self)
    }
}
