//! `oci login` and `oci logout`: a registry's credentials checked and
//! stored in the auth file podman and skopeo use (containers-auth.json(5)),
//! and removed from it.

use std::io::{BufRead, IsTerminal, Read, Write};

use ocikit_remote::{Credentials, LoginOptions};

use crate::progress::Transfers;
use crate::remote::{AuthFileArg, RegistryArgs};
use crate::{CmdResult, Failure, stdout_failed};

/// Log in to a registry
///
/// The credentials are checked with the registry, then stored in the auth
/// file that podman and skopeo read and write ($REGISTRY_AUTH_FILE, else
/// $XDG_RUNTIME_DIR/containers/auth.json; --authfile names another). The
/// password is asked for on the terminal without echo; with
/// --password-stdin, or when stdin is not a terminal, it is read from
/// stdin.
#[derive(clap::Args, Debug)]
pub struct LoginArgs {
    /// The registry, HOST[:PORT], or HOST[:PORT]/NAMESPACE for credentials
    /// of one namespace
    #[arg(value_name = "HOST")]
    host: String,
    /// The user name (default: asked for on the terminal)
    #[arg(
        short = 'u',
        long = "username",
        value_name = "USER",
        conflicts_with = "creds"
    )]
    username: Option<String>,
    /// Read the password from stdin (all of it, without a final newline);
    /// needs -u
    #[arg(long, conflicts_with = "creds", requires = "username")]
    password_stdin: bool,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// Log out of a registry: remove its credentials from the auth file
#[derive(clap::Args, Debug)]
pub struct LogoutArgs {
    /// The registry, HOST[:PORT] (or HOST[:PORT]/NAMESPACE)
    #[arg(value_name = "HOST")]
    host: String,
    #[command(flatten)]
    auth: AuthFileArg,
}

pub fn login(args: LoginArgs) -> CmdResult {
    let LoginArgs {
        host,
        username,
        password_stdin,
        registry,
    } = args;
    let credentials = match &registry.creds {
        Some(given) => given.clone(),
        None => ask(username, password_stdin)?,
    };
    // The flags' TLS settings for the registry; the credentials checked
    // are these, whatever the files hold.
    let name = host.split_once('/').map_or(host.as_str(), |(name, _)| name);
    let client = registry.tls_client(name, &Transfers::none("login"));
    let options = LoginOptions {
        auth_file: registry.auth.authfile.clone(),
    };
    let path = client.login(&host, &credentials, &options)?;
    writeln!(
        std::io::stdout().lock(),
        "Login succeeded: credentials for {host} stored in {}",
        path.display()
    )
    .map_err(stdout_failed)
}

pub fn logout(args: LogoutArgs) -> CmdResult {
    let options = LoginOptions {
        auth_file: args.auth.authfile,
    };
    let path = options
        .auth_file
        .clone()
        .unwrap_or_else(ocikit_remote::auth_file);
    if !ocikit_remote::logout(&args.host, &options)? {
        return Err(Failure(format!(
            "not logged in to {}: {} has no credentials for it",
            args.host,
            path.display()
        )));
    }
    writeln!(
        std::io::stdout().lock(),
        "Removed the credentials for {} from {}",
        args.host,
        path.display()
    )
    .map_err(stdout_failed)
}

/// The user name (given, or asked for on the terminal) and the password
/// (asked for on the terminal without echo, or read from stdin).
fn ask(username: Option<String>, password_stdin: bool) -> Result<Credentials, Failure> {
    let terminal = std::io::stdin().is_terminal() && !password_stdin;
    let username = match username {
        Some(user) => user,
        None if terminal => prompt("Username: ", true)?,
        None => {
            return Err(Failure(
                "no user name: give it with -u USER when the password comes from stdin".into(),
            ));
        }
    };
    let password = if terminal {
        prompt("Password: ", false)?
    } else {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Failure(format!("reading the password from stdin: {e}")))?;
        let text = text.strip_suffix('\n').unwrap_or(&text);
        text.strip_suffix('\r').unwrap_or(text).to_owned()
    };
    if username.is_empty() || password.is_empty() {
        return Err(Failure(
            "the user name and the password must not be empty".into(),
        ));
    }
    Ok(Credentials::new(username, password))
}

/// Asks for one line on the terminal (`echo`: whether what is typed is
/// shown), the question on stderr (also `oci sign`'s password).
pub fn prompt(question: &str, echo: bool) -> Result<String, Failure> {
    use rustix::termios::{LocalModes, OptionalActions, tcgetattr, tcsetattr};
    let failed = |e: std::io::Error| Failure(format!("reading from the terminal: {e}"));
    let stdin = std::io::stdin();
    let saved = tcgetattr(&stdin).map_err(|e| failed(e.into()))?;
    if !echo {
        // Echo goes off before the question is shown: whatever is typed
        // once the user can see it is never echoed.
        let mut quiet = saved.clone();
        quiet.local_modes.remove(LocalModes::ECHO);
        tcsetattr(&stdin, OptionalActions::Now, &quiet).map_err(|e| failed(e.into()))?;
    }
    eprint!("{question}");
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    if !echo {
        // The echo comes back whatever the read gave, and the line the
        // user ended is ended on the screen too.
        let _ = tcsetattr(&stdin, OptionalActions::Now, &saved);
        eprintln!();
    }
    read.map_err(failed)?;
    let line = line.strip_suffix('\n').unwrap_or(&line);
    Ok(line.strip_suffix('\r').unwrap_or(line).to_owned())
}
