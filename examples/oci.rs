//! `oci`: the toolkit's command-line front end (see DESIGN.md for the whole
//! contract). This version has `validate` and `digest`; the other commands
//! arrive with the crates they front.
//!
//! Exit codes: 0 success, 1 failure (a clear message on stderr), 2 usage error.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use oci_image::digester::Digester;
use oci_image::{
    Algorithm, Descriptor, Document, ImageConfiguration, ImageIndex, ImageLayout, ImageManifest,
    Model, Report,
};

const USAGE: &str = "\
usage: oci <command> [arguments]

commands:
  validate --type TYPE PATH    check a document against the spec; prints `valid`
                               or one line per error (exit 1). PATH - is stdin.
                               TYPE: descriptor, manifest, index,
                               config, layout (the oci-layout file, or a layout
                               directory holding it)
  digest [--algorithm ALG] [PATH|-]...
                               print the digest of each file (stdin without PATH
                               or with -), like sha256sum. ALG: sha256 (default),
                               sha512, blake3
  help                         this text

exit codes: 0 success, 1 failure, 2 usage error";

/// A failure of a command: what went wrong, and which exit code it earns.
enum Failure {
    /// Bad arguments: exit 2, with the usage text.
    Usage(String),
    /// The command ran and failed (or found the input invalid): exit 1.
    Failed(String),
}

type CmdResult = Result<(), Failure>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("validate") => validate(&args[1..]),
        Some("digest") => digest(&args[1..]),
        Some("help" | "--help" | "-h") => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(Failure::Usage(format!("unknown command {other:?}"))),
        None => Err(Failure::Usage("no command given".into())),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Failed(message)) => {
            eprintln!("oci: {message}");
            ExitCode::from(1)
        }
        Err(Failure::Usage(message)) => {
            eprintln!("oci: {message}\n\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

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

fn validate(args: &[String]) -> CmdResult {
    let mut doc_type = None;
    let mut path = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--type" => {
                let value = it
                    .next()
                    .ok_or_else(|| Failure::Usage("--type needs a value".into()))?;
                doc_type = Some(DocType::parse(value)?);
            }
            s if s.starts_with("--type=") => doc_type = Some(DocType::parse(&s[7..])?),
            s if s.starts_with('-') && s != "-" => {
                return Err(Failure::Usage(format!("unknown option {s:?} for validate")));
            }
            s if path.is_none() => path = Some(PathBuf::from(s)),
            s => return Err(Failure::Usage(format!("unexpected argument {s:?}"))),
        }
    }
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

fn digest(args: &[String]) -> CmdResult {
    let mut algorithm = Algorithm::Sha256;
    let mut paths = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--algorithm" | "-a" => {
                let value = it
                    .next()
                    .ok_or_else(|| Failure::Usage("--algorithm needs a value".into()))?;
                algorithm = parse_algorithm(value)?;
            }
            s if s.starts_with("--algorithm=") => algorithm = parse_algorithm(&s[12..])?,
            s if s.starts_with('-') && s != "-" => {
                return Err(Failure::Usage(format!("unknown option {s:?} for digest")));
            }
            s => paths.push(s.to_owned()),
        }
    }
    if paths.is_empty() {
        paths.push("-".into());
    }
    let stdout = io::stdout();
    let mut out = stdout.lock();
    for path in &paths {
        let mut digester = Digester::new(&algorithm).map_err(|e| Failure::Failed(e.to_string()))?;
        let copied = if path == "-" {
            io::copy(&mut io::stdin().lock(), &mut digester)
        } else {
            File::open(path).and_then(|mut f| copy_large(&mut f, &mut digester))
        };
        copied.map_err(|e| Failure::Failed(format!("{path}: {e}")))?;
        writeln!(out, "{}  {path}", digester.finish())
            .map_err(|e| Failure::Failed(format!("writing to stdout: {e}")))?;
    }
    Ok(())
}

fn parse_algorithm(s: &str) -> Result<Algorithm, Failure> {
    let algorithm: Algorithm = s
        .parse()
        .map_err(|e| Failure::Usage(format!("--algorithm {s:?}: {e}")))?;
    if !algorithm.is_supported() {
        return Err(Failure::Usage(format!(
            "--algorithm {s:?} cannot be computed by this build (supported: {})",
            oci_image::digest::SUPPORTED
        )));
    }
    Ok(algorithm)
}

/// Copies with a 1 MiB buffer: hashing large blobs is limited by the hash,
/// not by the number of read calls.
fn copy_large(from: &mut impl Read, to: &mut impl Write) -> io::Result<u64> {
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        to.write_all(&buf[..n])?;
        total += n as u64;
    }
}

fn read_input(path: &Path) -> Result<Vec<u8>, Failure> {
    if path == Path::new("-") {
        let mut bytes = Vec::new();
        io::stdin()
            .read_to_end(&mut bytes)
            .map_err(|e| Failure::Failed(format!("reading stdin: {e}")))?;
        return Ok(bytes);
    }
    std::fs::read(path).map_err(|e| Failure::Failed(format!("{}: {e}", path.display())))
}
