//! Changes to an image's execution parameters (image-spec config.md,
//! `config`: Env, Entrypoint, Cmd, WorkingDir, User, Labels, ExposedPorts,
//! Volumes, StopSignal), each value checked before it is taken.

use std::collections::BTreeMap;

use super::ImageEdit;
use crate::{Error, Result};

/// A change of an image's execution parameters; fields left at their
/// default change nothing.
///
/// ```
/// use ocikit_convert::{ConfigChange, ImageEdit};
/// let mut image = ImageEdit::scratch(&"linux/amd64".parse()?);
/// image.change_config(&ConfigChange {
///     env: vec!["PATH=/bin".into(), "LANG=C.UTF-8".into()],
///     cmd: Some(vec!["sh".into()]),
///     exposed_ports: vec!["8080".into()],
///     ..Default::default()
/// })?;
/// let config = image.config.config.as_ref().unwrap();
/// assert_eq!(config.env, ["PATH=/bin", "LANG=C.UTF-8"]);
/// assert!(config.exposed_ports.contains("8080/tcp"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigChange {
    /// `KEY=VALUE` entries set in `Env`: one replaces the entry with the
    /// same key where it is, a new key is added at the end.
    pub env: Vec<String>,
    /// The new `Entrypoint` (an empty list clears it).
    pub entrypoint: Option<Vec<String>>,
    /// The new `Cmd` (an empty list clears it).
    pub cmd: Option<Vec<String>>,
    /// The new `WorkingDir`, an absolute path.
    pub working_dir: Option<String>,
    /// The new `User`: `user`, `uid`, `user:group`, `uid:gid`, ...
    pub user: Option<String>,
    /// Labels set (replacing the same keys).
    pub labels: BTreeMap<String, String>,
    /// Ports added to `ExposedPorts`: `PORT`, `PORT/tcp`, `PORT/udp` or
    /// `PORT/sctp`; a bare port means tcp.
    pub exposed_ports: Vec<String>,
    /// Absolute paths added to `Volumes`.
    pub volumes: Vec<String>,
    /// The new `StopSignal`, a name like `SIGTERM` or a number.
    pub stop_signal: Option<String>,
}

impl ImageEdit {
    /// Applies `change` to the config's execution parameters. Nothing is
    /// changed when a value is refused.
    ///
    /// # Errors
    ///
    /// [`Error::ConfigChange`] naming the field and the value: an `Env`
    /// entry without `=` or with an empty key; a `WorkingDir` or volume
    /// that is not an absolute path, or has a `..` component; a port that
    /// is not 1 to 65535 with an optional `/tcp`, `/udp` or `/sctp`; an
    /// empty `User`, label key or `StopSignal`.
    pub fn change_config(&mut self, change: &ConfigChange) -> Result<()> {
        let mut config = self.config.config.clone().unwrap_or_default();
        for entry in &change.env {
            let key = env_key(entry)?;
            let same = |e: &String| e.split_once('=').is_some_and(|(k, _)| k == key);
            match config.env.iter_mut().find(|e| same(e)) {
                Some(old) => old.clone_from(entry),
                None => config.env.push(entry.clone()),
            }
        }
        if let Some(entrypoint) = &change.entrypoint {
            config.entrypoint.clone_from(entrypoint);
        }
        if let Some(cmd) = &change.cmd {
            config.cmd.clone_from(cmd);
        }
        if let Some(dir) = &change.working_dir {
            check_absolute("WorkingDir", dir)?;
            config.working_dir = Some(dir.clone());
        }
        if let Some(user) = &change.user {
            non_empty("User", user)?;
            config.user = Some(user.clone());
        }
        for (key, value) in &change.labels {
            non_empty("Labels", key)?;
            config.labels.insert(key.clone(), value.clone());
        }
        for port in &change.exposed_ports {
            config.exposed_ports.insert(port_key(port)?);
        }
        for volume in &change.volumes {
            check_absolute("Volumes", volume)?;
            config.volumes.insert(volume.clone());
        }
        if let Some(signal) = &change.stop_signal {
            non_empty("StopSignal", signal)?;
            config.stop_signal = Some(signal.clone());
        }
        self.config.config = Some(config);
        Ok(())
    }
}

fn refuse(field: &'static str, value: &str, reason: &str) -> Error {
    Error::ConfigChange {
        field,
        value: value.to_owned(),
        reason: reason.to_owned(),
    }
}

fn non_empty(field: &'static str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(refuse(field, value, "expected a non-empty value"));
    }
    Ok(())
}

/// The key of an `Env` entry, `KEY=VALUE` (config.md, Env).
fn env_key(entry: &str) -> Result<&str> {
    match entry.split_once('=') {
        Some((key, _)) if !key.is_empty() => Ok(key),
        _ => Err(refuse(
            "Env",
            entry,
            "expected VARNAME=VARVALUE with a non-empty name",
        )),
    }
}

/// A path that a container's process can use as is: absolute, without
/// `..` components.
fn check_absolute(field: &'static str, path: &str) -> Result<()> {
    if !path.starts_with('/') {
        return Err(refuse(field, path, "expected an absolute path"));
    }
    if path.split('/').any(|c| c == "..") {
        return Err(refuse(
            field,
            path,
            "expected a path without \"..\" components",
        ));
    }
    Ok(())
}

/// An `ExposedPorts` key, `port/tcp`, `port/udp` or `port/sctp` (config.md;
/// a bare port means tcp).
fn port_key(port: &str) -> Result<String> {
    let (number, protocol) = port.split_once('/').unwrap_or((port, "tcp"));
    let valid_number = !number.is_empty()
        && number.bytes().all(|b| b.is_ascii_digit())
        && number.parse::<u16>().is_ok_and(|n| n > 0);
    if !valid_number || !matches!(protocol, "tcp" | "udp" | "sctp") {
        return Err(refuse(
            "ExposedPorts",
            port,
            "expected PORT (1 to 65535), optionally followed by /tcp, /udp or /sctp",
        ));
    }
    Ok(format!("{number}/{protocol}"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn image() -> ImageEdit {
        ImageEdit::scratch(&"linux/amd64".parse().unwrap())
    }

    #[test]
    fn env_replaces_in_place_and_appends() {
        let mut edit = image();
        edit.config.config.get_or_insert_default().env = vec!["A=1".into(), "B=2".into()];
        let change = ConfigChange {
            env: vec!["B=3".into(), "C=4".into(), "A=".into()],
            ..Default::default()
        };
        edit.change_config(&change).unwrap();
        assert_eq!(edit.config.config.unwrap().env, ["A=", "B=3", "C=4"]);
    }

    #[test]
    fn refuses_bad_values_and_changes_nothing() {
        for (change, field) in [
            (
                ConfigChange {
                    env: vec!["NOEQUALS".into()],
                    ..Default::default()
                },
                "Env",
            ),
            (
                ConfigChange {
                    env: vec!["=x".into()],
                    ..Default::default()
                },
                "Env",
            ),
            (
                ConfigChange {
                    volumes: vec!["data".into()],
                    ..Default::default()
                },
                "Volumes",
            ),
            (
                ConfigChange {
                    volumes: vec!["/data/../etc".into()],
                    ..Default::default()
                },
                "Volumes",
            ),
            (
                ConfigChange {
                    working_dir: Some("srv".into()),
                    ..Default::default()
                },
                "WorkingDir",
            ),
            (
                ConfigChange {
                    exposed_ports: vec!["0".into()],
                    ..Default::default()
                },
                "ExposedPorts",
            ),
            (
                ConfigChange {
                    exposed_ports: vec!["80/icmp".into()],
                    ..Default::default()
                },
                "ExposedPorts",
            ),
            (
                ConfigChange {
                    exposed_ports: vec!["65536".into()],
                    ..Default::default()
                },
                "ExposedPorts",
            ),
            (
                ConfigChange {
                    user: Some(String::new()),
                    ..Default::default()
                },
                "User",
            ),
        ] {
            let mut edit = image();
            let before = edit.clone();
            let err = edit.change_config(&change).unwrap_err();
            assert!(
                matches!(&err, Error::ConfigChange { field: f, .. } if *f == field),
                "{err}"
            );
            assert_eq!(edit, before);
        }
    }

    #[test]
    fn sets_every_field() {
        let mut edit = image();
        let change = ConfigChange {
            entrypoint: Some(vec!["/bin/app".into()]),
            cmd: Some(vec!["--serve".into()]),
            working_dir: Some("/srv".into()),
            user: Some("app:app".into()),
            labels: [("a.b".to_string(), "c".to_string())].into(),
            exposed_ports: vec!["53/udp".into(), "8080".into()],
            volumes: vec!["/data".into()],
            stop_signal: Some("SIGINT".into()),
            ..Default::default()
        };
        edit.change_config(&change).unwrap();
        let c = edit.config.config.unwrap();
        assert_eq!(c.entrypoint, ["/bin/app"]);
        assert_eq!(c.cmd, ["--serve"]);
        assert_eq!(c.working_dir.as_deref(), Some("/srv"));
        assert_eq!(c.user.as_deref(), Some("app:app"));
        assert_eq!(c.labels["a.b"], "c");
        assert_eq!(
            c.exposed_ports.iter().collect::<Vec<_>>(),
            ["53/udp", "8080/tcp"]
        );
        assert!(c.volumes.contains("/data"));
        assert_eq!(c.stop_signal.as_deref(), Some("SIGINT"));
    }
}
