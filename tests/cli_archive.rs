//! `oci export` and `oci import`: both archive formats through the tool,
//! format detection, and what is left behind when they fail.
#![allow(clippy::unwrap_used)]

mod support;

use support::{run, text};

fn stat_json(image: &str) -> serde_json::Value {
    let out = run(&["stat", image, "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn export_and_import_both_formats() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let (src, dst) = (p("src"), p("dst"));
    assert!(
        run(&["new", &format!("{src}:v1"), "--platform", "linux/amd64"])
            .status
            .success()
    );
    let original = stat_json(&format!("{src}:v1"));

    let oci_tar = p("image.tar");
    let out = run(&["export", &format!("{src}:v1"), &oci_tar]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(&["import", &oci_tar, &format!("{dst}:from-oci")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let digest = original["descriptor"]["digest"].as_str().unwrap();
    assert_eq!(
        text(&out.stdout),
        format!("from-oci {digest} application/vnd.oci.image.manifest.v1+json\n")
    );
    // The same manifest, byte for byte.
    assert_eq!(
        stat_json(&format!("{dst}:from-oci"))["descriptor"]["digest"],
        digest
    );

    // Exports are deterministic.
    let again = p("again.tar");
    assert!(
        run(&["export", &format!("{src}:v1"), &again])
            .status
            .success()
    );
    assert_eq!(
        std::fs::read(&oci_tar).unwrap(),
        std::fs::read(&again).unwrap()
    );

    let docker_tar = p("docker.tar");
    let out = run(&[
        "export",
        &format!("{src}:v1"),
        &docker_tar,
        "--format",
        "docker-archive",
        "--repo-tag",
        "example.com/app:1.0",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = run(&[
        "import",
        &docker_tar,
        &format!("{dst}:from-docker"),
        "--to-oci",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let imported = stat_json(&format!("{dst}:from-docker"));
    // The config travels unchanged; the manifest is rebuilt.
    assert_eq!(
        imported["manifest"]["config"]["digest"],
        original["manifest"]["config"]["digest"]
    );
    assert_eq!(
        imported["manifest"]["mediaType"],
        "application/vnd.oci.image.manifest.v1+json"
    );
    assert_eq!(text(&run(&["ls", &dst]).stdout), "from-docker\nfrom-oci\n");
    assert!(run(&["fsck", &dst, "--diff-ids"]).status.success());
}

#[test]
fn export_and_import_failures() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let src = p("src");
    assert!(run(&["new", &format!("{src}:v1")]).status.success());

    // A missing tag: exit 1, and no archive (not even a partial one).
    let out = run(&["export", &format!("{src}:nope"), &p("x.tar")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("tag \"nope\""),
        "{}",
        text(&out.stderr)
    );
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["src"]);

    // Into a directory that does not exist: the message names the path
    // asked for, not a temporary file.
    let missing = p("missing/x.tar");
    let out = run(&["export", &format!("{src}:v1"), &missing]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr).trim_end(),
        format!(
            "oci: create a temporary file for {missing}: No such file or directory (os error 2)"
        )
    );

    // Usage errors: exit 2.
    for args in [
        vec![
            "export".to_owned(),
            format!("{src}:v1"),
            p("y.tar"),
            "--format".into(),
            "zip".into(),
        ],
        vec![
            "export".to_owned(),
            format!("{src}:v1"),
            p("y.tar"),
            "--format".into(),
            "docker-archive".into(),
            "--repo-tag".into(),
            "Bad Name".into(),
        ],
        vec!["import".to_owned(), p("y.tar")],
    ] {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        support::assert_usage_error(&args);
    }

    // Something that is not an archive of either kind.
    let not_tar = p("not.tar");
    std::fs::write(&not_tar, [0u8; 1024]).unwrap();
    let out = run(&["import", &not_tar, &format!("{}:t", p("dst"))]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("neither an oci-archive"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn a_file_that_is_no_tar_archive_is_named_so() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let notes = p("notes.txt");
    std::fs::write(&notes, "not an archive\n".repeat(100)).unwrap();
    let short = p("short.txt");
    std::fs::write(&short, "hello\n").unwrap();
    // A real archive, gzipped as `docker save | gzip` would.
    let src = p("src");
    assert!(run(&["new", &format!("{src}:v1")]).status.success());
    let tar = p("image.tar");
    assert!(
        run(&["export", &format!("{src}:v1"), &tar])
            .status
            .success()
    );
    let gz = p("image.tar.gz");
    let status = std::process::Command::new("gzip")
        .args(["-k", "-n", &tar])
        .status()
        .unwrap();
    assert!(status.success());

    for (file, hint) in [
        (&notes, ""),
        (&short, ""),
        (&gz, "; it is gzip-compressed: decompress it first"),
    ] {
        let image = format!("{}:x", p("L"));
        for format in [None, Some("oci-archive"), Some("docker-archive")] {
            let mut args = vec!["import", file.as_str(), &image];
            let read_as = match format {
                Some(format) => {
                    args.extend(["--format", format]);
                    format!(" (read as {format})")
                }
                None => String::new(),
            };
            let out = run(&args);
            assert_eq!(out.status.code(), Some(1), "{args:?}");
            assert_eq!(
                text(&out.stderr),
                format!(
                    "oci: {file}: not a tar archive: no valid tar header at its start{read_as}{hint}\n"
                ),
                "{args:?}"
            );
        }
    }
}

#[test]
fn a_docker_archive_imported_as_it_is_says_what_that_means() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).to_str().unwrap().to_owned();
    let (src, dst) = (p("src"), p("dst"));
    assert!(run(&["new", &format!("{src}:v1")]).status.success());
    let docker_tar = p("docker.tar");
    let out = run(&[
        "export",
        &format!("{src}:v1"),
        &docker_tar,
        "--format",
        "docker-archive",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    let out = run(&["import", &docker_tar, &format!("{dst}:kept")]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let docker = "application/vnd.docker.distribution.manifest.v2+json";
    assert!(text(&out.stdout).ends_with(&format!(" {docker}\n")));
    assert_eq!(
        text(&out.stderr),
        format!(
            "oci import: note: the manifests stay Docker-typed ({docker}): podman and skopeo's oci: transport will not find them; import with --to-oci to convert them\n"
        )
    );
    // Converted, or an OCI archive: nothing to say.
    let out = run(&[
        "import",
        &docker_tar,
        &format!("{dst}:converted"),
        "--to-oci",
    ]);
    assert!(out.status.success());
    assert_eq!(text(&out.stderr), "");
    let oci_tar = p("oci.tar");
    assert!(
        run(&["export", &format!("{src}:v1"), &oci_tar])
            .status
            .success()
    );
    let out = run(&["import", &oci_tar, &format!("{dst}:oci")]);
    assert!(out.status.success());
    assert_eq!(text(&out.stderr), "");
}
