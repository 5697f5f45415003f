//! Debian's `docker-registry` (distribution 2.8.2) on 127.0.0.1 and a free
//! port, with a configuration of its own in a temporary directory (the
//! facts it rests on: a config per test, not the packaged one that enables
//! htpasswd on :5000); killed and reaped when dropped.

use std::io::Write as _;
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::certs::make_certificates;
use crate::peers;

/// The `tls` member of the registry's `http` map, after a comma.
fn tls_map(certificate: &Path, key: &Path) -> String {
    format!(
        ", tls: {{certificate: {}, key: {}}}",
        certificate.display(),
        key.display()
    )
}

/// A running registry.
pub struct Registry {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub address: String,
    /// The registry's storage and configuration.
    pub dir: TempDir,
}

impl Registry {
    /// An anonymous plain-http registry with deletes enabled; `None` when
    /// `docker-registry` is missing (a skip, or a failure under CI:
    /// [`peers::require_tool`]).
    ///
    /// # Panics
    ///
    /// When the registry cannot be started or does not listen within 30 s.
    pub fn start() -> Option<Registry> {
        Registry::start_with("", "")
    }

    /// An anonymous registry serving https with `certificate` and `key`
    /// (PEM files).
    pub fn start_tls(certificate: &Path, key: &Path) -> Option<Registry> {
        Registry::start_with(&tls_map(certificate, key), "")
    }

    /// A registry serving https with a certificate for 127.0.0.1 from a CA
    /// made in `dir` ([`make_certificates`]: `ca.crt`, `server.crt`,
    /// `server.key`), asking for Basic credentials `user`:`password` from
    /// an htpasswd file (bcrypt) it writes in `dir`; `None` when `openssl`,
    /// `htpasswd` or `docker-registry` is missing (a skip, or a failure
    /// under CI).
    pub fn start_basic_tls(dir: &Path, user: &str, password: &str) -> Option<Registry> {
        if !peers::require_tools(&["openssl", "htpasswd"]) {
            return None;
        }
        make_certificates(dir);
        let htpasswd = peers::run(peers::command("htpasswd").args(["-Bbn", user, password]));
        std::fs::write(dir.join("htpasswd"), htpasswd).unwrap();
        let auth = format!(
            "auth: {{htpasswd: {{realm: ocikit-test, path: {}}}}}\n",
            dir.join("htpasswd").display()
        );
        Registry::start_with(
            &tls_map(&dir.join("server.crt"), &dir.join("server.key")),
            &auth,
        )
    }

    /// A registry whose configuration has `http_extra` added to its `http`
    /// map (`, tls: {...}`) and `extra` as further top-level lines (auth).
    pub fn start_with(http_extra: &str, extra: &str) -> Option<Registry> {
        if !peers::require_tool("docker-registry") {
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let address = format!("127.0.0.1:{port}");
        let config = dir.path().join("config.yml");
        let storage = dir.path().join("storage");
        let mut file = std::fs::File::create(&config).unwrap();
        write!(
            file,
            "version: 0.1\nlog: {{level: error}}\nstorage: {{filesystem: {{rootdirectory: {}}}, delete: {{enabled: true}}}}\nhttp: {{addr: {address}{http_extra}}}\n{extra}",
            storage.display()
        )
        .unwrap();
        let child = peers::command("docker-registry")
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut registry = Registry {
            child,
            address,
            dir,
        };
        registry.wait_until_listening();
        Some(registry)
    }

    fn wait_until_listening(&mut self) {
        let start = Instant::now();
        while TcpStream::connect(&self.address).is_err() {
            assert!(
                self.child.try_wait().unwrap().is_none(),
                "docker-registry exited at start"
            );
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "docker-registry did not listen within 30 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `docker://127.0.0.1:PORT/REST`.
    pub fn reference(&self, rest: &str) -> String {
        format!("docker://{}/{rest}", self.address)
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port nothing listens on now (the kernel's choice for port 0).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}
