//! `oci validate`: parse a document and check it against the spec, printing
//! `valid` or one line per error.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use ocikit_image::{
    Descriptor, Document, ImageConfiguration, ImageIndex, ImageLayout, ImageManifest, Model,
    Report, Validate,
};

use crate::runtime::RuntimeDoc;
use crate::{CmdResult, Failure};

/// Check a document against the spec
///
/// Prints `valid`, or one line per error (exit 1); warnings go to stderr.
#[derive(clap::Args, Debug)]
pub struct ValidateArgs {
    /// The kind of document
    #[arg(long = "type", value_enum, value_name = "TYPE")]
    doc_type: DocType,
    /// The document's file (`-` is standard input)
    #[arg(value_name = "PATH")]
    path: PathBuf,
}

/// The document types `oci validate --type` knows.
#[derive(Clone, Copy, Debug)]
enum DocType {
    Descriptor,
    Manifest,
    Index,
    Config,
    Layout,
    Runtime(RuntimeDoc),
}

impl clap::ValueEnum for DocType {
    fn value_variants<'a>() -> &'a [Self] {
        &[
            DocType::Descriptor,
            DocType::Manifest,
            DocType::Index,
            DocType::Config,
            DocType::Layout,
            DocType::Runtime(RuntimeDoc::Config),
            DocType::Runtime(RuntimeDoc::State),
            DocType::Runtime(RuntimeDoc::Features),
        ]
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        let (name, help) = match self {
            DocType::Descriptor => ("descriptor", "a content descriptor"),
            DocType::Manifest => ("manifest", "an image manifest"),
            DocType::Index => ("index", "an image index"),
            DocType::Config => ("config", "an image configuration"),
            DocType::Layout => (
                "layout",
                "the oci-layout file, or a layout directory holding it",
            ),
            DocType::Runtime(RuntimeDoc::Config) => ("runtime-config", "a runtime config.json"),
            DocType::Runtime(RuntimeDoc::State) => ("runtime-state", "the state of a container"),
            DocType::Runtime(RuntimeDoc::Features) => {
                ("runtime-features", "the features of a runtime")
            }
        };
        Some(clap::builder::PossibleValue::new(name).help(help))
    }
}

impl DocType {
    /// The document type's name, as in messages.
    fn name(self) -> &'static str {
        match self {
            DocType::Descriptor => Descriptor::KIND,
            DocType::Manifest => ImageManifest::KIND,
            DocType::Index => ImageIndex::KIND,
            DocType::Config => ImageConfiguration::KIND,
            DocType::Layout => ImageLayout::KIND,
            DocType::Runtime(doc) => doc.name(),
        }
    }

    /// Parses and checks `bytes` as this type of document: the error
    /// lines and the warning lines, or why it does not parse.
    fn check(self, bytes: Vec<u8>) -> Result<(Vec<String>, Vec<String>), String> {
        fn run<T: Model>(bytes: Vec<u8>) -> ocikit_image::Result<Report> {
            Ok(Document::<T>::from_bytes(bytes)?.check())
        }
        let report = match self {
            DocType::Descriptor => run::<Descriptor>(bytes),
            DocType::Manifest => run::<ImageManifest>(bytes),
            DocType::Index => run::<ImageIndex>(bytes),
            DocType::Config => run::<ImageConfiguration>(bytes),
            DocType::Layout => run::<ImageLayout>(bytes),
            DocType::Runtime(doc) => return doc.check(&bytes).map_err(|e| e.to_string()),
        }
        .map_err(|e| e.to_string())?;
        Ok((
            report.errors().map(ToString::to_string).collect(),
            report.warnings().map(ToString::to_string).collect(),
        ))
    }
}

pub fn validate(args: ValidateArgs) -> CmdResult {
    let ValidateArgs { doc_type, mut path } = args;
    if matches!(doc_type, DocType::Layout) && path.is_dir() {
        path = path.join("oci-layout");
    }
    let bytes = read_input(&path)?;
    let (errors, warnings) = doc_type
        .check(bytes)
        .map_err(|e| Failure(format!("{}: {e}", path.display())))?;
    for warning in &warnings {
        eprintln!("{}: {warning}", path.display());
    }
    if errors.is_empty() {
        println!("valid");
        Ok(())
    } else {
        for error in &errors {
            println!("{}: {error}", path.display());
        }
        let count = errors.len();
        Err(Failure(format!(
            "{} is not a valid {} ({count} error{})",
            path.display(),
            doc_type.name(),
            if count == 1 { "" } else { "s" }
        )))
    }
}

pub fn read_input(path: &Path) -> Result<Vec<u8>, Failure> {
    if path == Path::new("-") {
        let mut bytes = Vec::new();
        io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| Failure(format!("reading stdin: {e}")))?;
        return Ok(bytes);
    }
    std::fs::read(path).map_err(|e| Failure(format!("{}: {e}", path.display())))
}
