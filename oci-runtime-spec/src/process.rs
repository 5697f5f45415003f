//! The container process: what runs, as whom, with which privileges.
//!
//! Implements runtime-spec config.md, "Process" (with its Linux, POSIX and
//! Windows parts: capabilities, rlimits, scheduler, I/O priority, CPU
//! affinity), and their rules.

use std::collections::BTreeMap;

use crate::codec::string_enum;
use crate::validate::{Checker, Platform, Rule, absolute_at, each, env, known, one_of};

ocikit_spec_core::model! {
    /// The container process (`process`). REQUIRED when start is called.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct Process ("a process object") {
        /// OPTIONAL. Whether a terminal is attached to the process; defaults
        /// to false. On Linux a pseudoterminal pair is allocated.
        terminal: Option<bool> => "terminal" (optional_or_null),
        /// OPTIONAL. Size of the console in characters, when `terminal` is
        /// true.
        console_size: Option<ConsoleSize> => "consoleSize" (optional_or_null),
        /// The user the process runs as. REQUIRED on POSIX platforms (uid
        /// and gid); on Windows only `username`.
        user: Option<User> => "user" (optional_or_null),
        /// OPTIONAL on Windows (with `commandLine`), REQUIRED elsewhere with
        /// at least one entry: the program and its arguments (`execvp`'s
        /// argv). Absent and empty are treated alike.
        args: Vec<String> => "args" (default),
        /// OPTIONAL, Windows only. The full command line, used instead of
        /// `args`.
        command_line: Option<String> => "commandLine" (optional_or_null),
        /// OPTIONAL. Environment variables as `KEY=value` strings.
        env: Vec<String> => "env" (default),
        /// REQUIRED. Working directory of the process; absolute in the
        /// container.
        cwd: String => "cwd" (required),
        /// OPTIONAL, Linux. Capability sets of the process.
        capabilities: Option<Capabilities> => "capabilities" (optional_or_null),
        /// OPTIONAL, POSIX. Resource limits (`setrlimit(2)`); each `type`
        /// at most once.
        rlimits: Vec<Rlimit> => "rlimits" (default),
        /// OPTIONAL, Linux. Sets `no_new_privs` when true.
        no_new_privileges: Option<bool> => "noNewPrivileges" (optional_or_null),
        /// OPTIONAL, Linux. Name of the AppArmor profile.
        apparmor_profile: Option<String> => "apparmorProfile" (optional_or_null),
        /// OPTIONAL, Linux. Value for `/proc/[pid]/oom_score_adj`; when
        /// absent the runtime MUST NOT change it.
        oom_score_adj: Option<i32> => "oomScoreAdj" (optional_or_null),
        /// OPTIONAL, Linux. Scheduling policy and attributes
        /// (`sched_setattr(2)`).
        scheduler: Option<Scheduler> => "scheduler" (optional_or_null),
        /// OPTIONAL, Linux. SELinux label of the process.
        selinux_label: Option<String> => "selinuxLabel" (optional_or_null),
        /// OPTIONAL, Linux. I/O priority (`ioprio_set(2)`).
        io_priority: Option<IoPriority> => "ioPriority" (optional_or_null),
        /// OPTIONAL, Linux. CPU affinity of the runtime's exec'd processes.
        exec_cpu_affinity: Option<CpuAffinity> => "execCPUAffinity" (optional_or_null),
    }
}

ocikit_spec_core::model! {
    /// Console size in characters (`process.consoleSize`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct ConsoleSize ("a console size object") {
        /// REQUIRED. Height in characters.
        height: u32 => "height" (required),
        /// REQUIRED. Width in characters.
        width: u32 => "width" (required),
    }
}

ocikit_spec_core::model! {
    /// The user of the process (`process.user`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct User ("a user object") {
        /// REQUIRED on POSIX. User ID in the container namespace.
        uid: Option<u32> => "uid" (optional_or_null),
        /// REQUIRED on POSIX. Group ID in the container namespace.
        gid: Option<u32> => "gid" (optional_or_null),
        /// OPTIONAL, POSIX. The umask; unchanged from the runtime's when
        /// absent.
        umask: Option<u32> => "umask" (optional_or_null),
        /// OPTIONAL, POSIX. Additional group IDs in the container namespace.
        additional_gids: Vec<u32> => "additionalGids" (default),
        /// OPTIONAL, Windows. The user name.
        username: Option<String> => "username" (optional_or_null),
    }
}

ocikit_spec_core::model! {
    /// The capability sets of the process (`process.capabilities`), Linux.
    /// Each is OPTIONAL; absent and empty are alike.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct Capabilities ("a capabilities object") {
        /// OPTIONAL. The bounding set.
        bounding: Vec<Capability> => "bounding" (default),
        /// OPTIONAL. The effective set.
        effective: Vec<Capability> => "effective" (default),
        /// OPTIONAL. The inheritable set.
        inheritable: Vec<Capability> => "inheritable" (default),
        /// OPTIONAL. The permitted set.
        permitted: Vec<Capability> => "permitted" (default),
        /// OPTIONAL. The ambient set.
        ambient: Vec<Capability> => "ambient" (default),
    }
}

string_enum! {
    /// A Linux capability (`capabilities(7)`), as written in a capability
    /// set: `CAP_` and the name. A runtime MUST error on a capability it
    /// cannot map and SHOULD only log a known one the kernel lacks.
    pub enum Capability (open, "capability") {
        /// Change file ownership.
        Chown = "CAP_CHOWN",
        /// Bypass file permission checks.
        DacOverride = "CAP_DAC_OVERRIDE",
        /// Bypass file read and directory search checks.
        DacReadSearch = "CAP_DAC_READ_SEARCH",
        /// Bypass checks that need the file owner.
        Fowner = "CAP_FOWNER",
        /// Keep set-user/group-ID bits on modification.
        Fsetid = "CAP_FSETID",
        /// Send signals to any process.
        Kill = "CAP_KILL",
        /// Manipulate group IDs.
        Setgid = "CAP_SETGID",
        /// Manipulate user IDs.
        Setuid = "CAP_SETUID",
        /// Transfer capabilities.
        Setpcap = "CAP_SETPCAP",
        /// Set immutable and append-only flags.
        LinuxImmutable = "CAP_LINUX_IMMUTABLE",
        /// Bind ports below 1024.
        NetBindService = "CAP_NET_BIND_SERVICE",
        /// Broadcast and multicast.
        NetBroadcast = "CAP_NET_BROADCAST",
        /// Network administration.
        NetAdmin = "CAP_NET_ADMIN",
        /// Raw and packet sockets.
        NetRaw = "CAP_NET_RAW",
        /// Lock memory.
        IpcLock = "CAP_IPC_LOCK",
        /// Bypass IPC permission checks.
        IpcOwner = "CAP_IPC_OWNER",
        /// Load kernel modules.
        SysModule = "CAP_SYS_MODULE",
        /// Raw I/O.
        SysRawio = "CAP_SYS_RAWIO",
        /// `chroot(2)`.
        SysChroot = "CAP_SYS_CHROOT",
        /// Trace processes.
        SysPtrace = "CAP_SYS_PTRACE",
        /// Process accounting.
        SysPacct = "CAP_SYS_PACCT",
        /// System administration.
        SysAdmin = "CAP_SYS_ADMIN",
        /// Reboot.
        SysBoot = "CAP_SYS_BOOT",
        /// Raise priorities.
        SysNice = "CAP_SYS_NICE",
        /// Override resource limits.
        SysResource = "CAP_SYS_RESOURCE",
        /// Set the system clock.
        SysTime = "CAP_SYS_TIME",
        /// Configure terminals.
        SysTtyConfig = "CAP_SYS_TTY_CONFIG",
        /// `mknod(2)`.
        Mknod = "CAP_MKNOD",
        /// File leases.
        Lease = "CAP_LEASE",
        /// Write the audit log.
        AuditWrite = "CAP_AUDIT_WRITE",
        /// Configure auditing.
        AuditControl = "CAP_AUDIT_CONTROL",
        /// Set file capabilities.
        Setfcap = "CAP_SETFCAP",
        /// Override mandatory access control.
        MacOverride = "CAP_MAC_OVERRIDE",
        /// Administer mandatory access control.
        MacAdmin = "CAP_MAC_ADMIN",
        /// Privileged `syslog(2)`.
        Syslog = "CAP_SYSLOG",
        /// Trigger wake-up alarms.
        WakeAlarm = "CAP_WAKE_ALARM",
        /// Block system suspend.
        BlockSuspend = "CAP_BLOCK_SUSPEND",
        /// Read the audit log.
        AuditRead = "CAP_AUDIT_READ",
        /// Performance monitoring.
        Perfmon = "CAP_PERFMON",
        /// BPF operations.
        Bpf = "CAP_BPF",
        /// Checkpoint and restore.
        CheckpointRestore = "CAP_CHECKPOINT_RESTORE",
    }
}

ocikit_spec_core::model! {
    /// A resource limit (an entry of `process.rlimits`), POSIX.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct Rlimit ("an rlimit object") {
        /// REQUIRED. The resource, e.g. `RLIMIT_NOFILE` on Linux.
        typ: String => "type" (required),
        /// REQUIRED. The ceiling for the soft limit (`rlim_max`).
        hard: u64 => "hard" (required),
        /// REQUIRED. The limit enforced (`rlim_cur`).
        soft: u64 => "soft" (required),
    }
}

ocikit_spec_core::model! {
    /// Scheduling of the process (`process.scheduler`), Linux.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct Scheduler ("a scheduler object") {
        /// REQUIRED. The policy.
        policy: SchedulerPolicy => "policy" (required),
        /// OPTIONAL. The nice value; 0 when absent.
        nice: Option<i32> => "nice" (optional_or_null),
        /// OPTIONAL. The static priority (real-time policies).
        priority: Option<i32> => "priority" (optional_or_null),
        /// OPTIONAL. Scheduling flags.
        flags: Vec<SchedulerFlag> => "flags" (default),
        /// OPTIONAL. Runtime in nanoseconds (`SCHED_DEADLINE`).
        runtime: Option<u64> => "runtime" (optional_or_null),
        /// OPTIONAL. Deadline in nanoseconds (`SCHED_DEADLINE`).
        deadline: Option<u64> => "deadline" (optional_or_null),
        /// OPTIONAL. Period in nanoseconds (`SCHED_DEADLINE`).
        period: Option<u64> => "period" (optional_or_null),
    }
}

string_enum! {
    /// A scheduling policy (`process.scheduler.policy`).
    pub enum SchedulerPolicy (open, "scheduler policy", default Normal) {
        /// The default time-sharing policy (the kernel's `SCHED_NORMAL`).
        Normal = "SCHED_OTHER",
        /// First in, first out real-time.
        Fifo = "SCHED_FIFO",
        /// Round-robin real-time.
        Rr = "SCHED_RR",
        /// Batch.
        Batch = "SCHED_BATCH",
        /// Isochronous (reserved).
        Iso = "SCHED_ISO",
        /// Very low priority.
        Idle = "SCHED_IDLE",
        /// Earliest deadline first.
        Deadline = "SCHED_DEADLINE",
    }
}

string_enum! {
    /// A scheduling flag (`process.scheduler.flags`).
    pub enum SchedulerFlag (open, "scheduler flag") {
        /// Children do not inherit privileged policies.
        ResetOnFork = "SCHED_FLAG_RESET_ON_FORK",
        /// Reclaim bandwidth (`SCHED_DEADLINE`).
        Reclaim = "SCHED_FLAG_RECLAIM",
        /// Signal deadline overruns.
        DlOverrun = "SCHED_FLAG_DL_OVERRUN",
        /// Keep the current policy.
        KeepPolicy = "SCHED_FLAG_KEEP_POLICY",
        /// Keep the current parameters.
        KeepParams = "SCHED_FLAG_KEEP_PARAMS",
        /// Minimum utilization clamp.
        UtilClampMin = "SCHED_FLAG_UTIL_CLAMP_MIN",
        /// Maximum utilization clamp.
        UtilClampMax = "SCHED_FLAG_UTIL_CLAMP_MAX",
    }
}

ocikit_spec_core::model! {
    /// I/O priority of the process (`process.ioPriority`), Linux.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct IoPriority ("an I/O priority object") {
        /// REQUIRED. The scheduling class.
        class: IoPriorityClass => "class" (required),
        /// OPTIONAL. Priority level within the class, 0 (highest) to 7.
        priority: Option<i32> => "priority" (optional_or_null),
    }
}

string_enum! {
    /// An I/O scheduling class (`process.ioPriority.class`).
    pub enum IoPriorityClass (open, "I/O priority class", default Be) {
        /// Real-time.
        Rt = "IOPRIO_CLASS_RT",
        /// Best effort.
        Be = "IOPRIO_CLASS_BE",
        /// Idle.
        Idle = "IOPRIO_CLASS_IDLE",
    }
}

ocikit_spec_core::model! {
    /// CPU affinity of processes the runtime execs into the container
    /// (`process.execCPUAffinity`), as `taskset`-style CPU lists (`0-3,7`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct CpuAffinity ("a CPU affinity object") {
        /// OPTIONAL. Affinity while the process is still in the runtime's
        /// cgroup, before moving to the container's.
        initial: Option<String> => "initial" (optional_or_null),
        /// OPTIONAL. Affinity once in the container's cgroup.
        final_: Option<String> => "final" (optional_or_null),
    }
}

/// config.md "Process", "POSIX process", "Linux Process", "User".
pub(crate) fn check(c: &mut Checker, p: &Process, platform: Platform) {
    let windows = platform == Platform::Windows;
    if windows {
        if !crate::windows::is_windows_absolute(&p.cwd) {
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
                    known(c, Rule::Capability, "capability", cap)
                });
            }
        });
    }
    check_rlimits(c, &p.rlimits);
    if let Some(s) = &p.scheduler {
        c.field("scheduler", |c| {
            c.field("policy", |c| one_of(c, Rule::Process, &s.policy));
            each(c, "flags", &s.flags, |c, flag| {
                one_of(c, Rule::Process, flag)
            });
        });
    }
    if let Some(io) = &p.io_priority {
        c.field("ioPriority", |c| {
            c.field("class", |c| one_of(c, Rule::Process, &io.class));
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

/// config.md "POSIX process": `type` like `RLIMIT_NOFILE` (the schema's
/// pattern), each type at most once (the runtime MUST error on duplicates),
/// and `soft` not above `hard`: `rlim_cur` and `rlim_max` MUST match the
/// values, which `setrlimit(2)` cannot do when soft > hard.
fn check_rlimits(c: &mut Checker, rlimits: &[crate::Rlimit]) {
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
