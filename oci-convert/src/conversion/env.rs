//! `config.Env` -> `process.env` (image-spec conversion.md "Verbatim
//! Fields", note 1): the image's entries verbatim, plus defaults only for
//! names the image does not set.

use crate::{Error, Result};

/// The `PATH` a process gets when the image sets none (the one of
/// `runc spec` and umoci).
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The `TERM` a process with a terminal gets when the image sets none.
pub const DEFAULT_TERM: &str = "xterm";

/// Checks that every entry of `config.Env` is `NAME=value` with a
/// non-empty `NAME` and no NUL byte (which `execve(2)` cannot pass).
pub(crate) fn check(env: &[String]) -> Result<()> {
    for (index, entry) in env.iter().enumerate() {
        let reason = match entry.split_once('=') {
            _ if entry.contains('\0') => "it holds a NUL byte",
            None => "there is no '='",
            Some(("", _)) => "the name is empty",
            Some(_) => continue,
        };
        return Err(Error::BadEnv {
            index,
            entry: entry.clone(),
            reason,
        });
    }
    Ok(())
}

/// Whether `env` sets the variable `name`.
pub(crate) fn sets(env: &[String], name: &str) -> bool {
    env.iter()
        .any(|entry| entry.split_once('=').is_some_and(|(n, _)| n == name))
}

/// The process environment: `PATH` (and `TERM` with a terminal) first
/// when the image lacks them, then the image's entries in order, then
/// `HOME` from the user's passwd entry when the image lacks it. A default
/// never replaces or removes an entry of the image (conversion.md: an
/// implementation-defined default SHOULD NOT).
pub(crate) fn build(image: &[String], terminal: bool, home: Option<&str>) -> Vec<String> {
    let mut env = Vec::with_capacity(image.len() + 3);
    if !sets(image, "PATH") {
        env.push(format!("PATH={DEFAULT_PATH}"));
    }
    if terminal && !sets(image, "TERM") {
        env.push(format!("TERM={DEFAULT_TERM}"));
    }
    env.extend(image.iter().cloned());
    if let Some(home) = home
        && !sets(image, "HOME")
    {
        env.push(format!("HOME={home}"));
    }
    env
}
