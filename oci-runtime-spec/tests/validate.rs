//! Validation: for each rule, a document that breaks exactly that rule, and
//! the exact violations reported (path, severity and message).

#![allow(clippy::unwrap_used)]

use ocikit_runtime_spec::{Error, Features, Json, Rule, Severity, Spec, State, Validate};
use serde_json::{Value, json};

/// RFC 7386 merge patch: objects merge, `null` removes, anything else
/// replaces.
fn merge(target: &mut Value, patch: Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(&k);
                } else {
                    merge(t.entry(k).or_insert(Value::Null), v);
                }
            }
        }
        (t, p) => *t = p,
    }
}

/// A valid Linux configuration.
fn linux_base() -> Value {
    json!({
        "ociVersion": "1.3.0",
        "root": {"path": "rootfs"},
        "process": {"cwd": "/", "args": ["sh"], "user": {"uid": 0, "gid": 0}},
        "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}]}
    })
}

/// A valid Windows configuration.
fn windows_base() -> Value {
    json!({
        "ociVersion": "1.3.0",
        "root": {"path": "\\\\?\\Volume{ec84d99e-3f02-11e7-ac6c-00155d7682cf}\\"},
        "process": {"cwd": "C:\\", "args": ["cmd"]},
        "windows": {"layerFolders": ["C:\\layers\\base"]}
    })
}

/// `base` with `patch` merged in, as JSON bytes.
fn patched(mut base: Value, patch: Value) -> Vec<u8> {
    merge(&mut base, patch);
    serde_json::to_vec(&base).unwrap()
}

fn spec(base: Value, patch: Value) -> Spec {
    Spec::from_json(&patched(base, patch)).unwrap()
}

fn lines(report: ocikit_runtime_spec::Report) -> Vec<String> {
    report.violations.iter().map(|v| v.to_string()).collect()
}

/// The violations of the Linux base with `patch` applied, as lines.
fn linux(patch: Value) -> Vec<String> {
    lines(spec(linux_base(), patch).check())
}

fn windows(patch: Value) -> Vec<String> {
    lines(spec(windows_base(), patch).check())
}

#[test]
fn the_bases_are_valid() {
    assert_eq!(linux(json!({})), Vec::<String>::new());
    assert_eq!(windows(json!({})), Vec::<String>::new());
    assert_eq!(spec(linux_base(), json!({})).validate().unwrap(), []);
}

#[test]
fn oci_version_is_semver() {
    assert_eq!(
        linux(json!({"ociVersion": "1.0"})),
        [r#"ociVersion: must be a SemVer 2.0.0 version like "1.3.0", found "1.0""#]
    );
    assert_eq!(
        linux(json!({"ociVersion": "1.0.2-dev"})),
        Vec::<String>::new()
    );
}

#[test]
fn validate_returns_the_errors_and_keeps_the_warnings_apart() {
    let s = spec(
        linux_base(),
        json!({"ociVersion": "x", "annotations": {"nodots": ""}}),
    );
    let err = s.validate().unwrap_err();
    assert_eq!(err.document(), "config.json");
    assert_eq!(err.errors().len(), 1);
    assert_eq!(err.path(), "ociVersion");
    // The crate's error wraps it, and names the same path.
    let err = Error::from(err);
    assert_eq!(err.path(), Some("ociVersion"));
    let report = s.check();
    assert!(!report.is_valid());
    assert_eq!(report.errors().count(), 1);
    assert_eq!(report.warnings().count(), 1);

    let ok = spec(linux_base(), json!({"annotations": {"nodots": ""}}));
    let warnings = ok.validate().unwrap();
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].severity, Severity::Warning);
    assert_eq!(warnings[0].rule, Rule::Annotation);
}

#[test]
fn root_is_required_except_on_vms_and_hyperv() {
    assert_eq!(
        linux(json!({"root": null})),
        ["root: is required on this platform, found none"]
    );
    assert_eq!(
        linux(json!({"root": {"path": ""}})),
        [r#"root.path: must be a path (absolute or relative to the bundle), found """#]
    );
    assert_eq!(
        windows(json!({"windows": {"resources": {"cpu": {"count": 2, "maximum": 5000}}}})),
        [
            "windows.resources.cpu: count, shares and maximum are mutually exclusive, found count and maximum"
        ]
    );
    assert_eq!(
        windows(json!({"windows": {"resources": {"cpu": {"shares": 10001}}}})),
        ["windows.resources.cpu.shares: must be 0 to 10000, found 10001"]
    );
    let vm = json!({"root": null, "vm": {"kernel": {"path": "/boot/vmlinuz"}}});
    assert_eq!(linux(vm), Vec::<String>::new());
    assert_eq!(
        windows(json!({"root": null})),
        ["root: is required on this platform, found none"]
    );
    assert_eq!(
        windows(json!({"windows": {"hyperv": {}}})),
        ["root: must not be set for a Hyper-V container (windows.hyperv is set)"]
    );
    assert_eq!(
        windows(json!({"root": null, "windows": {"hyperv": {}}})),
        Vec::<String>::new()
    );
}

#[test]
fn windows_root_is_a_volume_guid_path_and_not_readonly() {
    assert_eq!(
        windows(json!({"root": {"path": "C:\\rootfs"}})),
        [
            r#"root.path: must be a volume GUID path like "\\?\Volume{GUID}\" on Windows, found "C:\\rootfs""#
        ]
    );
    assert_eq!(
        windows(json!({"root": {"readonly": true}})),
        ["root.readonly: must be omitted or false on Windows, found true"]
    );
}

#[test]
fn process_cwd_is_absolute() {
    assert_eq!(
        linux(json!({"process": {"cwd": "home"}})),
        [r#"process.cwd: must be an absolute path, found "home""#]
    );
    assert_eq!(
        windows(json!({"process": {"cwd": "Users"}})),
        [r#"process.cwd: must be an absolute path, found "Users""#]
    );
}

#[test]
fn process_args_or_command_line() {
    assert_eq!(
        linux(json!({"process": {"args": []}})),
        ["process.args: must have at least one entry, found none"]
    );
    assert_eq!(
        windows(json!({"process": {"args": null}})),
        ["process.args: or process.commandLine is required on Windows, found neither"]
    );
    assert_eq!(
        windows(json!({"process": {"args": null, "commandLine": "cmd /c dir"}})),
        Vec::<String>::new()
    );
}

#[test]
fn process_env_is_name_equals_value() {
    assert_eq!(
        linux(json!({"process": {"env": ["A=1", "B", "=x", "C="]}})),
        [
            r#"process.env[1]: must be NAME=value, found "B""#,
            r#"process.env[2]: must be NAME=value, found "=x""#
        ]
    );
}

#[test]
fn posix_user_needs_uid_and_gid() {
    assert_eq!(
        linux(json!({"process": {"user": {"uid": null}}})),
        ["process.user.uid: is required on POSIX platforms, found none"]
    );
    assert_eq!(
        windows(json!({"process": {"user": {"username": "ContainerUser"}}})),
        Vec::<String>::new()
    );
}

#[test]
fn unknown_capabilities_are_warnings() {
    let caps = json!({"process": {"capabilities": {"ambient": ["CAP_KILL", "CAP_FUTURE"]}}});
    assert_eq!(
        linux(caps.clone()),
        [
            r#"warning: process.capabilities.ambient[1]: unknown capability "CAP_FUTURE"; a runtime that cannot map it warns or fails"#
        ]
    );
    let s = spec(linux_base(), caps);
    assert_eq!(s.validate().unwrap()[0].rule, Rule::Capability);
}

#[test]
fn rlimits() {
    let r = |t: &str, soft: u64, hard: u64| json!({"type": t, "soft": soft, "hard": hard});
    assert_eq!(
        linux(json!({"process": {"rlimits": [r("nofile", 1, 1)]}})),
        [r#"process.rlimits[0].type: must be a resource like "RLIMIT_NOFILE", found "nofile""#]
    );
    assert_eq!(
        linux(json!({"process": {"rlimits": [
            r("RLIMIT_NOFILE", 1, 1), r("RLIMIT_CORE", 0, 0), r("RLIMIT_NOFILE", 2, 2)
        ]}})),
        [
            r#"process.rlimits[2].type: must be unique, found "RLIMIT_NOFILE" again (first at process.rlimits[0])"#
        ]
    );
    assert_eq!(
        linux(json!({"process": {"rlimits": [r("RLIMIT_NOFILE", 2048, 1024)]}})),
        ["process.rlimits[0].soft: must not be above hard (1024), found 2048"]
    );
}

#[test]
fn scheduler_io_priority_and_cpu_affinity() {
    assert_eq!(
        linux(
            json!({"process": {"scheduler": {"policy": "SCHED_FAST", "flags": ["SCHED_FLAG_X"]}}})
        ),
        [
            r#"process.scheduler.policy: must be one of SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_ISO, SCHED_IDLE, SCHED_DEADLINE, found "SCHED_FAST""#,
            r#"process.scheduler.flags[0]: must be one of SCHED_FLAG_RESET_ON_FORK, SCHED_FLAG_RECLAIM, SCHED_FLAG_DL_OVERRUN, SCHED_FLAG_KEEP_POLICY, SCHED_FLAG_KEEP_PARAMS, SCHED_FLAG_UTIL_CLAMP_MIN, SCHED_FLAG_UTIL_CLAMP_MAX, found "SCHED_FLAG_X""#
        ]
    );
    assert_eq!(
        linux(json!({"process": {"ioPriority": {"class": "IOPRIO_CLASS_X"}}})),
        [
            r#"process.ioPriority.class: must be one of IOPRIO_CLASS_RT, IOPRIO_CLASS_BE, IOPRIO_CLASS_IDLE, found "IOPRIO_CLASS_X""#
        ]
    );
    assert_eq!(
        linux(json!({"process": {"ioPriority": {"class": "IOPRIO_CLASS_BE", "priority": 8}}})),
        ["warning: process.ioPriority.priority: should be 0 (highest) to 7 (lowest), found 8"]
    );
    assert_eq!(
        linux(json!({"process": {"execCPUAffinity": {"initial": "0-3,7", "final": "all"}}})),
        [r#"process.execCPUAffinity.final: must be a CPU list like "0-3,7", found "all""#]
    );
}

#[test]
fn hooks() {
    assert_eq!(
        linux(json!({"hooks": {"poststop": [{"path": "/bin/true"}, {"path": "true"}]}})),
        [r#"hooks.poststop[1].path: must be an absolute path, found "true""#]
    );
    assert_eq!(
        linux(json!({"hooks": {"createRuntime": [{"path": "/bin/true", "timeout": 0}]}})),
        ["hooks.createRuntime[0].timeout: must be greater than zero, found 0"]
    );
    assert_eq!(
        linux(json!({"hooks": {"prestart": [{"path": "/bin/true", "env": ["X"]}]}})),
        [r#"hooks.prestart[0].env[0]: must be NAME=value, found "X""#]
    );
}

#[test]
fn annotations() {
    assert_eq!(
        linux(json!({"annotations": {"": "x"}})),
        [r#"annotations[""]: a key must not be empty"#]
    );
    assert_eq!(
        linux(
            json!({"annotations": {"org.opencontainers.custom": "x", "org.opencontainers.image.os": "linux"}})
        ),
        [
            r#"warning: annotations["org.opencontainers.custom"]: the org.opencontainers namespace is reserved for the spec, which does not define this key"#
        ]
    );
    assert_eq!(
        linux(json!({"annotations": {"gpu": "2", "com.example.gpu": "2"}})),
        [
            r#"warning: annotations["gpu"]: a key should be a reverse domain name like "com.example.key""#
        ]
    );
}

#[test]
fn namespaces() {
    assert_eq!(
        linux(
            json!({"linux": {"namespaces": [{"type": "pid"}, {"type": "net"}, {"type": "pid"}]}})
        ),
        [
            r#"warning: linux.namespaces[1].type: unknown namespace type "net"; a runtime that cannot map it warns or fails"#,
            r#"linux.namespaces[2].type: must be unique, found "pid" again (first at linux.namespaces[0])"#
        ]
    );
    assert_eq!(
        linux(json!({"linux": {"namespaces": [{"type": "network", "path": "run/netns/a"}]}})),
        [r#"linux.namespaces[0].path: must be an absolute path, found "run/netns/a""#]
    );
    assert_eq!(
        linux(json!({"zos": {"namespaces": [{"type": "uts"}, {"type": "uts"}]}})),
        [
            r#"zos.namespaces[1].type: must be unique, found "uts" again (first at zos.namespaces[0])"#
        ]
    );
}

#[test]
fn id_mappings() {
    let m = |c: u32, h: u32, s: u32| json!({"containerID": c, "hostID": h, "size": s});
    assert_eq!(
        linux(json!({"linux": {"uidMappings": [m(0, 1000, 0)]}})),
        ["linux.uidMappings[0].size: must be at least 1, found 0"]
    );
    assert_eq!(
        linux(json!({"linux": {"gidMappings": [m(0, 4294967295, 2)]}})),
        [
            "linux.gidMappings[0].size: the range hostID 4294967295 + size 2 must end at or below 4294967296"
        ]
    );
    assert_eq!(
        linux(json!({"linux": {"uidMappings": [m(0, 1000, 10), m(5, 5000, 10)]}})),
        [
            "linux.uidMappings[1].containerID: the containerID range must not overlap linux.uidMappings[0]'s, found 5..15 and 0..10"
        ]
    );
    assert_eq!(
        linux(json!({"linux": {"uidMappings": [m(0, 1000, 10), m(10, 1010, 10)]}})),
        Vec::<String>::new()
    );
}

#[test]
fn mounts() {
    let m = |dest: &str| json!({"destination": dest, "type": "tmpfs", "source": "tmpfs"});
    assert_eq!(
        linux(json!({"mounts": [m("/tmp"), m("run")]})),
        [
            r#"warning: mounts[1].destination: should be an absolute path (relative is deprecated), found "run""#
        ]
    );
    assert_eq!(
        lines(
            spec(
                json!({"ociVersion": "1.3.0", "root": {"path": "rootfs"}, "solaris": {}}),
                json!({"mounts": [m("run")]})
            )
            .check()
        ),
        [r#"mounts[0].destination: must be an absolute path, found "run""#]
    );
    assert_eq!(
        windows(json!({"mounts": [m("C:\\data"), m("c:\\Data\\logs"), m("C:\\database")]})),
        [
            r#"mounts[0].destination: must not nest with another mount destination on Windows, found "C:\\data" and "c:\\Data\\logs""#
        ]
    );
    assert_eq!(
        windows(json!({"mounts": [m("data")]})),
        [r#"mounts[0].destination: must be an absolute path, found "data""#]
    );
}

#[test]
fn idmapped_mounts() {
    let map = json!([{"containerID": 0, "hostID": 1000, "size": 1}]);
    let mount = json!({"destination": "/data", "source": "/srv", "options": ["rbind", "idmap"], "uidMappings": map});
    assert_eq!(
        linux(json!({"mounts": [mount]})),
        ["mounts[0].gidMappings: must be given together with uidMappings, found none"]
    );
    let mount = json!({"destination": "/data", "source": "/srv", "options": ["rbind"], "uidMappings": map, "gidMappings": map});
    assert_eq!(
        linux(json!({"mounts": [mount]})),
        [
            "warning: mounts[0].options: should contain idmap or ridmap when the mount has ID mappings"
        ]
    );
}

#[test]
fn devices() {
    let d = json!({"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229});
    assert_eq!(
        linux(json!({"linux": {"devices": [d]}})),
        Vec::<String>::new()
    );
    assert_eq!(
        linux(
            json!({"linux": {"devices": [{"path": "/dev/x", "type": "x", "major": 1, "minor": 1}]}})
        ),
        [r#"linux.devices[0].type: must be one of c, b, u, p, found "x""#]
    );
    assert_eq!(
        linux(json!({"linux": {"devices": [{"path": "dev/x", "type": "p"}]}})),
        [r#"linux.devices[0].path: must be an absolute path, found "dev/x""#]
    );
    assert_eq!(
        linux(json!({"linux": {"devices": [{"path": "/dev/x", "type": "b", "major": 8}]}})),
        [r#"linux.devices[0].minor: is required for a device of type "b", found none"#]
    );
    assert_eq!(
        linux(json!({"linux": {"devices": [{"path": "/dev/x", "type": "p", "fileMode": 512}]}})),
        ["linux.devices[0].fileMode: must be a permission mode from 0 to 511 (0o777), found 512"]
    );
    let d2 = json!({"path": "/dev/fuse2", "type": "c", "major": 10, "minor": 229});
    assert_eq!(
        linux(json!({"linux": {"devices": [d, d2]}})),
        [
            "warning: linux.devices[1]: should not repeat the type, major and minor of linux.devices[0]"
        ]
    );
}

#[test]
fn resources() {
    let res = |r: Value| linux(json!({"linux": {"resources": r}}));
    assert_eq!(
        res(json!({"devices": [{"allow": true, "type": "p", "access": "rwx"}]})),
        [
            r#"linux.resources.devices[0].type: must be one of a, c, b, found "p""#,
            r#"linux.resources.devices[0].access: must be made of r, w and m, found "rwx""#
        ]
    );
    assert_eq!(
        res(json!({"cpu": {"quota": 1000, "burst": 2000}})),
        ["linux.resources.cpu.burst: must be no larger than the positive quota (1000), found 2000"]
    );
    assert_eq!(
        res(json!({"cpu": {"quota": -1, "burst": 2000}})),
        Vec::<String>::new()
    );
    assert_eq!(
        res(json!({"blockIO": {"weightDevice": [{"major": 8, "minor": 0}]}})),
        ["linux.resources.blockIO.weightDevice[0]: must set weight or leafWeight, found neither"]
    );
    assert_eq!(
        res(
            json!({"hugepageLimits": [{"pageSize": "2MB", "limit": 1}, {"pageSize": "2M", "limit": 1}]})
        ),
        [
            r#"linux.resources.hugepageLimits[1].pageSize: must be a size like "2MB" (digits, then KB, MB or GB), found "2M""#
        ]
    );
    assert_eq!(
        res(json!({"rdma": {"mlx5_1": {}}})),
        [r#"linux.resources.rdma["mlx5_1"]: must set hcaHandles or hcaObjects, found neither"#]
    );
}

#[test]
fn seccomp() {
    let sc = |s: Value| linux(json!({"linux": {"seccomp": s}}));
    assert_eq!(
        sc(json!({
            "defaultAction": "SCMP_ACT_NEW",
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_NEW"],
            "flags": ["SECCOMP_FILTER_FLAG_NEW"],
            "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW",
                          "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_NEW"}]}]
        })),
        [
            r#"warning: linux.seccomp.defaultAction: unknown seccomp action "SCMP_ACT_NEW"; a runtime that cannot map it warns or fails"#,
            r#"warning: linux.seccomp.architectures[1]: unknown seccomp architecture "SCMP_ARCH_NEW"; a runtime that cannot map it warns or fails"#,
            r#"warning: linux.seccomp.flags[0]: unknown seccomp flag "SECCOMP_FILTER_FLAG_NEW"; a runtime that cannot map it warns or fails"#,
            r#"warning: linux.seccomp.syscalls[0].args[0].op: unknown seccomp operator "SCMP_CMP_NEW"; a runtime that cannot map it warns or fails"#
        ]
    );
    assert_eq!(
        sc(
            json!({"defaultAction": "SCMP_ACT_ERRNO", "listenerMetadata": "x",
                  "syscalls": [{"names": [], "action": "SCMP_ACT_KILL_ALL"}]})
        ),
        [
            "linux.seccomp.listenerMetadata: must not be set without listenerPath",
            "linux.seccomp.syscalls[0].names: must have at least one entry, found none",
            r#"warning: linux.seccomp.syscalls[0].action: unknown seccomp action "SCMP_ACT_KILL_ALL"; a runtime that cannot map it warns or fails"#
        ]
    );
}

#[test]
fn linux_paths_propagation_rdt_memory_policy_personality() {
    assert_eq!(
        linux(
            json!({"linux": {"maskedPaths": ["/proc/kcore", "proc/keys"], "readonlyPaths": ["sys"]}})
        ),
        [
            r#"linux.maskedPaths[1]: must be an absolute path, found "proc/keys""#,
            r#"linux.readonlyPaths[0]: must be an absolute path, found "sys""#
        ]
    );
    assert_eq!(
        linux(json!({"linux": {"rootfsPropagation": "rshared"}})),
        [
            r#"linux.rootfsPropagation: must be one of private, shared, slave, unbindable, found "rshared""#
        ]
    );
    assert_eq!(
        linux(
            json!({"linux": {"intelRdt": {"memBwSchema": "L3:0=ff", "l3CacheSchema": "MB:0=20", "schemata": ["L2:0=f\nx"]}}})
        ),
        [
            r#"linux.intelRdt.memBwSchema: must start with "MB:" and have no newline, found "L3:0=ff""#,
            r#"warning: linux.intelRdt.l3CacheSchema: should start with "L3:" and have no newline, found "MB:0=20""#,
            r#"linux.intelRdt.schemata[0]: must not contain a newline, found "L2:0=f\nx""#
        ]
    );
    assert_eq!(
        linux(json!({"linux": {"memoryPolicy": {"mode": "MPOL_X", "flags": ["MPOL_F_X"]}}})),
        [
            r#"linux.memoryPolicy.mode: must be one of MPOL_DEFAULT, MPOL_BIND, MPOL_INTERLEAVE, MPOL_WEIGHTED_INTERLEAVE, MPOL_PREFERRED, MPOL_PREFERRED_MANY, MPOL_LOCAL, found "MPOL_X""#,
            r#"linux.memoryPolicy.flags[0]: must be one of MPOL_F_NUMA_BALANCING, MPOL_F_RELATIVE_NODES, MPOL_F_STATIC_NODES, found "MPOL_F_X""#
        ]
    );
    assert_eq!(
        linux(json!({"linux": {"personality": {"domain": "LINUX64"}}})),
        [r#"linux.personality.domain: must be one of LINUX, LINUX32, found "LINUX64""#]
    );
}

#[test]
fn windows_layer_folders_and_vm_paths() {
    assert_eq!(
        windows(json!({"windows": {"layerFolders": []}})),
        ["windows.layerFolders: must have at least one entry, found none"]
    );
    assert_eq!(
        windows(json!({"windows": {"resources": {"cpu": {"count": 2, "maximum": 5000}}}})),
        [
            "windows.resources.cpu: count, shares and maximum are mutually exclusive, found count and maximum"
        ]
    );
    assert_eq!(
        windows(json!({"windows": {"resources": {"cpu": {"shares": 10001}}}})),
        ["windows.resources.cpu.shares: must be 0 to 10000, found 10001"]
    );
    let vm = json!({"root": null, "vm": {
        "hypervisor": {"path": "qemu"},
        "kernel": {"path": "vmlinuz", "initrd": "/boot/initrd"},
        "image": {"path": "disk.img", "format": "raw"}
    }});
    assert_eq!(
        linux(vm),
        [
            r#"vm.hypervisor.path: must be an absolute path, found "qemu""#,
            r#"vm.kernel.path: must be an absolute path, found "vmlinuz""#,
            r#"vm.image.path: must be an absolute path, found "disk.img""#
        ]
    );
}

#[test]
fn process_is_required_for_start() {
    let s = spec(linux_base(), json!({"process": null}));
    assert_eq!(lines(s.check()), Vec::<String>::new());
    assert_eq!(
        lines(s.check_for_start()),
        ["process: is required when the container is started, found none"]
    );
    assert!(spec(linux_base(), json!({})).check_for_start().is_valid());
}

fn state(patch: Value) -> Vec<String> {
    let base = json!({
        "ociVersion": "1.3.0", "id": "c1", "status": "running", "pid": 42,
        "bundle": "/run/bundles/c1"
    });
    lines(State::from_json(&patched(base, patch)).unwrap().check())
}

#[test]
fn state_rules() {
    assert_eq!(state(json!({})), Vec::<String>::new());
    assert_eq!(
        state(json!({"ociVersion": "1"})),
        [r#"ociVersion: must be a SemVer 2.0.0 version like "1.3.0", found "1""#]
    );
    assert_eq!(state(json!({"id": ""})), ["id: must not be empty"]);
    assert_eq!(
        state(json!({"status": "paused"})),
        [
            r#"warning: status: "paused" is not a status the spec defines (creating, created, running, stopped); runtimes may add their own"#
        ]
    );
    assert_eq!(
        state(json!({"status": "created", "pid": null})),
        ["pid: is required on Linux when the status is created, found none"]
    );
    assert_eq!(
        state(json!({"status": "stopped", "pid": null})),
        Vec::<String>::new()
    );
    assert_eq!(
        state(json!({"pid": -1})),
        ["pid: must not be negative, found -1"]
    );
    assert_eq!(
        state(json!({"bundle": "bundles/c1"})),
        [r#"bundle: must be an absolute path, found "bundles/c1""#]
    );
    assert_eq!(
        state(json!({"annotations": {"": ""}})),
        [r#"annotations[""]: a key must not be empty"#]
    );
}

fn features(patch: Value) -> Vec<String> {
    let base = json!({"ociVersionMin": "1.0.0", "ociVersionMax": "1.3.0"});
    lines(Features::from_json(&patched(base, patch)).unwrap().check())
}

#[test]
fn features_rules() {
    assert_eq!(features(json!({})), Vec::<String>::new());
    assert_eq!(
        features(json!({"ociVersionMin": "1.0"})),
        [r#"ociVersionMin: must be a SemVer 2.0.0 version like "1.3.0", found "1.0""#]
    );
    assert_eq!(
        features(json!({"ociVersionMin": "1.2.0", "ociVersionMax": "1.2.0-rc.1"})),
        [r#"ociVersionMax: must not be less than ociVersionMin ("1.2.0"), found "1.2.0-rc.1""#]
    );
    assert_eq!(
        features(json!({"vendorThing": true, "linux": {"gpu": {}}})),
        [
            "vendorThing: is not a property this version of the spec defines; a features document must not contain one",
            "linux.gpu: is not a property this version of the spec defines; a features document must not contain one"
        ]
    );
    assert_eq!(
        features(json!({"hooks": ["prestart", "preflight"]})),
        [
            r#"warning: hooks[1]: unknown hook "preflight"; the spec defines prestart, createRuntime, createContainer, startContainer, poststart, poststop"#
        ]
    );
    assert_eq!(
        features(
            json!({"linux": {"capabilities": ["CAP_NEW"], "namespaces": ["pid", "newns"],
                                  "seccomp": {"actions": ["SCMP_ACT_NEW"]}}})
        ),
        [
            r#"warning: linux.namespaces[1]: unknown namespace type "newns"; a runtime that cannot map it warns or fails"#,
            r#"warning: linux.capabilities[0]: unknown capability "CAP_NEW"; a runtime that cannot map it warns or fails"#,
            r#"warning: linux.seccomp.actions[0]: unknown seccomp value "SCMP_ACT_NEW"; a runtime that cannot map it warns or fails"#
        ]
    );
}

#[test]
fn the_report_display_names_every_error() {
    let s = spec(
        linux_base(),
        json!({"process": {"cwd": "x"}, "linux": {"maskedPaths": ["y"]}}),
    );
    let err = s.validate().unwrap_err();
    assert_eq!(
        err.to_string(),
        "config.json is invalid:\nprocess.cwd: must be an absolute path, found \"x\"\nlinux.maskedPaths[0]: must be an absolute path, found \"y\""
    );
}
