//! The seccomp filter of a Linux container (`linux.seccomp`).
//!
//! Implements runtime-spec config-linux.md, "Seccomp", with the actions,
//! architectures, flags and operators of defs-linux.json, and its rules.

use crate::codec::string_enum;
use crate::validate::{Checker, Rule, each, known};

ocikit_spec_core::model! {
    /// A seccomp filter (`linux.seccomp`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct Seccomp ("a seccomp object") {
        /// REQUIRED. Action when no syscall rule matches.
        default_action: SeccompAction => "defaultAction" (required),
        /// OPTIONAL. errno returned by `SCMP_ACT_ERRNO` and `SCMP_ACT_TRACE`
        /// default actions; `EPERM` when absent.
        default_errno_ret: Option<u32> => "defaultErrnoRet" (optional_or_null),
        /// OPTIONAL. Architectures the filter applies to.
        architectures: Vec<SeccompArch> => "architectures" (default),
        /// OPTIONAL. Flags for `seccomp(2)`.
        flags: Vec<SeccompFlag> => "flags" (default),
        /// OPTIONAL. Path of the UNIX socket the runtime sends the seccomp
        /// notify file descriptor to; REQUIRED with `SCMP_ACT_NOTIFY`.
        listener_path: Option<String> => "listenerPath" (optional_or_null),
        /// OPTIONAL. Opaque data passed to the listener.
        listener_metadata: Option<String> => "listenerMetadata" (optional_or_null),
        /// OPTIONAL. Rules matching syscalls.
        syscalls: Vec<Syscall> => "syscalls" (default),
    }
}

ocikit_spec_core::model! {
    /// A rule for syscalls (an entry of `linux.seccomp.syscalls`).
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct Syscall ("a syscall object") {
        /// REQUIRED. Names of the syscalls; at least one.
        names: Vec<String> => "names" (required),
        /// REQUIRED. Action on a match.
        action: SeccompAction => "action" (required),
        /// OPTIONAL. errno returned by `SCMP_ACT_ERRNO` and `SCMP_ACT_TRACE`;
        /// `EPERM` when absent.
        errno_ret: Option<u32> => "errnoRet" (optional_or_null),
        /// OPTIONAL. Conditions on the syscall's arguments.
        args: Vec<SyscallArg> => "args" (default),
    }
}

ocikit_spec_core::model! {
    /// A condition on one syscall argument.
    #[derive(Debug, Clone, Default, PartialEq)]
    pub struct SyscallArg ("a syscall argument object") {
        /// REQUIRED. Index of the argument.
        index: u32 => "index" (required),
        /// REQUIRED. Value to compare with.
        value: u64 => "value" (required),
        /// OPTIONAL. Second value: for `SCMP_CMP_MASKED_EQ`, the argument
        /// masked with `value` is compared with this.
        value_two: Option<u64> => "valueTwo" (optional_or_null),
        /// REQUIRED. The comparison.
        op: SeccompOperator => "op" (required),
    }
}

string_enum! {
    /// A seccomp action (`defaultAction`, `syscalls[].action`).
    ///
    /// Open: the list follows libseccomp, which has grown it over time
    /// (`SCMP_ACT_NOTIFY`, `SCMP_ACT_KILL_PROCESS`), and features.md lets a
    /// runtime report the actions it knows.
    pub enum SeccompAction (open, "seccomp action", default Allow) {
        /// Kill the thread (alias of `SCMP_ACT_KILL_THREAD`).
        Kill = "SCMP_ACT_KILL",
        /// Kill the process.
        KillProcess = "SCMP_ACT_KILL_PROCESS",
        /// Kill the thread.
        KillThread = "SCMP_ACT_KILL_THREAD",
        /// Send `SIGSYS`.
        Trap = "SCMP_ACT_TRAP",
        /// Return an errno.
        Errno = "SCMP_ACT_ERRNO",
        /// Notify a tracer.
        Trace = "SCMP_ACT_TRACE",
        /// Allow.
        Allow = "SCMP_ACT_ALLOW",
        /// Allow and log.
        Log = "SCMP_ACT_LOG",
        /// Notify the listener (`listenerPath`).
        Notify = "SCMP_ACT_NOTIFY",
    }
}

string_enum! {
    /// A seccomp architecture (`architectures`), libseccomp's names.
    pub enum SeccompArch (open, "seccomp architecture") {
        /// 32-bit x86.
        X86 = "SCMP_ARCH_X86",
        /// x86-64.
        X86_64 = "SCMP_ARCH_X86_64",
        /// x32 ABI.
        X32 = "SCMP_ARCH_X32",
        /// 32-bit ARM.
        Arm = "SCMP_ARCH_ARM",
        /// 64-bit ARM.
        Aarch64 = "SCMP_ARCH_AARCH64",
        /// LoongArch 64.
        Loongarch64 = "SCMP_ARCH_LOONGARCH64",
        /// Motorola 68000.
        M68k = "SCMP_ARCH_M68K",
        /// MIPS big-endian.
        Mips = "SCMP_ARCH_MIPS",
        /// MIPS64 big-endian.
        Mips64 = "SCMP_ARCH_MIPS64",
        /// MIPS64 n32 big-endian.
        Mips64n32 = "SCMP_ARCH_MIPS64N32",
        /// MIPS little-endian.
        Mipsel = "SCMP_ARCH_MIPSEL",
        /// MIPS64 little-endian.
        Mipsel64 = "SCMP_ARCH_MIPSEL64",
        /// MIPS64 n32 little-endian.
        Mipsel64n32 = "SCMP_ARCH_MIPSEL64N32",
        /// 32-bit PowerPC.
        Ppc = "SCMP_ARCH_PPC",
        /// 64-bit PowerPC big-endian.
        Ppc64 = "SCMP_ARCH_PPC64",
        /// 64-bit PowerPC little-endian.
        Ppc64le = "SCMP_ARCH_PPC64LE",
        /// 31-bit s390.
        S390 = "SCMP_ARCH_S390",
        /// 64-bit s390x.
        S390x = "SCMP_ARCH_S390X",
        /// SuperH little-endian.
        Sh = "SCMP_ARCH_SH",
        /// SuperH big-endian.
        Sheb = "SCMP_ARCH_SHEB",
        /// 32-bit PA-RISC.
        Parisc = "SCMP_ARCH_PARISC",
        /// 64-bit PA-RISC.
        Parisc64 = "SCMP_ARCH_PARISC64",
        /// 64-bit RISC-V.
        Riscv64 = "SCMP_ARCH_RISCV64",
    }
}

string_enum! {
    /// A flag for `seccomp(2)` (`linux.seccomp.flags`).
    ///
    /// Open: the kernel adds filter flags (`WAIT_KILLABLE_RECV` arrived in
    /// runtime-spec 1.2), and features.md has runtimes report their
    /// `knownFlags` and `supportedFlags`, so the set varies by runtime.
    pub enum SeccompFlag (open, "seccomp flag") {
        /// Synchronize all threads.
        Tsync = "SECCOMP_FILTER_FLAG_TSYNC",
        /// Log all actions but `SCMP_ACT_ALLOW`.
        Log = "SECCOMP_FILTER_FLAG_LOG",
        /// Disable speculative store bypass mitigation.
        SpecAllow = "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
        /// Wait killably for the listener's reply.
        WaitKillableRecv = "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
    }
}

string_enum! {
    /// A comparison of a syscall argument (`syscalls[].args[].op`).
    ///
    /// Open: config-linux.md gives the list "as of libseccomp v2.6.0", so
    /// a newer libseccomp may add operators, and a runtime reports the ones
    /// it knows in features.md's `operators`.
    pub enum SeccompOperator (open, "seccomp operator", default Eq) {
        /// Not equal.
        Ne = "SCMP_CMP_NE",
        /// Less than.
        Lt = "SCMP_CMP_LT",
        /// Less than or equal.
        Le = "SCMP_CMP_LE",
        /// Equal.
        Eq = "SCMP_CMP_EQ",
        /// Greater than or equal.
        Ge = "SCMP_CMP_GE",
        /// Greater than.
        Gt = "SCMP_CMP_GT",
        /// Masked equality: `(arg & value) == valueTwo`.
        MaskedEq = "SCMP_CMP_MASKED_EQ",
    }
}

/// config-linux.md "Seccomp": unknown actions, architectures, flags and
/// operators are warnings (libseccomp grows); `names` MUST have an entry;
/// `listenerMetadata` MUST NOT be set without `listenerPath`.
pub(crate) fn check(c: &mut Checker, s: &Seccomp) {
    let rule = Rule::Seccomp;
    c.field("defaultAction", |c| {
        known(c, rule, "seccomp action", &s.default_action)
    });
    each(c, "architectures", &s.architectures, |c, a| {
        known(c, rule, "seccomp architecture", a)
    });
    each(c, "flags", &s.flags, |c, f| {
        known(c, rule, "seccomp flag", f)
    });
    if s.listener_metadata.is_some() && s.listener_path.is_none() {
        c.field("listenerMetadata", |c| {
            c.error(rule, "must not be set without listenerPath")
        });
    }
    each(c, "syscalls", &s.syscalls, |c, sc| {
        if sc.names.is_empty() {
            c.field("names", |c| {
                c.error(rule, "must have at least one entry, found none")
            });
        }
        c.field("action", |c| known(c, rule, "seccomp action", &sc.action));
        each(c, "args", &sc.args, |c, arg| {
            c.field("op", |c| known(c, rule, "seccomp operator", &arg.op))
        });
    });
}
