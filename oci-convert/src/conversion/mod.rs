//! Image config to runtime config (image-spec conversion.md). PLACEHOLDER:
//! replaced by the full conversion on merge.

use std::path::Path;

use oci_image::ImageConfiguration;
use oci_runtime_spec::Spec;

use crate::Result;

/// How an image config becomes a runtime config.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ConversionOptions {
    /// The rootless profile.
    pub rootless: bool,
    /// The OS the runtime will run on.
    pub host_os: String,
    /// `process.terminal`.
    pub terminal: bool,
}

impl Default for ConversionOptions {
    fn default() -> Self {
        ConversionOptions {
            rootless: false,
            host_os: std::env::consts::OS.into(),
            terminal: false,
        }
    }
}

/// The runtime config for `image`, unpacked at `rootfs`.
///
/// # Errors
///
/// None yet.
pub fn runtime_config(
    image: &ImageConfiguration,
    _rootfs: &Path,
    options: &ConversionOptions,
) -> Result<Spec> {
    let mut spec = if options.rootless {
        Spec::rootless_linux(0, 0)
    } else {
        Spec::default_linux()
    };
    if let (Some(process), Some(config)) = (spec.process.as_mut(), image.config.as_ref()) {
        process.args = config
            .entrypoint
            .iter()
            .chain(&config.cmd)
            .cloned()
            .collect();
        process.env = config.env.clone();
        process.cwd = config.working_dir.clone().unwrap_or_else(|| "/".into());
        process.terminal = Some(options.terminal);
    }
    Ok(spec)
}
