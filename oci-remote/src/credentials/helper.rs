//! Docker's credential helpers: `docker-credential-NAME get` reads a
//! server on standard input and writes `{"ServerURL", "Username",
//! "Secret"}` on standard output, or fails saying "credentials not found"
//! (the protocol of github.com/docker/docker-credential-helpers). A helper
//! is another program: it runs with a time limit, and what it says is read
//! up to a bound.

use std::io::{Read, Write};
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::error::printable;
use crate::{Credentials, Error, Result};

/// The most bytes read from a helper's standard output, and from its
/// standard error: a real answer is a few hundred bytes.
pub const HELPER_OUTPUT_LIMIT: u64 = 64 << 10;

/// The credentials helper `name` has for `server`; `None` when it has
/// none.
///
/// # Errors
///
/// [`Error::Credentials`] naming `docker-credential-NAME`: a name that is
/// not a plain program name, a helper that cannot be started, exits with
/// an error other than "not found", runs longer than `timeout`, writes
/// more than [`HELPER_OUTPUT_LIMIT`] bytes, or answers something else than
/// its JSON.
pub(crate) fn get(name: &str, server: &str, timeout: Duration) -> Result<Option<Credentials>> {
    let program = format!("docker-credential-{name}");
    let error = |reason: String| Error::Credentials {
        origin: program.clone(),
        reason,
    };
    // A helper is looked up on PATH by its name only: a name with a `/`
    // would run a program by path.
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    {
        return Err(error(format!(
            "{:?} is not a credential helper name",
            printable(name)
        )));
    }
    let mut child = Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| error(format!("cannot be run: {e}")))?;
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    if let Some(mut stdin) = child.stdin.take() {
        // A helper that exits without reading gives a broken pipe: its
        // exit status says more.
        let _ = stdin.write_all(server.as_bytes());
    }
    // On a timeout the readers are left to end by themselves: a program
    // the helper started may hold its pipes open after it is killed.
    let status = wait(&mut child, timeout).ok_or_else(|| {
        error(format!(
            "gave no answer within {} s and was killed",
            timeout.as_secs_f32()
        ))
    })?;
    let (stdout, stderr) = (join(stdout), join(stderr));
    if stdout.len() as u64 > HELPER_OUTPUT_LIMIT || stderr.len() as u64 > HELPER_OUTPUT_LIMIT {
        return Err(error(format!(
            "wrote more than {HELPER_OUTPUT_LIMIT} bytes"
        )));
    }
    let said = |bytes: &[u8]| printable(String::from_utf8_lossy(bytes).trim());
    if !status.success() {
        let message = if stdout.is_empty() { &stderr } else { &stdout };
        if said(message).contains("credentials not found") {
            return Ok(None);
        }
        return Err(error(format!(
            "get for {server}: {status}: {}",
            said(message)
        )));
    }
    #[derive(serde::Deserialize)]
    struct Answer {
        #[serde(rename = "Username", default)]
        username: String,
        #[serde(rename = "Secret", default)]
        secret: String,
    }
    let answer: Answer = serde_json::from_slice(&stdout).map_err(|e| {
        error(format!(
            "get for {server}: the answer is not the helpers' JSON: {e}"
        ))
    })?;
    if answer.secret.is_empty() {
        return Ok(None);
    }
    Ok(Some(Credentials::new(answer.username, answer.secret)))
}

/// Reads `pipe` to its end on a thread, keeping one byte past the limit
/// (so that "too much" shows) and discarding the rest.
fn drain(pipe: Option<impl Read + Send + 'static>) -> Option<JoinHandle<Vec<u8>>> {
    let pipe = pipe?;
    Some(std::thread::spawn(move || {
        let mut pipe = pipe;
        let mut kept = Vec::new();
        let _ = (&mut pipe)
            .take(HELPER_OUTPUT_LIMIT + 1)
            .read_to_end(&mut kept);
        let _ = std::io::copy(&mut pipe, &mut std::io::sink());
        kept
    }))
}

fn join(reader: Option<JoinHandle<Vec<u8>>>) -> Vec<u8> {
    reader.and_then(|r| r.join().ok()).unwrap_or_default()
}

/// The child's exit status, or `None` after killing it when `timeout`
/// passed first.
fn wait(child: &mut Child, timeout: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(10));
            }
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
}
