//! Default configurations: the `config.json` that `runc spec` writes, and
//! its rootless variant.
//!
//! The values are the observed output of runc 1.1.5 (`runc spec` and
//! `runc spec --rootless`), checked against the real runc in
//! `tests/runc.rs`; only `ociVersion` differs: ours is
//! [`SPEC_VERSION`](crate::SPEC_VERSION), the version these models follow,
//! where runc 1.1.5 writes `1.0.2-dev`.

use crate::{
    Capabilities, Capability, DeviceCgroup, IdMapping, Linux, Mount, Namespace, NamespaceType,
    Process, Resources, Rlimit, Root, Spec, User,
};

impl Spec {
    /// A Linux container configuration equal to what `runc spec` writes
    /// (see the module docs for the one difference, `ociVersion`): `sh` as
    /// root in `/` with a terminal, three capabilities (`CAP_AUDIT_WRITE`,
    /// `CAP_KILL`, `CAP_NET_BIND_SERVICE`) and no new privileges, a
    /// read-only `rootfs`, the usual `/proc`, `/dev`, `/sys` mounts, new
    /// pid, network, ipc, uts and mount namespaces, every device denied,
    /// and the usual masked and read-only `/proc` and `/sys` paths.
    ///
    /// ```
    /// use ocikit_runtime_spec::Validate;
    /// let spec = ocikit_runtime_spec::Spec::default_linux();
    /// assert_eq!(spec.process.as_ref().map(|p| p.args.clone()), Some(vec!["sh".to_owned()]));
    /// assert!(spec.validate()?.is_empty());
    /// # Ok::<(), ocikit_runtime_spec::Error>(())
    /// ```
    pub fn default_linux() -> Spec {
        let caps = || {
            vec![
                Capability::AuditWrite,
                Capability::Kill,
                Capability::NetBindService,
            ]
        };
        Spec {
            oci_version: crate::SPEC_VERSION.to_owned(),
            process: Some(Process {
                terminal: Some(true),
                user: Some(User {
                    uid: Some(0),
                    gid: Some(0),
                    ..Default::default()
                }),
                args: vec!["sh".to_owned()],
                env: vec![
                    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_owned(),
                    "TERM=xterm".to_owned(),
                ],
                cwd: "/".to_owned(),
                capabilities: Some(Capabilities {
                    bounding: caps(),
                    effective: caps(),
                    permitted: caps(),
                    ambient: caps(),
                    ..Default::default()
                }),
                rlimits: vec![Rlimit {
                    typ: "RLIMIT_NOFILE".to_owned(),
                    hard: 1024,
                    soft: 1024,
                    ..Default::default()
                }],
                no_new_privileges: Some(true),
                ..Default::default()
            }),
            root: Some(Root {
                readonly: Some(true),
                ..Root::new("rootfs")
            }),
            hostname: Some("runc".to_owned()),
            mounts: vec![
                Mount {
                    options: None,
                    ..Mount::new("/proc", "proc", "proc", &[])
                },
                Mount::new(
                    "/dev",
                    "tmpfs",
                    "tmpfs",
                    &["nosuid", "strictatime", "mode=755", "size=65536k"],
                ),
                Mount::new(
                    "/dev/pts",
                    "devpts",
                    "devpts",
                    &[
                        "nosuid",
                        "noexec",
                        "newinstance",
                        "ptmxmode=0666",
                        "mode=0620",
                        "gid=5",
                    ],
                ),
                Mount::new(
                    "/dev/shm",
                    "tmpfs",
                    "shm",
                    &["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
                ),
                Mount::new(
                    "/dev/mqueue",
                    "mqueue",
                    "mqueue",
                    &["nosuid", "noexec", "nodev"],
                ),
                Mount::new(
                    "/sys",
                    "sysfs",
                    "sysfs",
                    &["nosuid", "noexec", "nodev", "ro"],
                ),
                Mount::new(
                    "/sys/fs/cgroup",
                    "cgroup",
                    "cgroup",
                    &["nosuid", "noexec", "nodev", "relatime", "ro"],
                ),
            ],
            linux: Some(Linux {
                resources: Some(Resources {
                    devices: vec![DeviceCgroup {
                        allow: false,
                        access: Some("rwm".to_owned()),
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
                namespaces: [
                    NamespaceType::Pid,
                    NamespaceType::Network,
                    NamespaceType::Ipc,
                    NamespaceType::Uts,
                    NamespaceType::Mount,
                ]
                .into_iter()
                .map(Namespace::new)
                .collect(),
                masked_paths: [
                    "/proc/acpi",
                    "/proc/asound",
                    "/proc/kcore",
                    "/proc/keys",
                    "/proc/latency_stats",
                    "/proc/timer_list",
                    "/proc/timer_stats",
                    "/proc/sched_debug",
                    "/sys/firmware",
                    "/proc/scsi",
                ]
                .map(str::to_owned)
                .into(),
                readonly_paths: [
                    "/proc/bus",
                    "/proc/fs",
                    "/proc/irq",
                    "/proc/sys",
                    "/proc/sysrq-trigger",
                ]
                .map(str::to_owned)
                .into(),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    /// The configuration `runc spec --rootless` writes when run by user
    /// `uid` and group `gid` (runc maps exactly the caller's IDs to root
    /// in the container): [`Spec::default_linux`] with a user namespace
    /// instead of a network one, `uid` and `gid` mapped to 0 (one ID
    /// each), no cgroup device rules, `/sys` bind-mounted from the host
    /// (a user namespace cannot mount sysfs without a network namespace),
    /// and no `gid=5` on `/dev/pts` (group 5 is not mapped).
    ///
    /// ```
    /// use ocikit_runtime_spec::Validate;
    /// let spec = ocikit_runtime_spec::Spec::rootless_linux(1000, 1000);
    /// let linux = spec.linux.as_ref().expect("a Linux config");
    /// assert_eq!(linux.uid_mappings[0].host_id, 1000);
    /// assert!(spec.validate()?.is_empty());
    /// # Ok::<(), ocikit_runtime_spec::Error>(())
    /// ```
    pub fn rootless_linux(uid: u32, gid: u32) -> Spec {
        let mut spec = Spec::default_linux();
        for mount in &mut spec.mounts {
            match mount.destination.as_str() {
                "/dev/pts" => {
                    if let Some(options) = &mut mount.options {
                        options.retain(|o| o != "gid=5");
                    }
                }
                "/sys" => {
                    *mount = Mount::new(
                        "/sys",
                        "none",
                        "/sys",
                        &["rbind", "nosuid", "noexec", "nodev", "ro"],
                    );
                }
                _ => {}
            }
        }
        if let Some(linux) = &mut spec.linux {
            linux.resources = None;
            linux
                .namespaces
                .retain(|ns| ns.typ != NamespaceType::Network);
            linux.namespaces.push(Namespace::new(NamespaceType::User));
            let one = |host_id| IdMapping {
                container_id: 0,
                host_id,
                size: 1,
                ..Default::default()
            };
            linux.uid_mappings = vec![one(uid)];
            linux.gid_mappings = vec![one(gid)];
        }
        spec
    }
}
