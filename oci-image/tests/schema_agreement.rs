//! The image-spec's JSON schemas (`schema/*.json`) against our `validate()`:
//! on the examples of the spec's markdown both must accept, and on a corpus
//! of invalid documents, one per rule, each must give the verdict that
//! `tests/fixtures/invalid/expected.tsv` records. Where a schema and the spec
//! text disagree, the table says so in its `note` column; the spec text is
//! the authority. `tests/fixtures/README.md` describes the fixtures.

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::fs;
use std::path::{Path, PathBuf};

use jsonschema::{Draft, Registry, Retrieve, Uri, Validator};
use ocikit_image::{
    Descriptor, Document, Error, ImageConfiguration, ImageIndex, ImageLayout, ImageManifest, Model,
    Report,
};
use serde_json::Value;

/// The schema files of the image-spec, copied into `fixtures/schema/`.
const SCHEMA_FILES: [&str; 7] = [
    "config-schema.json",
    "content-descriptor.json",
    "defs-descriptor.json",
    "defs.json",
    "image-index-schema.json",
    "image-layout-schema.json",
    "image-manifest-schema.json",
];

/// Every base URL against which a relative `$ref` such as
/// `defs-descriptor.json#/definitions/mediaType` may be resolved: the
/// directory of each `id` in the schemas (the schemas and their subschemas
/// do not share one base: content-descriptor.json is
/// `https://opencontainers.org/schema/descriptor`, the manifest schema
/// `https://opencontainers.org/schema/image/manifest`). Every schema file is
/// registered under each of them, so nothing is fetched.
const BASES: [&str; 7] = [
    "https://opencontainers.org/schema/",
    "https://opencontainers.org/schema/descriptor/",
    "https://opencontainers.org/schema/image/",
    "https://opencontainers.org/schema/image/descriptor/",
    "https://opencontainers.org/schema/image/index/",
    "https://opencontainers.org/schema/image/manifest/",
    "https://opencontainers.org/schema/image/platform/",
];

/// Warnings that `validate()` gives on the spec's examples, as
/// (example file, path, rule). Empty: a new warning on a spec example is
/// either a regression or belongs here with a reason.
const EXAMPLE_WARNINGS: &[(&str, &str, &str)] = &[];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn read(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&read(path))
        .unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

/// Reads a tab-separated table with a header line into rows of the
/// header's width.
fn read_tsv(path: &Path) -> Vec<Vec<String>> {
    let text = String::from_utf8(read(path)).expect("the table is UTF-8");
    let mut lines = text.lines();
    let width = lines
        .next()
        .expect("the table has a header")
        .split('\t')
        .count();
    lines
        .enumerate()
        .map(|(i, line)| {
            let cells: Vec<String> = line.split('\t').map(str::to_owned).collect();
            assert_eq!(
                cells.len(),
                width,
                "{} line {}: {line:?}",
                path.display(),
                i + 2
            );
            cells
        })
        .collect()
}

/// The document types of the image-spec that have a JSON schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Descriptor,
    Manifest,
    Index,
    Config,
    Layout,
}

impl Kind {
    /// The `type` column of `expected.tsv`.
    fn from_name(name: &str) -> Option<Kind> {
        Some(match name {
            "descriptor" => Kind::Descriptor,
            "manifest" => Kind::Manifest,
            "index" => Kind::Index,
            "config" => Kind::Config,
            "layout" => Kind::Layout,
            _ => return None,
        })
    }

    /// The media type in the info string of a spec example.
    fn from_media_type(media_type: &str) -> Option<Kind> {
        Some(match media_type {
            "application/vnd.oci.descriptor.v1+json" => Kind::Descriptor,
            "application/vnd.oci.image.manifest.v1+json" => Kind::Manifest,
            "application/vnd.oci.image.index.v1+json" => Kind::Index,
            "application/vnd.oci.image.config.v1+json" => Kind::Config,
            "application/vnd.oci.layout.header.v1+json" => Kind::Layout,
            _ => return None,
        })
    }

    fn schema_file(self) -> &'static str {
        match self {
            Kind::Descriptor => "content-descriptor.json",
            Kind::Manifest => "image-manifest-schema.json",
            Kind::Index => "image-index-schema.json",
            Kind::Config => "config-schema.json",
            Kind::Layout => "image-layout-schema.json",
        }
    }

    /// Parses `bytes` as this kind's model and checks it: the report of
    /// [`Document::check`], which adds the I-JSON duplicate-name rule.
    fn check(self, bytes: &[u8]) -> Result<Report, Error> {
        fn check<T: Model>(bytes: &[u8]) -> Result<Report, Error> {
            Ok(Document::<T>::from_bytes(bytes.to_vec())?.check())
        }
        match self {
            Kind::Descriptor => check::<Descriptor>(bytes),
            Kind::Manifest => check::<ImageManifest>(bytes),
            Kind::Index => check::<ImageIndex>(bytes),
            Kind::Config => check::<ImageConfiguration>(bytes),
            Kind::Layout => check::<ImageLayout>(bytes),
        }
    }

    /// The round-trip properties of a valid document, as problems found.
    fn round_trip(self, bytes: &[u8]) -> Vec<String> {
        match self {
            Kind::Descriptor => round_trip::<Descriptor>(bytes),
            Kind::Manifest => round_trip::<ImageManifest>(bytes),
            Kind::Index => round_trip::<ImageIndex>(bytes),
            Kind::Config => round_trip::<ImageConfiguration>(bytes),
            Kind::Layout => round_trip::<ImageLayout>(bytes),
        }
    }
}

/// A `Document` keeps the exact bytes; the canonical form parses back to the
/// same value; and serialising gives the same bytes every time.
fn round_trip<T: Model + Clone + PartialEq + Debug>(bytes: &[u8]) -> Vec<String> {
    let mut problems = Vec::new();
    let doc = match Document::<T>::from_bytes(bytes.to_vec()) {
        Ok(doc) => doc,
        Err(e) => return vec![format!("does not parse: {e}")],
    };
    if doc.bytes().as_ref() != bytes {
        problems.push("Document::bytes() differs from the bytes it was parsed from".to_owned());
    }
    let canonical = doc.value().to_canonical_json();
    match T::from_json(&canonical) {
        Ok(again) => {
            if &again != doc.value() {
                problems.push(format!(
                    "the canonical form parses to another value:\n  {again:?}\n  {:?}",
                    doc.value()
                ));
            }
            if again.to_canonical_json() != canonical {
                problems
                    .push("the canonical form of the re-parsed value has other bytes".to_owned());
            }
        }
        Err(e) => problems.push(format!("the canonical form does not parse: {e}")),
    }
    if doc.value().to_canonical_json() != canonical {
        problems.push("serialising twice gives different bytes".to_owned());
    }
    if Document::new(doc.value().clone()).bytes().as_ref() != canonical.as_slice() {
        problems.push("Document::new does not hold the canonical bytes".to_owned());
    }
    problems
}

/// Refuses every fetch: all schemas are registered up front, so a request
/// means a `$ref` resolved against a base missing from [`BASES`].
struct Offline;

impl Retrieve for Offline {
    fn retrieve(
        &self,
        uri: &Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        Err(format!(
            "{uri} is not registered (no network in this test); is its base missing from BASES?"
        )
        .into())
    }
}

/// One validator per top-level schema, with every schema file registered
/// under every base and format validation (`date-time`, `uri`) on.
struct Schemas {
    validators: Vec<(Kind, Validator)>,
}

impl Schemas {
    fn load() -> Schemas {
        let dir = fixtures().join("schema");
        let mut resources = Vec::new();
        for file in SCHEMA_FILES {
            let contents = read_json(&dir.join(file));
            for base in BASES {
                resources.push((
                    format!("{base}{file}"),
                    Draft::Draft4.create_resource(contents.clone()),
                ));
            }
        }
        let registry = Registry::new()
            .draft(Draft::Draft4)
            .retriever(Offline)
            .extend(resources)
            .expect("schema URLs are valid")
            .prepare()
            .unwrap_or_else(|e| panic!("registering the schemas: {e}"));
        let kinds = [
            Kind::Descriptor,
            Kind::Manifest,
            Kind::Index,
            Kind::Config,
            Kind::Layout,
        ];
        let validators = kinds
            .into_iter()
            .map(|kind| {
                let schema = read_json(&dir.join(kind.schema_file()));
                let validator = jsonschema::options()
                    .with_draft(Draft::Draft4)
                    .should_validate_formats(true)
                    .with_retriever(Offline)
                    .with_registry(&registry)
                    .build(&schema)
                    .unwrap_or_else(|e| panic!("compiling {}: {e}", kind.schema_file()));
                (kind, validator)
            })
            .collect();
        Schemas { validators }
    }

    /// `Ok` when the schema of `kind` accepts `bytes`, else the errors as
    /// (instance location as a `#` JSON-pointer fragment, message). Bytes
    /// that are not JSON are rejected with no error location.
    fn check(&self, kind: Kind, bytes: &[u8]) -> Result<(), Vec<(String, String)>> {
        let Ok(instance) = serde_json::from_slice::<Value>(bytes) else {
            return Err(Vec::new());
        };
        let validator = &self
            .validators
            .iter()
            .find(|(k, _)| *k == kind)
            .expect("every kind has a schema")
            .1;
        let errors: Vec<_> = validator
            .iter_errors(&instance)
            .map(|e| (format!("#{}", e.instance_path()), e.to_string()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// The directory of every `id` in the schema files must be in [`BASES`].
#[test]
fn bases_cover_every_schema_id() {
    fn ids(value: &Value, out: &mut BTreeSet<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(id)) = map.get("id") {
                    out.insert(id.clone());
                }
                map.values().for_each(|v| ids(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| ids(v, out)),
            _ => {}
        }
    }
    let mut found = BTreeSet::new();
    for file in SCHEMA_FILES {
        ids(
            &read_json(&fixtures().join("schema").join(file)),
            &mut found,
        );
    }
    let on_disk: BTreeSet<String> = fs::read_dir(fixtures().join("schema"))
        .expect("fixtures/schema exists")
        .map(|e| {
            e.expect("readable directory")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(
        on_disk,
        SCHEMA_FILES.iter().map(|f| f.to_string()).collect()
    );
    let missing: Vec<_> = found
        .iter()
        .filter(|id| {
            let base = &id[..=id.rfind('/').expect("ids are URLs")];
            !BASES.contains(&base)
        })
        .collect();
    assert!(
        missing.is_empty(),
        "ids whose base is not in BASES: {missing:?}"
    );
}

/// Every example of the spec (a ```json block with a media type) is
/// accepted by its schema, is valid for `validate()` and round-trips.
#[test]
fn spec_examples_are_valid_for_both() {
    let schemas = Schemas::load();
    let dir = fixtures().join("spec-examples");
    let rows = read_tsv(&dir.join("index.tsv"));
    assert_eq!(
        rows.len(),
        13,
        "the spec's markdown has 13 JSON examples with a media type"
    );
    let mut problems = Vec::new();
    let mut warnings_seen = Vec::new();
    for row in &rows {
        let (file, media_type) = (row[0].as_str(), row[1].as_str());
        let Some(kind) = Kind::from_media_type(media_type) else {
            problems.push(format!("{file}: no model for media type {media_type}"));
            continue;
        };
        let bytes = read(&dir.join(file));
        if let Err(errors) = schemas.check(kind, &bytes) {
            problems.push(format!(
                "{file}: {} rejects it: {errors:?}",
                kind.schema_file()
            ));
        }
        match kind.check(&bytes) {
            Ok(report) => {
                for v in report.errors() {
                    problems.push(format!("{file}: validate() error: {v}"));
                }
                for v in report.warnings() {
                    warnings_seen.push((file.to_owned(), v.path.clone(), format!("{:?}", v.rule)));
                }
            }
            Err(e) => problems.push(format!("{file}: does not parse as {kind:?}: {e}")),
        }
        problems.extend(
            kind.round_trip(&bytes)
                .into_iter()
                .map(|p| format!("{file}: {p}")),
        );
    }
    let expected: Vec<_> = EXAMPLE_WARNINGS
        .iter()
        .map(|(f, p, r)| (f.to_string(), p.to_string(), r.to_string()))
        .collect();
    if warnings_seen != expected {
        problems.push(format!(
            "warnings on the spec examples: {warnings_seen:?}, expected {expected:?}"
        ));
    }
    let on_disk = fs::read_dir(&dir)
        .expect("fixtures/spec-examples exists")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "json"))
        });
    if on_disk.count() != rows.len() {
        problems.push("spec-examples/index.tsv does not list every .json file".to_owned());
    }
    assert!(
        problems.is_empty(),
        "{} problems with the spec examples:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// One row of `fixtures/invalid/expected.tsv`.
struct Row {
    file: String,
    kind: Kind,
    /// `accept` or `reject`.
    schema: String,
    /// Where the schema reports an error, as `#/json/pointer`, or `-`.
    schema_at: String,
    /// `parse-error`, `invalid`, `valid-with-warning` or `valid`.
    ours: String,
    /// The `Rule` of the violation, by name, or `-`.
    rule: String,
    /// The path our error or violation names, or `-`.
    path: String,
}

impl Row {
    fn parse(cells: &[String]) -> Row {
        let kind = Kind::from_name(&cells[1])
            .unwrap_or_else(|| panic!("{}: unknown type {:?}", cells[0], cells[1]));
        Row {
            file: cells[0].clone(),
            kind,
            schema: cells[2].clone(),
            schema_at: cells[3].clone(),
            ours: cells[4].clone(),
            rule: cells[5].clone(),
            path: cells[6].clone(),
        }
    }

    /// Whether the table expects at least one side to reject the document.
    fn can_fail(&self) -> bool {
        self.schema == "reject" || matches!(self.ours.as_str(), "parse-error" | "invalid")
    }
}

/// What `validate()` says of a document, in the words of the table.
fn our_verdict(result: &Result<Report, Error>) -> String {
    let show = |vs: Vec<&ocikit_image::Violation>| {
        vs.iter()
            .map(|v| format!("{:?} at {} ({})", v.rule, v.path, v.message))
            .collect::<Vec<_>>()
            .join("; ")
    };
    match result {
        Err(Error::Json(e)) => format!("parse-error at {} ({})", e.path, e.message),
        Err(other) => format!("unexpected error {other:?}"),
        Ok(report) if !report.is_valid() => format!("invalid: {}", show(report.errors().collect())),
        Ok(report) if report.warnings().next().is_some() => {
            format!("valid-with-warning: {}", show(report.warnings().collect()))
        }
        Ok(_) => "valid".to_owned(),
    }
}

/// Whether `result` is what `row` expects: for `invalid` exactly one error,
/// of the rule and at the path of the row; for `valid-with-warning` no
/// error and exactly that warning.
fn ours_agrees(row: &Row, result: &Result<Report, Error>) -> bool {
    let only = |vs: Vec<&ocikit_image::Violation>| {
        vs.len() == 1 && format!("{:?}", vs[0].rule) == row.rule && vs[0].path == row.path
    };
    match (row.ours.as_str(), result) {
        ("parse-error", Err(Error::Json(e))) => e.path == row.path,
        ("invalid", Ok(report)) => only(report.errors().collect()),
        ("valid-with-warning", Ok(report)) => {
            report.is_valid() && only(report.warnings().collect())
        }
        ("valid", Ok(report)) => report.violations.is_empty(),
        _ => false,
    }
}

/// Every invalid document gets the verdict of its row from the schema and
/// from us, and no row is one that both would accept.
#[test]
fn invalid_corpus_matches_the_table() {
    let schemas = Schemas::load();
    let dir = fixtures().join("invalid");
    let rows: Vec<Row> = read_tsv(&dir.join("expected.tsv"))
        .iter()
        .map(|cells| Row::parse(cells))
        .collect();
    assert!(
        rows.len() >= 40,
        "the corpus has {} rows; the issue asks for at least 40",
        rows.len()
    );

    let mut problems = Vec::new();
    let listed: BTreeSet<&str> = rows.iter().map(|r| r.file.as_str()).collect();
    assert_eq!(
        listed.len(),
        rows.len(),
        "a file appears twice in expected.tsv"
    );
    for entry in fs::read_dir(&dir).expect("fixtures/invalid exists") {
        let name = entry
            .expect("readable directory")
            .file_name()
            .to_string_lossy()
            .into_owned();
        if name.ends_with(".json") && !listed.contains(name.as_str()) {
            problems.push(format!("{name}: not in expected.tsv"));
        }
    }

    for row in &rows {
        let bytes = read(&dir.join(&row.file));
        let file = &row.file;
        if !matches!(row.schema.as_str(), "accept" | "reject")
            || !matches!(
                row.ours.as_str(),
                "parse-error" | "invalid" | "valid-with-warning" | "valid"
            )
        {
            problems.push(format!(
                "{file}: bad verdicts in the table: schema {:?}, ours {:?}",
                row.schema, row.ours
            ));
            continue;
        }
        if !row.can_fail() {
            problems.push(format!("{file}: the table expects both the schema and us to accept it: a row that cannot fail"));
        }

        let schema = schemas.check(row.kind, &bytes);
        match (&schema, row.schema.as_str()) {
            (Ok(()), "accept") => {}
            (Err(errors), "reject") => {
                if row.schema_at != "-" && !errors.iter().any(|(at, _)| *at == row.schema_at) {
                    problems.push(format!(
                        "{file}: {} rejects it, but not at {}: {errors:?}",
                        row.kind.schema_file(),
                        row.schema_at
                    ));
                }
            }
            (Ok(()), _) => problems.push(format!(
                "{file}: {} accepts it; the table says reject",
                row.kind.schema_file()
            )),
            (Err(errors), _) => problems.push(format!(
                "{file}: {} rejects it, the table says accept: {errors:?}",
                row.kind.schema_file()
            )),
        }

        let ours = row.kind.check(&bytes);
        if !ours_agrees(row, &ours) {
            let expected = match row.ours.as_str() {
                "parse-error" => format!("parse-error at {}", row.path),
                "valid" => "valid".to_owned(),
                verdict => format!("{verdict}: {} at {}", row.rule, row.path),
            };
            problems.push(format!(
                "{file}: we say {}; the table says {expected}",
                our_verdict(&ours)
            ));
        }

        let we_accept = matches!(&ours, Ok(report) if report.is_valid());
        if schema.is_ok() && we_accept && row.ours != "valid" {
            problems.push(format!(
                "{file}: both the schema and we accept a document the table calls invalid"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} of {} rows disagree with expected.tsv:\n{}",
        problems.len(),
        rows.len(),
        problems.join("\n")
    );
}
