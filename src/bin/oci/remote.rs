//! What the registry commands share: skopeo's registry flags
//! (`--authfile`, `--creds`, `--cert-dir`, `--tls-verify`) and the client
//! made from them, the `REF` argument (`docker://HOST[:PORT]/REPO[:TAG|@DIGEST]`)
//! and the `SRC`/`DST` that is a layout image or a `REF`, and the pull and
//! push that `pull`, `push`, `copy` and `unpack` run with their transfer
//! lines and summary.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Instant;

use indicatif::HumanBytes;
use ocikit_image::{Descriptor, MediaType};
use ocikit_layout::Layout;
use ocikit_remote::{
    Client, ClientOptions, CredentialSources, Credentials, PullOptions, Pulled, PushOptions,
    Pushed, Reference, RegistryOptions, WarningHandler,
};

use crate::Failure;
use crate::progress::Transfers;
use crate::store::Image;

impl From<ocikit_remote::Error> for Failure {
    fn from(err: ocikit_remote::Error) -> Self {
        Failure(err.to_string())
    }
}

/// A `REF` argument: only with `docker://`, so that it never reads as a
/// layout image (`LAYOUT:TAG`) by mistake.
pub fn parse_reference(text: &str) -> Result<Reference, String> {
    if !text.starts_with(ocikit_remote::SCHEME) {
        return Err(format!(
            "{text:?} is not a registry reference: expected docker://HOST[:PORT]/REPO[:TAG|@DIGEST]"
        ));
    }
    Reference::parse(text).map_err(|e| e.to_string())
}

/// A `SRC` or `DST`: a registry reference when it starts with
/// `docker://`, else a layout image.
#[derive(Debug, Clone)]
pub enum Location {
    /// `LAYOUT:TAG`.
    Layout(Image),
    /// `docker://HOST[:PORT]/REPO[:TAG|@DIGEST]`.
    Registry(Reference),
}

impl FromStr for Location {
    type Err = String;

    fn from_str(text: &str) -> Result<Location, String> {
        if text.starts_with(ocikit_remote::SCHEME) {
            parse_reference(text).map(Location::Registry)
        } else {
            text.parse().map(Location::Layout)
        }
    }
}

/// The `--authfile` flag alone (`oci logout`).
#[derive(clap::Args, Debug)]
pub struct AuthFileArg {
    /// The credentials file to use instead of the default ones: read for
    /// credentials, written by login and logout (default: $REGISTRY_AUTH_FILE,
    /// else $XDG_RUNTIME_DIR/containers/auth.json; credentials are also read
    /// from ~/.config/containers/auth.json and ~/.docker/config.json)
    #[arg(long, value_name = "PATH")]
    pub authfile: Option<PathBuf>,
}

/// The flags of every command that talks to a registry, as skopeo spells
/// them. `--creds` and `--cert-dir` are for one registry: a copy between
/// two refuses them.
#[derive(clap::Args, Debug)]
pub struct RegistryArgs {
    #[command(flatten)]
    pub auth: AuthFileArg,
    /// Credentials for the registry, used instead of any file's
    #[arg(long, value_name = "USER:PASS", value_parser = CredsParser)]
    pub creds: Option<Credentials>,
    /// A directory of CA certificates (*.crt) and a client certificate
    /// (*.cert with its *.key) for the registry, instead of
    /// /etc/containers/certs.d/HOST[:PORT]
    #[arg(long, value_name = "DIR")]
    pub cert_dir: Option<PathBuf>,
    /// Whether to verify the registry's TLS certificate: --tls-verify=false
    /// tries https without verification, then plain http (a registry on
    /// this machine, or one you trust)
    #[arg(
        long,
        value_name = "BOOL",
        action = clap::ArgAction::Set,
        num_args = 0..=1,
        require_equals = true,
        default_value_t = true,
        default_missing_value = "true"
    )]
    pub tls_verify: bool,
}

/// `USER:PASS` of `--creds`, split at the first colon (a password may
/// have more). A value it refuses is not shown in the usage error: it may
/// be a password.
#[derive(Clone)]
struct CredsParser;

impl clap::builder::TypedValueParser for CredsParser {
    type Value = Credentials;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Credentials, clap::Error> {
        match value.to_str().and_then(|text| text.split_once(':')) {
            Some((user, password)) if !user.is_empty() && !password.is_empty() => {
                Ok(Credentials::new(user, password))
            }
            _ => Err(clap::Error::raw(
                clap::error::ErrorKind::InvalidValue,
                format!(
                    "--creds expects USER:PASS, both not empty (the value given is not \
                     shown)\n\n{}\n\nFor more information, try '--help'.\n",
                    cmd.clone().render_usage()
                ),
            )
            .with_cmd(cmd)),
        }
    }
}

impl RegistryArgs {
    /// A client for the registries of `references`, with these flags'
    /// TLS settings and credentials: `--creds`, else the first the files
    /// have (`--authfile`, or those podman, skopeo and docker read).
    /// Warnings about the files, and the registries' `Warning` headers,
    /// go to `notes`.
    pub fn client(&self, references: &[&Reference], notes: &Transfers) -> Result<Client, Failure> {
        let mut sources = match &self.auth.authfile {
            Some(file) => CredentialSources::with_file(file),
            None => CredentialSources::from_env(),
        };
        sources.given = self.creds.clone();
        let mut options = self.options(notes);
        for reference in references {
            let registry = reference.registry();
            if options.registries.contains_key(registry) {
                continue;
            }
            let found = sources.lookup(registry, Some(reference.repository()))?;
            let credentials = found.map(|found| {
                for warning in &found.warnings {
                    notes.say(&format!("warning: {warning}"));
                }
                found.credentials
            });
            options = options.with_registry(registry, self.settings(credentials));
        }
        Ok(Client::new(options))
    }

    /// A client with these flags' TLS settings for `registry`, and no
    /// credentials (`oci login` brings its own).
    pub fn tls_client(&self, registry: &str, notes: &Transfers) -> Client {
        Client::new(
            self.options(notes)
                .with_registry(registry, self.settings(None)),
        )
    }

    /// The client's options: the registries' warnings go to `notes`.
    fn options(&self, notes: &Transfers) -> ClientOptions {
        let notes = notes.clone();
        ClientOptions {
            warnings: WarningHandler::new(move |warning| {
                notes.say(&format!("warning: {warning}"));
            }),
            ..ClientOptions::default()
        }
    }

    /// One registry's settings, with `credentials`.
    fn settings(&self, credentials: Option<Credentials>) -> RegistryOptions {
        RegistryOptions {
            tls_verify: self.tls_verify,
            cert_dir: self.cert_dir.clone(),
            credentials,
        }
    }
}

/// Pulls `reference` into `layout` as `tag`, with a line per blob in
/// flight and a summary on a terminal.
pub fn pull(
    client: &Client,
    reference: &Reference,
    layout: &Layout,
    tag: &str,
    mut options: PullOptions,
    transfers: &Transfers,
) -> Result<Pulled, Failure> {
    let started = Instant::now();
    options.progress = transfers.progress();
    let pulled = client.pull(reference, layout, tag, &options)?;
    transfers.summary(&format!(
        "{} fetched ({}), {} already present, in {:.1}s",
        blobs(pulled.blobs_fetched),
        HumanBytes(pulled.bytes_fetched),
        pulled.blobs_present,
        started.elapsed().as_secs_f64()
    ));
    Ok(pulled)
}

/// Says that `pulled` stored Docker-typed manifests, when it did.
pub fn note_docker(transfers: &Transfers, layout: &Layout, pulled: &Pulled) {
    if pulled.docker_manifests {
        let media_type = docker_type(layout, &pulled.descriptor);
        transfers.say(&docker_note(transfers.command(), &media_type));
    }
}

/// Pushes the image `tag` of `layout` to `reference` (mounting blobs from
/// `mount_from`, a repository of the same registry, when given), with a
/// line per blob in flight and a summary on a terminal.
pub fn push(
    client: &Client,
    layout: &Layout,
    tag: &str,
    reference: &Reference,
    mount_from: Option<String>,
    transfers: &Transfers,
) -> Result<Pushed, Failure> {
    let started = Instant::now();
    let options = PushOptions {
        mount_from,
        progress: transfers.progress(),
        ..PushOptions::default()
    };
    let pushed = client.push(layout, tag, reference, &options)?;
    transfers.summary(&format!(
        "{} uploaded ({}), {} already there, {} mounted, {}, in {:.1}s",
        blobs(pushed.blobs_uploaded),
        HumanBytes(pushed.bytes_uploaded),
        pushed.blobs_existing,
        pushed.blobs_mounted,
        match pushed.manifests_pushed {
            1 => "1 manifest".to_owned(),
            n => format!("{n} manifests"),
        },
        started.elapsed().as_secs_f64()
    ));
    Ok(pushed)
}

fn blobs(count: usize) -> String {
    match count {
        1 => "1 blob".to_owned(),
        n => format!("{n} blobs"),
    }
}

/// The one wording of the note that Docker-typed manifests were stored
/// (`oci import`, `oci pull`, `oci copy`): podman's and skopeo's `oci:`
/// transport do not see them. `oci copy` has no `--to-oci`: it points to
/// `oci pull`'s.
pub fn docker_note(command: &str, media_type: &MediaType) -> String {
    let verb = match command {
        "copy" => "pull",
        command => command,
    };
    format!(
        "note: the manifests stay Docker-typed ({media_type}): podman and skopeo's oci: transport will not find them; {verb} with --to-oci to convert them"
    )
}

/// The Docker type among what `descriptor` names: its own, or that of the
/// first Docker entry of the OCI index it names.
fn docker_type(layout: &Layout, descriptor: &Descriptor) -> MediaType {
    if descriptor.media_type.is_index()
        && !descriptor.media_type.is_docker()
        && let Ok(index) = layout.read_index(descriptor)
        && let Some(entry) = index.manifests.iter().find(|d| d.media_type.is_docker())
    {
        return entry.media_type.clone();
    }
    descriptor.media_type.clone()
}

/// Runs `work` on the layout at `path`, created when missing; a layout it
/// created is removed again when `work` fails, so that a failed pull
/// leaves nothing behind.
pub fn into_layout<T>(
    path: &str,
    work: impl FnOnce(&Layout) -> Result<T, Failure>,
) -> Result<T, Failure> {
    let created = !Path::new(path).exists();
    let layout = Layout::open_or_init(path)?;
    let result = work(&layout);
    if result.is_err() && created {
        let _ = std::fs::remove_dir_all(path);
    }
    result
}
