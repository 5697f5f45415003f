//! Which certificates a connection to a registry trusts and presents: the
//! platform's CAs (rustls-native-certs: on Debian the system bundle
//! `/etc/ssl/certs/ca-certificates.crt`, or what `SSL_CERT_FILE` and
//! `SSL_CERT_DIR` name) plus the registry's own directory in the containers
//! `certs.d` layout (containers-certs.d(5)): `*.crt` files are CAs, a
//! `NAME.cert` with its `NAME.key` is a client certificate and key.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use ureq::tls::{Certificate, ClientCert, PemItem, PrivateKey, parse_pem};

use crate::{Error, Result};

/// Where the containers tools look for a registry's certificates:
/// `/etc/containers/certs.d/HOST[:PORT]/`.
pub const CERTS_D: &str = "/etc/containers/certs.d";

/// The largest certificate or key file read.
const FILE_LIMIT: u64 = 1 << 20;

/// The CAs and client certificate for one registry host.
#[derive(Clone, Default)]
pub(crate) struct Trust {
    /// The platform's CAs, then the registry's own.
    pub roots: Arc<Vec<Certificate<'static>>>,
    /// A client certificate chain and its key.
    pub client: Option<ClientCert>,
}

/// The platform's CAs, loaded once per process. Files that cannot be read
/// or parsed are skipped (as rustls-native-certs reports them); an empty
/// set only means that no public registry verifies.
fn platform_roots() -> &'static [Certificate<'static>] {
    static ROOTS: OnceLock<Vec<Certificate<'static>>> = OnceLock::new();
    ROOTS.get_or_init(|| {
        rustls_native_certs::load_native_certs()
            .certs
            .into_iter()
            .map(|der| Certificate::from_der(der.as_ref()).to_owned())
            .collect()
    })
}

/// The trust for `host` (`host[:port]`, as in the URL): the platform's
/// CAs, plus those of `dir` when given, else of `certs_d/host` when that
/// directory exists.
pub(crate) fn trust_for(
    registry: &str,
    dir: Option<&Path>,
    certs_d: &Path,
    host: &str,
) -> Result<Trust> {
    let mut roots = platform_roots().to_vec();
    let dir = match dir {
        Some(dir) => Some(dir.to_path_buf()),
        None => Some(certs_d.join(host)).filter(|d| d.is_dir()),
    };
    let mut client = None;
    if let Some(dir) = dir {
        let (cas, pair) = read_dir(registry, &dir)?;
        roots.extend(cas);
        client = pair;
    }
    Ok(Trust {
        roots: Arc::new(roots),
        client,
    })
}

/// The CAs (`*.crt`) and the client pair (`*.cert` with `*.key`) of `dir`,
/// read in name order. A `.cert` without its `.key` (or the reverse) is an
/// error, as it is for the containers tools; several pairs take the first.
fn read_dir(registry: &str, dir: &Path) -> Result<(Vec<Certificate<'static>>, Option<ClientCert>)> {
    let failed = |path: &Path, reason: String| Error::Certificates {
        registry: registry.to_owned(),
        path: path.to_path_buf(),
        reason,
    };
    let entries =
        fs::read_dir(dir).map_err(|e| failed(dir, format!("cannot read the directory: {e}")))?;
    let mut names: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    names.sort();
    let mut cas = Vec::new();
    let mut client = None;
    for path in &names {
        let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        match extension {
            "crt" => {
                let pem = read_small(path).map_err(|e| failed(path, e))?;
                let certs = certificates(&pem).map_err(|e| failed(path, e))?;
                if certs.is_empty() {
                    return Err(failed(path, "no PEM certificate in the file".into()));
                }
                cas.extend(certs);
            }
            "cert" => {
                let key = path.with_extension("key");
                if !key.is_file() {
                    return Err(failed(
                        path,
                        format!("client certificate without its key {}", key.display()),
                    ));
                }
                if client.is_none() {
                    let chain = certificates(&read_small(path).map_err(|e| failed(path, e))?)
                        .map_err(|e| failed(path, e))?;
                    let key_pem = read_small(&key).map_err(|e| failed(&key, e))?;
                    let key_der = PrivateKey::from_pem(&key_pem)
                        .map_err(|e| failed(&key, format!("not a PEM private key: {e}")))?;
                    client = Some(ClientCert::new_with_certs(&chain, key_der));
                }
            }
            "key" => {
                let cert = path.with_extension("cert");
                if !cert.is_file() {
                    return Err(failed(
                        path,
                        format!("client key without its certificate {}", cert.display()),
                    ));
                }
            }
            _ => {}
        }
    }
    Ok((cas, client))
}

fn read_small(path: &Path) -> std::result::Result<Vec<u8>, String> {
    use std::io::Read;
    let file = fs::File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let mut bytes = Vec::new();
    file.take(FILE_LIMIT + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > FILE_LIMIT {
        return Err(format!("larger than {FILE_LIMIT} bytes"));
    }
    Ok(bytes)
}

fn certificates(pem: &[u8]) -> std::result::Result<Vec<Certificate<'static>>, String> {
    let mut certs = Vec::new();
    for item in parse_pem(pem) {
        match item {
            Ok(PemItem::Certificate(cert)) => certs.push(cert),
            Ok(_) => {}
            Err(e) => return Err(format!("not valid PEM: {e}")),
        }
    }
    Ok(certs)
}
