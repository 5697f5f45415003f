//! Validation: the spec's rules that parsing does not check, each reported
//! with the JSON path of the field, what was expected and what was found.
//!
//! Implements the MUSTs (as errors) and SHOULDs (as warnings) of
//! runtime-spec config.md, config-linux.md, config-windows.md, config-vm.md,
//! config-zos.md, runtime.md ("State") and features.md. Values of the open
//! sets (capabilities, namespace types, seccomp actions, architectures,
//! flags and operators) that this crate does not know are warnings: the spec
//! asks runtimes to warn about them and go on.

use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

use crate::linux::resources::Resources;
use crate::linux::seccomp::Seccomp;
use crate::{
    Error, Features, Hook, IdMapping, Linux, Mount, Namespace, NamespaceType, Process, Spec, State,
    Vm, Windows,
};

/// The rule of the spec that a [`Violation`] breaks. Callers match on it;
/// the message gives the details.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Rule {
    /// `ociVersion` (and the features' version range) MUST be SemVer 2.0.0
    /// (config.md "Specification version", features.md).
    OciVersion,
    /// `root` is REQUIRED except on Windows Hyper-V containers (where it
    /// MUST NOT be set) and VMs; its `path` form per platform (config.md "Root").
    Root,
    /// Mount destinations and idmapped-mount fields (config.md "Mounts").
    Mount,
    /// The process: `cwd`, `args`, `commandLine`, `user`, `env`, scheduler,
    /// I/O priority, CPU affinity (config.md "Process").
    Process,
    /// `rlimits`: type format, unique types, soft not above hard
    /// (config.md "POSIX process").
    Rlimit,
    /// A capability this crate does not know (config.md "Linux Process").
    Capability,
    /// Hook `path` absolute, `timeout` greater than zero (config.md
    /// "POSIX-platform Hooks").
    Hook,
    /// Annotation keys (config.md "Annotations").
    Annotation,
    /// Namespace entries (config-linux.md, config-zos.md "Namespaces").
    Namespace,
    /// User namespace and idmapped-mount ID mappings (config-linux.md
    /// "User namespace mappings", with the kernel's user_namespaces(7) limits).
    IdMapping,
    /// Devices (config-linux.md "Devices").
    Device,
    /// cgroup resources (config-linux.md "Control groups").
    Resources,
    /// seccomp (config-linux.md "Seccomp").
    Seccomp,
    /// `maskedPaths`, `readonlyPaths` absolute (config-linux.md).
    LinuxPath,
    /// `rootfsPropagation` values (config-linux.md "Rootfs Mount Propagation").
    RootfsPropagation,
    /// Intel RDT schemata (config-linux.md "IntelRdt").
    IntelRdt,
    /// Memory policy mode and flags (config-linux.md "Memory policy").
    MemoryPolicy,
    /// Personality domain (config-linux.md "Personality").
    Personality,
    /// The Windows section (config-windows.md).
    Windows,
    /// The VM section: absolute paths (config-vm.md).
    Vm,
    /// The state's `id`, `status`, `pid` and `bundle` (runtime.md "State").
    State,
    /// The features document (features.md).
    Features,
}

/// How serious a [`Violation`] is: [`Severity::Error`] for a broken
/// MUST, which makes the document invalid; [`Severity::Warning`] for a
/// SHOULD not followed or an unknown value of an open set, which does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// Reported, but the document stays valid.
    Warning,
    /// The document is invalid.
    Error,
}

/// One broken rule at one place in a document. `Display` writes
/// `path: message`, with `warning: ` in front for a warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Where: the JSON path of the field (`linux.namespaces[2].type`,
    /// `annotations["com.example.key"]`), or `.` for the whole document.
    pub path: String,
    /// How serious it is.
    pub severity: Severity,
    /// Which rule of the spec, for callers that filter or match.
    pub rule: Rule,
    /// What was expected, and what was found.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = match self.severity {
            Severity::Warning => "warning: ",
            Severity::Error => "",
        };
        write!(f, "{prefix}{}: {}", self.path, self.message)
    }
}

/// Everything a check found, errors and warnings, in document order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Every violation.
    pub violations: Vec<Violation>,
}

impl Report {
    fn with(&self, severity: Severity) -> impl Iterator<Item = &Violation> {
        self.violations
            .iter()
            .filter(move |v| v.severity == severity)
    }

    /// `true` when no MUST is broken (warnings allowed).
    pub fn is_valid(&self) -> bool {
        self.errors().next().is_none()
    }

    /// The broken MUSTs.
    pub fn errors(&self) -> impl Iterator<Item = &Violation> {
        self.with(Severity::Error)
    }

    /// The SHOULDs not followed and the unknown values of open sets.
    pub fn warnings(&self) -> impl Iterator<Item = &Violation> {
        self.with(Severity::Warning)
    }

    /// `Ok` with the warnings when valid, else [`Error::Invalid`] with the
    /// errors; `document` names the document in the error (`config.json`,
    /// `state`, `features`).
    pub fn into_result(mut self, document: &'static str) -> Result<Vec<Violation>, Error> {
        let valid = self.is_valid();
        let keep = if valid {
            Severity::Warning
        } else {
            Severity::Error
        };
        self.violations.retain(|v| v.severity == keep);
        if valid {
            Ok(self.violations)
        } else {
            Err(Error::Invalid {
                document,
                errors: self.violations,
            })
        }
    }
}

/// One violation per line, for [`Error::Invalid`].
pub(crate) fn lines(violations: &[Violation]) -> String {
    let lines: Vec<String> = violations.iter().map(Violation::to_string).collect();
    lines.join("\n")
}

impl Spec {
    /// Every rule of the spec this configuration breaks, errors and
    /// warnings. The platform is the one whose section is present: Windows
    /// when `windows` is set, a VM when `vm` is, POSIX otherwise (Linux
    /// rules when `linux` is set or no platform section is).
    ///
    /// `process` is OPTIONAL in a configuration and REQUIRED only when
    /// start is called: [`Spec::check_for_start`] adds that rule.
    pub fn check(&self) -> Report {
        let mut c = Checker::default();
        c.spec(self);
        c.finish()
    }

    /// [`Spec::check`], plus runtime.md "Start": the start operation MUST
    /// generate an error if `process` was not set.
    pub fn check_for_start(&self) -> Report {
        let mut c = Checker::default();
        if self.process.is_none() {
            c.error(
                "process",
                Rule::Process,
                "is required when the container is started, found none",
            );
        }
        c.spec(self);
        c.finish()
    }

    /// `Ok` with the warnings when no MUST is broken, else
    /// [`Error::Invalid`] listing every error with its path.
    ///
    /// ```
    /// let spec = ocikit_runtime_spec::Spec::from_json(br#"{"ociVersion": "1.3",
    ///     "root": {"path": "rootfs"}, "process": {"cwd": "tmp", "args": ["sh"]}}"#)?;
    /// let err = spec.validate().unwrap_err();
    /// assert_eq!(err.to_string(), "config.json is invalid:\n\
    ///     ociVersion: must be a SemVer 2.0.0 version like \"1.3.0\", found \"1.3\"\n\
    ///     process.cwd: must be an absolute path, found \"tmp\"");
    /// # Ok::<(), ocikit_runtime_spec::Error>(())
    /// ```
    pub fn validate(&self) -> Result<Vec<Violation>, Error> {
        self.check().into_result("config.json")
    }
}

impl State {
    /// Every rule of runtime.md "State" this state breaks. A state does not
    /// say its platform: the Linux rule (`pid` REQUIRED when `status` is
    /// `created` or `running`) is applied; a caller on another platform can
    /// drop the [`Rule::State`] violation at path `pid`.
    pub fn check(&self) -> Report {
        let mut c = Checker::default();
        c.state(self);
        c.finish()
    }

    /// `Ok` with the warnings, or [`Error::Invalid`] with the errors.
    pub fn validate(&self) -> Result<Vec<Violation>, Error> {
        self.check().into_result("state")
    }
}

impl Features {
    /// Every rule of features.md this document breaks.
    pub fn check(&self) -> Report {
        let mut c = Checker::default();
        c.features(self);
        c.finish()
    }

    /// `Ok` with the warnings, or [`Error::Invalid`] with the errors.
    pub fn validate(&self) -> Result<Vec<Violation>, Error> {
        self.check().into_result("features")
    }
}

/// The platform a configuration is for, from the platform section present.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Platform {
    /// `linux` set, or no platform section at all.
    Linux,
    /// `windows` set.
    Windows,
    /// `vm` set (and not `windows`).
    Vm,
    /// `solaris`, `zos` or `freebsd` set.
    OtherPosix,
}

impl Platform {
    fn of(spec: &Spec) -> Platform {
        if spec.windows.is_some() {
            Platform::Windows
        } else if spec.vm.is_some() {
            Platform::Vm
        } else if spec.linux.is_none()
            && (spec.solaris.is_some() || spec.zos.is_some() || spec.freebsd.is_some())
        {
            Platform::OtherPosix
        } else {
            Platform::Linux
        }
    }
}

/// `base.name`, or `name` at the top.
fn field(base: &str, name: &str) -> String {
    if base.is_empty() {
        name.to_owned()
    } else {
        format!("{base}.{name}")
    }
}

/// `base[i]`.
fn index(base: &str, i: usize) -> String {
    format!("{base}[{i}]")
}

/// `base["key"]`, the key as a JSON string.
fn key(base: &str, k: &str) -> String {
    format!("{base}[{}]", serde_json::Value::String(k.to_owned()))
}

#[derive(Default)]
struct Checker {
    violations: Vec<Violation>,
}

impl Checker {
    fn push(&mut self, path: &str, rule: Rule, severity: Severity, message: String) {
        let path = if path.is_empty() { "." } else { path };
        self.violations.push(Violation {
            path: path.to_owned(),
            severity,
            rule,
            message,
        });
    }

    fn error(&mut self, path: &str, rule: Rule, message: impl Into<String>) {
        self.push(path, rule, Severity::Error, message.into());
    }

    fn warn(&mut self, path: &str, rule: Rule, message: impl Into<String>) {
        self.push(path, rule, Severity::Warning, message.into());
    }

    fn finish(self) -> Report {
        Report {
            violations: self.violations,
        }
    }

    fn absolute(&mut self, path: &str, rule: Rule, value: &str) {
        if !value.starts_with('/') {
            self.error(
                path,
                rule,
                format!("must be an absolute path, found {value:?}"),
            );
        }
    }

    fn semver(&mut self, path: &str, value: &str) {
        if SemVer::parse(value).is_none() {
            self.error(
                path,
                Rule::OciVersion,
                format!("must be a SemVer 2.0.0 version like \"1.3.0\", found {value:?}"),
            );
        }
    }

    /// A value of an open set this crate does not know: the spec has
    /// runtimes warn and go on, so a warning.
    fn unknown(&mut self, path: &str, rule: Rule, what: &str, value: &str) {
        self.warn(
            path,
            rule,
            format!("unknown {what} {value:?}; a runtime that cannot map it warns or fails"),
        );
    }

    /// A value outside a list the spec gives as the valid values: an error
    /// (config.md "Valid values": runtimes MUST error on invalid values).
    fn not_one_of(&mut self, path: &str, rule: Rule, known: &[&str], value: &str) {
        self.error(
            path,
            rule,
            format!("must be one of {}, found {value:?}", known.join(", ")),
        );
    }

    // ----- config.json -----

    fn spec(&mut self, spec: &Spec) {
        let platform = Platform::of(spec);
        self.semver("ociVersion", &spec.oci_version);
        self.root(spec, platform);
        if let Some(process) = &spec.process {
            self.process(process, platform);
        }
        self.mounts(&spec.mounts, platform);
        if let Some(hooks) = &spec.hooks {
            let lists = [
                ("prestart", &hooks.prestart),
                ("createRuntime", &hooks.create_runtime),
                ("createContainer", &hooks.create_container),
                ("startContainer", &hooks.start_container),
                ("poststart", &hooks.poststart),
                ("poststop", &hooks.poststop),
            ];
            for (name, list) in lists {
                for (i, hook) in list.iter().enumerate() {
                    self.hook(&index(&field("hooks", name), i), hook);
                }
            }
        }
        self.annotations("annotations", &spec.annotations);
        if let Some(linux) = &spec.linux {
            self.linux(linux);
        }
        if let Some(windows) = &spec.windows {
            self.windows(windows);
        }
        if let Some(vm) = &spec.vm {
            self.vm(vm);
        }
        if let Some(zos) = &spec.zos {
            self.namespaces("zos.namespaces", &zos.namespaces);
        }
    }

    /// config.md "Root": REQUIRED on all platforms but Windows (where
    /// Hyper-V containers MUST NOT set it) and VMs; on Windows `path` MUST
    /// be a volume GUID path and `readonly` MUST be omitted or false.
    fn root(&mut self, spec: &Spec, platform: Platform) {
        let hyperv = spec.windows.as_ref().is_some_and(|w| w.hyperv.is_some());
        let Some(root) = &spec.root else {
            if platform != Platform::Vm && !hyperv {
                self.error(
                    "root",
                    Rule::Root,
                    "is required on this platform, found none",
                );
            }
            return;
        };
        if hyperv {
            self.error(
                "root",
                Rule::Root,
                "must not be set for a Hyper-V container (windows.hyperv is set)",
            );
        }
        if platform == Platform::Windows {
            if !is_volume_guid_path(&root.path) {
                self.error(
                    "root.path",
                    Rule::Root,
                    format!(
                        "must be a volume GUID path like \"\\\\?\\Volume{{GUID}}\\\" on Windows, found {:?}",
                        root.path
                    ),
                );
            }
            if root.readonly == Some(true) {
                self.error(
                    "root.readonly",
                    Rule::Root,
                    "must be omitted or false on Windows, found true",
                );
            }
        } else if root.path.is_empty() {
            self.error(
                "root.path",
                Rule::Root,
                "must be a path (absolute or relative to the bundle), found \"\"",
            );
        }
    }

    /// config.md "Process", "POSIX process", "Linux Process", "User".
    fn process(&mut self, p: &Process, platform: Platform) {
        let windows = platform == Platform::Windows;
        if windows {
            if !is_windows_absolute(&p.cwd) {
                self.error(
                    "process.cwd",
                    Rule::Process,
                    format!("must be an absolute path, found {:?}", p.cwd),
                );
            }
            if p.args.is_empty() && p.command_line.is_none() {
                self.error(
                    "process.args",
                    Rule::Process,
                    "or process.commandLine is required on Windows, found neither",
                );
            }
        } else {
            self.absolute("process.cwd", Rule::Process, &p.cwd);
            if p.args.is_empty() {
                self.error(
                    "process.args",
                    Rule::Process,
                    "must have at least one entry, found none",
                );
            }
        }
        self.env("process.env", Rule::Process, &p.env);
        if let Some(user) = &p.user
            && !windows
        {
            for (name, value) in [("uid", user.uid), ("gid", user.gid)] {
                if value.is_none() {
                    self.error(
                        &field("process.user", name),
                        Rule::Process,
                        "is required on POSIX platforms, found none",
                    );
                }
            }
        }
        if let Some(caps) = &p.capabilities {
            let sets = [
                ("bounding", &caps.bounding),
                ("effective", &caps.effective),
                ("inheritable", &caps.inheritable),
                ("permitted", &caps.permitted),
                ("ambient", &caps.ambient),
            ];
            for (name, set) in sets {
                for (i, cap) in set.iter().enumerate() {
                    if !cap.is_known() {
                        let path = index(&field("process.capabilities", name), i);
                        self.unknown(&path, Rule::Capability, "capability", cap.as_str());
                    }
                }
            }
        }
        self.rlimits(p);
        if let Some(s) = &p.scheduler {
            if !s.policy.is_known() {
                self.not_one_of(
                    "process.scheduler.policy",
                    Rule::Process,
                    crate::SchedulerPolicy::KNOWN,
                    s.policy.as_str(),
                );
            }
            for (i, flag) in s.flags.iter().enumerate() {
                if !flag.is_known() {
                    self.not_one_of(
                        &index("process.scheduler.flags", i),
                        Rule::Process,
                        crate::SchedulerFlag::KNOWN,
                        flag.as_str(),
                    );
                }
            }
        }
        if let Some(io) = &p.io_priority {
            if !io.class.is_known() {
                self.not_one_of(
                    "process.ioPriority.class",
                    Rule::Process,
                    crate::IoPriorityClass::KNOWN,
                    io.class.as_str(),
                );
            }
            if let Some(prio) = io.priority
                && !(0..=7).contains(&prio)
            {
                self.warn(
                    "process.ioPriority.priority",
                    Rule::Process,
                    format!("should be 0 (highest) to 7 (lowest), found {prio}"),
                );
            }
        }
        if let Some(aff) = &p.exec_cpu_affinity {
            for (name, value) in [("initial", &aff.initial), ("final", &aff.final_)] {
                if let Some(v) = value
                    && !v
                        .chars()
                        .all(|c| c.is_ascii_digit() || matches!(c, ',' | ' ' | '-'))
                {
                    self.error(
                        &field("process.execCPUAffinity", name),
                        Rule::Process,
                        format!("must be a CPU list like \"0-3,7\", found {v:?}"),
                    );
                }
            }
        }
    }

    /// `environ` entries are `NAME=value` (IEEE Std 1003.1-2008, XBD 8.1,
    /// which config.md's `env` members take the semantics of).
    fn env(&mut self, path: &str, rule: Rule, env: &[String]) {
        for (i, entry) in env.iter().enumerate() {
            match entry.split_once('=') {
                Some((name, _)) if !name.is_empty() => {}
                _ => self.error(
                    &index(path, i),
                    rule,
                    format!("must be NAME=value, found {entry:?}"),
                ),
            }
        }
    }

    /// config.md "POSIX process": `type` like `RLIMIT_NOFILE` (the schema's
    /// pattern), each type at most once (the runtime MUST error on
    /// duplicates), and `soft` not above `hard`: `rlim_cur` and `rlim_max`
    /// MUST match the values, which `setrlimit(2)` cannot do when soft > hard.
    fn rlimits(&mut self, p: &Process) {
        let mut seen = BTreeMap::new();
        for (i, r) in p.rlimits.iter().enumerate() {
            let path = index("process.rlimits", i);
            let well_formed = r
                .typ
                .strip_prefix("RLIMIT_")
                .is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_uppercase()));
            if !well_formed {
                self.error(
                    &field(&path, "type"),
                    Rule::Rlimit,
                    format!(
                        "must be a resource like \"RLIMIT_NOFILE\", found {:?}",
                        r.typ
                    ),
                );
            }
            if let Some(first) = seen.insert(r.typ.as_str(), i) {
                self.error(
                    &field(&path, "type"),
                    Rule::Rlimit,
                    format!(
                        "must be unique, found {:?} again (first at process.rlimits[{first}])",
                        r.typ
                    ),
                );
                seen.insert(r.typ.as_str(), first);
            }
            if r.soft > r.hard {
                self.error(
                    &field(&path, "soft"),
                    Rule::Rlimit,
                    format!("must not be above hard ({}), found {}", r.hard, r.soft),
                );
            }
        }
    }

    /// config.md "Mounts": `destination` absolute (on Linux only a SHOULD;
    /// relative is deprecated), Windows destinations not nested, and a
    /// mount's `uidMappings` and `gidMappings` given together.
    fn mounts(&mut self, mounts: &[Mount], platform: Platform) {
        for (i, m) in mounts.iter().enumerate() {
            let path = index("mounts", i);
            let dest = field(&path, "destination");
            match platform {
                Platform::Windows => {
                    if !is_windows_absolute(&m.destination) {
                        self.error(
                            &dest,
                            Rule::Mount,
                            format!("must be an absolute path, found {:?}", m.destination),
                        );
                    }
                }
                Platform::Linux => {
                    if !m.destination.starts_with('/') {
                        self.warn(
                            &dest,
                            Rule::Mount,
                            format!(
                                "should be an absolute path (relative is deprecated), found {:?}",
                                m.destination
                            ),
                        );
                    }
                }
                Platform::Vm | Platform::OtherPosix => {
                    self.absolute(&dest, Rule::Mount, &m.destination);
                }
            }
            let (uids, gids) = (!m.uid_mappings.is_empty(), !m.gid_mappings.is_empty());
            if uids != gids {
                let (given, missing) = if uids {
                    ("uidMappings", "gidMappings")
                } else {
                    ("gidMappings", "uidMappings")
                };
                self.error(
                    &field(&path, missing),
                    Rule::Mount,
                    format!("must be given together with {given}, found none"),
                );
            }
            if uids || gids {
                let idmap = m
                    .options
                    .iter()
                    .flatten()
                    .any(|o| o == "idmap" || o == "ridmap");
                if !idmap {
                    self.warn(
                        &field(&path, "options"),
                        Rule::Mount,
                        "should contain idmap or ridmap when the mount has ID mappings",
                    );
                }
            }
            self.id_mappings(&field(&path, "uidMappings"), &m.uid_mappings);
            self.id_mappings(&field(&path, "gidMappings"), &m.gid_mappings);
        }
        if platform == Platform::Windows {
            for (i, a) in mounts.iter().enumerate() {
                for b in mounts.iter().skip(i + 1) {
                    let (pa, pb) = (windows_key(&a.destination), windows_key(&b.destination));
                    if nested(&pa, &pb) || nested(&pb, &pa) {
                        self.error(
                            &field(&index("mounts", i), "destination"),
                            Rule::Mount,
                            format!(
                                "must not nest with another mount destination on Windows, found {:?} and {:?}",
                                a.destination, b.destination
                            ),
                        );
                    }
                }
            }
        }
    }

    /// config.md "POSIX-platform Hooks": `path` MUST be absolute, `timeout`
    /// if set MUST be greater than zero.
    fn hook(&mut self, path: &str, hook: &Hook) {
        self.absolute(&field(path, "path"), Rule::Hook, &hook.path);
        if let Some(t) = hook.timeout
            && t <= 0
        {
            self.error(
                &field(path, "timeout"),
                Rule::Hook,
                format!("must be greater than zero, found {t}"),
            );
        }
        self.env(&field(path, "env"), Rule::Hook, &hook.env);
    }

    /// config.md "Annotations": keys MUST NOT be empty; keys SHOULD be
    /// reverse domain names. The `org.opencontainers` namespace is reserved
    /// and other keys in it "MUST NOT be used by subsequent
    /// specifications": a rule for specifications, not documents (runc's
    /// own features use `org.opencontainers.runc.*`), so a warning.
    fn annotations(&mut self, path: &str, annotations: &BTreeMap<String, String>) {
        const DEFINED: &[&str] = &[
            "org.opencontainers.image.os",
            "org.opencontainers.image.os.version",
            "org.opencontainers.image.os.features",
            "org.opencontainers.image.architecture",
            "org.opencontainers.image.variant",
            "org.opencontainers.image.author",
            "org.opencontainers.image.created",
            "org.opencontainers.image.stopSignal",
        ];
        for k in annotations.keys() {
            let at = key(path, k);
            if k.is_empty() {
                self.error(&at, Rule::Annotation, "a key must not be empty");
            } else if (k == "org.opencontainers" || k.starts_with("org.opencontainers."))
                && !DEFINED.contains(&k.as_str())
            {
                self.warn(
                    &at,
                    Rule::Annotation,
                    "the org.opencontainers namespace is reserved for the spec, which does not define this key",
                );
            } else if !k.contains('.') {
                self.warn(
                    &at,
                    Rule::Annotation,
                    "a key should be a reverse domain name like \"com.example.key\"",
                );
            }
        }
    }

    // ----- config-linux.md -----

    fn linux(&mut self, l: &Linux) {
        self.namespaces("linux.namespaces", &l.namespaces);
        self.id_mappings("linux.uidMappings", &l.uid_mappings);
        self.id_mappings("linux.gidMappings", &l.gid_mappings);
        self.devices(l);
        if let Some(r) = &l.resources {
            self.resources(r);
        }
        if let Some(s) = &l.seccomp {
            self.seccomp(s);
        }
        if let Some(p) = &l.rootfs_propagation
            && !p.is_known()
        {
            self.not_one_of(
                "linux.rootfsPropagation",
                Rule::RootfsPropagation,
                crate::RootfsPropagation::KNOWN,
                p.as_str(),
            );
        }
        for (name, list) in [
            ("maskedPaths", &l.masked_paths),
            ("readonlyPaths", &l.readonly_paths),
        ] {
            for (i, p) in list.iter().enumerate() {
                self.absolute(&index(&field("linux", name), i), Rule::LinuxPath, p);
            }
        }
        if let Some(rdt) = &l.intel_rdt {
            if let Some(s) = &rdt.mem_bw_schema
                && (!s.starts_with("MB:") || s.contains('\n'))
            {
                self.error(
                    "linux.intelRdt.memBwSchema",
                    Rule::IntelRdt,
                    format!("must start with \"MB:\" and have no newline, found {s:?}"),
                );
            }
            if let Some(s) = &rdt.l3_cache_schema
                && (!s.starts_with("L3:") || s.contains('\n'))
            {
                self.warn(
                    "linux.intelRdt.l3CacheSchema",
                    Rule::IntelRdt,
                    format!("should start with \"L3:\" and have no newline, found {s:?}"),
                );
            }
            for (i, s) in rdt.schemata.iter().enumerate() {
                if s.contains('\n') {
                    self.error(
                        &index("linux.intelRdt.schemata", i),
                        Rule::IntelRdt,
                        format!("must not contain a newline, found {s:?}"),
                    );
                }
            }
        }
        if let Some(mp) = &l.memory_policy {
            if !mp.mode.is_known() {
                self.not_one_of(
                    "linux.memoryPolicy.mode",
                    Rule::MemoryPolicy,
                    crate::MemoryPolicyMode::KNOWN,
                    mp.mode.as_str(),
                );
            }
            for (i, f) in mp.flags.iter().enumerate() {
                if !f.is_known() {
                    self.not_one_of(
                        &index("linux.memoryPolicy.flags", i),
                        Rule::MemoryPolicy,
                        crate::MemoryPolicyFlag::KNOWN,
                        f.as_str(),
                    );
                }
            }
        }
        if let Some(p) = &l.personality
            && !p.domain.is_known()
        {
            self.not_one_of(
                "linux.personality.domain",
                Rule::Personality,
                crate::PersonalityDomain::KNOWN,
                p.domain.as_str(),
            );
        }
    }

    /// config-linux.md "Namespaces" (and config-zos.md): `path` MUST be
    /// absolute; the runtime MUST error on two entries of the same `type`;
    /// an unknown type is a warning (the set is open).
    fn namespaces(&mut self, path: &str, namespaces: &[Namespace]) {
        let mut seen: BTreeMap<&NamespaceType, usize> = BTreeMap::new();
        for (i, ns) in namespaces.iter().enumerate() {
            let at = index(path, i);
            if !ns.typ.is_known() {
                self.unknown(
                    &field(&at, "type"),
                    Rule::Namespace,
                    "namespace type",
                    ns.typ.as_str(),
                );
            }
            if let Some(&first) = seen.get(&ns.typ) {
                self.error(
                    &field(&at, "type"),
                    Rule::Namespace,
                    format!(
                        "must be unique, found {:?} again (first at {path}[{first}])",
                        ns.typ.as_str()
                    ),
                );
            } else {
                seen.insert(&ns.typ, i);
            }
            if let Some(p) = &ns.path {
                self.absolute(&field(&at, "path"), Rule::Namespace, p);
            }
        }
    }

    /// config-linux.md "User namespace mappings". The spec gives the fields;
    /// the kernel (user_namespaces(7)) rejects a mapping of zero IDs, a
    /// range past 2^32, and ranges that overlap inside or outside, so a
    /// runtime MUST error on them (config.md "Valid values").
    fn id_mappings(&mut self, path: &str, mappings: &[IdMapping]) {
        const END: u64 = 1 << 32;
        for (i, m) in mappings.iter().enumerate() {
            let at = index(path, i);
            if m.size == 0 {
                self.error(
                    &field(&at, "size"),
                    Rule::IdMapping,
                    "must be at least 1, found 0",
                );
                continue;
            }
            for (name, start) in [("containerID", m.container_id), ("hostID", m.host_id)] {
                if u64::from(start) + u64::from(m.size) > END {
                    self.error(
                        &field(&at, "size"),
                        Rule::IdMapping,
                        format!(
                            "the range {name} {start} + size {} must end at or below 4294967296",
                            m.size
                        ),
                    );
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
                        self.error(
                            &field(&at, name),
                            Rule::IdMapping,
                            format!(
                                "the {name} range must not overlap {path}[{j}]'s, found {}..{} and {}..{}",
                                a,
                                a + u64::from(m.size),
                                b,
                                b + u64::from(earlier.size)
                            ),
                        );
                    }
                }
            }
        }
    }

    /// config-linux.md "Devices": `type` one of c, b, u, p; `path` the full
    /// path in the container; `major` and `minor` REQUIRED unless `type` is
    /// `p`; `fileMode` at most 0o777 (the schema); the same type, major and
    /// minor SHOULD NOT be used twice.
    fn devices(&mut self, l: &Linux) {
        let mut seen = BTreeMap::new();
        for (i, d) in l.devices.iter().enumerate() {
            let at = index("linux.devices", i);
            if !matches!(d.typ.as_str(), "c" | "b" | "u" | "p") {
                self.not_one_of(
                    &field(&at, "type"),
                    Rule::Device,
                    &["c", "b", "u", "p"],
                    &d.typ,
                );
            }
            self.absolute(&field(&at, "path"), Rule::Device, &d.path);
            if d.typ != "p" {
                for (name, v) in [("major", d.major), ("minor", d.minor)] {
                    if v.is_none() {
                        self.error(
                            &field(&at, name),
                            Rule::Device,
                            format!("is required for a device of type {:?}, found none", d.typ),
                        );
                    }
                }
            }
            if let Some(mode) = d.file_mode
                && mode > 0o777
            {
                self.error(
                    &field(&at, "fileMode"),
                    Rule::Device,
                    format!("must be a permission mode from 0 to 511 (0o777), found {mode}"),
                );
            }
            if d.typ != "p" && d.major.is_some() && d.minor.is_some() {
                let id = (d.typ.as_str(), d.major, d.minor);
                if let Some(first) = seen.insert(id, i) {
                    self.warn(
                        &at,
                        Rule::Device,
                        format!(
                            "should not repeat the type, major and minor of linux.devices[{first}]"
                        ),
                    );
                    seen.insert(id, first);
                }
            }
        }
    }

    /// config-linux.md "Control groups".
    fn resources(&mut self, r: &Resources) {
        let base = "linux.resources";
        for (i, d) in r.devices.iter().enumerate() {
            let at = index(&field(base, "devices"), i);
            if let Some(t) = &d.typ
                && !matches!(t.as_str(), "a" | "c" | "b")
            {
                self.not_one_of(&field(&at, "type"), Rule::Resources, &["a", "c", "b"], t);
            }
            if let Some(a) = &d.access
                && !a.chars().all(|c| matches!(c, 'r' | 'w' | 'm'))
            {
                self.error(
                    &field(&at, "access"),
                    Rule::Resources,
                    format!("must be made of r, w and m, found {a:?}"),
                );
            }
        }
        if let Some(cpu) = &r.cpu
            && let (Some(quota), Some(burst)) = (cpu.quota, cpu.burst)
            && quota > 0
            && u64::try_from(quota).is_ok_and(|q| q < burst)
        {
            self.error(
                &field(base, "cpu.burst"),
                Rule::Resources,
                format!("must be no larger than the positive quota ({quota}), found {burst}"),
            );
        }
        if let Some(bio) = &r.block_io {
            for (i, w) in bio.weight_device.iter().enumerate() {
                if w.weight.is_none() && w.leaf_weight.is_none() {
                    self.error(
                        &index(&field(base, "blockIO.weightDevice"), i),
                        Rule::Resources,
                        "must set weight or leafWeight, found neither",
                    );
                }
            }
        }
        for (i, h) in r.hugepage_limits.iter().enumerate() {
            if !is_page_size(&h.page_size) {
                self.error(
                    &field(&index(&field(base, "hugepageLimits"), i), "pageSize"),
                    Rule::Resources,
                    format!(
                        "must be a size like \"2MB\" (digits, then KB, MB or GB), found {:?}",
                        h.page_size
                    ),
                );
            }
        }
        for (name, rdma) in &r.rdma {
            if rdma.hca_handles.is_none() && rdma.hca_objects.is_none() {
                self.error(
                    &key(&field(base, "rdma"), name),
                    Rule::Resources,
                    "must set hcaHandles or hcaObjects, found neither",
                );
            }
        }
    }

    /// config-linux.md "Seccomp": unknown actions, architectures, flags and
    /// operators are warnings (libseccomp grows); `names` MUST have an
    /// entry; `listenerMetadata` MUST NOT be set without `listenerPath`.
    fn seccomp(&mut self, s: &Seccomp) {
        let base = "linux.seccomp";
        if !s.default_action.is_known() {
            self.unknown(
                &field(base, "defaultAction"),
                Rule::Seccomp,
                "seccomp action",
                s.default_action.as_str(),
            );
        }
        for (i, a) in s.architectures.iter().enumerate() {
            if !a.is_known() {
                let at = index(&field(base, "architectures"), i);
                self.unknown(&at, Rule::Seccomp, "seccomp architecture", a.as_str());
            }
        }
        for (i, f) in s.flags.iter().enumerate() {
            if !f.is_known() {
                let at = index(&field(base, "flags"), i);
                self.unknown(&at, Rule::Seccomp, "seccomp flag", f.as_str());
            }
        }
        if s.listener_metadata.is_some() && s.listener_path.is_none() {
            self.error(
                &field(base, "listenerMetadata"),
                Rule::Seccomp,
                "must not be set without listenerPath",
            );
        }
        for (i, sc) in s.syscalls.iter().enumerate() {
            let at = index(&field(base, "syscalls"), i);
            if sc.names.is_empty() {
                self.error(
                    &field(&at, "names"),
                    Rule::Seccomp,
                    "must have at least one entry, found none",
                );
            }
            if !sc.action.is_known() {
                self.unknown(
                    &field(&at, "action"),
                    Rule::Seccomp,
                    "seccomp action",
                    sc.action.as_str(),
                );
            }
            for (j, arg) in sc.args.iter().enumerate() {
                if !arg.op.is_known() {
                    let p = field(&index(&field(&at, "args"), j), "op");
                    self.unknown(&p, Rule::Seccomp, "seccomp operator", arg.op.as_str());
                }
            }
        }
    }

    // ----- config-windows.md, config-vm.md -----

    /// config-windows.md: `layerFolders` MUST have at least one entry; the
    /// CPU limits `count`, `shares` and `maximum` are mutually exclusive,
    /// and `shares` and `maximum` are 0 to 10000.
    fn windows(&mut self, w: &Windows) {
        if w.layer_folders.is_empty() {
            self.error(
                "windows.layerFolders",
                Rule::Windows,
                "must have at least one entry, found none",
            );
        }
        if let Some(cpu) = w.resources.as_ref().and_then(|r| r.cpu.as_ref()) {
            let set: Vec<&str> = [
                ("count", cpu.count.is_some()),
                ("shares", cpu.shares.is_some()),
                ("maximum", cpu.maximum.is_some()),
            ]
            .into_iter()
            .filter_map(|(name, present)| present.then_some(name))
            .collect();
            if set.len() > 1 {
                self.error(
                    "windows.resources.cpu",
                    Rule::Windows,
                    format!(
                        "count, shares and maximum are mutually exclusive, found {}",
                        set.join(" and ")
                    ),
                );
            }
            for (name, value) in [("shares", cpu.shares), ("maximum", cpu.maximum)] {
                if let Some(v) = value
                    && v > 10_000
                {
                    self.error(
                        &field("windows.resources.cpu", name),
                        Rule::Windows,
                        format!("must be 0 to 10000, found {v}"),
                    );
                }
            }
        }
    }

    /// config-vm.md: the hypervisor, kernel, initrd and image paths MUST be
    /// absolute.
    fn vm(&mut self, vm: &Vm) {
        if let Some(h) = &vm.hypervisor {
            self.absolute("vm.hypervisor.path", Rule::Vm, &h.path);
        }
        self.absolute("vm.kernel.path", Rule::Vm, &vm.kernel.path);
        if let Some(initrd) = &vm.kernel.initrd {
            self.absolute("vm.kernel.initrd", Rule::Vm, initrd);
        }
        if let Some(image) = &vm.image {
            self.absolute("vm.image.path", Rule::Vm, &image.path);
        }
    }

    // ----- runtime.md "State" -----

    fn state(&mut self, s: &State) {
        self.semver("ociVersion", &s.oci_version);
        if s.id.is_empty() {
            self.error("id", Rule::State, "must not be empty");
        }
        if !s.status.is_known() {
            self.warn(
                "status",
                Rule::State,
                format!(
                    "{:?} is not a status the spec defines (creating, created, running, stopped); runtimes may add their own",
                    s.status.as_str()
                ),
            );
        }
        match s.pid {
            Some(pid) if pid < 0 => {
                self.error(
                    "pid",
                    Rule::State,
                    format!("must not be negative, found {pid}"),
                );
            }
            None if matches!(
                s.status,
                crate::ContainerStatus::Created | crate::ContainerStatus::Running
            ) =>
            {
                self.error(
                    "pid",
                    Rule::State,
                    format!(
                        "is required on Linux when the status is {}, found none",
                        s.status
                    ),
                );
            }
            _ => {}
        }
        self.absolute("bundle", Rule::State, &s.bundle);
        self.annotations("annotations", &s.annotations);
    }

    // ----- features.md -----

    fn features(&mut self, f: &Features) {
        self.semver("ociVersionMin", &f.oci_version_min);
        self.semver("ociVersionMax", &f.oci_version_max);
        if let (Some(min), Some(max)) = (
            SemVer::parse(&f.oci_version_min),
            SemVer::parse(&f.oci_version_max),
        ) && max.cmp(&min) == Ordering::Less
        {
            self.error(
                "ociVersionMax",
                Rule::Features,
                format!(
                    "must not be less than ociVersionMin ({:?}), found {:?}",
                    f.oci_version_min, f.oci_version_max
                ),
            );
        }
        // features.md: the structure MUST NOT contain properties this
        // version of the spec does not define.
        self.no_extra("", &f.extra);
        if let Some(hooks) = &f.hooks {
            const HOOKS: &[&str] = &[
                "prestart",
                "createRuntime",
                "createContainer",
                "startContainer",
                "poststart",
                "poststop",
            ];
            for (i, h) in hooks.iter().enumerate() {
                if !HOOKS.contains(&h.as_str()) {
                    self.warn(
                        &index("hooks", i),
                        Rule::Features,
                        format!("unknown hook {h:?}; the spec defines {}", HOOKS.join(", ")),
                    );
                }
            }
        }
        if let Some(a) = &f.annotations {
            self.annotations("annotations", a);
        }
        if let Some(l) = &f.linux {
            self.no_extra("linux", &l.extra);
            for (i, ns) in l.namespaces.iter().flatten().enumerate() {
                if !ns.is_known() {
                    let at = index("linux.namespaces", i);
                    self.unknown(&at, Rule::Features, "namespace type", ns.as_str());
                }
            }
            for (i, cap) in l.capabilities.iter().flatten().enumerate() {
                if !cap.is_known() {
                    let at = index("linux.capabilities", i);
                    self.unknown(&at, Rule::Features, "capability", cap.as_str());
                }
            }
            if let Some(s) = &l.seccomp {
                self.no_extra("linux.seccomp", &s.extra);
                fn unknown<'a, T: 'a>(
                    list: &'a Option<Vec<T>>,
                    known: fn(&T) -> bool,
                    text: fn(&T) -> &str,
                ) -> Vec<(usize, &'a str)> {
                    list.iter()
                        .flatten()
                        .enumerate()
                        .filter(|(_, v)| !known(v))
                        .map(|(i, v)| (i, text(v)))
                        .collect()
                }
                let lists = [
                    (
                        "actions",
                        unknown(&s.actions, |v| v.is_known(), |v| v.as_str()),
                    ),
                    ("archs", unknown(&s.archs, |v| v.is_known(), |v| v.as_str())),
                    (
                        "operators",
                        unknown(&s.operators, |v| v.is_known(), |v| v.as_str()),
                    ),
                    (
                        "knownFlags",
                        unknown(&s.known_flags, |v| v.is_known(), |v| v.as_str()),
                    ),
                    (
                        "supportedFlags",
                        unknown(&s.supported_flags, |v| v.is_known(), |v| v.as_str()),
                    ),
                ];
                for (name, unknown) in lists {
                    for (i, v) in unknown {
                        let at = index(&field("linux.seccomp", name), i);
                        self.unknown(&at, Rule::Features, "seccomp value", v);
                    }
                }
            }
        }
    }

    fn no_extra(&mut self, path: &str, extra: &BTreeMap<String, serde_json::Value>) {
        for name in extra.keys() {
            self.error(
                &field(path, name),
                Rule::Features,
                "is not a property this version of the spec defines; a features document must not contain one",
            );
        }
    }
}

/// config-linux.md "HugePage limits": `<size><unit-prefix>B`, the
/// schema's `^[1-9][0-9]*[KMG]B$`.
fn is_page_size(s: &str) -> bool {
    let Some(number) = s
        .strip_suffix("KB")
        .or_else(|| s.strip_suffix("MB"))
        .or_else(|| s.strip_suffix("GB"))
    else {
        return false;
    };
    number.bytes().all(|b| b.is_ascii_digit()) && number.bytes().next().is_some_and(|b| b != b'0')
}

/// `\\?\Volume{GUID}\`: a Windows volume GUID path.
fn is_volume_guid_path(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("\\\\?\\Volume{") else {
        return false;
    };
    let rest = rest.strip_suffix('\\').unwrap_or(rest);
    let Some(guid) = rest.strip_suffix('}') else {
        return false;
    };
    guid.len() == 36
        && guid.char_indices().all(|(i, c)| {
            if matches!(i, 8 | 13 | 18 | 23) {
                c == '-'
            } else {
                c.is_ascii_hexdigit()
            }
        })
}

/// A Windows absolute path: `C:\...` (or `C:/...`), or a `\\` UNC or
/// device path.
fn is_windows_absolute(s: &str) -> bool {
    let b = s.as_bytes();
    (b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && matches!(b[2], b'\\' | b'/'))
        || s.starts_with("\\\\")
}

/// A Windows path compared case-insensitively with `\` separators and no
/// trailing separator.
fn windows_key(s: &str) -> String {
    let mut k = s.replace('/', "\\").to_ascii_lowercase();
    while k.len() > 3 && k.ends_with('\\') {
        k.pop();
    }
    k
}

/// Whether `inner` lies inside (or is) `outer`.
fn nested(outer: &str, inner: &str) -> bool {
    inner == outer
        || inner
            .strip_prefix(outer)
            .is_some_and(|rest| outer.ends_with('\\') || rest.starts_with('\\'))
}

/// A SemVer 2.0.0 version, parsed for its precedence.
#[derive(Debug, PartialEq, Eq)]
struct SemVer<'a> {
    core: [&'a str; 3],
    pre: Vec<&'a str>,
}

impl<'a> SemVer<'a> {
    /// `MAJOR.MINOR.PATCH[-PRE][+BUILD]`: numbers without leading zeros,
    /// dot-separated identifiers of `[0-9A-Za-z-]`, numeric pre-release
    /// identifiers without leading zeros.
    fn parse(s: &'a str) -> Option<SemVer<'a>> {
        let (rest, build) = match s.split_once('+') {
            Some((r, b)) => (r, Some(b)),
            None => (s, None),
        };
        let (core, pre) = match rest.split_once('-') {
            Some((c, p)) => (c, Some(p)),
            None => (rest, None),
        };
        let ident =
            |id: &str| !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        let number = |n: &str| {
            !n.is_empty()
                && n.bytes().all(|b| b.is_ascii_digit())
                && (n == "0" || !n.starts_with('0'))
        };
        if let Some(b) = build
            && !b.split('.').all(ident)
        {
            return None;
        }
        let mut parts = core.split('.');
        let (Some(major), Some(minor), Some(patch), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        if ![major, minor, patch].into_iter().all(number) {
            return None;
        }
        let pre: Vec<&str> = match pre {
            Some(p) => p.split('.').collect(),
            None => Vec::new(),
        };
        let pre_ok = pre
            .iter()
            .all(|id| ident(id) && (!id.bytes().all(|b| b.is_ascii_digit()) || number(id)));
        pre_ok.then_some(SemVer {
            core: [major, minor, patch],
            pre,
        })
    }
}

/// Compares numeric identifiers (no leading zeros) of any length.
fn cmp_numeric(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

impl Ord for SemVer<'_> {
    /// SemVer 2.0.0 precedence (section 11); build metadata is ignored.
    fn cmp(&self, other: &Self) -> Ordering {
        for (a, b) in self.core.iter().zip(other.core.iter()) {
            let o = cmp_numeric(a, b);
            if o != Ordering::Equal {
                return o;
            }
        }
        match (self.pre.is_empty(), other.pre.is_empty()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Greater,
            (false, true) => return Ordering::Less,
            (false, false) => {}
        }
        for (a, b) in self.pre.iter().zip(other.pre.iter()) {
            let numeric = |s: &str| s.bytes().all(|c| c.is_ascii_digit());
            let o = match (numeric(a), numeric(b)) {
                (true, true) => cmp_numeric(a, b),
                (true, false) => Ordering::Less,
                (false, true) => Ordering::Greater,
                (false, false) => a.cmp(b),
            };
            if o != Ordering::Equal {
                return o;
            }
        }
        self.pre.len().cmp(&other.pre.len())
    }
}

impl PartialOrd for SemVer<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn semver_syntax() {
        for good in [
            "1.0.0",
            "1.0.2-dev",
            "0.0.0",
            "1.3.0-rc.1+build.5",
            "10.20.30-alpha-1",
        ] {
            assert!(SemVer::parse(good).is_some(), "{good}");
        }
        for bad in [
            "1.0", "01.0.0", "1.0.0-", "1.0.0-01", "1.0.0+", "v1.0.0", "1.0.0.0", "", "1..0",
        ] {
            assert!(SemVer::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn semver_precedence() {
        let order = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.2-dev",
            "1.0.2",
            "1.10.0",
            "10.0.0",
        ];
        for pair in order.windows(2) {
            let (a, b) = (
                SemVer::parse(pair[0]).unwrap(),
                SemVer::parse(pair[1]).unwrap(),
            );
            assert_eq!(a.cmp(&b), Ordering::Less, "{} < {}", pair[0], pair[1]);
            assert_eq!(b.cmp(&a), Ordering::Greater);
        }
        let (a, b) = (
            SemVer::parse("1.0.0+x").unwrap(),
            SemVer::parse("1.0.0").unwrap(),
        );
        assert_eq!(a.cmp(&b), Ordering::Equal);
    }

    #[test]
    fn page_sizes() {
        for good in ["64KB", "2MB", "1GB", "10KB"] {
            assert!(is_page_size(good), "{good}");
        }
        for bad in ["64kB", "0KB", "MB", "2 MB", "2TB", "02MB", "2M"] {
            assert!(!is_page_size(bad), "{bad}");
        }
    }

    #[test]
    fn windows_paths() {
        assert!(is_volume_guid_path(
            "\\\\?\\Volume{ec84d99e-3f02-11e7-ac6c-00155d7682cf}\\"
        ));
        assert!(!is_volume_guid_path("C:\\rootfs"));
        assert!(!is_volume_guid_path("\\\\?\\Volume{ec84d99e}\\"));
        assert!(is_windows_absolute("c:\\foo"));
        assert!(!is_windows_absolute("foo\\bar"));
        assert!(nested("c:\\foo", "c:\\foo\\bar"));
        assert!(!nested("c:\\foo", "c:\\foobar"));
    }
}
