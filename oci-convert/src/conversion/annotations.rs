//! The annotations of a runtime configuration made from an image
//! (image-spec conversion.md "Annotation Fields", "Config.ExposedPorts"
//! and "Annotations"): the implied ones, then `config.Labels`, which win.

use std::collections::BTreeMap;

use ocikit_image::ImageConfiguration;

/// `org.opencontainers.image.os`: the image config's `os`.
pub const OS: &str = "org.opencontainers.image.os";
/// `org.opencontainers.image.architecture`: the image config's `architecture`.
pub const ARCHITECTURE: &str = "org.opencontainers.image.architecture";
/// `org.opencontainers.image.variant`: the image config's `variant`.
pub const VARIANT: &str = "org.opencontainers.image.variant";
/// `org.opencontainers.image.os.version`: the image config's `os.version`.
pub const OS_VERSION: &str = "org.opencontainers.image.os.version";
/// `org.opencontainers.image.os.features`: the image config's
/// `os.features`, comma-joined.
pub const OS_FEATURES: &str = "org.opencontainers.image.os.features";
/// `org.opencontainers.image.author`: the image config's `author`.
pub const AUTHOR: &str = "org.opencontainers.image.author";
/// `org.opencontainers.image.created`: the image config's `created`.
pub const CREATED: &str = "org.opencontainers.image.created";
/// `org.opencontainers.image.stopSignal`: `config.StopSignal`.
pub const STOP_SIGNAL: &str = "org.opencontainers.image.stopSignal";
/// `org.opencontainers.image.exposedPorts`: the keys of
/// `config.ExposedPorts`, sorted and comma-joined (`443,53/udp,80/tcp`).
pub const EXPOSED_PORTS: &str = "org.opencontainers.image.exposedPorts";

/// The annotations of `image`: each implied one whose field is set (an
/// absent field adds no annotation, where umoci 0.4.7 writes an empty
/// value), then every label, replacing an implied value of the same key
/// (conversion.md: `Config.Labels` MUST take precedence).
pub(crate) fn from_image(image: &ImageConfiguration) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut put = |key: &str, value: Option<String>| {
        if let Some(value) = value {
            out.insert(key.to_owned(), value);
        }
    };
    let config = image.config.as_ref();
    let join = |items: Vec<&str>| (!items.is_empty()).then(|| items.join(","));
    put(OS, Some(image.os.as_str().to_owned()));
    put(ARCHITECTURE, Some(image.architecture.as_str().to_owned()));
    put(VARIANT, image.variant.clone());
    put(OS_VERSION, image.os_version.clone());
    put(
        OS_FEATURES,
        join(image.os_features.iter().map(String::as_str).collect()),
    );
    put(AUTHOR, image.author.clone());
    put(CREATED, image.created.clone());
    put(STOP_SIGNAL, config.and_then(|c| c.stop_signal.clone()));
    let ports = config.map(|c| c.exposed_ports.iter().map(String::as_str).collect());
    put(EXPOSED_PORTS, ports.and_then(join));
    if let Some(config) = config {
        out.extend(config.labels.clone());
    }
    out
}
