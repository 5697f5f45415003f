//! `oci validate`: parse a document and check it against the spec, printing
//! `valid` or one line per error.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use oci_image::{
    Descriptor, Document, ImageConfiguration, ImageIndex, ImageLayout, ImageManifest, Model, Report,
};

use crate::args::{Args, Opt};
use crate::{CmdResult, Failure};

/// The document types `oci validate --type` knows.
#[derive(Clone, Copy)]
enum DocType {
    Descriptor,
    Manifest,
    Index,
    Config,
    Layout,
}

impl DocType {
    fn parse(s: &str) -> Result<DocType, Failure> {
        Ok(match s {
            "descriptor" => DocType::Descriptor,
            "manifest" => DocType::Manifest,
            "index" => DocType::Index,
            "config" => DocType::Config,
            "layout" => DocType::Layout,
            "runtime-config" | "runtime-state" | "runtime-features" => {
                return Err(Failure::Usage(format!(
                    "--type {s} needs the oci-runtime-spec models, which this build does not have yet"
                )));
            }
            other => return Err(Failure::Usage(format!("unknown --type {other:?}"))),
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
        }
    }

    /// Parses and checks `bytes` as this type of document.
    fn check(self, bytes: Vec<u8>) -> oci_image::Result<Report> {
        fn run<T: Model>(bytes: Vec<u8>) -> oci_image::Result<Report> {
            Ok(Document::<T>::from_bytes(bytes)?.check())
        }
        match self {
            DocType::Descriptor => run::<Descriptor>(bytes),
            DocType::Manifest => run::<ImageManifest>(bytes),
            DocType::Index => run::<ImageIndex>(bytes),
            DocType::Config => run::<ImageConfiguration>(bytes),
            DocType::Layout => run::<ImageLayout>(bytes),
        }
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
    let report = doc_type
        .check(bytes)
        .map_err(|e| Failure::Failed(format!("{}: {e}", path.display())))?;
    for warning in report.warnings() {
        eprintln!("{}: {warning}", path.display());
    }
    if report.is_valid() {
        println!("valid");
        Ok(())
    } else {
        let mut count = 0;
        for error in report.errors() {
            println!("{}: {error}", path.display());
            count += 1;
        }
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
