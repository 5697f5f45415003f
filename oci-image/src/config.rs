//! Image configurations (image-spec config.md): the execution parameters of
//! an image, its platform, the diff IDs of its layers, and their history.

use std::collections::{BTreeMap, BTreeSet};

use crate::validate::{Checker, Rule, Validate};
use crate::{Arch, Digest, Json, MediaType, Model, Os, Platform};

ocikit_spec_core::model! {
    /// An image configuration (`application/vnd.oci.image.config.v1+json`).
    ///
    /// Field order follows Go's image-spec types, so configs written by Go tools
    /// re-serialise to the same bytes. Docker's extra fields (`container`,
    /// `docker_version`, ...) are kept in [`ImageConfiguration::extra`].
    ///
    /// ```
    /// use ocikit_image::{ImageConfiguration, Json, Platform, Validate};
    /// let mut config = ImageConfiguration::for_platform(&"linux/amd64".parse().unwrap());
    /// config.config.get_or_insert_with(Default::default).env.push("PATH=/usr/bin:/bin".into());
    /// config.validate().unwrap();
    /// let bytes = config.to_canonical_json();
    /// assert_eq!(
    ///     String::from_utf8(bytes).unwrap(),
    ///     r#"{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/bin:/bin"]},"rootfs":{"type":"layers","diff_ids":[]}}"#
    /// );
    /// ```
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct ImageConfiguration ("an image configuration") {
        /// When the image was created, as an RFC 3339 date-time. Kept as written.
        created: Option<String> => "created" (optional_or_null),

        /// The person or entity that created and maintains the image.
        author: Option<String> => "author" (optional_or_null),

        /// The CPU architecture the image's binaries are built for (REQUIRED).
        architecture: Arch => "architecture" (required),

        /// The operating system the image is built to run on (REQUIRED).
        os: Os => "os" (required),

        /// The version of the operating system targeted.
        os_version: Option<String> => "os.version" (optional_or_null),

        /// Mandatory OS features (`win32k` on Windows).
        os_features: Vec<String> => "os.features" (default_or_null),

        /// The variant of the CPU architecture (`v8` on arm64, `v7` on arm).
        variant: Option<String> => "variant" (optional_or_null),

        /// The execution parameters to use as a base when running a container.
        config: Option<ContainerConfig> => "config" (optional_or_null),

        /// The layers' diff IDs (REQUIRED).
        rootfs: RootFs => "rootfs" (required),

        /// The history of each layer, first to last.
        history: Vec<History> => "history" (default_or_null),
    }
}

ocikit_spec_core::model! {
    /// The execution parameters of an image (config.md, `config`). Field names
    /// are capitalised in JSON, as Docker wrote them first. Docker's other
    /// fields, such as `Healthcheck`, `Memory`, `MemorySwap` and `CpuShares`
    /// (reserved by OCI), are kept in `extra`.
    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    pub struct ContainerConfig ("the execution parameters of an image config") {
        /// The user (and group) the process runs as: `user`, `uid`,
        /// `user:group`, `uid:gid`, `uid:group` or `user:gid`.
        user: Option<String> => "User" (optional_or_null),

        /// Ports to expose: `port/tcp`, `port/udp` or `port` (tcp). In JSON a
        /// map from each port to an empty object.
        exposed_ports: BTreeSet<String> => "ExposedPorts" (names),

        /// Environment variables, each `VARNAME=VARVALUE`.
        env: Vec<String> => "Env" (default_or_null),

        /// The command to run when the container starts.
        entrypoint: Vec<String> => "Entrypoint" (default_or_null),

        /// Default arguments to the entrypoint (or the command, without one).
        cmd: Vec<String> => "Cmd" (default_or_null),

        /// Directories where the process is likely to write instance data. In
        /// JSON a map from each path to an empty object.
        volumes: BTreeSet<String> => "Volumes" (names),

        /// The working directory of the entrypoint process.
        working_dir: Option<String> => "WorkingDir" (optional_or_null),

        /// Arbitrary metadata, following the annotation rules.
        labels: BTreeMap<String, String> => "Labels" (default_or_null),

        /// The signal that stops the container, such as `SIGTERM` or `SIGRTMIN+3`.
        stop_signal: Option<String> => "StopSignal" (optional_or_null),

        /// Deprecated Docker-on-Windows flag: `Entrypoint`/`Cmd` hold one pre-escaped command line.
        args_escaped: bool => "ArgsEscaped" (default_or_null),
    }
}

ocikit_spec_core::model! {
    /// The root filesystem of an image: the diff IDs of its layers (config.md, `rootfs`).
    #[derive(Debug, Clone, PartialEq, Eq)]
    pub struct RootFs ("a rootfs object") {
        /// MUST be `layers`; anything else MUST be an error when verifying or unpacking.
        typ: String => "type" (required),

        /// The digests of the layers' uncompressed tar archives, first to last.
        diff_ids: Vec<Digest> => "diff_ids" (required),
    }
}

impl Default for RootFs {
    fn default() -> Self {
        RootFs {
            typ: "layers".into(),
            diff_ids: Vec::new(),
            extra: BTreeMap::new(),
        }
    }
}

ocikit_spec_core::model! {
    /// One entry of an image's history (config.md, `history`).
    #[derive(Debug, Clone, Default, PartialEq, Eq)]
    pub struct History ("a history entry") {
        /// When the layer was created, as an RFC 3339 date-time.
        created: Option<String> => "created" (optional_or_null),

        /// The command that created the layer.
        created_by: Option<String> => "created_by" (optional_or_null),

        /// The author of the build point.
        author: Option<String> => "author" (optional_or_null),

        /// A message set when creating the layer.
        comment: Option<String> => "comment" (optional_or_null),

        /// True when this entry made no filesystem change, so has no layer in `rootfs`.
        empty_layer: bool => "empty_layer" (default_or_null),
    }
}

impl ImageConfiguration {
    /// A configuration for `platform` with no layers, no history and no
    /// execution parameters.
    pub fn for_platform(platform: &Platform) -> Self {
        ImageConfiguration {
            created: None,
            author: None,
            architecture: platform.architecture.clone(),
            os: platform.os.clone(),
            os_version: platform.os_version.clone(),
            os_features: platform.os_features.clone(),
            variant: platform.variant.clone(),
            config: None,
            rootfs: RootFs::default(),
            history: Vec::new(),
            extra: BTreeMap::new(),
        }
    }

    /// The platform this image is for, from its architecture, os and their details.
    pub fn platform(&self) -> Platform {
        let mut p = Platform::new(self.os.clone(), self.architecture.clone());
        p.os_version = self.os_version.clone();
        p.os_features = self.os_features.clone();
        p.variant = self.variant.clone();
        p
    }

    /// The ChainID of each prefix of the layer stack (config.md, Layer
    /// ChainID): `ChainID(L0) = DiffID(L0)`, then
    /// `ChainID(L0|...|Ln) = sha256(ChainID(L0|...|Ln-1) + " " + DiffID(Ln))`.
    pub fn chain_ids(&self) -> Vec<Digest> {
        let mut out: Vec<Digest> = Vec::with_capacity(self.rootfs.diff_ids.len());
        for diff_id in &self.rootfs.diff_ids {
            let next = match out.last() {
                None => diff_id.clone(),
                Some(parent) => Digest::sha256(format!("{parent} {diff_id}")),
            };
            out.push(next);
        }
        out
    }
}

/// Whether an ExposedPorts key has one of the forms of config.md:
/// `port/tcp`, `port/udp` or `port`. Docker also writes `port/sctp`.
fn is_port_spec(key: &str) -> bool {
    let (port, proto) = key.split_once('/').unwrap_or((key, "tcp"));
    matches!(proto, "tcp" | "udp" | "sctp") && port.parse::<u16>().is_ok()
}

impl Json for ImageConfiguration {
    const PRETTY_INDENT: &'static str = crate::document::PRETTY_INDENT;
    const MAP_MEMBERS: &'static [&'static str] = &["Labels", "ExposedPorts", "Volumes"];
}

impl Model for ImageConfiguration {
    const MEDIA_TYPE: MediaType = MediaType::ImageConfig;
}

impl Validate for ImageConfiguration {
    type Rule = Rule;
    const KIND: &'static str = "image config";

    fn check_into(&self, c: &mut Checker) {
        crate::time::check_created(c, self.created.as_deref());
        if self.architecture.as_str().is_empty() {
            c.field("architecture", |c| {
                c.error(Rule::Config, "is required and must not be empty")
            });
        }
        if self.os.as_str().is_empty() {
            c.field("os", |c| {
                c.error(Rule::Config, "is required and must not be empty")
            });
        }
        if let Some(config) = &self.config {
            c.nested("config", config);
        }
        c.nested("rootfs", &self.rootfs);
        c.field("history", |c| {
            for (i, h) in self.history.iter().enumerate() {
                c.index(i, |c| h.check_into(c));
            }
        });
        if !self.history.is_empty() {
            let layers = self.history.iter().filter(|h| !h.empty_layer).count();
            if layers != self.rootfs.diff_ids.len() {
                c.field("history", |c| {
                    c.warning(
                        Rule::History,
                        format!(
                            "{layers} history entries are not empty_layer, but rootfs.diff_ids has {} layers",
                            self.rootfs.diff_ids.len()
                        ),
                    )
                });
            }
        }
    }
}

impl Validate for ContainerConfig {
    type Rule = Rule;
    const KIND: &'static str = "execution parameters";

    fn check_into(&self, c: &mut Checker) {
        c.field("Env", |c| {
            for (i, entry) in self.env.iter().enumerate() {
                match entry.split_once('=') {
                    Some((name, _)) if !name.is_empty() => {}
                    Some(_) => c.index(i, |c| {
                        c.error(
                            Rule::Env,
                            format!(
                                "{entry:?} has an empty variable name; entries are VARNAME=VARVALUE"
                            ),
                        )
                    }),
                    None => c.index(i, |c| {
                        c.error(
                            Rule::Env,
                            format!("{entry:?} has no '='; entries are VARNAME=VARVALUE"),
                        )
                    }),
                }
            }
        });
        c.field("ExposedPorts", |c| {
            for port in &self.exposed_ports {
                if !is_port_spec(port) {
                    c.key(port, |c| {
                        c.warning(
                            Rule::Config,
                            format!("{port:?} is not of the form port/tcp, port/udp or port"),
                        )
                    });
                }
            }
        });
        c.field("Labels", |c| crate::annotations::check(c, &self.labels));
    }
}

impl Validate for RootFs {
    type Rule = Rule;
    const KIND: &'static str = "rootfs";

    fn check_into(&self, c: &mut Checker) {
        if self.typ != "layers" {
            c.field("type", |c| {
                c.error(
                    Rule::RootfsType,
                    format!("must be \"layers\", found {:?}", self.typ),
                )
            });
        }
    }
}

impl Validate for History {
    type Rule = Rule;
    const KIND: &'static str = "history entry";

    fn check_into(&self, c: &mut Checker) {
        crate::time::check_created(c, self.created.as_deref());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_ids_follow_the_recursion() {
        let a = Digest::sha256(b"a");
        let b = Digest::sha256(b"b");
        let c = Digest::sha256(b"c");
        let mut config = ImageConfiguration::for_platform(&Platform::new(Os::Linux, Arch::Amd64));
        config.rootfs.diff_ids = vec![a.clone(), b.clone(), c.clone()];
        let ids = config.chain_ids();
        let ab = Digest::sha256(format!("{a} {b}"));
        assert_eq!(
            ids,
            vec![a, ab.clone(), Digest::sha256(format!("{ab} {c}"))]
        );
    }

    #[test]
    fn env_ports_rootfs_and_history_rules() {
        let json = br#"{"created":"2015-10-31T22:22:56Z","architecture":"amd64","os":"linux",
            "config":{"Env":["A=1","B","=x"],"ExposedPorts":{"80/tcp":{},"53/udp":{},"8080":{},"http":{}}},
            "rootfs":{"type":"tarball","diff_ids":[]},
            "history":[{"created":"soon"},{"empty_layer":true}]}"#;
        let config = ImageConfiguration::from_json(json).unwrap();
        let got: Vec<_> = config
            .check()
            .violations
            .into_iter()
            .map(|v| (v.path, v.rule, v.severity))
            .collect();
        use crate::Severity::*;
        assert_eq!(
            got,
            [
                ("config.Env[1]".into(), Rule::Env, Error),
                ("config.Env[2]".into(), Rule::Env, Error),
                (
                    r#"config.ExposedPorts["http"]"#.into(),
                    Rule::Config,
                    Warning
                ),
                ("rootfs.type".into(), Rule::RootfsType, Error),
                ("history[0].created".into(), Rule::Timestamp, Error),
                ("history".into(), Rule::History, Warning),
            ]
        );
    }

    #[test]
    fn null_optional_fields_read_as_absent() {
        let json = br#"{"architecture":"arm64","os":"linux","variant":"v8","config":{"Env":null,"Cmd":null,"Entrypoint":null,"Volumes":null,"Labels":null,"ExposedPorts":null},"rootfs":{"type":"layers","diff_ids":[]},"history":null}"#;
        let config = ImageConfiguration::from_json(json).unwrap();
        assert_eq!(config.config, Some(ContainerConfig::default()));
        assert_eq!(
            String::from_utf8(config.to_canonical_json()).unwrap(),
            r#"{"architecture":"arm64","os":"linux","variant":"v8","config":{},"rootfs":{"type":"layers","diff_ids":[]}}"#
        );
    }

    #[test]
    fn required_lists_may_not_be_null() {
        let json =
            br#"{"architecture":"arm64","os":"linux","rootfs":{"type":"layers","diff_ids":null}}"#;
        let err = ImageConfiguration::from_json(json).unwrap_err().to_string();
        assert!(
            err.starts_with(
                "image config: rootfs.diff_ids: invalid type: null, expected a sequence"
            ),
            "{err}"
        );
    }

    #[test]
    fn docker_fields_are_kept() {
        let json = br#"{"architecture":"amd64","config":{"Hostname":"","Healthcheck":{"Test":["CMD","true"]},"Cmd":["sh"]},"container":"abc","docker_version":"20.10","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
        let config = ImageConfiguration::from_json(json).unwrap();
        let cc = config.config.as_ref().unwrap();
        assert!(cc.extra.contains_key("Healthcheck") && cc.extra.contains_key("Hostname"));
        assert_eq!(config.extra.len(), 2);
        let again = ImageConfiguration::from_json(&config.to_canonical_json()).unwrap();
        assert_eq!(again, config);
    }
}
