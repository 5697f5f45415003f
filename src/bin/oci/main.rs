//! `oci`: the toolkit's command-line front end, in the spirit of umoci and
//! skopeo. The commands, their arguments and their help are one clap
//! definition: the [`Command`] list here, each command's arguments in the
//! file of its group, which also runs it. This file dispatches and turns
//! failures into exit codes.
// The doc comments of the arguments are their help text, which writes the
// optional parts of a reference in brackets (HOST[:PORT]): not links.
#![allow(rustdoc::broken_intra_doc_links)]

mod archive;
mod build;
mod bundle;
mod container;
mod copy;
mod digest;
mod discover;
mod login;
mod maintenance;
mod progress;
mod remote;
mod runtime;
mod shell;
mod sign;
mod store;
mod transfer;
mod validate;

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

/// What the top-level help says after the list of commands.
const AFTER_HELP: &str = "\
IMAGE is LAYOUT:TAG (split at the last colon). REF is an image in a
registry, docker://HOST[:PORT]/REPO[:TAG|@DIGEST] as skopeo writes it;
the commands that talk to a registry take --authfile, --creds, --cert-dir
and --tls-verify=false as skopeo does.

build, unpack, repack, import, export and copy draw a progress bar on
stderr when it is a terminal, pull and push a line per blob in flight;
--quiet turns them off.

exit codes: 0 success, 1 failure (one line on stderr: `oci: <message>`),
2 usage error (bad arguments)";

/// Image layouts, archives, runtime bundles and OCI documents, from the
/// command line
#[derive(Parser, Debug)]
#[command(
    name = "oci",
    version,
    after_help = AFTER_HELP,
    arg_required_else_help = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The commands, in the order the help lists them.
#[derive(Subcommand, Debug)]
enum Command {
    Init(store::InitArgs),
    Ls(store::LsArgs),
    New(store::NewArgs),
    Stat(store::StatArgs),
    Build(build::BuildArgs),
    Config(bundle::ConfigArgs),
    Unpack(bundle::UnpackArgs),
    Repack(bundle::RepackArgs),
    Tag(store::TagArgs),
    Rm(store::RmArgs),
    Gc(maintenance::GcArgs),
    Fsck(maintenance::FsckArgs),
    Export(archive::ExportArgs),
    Import(archive::ImportArgs),
    Copy(copy::CopyArgs),
    Pull(transfer::PullArgs),
    Push(transfer::PushArgs),
    Inspect(discover::InspectArgs),
    Tags(discover::TagsArgs),
    Referrers(discover::ReferrersArgs),
    Login(login::LoginArgs),
    Logout(login::LogoutArgs),
    Validate(validate::ValidateArgs),
    RuntimeSpec(runtime::RuntimeSpecArgs),
    Digest(digest::DigestArgs),
    Keygen(sign::KeygenArgs),
    Sign(sign::SignArgs),
    Verify(sign::VerifyArgs),
    Attest(sign::AttestArgs),
    VerifyAttestation(sign::VerifyAttestationArgs),
    Completions(CompletionsArgs),
    Run(container::RunArgs),
    Create(container::CreateArgs),
    Start(container::StartArgs),
    State(container::StateArgs),
    Kill(container::KillArgs),
    Delete(container::DeleteArgs),
    List(container::ListArgs),
    Exec(container::ExecArgs),
    Update(container::UpdateArgs),
}

/// Print a completion script for a shell on stdout
///
/// bash: `oci completions bash > /etc/bash_completion.d/oci`; zsh: into a
/// file `_oci` on $fpath; fish: `oci completions fish >
/// ~/.config/fish/completions/oci.fish`.
#[derive(clap::Args, Debug)]
struct CompletionsArgs {
    /// The shell the script is for
    #[arg(value_enum)]
    shell: Shell,
}

/// The shells `oci completions` writes for.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum Shell {
    Bash,
    Zsh,
    Fish,
}

/// A failure of a command: exit 1 and `oci: <message>` on stderr. Usage
/// errors (exit 2) are clap's, found while the arguments are parsed.
pub struct Failure(pub String);

impl From<ocikit_layout::Error> for Failure {
    fn from(err: ocikit_layout::Error) -> Self {
        Failure(err.to_string())
    }
}

impl From<ocikit_convert::Error> for Failure {
    fn from(err: ocikit_convert::Error) -> Self {
        Failure(err.to_string())
    }
}

/// The failure of a write to stdout (a closed pipe, a full disk).
pub fn stdout_failed(e: std::io::Error) -> Failure {
    Failure(format!("writing to stdout: {e}"))
}

/// What every command returns.
pub type CmdResult = Result<(), Failure>;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version on stdout with 0, usage errors on stderr
            // with 2.
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    let result = match cli.command {
        Command::Init(args) => store::init(args),
        Command::Ls(args) => store::ls(args),
        Command::New(args) => store::new(args),
        Command::Stat(args) => store::stat(args),
        Command::Build(args) => build::build(args),
        Command::Config(args) => bundle::config(args),
        Command::Unpack(args) => bundle::unpack(args),
        Command::Repack(args) => bundle::repack(args),
        Command::Tag(args) => store::tag(args),
        Command::Rm(args) => store::rm(args),
        Command::Gc(args) => maintenance::gc(args),
        Command::Fsck(args) => maintenance::fsck(args),
        Command::Export(args) => archive::export(args),
        Command::Import(args) => archive::import(args),
        Command::Copy(args) => copy::copy(args),
        Command::Pull(args) => transfer::pull(args),
        Command::Push(args) => transfer::push(args),
        Command::Inspect(args) => discover::inspect(args),
        Command::Tags(args) => discover::tags(args),
        Command::Referrers(args) => discover::referrers(args),
        Command::Login(args) => login::login(args),
        Command::Logout(args) => login::logout(args),
        Command::Validate(args) => validate::validate(args),
        Command::RuntimeSpec(args) => runtime::runtime_spec(args),
        Command::Digest(args) => digest::digest(args),
        Command::Keygen(args) => sign::keygen(args),
        Command::Sign(args) => sign::sign(args),
        Command::Verify(args) => sign::verify(args),
        Command::Attest(args) => sign::attest(args),
        Command::VerifyAttestation(args) => sign::verify_attestation(args),
        Command::Completions(args) => completions(args),
        Command::Run(args) => container::run(args),
        Command::Create(args) => container::create(args),
        Command::Start(args) => container::start(args),
        Command::State(args) => container::state(args),
        Command::Kill(args) => container::kill(args),
        Command::Delete(args) => container::delete(args),
        Command::List(args) => container::list(args),
        Command::Exec(args) => container::exec(args),
        Command::Update(args) => container::update(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure(message)) => {
            eprintln!("oci: {message}");
            ExitCode::from(1)
        }
    }
}

/// `oci completions SHELL`: the script, generated from the same definition
/// as the parser, so it knows every command and flag there is.
fn completions(args: CompletionsArgs) -> CmdResult {
    use clap_complete::Shell as S;
    let shell = match args.shell {
        Shell::Bash => S::Bash,
        Shell::Zsh => S::Zsh,
        Shell::Fish => S::Fish,
    };
    // Into memory first: the generator panics when a write fails (stdout
    // closed early, `| head`), and that must be an error instead.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "oci", &mut script);
    std::io::stdout()
        .lock()
        .write_all(&script)
        .map_err(stdout_failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// clap's own consistency checks of the definition (names, groups,
    /// defaults), which it otherwise runs only in debug builds when the
    /// command is parsed.
    #[test]
    fn the_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
