//! `oci`: the toolkit's command-line front end, in the spirit of umoci and
//! skopeo (DESIGN.md has the whole contract). Each command group lives in
//! its own file; this one dispatches and turns failures into exit codes.
//!
//! Exit codes: 0 success, 1 failure (a clear message on stderr), 2 usage error.

mod archive;
mod args;
mod build;
mod bundle;
mod copy;
mod digest;
mod maintenance;
mod progress;
mod runtime;
mod store;
mod validate;

use std::process::ExitCode;

const USAGE: &str = "\
usage: oci <command> [arguments]

IMAGE is LAYOUT:TAG (split at the last colon).

image layouts:
  init LAYOUT                  create an empty image layout
  new IMAGE [--platform OS/ARCH[/VARIANT]]
                               create an empty image (no layers) and tag it
  build DIR IMAGE [--from TAG] [--compression gzip|zstd|none] [--platform P]
                               add a layer built from the directory DIR to the
                               image TAG of the same layout (--from), or to a
                               new empty image for P (default: this host's);
                               tag the result IMAGE (moving the tag) and print
                               its manifest digest. Default gzip; created times
                               from SOURCE_DATE_EPOCH when set, else the clock
  ls LAYOUT                    list the tags, one per line
  stat IMAGE [--json]          show an image: manifest, config, layers, history
  tag IMAGE NEWTAG             give the image another tag
  rm IMAGE                     remove a tag (the blobs stay until gc)
  gc LAYOUT [--dry-run] [--grace DURATION]
                               remove blobs nothing in index.json reaches and
                               that are older than the grace (default 24h;
                               0 when no writer can be running)
  fsck LAYOUT [--diff-ids]     verify every reachable blob and document; list
                               damage (exit 1), unreachable blobs and stale
                               temporary files

  export IMAGE ARCHIVE [--format oci-archive|docker-archive] [--repo-tag NAME:TAG]
                               write the image as a tar archive (default
                               oci-archive; a docker-archive is tagged NAME:TAG,
                               by default <layout directory>:<tag>)
  import ARCHIVE IMAGE [--format oci-archive|docker-archive] [--to-oci]
                               add the image of an archive to the layout (created
                               if missing) under the tag of IMAGE; --to-oci
                               converts Docker manifests to OCI ones
  copy SRC-IMAGE DST-IMAGE     copy the image and every blob it reaches (each
                               verified) into the layout of DST-IMAGE (created
                               if missing) and tag it there; prints the tag,
                               digest and media type
  config IMAGE [--tag NEWTAG] [--env K=V]... [--entrypoint ARG]... [--cmd ARG]...
         [--workdir DIR] [--user USER] [--label K=V]... [--expose PORT[/PROTO]]...
         [--volume PATH]... [--stop-signal SIG] [--platform P]
                               change the image's execution parameters (a new
                               config and manifest with a history entry), tagged
                               NEWTAG (default: the same tag); --env sets one
                               variable, --entrypoint/--cmd replace the list
                               (--cmd= alone clears it); print the new digest

documents:
  validate --type TYPE PATH    check a document against the spec; prints `valid`
                               or one line per error (exit 1). PATH - is stdin.
                               TYPE: descriptor, manifest, index,
                               config, layout (the oci-layout file, or a layout
                               directory holding it), runtime-config,
                               runtime-state, runtime-features
  digest [--algorithm ALG] [PATH|-]...
                               print the digest of each file (stdin without PATH
                               or with -), like sha256sum. ALG: sha256 (default),
                               sha512, blake3
  help                         this text

runtime bundles:
  unpack IMAGE BUNDLE [--rootless] [--platform P]
                               unpack the image into the new or empty directory
                               BUNDLE: rootfs/, config.json (image-spec
                               conversion.md) and what repack needs; rootless
                               is implied when not root. Prints the manifest
                               digest
  repack BUNDLE IMAGE [--compression gzip|zstd|none]
                               store the changes made to BUNDLE/rootfs as a new
                               layer on the bundle's image, tagged IMAGE; no
                               layer when nothing changed. Prints the digest
  runtime-spec [--rootless]    print a default config.json, as `runc spec`
                               [--rootless] writes it (rootless maps the
                               caller's uid and gid)

build, import, export, copy, unpack and repack draw a progress bar on stderr when it
is a terminal; --quiet turns it off.

exit codes: 0 success, 1 failure, 2 usage error";

/// A failure of a command: what went wrong, and which exit code it earns.
pub enum Failure {
    /// Bad arguments: exit 2, with the usage text.
    Usage(String),
    /// The command ran and failed (or found the input invalid): exit 1.
    Failed(String),
}

impl From<ocikit_layout::Error> for Failure {
    fn from(err: ocikit_layout::Error) -> Self {
        Failure::Failed(err.to_string())
    }
}

/// The failure of a write to stdout (a closed pipe, a full disk).
pub fn stdout_failed(e: std::io::Error) -> Failure {
    Failure::Failed(format!("writing to stdout: {e}"))
}

/// What every command returns.
pub type CmdResult = Result<(), Failure>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rest = args.get(1..).unwrap_or_default();
    let result = match args.first().map(String::as_str) {
        Some("init") => store::init(rest),
        Some("new") => store::new(rest),
        Some("build") => build::build(rest),
        Some("ls") => store::ls(rest),
        Some("stat") => store::stat(rest),
        Some("tag") => store::tag(rest),
        Some("rm") => store::rm(rest),
        Some("gc") => maintenance::gc(rest),
        Some("fsck") => maintenance::fsck(rest),
        Some("export") => archive::export(rest),
        Some("import") => archive::import(rest),
        Some("copy") => copy::copy(rest),
        Some("validate") => validate::validate(rest),
        Some("runtime-spec") => runtime::runtime_spec(rest),
        Some("unpack") => bundle::unpack(rest),
        Some("repack") => bundle::repack(rest),
        Some("config") => bundle::config(rest),
        Some("digest") => digest::digest(rest),
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
