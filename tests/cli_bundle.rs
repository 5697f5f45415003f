//! `oci config`, `oci unpack` and `oci repack`: the whole round trip from
//! the command line, what `oci stat` and oci-image-tool then see, the
//! failures (exit 1) and usage errors (exit 2), and the progress bar, which
//! is drawn on a terminal only (a pseudo-terminal from `script`) and never
//! into a pipe or with `--quiet`.
#![allow(clippy::unwrap_used)]

mod support;

use std::path::Path;
use std::process::Command;

use ocikit_test_support::peers;
use support::{assert_usage_error, on_a_terminal, run_dated as run, text};

/// Runs `oci ARGS`, expects success, returns stdout without its newline.
#[track_caller]
fn ok(args: &[&str]) -> String {
    let out = run(args);
    assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
    text(&out.stdout).trim_end().to_owned()
}

/// A layout `L` with `v1`: a tree of a few files, built by `oci build`.
fn layout_with_v1(dir: &Path) -> String {
    let tree = dir.join("tree");
    std::fs::create_dir_all(tree.join("etc")).unwrap();
    std::fs::write(tree.join("etc/motd"), "hello\n").unwrap();
    std::fs::write(tree.join("etc/hostname"), "box\n").unwrap();
    std::fs::write(tree.join("data.txt"), vec![b'd'; 200_000]).unwrap();
    let layout = dir.join("L").display().to_string();
    ok(&["build", tree.to_str().unwrap(), &format!("{layout}:v1")]);
    layout
}

fn stat_json(image: &str) -> serde_json::Value {
    serde_json::from_str(&ok(&["stat", image, "--json"])).unwrap()
}

#[test]
fn config_makes_a_new_image_with_a_history_entry() {
    let dir = tempfile::tempdir().unwrap();
    let layout = layout_with_v1(dir.path());
    let v1 = format!("{layout}:v1");
    let before = stat_json(&v1);
    let digest = ok(&[
        "config",
        &v1,
        "--tag",
        "v2",
        "--env",
        "GREETING=hi",
        "--entrypoint",
        "/bin/sh",
        "--entrypoint",
        "-c",
        "--cmd",
        "echo $GREETING",
        "--workdir",
        "/srv",
        "--user",
        "1000:1000",
        "--label",
        "org.example.team=oci",
        "--expose",
        "8080",
        "--expose",
        "53/udp",
        "--volume",
        "/data",
        "--stop-signal",
        "SIGINT",
    ]);
    let v2 = format!("{layout}:v2");
    let after = stat_json(&v2);
    assert_eq!(after["descriptor"]["digest"], digest.as_str(), "{after:#}");
    assert_eq!(stat_json(&v1), before, "v1 is left as it was");

    let config = &after["config"]["config"];
    assert_eq!(config["Env"], serde_json::json!(["GREETING=hi"]));
    assert_eq!(config["Entrypoint"], serde_json::json!(["/bin/sh", "-c"]));
    assert_eq!(config["Cmd"], serde_json::json!(["echo $GREETING"]));
    assert_eq!(config["WorkingDir"], "/srv");
    assert_eq!(config["User"], "1000:1000");
    assert_eq!(config["Labels"]["org.example.team"], "oci");
    assert_eq!(
        config["ExposedPorts"],
        serde_json::json!({"53/udp": {}, "8080/tcp": {}})
    );
    assert_eq!(config["Volumes"], serde_json::json!({"/data": {}}));
    assert_eq!(config["StopSignal"], "SIGINT");
    let history = after["config"]["history"].as_array().unwrap();
    let last = history.last().unwrap();
    assert_eq!(last["empty_layer"], true);
    assert_eq!(last["created"], "2023-11-14T22:13:20Z");
    assert!(
        last["created_by"]
            .as_str()
            .unwrap()
            .starts_with("oci config")
    );
    assert_eq!(
        after["config"]["rootfs"], before["config"]["rootfs"],
        "no layer changes"
    );

    // --cmd= alone clears Cmd; the same tag moves.
    ok(&["config", &v2, "--cmd="]);
    assert!(stat_json(&v2)["config"]["config"].get("Cmd").is_none());

    if peers::require_tool("oci-image-tool") {
        peers::oci_image_tool(&["validate", "--type", "image", "--ref", "name=v2", &layout]);
    }
}

/// The history entry of `oci config` records the command quoted as a POSIX
/// shell reads it: `sh` gives back each argument as it was given, and an
/// argument that needs no quotes is written bare, as before.
#[test]
fn config_history_quotes_arguments_as_a_shell_would() {
    let dir = tempfile::tempdir().unwrap();
    let layout = layout_with_v1(dir.path());
    let v1 = format!("{layout}:v1");
    let args = [
        "config",
        v1.as_str(),
        "--tag",
        "v2",
        "--user",
        "1000:1000",
        "--cmd",
        "echo hello; cat /etc/motd",
        "--env",
        "GREETING=it's $HOME",
        "--label",
        "org.example.note=a\tb\nc",
        "--entrypoint",
        "-c",
        "--entrypoint",
        "",
        "--workdir=/srv",
    ];
    ok(&args);
    let history = stat_json(&format!("{layout}:v2"))["config"]["history"].clone();
    let created_by = history.as_array().unwrap().last().unwrap()["created_by"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        created_by,
        format!(
            "oci config {v1} --tag v2 --user 1000:1000 --cmd 'echo hello; cat /etc/motd' --env 'GREETING=it'\\''s $HOME' --label 'org.example.note=a\tb\nc' --entrypoint -c --entrypoint '' --workdir=/srv"
        )
    );
    let words = created_by.strip_prefix("oci ").unwrap();
    let out = Command::new("sh")
        .args(["-c", &format!("printf '%s\\0' {words}")])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let given: Vec<String> = text(&out.stdout)
        .split_terminator('\0')
        .map(str::to_owned)
        .collect();
    assert_eq!(given, args);
}

#[test]
fn config_refuses_bad_values() {
    let dir = tempfile::tempdir().unwrap();
    let layout = layout_with_v1(dir.path());
    let v1 = format!("{layout}:v1");
    assert_usage_error(&["config", &v1]);
    assert_usage_error(&["config", &v1, "--label", "no-equals"]);
    assert_usage_error(&["config", &v1, "--bogus", "x"]);
    for (args, expected) in [
        (vec!["--env", "NOEQUALS"], "Env \"NOEQUALS\""),
        (vec!["--expose", "99999"], "ExposedPorts \"99999\""),
        (vec!["--volume", "data"], "Volumes \"data\""),
        (vec!["--workdir", "../x"], "WorkingDir \"../x\""),
    ] {
        let mut all = vec!["config", v1.as_str()];
        all.extend(args);
        let out = run(&all);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{all:?}: {stderr}");
        assert!(stderr.contains(expected), "{all:?}: {stderr}");
    }
    assert_eq!(ok(&["ls", &layout]), "v1", "nothing was tagged");
}

#[test]
fn unpack_then_repack_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let layout = layout_with_v1(dir.path());
    let v1 = format!("{layout}:v1");
    ok(&["config", &v1, "--cmd", "/bin/true", "--env", "A=b"]);
    let bundle = dir.path().join("bundle");
    let bundle_arg = bundle.to_str().unwrap();
    let digest = ok(&["unpack", &v1, bundle_arg]);
    assert_eq!(digest, stat_json(&v1)["descriptor"]["digest"]);
    let config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bundle.join("config.json")).unwrap()).unwrap();
    assert_eq!(config["process"]["args"], serde_json::json!(["/bin/true"]));
    assert!(
        config["process"]["env"]
            .as_array()
            .unwrap()
            .contains(&"A=b".into())
    );
    assert_eq!(
        std::fs::read(bundle.join("rootfs/etc/motd")).unwrap(),
        b"hello\n"
    );
    let validate = run(&[
        "validate",
        "--type",
        "runtime-config",
        bundle.join("config.json").to_str().unwrap(),
    ]);
    assert!(validate.status.success(), "{}", text(&validate.stdout));

    // A second unpack into the same bundle is refused, exit 1.
    let again = run(&["unpack", &v1, bundle_arg]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        text(&again.stderr).contains("already holds rootfs"),
        "{}",
        text(&again.stderr)
    );

    // No change: no layer, the digest of v1, and a note on stderr.
    let same = run(&["repack", bundle_arg, &format!("{layout}:same")]);
    assert!(same.status.success());
    assert_eq!(text(&same.stdout).trim_end(), digest);
    assert!(text(&same.stderr).contains("has not changed"));

    std::fs::write(bundle.join("rootfs/etc/motd"), "changed\n").unwrap();
    std::fs::remove_file(bundle.join("rootfs/etc/hostname")).unwrap();
    let v2 = ok(&[
        "repack",
        bundle_arg,
        &format!("{layout}:v2"),
        "--compression",
        "zstd",
    ]);
    let stat = stat_json(&format!("{layout}:v2"));
    assert_eq!(stat["descriptor"]["digest"], v2.as_str());
    let layers = stat["manifest"]["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 2);
    assert_eq!(
        layers[1]["mediaType"],
        "application/vnd.oci.image.layer.v1.tar+zstd"
    );

    let fresh = dir.path().join("fresh");
    ok(&["unpack", &format!("{layout}:v2"), fresh.to_str().unwrap()]);
    assert_eq!(
        std::fs::read(fresh.join("rootfs/etc/motd")).unwrap(),
        b"changed\n"
    );
    assert!(!fresh.join("rootfs/etc/hostname").exists());
    ok(&["fsck", &layout]);

    assert_usage_error(&["unpack", &v1]);
    assert_usage_error(&["repack", bundle_arg]);
    assert_usage_error(&[
        "repack",
        bundle_arg,
        &format!("{layout}:v3"),
        "--compression",
        "lz4",
    ]);
    let not_bundle = run(&[
        "repack",
        dir.path().to_str().unwrap(),
        &format!("{layout}:v3"),
    ]);
    assert_eq!(not_bundle.status.code(), Some(1));
    assert!(text(&not_bundle.stderr).contains("oci-bundle.json"));
}

#[test]
fn a_progress_bar_on_a_terminal_only() {
    if !peers::require_tool("script") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let layout = layout_with_v1(dir.path());
    let v1 = format!("{layout}:v1");
    let path = |name: &str| dir.path().join(name).display().to_string();
    let layer_size = stat_json(&v1)["manifest"]["layers"][0]["size"]
        .as_u64()
        .unwrap();

    // With a total: a bar, the bytes of the total, the rate, the time left;
    // each redraw clears the line first (ECMA-48 EL, erase in line).
    let shown = on_a_terminal(&["unpack", &v1, &path("b1")]);
    assert!(shown.contains("unpack layer 1/1 ["), "{shown:?}");
    let total = format!("/{} ", indicatif::HumanBytes(layer_size));
    assert!(shown.contains(&total), "{total:?} in {shown:?}");
    assert!(shown.contains("B/s ETA "), "{shown:?}");
    assert!(shown.contains("\r\x1b[2K"), "{shown:?}");
    let shown = on_a_terminal(&["unpack", &v1, &path("b2"), "--quiet"]);
    assert!(!shown.contains("unpack layer"), "{shown:?}");
    assert!(!shown.contains("\x1b["), "{shown:?}");

    let archive = path("v1.tar");
    let shown = on_a_terminal(&["export", &v1, &archive]);
    assert!(shown.contains("export ["), "{shown:?}");
    let shown = on_a_terminal(&["import", &archive, &format!("{}:imported", path("L2"))]);
    assert!(shown.contains("import ["), "{shown:?}");
    let shown = on_a_terminal(&["copy", &v1, &format!("{}:copied", path("L3"))]);
    assert!(shown.contains("copy ["), "{shown:?}");

    // Without a total: bytes, entries and the rate (how many entries the
    // drawn line has depends on the timing: the first report of this
    // small tree comes after its first entry).
    let tree = path("tree");
    let shown = on_a_terminal(&["build", &tree, &format!("{layout}:built")]);
    assert!(shown.contains(" build "), "{shown:?}");
    assert!(
        shown.contains(" entr") && shown.contains("B/s ") && !shown.contains("ETA"),
        "{shown:?}"
    );
    std::fs::write(dir.path().join("b1/rootfs/new"), "x").unwrap();
    let shown = on_a_terminal(&["repack", &path("b1"), &format!("{layout}:repacked")]);
    assert!(shown.contains(" repack "), "{shown:?}");
}

/// Into a pipe, whatever the command, nothing but what it prints anyway:
/// no bar, no control characters.
#[test]
fn no_progress_into_a_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let layout = layout_with_v1(dir.path());
    let v1 = format!("{layout}:v1");
    let path = |name: &str| dir.path().join(name).display().to_string();
    let archive = path("v1.tar");
    let tree = path("tree");
    let commands: [Vec<String>; 6] = [
        vec!["unpack".into(), v1.clone(), path("b")],
        vec!["export".into(), v1.clone(), archive.clone()],
        vec!["import".into(), archive, format!("{}:imported", path("L2"))],
        vec!["copy".into(), v1.clone(), format!("{}:copied", path("L3"))],
        vec!["build".into(), tree, format!("{layout}:built")],
        vec!["repack".into(), path("b"), format!("{layout}:repacked")],
    ];
    for args in commands {
        if args[0] == "repack" {
            std::fs::write(dir.path().join("b/rootfs/new"), "x").unwrap();
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = run(&args);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        assert_eq!(text(&out.stderr), "", "{args:?}");
    }
}
