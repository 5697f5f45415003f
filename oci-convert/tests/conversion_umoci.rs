//! Our runtime config against the one `umoci unpack` writes (umoci 0.4.7),
//! in every field image-spec conversion.md defines: `process.args`, `env`,
//! `cwd`, `user` (uid, gid, additionalGids), `annotations` and the volume
//! mounts. Images are made with `umoci config` on a rootfs holding an
//! `/etc/passwd` and `/etc/group`; ours is the config.json our `unpack`
//! writes for the same image, and it must equal the image config converted
//! against umoci's own unpacked rootfs. Where umoci 0.4.7
//! departs from the spec we follow the spec, and each difference is
//! asserted (so that it is seen, and seen to go if umoci changes) with the
//! rule that decides it. Both configs must pass our validate.

#![allow(clippy::unwrap_used)]

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ocikit_convert::conversion::annotations as keys;
use ocikit_convert::{ConversionOptions, UnpackOptions, runtime_config};
use ocikit_layout::Layout;
use ocikit_runtime_spec::{Json, Mount, Process, Spec, Validate};
use ocikit_test_support::peers::{self, umoci};

const PASSWD: &str = "root:x:0:0:root:/root:/bin/sh\n\
alice:x:1001:1002:Alice:/home/alice:/bin/sh\n\
bob:x:1003:1003::/home/bob:/bin/sh\n";

const GROUP: &str = "root:x:0:\nstaff:x:1002:\nwheel:x:10:alice,bob\nextra:x:2000:bob,alice\n";

/// A layout with tag `base`: one layer holding `/etc/passwd` and
/// `/etc/group`, made by umoci.
struct Images {
    dir: tempfile::TempDir,
}

impl Images {
    fn new() -> Images {
        let images = Images {
            dir: tempfile::tempdir().unwrap(),
        };
        umoci(&["init", "--layout", images.layout().to_str().unwrap()]);
        umoci(&["new", "--image", &images.image("empty")]);
        let bundle = images.dir.path().join("base-bundle");
        umoci(&[
            "unpack",
            "--image",
            &images.image("empty"),
            bundle.to_str().unwrap(),
        ]);
        std::fs::create_dir_all(bundle.join("rootfs/etc")).unwrap();
        std::fs::write(bundle.join("rootfs/etc/passwd"), PASSWD).unwrap();
        std::fs::write(bundle.join("rootfs/etc/group"), GROUP).unwrap();
        umoci(&[
            "repack",
            "--image",
            &images.image("base"),
            bundle.to_str().unwrap(),
        ]);
        images
    }

    fn layout(&self) -> PathBuf {
        self.dir.path().join("layout")
    }

    fn image(&self, tag: &str) -> String {
        format!("{}:{tag}", self.layout().display())
    }

    /// `umoci config` on `base` with `args` as tag `tag`, then `umoci
    /// unpack` of it; umoci's config.json and ours, for its rootfs.
    fn convert(&self, tag: &str, args: &[&str]) -> (Spec, Spec) {
        let base = self.image("base");
        let tag_image = self.image(tag);
        let mut config = vec!["config", "--image", &base];
        config.extend(["--tag", tag]);
        config.extend(args);
        umoci(&config);
        let bundle = self.dir.path().join(format!("bundle-{tag}"));
        umoci(&["unpack", "--image", &tag_image, bundle.to_str().unwrap()]);
        let theirs = Spec::from_json(&std::fs::read(bundle.join("config.json")).unwrap()).unwrap();

        // Ours from our own unpack of the same image, config.json as
        // written; it must agree with runtime_config on umoci's rootfs.
        let layout = Layout::open(self.layout()).unwrap();
        let ours_bundle = self.dir.path().join(format!("ours-{tag}"));
        let options = UnpackOptions {
            rootless: false,
            ..UnpackOptions::default()
        };
        ocikit_convert::unpack(&layout, tag, &ours_bundle, &options).unwrap();
        let ours =
            Spec::from_json(&std::fs::read(ours_bundle.join("config.json")).unwrap()).unwrap();
        let resolved = layout.resolve(tag, None).unwrap();
        let image = layout.read_config(&resolved.manifest.config).unwrap();
        let on_umocis_rootfs = runtime_config(&image, &bundle.join("rootfs"), &linux()).unwrap();
        assert_eq!(ours, on_umocis_rootfs, "our unpack's config.json for {tag}");
        let version = peers::version("umoci");
        theirs
            .validate()
            .unwrap_or_else(|e| panic!("{version}'s config.json for {tag}: {e}"));
        ours.validate()
            .unwrap_or_else(|e| panic!("our config.json for {tag}: {e}"));
        (theirs, ours)
    }
}

fn linux() -> ConversionOptions {
    let mut options = ConversionOptions::default();
    options.host_os = "linux".into();
    options
}

fn process(spec: &Spec) -> &Process {
    spec.process.as_ref().unwrap()
}

fn user(spec: &Spec) -> (u32, u32, Vec<u32>) {
    let user = process(spec).user.clone().unwrap();
    (user.uid.unwrap(), user.gid.unwrap(), user.additional_gids)
}

/// The mounts at `destinations`, sorted by destination: umoci 0.4.7 walks
/// `Config.Volumes` as a Go map, in a random order (ours is sorted; the
/// order of volume mounts does not matter as long as none nests in
/// another).
fn volume_mounts(spec: &Spec, destinations: &[&str]) -> Vec<Mount> {
    let mut mounts: Vec<Mount> = spec
        .mounts
        .iter()
        .filter(|m| destinations.contains(&m.destination.as_str()))
        .cloned()
        .collect();
    mounts.sort_by(|a, b| a.destination.cmp(&b.destination));
    mounts
}

/// umoci's env with its departures from the spec undone: the `TERM=xterm`
/// it adds for the terminal it always asks for (we add TERM only with
/// `ConversionOptions::terminal`, which is off), and the image's own
/// `HOME` where umoci replaced it with the passwd entry's.
fn umoci_env_as_spec(theirs: &Spec, image_env: &[&str]) -> Vec<String> {
    let image_sets = |name: &str| image_env.iter().any(|e| e.starts_with(&format!("{name}=")));
    process(theirs)
        .env
        .iter()
        .filter(|e| image_sets("TERM") || e.as_str() != "TERM=xterm")
        .map(
            |e| match image_env.iter().find(|i| i.starts_with("HOME=")) {
                Some(home) if e.starts_with("HOME=") => (*home).to_owned(),
                _ => e.clone(),
            },
        )
        .collect()
}

#[test]
fn our_runtime_config_matches_umocis_where_conversion_md_defines_it() {
    if !peers::require_tool("umoci") || !support::require_root() {
        return;
    }
    let version = peers::version("umoci");
    let images = Images::new();

    // Everything at once, with a user NAME without a group.
    let (theirs, ours) = images.convert(
        "full",
        &[
            "--config.user=alice",
            "--config.env=FOO=bar",
            "--config.env=EMPTY=",
            "--config.entrypoint=/bin/sh",
            "--config.entrypoint=-c",
            "--config.cmd=echo hi",
            "--config.workingdir=/work",
            "--config.label=a=b",
            "--config.label=org.opencontainers.image.os=mine",
            "--config.exposedports=80/tcp",
            "--config.exposedports=443",
            "--config.exposedports=53/udp",
            "--config.volume=/data",
            "--config.volume=/var/log",
            "--config.stopsignal=SIGINT",
            "--author=me",
            "--os=linux",
        ],
    );
    let (t, o) = (process(&theirs), process(&ours));
    assert_eq!(o.args, t.args, "{version}");
    assert_eq!(o.args, ["/bin/sh", "-c", "echo hi"]);
    assert_eq!(o.cwd, t.cwd, "{version}");
    assert_eq!(o.cwd, "/work");
    assert_eq!(user(&ours), user(&theirs), "{version}");
    assert_eq!(user(&ours), (1001, 1002, vec![10, 2000]));
    // Env: equal but for TERM (umoci runs with a terminal; we do not).
    assert_eq!(
        o.env,
        umoci_env_as_spec(&theirs, &["FOO=bar", "EMPTY="]),
        "{version}"
    );
    assert!(
        t.env.iter().any(|e| e == "TERM=xterm"),
        "{version}: {:?}",
        t.env
    );
    assert!(!o.env.iter().any(|e| e.starts_with("TERM=")), "{:?}", o.env);
    assert!(o.env.iter().any(|e| e == "HOME=/home/alice"), "{:?}", o.env);
    // Volumes: the same tmpfs mounts.
    let volumes = ["/data", "/var/log"];
    assert_eq!(
        volume_mounts(&ours, &volumes),
        volume_mounts(&theirs, &volumes),
        "{version}"
    );
    assert_eq!(volume_mounts(&ours, &volumes).len(), 2);
    // Annotations: umoci 0.4.7 lets the implied os override the label
    // `org.opencontainers.image.os`; conversion.md "Annotations": the
    // value in Config.Labels MUST take precedence. Otherwise the same.
    assert_eq!(
        theirs.annotations.get(keys::OS).map(String::as_str),
        Some("linux"),
        "{version}"
    );
    assert_eq!(
        ours.annotations.get(keys::OS).map(String::as_str),
        Some("mine")
    );
    let mut expected = theirs.annotations.clone();
    expected.insert(keys::OS.to_owned(), "mine".to_owned());
    assert_eq!(ours.annotations, expected, "{version}");
    assert_eq!(ours.annotations[keys::EXPOSED_PORTS], "443,53/udp,80/tcp");
    assert_eq!(ours.annotations[keys::STOP_SIGNAL], "SIGINT");
    assert_eq!(ours.annotations[keys::AUTHOR], "me");
    assert!(ours.annotations.contains_key(keys::CREATED));

    // The image sets HOME, TERM and PATH, and a user:group.
    let env = ["HOME=/x", "TERM=dumb", "PATH=/custom"];
    let mut args: Vec<String> = env.iter().map(|e| format!("--config.env={e}")).collect();
    args.push("--config.user=alice:wheel".into());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (theirs, ours) = images.convert("home", &args);
    assert_eq!(user(&ours), user(&theirs), "{version}");
    assert_eq!(user(&ours), (1001, 10, vec![]));
    // umoci 0.4.7 replaces the image's HOME with the passwd entry's;
    // conversion.md "Verbatim Fields": Config.Env is copied verbatim and a
    // converter SHOULD NOT add entries whose names Config.Env has.
    assert!(
        process(&theirs).env.iter().any(|e| e == "HOME=/home/alice"),
        "{version}"
    );
    assert_eq!(process(&ours).env, env);
    // umoci 0.4.7 also puts the image's PATH and TERM where its defaults
    // were (["PATH=/custom", "TERM=dumb", "HOME=/x"]); we keep the image's
    // order (verbatim): the same entries, in another order.
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    assert_ne!(umoci_env_as_spec(&theirs, &env), env, "{version}");
    assert_eq!(
        sorted(process(&ours).env.clone()),
        sorted(umoci_env_as_spec(&theirs, &env)),
        "{version}"
    );

    // No User, no command: root, `sh`, `/`, and no empty annotations.
    let (theirs, ours) = images.convert("bare", &[]);
    let (t, o) = (process(&theirs), process(&ours));
    assert_eq!((&o.args, &o.cwd), (&t.args, &t.cwd), "{version}");
    assert_eq!((&o.args[..], o.cwd.as_str()), (&["sh".to_owned()][..], "/"));
    assert_eq!(user(&ours), user(&theirs), "{version}");
    assert_eq!(user(&ours), (0, 0, vec![]));
    assert_eq!(
        process(&ours).env,
        umoci_env_as_spec(&theirs, &[]),
        "{version}"
    );
    // umoci 0.4.7 writes author, exposedPorts and stopSignal with empty
    // values for absent fields; conversion.md implies an annotation from a
    // field's value, and an absent field has none: we write none.
    let empty: BTreeMap<&str, &str> = theirs
        .annotations
        .iter()
        .filter(|(_, v)| v.is_empty())
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        empty.keys().copied().collect::<Vec<_>>(),
        [keys::AUTHOR, keys::EXPOSED_PORTS, keys::STOP_SIGNAL],
        "{version}"
    );
    let mut expected = theirs.annotations.clone();
    expected.retain(|_, v| !v.is_empty());
    assert_eq!(ours.annotations, expected, "{version}");
}

#[test]
fn each_user_form_resolves_as_umoci_does_but_numeric_users_get_no_extra_groups() {
    if !peers::require_tool("umoci") || !support::require_root() {
        return;
    }
    let version = peers::version("umoci");
    let images = Images::new();
    for (i, (spec, expected)) in [
        ("bob", (1003, 1003, vec![10, 2000])),
        ("alice:wheel", (1001, 10, vec![])),
        ("1001:2000", (1001, 2000, vec![])),
        ("alice:2000", (1001, 2000, vec![])),
        ("1001:staff", (1001, 1002, vec![])),
        ("4242:4343", (4242, 4343, vec![])),
        ("5000", (5000, 0, vec![])),
        ("1001", (1001, 1002, vec![])),
    ]
    .into_iter()
    .enumerate()
    {
        let (theirs, ours) = images.convert(&format!("u{i}"), &[&format!("--config.user={spec}")]);
        assert_eq!(user(&ours), expected, "{spec}");
        assert_eq!(
            process(&ours).env,
            umoci_env_as_spec(&theirs, &[]),
            "{spec}, {version}"
        );
        if spec == "1001" {
            // umoci 0.4.7 gives a numeric user the groups listing its name;
            // conversion.md "Config.User": the converter SHOULD NOT modify
            // additionalGids if the user is numeric.
            assert_eq!(user(&theirs), (1001, 1002, vec![10, 2000]), "{version}");
        } else {
            assert_eq!(user(&ours), user(&theirs), "{spec}, {version}");
        }
    }
    // An unknown name: umoci fails the unpack too; we say which name.
    let mut config = vec!["config", "--image"];
    let base = images.image("base");
    config.extend([base.as_str(), "--tag", "nobody", "--config.user=nobody"]);
    umoci(&config);
    let bundle = images.dir.path().join("bundle-nobody");
    let unpack = peers::command("umoci")
        .args([
            "unpack",
            "--image",
            &images.image("nobody"),
            bundle.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        !unpack.status.success(),
        "{version} unpacked an image with an unknown user"
    );
    let layout = Layout::open(images.layout()).unwrap();
    let image = layout
        .read_config(&layout.resolve("nobody", None).unwrap().manifest.config)
        .unwrap();
    let rootfs = images.dir.path().join("base-bundle/rootfs");
    let err = runtime_config(&image, Path::new(&rootfs), &linux()).unwrap_err();
    assert!(err.to_string().contains("no user \"nobody\""), "{err}");
}
