//! The signature commands: `keygen`, `sign`, `verify`, `attest` and
//! `verify-attestation`, over ocikit-sign, on an image of a layout
//! (signatures stored beside it) or of a registry (signatures pushed to its
//! repository, the registry flags as for `oci pull`). A
//! private key's password comes from COSIGN_PASSWORD (as cosign reads it)
//! or the first line of stdin, never from the arguments.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::{IsTerminal as _, Write};
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::PathBuf;

use ocikit_remote::{Client, Reference};
use ocikit_sign::{
    Attestation, Format, Password, PrivateKey, PublicKey, SignOptions, Verification, VerifyOptions,
};

use crate::bundle::parse_label;
use crate::login::prompt;
use crate::progress::Transfers;
use crate::remote::{Location, RegistryArgs};
use crate::{CmdResult, Failure, stdout_failed};

impl From<ocikit_sign::Error> for Failure {
    fn from(err: ocikit_sign::Error) -> Self {
        Failure(err.to_string())
    }
}

/// What the help of the commands that read a private key says about its
/// password.
const PASSWORD_HELP: &str = "\
The private key's password is read from COSIGN_PASSWORD when it is set (as
cosign reads it), else asked for on the terminal without echo, else read
from the first line of stdin; never from the arguments. Unencrypted PKCS#8
or SEC1 PEM keys need none.";

/// Write a new key pair: PREFIX.key (encrypted as cosign does) and PREFIX.pub
///
/// ECDSA P-256. PREFIX.key is cosign's encrypted private key file (scrypt
/// and NaCl secretbox around PKCS#8, readable by `cosign sign --key`),
/// created with mode 0600; PREFIX.pub is the public key (SubjectPublicKeyInfo
/// PEM). Neither may exist yet. Prints the two paths.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
The password is read from COSIGN_PASSWORD when it is set, else asked for
twice on the terminal without echo, else read from the first line of
stdin; never from the arguments.")]
pub struct KeygenArgs {
    /// The path and name of the two files, without .key or .pub
    #[arg(value_name = "PREFIX")]
    prefix: PathBuf,
}

/// Sign an image as cosign does
///
/// The tag form adds a layer to the manifest tagged sha256-HEX.sig beside
/// the image (what `cosign verify --key` reads); the bundle form stores a
/// sigstore bundle v0.3 (DSSE, in-toto statement) as a referrer of the
/// image. Prints what was written: `tag TAG DIGEST` and `bundle DIGEST`.
#[derive(clap::Args, Debug)]
#[command(after_help = PASSWORD_HELP)]
pub struct SignArgs {
    /// The image: LAYOUT:TAG, or a registry reference
    /// docker://HOST[:PORT]/REPO[:TAG|@DIGEST]
    #[arg(value_name = "IMAGE|REF")]
    image: Location,
    /// The private key file
    #[arg(long, value_name = "KEY")]
    key: PathBuf,
    /// An annotation to sign with the image (verifiers may require it)
    #[arg(short = 'a', long = "annotation", value_name = "K=V", value_parser = parse_label)]
    annotations: Vec<(String, String)>,
    /// Which forms to write
    #[arg(long, value_enum, default_value = "both")]
    format: FormatArg,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// The forms `oci sign` writes.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum FormatArg {
    /// cosign's sha256-HEX.sig tag
    Tag,
    /// A sigstore bundle referrer
    Bundle,
    /// Both
    Both,
}

/// Verify an image's signatures with a public key
///
/// Checks every signature of the image, in both forms: made by the key, over
/// this image's manifest digest, a cosign image signature, with the
/// annotations asked for. Prints one line per signature (`ok: SOURCE` or
/// `refused: SOURCE REASON`) and fails unless one passed. Only the image's
/// manifest and the signatures are read: layers and config may be absent.
#[derive(clap::Args, Debug)]
pub struct VerifyArgs {
    /// The image: LAYOUT:TAG, or a registry reference
    /// docker://HOST[:PORT]/REPO[:TAG|@DIGEST]
    #[arg(value_name = "IMAGE|REF")]
    image: Location,
    /// The public key file (PEM)
    #[arg(long, value_name = "PUB")]
    key: PathBuf,
    /// An annotation the signature must carry with this value
    #[arg(short = 'a', long = "annotation", value_name = "K=V", value_parser = parse_label)]
    annotations: Vec<(String, String)>,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// Attest a predicate about an image
///
/// Stores a sigstore bundle referrer of the image: an in-toto statement
/// naming the image by digest, with the predicate and its type, signed in a
/// DSSE envelope. Prints the referrer's digest.
#[derive(clap::Args, Debug)]
#[command(after_help = PASSWORD_HELP)]
pub struct AttestArgs {
    /// The image: LAYOUT:TAG, or a registry reference
    /// docker://HOST[:PORT]/REPO[:TAG|@DIGEST]
    #[arg(value_name = "IMAGE|REF")]
    image: Location,
    /// The private key file
    #[arg(long, value_name = "KEY")]
    key: PathBuf,
    /// The predicate: a file holding a JSON object
    #[arg(long, value_name = "FILE")]
    predicate: PathBuf,
    /// The predicate type, a URI (SLSA provenance v1, SPDX, ...)
    #[arg(long = "type", value_name = "URI")]
    predicate_type: String,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// Verify an image's attestations of a type with a public key
///
/// Checks each attestation of that predicate type as `oci verify` checks
/// signatures; prints one line per attestation, then each verified in-toto
/// statement as one line of JSON, and fails unless one passed.
#[derive(clap::Args, Debug)]
pub struct VerifyAttestationArgs {
    /// The image: LAYOUT:TAG, or a registry reference
    /// docker://HOST[:PORT]/REPO[:TAG|@DIGEST]
    #[arg(value_name = "IMAGE|REF")]
    image: Location,
    /// The public key file (PEM)
    #[arg(long, value_name = "PUB")]
    key: PathBuf,
    /// The predicate type required
    #[arg(long = "type", value_name = "URI")]
    predicate_type: String,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// What the password prompt on a terminal says.
const PROMPT: &str = "Enter password for private key: ";

/// The password: COSIGN_PASSWORD, else asked for on the terminal without
/// echo, else the first line of stdin.
fn password() -> std::io::Result<Password> {
    if let Some(password) = Password::from_env() {
        return Ok(password);
    }
    if std::io::stdin().is_terminal() {
        return prompt(PROMPT, false)
            .map(Password::from)
            .map_err(|Failure(e)| std::io::Error::other(e));
    }
    Password::read_line(std::io::stdin().lock())
}

/// A new key's password: as [`password`], asked twice on a terminal.
fn new_password() -> Result<Password, Failure> {
    let first = password().map_err(|e| Failure(format!("reading the password from stdin: {e}")))?;
    if Password::from_env().is_none() && std::io::stdin().is_terminal() {
        let again = prompt("Enter password for private key again: ", false)?;
        if again.as_bytes() != first.as_bytes() {
            return Err(Failure("the two passwords differ".into()));
        }
    }
    Ok(first)
}

/// Creates `path` with `contents`, refusing to replace a file; a file it
/// created but could not fill is removed again.
fn create(path: &PathBuf, contents: &str, mode: u32) -> Result<(), Failure> {
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(|e| Failure(format!("creating {}: {e}", path.display())))?;
    file.write_all(contents.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| {
            let _ = std::fs::remove_file(path);
            Failure(format!("writing {}: {e}", path.display()))
        })
}

pub fn keygen(args: KeygenArgs) -> CmdResult {
    let with = |extension: &str| {
        let mut name = args.prefix.clone().into_os_string();
        name.push(extension);
        PathBuf::from(name)
    };
    let (private, public) = (with(".key"), with(".pub"));
    for path in [&private, &public] {
        if path.exists() {
            return Err(Failure(format!(
                "{} exists already; choose another PREFIX",
                path.display()
            )));
        }
    }
    let password = new_password()?;
    let key = PrivateKey::generate()?;
    let encrypted = key.to_encrypted_pem(&password)?;
    create(&private, &encrypted, 0o600)?;
    // A pair or nothing: without its public half, the key file goes too.
    create(&public, &key.public_key().to_pem(), 0o644).inspect_err(|_| {
        let _ = std::fs::remove_file(&private);
    })?;
    writeln!(
        std::io::stdout().lock(),
        "{}\n{}",
        private.display(),
        public.display()
    )
    .map_err(stdout_failed)
}

/// Where a command's image is: a layout and its tag, or a registry with
/// its client.
enum Target {
    Layout(ocikit_layout::Layout, String),
    Registry(Client, Reference),
}

impl Target {
    fn open(
        image: &Location,
        registry: &RegistryArgs,
        command: &'static str,
    ) -> Result<Target, Failure> {
        Ok(match image {
            Location::Layout(image) => Target::Layout(image.open()?, image.tag.clone()),
            Location::Registry(reference) => {
                let client = registry.client(&[reference], &Transfers::none(command))?;
                Target::Registry(client, reference.clone())
            }
        })
    }
}

/// The name of `image` in messages.
fn name(image: &Location) -> String {
    match image {
        Location::Layout(image) => image.to_string(),
        Location::Registry(reference) => reference.to_string(),
    }
}

pub fn sign(args: SignArgs) -> CmdResult {
    let target = Target::open(&args.image, &args.registry, "sign")?;
    let key = PrivateKey::read(&args.key, password)?;
    let options = SignOptions {
        format: match args.format {
            FormatArg::Tag => Format::Tag,
            FormatArg::Bundle => Format::Bundle,
            FormatArg::Both => Format::Both,
        },
        annotations: args.annotations.into_iter().collect(),
        identity: None,
    };
    let signed = match &target {
        Target::Layout(layout, tag) => ocikit_sign::sign(layout, tag, &key, &options)?,
        Target::Registry(client, reference) => {
            ocikit_sign::sign_remote(client, reference, &key, &options)?
        }
    };
    let mut out = std::io::stdout().lock();
    if let Some(tag) = &signed.tag {
        let name = ocikit_sign::signature_tag(&signed.image.digest);
        writeln!(out, "tag {name} {}", tag.digest).map_err(stdout_failed)?;
    }
    if let Some(bundle) = &signed.bundle {
        writeln!(out, "bundle {}", bundle.digest).map_err(stdout_failed)?;
    }
    Ok(())
}

pub fn verify(args: VerifyArgs) -> CmdResult {
    let target = Target::open(&args.image, &args.registry, "verify")?;
    let keys = [PublicKey::read(&args.key)?];
    let options = VerifyOptions {
        annotations: args.annotations.into_iter().collect::<BTreeMap<_, _>>(),
        identity: None,
    };
    let report = match &target {
        Target::Layout(layout, tag) => ocikit_sign::verify(layout, tag, &keys, &options)?,
        Target::Registry(client, reference) => {
            ocikit_sign::verify_remote(client, reference, &keys, &options)?
        }
    };
    print_checks(&report)?;
    report.require(&name(&args.image))?;
    Ok(())
}

pub fn attest(args: AttestArgs) -> CmdResult {
    let target = Target::open(&args.image, &args.registry, "attest")?;
    let text = std::fs::read(&args.predicate)
        .map_err(|e| Failure(format!("reading {}: {e}", args.predicate.display())))?;
    let predicate = serde_json::from_slice(&text).map_err(|e| {
        Failure(format!(
            "the predicate {} is not JSON: {e}",
            args.predicate.display()
        ))
    })?;
    let key = PrivateKey::read(&args.key, password)?;
    let attestation = Attestation {
        predicate_type: args.predicate_type,
        predicate,
    };
    let referrer = match &target {
        Target::Layout(layout, tag) => ocikit_sign::attest(layout, tag, &key, &attestation)?,
        Target::Registry(client, reference) => {
            ocikit_sign::attest_remote(client, reference, &key, &attestation)?
        }
    };
    writeln!(std::io::stdout().lock(), "bundle {}", referrer.digest).map_err(stdout_failed)
}

pub fn verify_attestation(args: VerifyAttestationArgs) -> CmdResult {
    let target = Target::open(&args.image, &args.registry, "verify-attestation")?;
    let keys = [PublicKey::read(&args.key)?];
    let options = VerifyOptions::default();
    let predicate_type = &args.predicate_type;
    let report = match &target {
        Target::Layout(layout, tag) => {
            ocikit_sign::verify_attestation(layout, tag, &keys, predicate_type, &options)?
        }
        Target::Registry(client, reference) => ocikit_sign::verify_attestation_remote(
            client,
            reference,
            &keys,
            predicate_type,
            &options,
        )?,
    };
    print_checks(&report)?;
    let report = report.require(&name(&args.image))?;
    let mut out = std::io::stdout().lock();
    for statement in report.verified_payloads() {
        out.write_all(statement)
            .and_then(|()| out.write_all(b"\n"))
            .map_err(stdout_failed)?;
    }
    Ok(())
}

/// One line per signature checked.
fn print_checks(report: &Verification) -> CmdResult {
    let mut out = std::io::stdout().lock();
    for check in &report.checks {
        match &check.outcome {
            Ok(_) => writeln!(out, "ok: {}", check.source),
            Err(reason) => writeln!(out, "refused: {} {reason}", check.source),
        }
        .map_err(stdout_failed)?;
    }
    Ok(())
}
