//! Behaviour of the models beyond the fixtures: unknown members kept at every
//! level, error paths, what is written for absent and empty values, and no
//! panic on malformed input.

#![allow(clippy::unwrap_used)]

use ocikit_runtime_spec::{
    Features, Hook, Json, Linux, Mount, NamespaceType, Process, Root, SeccompOperator, Spec, State,
};

fn err_path(json: &str) -> (String, String) {
    let err = Spec::from_json(json.as_bytes()).expect_err("a parse error");
    (err.path, err.message)
}

#[test]
fn unknown_members_survive_read_modify_write_at_every_level() {
    let input = r#"{"ociVersion":"1.3.0","x-top":1,
        "process":{"cwd":"/","x-proc":{"deep":[1,2]},"user":{"uid":0,"gid":0,"x-user":"u"}},
        "linux":{"resources":{"cpu":{"shares":2,"x-cpu":null}},"x-linux":true,
                 "seccomp":{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["a"],"action":"SCMP_ACT_ERRNO","x-sys":0}]}}}"#;
    let mut spec = Spec::from_json(input.as_bytes()).unwrap();
    assert_eq!(spec.extra["x-top"], 1);
    spec.hostname = Some("h".to_owned());
    let out: serde_json::Value = serde_json::from_slice(&spec.to_canonical_json()).unwrap();
    let mut expected: serde_json::Value = serde_json::from_str(input).unwrap();
    expected["hostname"] = "h".into();
    assert_eq!(out, expected);
}

#[test]
fn error_paths_name_array_indexes_and_map_keys() {
    let (path, message) =
        err_path(r#"{"ociVersion":"1","mounts":[{"destination":"/a"},{"type":"tmpfs"}]}"#);
    assert_eq!(
        (path.as_str(), message.as_str()),
        ("mounts[1]", "missing field `destination`")
    );

    let (path, _) = err_path(
        r#"{"ociVersion":"1","linux":{"seccomp":{"defaultAction":"SCMP_ACT_ALLOW",
            "syscalls":[{"names":["x"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":-1,"op":"SCMP_CMP_EQ"}]}]}}}"#,
    );
    assert_eq!(path, "linux.seccomp.syscalls[0].args[0].value");

    let (path, _) = err_path(r#"{"ociVersion":"1","annotations":{"a.b":1}}"#);
    assert_eq!(path, r#"annotations["a.b"]"#);

    let (path, _) =
        err_path(r#"{"ociVersion":"1","linux":{"sysctl":{"net.ipv4.ip_forward":true}}}"#);
    assert_eq!(path, r#"linux.sysctl["net.ipv4.ip_forward"]"#);

    // A key with quotes is written as a JSON string.
    let (path, _) = err_path(r#"{"ociVersion":"1","linux":{"resources":{"unified":{"a\"b":2}}}}"#);
    assert_eq!(path, r#"linux.resources.unified["a\"b"]"#);

    let (path, message) = err_path(r#"{"ociVersion":"1","process":{"cwd":"/","user":{"uid":-1}}}"#);
    assert_eq!(path, "process.user.uid");
    assert!(
        message.starts_with("invalid value: integer `-1`, expected u32"),
        "{message}"
    );

    let (path, message) = err_path(r#"{"root":{"path":"r"}}"#);
    assert_eq!(
        (path.as_str(), message.as_str()),
        (".", "missing field `ociVersion`")
    );
}

#[test]
fn error_display_has_path_message_and_position() {
    let err = Spec::from_json(br#"{"ociVersion":"1","hostname":5}"#).unwrap_err();
    assert_eq!(
        err.to_string(),
        "config.json: hostname: invalid type: integer `5`, expected a string (line 1, column 30)"
    );
}

#[test]
fn duplicate_members_and_trailing_data_are_rejected() {
    let (path, message) = err_path(r#"{"ociVersion":"1","root":{"path":"a","path":"b"}}"#);
    assert_eq!(
        (path.as_str(), message.as_str()),
        ("root", "duplicate field `path`")
    );
    let (path, message) = err_path(r#"{"ociVersion":"1"} x"#);
    assert_eq!(
        (path.as_str(), message.as_str()),
        (".", "trailing characters")
    );
}

#[test]
fn absent_and_empty_values_are_not_written() {
    let spec = Spec {
        oci_version: "1.3.0".to_owned(),
        process: Some(Process {
            cwd: "/".to_owned(),
            ..Default::default()
        }),
        linux: Some(Linux::default()),
        ..Default::default()
    };
    assert_eq!(
        spec.to_canonical_json(),
        br#"{"ociVersion":"1.3.0","process":{"cwd":"/"},"linux":{}}"#
    );
    // null for an OPTIONAL member reads as absent.
    let spec = Spec::from_json(br#"{"ociVersion":"1","hostname":null}"#).unwrap();
    assert_eq!(spec.hostname, None);
}

#[test]
fn extra_never_duplicates_a_known_member() {
    let mut root = Root::new("rootfs");
    root.extra.insert("path".to_owned(), "elsewhere".into());
    root.extra.insert("x".to_owned(), 1.into());
    let spec = Spec {
        oci_version: "1".to_owned(),
        root: Some(root),
        ..Default::default()
    };
    assert_eq!(
        spec.to_canonical_json(),
        br#"{"ociVersion":"1","root":{"path":"rootfs","x":1}}"#
    );
}

#[test]
fn false_and_empty_option_lists_round_trip() {
    let input = r#"{"ociVersion":"1","process":{"terminal":false,"cwd":"/"},"root":{"path":"rootfs","readonly":false},"mounts":[{"destination":"/d","options":[]}]}"#;
    let spec = Spec::from_json(input.as_bytes()).unwrap();
    assert_eq!(spec.mounts[0].options, Some(vec![]));
    assert_eq!(spec.to_canonical_json(), input.as_bytes());
}

#[test]
fn constructors_and_pretty_output() {
    let spec = Spec {
        oci_version: ocikit_runtime_spec::SPEC_VERSION.to_owned(),
        root: Some(Root::new("rootfs")),
        mounts: vec![Mount::new("/proc", "proc", "proc", &[])],
        hooks: Some(ocikit_runtime_spec::Hooks {
            poststop: vec![Hook::new("/bin/true")],
            ..Default::default()
        }),
        linux: Some(Linux {
            namespaces: vec![ocikit_runtime_spec::Namespace::new(NamespaceType::Pid)],
            ..Default::default()
        }),
        ..Default::default()
    };
    let expected = "{\n\t\"ociVersion\": \"1.3.0\",\n\t\"root\": {\n\t\t\"path\": \"rootfs\"\n\t},\n\t\"mounts\": [\n\t\t{\n\t\t\t\"destination\": \"/proc\",\n\t\t\t\"type\": \"proc\",\n\t\t\t\"source\": \"proc\",\n\t\t\t\"options\": []\n\t\t}\n\t],\n\t\"hooks\": {\n\t\t\"poststop\": [\n\t\t\t{\n\t\t\t\t\"path\": \"/bin/true\"\n\t\t\t}\n\t\t]\n\t},\n\t\"linux\": {\n\t\t\"namespaces\": [\n\t\t\t{\n\t\t\t\t\"type\": \"pid\"\n\t\t\t}\n\t\t]\n\t}\n}";
    assert_eq!(String::from_utf8(spec.to_pretty_json()).unwrap(), expected);
}

#[test]
fn unknown_enum_values_round_trip_in_documents() {
    let input = r#"{"ociVersion":"1","linux":{"namespaces":[{"type":"future"}],"seccomp":{"defaultAction":"SCMP_ACT_NEW","architectures":["SCMP_ARCH_NEW"],"flags":["SECCOMP_FILTER_FLAG_NEW"],"syscalls":[{"names":["x"],"action":"SCMP_ACT_ALLOW","args":[{"index":1,"value":2,"op":"SCMP_CMP_NEW"}]}]}}}"#;
    let spec = Spec::from_json(input.as_bytes()).unwrap();
    let linux = spec.linux.as_ref().unwrap();
    assert!(!linux.namespaces[0].typ.is_known());
    let seccomp = linux.seccomp.as_ref().unwrap();
    assert!(!seccomp.default_action.is_known());
    assert!(!seccomp.architectures[0].is_known());
    assert!(!seccomp.flags[0].is_known());
    assert_eq!(
        seccomp.syscalls[0].args[0].op,
        SeccompOperator::Other("SCMP_CMP_NEW".to_owned())
    );
    assert_eq!(spec.to_canonical_json(), input.as_bytes());
}

#[test]
fn state_and_features_entry_points() {
    let state =
        State::from_json(br#"{"ociVersion":"1.3.0","id":"c","status":"stopped","bundle":"/b"}"#)
            .unwrap();
    assert_eq!(state.pid, None);
    assert_eq!(
        state.to_canonical_json(),
        br#"{"ociVersion":"1.3.0","id":"c","status":"stopped","bundle":"/b"}"#
    );
    let err = State::from_json(
        br#"{"ociVersion":"1.3.0","id":"c","status":"stopped","pid":"1","bundle":"/b"}"#,
    )
    .unwrap_err();
    assert_eq!(err.path, "pid");

    // Features: an empty list is not the same as an absent one.
    let input = br#"{"ociVersionMin":"1.0.0","ociVersionMax":"1.3.0","hooks":[],"linux":{"seccomp":{"enabled":false,"actions":[]}}}"#;
    let features = Features::from_json(input).unwrap();
    assert_eq!(features.hooks, Some(vec![]));
    assert_eq!(features.mount_options, None);
    assert_eq!(features.to_canonical_json(), input);
}

/// Every third prefix and many byte mutations of the fixtures: an error or a
/// value, never a panic.
#[test]
fn malformed_input_never_panics() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/config/good");
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    for entry in std::fs::read_dir(dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        for end in (0..bytes.len()).step_by(3) {
            let _ = Spec::from_json(&bytes[..end]);
        }
        for _ in 0..300 {
            let mut copy = bytes.clone();
            for _ in 0..3 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let at = (seed as usize) % copy.len();
                let table = b"{}[]\",:0-9aZ \\\x00\xff";
                copy[at] = table[(seed >> 32) as usize % table.len()];
            }
            if let Ok(spec) = Spec::from_json(&copy) {
                // Whatever parses also round-trips.
                assert_eq!(Spec::from_json(&spec.to_canonical_json()).unwrap(), spec);
            }
            let _ = State::from_json(&copy);
            let _ = Features::from_json(&copy);
        }
    }
}
