//! Typed models of the [OCI runtime-spec](https://github.com/opencontainers/runtime-spec)
//! v1.3.0: the container configuration (`config.json`) for every platform,
//! the container [`State`] and the runtime [`Features`].
//!
//! # A tour
//!
//! Models are plain data: structs with public fields and `Default`,
//! `BTreeMap`s for maps, `Option` for OPTIONAL members, and open enums
//! (with an `Other(String)` variant) where the spec's list of values can
//! grow. Members the spec does not define are kept in each struct's
//! `extra` map, so a read-modify-write loses nothing.
//!
//! ```
//! use ocikit_runtime_spec::{Capability, NamespaceType, Spec};
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
//!
//! let process = spec.process.as_mut().expect("the example has a process");
//! let caps = process.capabilities.as_ref().expect("and capabilities");
//! assert_eq!(caps.bounding[0], Capability::Kill);
//! assert!(!caps.bounding[1].is_known()); // kept as Capability::Other
//! assert_eq!(spec.linux.as_ref().map(|l| &l.namespaces[0].typ), Some(&NamespaceType::Pid));
//!
//! spec.hostname = Some("box".to_owned());
//! let out = String::from_utf8(spec.to_json()).expect("JSON is UTF-8");
//! assert_eq!(
//!     out,
//!     r#"{"ociVersion":"1.3.0","process":{"args":["sh"],"cwd":"/","capabilities":{"bounding":["CAP_KILL","CAP_NEW_ONE"]}},"root":{"path":"rootfs"},"hostname":"box","linux":{"namespaces":[{"type":"pid"}]},"org.example.unknown":true}"#
//! );
//! # Ok::<(), ocikit_runtime_spec::Error>(())
//! ```
//!
//! A parse error names the JSON path of the failing member:
//!
//! ```
//! let bad = br#"{"ociVersion": "1.3.0", "linux": {"resources": {"rdma": {"mlx5_1": {"hcaHandles": "many"}}}}}"#;
//! let err = ocikit_runtime_spec::Spec::from_json(bad).unwrap_err();
//! assert_eq!(err.path(), Some(r#"linux.resources.rdma["mlx5_1"].hcaHandles"#));
//! ```
//!
//! # Output
//!
//! [`Spec::to_json`] writes compact JSON and [`Spec::to_json_pretty`] the
//! tab-indented form `runc spec` writes; both follow Go's `encoding/json`
//! (member order of the spec's Go types, sorted map keys, `<`, `>`, `&`
//! escaped), so the bytes diff cleanly against Go tools' output.
//!
//! # Validation
//!
//! Parse, then validate: [`Spec::check`], [`State::check`] and
//! [`Features::check`] report every rule of the spec a document breaks,
//! as a [`Report`] of [`Violation`]s, each with the JSON path of the
//! field, the [`Rule`], a [`Severity`] and a message saying what was
//! expected and what was found. A broken MUST is an error; a SHOULD, or a
//! value of an open set this crate does not know (capabilities, namespace
//! types, seccomp actions, architectures, flags and operators: the spec has
//! runtimes warn and go on), is a warning. `validate()` returns the
//! warnings, or [`Error::Invalid`] with every error.
//!
//! ```
//! use ocikit_runtime_spec::{Rule, Severity, Spec};
//!
//! let mut spec = Spec::default_linux();
//! let process = spec.process.as_mut().expect("runc's default has a process");
//! process.cwd = "work".to_owned();
//! process.capabilities.as_mut().expect("and capabilities").bounding.push("CAP_NEW".into());
//!
//! let report = spec.check();
//! let lines: Vec<String> = report.violations.iter().map(|v| v.to_string()).collect();
//! assert_eq!(lines, [
//!     r#"process.cwd: must be an absolute path, found "work""#,
//!     r#"warning: process.capabilities.bounding[3]: unknown capability "CAP_NEW"; a runtime that cannot map it warns or fails"#,
//! ]);
//! assert_eq!(report.errors().next().map(|v| v.rule), Some(Rule::Process));
//!
//! let err = spec.validate().unwrap_err();
//! assert_eq!(err.path(), Some("process.cwd"));
//! # Ok::<(), ocikit_runtime_spec::Error>(())
//! ```
//!
//! The platform rules follow the platform section present (`windows`,
//! `vm`, else POSIX). `process` is OPTIONAL in a configuration but
//! REQUIRED to start one: [`Spec::check_for_start`] adds that rule.
//!
//! # Defaults
//!
//! [`Spec::default_linux`] and [`Spec::rootless_linux`] are the
//! configurations `runc spec` and `runc spec --rootless` write (checked
//! against runc 1.1.5: the same bytes from [`Spec::to_json_pretty`], but
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
//! (FreeBSD sharing modes); everything else is validation's. A member
//! given as `null` is read as absent.
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
pub use process::{
    Capabilities, Capability, ConsoleSize, CpuAffinity, IoPriority, IoPriorityClass, Process,
    Rlimit, Scheduler, SchedulerFlag, SchedulerPolicy, User,
};
pub use solaris::{Anet, CappedCpu, CappedMemory, Solaris};
pub use spec::Spec;
pub use state::{ContainerStatus, State};
pub use validate::{Report, Rule, Severity, Violation};
pub use vm::{HwConfig, Hypervisor, ImageFormat, IoMem, Vm, VmImage, VmKernel};
pub use windows::{
    CpuGroupAffinity, HyperV, Windows, WindowsCpu, WindowsDevice, WindowsDeviceIdType,
    WindowsMemory, WindowsNetwork, WindowsResources, WindowsStorage,
};
pub use zos::Zos;

/// The runtime-spec version these models follow.
pub const SPEC_VERSION: &str = "1.3.0";
