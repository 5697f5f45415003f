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
//! use oci_runtime_spec::{Capability, NamespaceType, Spec};
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
//! # Ok::<(), oci_runtime_spec::Error>(())
//! ```
//!
//! A parse error names the JSON path of the failing member:
//!
//! ```
//! let bad = br#"{"ociVersion": "1.3.0", "linux": {"resources": {"rdma": {"mlx5_1": {"hcaHandles": "many"}}}}}"#;
//! let err = oci_runtime_spec::Spec::from_json(bad).unwrap_err();
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
//! # Limitations
//!
//! Parsing checks JSON types, REQUIRED members and the closed enums
//! (FreeBSD sharing modes); the spec's other rules (patterns such as a
//! hugepage `pageSize`, value ranges, MUSTs across fields) are for
//! validation. A member given as `null` is read as absent.

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
pub use validate::{Report, Rule, Severity, Violation, Violations};
pub use vm::{HwConfig, Hypervisor, ImageFormat, IoMem, Vm, VmImage, VmKernel};
pub use windows::{
    CpuGroupAffinity, HyperV, Windows, WindowsCpu, WindowsDevice, WindowsDeviceIdType,
    WindowsMemory, WindowsNetwork, WindowsResources, WindowsStorage,
};
pub use zos::Zos;

/// The runtime-spec version these models follow.
pub const SPEC_VERSION: &str = "1.3.0";
