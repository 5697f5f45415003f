//! `oci validate`: parse a document and check it against the spec, printing
//! `valid` or one line per error.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use ocikit_image::{
    Descriptor, Document, ImageConfiguration, ImageIndex, ImageLayout, ImageManifest, Model,
    Report, Validate,
};

use crate::args::{Args, Opt};
use crate::runtime::RuntimeDoc;
use crate::{CmdResult, Failure};

/// The document types `oci validate --type` knows.
#[derive(Clone, Copy)]
enum DocType {
    Descriptor,
    Manifest,
    Index,
    Config,
    Layout,
    Runtime(RuntimeDoc),
}

impl DocType {
    fn parse(s: &str) -> Result<DocType, Failure> {
        Ok(match s {
            "descriptor" => DocType::Descriptor,
            "manifest" => DocType::Manifest,
            "index" => DocType::Index,
            "config" => DocType::Config,
            "layout" => DocType::Layout,
            other => match RuntimeDoc::parse(other) {
                Some(doc) => DocType::Runtime(doc),
                None => return Err(Failure::Usage(format!("unknown --type {other:?}"))),
            },
        })
    }

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

pub fn validate(args: &[String]) -> CmdResult {
    let args = Args::parse("validate", args, &[Opt::Value("--type")])?;
    let doc_type = args.value("--type").map(DocType::parse).transpose()?;
    let [path] = args.positionals(["PATH"])?;
    let path = Some(PathBuf::from(path));
    let doc_type = doc_type.ok_or_else(|| Failure::Usage("validate needs --type".into()))?;
    let mut path = path.ok_or_else(|| Failure::Usage("validate needs a PATH".into()))?;
    if matches!(doc_type, DocType::Layout) && path.is_dir() {
        path = path.join("oci-layout");
    }
    let bytes = read_input(&path)?;
    let (errors, warnings) = doc_type
        .check(bytes)
        .map_err(|e| Failure::Failed(format!("{}: {e}", path.display())))?;
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
        Err(Failure::Failed(format!(
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
            .map_err(|e| Failure::Failed(format!("reading stdin: {e}")))?;
        return Ok(bytes);
    }
    std::fs::read(path).map_err(|e| Failure::Failed(format!("{}: {e}", path.display())))
}
