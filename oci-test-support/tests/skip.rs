//! What `cargo test` shows of a skip, and how `CI` turns a skip into a
//! failure: each case runs one of the `#[ignore]`d `child_*` tests below in
//! a child process of this test binary, with libtest's capture on (no
//! `--nocapture`), and looks at what the child wrote and how it ended.

#![allow(clippy::unwrap_used)] // a failed unwrap is a failed test

use std::process::{Command, Output};

use ocikit_test_support::{peers, skip};

/// No tool has this name.
const MISSING: &str = "ocikit-test-support-no-such-tool";

/// Runs the ignored test `name` of this binary in a child with `CI` set to
/// `ci` (removed when `None`).
fn child(name: &str, ci: Option<&str>) -> Output {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.args([name, "--exact", "--ignored", "--test-threads=1"]);
    match ci {
        Some(value) => command.env("CI", value),
        None => command.env_remove("CI"),
    };
    command.output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
#[ignore = "run by the tests above, in a child process"]
fn child_notice() {
    eprintln!("captured by libtest");
    skip::notice("a reason given by the test");
}

#[test]
#[ignore = "run by the tests above, in a child process"]
fn child_missing_tool() {
    assert!(!peers::require_tool(MISSING));
}

#[test]
fn a_notice_reaches_stderr_past_libtests_capture() {
    let out = child("child_notice", None);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stderr.contains("SKIPPED child_notice: a reason given by the test\n"),
        "{stderr}"
    );
    // What the test printed with eprintln! the capture kept: it is why a
    // notice must go around it.
    assert!(
        !stdout.contains("captured by libtest") && !stderr.contains("captured by libtest"),
        "{stdout}{stderr}"
    );
}

#[test]
fn a_missing_tool_skips_outside_ci_and_fails_under_ci() {
    // CI off: unset, empty, 0, false in any case.
    for ci in [None, Some(""), Some("0"), Some("false"), Some("FALSE")] {
        let out = child("child_missing_tool", ci);
        let stderr = text(&out.stderr);
        assert!(out.status.success(), "CI={ci:?}: {stderr}");
        assert!(
            stderr.contains(&format!(
                "SKIPPED child_missing_tool: peer tool `{MISSING}` not found"
            )),
            "CI={ci:?}: {stderr}"
        );
    }
    // CI on: anything else.
    for ci in ["true", "1", "yes", "TRUE"] {
        let out = child("child_missing_tool", Some(ci));
        let stdout = text(&out.stdout);
        assert!(!out.status.success(), "CI={ci:?}: the test passed");
        assert!(
            stdout.contains(&format!(
                "child_missing_tool: peer tool `{MISSING}` not found"
            )) && stdout.contains("CI is set, and CI must run every test"),
            "CI={ci:?}: {stdout}"
        );
        assert!(!text(&out.stderr).contains("SKIPPED"), "CI={ci:?}");
    }
}

#[test]
fn an_installed_tool_is_found_and_run() {
    assert!(peers::require_tool("sh"));
    assert!(peers::locate("sh").is_some_and(|path| path.is_absolute()));
    assert_eq!(peers::locate(MISSING), None);
    assert_eq!(
        peers::run(peers::command("sh").args(["-c", "printf 'a\\nb'"])),
        b"a\nb"
    );
    assert_eq!(
        peers::run_with_input(&mut peers::command("cat"), b"through stdin"),
        b"through stdin"
    );
}

#[test]
fn a_failed_run_names_the_command_and_shows_its_stderr() {
    let panic = std::panic::catch_unwind(|| {
        peers::run(peers::command("sh").args(["-c", "echo oops >&2; exit 3"]))
    })
    .unwrap_err();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(message.contains("exit status: 3"), "{message}");
    assert!(message.contains("--- stderr\noops\n"), "{message}");
    assert!(message.contains("\"echo oops >&2; exit 3\""), "{message}");
}
