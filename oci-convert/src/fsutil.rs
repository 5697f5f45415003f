//! The host-side file steps ocikit-convert shares: a crash-safe replace of a
//! file (the bundle's `config.json` and record, a saved baseline), and a
//! read that stops at a size limit.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::Path;

use crate::{Error, Result};

/// Replaces `path` with what `write` puts into a new file: a temporary file
/// beside it (permission bits `mode`, less the umask) is written, fsynced,
/// renamed over `path`, and the directory fsynced, so that `path` holds the
/// old content or the new, never a mix. On failure `path` is unchanged and
/// the temporary file is removed.
///
/// # Errors
///
/// `write`'s error, or [`Error::Io`] naming the step that failed.
pub(crate) fn write_atomic(
    path: &Path,
    mode: u32,
    write: impl FnOnce(&File) -> Result<()>,
) -> Result<()> {
    let io = |action: &'static str, p: &Path| {
        let p = p.to_path_buf();
        move |source| Error::Io {
            action,
            path: p,
            source,
        }
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path.file_name().ok_or_else(|| {
        io("write", path)(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the path has no file name",
        ))
    })?;
    let mut temp_name = std::ffi::OsString::from(".");
    temp_name.push(name);
    temp_name.push(format!(".{}.tmp", std::process::id()));
    let temp = dir.join(temp_name);
    let _ = fs::remove_file(&temp); // left by a crashed run of this process id
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&temp)
        .map_err(io("create", &temp))?;
    let result = (|| {
        write(&file)?;
        file.sync_all().map_err(io("fsync", &temp))?;
        fs::rename(&temp, path).map_err(io("rename into place", path))?;
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io("fsync the directory", dir))
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temp);
    }
    result
}

/// Everything `reader` holds, or `None` when it holds more than `limit`
/// bytes (no more than `limit + 1` are read).
pub(crate) fn read_up_to(reader: impl Read, limit: u64) -> io::Result<Option<Vec<u8>>> {
    let mut bytes = Vec::new();
    reader.take(limit + 1).read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= limit).then_some(bytes))
}
