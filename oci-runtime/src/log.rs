//! The runtime's JSON log (`--log FILE --log-format json`): one JSON
//! object a line. runc and crun write `{"level":"error","msg":"...",
//! "time":"..."}`, youki `{"timestamp":"...","level":"ERROR","message":
//! "..."}`. The driver gives each call a fresh file (runc appends), reads
//! its error lines, and sorts the message into an [`ErrorKind`].

use crate::ErrorKind;

/// The levels that mean the call failed, in any case (logrus writes
/// `error`, `fatal` and `panic`; youki's tracing `ERROR`).
const ERROR_LEVELS: [&str; 4] = ["error", "fatal", "panic", "critical"];

/// One line of the log.
#[derive(serde::Deserialize)]
struct Line {
    level: Option<String>,
    msg: Option<String>,
    message: Option<String>,
}

/// The messages of the error lines of `log`, in order. Lines that are not
/// JSON objects (a runtime writing text despite `--log-format json`) are
/// taken whole when they are not empty, so that nothing the runtime said
/// is lost.
pub(crate) fn errors(log: &str) -> Vec<String> {
    log.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .filter_map(|line| match serde_json::from_str::<Line>(line) {
            Ok(parsed) => {
                let level = parsed.level.unwrap_or_default();
                ERROR_LEVELS
                    .iter()
                    .any(|l| level.eq_ignore_ascii_case(l))
                    .then(|| parsed.msg.or(parsed.message).unwrap_or_default())
            }
            Err(_) => Some(line.to_owned()),
        })
        .collect()
}

/// What kind of refusal `message` is, from the words runc 1.1, crun and
/// youki use.
pub(crate) fn kind(message: &str) -> ErrorKind {
    let m = message.to_ascii_lowercase();
    let any = |phrases: &[&str]| phrases.iter().any(|p| m.contains(p));
    // "container does not exist" (runc), "container `c1` does not exist"
    // (crun), but not a missing executable or mount source.
    let missing = any(&["does not exist", "doesn't exist", "not found"]);
    if (m.contains("container") && missing && !m.contains("executable"))
        || m.contains("no such container")
    {
        ErrorKind::NotFound
    } else if any(&["already exists", "exists already", "already in use"]) {
        ErrorKind::AlreadyExists
    } else if any(&["not running", "is stopped", "stopped container"]) {
        ErrorKind::NotRunning
    } else if any(&[
        "already running",
        "not stopped",
        "not paused",
        "not created",
        "is paused",
        "cannot start",
        "cannot delete",
        "incorrect state",
        "invalid state",
    ]) {
        ErrorKind::WrongState
    } else {
        ErrorKind::Other
    }
}

/// Whether `message` says the runtime has no such command (urfave/cli's
/// `No help topic for 'features'`, clap's `unrecognized subcommand`).
pub(crate) fn unknown_command(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    [
        "no help topic",
        "unrecognized subcommand",
        "unknown command",
    ]
    .iter()
    .any(|p| m.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_styles_give_their_error_messages_and_skip_other_levels() {
        let runc = concat!(
            r#"{"level":"debug","msg":"nsexec started","time":"2026-12-06T21:18:46Z"}"#,
            "\n",
            r#"{"level":"error","msg":"container does not exist","time":"2026-12-06T21:18:46Z"}"#,
            "\n"
        );
        assert_eq!(errors(runc), ["container does not exist"]);
        let youki = r#"{"timestamp":"2026-12-06T21:18:46.1Z","level":"ERROR","message":"container c1 does not exist"}"#;
        assert_eq!(errors(youki), ["container c1 does not exist"]);
        assert_eq!(errors("plain text\n\n"), ["plain text"]);
        assert!(errors(r#"{"level":"warning","msg":"x"}"#).is_empty());
    }

    #[test]
    fn messages_of_runc_1_1_5_sort_into_kinds() {
        for (message, expected) in [
            ("container does not exist", ErrorKind::NotFound),
            (
                "runc create failed: container with given ID already exists",
                ErrorKind::AlreadyExists,
            ),
            ("container not running", ErrorKind::NotRunning),
            (
                "exec failed: cannot exec in a stopped container",
                ErrorKind::NotRunning,
            ),
            (
                "cannot start an already running container",
                ErrorKind::WrongState,
            ),
            (
                "cannot start a container that has stopped",
                ErrorKind::WrongState,
            ),
            (
                "cannot delete container c1 that is not stopped: running",
                ErrorKind::WrongState,
            ),
            ("container not paused", ErrorKind::WrongState),
            (
                "runc create failed: unable to start container process: exec: \"nope\": executable file not found in $PATH",
                ErrorKind::Other,
            ),
            ("permission denied", ErrorKind::Other),
        ] {
            assert_eq!(kind(message), expected, "{message}");
        }
        assert!(unknown_command("No help topic for 'features'"));
        assert!(!unknown_command("container does not exist"));
    }
}
