//! The container configuration, `config.json`: the top-level [`Spec`], its
//! JSON form and its validation, which picks the platform and hands each
//! section to the module of its model.
//!
//! Implements runtime-spec config.md (with each platform's section in its own
//! module).

use std::collections::BTreeMap;

use ocikit_spec_core::Json;

use crate::validate::{Checker, Platform, Report, Rule, Validate, annotations, semver};
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

impl Validate for Spec {
    type Rule = Rule;
    const KIND: &'static str = "config.json";

    /// Every rule of the spec this configuration breaks. The platform is
    /// the one whose section is present: Windows when `windows` is set, a
    /// VM when `vm` is, POSIX otherwise (Linux rules when `linux` is set
    /// or no platform section is).
    ///
    /// `process` is OPTIONAL in a configuration and REQUIRED only when
    /// start is called: [`Spec::check_for_start`] adds that rule.
    fn check_into(&self, c: &mut Checker) {
        let platform = Platform::of(self);
        semver(c, "ociVersion", &self.oci_version);
        crate::mount::check_root(c, self, platform);
        if let Some(p) = &self.process {
            c.field("process", |c| crate::process::check(c, p, platform));
        }
        crate::mount::check_mounts(c, &self.mounts, platform);
        if let Some(hooks) = &self.hooks {
            c.field("hooks", |c| crate::hooks::check(c, hooks));
        }
        c.field("annotations", |c| annotations(c, &self.annotations));
        if let Some(l) = &self.linux {
            c.field("linux", |c| crate::linux::check(c, l));
        }
        if let Some(w) = &self.windows {
            c.field("windows", |c| crate::windows::check(c, w));
        }
        if let Some(v) = &self.vm {
            c.field("vm", |c| crate::vm::check(c, v));
        }
        if let Some(zos) = &self.zos {
            c.field("zos", |c| {
                crate::linux::check_namespaces(c, &zos.namespaces)
            });
        }
    }
}

impl Json for Spec {
    /// runc's `config.json`: Go's `json.MarshalIndent` with a tab.
    const PRETTY_INDENT: &'static str = "\t";
    const MAP_MEMBERS: &'static [&'static str] =
        &["annotations", "sysctl", "netDevices", "unified", "rdma"];
}

impl Spec {
    /// [`Validate::check`], plus runtime.md "Start": the start operation
    /// MUST generate an error if `process` was not set.
    pub fn check_for_start(&self) -> Report {
        let mut c = Checker::new();
        if self.process.is_none() {
            c.field("process", |c| {
                c.error(
                    Rule::Process,
                    "is required when the container is started, found none",
                )
            });
        }
        self.check_into(&mut c);
        c.finish()
    }
}
