//! `oci digest`: the digest of files or stdin, like `sha256sum`.

use std::fs::File;
use std::io::{self, Read, Write};

use ocikit_image::Algorithm;
use ocikit_image::digester::Digester;

use crate::{CmdResult, Failure, stdout_failed};

/// Print the digest of files, like sha256sum
///
/// One line per file: the digest, two spaces, the path. Standard input is
/// read when no PATH or `-` is given.
#[derive(clap::Args, Debug)]
pub struct DigestArgs {
    /// The digest algorithm: sha256, sha512, or blake3 in a build with the
    /// blake3 feature
    #[arg(long, value_name = "ALG", default_value = "sha256", value_parser = parse_algorithm)]
    algorithm: Algorithm,
    /// The files (`-` is standard input)
    #[arg(value_name = "PATH")]
    paths: Vec<String>,
}

pub fn digest(args: DigestArgs) -> CmdResult {
    let DigestArgs {
        algorithm,
        mut paths,
    } = args;
    if paths.is_empty() {
        paths.push("-".into());
    }
    let stdout = io::stdout();
    let mut out = stdout.lock();
    for path in &paths {
        let mut digester = Digester::new(&algorithm).map_err(|e| Failure(e.to_string()))?;
        let copied = if path == "-" {
            io::copy(&mut io::stdin().lock(), &mut digester)
        } else {
            File::open(path).and_then(|mut f| copy_large(&mut f, &mut digester))
        };
        copied.map_err(|e| Failure(format!("{path}: {e}")))?;
        writeln!(out, "{}  {path}", digester.finish()).map_err(stdout_failed)?;
    }
    Ok(())
}

/// An algorithm this build computes.
fn parse_algorithm(s: &str) -> Result<Algorithm, String> {
    let algorithm: Algorithm = s.parse().map_err(|e| format!("{e}"))?;
    if !algorithm.is_supported() {
        return Err(format!(
            "this build cannot compute it (supported: {})",
            ocikit_image::digest::SUPPORTED
        ));
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
