//! The runtime-spec's own schema test documents (tests/fixtures, see
//! NOTICE.md): every good one parses and round-trips without losing or
//! inventing a member; every bad one is rejected, naming the field.

#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};

use ocikit_runtime_spec::{Features, Json, ParseError, Rule, Severity, Spec, State, Validate};

fn fixtures(dir: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(dir);
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no fixtures in {}", dir.display());
    files
}

/// Parses each good file, checks the round trip, and returns how many.
fn round_trip<T: Json + PartialEq + std::fmt::Debug>(dir: &str) -> usize {
    let (parse, compact, pretty) = (T::from_json, T::to_canonical_json, T::to_pretty_json);
    let files = fixtures(dir);
    for path in &files {
        let name = path.display();
        let input = fs::read(path).unwrap();
        let model = parse(&input).unwrap_or_else(|e| panic!("{name}: {e}"));
        let out = compact(&model);
        // No member lost or invented.
        let before: serde_json::Value = serde_json::from_slice(&input).unwrap();
        let after: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(before, after, "{name}: the JSON value changed");
        // Parsing our output gives the same model.
        let again = parse(&out).unwrap_or_else(|e| panic!("{name}: re-parse: {e}"));
        assert_eq!(model, again, "{name}: the model changed");
        // Deterministic: the same model, the same bytes.
        assert_eq!(out, compact(&again), "{name}: compact output not stable");
        assert_eq!(
            pretty(&model),
            pretty(&again),
            "{name}: pretty output not stable"
        );
        let pretty_value: serde_json::Value = serde_json::from_slice(&pretty(&model)).unwrap();
        assert_eq!(
            before, pretty_value,
            "{name}: the pretty JSON value changed"
        );
    }
    files.len()
}

#[test]
fn good_configs_round_trip() {
    let n = round_trip::<Spec>("config/good");
    assert_eq!(n, 9);
    for path in fixtures("config/good") {
        let spec = Spec::from_json(&fs::read(&path).unwrap()).unwrap();
        let warnings = spec
            .validate()
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(warnings.iter().all(|w| w.severity == Severity::Warning));
    }
}

#[test]
fn good_states_round_trip() {
    let n = round_trip::<State>("state/good");
    assert_eq!(n, 1);
    let state = State::from_json(&read("state/good/spec-example.json")).unwrap();
    let warnings = state.validate().unwrap();
    // "myKey" is not a reverse domain name: a SHOULD, so only a warning.
    assert_eq!(warnings.len(), 1);
    assert_eq!(
        warnings[0].to_string(),
        r#"warning: annotations["myKey"]: a key should be a reverse domain name like "com.example.key""#
    );
}

#[test]
fn good_features_round_trip() {
    let n = round_trip::<Features>("features/good");
    assert_eq!(n, 2);
    for path in fixtures("features/good") {
        let features = Features::from_json(&fs::read(&path).unwrap()).unwrap();
        let warnings = features
            .validate()
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        // runc's annotations use the reserved org.opencontainers namespace,
        // which is a warning (the reservation binds specifications).
        for w in &warnings {
            assert_eq!(w.rule, Rule::Annotation, "{w}");
            assert!(
                w.path
                    .starts_with(r#"annotations["org.opencontainers.runc."#),
                "{w}"
            );
        }
    }
}

fn read(path: &str) -> Vec<u8> {
    fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(path),
    )
    .unwrap()
}

/// The error of parsing a bad file, with its path and message.
fn rejected<T: std::fmt::Debug>(result: Result<T, ParseError>) -> (String, String) {
    let err = result.expect_err("a bad document is rejected");
    (err.path, err.message)
}

#[test]
fn bad_config_invalid_json() {
    let (path, message) = rejected(Spec::from_json(&read("config/bad/invalid-json.json")));
    assert_eq!(path, ".");
    assert_eq!(message, "key must be a string");
}

#[test]
fn bad_config_rdma_names_the_field() {
    let err = Spec::from_json(&read("config/bad/linux-rdma.json")).unwrap_err();
    assert_eq!(err.path, r#"linux.resources.rdma["mlx5_1"].hcaHandles"#);
    let text = err.to_string();
    assert!(
        text.contains(r#"linux.resources.rdma["mlx5_1"].hcaHandles: invalid type: string "not a uint32", expected u32"#),
        "{text}"
    );
}

#[test]
fn bad_config_netdevice_names_the_field() {
    let (path, message) = rejected(Spec::from_json(&read("config/bad/linux-netdevice.json")));
    assert_eq!(path, r#"linux.netDevices["eth0"].name"#);
    assert!(
        message.starts_with("invalid type: integer `23`"),
        "{message}"
    );
}

#[test]
fn bad_config_freebsd_vnet_disable_names_the_field() {
    let (path, message) = rejected(Spec::from_json(&read(
        "config/bad/freebsd-vnet-disable.json",
    )));
    assert_eq!(path, "freebsd.jail.vnet");
    assert!(message.contains("unknown variant `disable`"), "{message}");
}

#[test]
fn bad_config_hugepage_page_size() {
    // The JSON types are right, so parsing accepts it; validation rejects
    // it, naming the field (the schema's pattern ^[1-9][0-9]*[KMG]B$).
    let spec = Spec::from_json(&read("config/bad/linux-hugepage.json")).unwrap();
    let err = spec.validate().unwrap_err();
    assert_eq!(err.path(), "linux.resources.hugepageLimits[0].pageSize");
    assert_eq!(
        err.to_string(),
        "config.json is invalid: linux.resources.hugepageLimits[0].pageSize: must be a size like \"2MB\" (digits, then KB, MB or GB), found \"64kB\""
    );
}

#[test]
fn bad_features_missing_version_max() {
    let (path, message) = rejected(Features::from_json(&read(
        "features/bad/missing-ociVersionMax.json",
    )));
    assert_eq!(path, ".");
    assert_eq!(message, "missing field `ociVersionMax`");
}

#[test]
fn bad_state_invalid_json() {
    let (path, _) = rejected(State::from_json(&read("state/bad/invalid-json.json")));
    assert_eq!(path, ".");
}

#[test]
fn every_bad_file_is_covered() {
    // A new bad fixture must get its own test above.
    let names: Vec<String> = ["config/bad", "features/bad", "state/bad"]
        .iter()
        .flat_map(|d| fixtures(d))
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        [
            "freebsd-vnet-disable.json",
            "invalid-json.json",
            "linux-hugepage.json",
            "linux-netdevice.json",
            "linux-rdma.json",
            "missing-ociVersionMax.json",
            "invalid-json.json",
        ]
    );
}
