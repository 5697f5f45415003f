//! Validation: the spec's rules that parsing does not check, each reported
//! with the JSON path of the field, what was expected and what was found.
//! This module holds what the checks share (the [`Rule`]s, the platform, the
//! helpers for absolute paths, SemVer, environment entries, annotations and
//! unknown values); each check lives beside the model it checks.
//!
//! Implements the MUSTs (as errors) and SHOULDs (as warnings) of
//! runtime-spec config.md, config-linux.md, config-windows.md, config-vm.md,
//! config-zos.md, runtime.md ("State") and features.md. Values of the open
//! sets (capabilities, namespace types, seccomp actions, architectures,
//! flags and operators) that this crate does not know are warnings: the spec
//! asks runtimes to warn about them and go on.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use crate::Spec;
use crate::codec::StringEnum;

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

/// The platform a configuration is for, from the platform section present.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Platform {
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
    pub(crate) fn of(spec: &Spec) -> Platform {
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
pub(crate) fn absolute(c: &mut Checker, rule: Rule, value: &str) {
    if !value.starts_with('/') {
        c.error(rule, format!("must be an absolute path, found {value:?}"));
    }
}

/// Checks that the member `name` is an absolute path.
pub(crate) fn absolute_at(c: &mut Checker, name: &'static str, rule: Rule, value: &str) {
    c.field(name, |c| absolute(c, rule, value));
}

/// Checks that `value` is a SemVer 2.0.0 version, at the checker's path.
pub(crate) fn semver(c: &mut Checker, name: &'static str, value: &str) {
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
pub(crate) fn unknown(c: &mut Checker, rule: Rule, what: &str, value: &str) {
    c.warning(
        rule,
        format!("unknown {what} {value:?}; a runtime that cannot map it warns or fails"),
    );
}

/// Warns when `value`, of an open set, is one this crate does not know.
pub(crate) fn known<T: StringEnum>(c: &mut Checker, rule: Rule, what: &str, value: &T) {
    if !value.is_known() {
        unknown(c, rule, what, value.as_str());
    }
}

/// A value outside a list the spec gives as the valid values: an error
/// (config.md "Valid values": runtimes MUST error on invalid values).
pub(crate) fn not_one_of(c: &mut Checker, rule: Rule, known: &[&str], value: &str) {
    c.error(
        rule,
        format!("must be one of {}, found {value:?}", known.join(", ")),
    );
}

/// An error when `value` is not one of the valid values its type lists.
pub(crate) fn one_of<T: StringEnum>(c: &mut Checker, rule: Rule, value: &T) {
    if !value.is_known() {
        not_one_of(c, rule, T::KNOWN, value.as_str());
    }
}

/// Runs `f` on each entry of the list `name`, one index down.
pub(crate) fn each<T>(
    c: &mut Checker,
    name: &'static str,
    list: &[T],
    mut f: impl FnMut(&mut Checker, &T),
) {
    if list.is_empty() {
        return;
    }
    c.field(name, |c| {
        for (i, item) in list.iter().enumerate() {
            c.index(i, |c| f(c, item));
        }
    });
}

/// An `environ` entry is `NAME=value` (IEEE Std 1003.1-2008, XBD 8.1, which
/// config.md's `env` members take the semantics of).
pub(crate) fn env(c: &mut Checker, rule: Rule, entry: &str) {
    match entry.split_once('=') {
        Some((name, _)) if !name.is_empty() => {}
        _ => c.error(rule, format!("must be NAME=value, found {entry:?}")),
    }
}

/// config.md "Annotations", at the checker's path: keys MUST NOT be empty;
/// keys SHOULD be reverse domain names. The `org.opencontainers` namespace
/// is reserved and other keys in it "MUST NOT be used by subsequent
/// specifications": a rule for specifications, not documents (runc's own
/// features use `org.opencontainers.runc.*`), so a warning.
pub(crate) fn annotations(c: &mut Checker, annotations: &BTreeMap<String, String>) {
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

/// A SemVer 2.0.0 version, parsed for its precedence.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct SemVer<'a> {
    core: [&'a str; 3],
    pre: Vec<&'a str>,
}

impl<'a> SemVer<'a> {
    /// `MAJOR.MINOR.PATCH[-PRE][+BUILD]`: numbers without leading zeros,
    /// dot-separated identifiers of `[0-9A-Za-z-]`, numeric pre-release
    /// identifiers without leading zeros.
    pub(crate) fn parse(s: &'a str) -> Option<SemVer<'a>> {
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
}
