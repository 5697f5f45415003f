//! Platforms: the OS and CPU an image is built for, and choosing the manifest
//! of an index that suits a host. Implements image-spec image-index.md
//! (`platform`, Platform Variants) and config.md (`architecture`, `os`, `os.*`, `variant`).
//!
//! This file holds the [`Platform`] model, its string form and its rules;
//! the names of operating systems and architectures are in `names.rs`,
//! normalising and matching platforms in `matching.rs`.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crate::Error;
use crate::validate::{Checker, Rule, Validate};

mod matching;
mod names;

use names::normalize_arch;

pub use names::{Arch, Os};

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

    fn p(s: &str) -> Platform {
        s.parse().expect("test platform parses")
    }

    fn parse_error(s: &str) -> String {
        s.parse::<Platform>()
            .expect_err("test platform is rejected")
            .to_string()
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
