//! Our models against oci-spec's on the same documents: parse from bytes
//! and serialise to a `Vec<u8>`, for a typical image manifest, an index
//! with many manifests, a large image config, and a runtime `config.json`
//! (runc's default plus a Docker-like seccomp profile, bind mounts and
//! namespaces).
//!
//! Ours parse with `Json::from_json` and serialise with
//! `Json::to_canonical_json`, the entry points users call (the same for
//! both crates).
//! oci-spec's types parse with `serde_json::from_slice` (faster than its
//! own `from_reader`, which reads through `serde_json::from_reader`) and
//! serialise with `serde_json::to_vec` (what its `to_writer` does).
//!
//! `cargo bench --bench models`; `cargo bench --bench models -- --test`
//! checks the fixtures without timing them.
#![allow(missing_docs)] // criterion's macros generate undocumented functions

mod support;

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use ocikit_image::{ImageConfiguration, ImageIndex, ImageManifest, Json, Model};
use ocikit_runtime_spec::Spec;
use support::hex;

/// A manifest as buildkit writes one: config, 5 gzip layers, annotations.
fn manifest() -> Vec<u8> {
    let layers: Vec<String> = (0..5u64)
        .map(|i| {
            format!(
                r#"{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:{}","size":{}}}"#,
                hex(100 + i),
                3_000_000 + 7919 * i
            )
        })
        .collect();
    format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:{}","size":7023}},"layers":[{}],"annotations":{{"org.opencontainers.image.base.digest":"sha256:{}","org.opencontainers.image.base.name":"docker.io/library/debian:bookworm","org.opencontainers.image.created":"2024-05-01T10:00:00Z","org.opencontainers.image.revision":"0123456789abcdef0123456789abcdef01234567","org.opencontainers.image.source":"https://example.com/project.git"}}}}"#,
        hex(7),
        layers.join(","),
        hex(8),
    )
    .into_bytes()
}

/// An index of 500 manifests for five platforms, each with annotations.
fn index() -> Vec<u8> {
    let archs = ["amd64", "arm64", "arm", "ppc64le", "s390x"];
    let entries: Vec<String> = (0..500u64)
        .map(|i| {
            let arch = archs[(i % 5) as usize];
            let variant = if arch == "arm" { r#","variant":"v7""# } else { "" };
            format!(
                r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:{}","size":{},"annotations":{{"org.opencontainers.image.created":"2024-01-01T00:00:00Z","org.opencontainers.image.ref.name":"v1.{i}"}},"platform":{{"architecture":"{arch}","os":"linux"{variant}}}}}"#,
                hex(i),
                1000 + i,
            )
        })
        .collect();
    format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{}],"annotations":{{"org.opencontainers.image.created":"2024-01-01T00:00:00Z"}}}}"#,
        entries.join(",")
    )
    .into_bytes()
}

/// An image config with 100 history entries, 50 layers, env and labels.
fn config() -> Vec<u8> {
    let diff_ids: Vec<String> = (0..50u64)
        .map(|i| format!("\"sha256:{}\"", hex(200 + i)))
        .collect();
    let history: Vec<String> = (0..100u64)
        .map(|i| {
            format!(
                r#"{{"created":"2024-05-01T10:00:{:02}.690851953Z","created_by":"/bin/sh -c apt-get update \u0026\u0026 apt-get install -y --no-install-recommends package-{i} \u0026\u0026 rm -rf /var/lib/apt/lists/*","comment":"buildkit.dockerfile.v0"{}}}"#,
                i % 60,
                if i % 2 == 1 { r#","empty_layer":true"# } else { "" }
            )
        })
        .collect();
    let env: Vec<String> = (0..20)
        .map(|i| format!("\"VAR_{i}=value number {i} of the environment\""))
        .collect();
    let labels: Vec<String> = (0..20)
        .map(|i| format!("\"com.example.label.{i:02}\":\"label value {i}\""))
        .collect();
    format!(
        r#"{{"created":"2024-05-01T10:01:56.015925234Z","author":"Alyssa P. Hacker \u003calyspdev@example.com\u003e","architecture":"amd64","os":"linux","config":{{"User":"alice","ExposedPorts":{{"443/tcp":{{}},"8080/tcp":{{}}}},"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",{}],"Entrypoint":["/bin/my-app-binary"],"Cmd":["--foreground","--config","/etc/my-app.d/default.cfg"],"Volumes":{{"/var/job-result-data":{{}},"/var/log/my-app-logs":{{}}}},"WorkingDir":"/home/alice","Labels":{{{}}},"StopSignal":"SIGTERM"}},"rootfs":{{"type":"layers","diff_ids":[{}]}},"history":[{}]}}"#,
        env.join(","),
        labels.join(","),
        diff_ids.join(","),
        history.join(",")
    )
    .into_bytes()
}

/// Syscalls a Docker-like default profile allows (about 300 names).
const SYSCALLS: &str = "accept accept4 access adjtimex alarm bind brk capget capset chdir chmod chown chown32 clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime clock_gettime64 clock_nanosleep clock_nanosleep_time64 close close_range connect copy_file_range creat dup dup2 dup3 epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait epoll_wait_old eventfd eventfd2 execve execveat exit exit_group faccessat faccessat2 fadvise64 fadvise64_64 fallocate fanotify_mark fchdir fchmod fchmodat fchown fchown32 fchownat fcntl fcntl64 fdatasync fgetxattr flistxattr flock fork fremovexattr fsetxattr fstat fstat64 fstatat64 fstatfs fstatfs64 fsync ftruncate ftruncate64 futex futex_time64 futex_waitv futimesat getcpu getcwd getdents getdents64 getegid getegid32 geteuid geteuid32 getgid getgid32 getgroups getgroups32 getitimer getpeername getpgid getpgrp getpid getppid getpriority getrandom getresgid getresgid32 getresuid getresuid32 getrlimit get_robust_list getrusage getsid getsockname getsockopt get_thread_area gettid gettimeofday getuid getuid32 getxattr inotify_add_watch inotify_init inotify_init1 inotify_rm_watch io_cancel ioctl io_destroy io_getevents io_pgetevents io_pgetevents_time64 ioprio_get ioprio_set io_setup io_submit io_uring_enter io_uring_register io_uring_setup ipc kill landlock_add_rule landlock_create_ruleset landlock_restrict_self lchown lchown32 lgetxattr link linkat listen listxattr llistxattr _llseek lremovexattr lseek lsetxattr lstat lstat64 madvise membarrier memfd_create memfd_secret mincore mkdir mkdirat mknod mknodat mlock mlock2 mlockall mmap mmap2 mprotect mq_getsetattr mq_notify mq_open mq_timedreceive mq_timedreceive_time64 mq_timedsend mq_timedsend_time64 mq_unlink mremap msgctl msgget msgrcv msgsnd msync munlock munlockall munmap name_to_handle_at nanosleep newfstatat _newselect open openat openat2 pause pidfd_open pidfd_send_signal pipe pipe2 pkey_alloc pkey_free pkey_mprotect poll ppoll ppoll_time64 prctl pread64 preadv preadv2 prlimit64 process_mrelease pselect6 pselect6_time64 pwrite64 pwritev pwritev2 read readahead readlink readlinkat readv recv recvfrom recvmmsg recvmmsg_time64 recvmsg remap_file_pages removexattr rename renameat renameat2 restart_syscall rmdir rseq rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo sched_getaffinity sched_getattr sched_getparam sched_get_priority_max sched_get_priority_min sched_getscheduler sched_rr_get_interval sched_rr_get_interval_time64 sched_setaffinity sched_setattr sched_setparam sched_setscheduler sched_yield seccomp select semctl semget semop semtimedop semtimedop_time64 send sendfile sendfile64 sendmmsg sendmsg sendto setfsgid setfsgid32 setfsuid setfsuid32 setgid setgid32 setgroups setgroups32 setitimer setpgid setpriority setregid setregid32 setresgid setresgid32 setresuid setresuid32 setreuid setreuid32 setrlimit set_robust_list setsid setsockopt set_thread_area set_tid_address setuid setuid32 setxattr shmat shmctl shmdt shmget shutdown sigaltstack signalfd signalfd4 sigprocmask sigreturn socket socketcall socketpair splice stat stat64 statfs statfs64 statx symlink symlinkat sync sync_file_range syncfs sysinfo tee tgkill time timer_create timer_delete timer_getoverrun timer_gettime timer_gettime64 timer_settime timer_settime64 timerfd_create timerfd_gettime timerfd_gettime64 timerfd_settime timerfd_settime64 times tkill truncate truncate64 ugetrlimit umask uname unlink unlinkat utime utimensat utimensat_time64 utimes vfork vmsplice wait4 waitid waitpid write writev";

/// runc's default `config.json` (`runc spec`) with what an engine adds: bind
/// mounts, a cgroups path, resources, and a Docker-like seccomp profile.
fn runtime_config() -> Vec<u8> {
    let mut spec: serde_json::Value =
        serde_json::from_slice(&Spec::default_linux().to_canonical_json())
            .expect("our default spec is JSON");
    let names: Vec<&str> = SYSCALLS.split(' ').collect();
    let extra: serde_json::Value = serde_json::json!({
        "mounts": [
            {"destination": "/etc/resolv.conf", "type": "bind", "source": "/var/lib/engine/containers/abc/resolv.conf", "options": ["rbind", "rprivate"]},
            {"destination": "/etc/hostname", "type": "bind", "source": "/var/lib/engine/containers/abc/hostname", "options": ["rbind", "rprivate"]},
            {"destination": "/etc/hosts", "type": "bind", "source": "/var/lib/engine/containers/abc/hosts", "options": ["rbind", "rprivate"]},
            {"destination": "/data", "type": "bind", "source": "/srv/data", "options": ["rbind", "ro", "nosuid", "nodev"]}
        ],
        "cgroupsPath": "/engine/abc",
        "resources": {
            "memory": {"limit": 536870912, "swap": 1073741824},
            "cpu": {"shares": 1024, "quota": 50000, "period": 100000},
            "pids": {"limit": 512}
        },
        "seccomp": {
            "defaultAction": "SCMP_ACT_ERRNO",
            "defaultErrnoRet": 1,
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
            "syscalls": [
                {"names": names, "action": "SCMP_ACT_ALLOW"},
                {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]},
                {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]},
                {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 4294967295u64, "op": "SCMP_CMP_EQ"}]},
                {"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 2114060288, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]},
                {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
                {"names": ["arch_prctl", "modify_ldt"], "action": "SCMP_ACT_ALLOW"}
            ]
        }
    });
    let obj = spec.as_object_mut().expect("a spec is an object");
    if let Some(serde_json::Value::Array(mounts)) = obj.get_mut("mounts") {
        mounts.extend(extra["mounts"].as_array().cloned().unwrap_or_default());
    }
    let linux = obj
        .get_mut("linux")
        .and_then(|l| l.as_object_mut())
        .expect("runc's default has a linux section");
    for key in ["cgroupsPath", "resources", "seccomp"] {
        linux.insert(key.to_owned(), extra[key].clone());
    }
    // Canonical bytes: our serialisation of the parsed value.
    let bytes = serde_json::to_vec(&spec).expect("a Value serialises");
    Spec::from_json(&bytes)
        .expect("the runtime fixture parses")
        .to_canonical_json()
}

/// The spec's full example (every Linux section, hooks, seccomp) in our
/// canonical compact form, less `linux.resources.oomScoreAdj`: a member
/// runtime-spec dropped, which we keep in `extra` and oci-spec discards.
fn spec_example() -> Vec<u8> {
    let mut value: serde_json::Value = serde_json::from_slice(include_bytes!(
        "../oci-runtime-spec/tests/fixtures/config/good/spec-example.json"
    ))
    .expect("spec-example.json is JSON");
    if let Some(resources) = value
        .pointer_mut("/linux/resources")
        .and_then(|r| r.as_object_mut())
    {
        resources.remove("oomScoreAdj");
    }
    let bytes = serde_json::to_vec(&value).expect("a Value serialises");
    Spec::from_json(&bytes)
        .expect("spec-example.json parses")
        .to_canonical_json()
}

/// One crate's entry points for one document type.
struct Side<T> {
    parse: fn(&[u8]) -> Result<T, String>,
    serialise: fn(&T) -> Vec<u8>,
}

/// oci-spec's side: its types are serde types, read and written with serde_json.
macro_rules! theirs {
    ($ty:ty) => {
        Side::<$ty> {
            parse: |b| serde_json::from_slice(b).map_err(|e| e.to_string()),
            serialise: |v| serde_json::to_vec(v).unwrap_or_default(),
        }
    };
}

/// Parse and serialise one document with both crates.
fn compare<Ours, Theirs>(
    c: &mut Criterion,
    name: &str,
    bytes: &[u8],
    ours: Side<Ours>,
    theirs: Side<Theirs>,
) {
    let (ours_parse, ours_serialise) = (ours.parse, ours.serialise);
    let (theirs_parse, theirs_serialise) = (theirs.parse, theirs.serialise);
    let ours = match ours_parse(bytes) {
        Ok(v) => v,
        Err(err) => panic!("{name}: the fixture does not parse: {err}"),
    };
    assert!(
        ours_serialise(&ours) == bytes,
        "{name}: the fixture must be our canonical form"
    );
    let theirs = match theirs_parse(bytes) {
        Ok(v) => v,
        Err(err) => panic!("{name}: oci-spec does not parse the fixture: {err}"),
    };
    let their_bytes = theirs_serialise(&theirs);
    // Both sides must see the same document: compare the JSON values.
    let mut want: serde_json::Value = serde_json::from_slice(bytes).unwrap_or_default();
    let mut got: serde_json::Value = serde_json::from_slice(&their_bytes).unwrap_or_default();
    sort_capabilities(&mut want);
    sort_capabilities(&mut got);
    if let Some(path) = first_difference(&want, &got, String::new()) {
        panic!("{name}: oci-spec reads a different document, first at {path:?}");
    }

    let mut group = c.benchmark_group(format!("models/{name}"));
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function(BenchmarkId::new("parse", "ours"), |b| {
        b.iter(|| ours_parse(black_box(bytes)))
    });
    group.bench_function(BenchmarkId::new("parse", "oci-spec"), |b| {
        b.iter(|| theirs_parse(black_box(bytes)))
    });
    group.bench_function(BenchmarkId::new("serialise", "ours"), |b| {
        b.iter(|| ours_serialise(black_box(&ours)))
    });
    group.bench_function(BenchmarkId::new("serialise", "oci-spec"), |b| {
        b.iter(|| theirs_serialise(black_box(&theirs)))
    });
    group.finish();
}

/// oci-spec keeps capabilities in a `HashSet`, so their order is lost:
/// sort every capability list on both sides before comparing.
fn sort_capabilities(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if key == "capabilities"
                    && let serde_json::Value::Object(sets) = v
                {
                    for list in sets.values_mut() {
                        if let serde_json::Value::Array(items) = list {
                            items.sort_by_key(|item| item.to_string());
                        }
                    }
                }
                sort_capabilities(v);
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(sort_capabilities),
        _ => {}
    }
}

/// The JSON path of the first place where `a` and `b` differ.
fn first_difference(a: &serde_json::Value, b: &serde_json::Value, path: String) -> Option<String> {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for key in x.keys().chain(y.keys()) {
                let here = format!("{path}.{key}");
                match (x.get(key), y.get(key)) {
                    (Some(p), Some(q)) => {
                        if let Some(found) = first_difference(p, q, here) {
                            return Some(found);
                        }
                    }
                    _ => return Some(here),
                }
            }
            None
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (p, q))| first_difference(p, q, format!("{path}[{i}]"))),
        _ => (a != b).then_some(path),
    }
}

fn model<T: Model>() -> Side<T> {
    Side {
        parse: |b| T::from_json(b).map_err(|e| e.to_string()),
        serialise: T::to_canonical_json,
    }
}

fn spec() -> Side<Spec> {
    Side {
        parse: |b| Spec::from_json(b).map_err(|e| e.to_string()),
        serialise: Spec::to_canonical_json,
    }
}

fn benches(c: &mut Criterion) {
    use oci_spec::{image, runtime};
    compare(
        c,
        "manifest-5-layers",
        &manifest(),
        model::<ImageManifest>(),
        theirs!(image::ImageManifest),
    );
    compare(
        c,
        "index-500",
        &index(),
        model::<ImageIndex>(),
        theirs!(image::ImageIndex),
    );
    compare(
        c,
        "config-100-history",
        &config(),
        model::<ImageConfiguration>(),
        theirs!(image::ImageConfiguration),
    );
    compare(
        c,
        "runtime-config",
        &runtime_config(),
        spec(),
        theirs!(runtime::Spec),
    );
    compare(
        c,
        "runtime-spec-example",
        &spec_example(),
        spec(),
        theirs!(runtime::Spec),
    );
}

criterion_group!(models, benches);
criterion_main!(models);
