//! Shared helpers for the interop tests: finding the peer tools (a missing
//! peer fails under `CI=true` and skips loudly otherwise), running them, and
//! showing where two byte strings part.

use std::io::Write as _;
use std::process::Command;

/// Whether the tests run in CI, where every peer tool must be installed.
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// Whether the peer tool `name` can be run. When it cannot: under `CI=true`
/// this panics (a missing peer is a test failure there); locally it prints a
/// SKIPPED line naming the test and the tool (uncaptured, so it shows even
/// when the test passes), and returns `false`.
pub fn require_tool(name: &str) -> bool {
    match Command::new(name).arg("--version").output() {
        Ok(_) => true,
        Err(err) => {
            let test = std::thread::current()
                .name()
                .unwrap_or("<unnamed test>")
                .to_owned();
            assert!(
                !in_ci(),
                "{test}: peer tool `{name}` is required in CI but cannot be run: {err} (see .ci/install-peers.sh)"
            );
            // Straight to stderr: the test harness captures eprintln! output
            // of passing tests, and a skip must be seen.
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test}: peer tool `{name}` cannot be run ({err}); install it (see .ci/install-peers.sh) to run this interop test"
            );
            false
        }
    }
}

/// [`require_tool`] for each of `names`; every one is checked, so each
/// missing tool is named.
pub fn require_tools(names: &[&str]) -> bool {
    let missing = names.iter().filter(|name| !require_tool(name)).count();
    missing == 0
}

/// The first line of `name --version`, such as `umoci version 0.4.7`, for
/// the assertion messages of interop tests (docs/ARCHITECTURE.md, "Tests").
pub fn version(name: &str) -> String {
    let out = run(Command::new(name).arg("--version"));
    String::from_utf8_lossy(&out)
        .lines()
        .next()
        .unwrap_or_default()
        .trim()
        .to_owned()
}

/// Runs `command` and returns its stdout; panics with the command line, the
/// exit status and stderr when it cannot be started or does not succeed.
pub fn run(command: &mut Command) -> Vec<u8> {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("cannot run {command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed ({}):\n--- stderr\n{}\n--- stdout\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr),
        String::from_utf8_lossy(&output.stdout),
    );
    output.stdout
}

/// `bytes` as text: printable ASCII as is, every other byte as `\xNN`, so
/// that JSON's own escapes (`\n`, `\u0008`) read as written and a raw
/// newline shows as `\x0a`.
pub fn show(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if (0x20..0x7f).contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// Where `a` and `b` part, for assertion messages: the first differing
/// offset, the bytes around it in each, and both strings in full (escaped).
pub fn difference(a_name: &str, a: &[u8], b_name: &str, b: &[u8]) -> String {
    let Some(at) = a
        .iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .or((a.len() != b.len()).then(|| a.len().min(b.len())))
    else {
        return format!("{a_name} and {b_name} are identical ({} bytes)", a.len());
    };
    let around = |s: &[u8]| {
        let start = at.saturating_sub(40);
        let end = (at + 40).min(s.len());
        format!("...{}...", show(&s[start..end]))
    };
    format!(
        "first difference at byte offset {at} ({a_name}: {} bytes, {b_name}: {} bytes)\n  {a_name} around it: {}\n  {b_name} around it: {}\n  {a_name}: {}\n  {b_name}: {}",
        a.len(),
        b.len(),
        around(a),
        around(b),
        show(a),
        show(b),
    )
}
