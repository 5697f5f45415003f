//! `oci digest`: the digest of files or stdin, like `sha256sum`.

use std::fs::File;
use std::io::{self, Read, Write};

use ocikit_image::Algorithm;
use ocikit_image::digester::Digester;

use crate::args::{Args, Opt};
use crate::{CmdResult, Failure, stdout_failed};

pub fn digest(args: &[String]) -> CmdResult {
    let args = Args::parse("digest", args, &[Opt::Value("--algorithm")])?;
    let algorithm = match args.value("--algorithm") {
        Some(value) => parse_algorithm(value)?,
        None => Algorithm::Sha256,
    };
    let mut paths = args.rest().to_vec();
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
        writeln!(out, "{}  {path}", digester.finish()).map_err(stdout_failed)?;
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
            ocikit_image::digest::SUPPORTED
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
