#![doc = include_str!("../README.md")]
//!
//! # A tour
//!
//! The same shape as `ocikit-image`, from `ocikit-spec-core`: [`Json`]
//! parses and writes, [`Validate`] checks, a [`Report`] holds what a
//! check found.
//!
//! Models are plain data: structs with public fields and `Default`,
//! `BTreeMap`s for maps, `Option` for OPTIONAL members, and open enums
//! (with an `Other(String)` variant) where the spec's list of values can
//! grow. Members the spec does not define are kept in each struct's
//! `extra` map, so a read-modify-write loses nothing.
//!
//! **Parse.** [`Json::from_json`] accepts what the JSON types allow; an
//! error names the document, the JSON path of the failing member and the
//! position:
//!
//! ```
//! use ocikit_runtime_spec::{Capability, Json, NamespaceType, Spec};
//!
//! let bytes = br#"{
//!     "ociVersion": "1.3.0",
//!     "root": {"path": "rootfs"},
//!     "process": {"cwd": "/", "args": ["sh"],
//!                 "capabilities": {"bounding": ["CAP_KILL", "CAP_NEW_ONE"]}},
//!     "linux": {"namespaces": [{"type": "pid"}]},
//!     "org.example.unknown": true
//! }"#;
//! let mut spec = Spec::from_json(bytes)?;
//! let caps = spec.process.as_ref().and_then(|p| p.capabilities.as_ref()).expect("in the example");
//! assert_eq!(caps.bounding[0], Capability::Kill);
//! assert!(!caps.bounding[1].is_known()); // kept as Capability::Other
//! assert_eq!(spec.linux.as_ref().map(|l| &l.namespaces[0].typ), Some(&NamespaceType::Pid));
//!
//! let bad = br#"{"ociVersion": "1.3.0", "linux": {"resources": {"rdma": {"mlx5_1": {"hcaHandles": "many"}}}}}"#;
//! let err = Spec::from_json(bad).unwrap_err();
//! assert_eq!(err.path, r#"linux.resources.rdma["mlx5_1"].hcaHandles"#);
//! assert_eq!(err.to_string(), r#"config.json: linux.resources.rdma["mlx5_1"].hcaHandles: invalid type: string "many", expected u32 (line 1, column 88)"#);
//! # Ok::<(), ocikit_runtime_spec::Error>(())
//! ```
//!
//! **Validate.** [`Validate::validate`] checks every MUST of the spec: it
//! returns the warnings, or [`Invalid`] naming the document and each
//! broken rule with the path of its field. A broken MUST is an error; a
//! SHOULD, or a value of an open set this crate does not know
//! (capabilities, namespace types, seccomp actions, architectures, flags
//! and operators: the spec has runtimes warn and go on), is a warning.
//!
//! **Report.** [`Validate::check`] gives every [`Violation`], errors and
//! warnings, each with its path, [`Rule`], [`Severity`] and a message
//! saying what was expected and what was found:
//!
//! ```
//! use ocikit_runtime_spec::{Rule, Spec, Validate};
//!
//! let mut spec = Spec::default_linux();
//! let process = spec.process.as_mut().expect("runc's default has a process");
//! process.cwd = "work".to_owned();
//! process.capabilities.as_mut().expect("and capabilities").bounding.push("CAP_NEW".into());
//!
//! let err = spec.validate().unwrap_err();
//! assert_eq!(err.to_string(), r#"config.json is invalid: process.cwd: must be an absolute path, found "work""#);
//!
//! let report = spec.check();
//! let lines: Vec<String> = report.violations.iter().map(|v| v.to_string()).collect();
//! assert_eq!(lines, [
//!     r#"process.cwd: must be an absolute path, found "work""#,
//!     r#"warning: process.capabilities.bounding[3]: unknown capability "CAP_NEW"; a runtime that cannot map it warns or fails"#,
//! ]);
//! assert_eq!(report.errors().next().map(|v| v.rule), Some(Rule::Process));
//! ```
//!
//! The platform rules follow the platform section present (`windows`,
//! `vm`, else POSIX). `process` is OPTIONAL in a configuration but
//! REQUIRED to start one: [`Spec::check_for_start`] adds that rule.
//!
//! **Canonical JSON.** [`Json::to_canonical_json`] writes compact JSON and
//! [`Json::to_pretty_json`] the indented form runc prints (a tab for
//! `config.json` as `runc spec` writes it, two spaces for a state as
//! `runc state`, four for features as `runc features`); both follow Go's
//! `encoding/json` (member order of the spec's Go types, sorted map keys,
//! `<`, `>`, `&` escaped), so the same value always gives the same bytes
//! and they diff cleanly against Go tools' output:
//!
//! ```
//! use ocikit_runtime_spec::{Json, Spec};
//!
//! let mut spec = Spec::from_json(br#"{"ociVersion": "1.3.0", "root": {"path": "rootfs"}, "x-tool": 1}"#)?;
//! spec.hostname = Some("box".to_owned());
//! assert_eq!(spec.to_canonical_json(), br#"{"ociVersion":"1.3.0","root":{"path":"rootfs"},"hostname":"box","x-tool":1}"#);
//! assert_eq!(spec.to_pretty_json(), b"{\n\t\"ociVersion\": \"1.3.0\",\n\t\"root\": {\n\t\t\"path\": \"rootfs\"\n\t},\n\t\"hostname\": \"box\",\n\t\"x-tool\": 1\n}");
//! # Ok::<(), ocikit_runtime_spec::Error>(())
//! ```
//!
//! # Defaults
//!
//! [`Spec::default_linux`] and [`Spec::rootless_linux`] are the
//! configurations `runc spec` and `runc spec --rootless` write (checked
//! against runc 1.1.5: the same bytes from [`Json::to_pretty_json`], but
//! for `ociVersion`, which is [`SPEC_VERSION`]).
//!
//! # Lifecycle
//!
//! runtime.md's operations as a state machine: [`Operation::transition`]
//! says whether an operation is allowed in a status and which status it
//! leads to; [`Lifecycle`] holds one container's status and only changes
//! it through allowed operations, so a runtime built on it cannot get the
//! order wrong. A refused operation is a [`LifecycleError`].
//!
//! ```
//! use ocikit_runtime_spec::{ContainerStatus, Lifecycle, Operation};
//!
//! let mut c = Lifecycle::with_status("db", ContainerStatus::Running);
//! let err = c.apply(Operation::Delete).unwrap_err();
//! assert_eq!(err.to_string(), r#"delete: container "db" is running; delete needs status stopped"#);
//! c.apply(Operation::Kill)?;
//! c.exited(); // the process exited: lifecycle step 10
//! c.apply(Operation::Delete)?;
//! assert_eq!(c.status(), None);
//! # Ok::<(), ocikit_runtime_spec::LifecycleError>(())
//! ```
//!
//! # Limitations
//!
//! Parsing checks JSON types, REQUIRED members and the closed enums
//! (FreeBSD sharing modes); everything else is validation's. An OPTIONAL
//! member given as `null` is read as absent, but a list or a map (`mounts`,
//! `annotations`, ...) given as `null` is a parse error, as the schema's
//! types say (Go's `encoding/json` would read it as empty).
//!
//! Validation checks the document alone, not the host: whether a
//! directory exists at `root.path`, a capability or rlimit exists on this
//! kernel, a namespace `path` is of its `type`, or a cgroup controller is
//! available are for the runtime. Not checked: the values of the
//! `org.opencontainers.image.*` annotations (they follow the image-spec),
//! `cgroupsPath` (any string is an absolute or a relative path), `sysctl`
//! names, Linux mount options, CPU and NUMA node lists other than
//! `execCPUAffinity`, and the Solaris and FreeBSD sections (the spec has
//! no MUST there that a document can break). A state does not say its
//! platform: its check applies the Linux rule for `pid`.

mod codec;
mod defaults;
mod error;
mod features;
mod freebsd;
mod hooks;
mod lifecycle;
pub mod linux;
mod mount;
mod process;
mod solaris;
mod spec;
mod state;
mod validate;
mod vm;
mod windows;
mod zos;

pub use error::Error;
pub use features::{
    CgroupFeatures, Enabled, Features, IntelRdtFeatures, LinuxFeatures, MemoryPolicyFeatures,
    MountExtensions, SeccompFeatures,
};
pub use freebsd::{FreeBsd, FreeBsdDevice, Jail, JailAllow, SharingMode, SharingModeNoDisable};
pub use hooks::{Hook, Hooks};
pub use lifecycle::{Lifecycle, LifecycleError, Operation};
pub use linux::resources::{
    BlockIo, Cpu, DeviceCgroup, HugepageLimit, InterfacePriority, Memory, Network, Pids, Rdma,
    Resources, ThrottleDevice, WeightDevice,
};
pub use linux::seccomp::{
    Seccomp, SeccompAction, SeccompArch, SeccompFlag, SeccompOperator, Syscall, SyscallArg,
};
pub use linux::{
    Device, IntelRdt, Linux, MemoryPolicy, MemoryPolicyFlag, MemoryPolicyMode, Namespace,
    NamespaceType, NetDevice, Personality, PersonalityDomain, RootfsPropagation, TimeOffset,
    TimeOffsets,
};
pub use mount::{IdMapping, Mount, Root};
pub use ocikit_spec_core::{Json, ParseError};
pub use process::{
    Capabilities, Capability, ConsoleSize, CpuAffinity, IoPriority, IoPriorityClass, Process,
    Rlimit, Scheduler, SchedulerFlag, SchedulerPolicy, User,
};
pub use solaris::{Anet, CappedCpu, CappedMemory, Solaris};
pub use spec::Spec;
pub use state::{ContainerStatus, State};
pub use validate::{Checker, Invalid, Report, Rule, Severity, Validate, Violation};
pub use vm::{HwConfig, Hypervisor, ImageFormat, IoMem, Vm, VmImage, VmKernel};
pub use windows::{
    CpuGroupAffinity, HyperV, Windows, WindowsCpu, WindowsDevice, WindowsDeviceIdType,
    WindowsMemory, WindowsNetwork, WindowsResources, WindowsStorage,
};
pub use zos::Zos;

/// The runtime-spec version these models follow.
pub const SPEC_VERSION: &str = "1.3.0";
