//! Image config -> runtime config (image-spec conversion.md): every rule of
//! `runtime_config` on small rootfs trees made here: args, cwd, env with
//! its defaults and HOME, the six forms of `config.User` with
//! `/etc/passwd` and `/etc/group`, id ranges, additional groups,
//! annotations and labels, volumes, the os check, the rootless profile,
//! and the confinement of the account files to the rootfs.

#![allow(clippy::unwrap_used)]

use std::os::unix::fs::symlink;
use std::path::Path;

use ocikit_convert::conversion::annotations as keys;
use ocikit_convert::{ConversionOptions, Error, runtime_config};
use ocikit_image::{ContainerConfig, ImageConfiguration, Json, Validate};
use ocikit_runtime_spec::{Mount, NamespaceType, Process, Spec, User};

const PASSWD: &str = "\
# a comment, and an empty line below

root:x:0:0:root:/root:/bin/sh
alice:x:1001:1002:Alice:/home/alice:/bin/sh
bob:x:1003:1003::/home/bob:/bin/sh
nohome:x:1004:1004:::/bin/sh
+nis
huge:x:4294967295:1:::
badgid:x:1005:abc:::
";

const GROUP: &str = "\
root:x:0:
staff:x:1002:
wheel:x:10:alice,bob
audio:x:29:bob
extra:x:2000:bob,alice
again:x:10:alice
biggroup:x:3000000000:
";

/// A rootfs with `etc/passwd` and `etc/group` (when given).
fn rootfs(passwd: Option<&str>, group: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("etc")).unwrap();
    if let Some(passwd) = passwd {
        std::fs::write(dir.path().join("etc/passwd"), passwd).unwrap();
    }
    if let Some(group) = group {
        std::fs::write(dir.path().join("etc/group"), group).unwrap();
    }
    dir
}

/// A linux/amd64 image config whose `config` is set by `edit`.
fn image(edit: impl FnOnce(&mut ContainerConfig)) -> ImageConfiguration {
    let mut image = ImageConfiguration::for_platform(&"linux/amd64".parse().unwrap());
    edit(image.config.get_or_insert_with(Default::default));
    image
}

fn linux() -> ConversionOptions {
    let mut options = ConversionOptions::default();
    options.host_os = "linux".into();
    options
}

/// Converts with the Linux defaults; every result must validate.
fn convert(image: &ImageConfiguration, rootfs: &Path) -> Result<Spec, Error> {
    convert_with(image, rootfs, &linux())
}

fn convert_with(
    image: &ImageConfiguration,
    rootfs: &Path,
    options: &ConversionOptions,
) -> Result<Spec, Error> {
    let spec = runtime_config(image, rootfs, options)?;
    let round_trip = Spec::from_json(&spec.to_canonical_json()).unwrap();
    assert_eq!(round_trip, spec);
    spec.validate().unwrap();
    Ok(spec)
}

fn process(spec: &Spec) -> &Process {
    spec.process.as_ref().unwrap()
}

fn user_of(spec: &Spec) -> (u32, u32, Vec<u32>) {
    let User {
        uid,
        gid,
        additional_gids,
        ..
    } = process(spec).user.clone().unwrap();
    (uid.unwrap(), gid.unwrap(), additional_gids)
}

/// The user `config.User` = `user` becomes in the standard rootfs.
fn user(user: &str) -> Result<(u32, u32, Vec<u32>), Error> {
    let root = rootfs(Some(PASSWD), Some(GROUP));
    let image = image(|c| c.user = Some(user.into()));
    convert(&image, root.path()).map(|spec| user_of(&spec))
}

/// The error's message, which must name every one of `names`.
#[track_caller]
fn message<T: std::fmt::Debug>(result: Result<T, Error>, names: &[&str]) -> String {
    let msg = result.unwrap_err().to_string();
    for name in names {
        assert!(msg.contains(name), "{msg:?} should name {name:?}");
    }
    msg
}

fn env_of(spec: &Spec) -> Vec<&str> {
    process(spec).env.iter().map(String::as_str).collect()
}

const PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

#[test]
fn args_are_entrypoint_then_cmd_and_cwd_is_the_working_dir() {
    let root = rootfs(None, None);
    let args = |entrypoint: &[&str], cmd: &[&str]| {
        let image = image(|c| {
            c.entrypoint = entrypoint.iter().map(|s| s.to_string()).collect();
            c.cmd = cmd.iter().map(|s| s.to_string()).collect();
        });
        process(&convert(&image, root.path()).unwrap()).args.clone()
    };
    assert_eq!(
        args(&["/bin/sh", "-c"], &["echo hi"]),
        ["/bin/sh", "-c", "echo hi"]
    );
    assert_eq!(args(&["/entry"], &[]), ["/entry"]);
    assert_eq!(args(&[], &["/cmd", "x"]), ["/cmd", "x"]);
    // Nothing to run: `sh`, as `runc spec` and umoci.
    assert_eq!(args(&[], &[]), ["sh"]);

    let cwd = |dir: Option<&str>| {
        let image = image(|c| c.working_dir = dir.map(str::to_owned));
        convert(&image, root.path()).map(|spec| process(&spec).cwd.clone())
    };
    assert_eq!(cwd(Some("/srv/app")).unwrap(), "/srv/app");
    assert_eq!(cwd(None).unwrap(), "/");
    assert_eq!(cwd(Some("")).unwrap(), "/"); // as Docker writes "no WorkingDir"
    let msg = message(
        cwd(Some("srv/app")),
        &["config.WorkingDir", "\"srv/app\"", "absolute"],
    );
    assert!(msg.contains("relative"), "{msg}");
    // No config at all: root, `sh`, `/`.
    let mut bare = image(|_| {});
    bare.config = None;
    let spec = convert(&bare, root.path()).unwrap();
    assert_eq!(
        (process(&spec).args.clone(), process(&spec).cwd.as_str()),
        (vec!["sh".to_owned()], "/")
    );
    assert_eq!(user_of(&spec), (0, 0, vec![]));
}

#[test]
fn env_defaults_never_override_the_image_and_home_comes_from_passwd() {
    let root = rootfs(Some(PASSWD), Some(GROUP));
    let env = |env: &[&str], user: Option<&str>, terminal: bool| {
        let image = image(|c| {
            c.env = env.iter().map(|s| s.to_string()).collect();
            c.user = user.map(str::to_owned);
        });
        let mut options = linux();
        options.terminal = terminal;
        let spec = convert_with(&image, root.path(), &options).unwrap();
        assert_eq!(process(&spec).terminal, Some(terminal));
        env_of(&spec)
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
    };
    // Defaults first, the image's entries verbatim, HOME last.
    assert_eq!(
        env(&["FOO=bar", "EMPTY="], Some("alice"), false),
        [PATH, "FOO=bar", "EMPTY=", "HOME=/home/alice"]
    );
    assert_eq!(
        env(&["FOO=bar"], Some("alice"), true),
        [PATH, "TERM=xterm", "FOO=bar", "HOME=/home/alice"]
    );
    // The image's PATH, TERM and HOME stay as they are, where they are.
    assert_eq!(
        env(
            &["HOME=/x", "TERM=dumb", "PATH=/custom"],
            Some("alice"),
            true
        ),
        ["HOME=/x", "TERM=dumb", "PATH=/custom"]
    );
    // No User: root's home. A numeric user: its entry's home. A numeric
    // user without an entry, or an entry without a home: no HOME.
    assert_eq!(env(&[], None, false), [PATH, "HOME=/root"]);
    assert_eq!(env(&[], Some("1003:7"), false), [PATH, "HOME=/home/bob"]);
    assert_eq!(env(&[], Some("4242"), false), [PATH]);
    assert_eq!(env(&[], Some("nohome"), false), [PATH]);
    // No passwd at all: still fine for numeric users, and no HOME.
    let bare = rootfs(None, None);
    let image = image(|c| c.user = Some("7:8".into()));
    assert_eq!(env_of(&convert(&image, bare.path()).unwrap()), [PATH]);
}

#[test]
fn bad_env_entries_are_errors_naming_them() {
    let root = rootfs(None, None);
    for (entry, reason) in [
        ("NOEQUALS", "no '='"),
        ("=value", "name is empty"),
        ("A=b\0c", "NUL"),
    ] {
        let image = image(|c| c.env = vec!["OK=1".into(), entry.into()]);
        let msg = message(convert(&image, root.path()), &["config.Env[1]", reason]);
        assert!(msg.contains(&format!("{entry:?}")), "{msg}");
    }
}

#[test]
fn user_forms_resolve_through_the_rootfs() {
    // user: its uid, gid and the groups listing it (each gid once).
    assert_eq!(user("alice").unwrap(), (1001, 1002, vec![10, 2000]));
    assert_eq!(user("bob").unwrap(), (1003, 1003, vec![10, 29, 2000]));
    // uid: verbatim, its entry's group, no additional groups.
    assert_eq!(user("1001").unwrap(), (1001, 1002, vec![]));
    assert_eq!(user("4242").unwrap(), (4242, 0, vec![]));
    assert_eq!(user("0").unwrap(), (0, 0, vec![]));
    // user:group, uid:gid, uid:group, user:gid: the group given, no others.
    assert_eq!(user("alice:wheel").unwrap(), (1001, 10, vec![]));
    assert_eq!(user("1001:2000").unwrap(), (1001, 2000, vec![]));
    assert_eq!(user("4242:4343").unwrap(), (4242, 4343, vec![]));
    assert_eq!(user("1001:staff").unwrap(), (1001, 1002, vec![]));
    assert_eq!(user("alice:2000").unwrap(), (1001, 2000, vec![]));
    // Empty: root (as Docker writes "no User").
    assert_eq!(user("").unwrap(), (0, 0, vec![]));
}

#[test]
fn unknown_names_and_malformed_users_are_errors() {
    message(
        user("mallory"),
        &["config.User", "\"mallory\"", "/etc/passwd"],
    );
    message(
        user("alice:nogroup"),
        &["\"alice:nogroup\"", "\"nogroup\"", "/etc/group"],
    );
    message(user("1001:nogroup"), &["\"nogroup\"", "/etc/group"]);
    for bad in ["a:b:c", ":wheel", "alice:"] {
        message(user(bad), &["config.User", &format!("{bad:?}")]);
    }
    // Names need the files; their absence is said.
    let bare = rootfs(None, None);
    let img = image(|c| c.user = Some("alice".into()));
    message(
        convert(&img, bare.path()),
        &["\"alice\"", "there is no /etc/passwd"],
    );
    let only_passwd = rootfs(Some(PASSWD), None);
    let img = image(|c| c.user = Some("1:wheel".into()));
    message(
        convert(&img, only_passwd.path()),
        &["\"wheel\"", "there is no /etc/group"],
    );
    // A user NAME without a group and no /etc/group: no additional groups.
    let img = image(|c| c.user = Some("alice".into()));
    assert_eq!(
        user_of(&convert(&img, only_passwd.path()).unwrap()),
        (1001, 1002, vec![])
    );
}

#[test]
fn ids_must_fit_zero_to_i32_max() {
    assert_eq!(
        user("2147483647:2147483647").unwrap(),
        (2147483647, 2147483647, vec![])
    );
    for bad in [
        "2147483648",
        "4294967295",
        "99999999999999999999",
        "1:2147483648",
    ] {
        let msg = message(user(bad), &["config.User", "out of range", "2147483647"]);
        assert!(msg.contains(bad.rsplit(':').next().unwrap()), "{msg}");
    }
    // Ids of the files: the entry's line and name are given.
    message(
        user("huge"),
        &[
            "/etc/passwd line 8",
            "\"huge\"",
            "4294967295",
            "out of range",
        ],
    );
    message(
        user("badgid"),
        &[
            "/etc/passwd line 9",
            "\"badgid\"",
            "\"abc\"",
            "not a number",
        ],
    );
    message(
        user("1:biggroup"),
        &["/etc/group line 7", "\"biggroup\"", "3000000000"],
    );
}

#[test]
fn account_files_are_read_up_to_a_limit_and_only_as_regular_files() {
    let root = rootfs(None, Some(GROUP));
    // A sparse 10 GB passwd: refused after the limit, not slurped.
    let big = std::fs::File::create(root.path().join("etc/passwd")).unwrap();
    big.set_len(10 << 30).unwrap();
    let img = image(|c| c.user = Some("alice".into()));
    let started = std::time::Instant::now();
    let msg = message(
        convert(&img, root.path()),
        &["/etc/passwd", "larger than 16777216 bytes"],
    );
    assert!(started.elapsed().as_secs() < 10, "{msg}");
    // Exactly the limit is read.
    big.set_len(ocikit_convert::conversion::MAX_ACCOUNT_FILE_BYTES)
        .unwrap();
    message(convert(&img, root.path()), &["no user \"alice\""]);
    drop(big);
    // A FIFO does not block the conversion; a directory is refused too.
    std::fs::remove_file(root.path().join("etc/passwd")).unwrap();
    rustix::fs::mknodat(
        rustix::fs::CWD,
        root.path().join("etc/passwd"),
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o644),
        0,
    )
    .unwrap();
    message(
        convert(&img, root.path()),
        &["/etc/passwd", "expected a regular file"],
    );
    std::fs::remove_file(root.path().join("etc/passwd")).unwrap();
    std::fs::create_dir(root.path().join("etc/passwd")).unwrap();
    assert!(convert(&img, root.path()).is_err());
}

/// A user of the host's `/etc/passwd` that no rootfs here has, to show
/// that a lookup never reaches the host's file.
fn host_only_user() -> String {
    let host = std::fs::read_to_string("/etc/passwd").unwrap();
    let name = host
        .lines()
        .filter_map(|l| l.split(':').next())
        .find(|n| !n.is_empty() && !PASSWD.contains(&format!("\n{n}:")) && *n != "inside")
        .expect("a host user absent from the test rootfs");
    name.to_owned()
}

const INSIDE: &str = "inside:x:4100:4101::/home/inside:/bin/sh\n";

#[test]
fn a_symlinked_etc_passwd_reads_the_rootfs_or_nothing() {
    let host_user = host_only_user();
    for target in ["/etc/passwd", "../../../etc/passwd", "/../../etc/passwd"] {
        // A link to itself inside the rootfs: a loop, never the host's.
        let root = rootfs(None, None);
        symlink(target, root.path().join("etc/passwd")).unwrap();
        let img = image(|c| c.user = Some(host_user.clone()));
        assert!(convert(&img, root.path()).is_err(), "{target}");
        // The same link with the file it names planted in the rootfs.
        let real = target.replace("passwd", "real");
        let root = rootfs(None, None);
        std::fs::write(root.path().join("etc/real"), INSIDE).unwrap();
        symlink(&real, root.path().join("etc/passwd")).unwrap();
        let img = image(|c| c.user = Some("inside".into()));
        let spec = convert(&img, root.path()).unwrap();
        assert_eq!(user_of(&spec), (4100, 4101, vec![]), "{real}");
        assert!(env_of(&spec).contains(&"HOME=/home/inside"));
        let img = image(|c| c.user = Some(host_user.clone()));
        message(
            convert(&img, root.path()),
            &[&format!("no user {host_user:?}")],
        );
    }
}

#[test]
fn an_etc_symlinked_to_a_host_directory_reads_the_rootfs_or_nothing() {
    let host_user = host_only_user();
    // /etc -> the host's /etc: a loop inside the rootfs.
    let root = rootfs(None, None);
    std::fs::remove_dir(root.path().join("etc")).unwrap();
    symlink("/etc", root.path().join("etc")).unwrap();
    let img = image(|c| c.user = Some(host_user.clone()));
    assert!(convert(&img, root.path()).is_err());
    let img = image(|c| c.user = Some("root".into()));
    assert!(convert(&img, root.path()).is_err());

    // /etc -> a host directory holding a passwd with "outsider", by its
    // absolute name and by climbing out: neither is read, the rootfs's
    // copy at that name is.
    let host = tempfile::tempdir().unwrap();
    let host_etc = host.path().join("etc");
    std::fs::create_dir(&host_etc).unwrap();
    std::fs::write(
        host_etc.join("passwd"),
        "outsider:x:4200:4200::/out:/bin/sh\n",
    )
    .unwrap();
    let climb = format!("../../../../../../../..{}", host_etc.display());
    for link in [host_etc.to_str().unwrap(), climb.as_str()] {
        let root = rootfs(None, None);
        std::fs::remove_dir(root.path().join("etc")).unwrap();
        symlink(link, root.path().join("etc")).unwrap();
        let img = image(|c| c.user = Some("outsider".into()));
        message(
            convert(&img, root.path()),
            &["no user \"outsider\"", "there is no /etc/passwd"],
        );
        // Numeric ids need no passwd.
        let img = image(|c| c.user = Some("12:34".into()));
        assert_eq!(
            user_of(&convert(&img, root.path()).unwrap()),
            (12, 34, vec![])
        );
        // The rootfs's own file at the host path's name is the one read.
        let mirror = root.path().join(host_etc.strip_prefix("/").unwrap());
        std::fs::create_dir_all(&mirror).unwrap();
        std::fs::write(mirror.join("passwd"), INSIDE).unwrap();
        let img = image(|c| c.user = Some("inside".into()));
        assert_eq!(
            user_of(&convert(&img, root.path()).unwrap()),
            (4100, 4101, vec![]),
            "{link}"
        );
        let img = image(|c| c.user = Some("outsider".into()));
        message(convert(&img, root.path()), &["no user \"outsider\""]);
    }
}

#[test]
fn annotations_are_implied_by_the_config_and_labels_win() {
    let root = rootfs(None, None);
    let mut img = image(|c| {
        c.stop_signal = Some("SIGINT".into());
        c.exposed_ports = ["80/tcp", "443", "53/udp", "8080/tcp"]
            .map(String::from)
            .into();
        c.labels = [
            ("a", "b"),
            (keys::AUTHOR, "label-author"),
            (keys::OS, "mine"),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .into();
    });
    img.variant = Some("v3".into());
    img.os_version = Some("6.1".into());
    img.os_features = vec!["f1".into(), "f2".into()];
    img.author = Some("config-author".into());
    img.created = Some("2026-01-02T03:04:05Z".into());
    let spec = convert(&img, root.path()).unwrap();
    let expected: std::collections::BTreeMap<String, String> = [
        ("a", "b"),
        (keys::OS, "mine"),
        (keys::ARCHITECTURE, "amd64"),
        (keys::VARIANT, "v3"),
        (keys::OS_VERSION, "6.1"),
        (keys::OS_FEATURES, "f1,f2"),
        (keys::AUTHOR, "label-author"),
        (keys::CREATED, "2026-01-02T03:04:05Z"),
        (keys::STOP_SIGNAL, "SIGINT"),
        (keys::EXPOSED_PORTS, "443,53/udp,80/tcp,8080/tcp"),
    ]
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .into();
    assert_eq!(spec.annotations, expected);
    assert_eq!(keys::OS_FEATURES, "org.opencontainers.image.os.features");
    assert_eq!(keys::STOP_SIGNAL, "org.opencontainers.image.stopSignal");
    assert_eq!(keys::EXPOSED_PORTS, "org.opencontainers.image.exposedPorts");
    // Absent fields add no annotation.
    let spec = convert(&image(|_| {}), root.path()).unwrap();
    assert_eq!(
        spec.annotations.keys().collect::<Vec<_>>(),
        [keys::ARCHITECTURE, keys::OS]
    );
}

#[test]
fn volumes_become_tmpfs_mounts_at_clean_absolute_paths() {
    let root = rootfs(None, None);
    let img = image(|c| {
        c.volumes = ["/var/log/", "/data", "//data", "/a/./b"]
            .map(String::from)
            .into();
    });
    let spec = convert(&img, root.path()).unwrap();
    let defaults = Spec::default_linux().mounts;
    assert_eq!(spec.mounts[..defaults.len()], defaults[..]);
    let options = ["rw", "nosuid", "nodev", "noexec", "relatime"];
    let volume = |d: &str| Mount::new(d, "tmpfs", "none", &options);
    assert_eq!(
        spec.mounts[defaults.len()..],
        [volume("/a/b"), volume("/data"), volume("/var/log")]
    );
    for (bad, reason) in [
        ("data", "relative"),
        ("/data/../etc", "\"..\""),
        ("/..", "\"..\""),
        ("/", "root directory"),
        ("/./", "root directory"),
    ] {
        let img = image(|c| c.volumes = [bad.to_owned()].into());
        message(
            convert(&img, root.path()),
            &["config.Volumes", &format!("{bad:?}"), reason],
        );
    }
}

#[test]
fn only_images_for_the_host_os_are_converted() {
    let root = rootfs(None, None);
    let mut windows = image(|_| {});
    windows.os = "windows".into();
    message(
        convert(&windows, root.path()),
        &["\"windows\"", "\"linux\"", "config.os"],
    );
    // A linux image for a host that is not linux.
    let mut options = linux();
    options.host_os = "freebsd".into();
    message(
        convert_with(&image(|_| {}), root.path(), &options),
        &["\"linux\"", "\"freebsd\""],
    );
    let mut freebsd = image(|_| {});
    freebsd.os = "freebsd".into();
    assert!(convert_with(&freebsd, root.path(), &options).is_err());
    // The spelling is normalised as containerd does.
    let mut upper = image(|_| {});
    upper.os = "Linux".into();
    convert(&upper, root.path()).unwrap();
    // The default host os is this host's.
    assert_eq!(ConversionOptions::default().host_os, std::env::consts::OS);
}

#[test]
fn the_rest_is_the_default_profile_without_inheritable_or_ambient_capabilities() {
    let root = rootfs(Some(PASSWD), Some(GROUP));
    let img = image(|c| c.user = Some("alice".into()));
    let spec = convert(&img, root.path()).unwrap();
    let default = Spec::default_linux();
    assert_eq!(spec.linux, default.linux);
    assert_eq!(spec.mounts, default.mounts);
    assert_eq!(spec.hostname, default.hostname);
    assert_eq!(spec.oci_version, ocikit_runtime_spec::SPEC_VERSION);
    // A writable rootfs at rootfs/.
    assert_eq!(spec.root, Some(ocikit_runtime_spec::Root::new("rootfs")));
    let p = process(&spec);
    let d = process(&default);
    assert_eq!(p.terminal, Some(false));
    assert_eq!((&p.rlimits, p.no_new_privileges), (&d.rlimits, Some(true)));
    let caps = p.capabilities.as_ref().unwrap();
    let default_caps = d.capabilities.as_ref().unwrap();
    assert!(!caps.bounding.is_empty());
    assert_eq!(caps.bounding, default_caps.bounding);
    assert_eq!(caps.effective, default_caps.effective);
    assert_eq!(caps.permitted, default_caps.permitted);
    assert!(caps.inheritable.is_empty(), "{caps:?}");
    assert!(caps.ambient.is_empty(), "{caps:?}");
}

#[test]
fn the_rootless_profile_maps_the_callers_ids() {
    let root = rootfs(Some(PASSWD), Some(GROUP));
    let img = image(|c| c.user = Some("0:0".into()));
    let mut options = linux();
    options.rootless = true;
    let spec = convert_with(&img, root.path(), &options).unwrap();
    let uid = rustix::process::getuid().as_raw();
    let gid = rustix::process::getgid().as_raw();
    let expected = Spec::rootless_linux(uid, gid);
    assert_eq!(spec.linux, expected.linux);
    assert_eq!(spec.mounts, expected.mounts);
    let linux = spec.linux.as_ref().unwrap();
    assert_eq!(
        (linux.uid_mappings[0].host_id, linux.gid_mappings[0].host_id),
        (uid, gid)
    );
    let types: Vec<_> = linux.namespaces.iter().map(|n| n.typ.clone()).collect();
    assert!(types.contains(&NamespaceType::User) && !types.contains(&NamespaceType::Network));
    let caps = process(&spec).capabilities.as_ref().unwrap();
    assert!(caps.ambient.is_empty() && caps.inheritable.is_empty());
    // Without it: no user namespace.
    let spec = convert(&img, root.path()).unwrap();
    let linux = spec.linux.as_ref().unwrap();
    assert!(linux.uid_mappings.is_empty());
    assert!(
        !linux
            .namespaces
            .iter()
            .any(|n| n.typ == NamespaceType::User)
    );
}
