//! Platforms: the OS and CPU an image is built for, and choosing the manifest
//! of an index that suits a host. Implements image-spec image-index.md
//! (`platform`, Platform Variants) and config.md (`architecture`, `os`, `os.*`, `variant`).

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

use crate::Error;
use crate::validate::{Checker, Rule, Validate};

/// An operating system, named as a Go `GOOS` value.
///
/// `os` is REQUIRED in an index's `platform` and in an image config; image
/// indexes and configurations SHOULD use, and implementations SHOULD
/// understand, the `GOOS` values of the Go Language document (image-index.md,
/// config.md). Each of those values has a variant here; any other string is
/// kept verbatim in [`Os::Other`], so a document round-trips byte for byte.
///
/// Parsing is exact and never fails: `"linux"` is [`Os::Linux`], while
/// `"Linux"` and `"macos"` are kept as [`Os::Other`]. Such spellings are
/// resolved only by [`Os::normalize`]. `parse` and `From` never put a known
/// name into `Other`; an `Os::Other("linux".into())` built by hand is not
/// equal to `Os::Linux` until normalised.
///
/// ```
/// use ocikit_image::Os;
/// let os: Os = "linux".into();
/// assert_eq!(os, Os::Linux);
/// assert_eq!(Os::from("macos").normalize(), Os::Darwin);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Os {
    /// `aix`: IBM AIX.
    Aix,
    /// `android`: Android.
    Android,
    /// `darwin`: macOS, by Go's name for it (`macos` normalises to this).
    Darwin,
    /// `dragonfly`: DragonFly BSD.
    Dragonfly,
    /// `freebsd`: FreeBSD.
    Freebsd,
    /// `hurd`: GNU Hurd.
    Hurd,
    /// `illumos`: illumos.
    Illumos,
    /// `ios`: iOS.
    Ios,
    /// `js`: JavaScript hosts (browsers, Node.js), with the `wasm` architecture.
    Js,
    /// `linux`: Linux, the operating system of nearly every container image.
    Linux,
    /// `netbsd`: NetBSD.
    Netbsd,
    /// `openbsd`: OpenBSD.
    Openbsd,
    /// `plan9`: Plan 9 from Bell Labs.
    Plan9,
    /// `solaris`: Solaris.
    Solaris,
    /// `wasip1`: WASI preview 1, with the `wasm` architecture.
    Wasip1,
    /// `windows`: Windows, where `os.version` and `os.features` (`win32k`)
    /// matter when choosing an image.
    Windows,
    /// `zos`: IBM z/OS.
    Zos,
    /// Any other value, verbatim: a `GOOS` value this crate does not list, or
    /// a spelling that is not a `GOOS` value at all (`macos`, `Linux`).
    Other(String),
}

impl Os {
    /// The value as it appears in JSON: the `GOOS` name, or the `Other` string.
    pub fn as_str(&self) -> &str {
        match self {
            Os::Aix => "aix",
            Os::Android => "android",
            Os::Darwin => "darwin",
            Os::Dragonfly => "dragonfly",
            Os::Freebsd => "freebsd",
            Os::Hurd => "hurd",
            Os::Illumos => "illumos",
            Os::Ios => "ios",
            Os::Js => "js",
            Os::Linux => "linux",
            Os::Netbsd => "netbsd",
            Os::Openbsd => "openbsd",
            Os::Plan9 => "plan9",
            Os::Solaris => "solaris",
            Os::Wasip1 => "wasip1",
            Os::Windows => "windows",
            Os::Zos => "zos",
            Os::Other(s) => s,
        }
    }

    /// The canonical `GOOS` spelling, as containerd and Docker normalise it:
    /// lower-cased, and `macos` becomes `darwin`. Unknown names stay in
    /// [`Os::Other`], lower-cased.
    pub fn normalize(&self) -> Os {
        let lower = self.as_str().to_ascii_lowercase();
        if lower == "macos" {
            Os::Darwin
        } else {
            Os::from(lower)
        }
    }

    fn known(s: &str) -> Option<Os> {
        Some(match s {
            "aix" => Os::Aix,
            "android" => Os::Android,
            "darwin" => Os::Darwin,
            "dragonfly" => Os::Dragonfly,
            "freebsd" => Os::Freebsd,
            "hurd" => Os::Hurd,
            "illumos" => Os::Illumos,
            "ios" => Os::Ios,
            "js" => Os::Js,
            "linux" => Os::Linux,
            "netbsd" => Os::Netbsd,
            "openbsd" => Os::Openbsd,
            "plan9" => Os::Plan9,
            "solaris" => Os::Solaris,
            "wasip1" => Os::Wasip1,
            "windows" => Os::Windows,
            "zos" => Os::Zos,
            _ => return None,
        })
    }
}

/// A CPU architecture, named as a Go `GOARCH` value.
///
/// `architecture` is REQUIRED in an index's `platform` and in an image config;
/// image indexes and configurations SHOULD use, and implementations SHOULD
/// understand, the `GOARCH` values of the Go Language document (image-index.md,
/// config.md). Each commonly used value has a variant here; any other string is
/// kept verbatim in [`Arch::Other`], so a document round-trips byte for byte.
///
/// Parsing is exact and never fails: `"x86_64"` stays
/// `Arch::Other("x86_64")`. Aliases are resolved only by normalisation
/// ([`Arch::normalize`], or [`Platform::normalize`], which also fixes the
/// `variant` an alias implies, as `armhf` implies `v7`).
///
/// ```
/// use ocikit_image::Arch;
/// assert_eq!(Arch::from("386"), Arch::I386);
/// assert_eq!(Arch::from("x86_64"), Arch::Other("x86_64".into()));
/// assert_eq!(Arch::from("x86_64").normalize(), Arch::Amd64);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Arch {
    /// `386`: 32-bit x86 (i386 to i686).
    I386,
    /// `amd64`: 64-bit x86 (x86-64, x64). Variants `v1` to `v4` are the x86-64
    /// micro-architecture levels (Go's `GOAMD64`); no variant means `v1`.
    Amd64,
    /// `arm`: 32-bit ARM. Variants `v6`, `v7`, `v8` (and `v5`) follow Go's
    /// `GOARM`; no variant means `v7`.
    Arm,
    /// `arm64`: 64-bit ARM (AArch64). Variants `v8`, `v8.1`, … and `v9`, …
    /// follow Go's `GOARM64`; no variant means `v8`.
    Arm64,
    /// `loong64`: 64-bit LoongArch.
    Loong64,
    /// `mips`: 32-bit MIPS, big-endian.
    Mips,
    /// `mipsle`: 32-bit MIPS, little-endian.
    Mipsle,
    /// `mips64`: 64-bit MIPS, big-endian.
    Mips64,
    /// `mips64le`: 64-bit MIPS, little-endian.
    Mips64le,
    /// `ppc64`: 64-bit POWER, big-endian.
    Ppc64,
    /// `ppc64le`: 64-bit POWER, little-endian. Variants `power8`, `power9`, …
    /// follow Go's `GOPPC64`; no variant means `power8`.
    Ppc64le,
    /// `riscv64`: 64-bit RISC-V. Variants are RVA profiles, `rva20u64`,
    /// `rva22u64`, … (Go's `GORISCV64`); no variant means `rva20u64`.
    Riscv64,
    /// `s390x`: IBM Z, 64-bit.
    S390x,
    /// `wasm`: WebAssembly, with the `js` or `wasip1` operating system.
    Wasm,
    /// Any other value, verbatim: a `GOARCH` value this crate does not list
    /// (`ppc`, `sparc64`, …) or an alias that is not one (`x86_64`, `aarch64`).
    Other(String),
}

impl Arch {
    /// The value as it appears in JSON: the `GOARCH` name, or the `Other` string.
    pub fn as_str(&self) -> &str {
        match self {
            Arch::I386 => "386",
            Arch::Amd64 => "amd64",
            Arch::Arm => "arm",
            Arch::Arm64 => "arm64",
            Arch::Loong64 => "loong64",
            Arch::Mips => "mips",
            Arch::Mipsle => "mipsle",
            Arch::Mips64 => "mips64",
            Arch::Mips64le => "mips64le",
            Arch::Ppc64 => "ppc64",
            Arch::Ppc64le => "ppc64le",
            Arch::Riscv64 => "riscv64",
            Arch::S390x => "s390x",
            Arch::Wasm => "wasm",
            Arch::Other(s) => s,
        }
    }

    /// The `GOARCH` name of an architecture alias, as containerd and Docker
    /// resolve them: lower-cased, `x86_64` and `x86-64` become `amd64`,
    /// `aarch64` becomes `arm64`, `armhf` and `armel` become `arm`, and
    /// `i386` to `i686` and `x86` become `386`. Unknown names stay in
    /// [`Arch::Other`], lower-cased.
    ///
    /// This looks at the name only; [`Platform::normalize`] also sets the
    /// variant an alias implies (`armhf` is `arm` `v7`, `armel` is `arm` `v6`).
    pub fn normalize(&self) -> Arch {
        normalize_arch(self.as_str(), None).0
    }

    fn known(s: &str) -> Option<Arch> {
        Some(match s {
            "386" => Arch::I386,
            "amd64" => Arch::Amd64,
            "arm" => Arch::Arm,
            "arm64" => Arch::Arm64,
            "loong64" => Arch::Loong64,
            "mips" => Arch::Mips,
            "mipsle" => Arch::Mipsle,
            "mips64" => Arch::Mips64,
            "mips64le" => Arch::Mips64le,
            "ppc64" => Arch::Ppc64,
            "ppc64le" => Arch::Ppc64le,
            "riscv64" => Arch::Riscv64,
            "s390x" => Arch::S390x,
            "wasm" => Arch::Wasm,
            _ => return None,
        })
    }
}

/// The conversions and serde support of the two open enums are the same.
macro_rules! name_conversions {
    ($ty:ident, $expecting:literal) => {
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl From<&str> for $ty {
            fn from(s: &str) -> Self {
                $ty::known(s).unwrap_or_else(|| $ty::Other(s.to_owned()))
            }
        }

        impl From<String> for $ty {
            fn from(s: String) -> Self {
                $ty::known(&s).unwrap_or($ty::Other(s))
            }
        }

        impl FromStr for $ty {
            type Err = Infallible;
            fn from_str(s: &str) -> Result<Self, Infallible> {
                Ok($ty::from(s))
            }
        }

        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_str(NameVisitor {
                    expecting: $expecting,
                    _value: PhantomData,
                })
            }
        }
    };
}

name_conversions!(
    Os,
    "an operating system name (a GOOS value such as \"linux\")"
);
name_conversions!(
    Arch,
    "a CPU architecture name (a GOARCH value such as \"amd64\")"
);

/// Deserialises a JSON string into [`Os`] or [`Arch`], taking ownership of the
/// string when the deserialiser offers it.
struct NameVisitor<T> {
    expecting: &'static str,
    _value: PhantomData<T>,
}

impl<'de, T> Visitor<'de> for NameVisitor<T>
where
    T: From<String> + for<'a> From<&'a str>,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        Ok(T::from(v))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<T, E> {
        Ok(T::from(v))
    }
}

ocikit_spec_core::model! {
    /// The platform an image is built for: the minimum runtime requirements of a
    /// manifest (image-index.md, `platform`), and the same fields of an image
    /// config (config.md).
    ///
    /// In JSON the fields appear in this order:
    ///
    /// - `architecture` (REQUIRED): the CPU architecture, a `GOARCH` value.
    /// - `os` (REQUIRED): the operating system, a `GOOS` value.
    /// - `os.version` (OPTIONAL): the version of the operating system targeted;
    ///   implementations MAY refuse manifests whose `os.version` is not known to
    ///   work with the host. Values are implementation-defined, e.g.
    ///   `10.0.14393.1066` on `windows`.
    /// - `os.features` (OPTIONAL): mandatory OS features. On `windows`, `win32k`
    ///   means the image needs `win32k.sys` on the host (Nano Server lacks it).
    /// - `variant` (OPTIONAL): the variant of the CPU, from the spec's Platform
    ///   Variants table (`arm` `v6`/`v7`/`v8`, `arm64` `v8`/`v8.1`/…, `ppc64le`
    ///   `power8`/…, `riscv64` `rva20u64`/…, `amd64` `v1`/`v2`/`v3`/…).
    /// - `features`: RESERVED for future versions of the specification.
    ///
    /// Fields the spec does not define are kept in [`Platform::extra`].
    ///
    /// The string form used on command lines, `os[(os.version)]/arch[/variant]`,
    /// is [`FromStr`] and [`Display`](fmt::Display). Choosing among the manifests
    /// of an index is [`Platform::select`]; "if multiple manifests match a client
    /// or runtime's requirements, the first matching entry SHOULD be used".
    ///
    /// ```
    /// use ocikit_image::Platform;
    ///
    /// let host: Platform = "linux/arm/v8".parse()?;
    /// let offered: Vec<Platform> = ["linux/amd64", "linux/arm/v6", "linux/arm/v7"]
    ///     .iter()
    ///     .map(|s| s.parse())
    ///     .collect::<Result<_, _>>()?;
    /// // arm v8 runs v7 and v6 code; v7 is the closer fit.
    /// assert_eq!(host.select(offered.iter().map(Some)), Some(2));
    /// # Ok::<(), ocikit_image::Error>(())
    /// ```
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct Platform ("a platform object") {
        /// The CPU architecture (REQUIRED): image indexes and configurations
        /// SHOULD use the `GOARCH` values of the Go Language document.
        architecture: Arch => "architecture" (required),

        /// The operating system (REQUIRED): image indexes and configurations
        /// SHOULD use the `GOOS` values of the Go Language document.
        os: Os => "os" (required),

        /// `os.version` (OPTIONAL): the version of the operating system targeted,
        /// such as `10.0.14393.1066` on Windows. Valid values are
        /// implementation-defined; implementations MAY refuse manifests whose
        /// version is not known to work with the host.
        os_version: Option<String> => "os.version" (optional),

        /// `os.features` (OPTIONAL): each entry names a mandatory OS feature. On
        /// Windows the spec defines `win32k` (the image needs `win32k.sys`, which
        /// Nano Server lacks); elsewhere values are implementation-defined.
        /// Absent and `[]` are read alike and written as absent.
        os_features: Vec<String> => "os.features" (default),

        /// The variant of the CPU (OPTIONAL), such as `v7` for `arm` or `v8` for
        /// `arm64`; image indexes SHOULD use the values of the spec's Platform
        /// Variants table, and other values are implementation-defined.
        variant: Option<String> => "variant" (optional),

        /// `features`: RESERVED for future versions of the specification. Kept as
        /// read; absent and `[]` are read alike and written as absent.
        features: Vec<String> => "features" (default),
    }
}

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
    /// A platform with only the two REQUIRED fields set.
    ///
    /// ```
    /// use ocikit_image::{Arch, Os, Platform};
    /// let p = Platform::new(Os::Linux, "arm64").with_variant("v8");
    /// assert_eq!(p.architecture, Arch::Arm64);
    /// assert_eq!(p.to_string(), "linux/arm64/v8");
    /// ```
    pub fn new(os: impl Into<Os>, architecture: impl Into<Arch>) -> Platform {
        Platform {
            architecture: architecture.into(),
            os: os.into(),
            os_version: None,
            os_features: Vec::new(),
            variant: None,
            features: Vec::new(),
            extra: BTreeMap::new(),
        }
    }

    /// The same platform with `variant` set, such as `v7` for `arm`.
    pub fn with_variant(mut self, variant: impl Into<String>) -> Self {
        self.variant = Some(variant.into());
        self
    }

    /// The same platform with `os.version` set, such as `10.0.17763.1879`
    /// for Windows Server 2019.
    pub fn with_os_version(mut self, os_version: impl Into<String>) -> Self {
        self.os_version = Some(os_version.into());
        self
    }

    /// The platform of the running process: [`std::env::consts::OS`] and
    /// [`ARCH`](std::env::consts::ARCH) in Go's names (`macos` is `darwin`,
    /// `x86_64` is `amd64`, `aarch64` is `arm64`, `x86` is `386`,
    /// little-endian `powerpc64` is `ppc64le`, `loongarch64` is `loong64`,
    /// …), normalised.
    ///
    /// # Limitations
    ///
    /// The CPU is not probed: the variant is the default of the architecture
    /// (`amd64` is `v1`, `arm64` is `v8`, 32-bit `arm` is `v7`), and
    /// `os.version` and `os.features` are not set. A host that knows better
    /// says so, e.g. `Platform::host().with_variant("v3")` on an x86-64-v3
    /// machine, or sets `os.version` on Windows.
    pub fn host() -> Platform {
        use std::env::consts;
        let little_endian = cfg!(target_endian = "little");
        let os = match consts::OS {
            "macos" => "darwin",
            "wasi" => "wasip1",
            other => other,
        };
        let architecture = match consts::ARCH {
            "x86" => "386",
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            "loongarch64" => "loong64",
            "powerpc" => "ppc",
            "powerpc64" if little_endian => "ppc64le",
            "powerpc64" => "ppc64",
            "mips" if little_endian => "mipsle",
            "mips64" if little_endian => "mips64le",
            "riscv32" => "riscv",
            "wasm32" => "wasm",
            other => other,
        };
        Platform::new(os, architecture).normalize()
    }

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

/// Lower-cases an architecture and its variant and resolves the aliases that
/// containerd and Docker resolve (see [`Platform::normalize`]).
fn normalize_arch(arch: &str, variant: Option<&str>) -> (Arch, Option<String>) {
    let arch = arch.to_ascii_lowercase();
    let variant = variant
        .filter(|v| !v.is_empty())
        .map(str::to_ascii_lowercase);
    match arch.as_str() {
        "386" => (Arch::I386, variant),
        "i386" | "i486" | "i586" | "i686" | "x86" => (Arch::I386, None),
        "amd64" | "x86_64" | "x86-64" => (Arch::Amd64, variant.filter(|v| v != "v1")),
        "arm64" | "aarch64" => {
            let variant = match variant.as_deref() {
                Some("8" | "v8" | "v8.0") => None,
                Some("9" | "9.0" | "v9.0") => Some("v9".to_owned()),
                _ => variant,
            };
            (Arch::Arm64, variant)
        }
        "armhf" => (Arch::Arm, Some("v7".to_owned())),
        "armel" => (Arch::Arm, Some("v6".to_owned())),
        "arm" => {
            let variant = match variant.as_deref() {
                None | Some("7") => Some("v7".to_owned()),
                Some(n @ ("5" | "6" | "8")) => Some(format!("v{n}")),
                _ => variant,
            };
            (Arch::Arm, variant)
        }
        _ => (Arch::from(arch), variant),
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

impl FromStr for Platform {
    type Err = Error;

    /// Parses `os[(os.version)]/architecture[/variant]`, such as
    /// `linux/amd64`, `linux/arm64/v8` or `windows(10.0.17763.1)/amd64` (the
    /// form containerd and Docker accept, without their shorthands that fill
    /// in the host's os or architecture). Names are kept exactly as given;
    /// call [`Platform::normalize`] to resolve aliases such as `x86_64`.
    ///
    /// Each component is non-empty and made of ASCII letters, digits, `_`,
    /// `.` and `-`; a string with whitespace, an empty component or more
    /// than three components is an [`Error::InvalidPlatform`].
    fn from_str(s: &str) -> Result<Self, Error> {
        parse_platform(s).map_err(|reason| Error::InvalidPlatform {
            input: s.to_owned(),
            reason,
        })
    }
}

impl TryFrom<&str> for Platform {
    type Error = Error;

    /// The same as [`str::parse`].
    fn try_from(s: &str) -> Result<Self, Error> {
        s.parse()
    }
}

const FORMAT: &str = "expected os/architecture[/variant], such as linux/amd64";

fn parse_platform(s: &str) -> Result<Platform, String> {
    if s.is_empty() {
        return Err(format!("the string is empty; {FORMAT}"));
    }
    if let Some(c) = s.chars().find(|c| c.is_whitespace()) {
        return Err(format!("whitespace ({c:?}) is not allowed"));
    }
    let parts: Vec<&str> = s.splitn(4, '/').collect();
    let (os, architecture, variant) = match parts[..] {
        [os, architecture] => (os, architecture, None),
        [os, architecture, variant] => (os, architecture, Some(variant)),
        [_] => return Err(format!("the architecture is missing; {FORMAT}")),
        _ => return Err(format!("more than three components; {FORMAT}")),
    };
    let (os, os_version) = parse_os(os)?;
    check_component("architecture", architecture)?;
    let mut platform = Platform::new(os, architecture);
    platform.os_version = os_version;
    if let Some(variant) = variant {
        check_component("variant", variant)?;
        platform.variant = Some(variant.to_owned());
    }
    Ok(platform)
}

/// The first component, `os` or `os(os.version)`.
fn parse_os(component: &str) -> Result<(String, Option<String>), String> {
    let (name, version) = match component.split_once('(') {
        None => (component, None),
        Some((name, rest)) => {
            let Some(version) = rest.strip_suffix(')') else {
                return Err(format!(
                    "the os version in {component:?} must be closed by ')' at the end of the os"
                ));
            };
            (name, Some(version))
        }
    };
    check_component("os", name)?;
    if let Some(version) = version {
        if version.is_empty() {
            return Err("the os version in parentheses is empty".to_owned());
        }
        check_component("os version", version)?;
    }
    Ok((name.to_owned(), version.map(str::to_owned)))
}

fn check_component(what: &str, value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err(format!("the {what} is empty; {FORMAT}"));
    }
    match value
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
    {
        Some(c) => Err(format!(
            "{c:?} in the {what} {value:?} is not allowed (use ASCII letters, digits, '_', '.' and '-')"
        )),
        None => Ok(()),
    }
}

impl fmt::Display for Platform {
    /// `os[(os.version)]/architecture[/variant]`, the form [`FromStr`] reads;
    /// an empty `os.version` or `variant` is left out.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.os.as_str())?;
        if let Some(version) = self.os_version.as_deref().filter(|v| !v.is_empty()) {
            write!(f, "({version})")?;
        }
        write!(f, "/{}", self.architecture)?;
        if let Some(variant) = self.variant.as_deref().filter(|v| !v.is_empty()) {
            write!(f, "/{variant}")?;
        }
        Ok(())
    }
}

impl Validate for Platform {
    type Rule = Rule;
    const KIND: &'static str = "platform";

    /// Errors ([`Rule::Platform`]): `os` or `architecture` empty (both are
    /// REQUIRED). Warnings: an `architecture` or `os` that is an alias or
    /// a wrong-case spelling of a `GOARCH`/`GOOS` value (which the spec says
    /// SHOULD be used), an empty `os.features` entry, and any `features`
    /// (RESERVED for future versions of the specification).
    fn check_into(&self, checker: &mut Checker) {
        checker.field("architecture", |c| {
            let arch = self.architecture.as_str();
            if arch.is_empty() {
                c.error(
                    Rule::Platform,
                    "must not be empty: the CPU architecture is REQUIRED (a GOARCH value such as \"amd64\")",
                );
            } else if let Arch::Other(_) = self.architecture {
                let (known, variant) = normalize_arch(arch, self.variant.as_deref());
                if !matches!(known, Arch::Other(_)) {
                    let with_variant = match variant {
                        Some(v) if Some(v.as_str()) != self.variant.as_deref() => {
                            format!(" with variant {v:?}")
                        }
                        _ => String::new(),
                    };
                    c.warning(
                        Rule::Platform,
                        format!(
                            "{arch:?} should be {:?}{with_variant} (GOARCH)",
                            known.as_str()
                        ),
                    );
                }
            }
        });
        checker.field("os", |c| {
            let os = self.os.as_str();
            if os.is_empty() {
                c.error(
                    Rule::Platform,
                    "must not be empty: the operating system is REQUIRED (a GOOS value such as \"linux\")",
                );
            } else if let Os::Other(_) = self.os {
                let known = self.os.normalize();
                if !matches!(known, Os::Other(_)) {
                    c.warning(
                        Rule::Platform,
                        format!("{os:?} should be {:?} (GOOS)", known.as_str()),
                    );
                }
            }
        });
        checker.field("os.features", |c| {
            for (i, feature) in self.os_features.iter().enumerate() {
                if feature.is_empty() {
                    c.index(i, |c| {
                        c.warning(
                            Rule::Platform,
                            "empty string: each entry names a mandatory OS feature",
                        )
                    });
                }
            }
        });
        if !self.features.is_empty() {
            checker.field("features", |c| {
                c.warning(
                    Rule::Platform,
                    "this property is RESERVED for future versions of the specification",
                )
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::Severity;

    const ALL_OS: [(Os, &str); 17] = [
        (Os::Aix, "aix"),
        (Os::Android, "android"),
        (Os::Darwin, "darwin"),
        (Os::Dragonfly, "dragonfly"),
        (Os::Freebsd, "freebsd"),
        (Os::Hurd, "hurd"),
        (Os::Illumos, "illumos"),
        (Os::Ios, "ios"),
        (Os::Js, "js"),
        (Os::Linux, "linux"),
        (Os::Netbsd, "netbsd"),
        (Os::Openbsd, "openbsd"),
        (Os::Plan9, "plan9"),
        (Os::Solaris, "solaris"),
        (Os::Wasip1, "wasip1"),
        (Os::Windows, "windows"),
        (Os::Zos, "zos"),
    ];

    const ALL_ARCH: [(Arch, &str); 14] = [
        (Arch::I386, "386"),
        (Arch::Amd64, "amd64"),
        (Arch::Arm, "arm"),
        (Arch::Arm64, "arm64"),
        (Arch::Loong64, "loong64"),
        (Arch::Mips, "mips"),
        (Arch::Mipsle, "mipsle"),
        (Arch::Mips64, "mips64"),
        (Arch::Mips64le, "mips64le"),
        (Arch::Ppc64, "ppc64"),
        (Arch::Ppc64le, "ppc64le"),
        (Arch::Riscv64, "riscv64"),
        (Arch::S390x, "s390x"),
        (Arch::Wasm, "wasm"),
    ];

    fn p(s: &str) -> Platform {
        s.parse().expect("test platform parses")
    }

    fn parse_error(s: &str) -> String {
        s.parse::<Platform>()
            .expect_err("test platform is rejected")
            .to_string()
    }

    #[test]
    fn os_and_arch_names_round_trip() {
        for (os, name) in ALL_OS {
            assert_eq!(os.as_str(), name);
            assert_eq!(Os::from(name), os);
            assert_eq!(Os::from(name.to_owned()), os);
            assert_eq!(name.parse::<Os>(), Ok(os.clone()));
            assert_eq!(os.to_string(), name);
            assert_eq!(os.normalize(), os);
        }
        for (arch, name) in ALL_ARCH {
            assert_eq!(arch.as_str(), name);
            assert_eq!(Arch::from(name), arch);
            assert_eq!(Arch::from(name.to_owned()), arch);
            assert_eq!(name.parse::<Arch>(), Ok(arch.clone()));
            assert_eq!(arch.to_string(), name);
            assert_eq!(arch.normalize(), arch);
        }
    }

    #[test]
    fn parsing_names_is_exact() {
        assert_eq!(Os::from("Linux"), Os::Other("Linux".into()));
        assert_eq!(Os::from("macos"), Os::Other("macos".into()));
        assert_eq!(Os::from(""), Os::Other(String::new()));
        assert_eq!(Arch::from("x86_64"), Arch::Other("x86_64".into()));
        assert_eq!(Arch::from("AMD64"), Arch::Other("AMD64".into()));
        assert_eq!(Arch::from("x86_64").normalize(), Arch::Amd64);
        assert_eq!(Arch::from("armhf").normalize(), Arch::Arm);
        assert_eq!(Arch::from("I686").normalize(), Arch::I386);
        assert_eq!(
            Arch::from("sparc64").normalize(),
            Arch::Other("sparc64".into())
        );
        assert_eq!(Os::from("MacOS").normalize(), Os::Darwin);
        assert_eq!(Os::Other("linux".into()).normalize(), Os::Linux);
    }

    #[test]
    fn names_serialize_as_plain_strings() {
        let json = serde_json::to_string(&(Os::Linux, Arch::I386, Arch::from("x86_64")))
            .expect("serializes");
        assert_eq!(json, r#"["linux","386","x86_64"]"#);
        let back: (Os, Arch, Arch) = serde_json::from_str(&json).expect("deserializes");
        assert_eq!(back, (Os::Linux, Arch::I386, Arch::Other("x86_64".into())));
        let err = serde_json::from_str::<Os>("7").expect_err("a number is no os");
        assert_eq!(
            err.to_string(),
            "invalid type: integer `7`, expected an operating system name (a GOOS value such as \"linux\") at line 1 column 1"
        );
        let err = serde_json::from_str::<Arch>("null").expect_err("null is no arch");
        assert_eq!(
            err.to_string(),
            "invalid type: null, expected a CPU architecture name (a GOARCH value such as \"amd64\") at line 1 column 4"
        );
    }

    #[test]
    fn parses_good_strings() {
        assert_eq!(p("linux/amd64"), Platform::new(Os::Linux, Arch::Amd64));
        assert_eq!(
            p("linux/arm64/v8"),
            Platform::new(Os::Linux, Arch::Arm64).with_variant("v8")
        );
        assert_eq!(p("windows/amd64"), Platform::new(Os::Windows, Arch::Amd64));
        assert_eq!(
            p("windows(10.0.17763.1)/amd64"),
            Platform::new(Os::Windows, Arch::Amd64).with_os_version("10.0.17763.1")
        );
        assert_eq!(
            p("freebsd/riscv64/rva22u64"),
            Platform::new(Os::Freebsd, Arch::Riscv64).with_variant("rva22u64")
        );
        // Names are kept as given; normalising is a separate step.
        let odd = p("Linux/x86_64");
        assert_eq!(odd.os, Os::Other("Linux".into()));
        assert_eq!(odd.architecture, Arch::Other("x86_64".into()));
        assert_eq!(
            Platform::try_from("linux/arm/v7").expect("parses"),
            p("linux/arm/v7")
        );
    }

    #[test]
    fn rejects_bad_strings_with_reasons() {
        let cases = [
            (
                "",
                r#"invalid platform "": the string is empty; expected os/architecture[/variant], such as linux/amd64"#,
            ),
            (
                "linux",
                r#"invalid platform "linux": the architecture is missing; expected os/architecture[/variant], such as linux/amd64"#,
            ),
            (
                "linux/",
                r#"invalid platform "linux/": the architecture is empty; expected os/architecture[/variant], such as linux/amd64"#,
            ),
            (
                "/amd64",
                r#"invalid platform "/amd64": the os is empty; expected os/architecture[/variant], such as linux/amd64"#,
            ),
            (
                "linux//v8",
                r#"invalid platform "linux//v8": the architecture is empty; expected os/architecture[/variant], such as linux/amd64"#,
            ),
            (
                "linux/arm64/",
                r#"invalid platform "linux/arm64/": the variant is empty; expected os/architecture[/variant], such as linux/amd64"#,
            ),
            (
                "linux/arm64/v8/extra",
                r#"invalid platform "linux/arm64/v8/extra": more than three components; expected os/architecture[/variant], such as linux/amd64"#,
            ),
            (
                "linux/a/b/c/d/e",
                r#"invalid platform "linux/a/b/c/d/e": more than three components; expected os/architecture[/variant], such as linux/amd64"#,
            ),
            (
                "linux/ amd64",
                r#"invalid platform "linux/ amd64": whitespace (' ') is not allowed"#,
            ),
            (
                "linux/amd64\n",
                r#"invalid platform "linux/amd64\n": whitespace ('\n') is not allowed"#,
            ),
            (
                "linux/amd+64",
                r#"invalid platform "linux/amd+64": '+' in the architecture "amd+64" is not allowed (use ASCII letters, digits, '_', '.' and '-')"#,
            ),
            (
                "linux/arm/v7!",
                r#"invalid platform "linux/arm/v7!": '!' in the variant "v7!" is not allowed (use ASCII letters, digits, '_', '.' and '-')"#,
            ),
            (
                "windows(10.0/amd64",
                r#"invalid platform "windows(10.0/amd64": the os version in "windows(10.0" must be closed by ')' at the end of the os"#,
            ),
            (
                "windows(10.0)x/amd64",
                r#"invalid platform "windows(10.0)x/amd64": the os version in "windows(10.0)x" must be closed by ')' at the end of the os"#,
            ),
            (
                "windows()/amd64",
                r#"invalid platform "windows()/amd64": the os version in parentheses is empty"#,
            ),
            (
                "windows)/amd64",
                r#"invalid platform "windows)/amd64": ')' in the os "windows)" is not allowed (use ASCII letters, digits, '_', '.' and '-')"#,
            ),
            (
                "(10.0)/amd64",
                r#"invalid platform "(10.0)/amd64": the os is empty; expected os/architecture[/variant], such as linux/amd64"#,
            ),
            (
                "windows((1))/amd64",
                r#"invalid platform "windows((1))/amd64": '(' in the os version "(1)" is not allowed (use ASCII letters, digits, '_', '.' and '-')"#,
            ),
            (
                "linux/amd64(1)",
                r#"invalid platform "linux/amd64(1)": '(' in the architecture "amd64(1)" is not allowed (use ASCII letters, digits, '_', '.' and '-')"#,
            ),
            (
                "lïnux/amd64",
                r#"invalid platform "lïnux/amd64": 'ï' in the os "lïnux" is not allowed (use ASCII letters, digits, '_', '.' and '-')"#,
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(parse_error(input), expected, "input {input:?}");
        }
        let err = "linux".parse::<Platform>().expect_err("rejected");
        assert!(matches!(err, Error::InvalidPlatform { ref input, .. } if input == "linux"));
    }

    #[test]
    fn odd_input_never_panics() {
        for input in [
            "(",
            ")",
            "()",
            "(/",
            "/",
            "//",
            "///",
            "é(é)/é",
            "é(/a",
            "a(é/b",
            "\u{0}/\u{0}",
            "a(b)(c)/d",
            "((((",
            "a/b/c/",
            "\u{200b}/x",
        ] {
            assert!(input.parse::<Platform>().is_err(), "{input:?}");
        }
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "linux/amd64",
            "linux/arm64/v8",
            "linux/arm/v7",
            "windows/amd64",
            "windows(10.0.17763.1)/amd64",
            "windows(10.0.20348.2113)/arm64/v8.2",
            "Linux/x86_64",
        ] {
            assert_eq!(p(s).to_string(), s);
        }
        let mut empty_parts = Platform::new(Os::Linux, Arch::Arm64).with_variant("");
        empty_parts.os_version = Some(String::new());
        assert_eq!(empty_parts.to_string(), "linux/arm64");
    }

    #[test]
    fn serde_round_trips_byte_for_byte() {
        let docs = [
            r#"{"architecture":"arm64","os":"linux","variant":"v8"}"#,
            r#"{"architecture":"amd64","os":"windows","os.version":"10.0.17763.1879","os.features":["win32k"],"x-vendor":{"a":[1,true]}}"#,
            r#"{"architecture":"x86_64","os":"Linux","features":["sse4"],"annotation":"kept"}"#,
        ];
        for doc in docs {
            let platform: Platform = serde_json::from_str(doc).expect("deserializes");
            assert_eq!(serde_json::to_string(&platform).expect("serializes"), doc);
        }
        let windows: Platform = serde_json::from_str(docs[1]).expect("deserializes");
        assert_eq!(windows.os_version.as_deref(), Some("10.0.17763.1879"));
        assert_eq!(windows.os_features, ["win32k"]);
        assert_eq!(
            windows.extra["x-vendor"],
            serde_json::json!({"a": [1, true]})
        );
    }

    #[test]
    fn serde_refuses_null_lists_and_needs_os_and_architecture() {
        // Only config.md lets OPTIONAL fields be null; a platform in an
        // index may not (the schema types these as arrays).
        let err = serde_json::from_str::<Platform>(
            r#"{"architecture":"amd64","os":"linux","os.features":null}"#,
        )
        .expect_err("null os.features");
        assert!(
            err.to_string()
                .starts_with("invalid type: null, expected a sequence"),
            "{err}"
        );
        let platform: Platform = serde_json::from_str(
            r#"{"architecture":"amd64","os":"linux","os.features":[],"features":[]}"#,
        )
        .expect("deserializes");
        assert_eq!(platform, Platform::new(Os::Linux, Arch::Amd64));
        assert_eq!(
            serde_json::to_string(&platform).expect("serializes"),
            r#"{"architecture":"amd64","os":"linux"}"#
        );
        let err = serde_json::from_str::<Platform>(r#"{"architecture":"amd64"}"#)
            .expect_err("os is required");
        assert!(err.to_string().starts_with("missing field `os`"), "{err}");
        let err = serde_json::from_str::<Platform>(r#"{"os":"linux"}"#)
            .expect_err("architecture is required");
        assert!(
            err.to_string().starts_with("missing field `architecture`"),
            "{err}"
        );
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
    fn host_is_normalised_go_names() {
        let host = Platform::host();
        assert_eq!(host, host.normalize());
        assert!(!host.os.as_str().is_empty());
        assert!(!host.architecture.as_str().is_empty());
        assert!(host.matches(&host));
        if cfg!(all(target_os = "linux", target_arch = "x86_64")) {
            assert_eq!(host, p("linux/amd64"));
        }
        if cfg!(all(target_os = "macos", target_arch = "aarch64")) {
            assert_eq!(host, p("darwin/arm64"));
        }
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

    fn violations(platform: &Platform) -> Vec<(String, Severity, String)> {
        platform
            .check()
            .violations
            .into_iter()
            .map(|v| {
                assert_eq!(v.rule, Rule::Platform);
                (v.path, v.severity, v.message)
            })
            .collect()
    }

    #[test]
    fn validate_accepts_good_platforms() {
        for s in [
            "linux/amd64",
            "linux/arm64/v8",
            "windows(10.0.17763.1)/amd64",
        ] {
            assert_eq!(violations(&p(s)), []);
        }
        let mut windows = p("windows/amd64");
        windows.os_features = vec!["win32k".into()];
        assert_eq!(windows.validate().expect("valid"), []);
        // Unknown but not aliased names are implementation-defined.
        assert_eq!(violations(&p("plan9/sparc64/x")), []);
    }

    #[test]
    fn validate_reports_empty_required_fields() {
        let platform = Platform::new("", "");
        assert_eq!(
            violations(&platform),
            [
                (
                    "architecture".to_owned(),
                    Severity::Error,
                    "must not be empty: the CPU architecture is REQUIRED (a GOARCH value such as \"amd64\")"
                        .to_owned()
                ),
                (
                    "os".to_owned(),
                    Severity::Error,
                    "must not be empty: the operating system is REQUIRED (a GOOS value such as \"linux\")"
                        .to_owned()
                ),
            ]
        );
        let err = Platform::new("", "amd64").validate().expect_err("invalid");
        assert_eq!(
            err.to_string(),
            "platform is invalid: os: must not be empty: the operating system is REQUIRED (a GOOS value such as \"linux\")"
        );
    }

    #[test]
    fn validate_warns_on_aliases_features_and_empty_os_features() {
        let mut platform = Platform::new("macos", "x86_64");
        platform.os_features = vec!["ok".into(), String::new()];
        platform.features = vec!["sse4".into()];
        assert_eq!(
            violations(&platform),
            [
                (
                    "architecture".to_owned(),
                    Severity::Warning,
                    r#""x86_64" should be "amd64" (GOARCH)"#.to_owned()
                ),
                (
                    "os".to_owned(),
                    Severity::Warning,
                    r#""macos" should be "darwin" (GOOS)"#.to_owned()
                ),
                (
                    "[\"os.features\"][1]".to_owned(),
                    Severity::Warning,
                    "empty string: each entry names a mandatory OS feature".to_owned()
                ),
                (
                    "features".to_owned(),
                    Severity::Warning,
                    "this property is RESERVED for future versions of the specification".to_owned()
                ),
            ]
        );
        assert_eq!(platform.validate().expect("warnings only").len(), 4);
        assert_eq!(
            violations(&Platform::new("Linux", "armhf")),
            [
                (
                    "architecture".to_owned(),
                    Severity::Warning,
                    r#""armhf" should be "arm" with variant "v7" (GOARCH)"#.to_owned()
                ),
                (
                    "os".to_owned(),
                    Severity::Warning,
                    r#""Linux" should be "linux" (GOOS)"#.to_owned()
                ),
            ]
        );
        assert_eq!(
            violations(&p("linux/aarch64/v8")),
            [(
                "architecture".to_owned(),
                Severity::Warning,
                r#""aarch64" should be "arm64" (GOARCH)"#.to_owned()
            )]
        );
    }
}
