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

use ocikit_spec_core::Json;

use crate::linux::resources::Resources;
use crate::linux::seccomp::Seccomp;
use crate::{
    Features, Hook, IdMapping, Linux, Mount, Namespace, NamespaceType, Process, Spec, State, Vm,
    Windows,
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

pub use ocikit_spec_core::{Severity, Validate};

/// One broken rule at one place in a document. `Display` writes
/// `path: message`, with `warning: ` in front for a warning.
pub type Violation = ocikit_spec_core::Violation<Rule>;

/// Everything a check found, errors and warnings, in document order.
pub type Report = ocikit_spec_core::Report<Rule>;

/// A document that breaks MUSTs of the runtime-spec: the payload of
/// [`Error::Invalid`](crate::Error::Invalid).
pub type Invalid = ocikit_spec_core::Invalid<Rule>;

/// Collects violations while walking a document, tracking the JSON path.
pub type Checker = ocikit_spec_core::Checker<Rule>;

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
        spec(c, self);
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

impl Validate for State {
    type Rule = Rule;
    const KIND: &'static str = "state";

    /// Every rule of runtime.md "State" this state breaks. A state does not
    /// say its platform: the Linux rule (`pid` REQUIRED when `status` is
    /// `created` or `running`) is applied; a caller on another platform can
    /// drop the [`Rule::State`] violation at path `pid`.
    fn check_into(&self, c: &mut Checker) {
        state(c, self);
    }
}

impl Json for State {
    /// As `runc state` prints it: Go's `json.MarshalIndent` with two spaces.
    const PRETTY_INDENT: &'static str = "  ";
    const MAP_MEMBERS: &'static [&'static str] = &["annotations"];
}

impl Validate for Features {
    type Rule = Rule;
    const KIND: &'static str = "features";

    /// Every rule of features.md this document breaks.
    fn check_into(&self, c: &mut Checker) {
        features(c, self);
    }
}

impl Json for Features {
    /// As `runc features` prints it: Go's `json.MarshalIndent` with four
    /// spaces.
    const PRETTY_INDENT: &'static str = "    ";
    const MAP_MEMBERS: &'static [&'static str] = &["annotations"];
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

/// Checks that `value` is an absolute path, at the checker's path.
fn absolute(c: &mut Checker, rule: Rule, value: &str) {
    if !value.starts_with('/') {
        c.error(rule, format!("must be an absolute path, found {value:?}"));
    }
}

/// Checks that the member `name` is an absolute path.
fn absolute_at(c: &mut Checker, name: &'static str, rule: Rule, value: &str) {
    c.field(name, |c| absolute(c, rule, value));
}

/// Checks that `value` is a SemVer 2.0.0 version, at the checker's path.
fn semver(c: &mut Checker, name: &'static str, value: &str) {
    if SemVer::parse(value).is_none() {
        c.field(name, |c| {
            c.error(
                Rule::OciVersion,
                format!("must be a SemVer 2.0.0 version like \"1.3.0\", found {value:?}"),
            )
        });
    }
}

/// A value of an open set this crate does not know: the spec has runtimes
/// warn and go on, so a warning.
fn unknown(c: &mut Checker, rule: Rule, what: &str, value: &str) {
    c.warning(
        rule,
        format!("unknown {what} {value:?}; a runtime that cannot map it warns or fails"),
    );
}

/// A value outside a list the spec gives as the valid values: an error
/// (config.md "Valid values": runtimes MUST error on invalid values).
fn not_one_of(c: &mut Checker, rule: Rule, known: &[&str], value: &str) {
    c.error(
        rule,
        format!("must be one of {}, found {value:?}", known.join(", ")),
    );
}

/// Runs `f` on each entry of the list `name`, one index down.
fn each<T>(c: &mut Checker, name: &'static str, list: &[T], mut f: impl FnMut(&mut Checker, &T)) {
    if list.is_empty() {
        return;
    }
    c.field(name, |c| {
        for (i, item) in list.iter().enumerate() {
            c.index(i, |c| f(c, item));
        }
    });
}

// ----- config.json -----

fn spec(c: &mut Checker, spec: &Spec) {
    let platform = Platform::of(spec);
    semver(c, "ociVersion", &spec.oci_version);
    root(c, spec, platform);
    if let Some(p) = &spec.process {
        c.field("process", |c| process(c, p, platform));
    }
    mounts(c, &spec.mounts, platform);
    if let Some(hooks) = &spec.hooks {
        c.field("hooks", |c| {
            let lists = [
                ("prestart", &hooks.prestart),
                ("createRuntime", &hooks.create_runtime),
                ("createContainer", &hooks.create_container),
                ("startContainer", &hooks.start_container),
                ("poststart", &hooks.poststart),
                ("poststop", &hooks.poststop),
            ];
            for (name, list) in lists {
                each(c, name, list, hook);
            }
        });
    }
    c.field("annotations", |c| annotations(c, &spec.annotations));
    if let Some(l) = &spec.linux {
        c.field("linux", |c| linux(c, l));
    }
    if let Some(w) = &spec.windows {
        c.field("windows", |c| windows(c, w));
    }
    if let Some(v) = &spec.vm {
        c.field("vm", |c| vm(c, v));
    }
    if let Some(zos) = &spec.zos {
        c.field("zos", |c| namespaces(c, &zos.namespaces));
    }
}

/// config.md "Root": REQUIRED on all platforms but Windows (where Hyper-V
/// containers MUST NOT set it) and VMs; on Windows `path` MUST be a volume
/// GUID path and `readonly` MUST be omitted or false.
fn root(c: &mut Checker, spec: &Spec, platform: Platform) {
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
            if !is_volume_guid_path(&root.path) {
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

/// config.md "Process", "POSIX process", "Linux Process", "User".
fn process(c: &mut Checker, p: &Process, platform: Platform) {
    let windows = platform == Platform::Windows;
    if windows {
        if !is_windows_absolute(&p.cwd) {
            c.field("cwd", |c| {
                c.error(
                    Rule::Process,
                    format!("must be an absolute path, found {:?}", p.cwd),
                )
            });
        }
        if p.args.is_empty() && p.command_line.is_none() {
            c.field("args", |c| {
                c.error(
                    Rule::Process,
                    "or process.commandLine is required on Windows, found neither",
                )
            });
        }
    } else {
        absolute_at(c, "cwd", Rule::Process, &p.cwd);
        if p.args.is_empty() {
            c.field("args", |c| {
                c.error(Rule::Process, "must have at least one entry, found none")
            });
        }
    }
    each(c, "env", &p.env, |c, entry| env(c, Rule::Process, entry));
    if let Some(user) = &p.user
        && !windows
    {
        c.field("user", |c| {
            for (name, value) in [("uid", user.uid), ("gid", user.gid)] {
                if value.is_none() {
                    c.field(name, |c| {
                        c.error(Rule::Process, "is required on POSIX platforms, found none")
                    });
                }
            }
        });
    }
    if let Some(caps) = &p.capabilities {
        c.field("capabilities", |c| {
            let sets = [
                ("bounding", &caps.bounding),
                ("effective", &caps.effective),
                ("inheritable", &caps.inheritable),
                ("permitted", &caps.permitted),
                ("ambient", &caps.ambient),
            ];
            for (name, set) in sets {
                each(c, name, set, |c, cap| {
                    if !cap.is_known() {
                        unknown(c, Rule::Capability, "capability", cap.as_str());
                    }
                });
            }
        });
    }
    rlimits(c, &p.rlimits);
    if let Some(s) = &p.scheduler {
        c.field("scheduler", |c| {
            if !s.policy.is_known() {
                c.field("policy", |c| {
                    let known = crate::SchedulerPolicy::KNOWN;
                    not_one_of(c, Rule::Process, known, s.policy.as_str());
                });
            }
            each(c, "flags", &s.flags, |c, flag| {
                if !flag.is_known() {
                    let known = crate::SchedulerFlag::KNOWN;
                    not_one_of(c, Rule::Process, known, flag.as_str());
                }
            });
        });
    }
    if let Some(io) = &p.io_priority {
        c.field("ioPriority", |c| {
            if !io.class.is_known() {
                c.field("class", |c| {
                    let known = crate::IoPriorityClass::KNOWN;
                    not_one_of(c, Rule::Process, known, io.class.as_str());
                });
            }
            if let Some(prio) = io.priority
                && !(0..=7).contains(&prio)
            {
                c.field("priority", |c| {
                    c.warning(
                        Rule::Process,
                        format!("should be 0 (highest) to 7 (lowest), found {prio}"),
                    )
                });
            }
        });
    }
    if let Some(aff) = &p.exec_cpu_affinity {
        c.field("execCPUAffinity", |c| {
            for (name, value) in [("initial", &aff.initial), ("final", &aff.final_)] {
                if let Some(v) = value
                    && !v
                        .chars()
                        .all(|c| c.is_ascii_digit() || matches!(c, ',' | ' ' | '-'))
                {
                    c.field(name, |c| {
                        c.error(
                            Rule::Process,
                            format!("must be a CPU list like \"0-3,7\", found {v:?}"),
                        )
                    });
                }
            }
        });
    }
}

/// An `environ` entry is `NAME=value` (IEEE Std 1003.1-2008, XBD 8.1, which
/// config.md's `env` members take the semantics of).
fn env(c: &mut Checker, rule: Rule, entry: &str) {
    match entry.split_once('=') {
        Some((name, _)) if !name.is_empty() => {}
        _ => c.error(rule, format!("must be NAME=value, found {entry:?}")),
    }
}

/// config.md "POSIX process": `type` like `RLIMIT_NOFILE` (the schema's
/// pattern), each type at most once (the runtime MUST error on duplicates),
/// and `soft` not above `hard`: `rlim_cur` and `rlim_max` MUST match the
/// values, which `setrlimit(2)` cannot do when soft > hard.
fn rlimits(c: &mut Checker, rlimits: &[crate::Rlimit]) {
    let mut seen = BTreeMap::new();
    c.field("rlimits", |c| {
        let list = c.path();
        for (i, r) in rlimits.iter().enumerate() {
            c.index(i, |c| {
                let well_formed = r
                    .typ
                    .strip_prefix("RLIMIT_")
                    .is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_uppercase()));
                if !well_formed {
                    c.field("type", |c| {
                        c.error(
                            Rule::Rlimit,
                            format!(
                                "must be a resource like \"RLIMIT_NOFILE\", found {:?}",
                                r.typ
                            ),
                        )
                    });
                }
                if let Some(&first) = seen.get(r.typ.as_str()) {
                    c.field("type", |c| {
                        c.error(
                            Rule::Rlimit,
                            format!(
                                "must be unique, found {:?} again (first at {list}[{first}])",
                                r.typ
                            ),
                        )
                    });
                } else {
                    seen.insert(r.typ.as_str(), i);
                }
                if r.soft > r.hard {
                    c.field("soft", |c| {
                        c.error(
                            Rule::Rlimit,
                            format!("must not be above hard ({}), found {}", r.hard, r.soft),
                        )
                    });
                }
            });
        }
    });
}

/// config.md "Mounts": `destination` absolute (on Linux only a SHOULD;
/// relative is deprecated), Windows destinations not nested, and a mount's
/// `uidMappings` and `gidMappings` given together.
fn mounts(c: &mut Checker, mounts: &[Mount], platform: Platform) {
    each(c, "mounts", mounts, |c, m| {
        c.field("destination", |c| match platform {
            Platform::Windows => {
                if !is_windows_absolute(&m.destination) {
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
        id_mappings(c, "uidMappings", &m.uid_mappings);
        id_mappings(c, "gidMappings", &m.gid_mappings);
    });
    if platform == Platform::Windows {
        for (i, a) in mounts.iter().enumerate() {
            for b in mounts.iter().skip(i + 1) {
                let (pa, pb) = (windows_key(&a.destination), windows_key(&b.destination));
                if nested(&pa, &pb) || nested(&pb, &pa) {
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

/// config.md "POSIX-platform Hooks": `path` MUST be absolute, `timeout` if
/// set MUST be greater than zero.
fn hook(c: &mut Checker, hook: &Hook) {
    absolute_at(c, "path", Rule::Hook, &hook.path);
    if let Some(t) = hook.timeout
        && t <= 0
    {
        c.field("timeout", |c| {
            c.error(Rule::Hook, format!("must be greater than zero, found {t}"))
        });
    }
    each(c, "env", &hook.env, |c, entry| env(c, Rule::Hook, entry));
}

/// config.md "Annotations", at the checker's path: keys MUST NOT be empty;
/// keys SHOULD be reverse domain names. The `org.opencontainers` namespace
/// is reserved and other keys in it "MUST NOT be used by subsequent
/// specifications": a rule for specifications, not documents (runc's own
/// features use `org.opencontainers.runc.*`), so a warning.
fn annotations(c: &mut Checker, annotations: &BTreeMap<String, String>) {
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
        c.key(k, |c| {
            if k.is_empty() {
                c.error(Rule::Annotation, "a key must not be empty");
            } else if (k == "org.opencontainers" || k.starts_with("org.opencontainers."))
                && !DEFINED.contains(&k.as_str())
            {
                c.warning(
                    Rule::Annotation,
                    "the org.opencontainers namespace is reserved for the spec, which does not define this key",
                );
            } else if !k.contains('.') {
                c.warning(
                    Rule::Annotation,
                    "a key should be a reverse domain name like \"com.example.key\"",
                );
            }
        });
    }
}

// ----- config-linux.md -----

fn linux(c: &mut Checker, l: &Linux) {
    namespaces(c, &l.namespaces);
    id_mappings(c, "uidMappings", &l.uid_mappings);
    id_mappings(c, "gidMappings", &l.gid_mappings);
    devices(c, &l.devices);
    if let Some(r) = &l.resources {
        c.field("resources", |c| resources(c, r));
    }
    if let Some(s) = &l.seccomp {
        c.field("seccomp", |c| seccomp(c, s));
    }
    if let Some(p) = &l.rootfs_propagation
        && !p.is_known()
    {
        c.field("rootfsPropagation", |c| {
            let known = crate::RootfsPropagation::KNOWN;
            not_one_of(c, Rule::RootfsPropagation, known, p.as_str());
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
            if !mp.mode.is_known() {
                c.field("mode", |c| {
                    let known = crate::MemoryPolicyMode::KNOWN;
                    not_one_of(c, Rule::MemoryPolicy, known, mp.mode.as_str());
                });
            }
            each(c, "flags", &mp.flags, |c, f| {
                if !f.is_known() {
                    let known = crate::MemoryPolicyFlag::KNOWN;
                    not_one_of(c, Rule::MemoryPolicy, known, f.as_str());
                }
            });
        });
    }
    if let Some(p) = &l.personality
        && !p.domain.is_known()
    {
        c.field("personality", |c| {
            c.field("domain", |c| {
                let known = crate::PersonalityDomain::KNOWN;
                not_one_of(c, Rule::Personality, known, p.domain.as_str());
            })
        });
    }
}

/// config-linux.md "Namespaces" (and config-zos.md), as the member
/// `namespaces`: `path` MUST be absolute; the runtime MUST error on two
/// entries of the same `type`; an unknown type is a warning (the set is
/// open).
fn namespaces(c: &mut Checker, namespaces: &[Namespace]) {
    let mut seen: BTreeMap<&NamespaceType, usize> = BTreeMap::new();
    c.field("namespaces", |c| {
        let list = c.path();
        for (i, ns) in namespaces.iter().enumerate() {
            c.index(i, |c| {
                c.field("type", |c| {
                    if !ns.typ.is_known() {
                        unknown(c, Rule::Namespace, "namespace type", ns.typ.as_str());
                    }
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
fn id_mappings(c: &mut Checker, name: &'static str, mappings: &[IdMapping]) {
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
fn devices(c: &mut Checker, devices: &[crate::Device]) {
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

/// config-linux.md "Control groups".
fn resources(c: &mut Checker, r: &Resources) {
    each(c, "devices", &r.devices, |c, d| {
        if let Some(t) = &d.typ
            && !matches!(t.as_str(), "a" | "c" | "b")
        {
            c.field("type", |c| {
                not_one_of(c, Rule::Resources, &["a", "c", "b"], t)
            });
        }
        if let Some(a) = &d.access
            && !a.chars().all(|c| matches!(c, 'r' | 'w' | 'm'))
        {
            c.field("access", |c| {
                c.error(
                    Rule::Resources,
                    format!("must be made of r, w and m, found {a:?}"),
                )
            });
        }
    });
    if let Some(cpu) = &r.cpu
        && let (Some(quota), Some(burst)) = (cpu.quota, cpu.burst)
        && quota > 0
        && u64::try_from(quota).is_ok_and(|q| q < burst)
    {
        c.field("cpu", |c| {
            c.field("burst", |c| {
                c.error(
                    Rule::Resources,
                    format!("must be no larger than the positive quota ({quota}), found {burst}"),
                )
            })
        });
    }
    if let Some(bio) = &r.block_io {
        c.field("blockIO", |c| {
            each(c, "weightDevice", &bio.weight_device, |c, w| {
                if w.weight.is_none() && w.leaf_weight.is_none() {
                    c.error(
                        Rule::Resources,
                        "must set weight or leafWeight, found neither",
                    );
                }
            })
        });
    }
    each(c, "hugepageLimits", &r.hugepage_limits, |c, h| {
        if !is_page_size(&h.page_size) {
            c.field("pageSize", |c| {
                c.error(
                    Rule::Resources,
                    format!(
                        "must be a size like \"2MB\" (digits, then KB, MB or GB), found {:?}",
                        h.page_size
                    ),
                )
            });
        }
    });
    if !r.rdma.is_empty() {
        c.field("rdma", |c| {
            for (name, rdma) in &r.rdma {
                if rdma.hca_handles.is_none() && rdma.hca_objects.is_none() {
                    c.key(name, |c| {
                        c.error(
                            Rule::Resources,
                            "must set hcaHandles or hcaObjects, found neither",
                        )
                    });
                }
            }
        });
    }
}

/// config-linux.md "Seccomp": unknown actions, architectures, flags and
/// operators are warnings (libseccomp grows); `names` MUST have an entry;
/// `listenerMetadata` MUST NOT be set without `listenerPath`.
fn seccomp(c: &mut Checker, s: &Seccomp) {
    if !s.default_action.is_known() {
        c.field("defaultAction", |c| {
            let action = s.default_action.as_str();
            unknown(c, Rule::Seccomp, "seccomp action", action);
        });
    }
    each(c, "architectures", &s.architectures, |c, a| {
        if !a.is_known() {
            unknown(c, Rule::Seccomp, "seccomp architecture", a.as_str());
        }
    });
    each(c, "flags", &s.flags, |c, f| {
        if !f.is_known() {
            unknown(c, Rule::Seccomp, "seccomp flag", f.as_str());
        }
    });
    if s.listener_metadata.is_some() && s.listener_path.is_none() {
        c.field("listenerMetadata", |c| {
            c.error(Rule::Seccomp, "must not be set without listenerPath")
        });
    }
    each(c, "syscalls", &s.syscalls, |c, sc| {
        if sc.names.is_empty() {
            c.field("names", |c| {
                c.error(Rule::Seccomp, "must have at least one entry, found none")
            });
        }
        if !sc.action.is_known() {
            c.field("action", |c| {
                unknown(c, Rule::Seccomp, "seccomp action", sc.action.as_str())
            });
        }
        each(c, "args", &sc.args, |c, arg| {
            if !arg.op.is_known() {
                c.field("op", |c| {
                    unknown(c, Rule::Seccomp, "seccomp operator", arg.op.as_str())
                });
            }
        });
    });
}

// ----- config-windows.md, config-vm.md -----

/// config-windows.md: `layerFolders` MUST have at least one entry; the CPU
/// limits `count`, `shares` and `maximum` are mutually exclusive, and
/// `shares` and `maximum` are 0 to 10000.
fn windows(c: &mut Checker, w: &Windows) {
    if w.layer_folders.is_empty() {
        c.field("layerFolders", |c| {
            c.error(Rule::Windows, "must have at least one entry, found none")
        });
    }
    if let Some(cpu) = w.resources.as_ref().and_then(|r| r.cpu.as_ref()) {
        c.field("resources", |c| {
            c.field("cpu", |c| {
                let set: Vec<&str> = [
                    ("count", cpu.count.is_some()),
                    ("shares", cpu.shares.is_some()),
                    ("maximum", cpu.maximum.is_some()),
                ]
                .into_iter()
                .filter_map(|(name, present)| present.then_some(name))
                .collect();
                if set.len() > 1 {
                    c.error(
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
                        c.field(name, |c| {
                            c.error(Rule::Windows, format!("must be 0 to 10000, found {v}"))
                        });
                    }
                }
            })
        });
    }
}

/// config-vm.md: the hypervisor, kernel, initrd and image paths MUST be
/// absolute.
fn vm(c: &mut Checker, vm: &Vm) {
    if let Some(h) = &vm.hypervisor {
        c.field("hypervisor", |c| absolute_at(c, "path", Rule::Vm, &h.path));
    }
    c.field("kernel", |c| {
        absolute_at(c, "path", Rule::Vm, &vm.kernel.path);
        if let Some(initrd) = &vm.kernel.initrd {
            absolute_at(c, "initrd", Rule::Vm, initrd);
        }
    });
    if let Some(image) = &vm.image {
        c.field("image", |c| absolute_at(c, "path", Rule::Vm, &image.path));
    }
}

// ----- runtime.md "State" -----

fn state(c: &mut Checker, s: &State) {
    semver(c, "ociVersion", &s.oci_version);
    if s.id.is_empty() {
        c.field("id", |c| c.error(Rule::State, "must not be empty"));
    }
    if !s.status.is_known() {
        c.field("status", |c| {
            c.warning(
                Rule::State,
                format!(
                    "{:?} is not a status the spec defines (creating, created, running, stopped); runtimes may add their own",
                    s.status.as_str()
                ),
            )
        });
    }
    match s.pid {
        Some(pid) if pid < 0 => c.field("pid", |c| {
            c.error(Rule::State, format!("must not be negative, found {pid}"))
        }),
        None if matches!(
            s.status,
            crate::ContainerStatus::Created | crate::ContainerStatus::Running
        ) =>
        {
            c.field("pid", |c| {
                c.error(
                    Rule::State,
                    format!(
                        "is required on Linux when the status is {}, found none",
                        s.status
                    ),
                )
            });
        }
        _ => {}
    }
    absolute_at(c, "bundle", Rule::State, &s.bundle);
    c.field("annotations", |c| annotations(c, &s.annotations));
}

// ----- features.md -----

fn features(c: &mut Checker, f: &Features) {
    semver(c, "ociVersionMin", &f.oci_version_min);
    semver(c, "ociVersionMax", &f.oci_version_max);
    if let (Some(min), Some(max)) = (
        SemVer::parse(&f.oci_version_min),
        SemVer::parse(&f.oci_version_max),
    ) && max.cmp(&min) == Ordering::Less
    {
        c.field("ociVersionMax", |c| {
            c.error(
                Rule::Features,
                format!(
                    "must not be less than ociVersionMin ({:?}), found {:?}",
                    f.oci_version_min, f.oci_version_max
                ),
            )
        });
    }
    // features.md: the structure MUST NOT contain properties this version of
    // the spec does not define.
    no_extra(c, &f.extra);
    if let Some(hooks) = &f.hooks {
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
    if let Some(a) = &f.annotations {
        c.field("annotations", |c| annotations(c, a));
    }
    if let Some(l) = &f.linux {
        c.field("linux", |c| {
            no_extra(c, &l.extra);
            each(
                c,
                "namespaces",
                l.namespaces.as_deref().unwrap_or_default(),
                |c, ns| {
                    if !ns.is_known() {
                        unknown(c, Rule::Features, "namespace type", ns.as_str());
                    }
                },
            );
            each(
                c,
                "capabilities",
                l.capabilities.as_deref().unwrap_or_default(),
                |c, cap| {
                    if !cap.is_known() {
                        unknown(c, Rule::Features, "capability", cap.as_str());
                    }
                },
            );
            if let Some(s) = &l.seccomp {
                c.field("seccomp", |c| {
                    no_extra(c, &s.extra);
                    unknown_values(c, "actions", &s.actions, |v| (v.is_known(), v.as_str()));
                    unknown_values(c, "archs", &s.archs, |v| (v.is_known(), v.as_str()));
                    unknown_values(c, "operators", &s.operators, |v| (v.is_known(), v.as_str()));
                    unknown_values(c, "knownFlags", &s.known_flags, |v| {
                        (v.is_known(), v.as_str())
                    });
                    unknown_values(c, "supportedFlags", &s.supported_flags, |v| {
                        (v.is_known(), v.as_str())
                    });
                });
            }
        });
    }
}

/// Warns about each value of the list `name` that this crate does not know.
fn unknown_values<T>(
    c: &mut Checker,
    name: &'static str,
    list: &Option<Vec<T>>,
    known: impl Fn(&T) -> (bool, &str),
) {
    each(c, name, list.as_deref().unwrap_or_default(), |c, v| {
        let (is_known, text) = known(v);
        if !is_known {
            unknown(c, Rule::Features, "seccomp value", text);
        }
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
