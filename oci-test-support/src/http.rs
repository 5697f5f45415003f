//! A scripted HTTP/1.1 server on 127.0.0.1 for what distribution 2.8.2 does
//! not do: a handler answers each request (statuses, headers, bodies, a
//! connection cut in the middle of a body, a stall, an endless body, a
//! large generated one), and every request is recorded for the test to look
//! at. Stopped when dropped.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// A request as the server received it.
#[derive(Debug, Clone)]
pub struct Seen {
    /// `GET`, `PUT`, ...
    pub method: String,
    /// The path with its query.
    pub path: String,
    /// The headers, in order, as sent.
    pub headers: Vec<(String, String)>,
    /// The body (by its `Content-Length`).
    pub body: Vec<u8>,
}

impl Seen {
    /// The first value of the header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The headers of a reply.
pub type Headers = Vec<(String, String)>;

/// What the server does with a request. Every reply has a status and
/// headers; `Content-Length` is added unless the reply says otherwise.
pub enum Reply {
    /// A complete answer.
    Answer {
        /// The status code.
        status: u16,
        /// The headers.
        headers: Headers,
        /// The body (not sent for HEAD).
        body: Vec<u8>,
    },
    /// Headers announcing all of `body`, the first `after` bytes of it, and
    /// a closed connection.
    CutAfter {
        /// The status code.
        status: u16,
        /// The headers.
        headers: Headers,
        /// The body announced.
        body: Vec<u8>,
        /// How much of it is sent.
        after: usize,
    },
    /// Headers announcing all of `body`, the first `after` bytes of it,
    /// then silence for `pause` before the connection closes.
    Stall {
        /// The status code.
        status: u16,
        /// The headers.
        headers: Headers,
        /// The body announced.
        body: Vec<u8>,
        /// How much of it is sent before the pause.
        after: usize,
        /// How long nothing is sent.
        pause: std::time::Duration,
    },
    /// Headers without a length, then bytes until the client hangs up.
    Endless {
        /// The status code.
        status: u16,
        /// The headers.
        headers: Headers,
    },
    /// `chunk` repeated until `total` bytes are sent, with their length
    /// (a large body that is never whole in the server's memory either).
    Repeat {
        /// The status code.
        status: u16,
        /// The headers.
        headers: Headers,
        /// What is repeated.
        chunk: Vec<u8>,
        /// The length of the body.
        total: u64,
    },
}

impl Reply {
    /// An answer with `status` and no body.
    pub fn status(status: u16) -> Reply {
        Reply::Answer {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// An answer with `status` and `body`.
    pub fn body(status: u16, body: impl Into<Vec<u8>>) -> Reply {
        Reply::Answer {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// Adds a header.
    pub fn with(mut self, name: &str, value: impl Into<String>) -> Reply {
        match &mut self {
            Reply::Answer { headers, .. }
            | Reply::CutAfter { headers, .. }
            | Reply::Endless { headers, .. }
            | Reply::Stall { headers, .. }
            | Reply::Repeat { headers, .. } => headers.push((name.to_owned(), value.into())),
        }
        self
    }
}

type Handler = dyn Fn(&Seen) -> Reply + Send + Sync;

/// A running server.
pub struct Server {
    /// `127.0.0.1:PORT`.
    pub address: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
    accept: Option<JoinHandle<()>>,
}

impl Server {
    /// A server on 127.0.0.1 and a free port, answering each request with
    /// `handler` (on a thread per connection).
    ///
    /// # Panics
    ///
    /// When no port can be bound.
    pub fn start(handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Server {
        Server::start_on("127.0.0.1", handler)
    }

    /// A server on the loopback address `ip` (`127.0.0.2` is another host
    /// than `127.0.0.1` for a client).
    pub fn start_on(ip: &str, handler: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind((ip, 0)).unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        let accept = {
            let (seen, stop) = (seen.clone(), stop.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    let Ok(stream) = stream else { continue };
                    let (seen, handler, stop) = (seen.clone(), handler.clone(), stop.clone());
                    std::thread::spawn(move || serve(stream, &seen, &*handler, &stop));
                }
            })
        };
        Server {
            address,
            seen,
            stop,
            accept: Some(accept),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The requests received so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(&self.address);
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
    }
}

/// Requests of one connection, until it closes.
fn serve(stream: TcpStream, seen: &Mutex<Vec<Seen>>, handler: &Handler, stop: &AtomicBool) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    while !stop.load(Ordering::Relaxed) {
        let Some(request) = read_request(&mut reader) else {
            return;
        };
        seen.lock().unwrap().push(request.clone());
        let head_only = request.method == "HEAD";
        let keep = match handler(&request) {
            Reply::Answer {
                status,
                headers,
                body,
            } => {
                let mut out = head(status, &headers);
                if !headers
                    .iter()
                    .any(|(n, _)| n.eq_ignore_ascii_case("Content-Length"))
                {
                    out.push_str(&format!("Content-Length: {}\r\n", body.len()));
                }
                out.push_str("\r\n");
                let mut bytes = out.into_bytes();
                if !head_only {
                    bytes.extend_from_slice(&body);
                }
                writer.write_all(&bytes).is_ok()
            }
            Reply::CutAfter {
                status,
                headers,
                body,
                after,
            } => {
                let mut out = head(status, &headers);
                out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
                let _ = writer.write_all(out.as_bytes());
                let _ = writer.write_all(&body[..after.min(body.len())]);
                let _ = writer.flush();
                false
            }
            Reply::Repeat {
                status,
                headers,
                chunk,
                total,
            } => {
                let mut out = head(status, &headers);
                out.push_str(&format!("Content-Length: {total}\r\n\r\n"));
                let mut ok = writer.write_all(out.as_bytes()).is_ok();
                let mut left = total;
                while ok && left > 0 && !head_only {
                    let n = chunk.len().min(usize::try_from(left).unwrap_or(usize::MAX));
                    ok = writer.write_all(&chunk[..n]).is_ok();
                    left -= n as u64;
                }
                ok
            }
            Reply::Stall {
                status,
                headers,
                body,
                after,
                pause,
            } => {
                let mut out = head(status, &headers);
                out.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
                let _ = writer.write_all(out.as_bytes());
                let _ = writer.write_all(&body[..after.min(body.len())]);
                let _ = writer.flush();
                std::thread::sleep(pause);
                false
            }
            Reply::Endless { status, headers } => {
                let mut out = head(status, &headers);
                out.push_str("Connection: close\r\n\r\n");
                let _ = writer.write_all(out.as_bytes());
                let chunk = vec![b'x'; 64 << 10];
                while !stop.load(Ordering::Relaxed) && writer.write_all(&chunk).is_ok() {}
                false
            }
        };
        if !keep {
            let _ = writer.shutdown(Shutdown::Both);
            return;
        }
    }
}

fn head(status: u16, headers: &[(String, String)]) -> String {
    let mut out = format!("HTTP/1.1 {status} Status\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Seen> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':')?;
        headers.push((name.trim().to_owned(), value.trim().to_owned()));
    }
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("Content-Length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Seen {
        method,
        path,
        headers,
        body,
    })
}
