//! Normalising platforms and choosing the manifest of an index that suits a
//! host: image-index.md, "if multiple manifests match a client or runtime's
//! requirements, the first matching entry SHOULD be used", with containerd's
//! and Docker's rules for what a host can run (Platform Variants).

use super::names::normalize_arch;
use super::{Arch, Os, Platform};

/// Candidates of another architecture (32-bit `arm` on an `arm64` host) rank
/// after every candidate of the host's own architecture, whose distances are
/// below 256 because every variant level is parsed as a `u8`.
const OTHER_ARCH_RANK: u32 = 256;

/// Candidates for an older Windows build (runnable through the stable ABI of
/// Windows Server 2022 and later) rank after every candidate for the host's
/// own build.
const OLDER_WINDOWS_BUILD_RANK: u32 = 1024;

/// The build number of Windows Server 2022 (ltsc2022): from it on, a host runs
/// containers of older builds down to this one.
const WINDOWS_LTSC2022_BUILD: u32 = 20348;

impl Platform {
    /// The canonical form of this platform, as containerd and Docker
    /// normalise platforms before comparing them:
    ///
    /// - `os` lower-cased, and `macos` becomes `darwin`;
    /// - `architecture` and `variant` lower-cased, an empty `variant` dropped;
    /// - `x86_64`, `x86-64` become `amd64`; `amd64` `v1` is the default, so
    ///   the variant is dropped;
    /// - `aarch64` becomes `arm64`; `arm64` `v8` (also `8`, `v8.0`) is the
    ///   default, so the variant is dropped; `9`, `9.0`, `v9.0` become `v9`;
    /// - `armhf` becomes `arm` `v7`, `armel` becomes `arm` `v6`;
    /// - `arm` without a variant is `arm` `v7`; variants `5` to `8` become
    ///   `v5` to `v8`;
    /// - `i386`, `i486`, `i586`, `i686` and `x86` become `386` (the variant
    ///   is dropped, as containerd does for `i386`).
    ///
    /// `os.version`, `os.features`, `features` and unknown fields are kept.
    ///
    /// ```
    /// use ocikit_image::Platform;
    /// let p = Platform::new("Linux", "aarch64").with_variant("v8");
    /// assert_eq!(p.normalize().to_string(), "linux/arm64");
    /// let p = Platform::new("linux", "armhf");
    /// assert_eq!(p.normalize().to_string(), "linux/arm/v7");
    /// ```
    pub fn normalize(&self) -> Platform {
        let (architecture, variant) =
            normalize_arch(self.architecture.as_str(), self.variant.as_deref());
        Platform {
            architecture,
            os: self.os.normalize(),
            os_version: self.os_version.clone(),
            os_features: self.os_features.clone(),
            variant,
            features: self.features.clone(),
            extra: self.extra.clone(),
        }
    }

    /// Whether `candidate` is exactly this platform, after normalising both:
    /// the same `os`, `architecture` and `variant` (counting a missing variant
    /// as the architecture's default, so `arm64` matches `arm64/v8`), every
    /// `os.features` entry of the candidate present in `self`'s, and on
    /// Windows, when both give an `os.version`, the same major, minor and
    /// build number (the revision may differ).
    ///
    /// This is [`Platform::compatibility`] returning `Some(0)`.
    pub fn matches(&self, candidate: &Platform) -> bool {
        self.compatibility(candidate) == Some(0)
    }

    /// How well `candidate` runs on `self`, the wanted or host platform:
    /// `Some(0)` for an exact match (see [`Platform::matches`]), a larger
    /// number for a candidate that runs but fits less well, `None` for one
    /// that cannot run. The numbers only order candidates for the same `self`.
    ///
    /// Both platforms are normalised first. The `os` must be the same, and the
    /// candidate's `os.features` must all be in `self`'s. A CPU runs code
    /// built for an older level of its own architecture, the closest level
    /// ranking first:
    ///
    /// - `arm` `v8` runs `v7`, `v6`, `v5`; `v7` runs `v6`, `v5`; `v6` runs `v5`;
    /// - `amd64` `vN` runs `v(N-1)` down to `v1` (no variant is `v1`);
    /// - `arm64` `v8.N` runs `v8.(N-1)` down to `v8`; `v9.N` runs `v9.(N-1)`
    ///   down to `v9`, then `v8.(N+5)` (at most `v8.9`) down to `v8`, as
    ///   Go's `GOARM64` levels imply;
    /// - `ppc64le` `powerN` runs older `power` levels (no variant is `power8`);
    /// - `riscv64` `rvaNNu64` runs older RVA profiles (no variant is `rva20u64`).
    ///
    /// On `linux`, an `arm64` host also runs 32-bit `arm` `v8`, `v7`, `v6`,
    /// `v5`, ranked after every `arm64` candidate, as containerd does. AArch32
    /// is optional in ARMv8-A, though, and some arm64 CPUs (Apple silicon,
    /// among others) cannot run it; such a host should drop `arm` candidates.
    ///
    /// `amd64` does not run `386` here, unlike containerd's `platforms.Only`:
    /// the CPU can, but the kernel must support 32-bit code (Linux can be
    /// built without `CONFIG_IA32_EMULATION` or booted with
    /// `ia32_emulation=0`, and macOS has dropped 32-bit support), which an
    /// image index cannot know. Callers who know their host does can add a
    /// `386` platform themselves.
    ///
    /// On `windows`, when `self` has an `os.version` with at least major,
    /// minor and build numbers, a candidate's `os.version` (if any) must have
    /// the same major and minor and either the same build (rank as above) or,
    /// on hosts from Windows Server 2022 (build 20348) on, a build from 20348
    /// up to the host's (ranked after every same-build candidate), following
    /// Microsoft's container version compatibility as containerd does. A
    /// candidate whose `os.version` cannot be read as a Windows version does
    /// not run on such a host. Other operating systems' `os.version` is not
    /// compared, its values being implementation-defined.
    ///
    /// `features` (RESERVED) is ignored.
    pub fn compatibility(&self, candidate: &Platform) -> Option<u32> {
        rank(&self.normalize(), candidate)
    }

    /// The index of the candidate that runs best on `self` (the lowest
    /// [`Platform::compatibility`]), or `None` when none runs. Among equally
    /// good candidates the first wins, as image-index.md asks: "if multiple
    /// manifests match a client or runtime's requirements, the first matching
    /// entry SHOULD be used". Candidates without a platform (`None`) are
    /// skipped but still counted, so the index is the position in the input,
    /// such as the index of the manifest in an image index's `manifests`.
    ///
    /// ```
    /// use ocikit_image::Platform;
    /// let host: Platform = "linux/arm64".parse()?;
    /// let amd64: Platform = "linux/amd64".parse()?;
    /// let arm64: Platform = "linux/arm64/v8".parse()?;
    /// let arm: Platform = "linux/arm/v7".parse()?;
    /// let candidates = [Some(&amd64), None, Some(&arm), Some(&arm64)];
    /// assert_eq!(host.select(candidates), Some(3));
    /// # Ok::<(), ocikit_image::Error>(())
    /// ```
    pub fn select<'a, I>(&self, candidates: I) -> Option<usize>
    where
        I: IntoIterator<Item = Option<&'a Platform>>,
    {
        let host = self.normalize();
        let mut best: Option<(u32, usize)> = None;
        for (index, candidate) in candidates.into_iter().enumerate() {
            let Some(candidate) = candidate else { continue };
            let Some(r) = rank(&host, candidate) else {
                continue;
            };
            if best.is_none_or(|(best_rank, _)| r < best_rank) {
                best = Some((r, index));
                if r == 0 {
                    break;
                }
            }
        }
        best.map(|(_, index)| index)
    }
}

/// [`Platform::compatibility`] with the host already normalised.
fn rank(host: &Platform, candidate: &Platform) -> Option<u32> {
    let candidate = candidate.normalize();
    if host.os != candidate.os {
        return None;
    }
    if !candidate
        .os_features
        .iter()
        .all(|feature| host.os_features.contains(feature))
    {
        return None;
    }
    let os_rank = os_version_rank(host, &candidate)?;
    let arch_rank = arch_rank(host, &candidate)?;
    Some(os_rank + arch_rank)
}

/// Windows `os.version` compatibility; other systems' versions are not compared.
fn os_version_rank(host: &Platform, candidate: &Platform) -> Option<u32> {
    if host.os != Os::Windows {
        return Some(0);
    }
    let Some(host_version) = host.os_version.as_deref().and_then(windows_version) else {
        return Some(0);
    };
    let Some(candidate_version) = candidate.os_version.as_deref().filter(|v| !v.is_empty()) else {
        return Some(0);
    };
    let (major, minor, build) = windows_version(candidate_version)?;
    let (host_major, host_minor, host_build) = host_version;
    if (major, minor) != (host_major, host_minor) {
        return None;
    }
    if build == host_build {
        Some(0)
    } else if host_build >= WINDOWS_LTSC2022_BUILD
        && (WINDOWS_LTSC2022_BUILD..host_build).contains(&build)
    {
        Some(OLDER_WINDOWS_BUILD_RANK)
    } else {
        None
    }
}

/// Major, minor and build of a Windows version such as `10.0.17763.1879`.
fn windows_version(version: &str) -> Option<(u32, u32, u32)> {
    let mut parts = version.split('.').map(decimal);
    Some((parts.next()??, parts.next()??, parts.next()??))
}

/// Architecture and variant compatibility (see [`Platform::compatibility`]).
fn arch_rank(host: &Platform, candidate: &Platform) -> Option<u32> {
    let host_variant = host.variant.as_deref();
    let candidate_variant = candidate.variant.as_deref();
    if host.architecture == candidate.architecture {
        return variant_rank(&host.architecture, host_variant, candidate_variant);
    }
    if host.os == Os::Linux
        && host.architecture == Arch::Arm64
        && candidate.architecture == Arch::Arm
        && arm64_level(host_variant).is_some()
    {
        let r = variant_rank(&Arch::Arm, Some("v8"), candidate_variant)?;
        return Some(OTHER_ARCH_RANK + r);
    }
    None
}

/// How many levels below the host's variant the candidate's is, within one
/// architecture; `None` when it is above, or either is not understood.
fn variant_rank(arch: &Arch, host: Option<&str>, candidate: Option<&str>) -> Option<u32> {
    if host == candidate {
        return Some(0);
    }
    if *arch == Arch::Arm64 {
        return arm64_rank(host, candidate);
    }
    let host = variant_level(arch, host)?;
    let candidate = variant_level(arch, candidate)?;
    host.checked_sub(candidate)
}

/// The level of a variant on a line of architecture levels where each level
/// runs the code of the ones below it.
fn variant_level(arch: &Arch, variant: Option<&str>) -> Option<u32> {
    match (arch, variant) {
        (Arch::Amd64, None) => Some(1),
        (Arch::Amd64, Some(v)) => numbered(v, "v", "").filter(|&n| n >= 1),
        (Arch::Arm, None) => Some(7),
        (Arch::Arm, Some(v)) => numbered(v, "v", "").filter(|n| (5..=8).contains(n)),
        (Arch::Ppc64le, None) => Some(8),
        (Arch::Ppc64le, Some(v)) => numbered(v, "power", ""),
        (Arch::Riscv64, None) => Some(20),
        (Arch::Riscv64, Some(v)) => numbered(v, "rva", "u64"),
        _ => None,
    }
}

/// The number in `{prefix}{number}{suffix}`, when it fits a `u8`.
fn numbered(variant: &str, prefix: &str, suffix: &str) -> Option<u32> {
    let digits = variant.strip_prefix(prefix)?.strip_suffix(suffix)?;
    decimal(digits).filter(|&n| n <= u32::from(u8::MAX))
}

/// A non-empty run of ASCII digits, as a number.
fn decimal(digits: &str) -> Option<u32> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// An `arm64` variant as (major, minor): no variant is `v8.0`; `v8.1` to
/// `v8.9`, `v9` and `v9.1` to `v9.9` are understood.
fn arm64_level(variant: Option<&str>) -> Option<(u32, u32)> {
    let Some(variant) = variant else {
        return Some((8, 0));
    };
    let level = variant.strip_prefix('v')?;
    let (major, minor) = level.split_once('.').unwrap_or((level, "0"));
    let digit = |s: &str| decimal(s).filter(|_| s.len() == 1);
    let major = digit(major).filter(|m| (8..=9).contains(m))?;
    Some((major, digit(minor)?))
}

/// `arm64` levels: `v9.N` implies `v8.(N+5)`, capped at `v8.9`.
fn arm64_rank(host: Option<&str>, candidate: Option<&str>) -> Option<u32> {
    let (host_major, host_minor) = arm64_level(host)?;
    let (major, minor) = arm64_level(candidate)?;
    match (host_major, major) {
        (8, 8) | (9, 9) => host_minor.checked_sub(minor),
        (9, 8) => {
            let implied = (host_minor + 5).min(9);
            Some(host_minor + 1 + implied.checked_sub(minor)?)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Platform {
        s.parse().expect("test platform parses")
    }

    #[test]
    fn normalisation_table() {
        let cases = [
            (("linux", "x86_64", None), "linux/amd64"),
            (("linux", "x86-64", Some("v1")), "linux/amd64"),
            (("linux", "amd64", Some("V3")), "linux/amd64/v3"),
            (("linux", "aarch64", Some("v8")), "linux/arm64"),
            (("linux", "arm64", Some("8")), "linux/arm64"),
            (("linux", "arm64", Some("v8.0")), "linux/arm64"),
            (("linux", "arm64", Some("9.0")), "linux/arm64/v9"),
            (("linux", "arm64", Some("v8.2")), "linux/arm64/v8.2"),
            (("linux", "armhf", None), "linux/arm/v7"),
            (("linux", "armhf", Some("v6")), "linux/arm/v7"),
            (("linux", "armel", None), "linux/arm/v6"),
            (("linux", "arm", None), "linux/arm/v7"),
            (("linux", "arm", Some("")), "linux/arm/v7"),
            (("linux", "arm", Some("7")), "linux/arm/v7"),
            (("linux", "arm", Some("5")), "linux/arm/v5"),
            (("linux", "arm", Some("8")), "linux/arm/v8"),
            (("linux", "i686", None), "linux/386"),
            (("linux", "i386", Some("sse2")), "linux/386"),
            (("linux", "x86", None), "linux/386"),
            (("linux", "386", Some("softfloat")), "linux/386/softfloat"),
            (("Linux", "amd64", None), "linux/amd64"),
            (("macos", "arm64", None), "darwin/arm64"),
            (("Windows", "AMD64", None), "windows/amd64"),
            (("linux", "ppc64le", None), "linux/ppc64le"),
            (("plan9", "sparc64", None), "plan9/sparc64"),
        ];
        for ((os, arch, variant), expected) in cases {
            let mut platform = Platform::new(os, arch);
            platform.variant = variant.map(str::to_owned);
            assert_eq!(
                platform.normalize().to_string(),
                expected,
                "{os}/{arch}/{variant:?}"
            );
        }
        let normal = p("Linux/x86_64").normalize();
        assert_eq!(normal.os, Os::Linux);
        assert_eq!(normal.architecture, Arch::Amd64);
        assert_eq!(normal.variant, None);
    }

    #[test]
    fn normalisation_keeps_other_fields() {
        let mut platform = p("Windows(10.0.17763.1)/x86_64");
        platform.os_features = vec!["win32k".into()];
        platform.features = vec!["f".into()];
        platform
            .extra
            .insert("x".into(), serde_json::Value::Bool(true));
        let normal = platform.normalize();
        assert_eq!(normal.to_string(), "windows(10.0.17763.1)/amd64");
        assert_eq!(normal.os_features, platform.os_features);
        assert_eq!(normal.features, platform.features);
        assert_eq!(normal.extra, platform.extra);
    }

    #[test]
    fn exact_matches_after_normalisation() {
        assert!(p("linux/arm64").matches(&p("linux/arm64/v8")));
        assert!(p("linux/arm64/v8").matches(&p("linux/arm64")));
        assert!(p("linux/amd64").matches(&p("Linux/x86_64")));
        assert!(p("linux/amd64").matches(&p("linux/amd64/v1")));
        assert!(p("linux/arm").matches(&p("linux/armhf")));
        assert!(p("linux/ppc64le").matches(&p("linux/ppc64le/power8")));
        assert!(p("linux/riscv64/rva20u64").matches(&p("linux/riscv64")));
        assert!(!p("linux/arm/v8").matches(&p("linux/arm/v7")));
        assert!(!p("linux/amd64").matches(&p("windows/amd64")));
        assert_eq!(
            p("linux/arm64").compatibility(&p("linux/arm64/v8")),
            Some(0)
        );
    }

    #[test]
    fn older_levels_run_closest_first() {
        let host = p("linux/arm/v8");
        assert_eq!(host.compatibility(&p("linux/arm/v7")), Some(1));
        assert_eq!(host.compatibility(&p("linux/arm/v6")), Some(2));
        assert_eq!(host.compatibility(&p("linux/arm/v5")), Some(3));
        assert_eq!(p("linux/arm/v6").compatibility(&p("linux/arm/v7")), None);
        assert_eq!(p("linux/arm").compatibility(&p("linux/arm/v6")), Some(1));

        let host = p("linux/amd64/v3");
        assert_eq!(host.compatibility(&p("linux/amd64/v2")), Some(1));
        assert_eq!(host.compatibility(&p("linux/amd64")), Some(2));
        assert_eq!(p("linux/amd64").compatibility(&p("linux/amd64/v2")), None);
        assert_eq!(host.compatibility(&p("linux/amd64/v4")), None);

        let host = p("linux/arm64/v8.2");
        assert_eq!(host.compatibility(&p("linux/arm64/v8.1")), Some(1));
        assert_eq!(host.compatibility(&p("linux/arm64")), Some(2));
        assert_eq!(host.compatibility(&p("linux/arm64/v8.3")), None);
        assert_eq!(host.compatibility(&p("linux/arm64/v9")), None);
        let host = p("linux/arm64/v9.1");
        assert_eq!(host.compatibility(&p("linux/arm64/v9")), Some(1));
        assert_eq!(host.compatibility(&p("linux/arm64/v8.6")), Some(2));
        assert_eq!(host.compatibility(&p("linux/arm64/v8.7")), None);
        assert_eq!(host.compatibility(&p("linux/arm64")), Some(8));
        assert_eq!(
            p("linux/arm64/v9.7").compatibility(&p("linux/arm64/v8.9")),
            Some(8)
        );

        let host = p("linux/ppc64le/power10");
        assert_eq!(host.compatibility(&p("linux/ppc64le/power9")), Some(1));
        assert_eq!(host.compatibility(&p("linux/ppc64le")), Some(2));
        let host = p("linux/riscv64/rva23u64");
        assert!(
            host.compatibility(&p("linux/riscv64/rva22u64"))
                < host.compatibility(&p("linux/riscv64"))
        );

        // Unknown variants match only themselves.
        assert_eq!(
            p("linux/arm/v9x").compatibility(&p("linux/arm/v9x")),
            Some(0)
        );
        assert_eq!(p("linux/arm/v9x").compatibility(&p("linux/arm/v7")), None);
        assert_eq!(
            p("linux/mips64le/x").compatibility(&p("linux/mips64le")),
            None
        );
    }

    #[test]
    fn arm64_runs_32_bit_arm_on_linux_after_arm64() {
        let host = p("linux/arm64");
        assert_eq!(
            host.compatibility(&p("linux/arm/v8")),
            Some(OTHER_ARCH_RANK)
        );
        assert_eq!(
            host.compatibility(&p("linux/arm/v7")),
            Some(OTHER_ARCH_RANK + 1)
        );
        assert_eq!(
            host.compatibility(&p("linux/arm")),
            Some(OTHER_ARCH_RANK + 1)
        );
        assert_eq!(
            host.compatibility(&p("linux/arm/v5")),
            Some(OTHER_ARCH_RANK + 3)
        );
        assert_eq!(
            p("linux/arm64/v9.5").compatibility(&p("linux/arm/v7")),
            Some(OTHER_ARCH_RANK + 1)
        );
        assert_eq!(p("windows/arm64").compatibility(&p("windows/arm/v7")), None);
        assert_eq!(p("linux/arm/v8").compatibility(&p("linux/arm64")), None);
        let candidates = [p("linux/arm/v7"), p("linux/arm64/v8"), p("linux/arm/v8")];
        assert_eq!(host.select(candidates.iter().map(Some)), Some(1));
    }

    #[test]
    fn what_does_not_run() {
        let amd64 = p("linux/amd64");
        assert_eq!(amd64.compatibility(&p("linux/386")), None);
        assert_eq!(amd64.compatibility(&p("linux/arm64")), None);
        assert_eq!(p("linux/arm64").compatibility(&amd64), None);
        assert_eq!(amd64.compatibility(&p("windows/amd64")), None);
        assert_eq!(p("windows/amd64").compatibility(&amd64), None);
        assert_eq!(amd64.compatibility(&p("darwin/amd64")), None);
    }

    #[test]
    fn os_features_of_the_candidate_must_be_on_the_host() {
        let mut host = p("windows/amd64");
        let mut needs_win32k = p("windows/amd64");
        needs_win32k.os_features = vec!["win32k".into()];
        assert_eq!(host.compatibility(&needs_win32k), None);
        assert!(needs_win32k.matches(&host));
        host.os_features = vec!["other".into(), "win32k".into()];
        assert!(host.matches(&needs_win32k));
        needs_win32k.os_features.push("more".into());
        assert!(!host.matches(&needs_win32k));
    }

    #[test]
    fn windows_os_versions() {
        let host = p("windows(10.0.17763.1879)/amd64");
        assert!(host.matches(&p("windows(10.0.17763.2000)/amd64")));
        assert!(host.matches(&p("windows/amd64")));
        assert!(p("windows/amd64").matches(&p("windows(10.0.20348.1)/amd64")));
        assert!(!host.matches(&p("windows(10.0.14393.1066)/amd64")));
        assert!(!host.matches(&p("windows(6.3.17763.1)/amd64")));
        assert!(!host.matches(&p("windows(ltsc2019)/amd64")));
        // Windows Server 2022 and later run ltsc2022 images, after their own build.
        let host = p("windows(10.0.26100.1)/amd64");
        assert_eq!(
            host.compatibility(&p("windows(10.0.20348.2113)/amd64")),
            Some(OLDER_WINDOWS_BUILD_RANK)
        );
        assert_eq!(host.compatibility(&p("windows(10.0.17763.1)/amd64")), None);
        assert_eq!(host.compatibility(&p("windows(10.0.26200.1)/amd64")), None);
        let candidates = [
            p("windows(10.0.20348.2113)/amd64"),
            p("windows(10.0.26100.2)/amd64"),
        ];
        assert_eq!(host.select(candidates.iter().map(Some)), Some(1));
        // An unreadable host version is not compared.
        assert!(p("windows(ltsc2022)/amd64").matches(&p("windows(10.0.1.1)/amd64")));
        // Versions are compared on Windows only.
        assert!(p("linux(5.15)/amd64").matches(&p("linux(6.1)/amd64")));
    }

    #[test]
    fn select_prefers_the_best_then_the_first() {
        let host = p("linux/arm/v8");
        let v6 = p("linux/arm/v6");
        let v7 = p("linux/arm/v7");
        let v7_again = p("linux/armhf");
        let amd64 = p("linux/amd64");
        assert_eq!(
            host.select([Some(&v6), Some(&v7), Some(&v7_again)]),
            Some(1)
        );
        assert_eq!(
            host.select([Some(&v7_again), Some(&v6), Some(&v7)]),
            Some(0)
        );
        assert_eq!(host.select([Some(&amd64), None, Some(&v6)]), Some(2));
        assert_eq!(host.select([Some(&amd64), None]), None);
        assert_eq!(host.select(std::iter::empty()), None);

        let host = p("linux/amd64");
        let twins = [p("linux/amd64"), p("linux/x86_64"), p("linux/amd64/v1")];
        assert_eq!(host.select(twins.iter().map(Some)), Some(0));
        let with_386 = [p("linux/386"), p("linux/arm64")];
        assert_eq!(host.select(with_386.iter().map(Some)), None);
    }
}
