//! `config.Volumes` -> `mounts` (image-spec conversion.md "Optional
//! Fields", note 2): each volume becomes a fresh tmpfs at its path, so
//! that what the process writes there stays out of the rootfs (and out of
//! an image repacked from it), as umoci does.

use ocikit_runtime_spec::Mount;

use crate::{Error, Result};

/// The options of a volume's tmpfs mount (umoci's).
pub const VOLUME_OPTIONS: [&str; 5] = ["rw", "nosuid", "nodev", "noexec", "relatime"];

/// One mount per volume, in the sorted order of their cleaned paths.
/// Empty and `.` components and a trailing `/` are dropped; a relative
/// path, a `..` component (a runtime would resolve it against whatever
/// the rootfs holds), a NUL byte or `/` itself is an error naming the
/// volume.
pub(crate) fn volume_mounts<'a>(
    volumes: impl IntoIterator<Item = &'a String>,
) -> Result<Vec<Mount>> {
    let mut destinations = std::collections::BTreeSet::new();
    for volume in volumes {
        let bad = |reason| Error::BadVolume {
            volume: volume.clone(),
            reason,
        };
        if !volume.starts_with('/') {
            return Err(bad("it is relative"));
        }
        if volume.contains('\0') {
            return Err(bad("it holds a NUL byte"));
        }
        let mut clean = String::new();
        for part in volume.split('/') {
            match part {
                "" | "." => {}
                ".." => return Err(bad("it has a \"..\" component")),
                _ => {
                    clean.push('/');
                    clean.push_str(part);
                }
            }
        }
        if clean.is_empty() {
            return Err(bad("it is the root directory, which cannot be a volume"));
        }
        destinations.insert(clean);
    }
    Ok(destinations
        .into_iter()
        .map(|dest| Mount::new(&dest, "tmpfs", "none", &VOLUME_OPTIONS))
        .collect())
}
