//! The help of `oci` (src/bin/oci/, on clap): every command answers
//! `oci help CMD` and `oci CMD --help`, each flag of the documented
//! command list appears in its command's help, and the completion scripts
//! work in bash, zsh and fish (tested with bash 5.2, zsh 5.9, fish 3.6).
#![allow(clippy::unwrap_used)]

mod support;

use std::process::Command;

use ocikit_test_support::peers;
use support::{assert_usage_error, oci, run, succeeded, text};

/// Runs `oci ARGS`, expects exit 0 and nothing on stderr, returns stdout.
#[track_caller]
fn ok(args: &[&str]) -> String {
    succeeded(&run(args))
}

/// The commands `oci help` lists, in its order: clap writes the list from
/// the definition, so a command added there is tested here without a
/// change to this file.
fn commands() -> Vec<String> {
    let help = ok(&["help"]);
    let list = help
        .split("\nCommands:\n")
        .nth(1)
        .and_then(|rest| rest.split("\n\n").next())
        .unwrap_or_else(|| panic!("no command list in:\n{help}"));
    list.lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

/// Each command of the documented command list (DESIGN.md, "The `oci`
/// command") that exists today, with its arguments and flags as written
/// there, and the values a flag takes.
const DOCUMENTED: &[(&str, &[&str])] = &[
    ("init", &["LAYOUT"]),
    ("ls", &["LAYOUT"]),
    ("new", &["IMAGE", "--platform"]),
    ("stat", &["IMAGE", "--json", "--platform"]),
    (
        "build",
        &[
            "DIR",
            "IMAGE",
            "--from",
            "--compression",
            "gzip",
            "zstd",
            "none",
            "--platform",
        ],
    ),
    (
        "config",
        &[
            "IMAGE",
            "--tag",
            "--env",
            "--entrypoint",
            "--cmd",
            "--workdir",
            "--user",
            "--label",
            "--expose",
            "--volume",
            "--stop-signal",
            "--platform",
        ],
    ),
    (
        "unpack",
        &[
            "IMAGE",
            "REF",
            "BUNDLE",
            "--rootless",
            "--platform",
            "--authfile",
            "--creds",
            "--cert-dir",
            "--tls-verify",
        ],
    ),
    (
        "repack",
        &["BUNDLE", "IMAGE", "--compression", "gzip", "zstd", "none"],
    ),
    ("tag", &["IMAGE", "NEWTAG"]),
    ("rm", &["IMAGE"]),
    ("gc", &["LAYOUT", "--dry-run", "--grace"]),
    ("fsck", &["LAYOUT", "--diff-ids"]),
    (
        "export",
        &[
            "IMAGE",
            "ARCHIVE",
            "--format",
            "oci-archive",
            "docker-archive",
            "--repo-tag",
        ],
    ),
    (
        "import",
        &[
            "ARCHIVE",
            "IMAGE",
            "--format",
            "oci-archive",
            "docker-archive",
            "--to-oci",
        ],
    ),
    (
        "copy",
        &[
            "SRC",
            "DST",
            "--authfile",
            "--creds",
            "--cert-dir",
            "--tls-verify",
        ],
    ),
    (
        "pull",
        &[
            "REF",
            "IMAGE",
            "--platform",
            "--all-platforms",
            "--to-oci",
            "--require-signature",
            "--authfile",
            "--creds",
            "--cert-dir",
            "--tls-verify",
        ],
    ),
    (
        "push",
        &[
            "IMAGE",
            "REF",
            "--authfile",
            "--creds",
            "--cert-dir",
            "--tls-verify",
        ],
    ),
    (
        "inspect",
        &[
            "REF",
            "--raw",
            "--authfile",
            "--creds",
            "--cert-dir",
            "--tls-verify",
        ],
    ),
    (
        "tags",
        &["REF", "--authfile", "--creds", "--cert-dir", "--tls-verify"],
    ),
    (
        "referrers",
        &[
            "REF",
            "--artifact-type",
            "--authfile",
            "--creds",
            "--cert-dir",
            "--tls-verify",
        ],
    ),
    (
        "login",
        &[
            "HOST",
            "-u",
            "USER",
            "--password-stdin",
            "--authfile",
            "--creds",
            "--cert-dir",
            "--tls-verify",
        ],
    ),
    ("logout", &["HOST", "--authfile"]),
    (
        "validate",
        &[
            "--type",
            "PATH",
            "descriptor",
            "manifest",
            "index",
            "config",
            "layout",
            "runtime-config",
            "runtime-state",
            "runtime-features",
        ],
    ),
    ("runtime-spec", &["--rootless"]),
    (
        "digest",
        &["--algorithm", "sha256", "sha512", "blake3", "PATH"],
    ),
    ("keygen", &["PREFIX"]),
    (
        "sign",
        &[
            "IMAGE|REF",
            "--key",
            "-a",
            "--format",
            "tag",
            "bundle",
            "both",
            "--authfile",
            "--creds",
            "--cert-dir",
            "--tls-verify",
        ],
    ),
    (
        "verify",
        &[
            "IMAGE|REF",
            "--key",
            "-a",
            "--authfile",
            "--creds",
            "--cert-dir",
            "--tls-verify",
        ],
    ),
    (
        "attest",
        &[
            "IMAGE|REF",
            "--key",
            "--predicate",
            "--type",
            "--authfile",
            "--creds",
            "--cert-dir",
            "--tls-verify",
        ],
    ),
    (
        "verify-attestation",
        &[
            "IMAGE|REF",
            "--key",
            "--type",
            "--authfile",
            "--creds",
            "--cert-dir",
            "--tls-verify",
        ],
    ),
    ("completions", &["bash", "zsh", "fish"]),
    (
        "run",
        &[
            "IMAGE|REF",
            "--name",
            "--rm",
            "--tty",
            "--env",
            "--user",
            "--workdir",
            "--bundle",
            "--rootless",
            "--runtime",
            "CMD",
        ],
    ),
    ("create", &["IMAGE|BUNDLE", "ID", "--runtime"]),
    ("start", &["ID", "--runtime"]),
    ("state", &["ID", "--runtime"]),
    ("kill", &["ID", "SIGNAL", "--runtime"]),
    ("delete", &["ID", "--force", "--runtime"]),
    ("list", &["--runtime"]),
    ("exec", &["ID", "CMD", "--runtime"]),
    (
        "update",
        &[
            "ID",
            "--memory",
            "BYTES",
            "--cpus",
            "--pids-limit",
            "--resources",
            "FILE",
            "--runtime",
        ],
    ),
];

/// The commands that draw a progress bar, and so have `--quiet`.
const WITH_A_BAR: &[&str] = &[
    "build", "unpack", "repack", "import", "export", "copy", "pull", "push",
];

#[test]
fn every_command_answers_help_and_help_cmd() {
    let commands = commands();
    let mut expected: Vec<&str> = DOCUMENTED.iter().map(|(c, _)| *c).collect();
    expected.push("help");
    assert_eq!(commands, expected, "the command list");
    let list = ok(&["help"]);
    for command in &commands {
        // `help` is clap's own, and takes no flags: `oci help help`.
        let help = match command.as_str() {
            "help" => ok(&["help", "help"]),
            _ => ok(&[command, "--help"]),
        };
        assert!(
            help.contains(&format!("Usage: oci {command}")),
            "{command} --help:\n{help}"
        );
        // The first line is the command's summary, as in the list.
        let summary = help.lines().next().unwrap();
        assert!(
            list.contains(&format!("{command}  ")) && list.contains(summary),
            "{command}: {summary:?} not in\n{list}"
        );
        assert_eq!(ok(&["help", command]), help, "oci help {command}");
        // Every argument and flag has a help text: beside its name, two
        // spaces apart, or (the long form) on the next line, indented.
        let lines: Vec<&str> = help.lines().collect();
        for (line, next) in lines.iter().zip(&lines[1..]) {
            let line = line.trim();
            let names_one = line.starts_with("--")
                || line.starts_with("-h, --help")
                || line.starts_with('<')
                || line.starts_with("[PATH]");
            let beside = line.contains("  ");
            let below = next.starts_with("          ") && !next.trim().is_empty();
            assert!(
                !names_one || beside || below,
                "{command}: {line:?} has no help text"
            );
        }
    }
}

#[test]
fn each_documented_flag_is_in_the_help_of_its_command() {
    for (command, words) in DOCUMENTED {
        let help = ok(&["help", command]);
        for word in *words {
            assert!(help.contains(word), "{command}: no {word} in\n{help}");
        }
        let quiet = help.contains("--quiet");
        assert_eq!(quiet, WITH_A_BAR.contains(command), "{command}: --quiet");
    }
}

#[test]
fn the_top_level_help_says_what_image_is_and_the_exit_codes() {
    let help = ok(&["--help"]);
    assert_eq!(ok(&["help"]), help);
    assert!(help.contains("IMAGE is LAYOUT:TAG (split at the last colon)."));
    assert!(
        help.contains(
            "exit codes: 0 success, 1 failure (one line on stderr: `oci: <message>`),\n2 usage error"
        ),
        "{help}"
    );
    // No command: the help, as a usage error.
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("Usage: oci <COMMAND>"));
    assert_eq!(
        ok(&["--version"]),
        format!("oci {}\n", env!("CARGO_PKG_VERSION"))
    );
    assert_usage_error(&["frobnicate"]);
    assert_usage_error(&["help", "frobnicate"]);
}

/// The completion script for `shell`.
fn script(shell: &str) -> String {
    let script = ok(&["completions", shell]);
    assert!(script.len() > 1000, "{shell}: {script}");
    script
}

#[test]
fn completions_work_in_bash() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("oci.bash");
    std::fs::write(&file, script("bash")).unwrap();
    // What bash offers for a line typed so far: the completion function is
    // called as bash calls it for `oci <words>` with the cursor at the end.
    let offered = |words: &[&str]| -> Vec<String> {
        let line = format!("oci {}", words.join(" "));
        let program = format!(
            r#"source "$1"; COMP_WORDS=(oci {words}); COMP_CWORD={cword}; COMP_LINE={line:?}; COMP_POINT={point}; _oci oci "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"; printf '%s\n' "${{COMPREPLY[@]}}""#,
            words = words
                .iter()
                .map(|w| format!("{w:?}"))
                .collect::<Vec<_>>()
                .join(" "),
            cword = words.len(),
            point = line.len(),
        );
        let out = Command::new("bash")
            .args(["-c", &program, "bash"])
            .arg(&file)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        text(&out.stdout).lines().map(str::to_owned).collect()
    };
    assert_eq!(offered(&["unp"]), ["unpack"]);
    assert_eq!(offered(&["build", "--comp"]), ["--compression"]);
    assert_eq!(
        offered(&["build", "--compression", ""]),
        ["gzip", "zstd", "none"]
    );
    assert_eq!(
        offered(&["export", "L:v1", "x.tar", "--format", ""]),
        ["oci-archive", "docker-archive"]
    );
}

#[test]
fn completions_work_in_zsh_and_fish() {
    let dir = tempfile::tempdir().unwrap();
    if peers::require_tool("zsh") {
        let file = dir.path().join("_oci");
        let zsh = script("zsh");
        assert!(zsh.starts_with("#compdef oci\n"), "{zsh}");
        std::fs::write(&file, zsh).unwrap();
        let out = peers::command("zsh").arg("-n").arg(&file).output().unwrap();
        assert!(out.status.success(), "zsh -n: {}", text(&out.stderr));
    }
    if peers::require_tool("fish") {
        let file = dir.path().join("oci.fish");
        std::fs::write(&file, script("fish")).unwrap();
        let offered = |line: &str| -> String {
            let out = peers::command("fish")
                .args(["-c", &format!("source $argv[1]; complete -C{line:?}")])
                .arg(&file)
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", text(&out.stderr));
            text(&out.stdout)
        };
        assert_eq!(
            offered("oci unp"),
            "unpack\tUnpack an image into a runtime bundle\n"
        );
        let formats = offered("oci import x.tar L:v1 --format ");
        assert!(
            formats.contains("oci-archive") && formats.contains("docker-archive"),
            "{formats}"
        );
    }
    assert_usage_error(&["completions", "powershell"]);
    assert_usage_error(&["completions"]);
}

#[test]
fn completions_into_a_closed_pipe_fail_without_a_panic() {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = oci()
        .args(["completions", "bash"])
        .stdout(writer)
        .output()
        .unwrap();
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.starts_with("oci: writing to stdout: Broken pipe"),
        "{stderr}"
    );
}
