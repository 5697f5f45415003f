//! The names of operating systems and CPU architectures: Go's `GOOS` and
//! `GOARCH` values, which image indexes and configurations SHOULD use
//! (image-index.md, `platform`; config.md, `architecture` and `os`).

use std::convert::Infallible;
use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

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
/// [`Platform::normalize`]: super::Platform::normalize
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
    ///
    /// [`Platform::normalize`]: super::Platform::normalize
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

/// Lower-cases an architecture and its variant and resolves the aliases that
/// containerd and Docker resolve (see `Platform::normalize`).
pub(super) fn normalize_arch(arch: &str, variant: Option<&str>) -> (Arch, Option<String>) {
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

#[cfg(test)]
mod tests {
    use super::*;

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
}
