//! What distribution 2.8.2 does not do, from a scripted HTTP server: hostile
//! and faulty answers (wrong digests, huge and endless bodies, redirect
//! loops and redirects to other hosts, resets in the middle of a blob,
//! 429 and 5xx), and the protocol's newer parts (the referrers API with
//! `Link` pages, `OCI-Chunk-Min-Length` and 416, `Warning`, sha512).
#![allow(clippy::unwrap_used)]

mod support;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ocikit_image::{
    Descriptor, Digest, ImageConfiguration, ImageIndex, ImageManifest, Json, MediaType,
};
use ocikit_layout::Layout;
use ocikit_remote::{
    Client, ClientOptions, Credentials, Error, PullOptions, Pulled, PushOptions, Reference,
    RegistryOptions, RetryPolicy, WarningHandler,
};
use ocikit_test_support::http::{Reply, Seen, Server};
use support::images::random;

/// What the fake registry holds: manifests by tag or digest (media type,
/// bytes) and blobs by digest.
#[derive(Clone, Default)]
struct Content {
    manifests: HashMap<String, (String, Vec<u8>)>,
    blobs: HashMap<String, Vec<u8>>,
}

impl Content {
    /// An image of one config and `layers`, under `tag` and its digest;
    /// returns the manifest's descriptor.
    fn image(&mut self, tag: &str, layers: &[Vec<u8>]) -> Descriptor {
        let mut config = ImageConfiguration::for_platform(&"linux/amd64".parse().unwrap());
        let mut descriptors = Vec::new();
        for layer in layers {
            let d = Descriptor::for_bytes(MediaType::ImageLayer, layer);
            config.rootfs.diff_ids.push(d.digest.clone());
            self.blobs.insert(d.digest.to_string(), layer.clone());
            descriptors.push(d);
        }
        let config_bytes = config.to_canonical_json();
        let config = Descriptor::for_bytes(MediaType::ImageConfig, &config_bytes);
        self.blobs.insert(config.digest.to_string(), config_bytes);
        let manifest = ImageManifest {
            config,
            layers: descriptors,
            ..Default::default()
        };
        self.manifest(tag, MediaType::ImageManifest, manifest.to_canonical_json())
    }

    fn manifest(&mut self, tag: &str, media_type: MediaType, bytes: Vec<u8>) -> Descriptor {
        let descriptor = Descriptor::for_bytes(media_type.clone(), &bytes);
        let entry = (media_type.as_str().to_owned(), bytes);
        self.manifests.insert(tag.to_owned(), entry.clone());
        self.manifests.insert(descriptor.digest.to_string(), entry);
        descriptor
    }

    /// The registry's answer to `request`, if it is a pull.
    fn answer(&self, request: &Seen) -> Option<Reply> {
        let path = request.path.split('?').next().unwrap_or("");
        if let Some((_, reference)) = path.split_once("/manifests/") {
            return Some(match self.manifests.get(reference) {
                Some((media_type, bytes)) => Reply::body(200, bytes.clone())
                    .with("Content-Type", media_type.clone())
                    .with("Docker-Content-Digest", Digest::sha256(bytes).to_string()),
                None => Reply::body(
                    404,
                    r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#,
                ),
            });
        }
        if let Some((_, digest)) = path.split_once("/blobs/") {
            return Some(match self.blobs.get(digest) {
                Some(bytes) => Reply::body(200, bytes.clone()),
                None => Reply::status(404),
            });
        }
        None
    }
}

/// A client for the plain-http server at `address`, retrying quickly.
fn client(address: &str, credentials: Option<Credentials>) -> Client {
    let options = ClientOptions {
        retry: RetryPolicy {
            initial_backoff: Duration::from_millis(10),
            ..RetryPolicy::default()
        },
        ..ClientOptions::default()
    };
    Client::new(options.with_registry(
        address,
        RegistryOptions {
            tls_verify: false,
            credentials,
            ..Default::default()
        },
    ))
}

fn reference(server: &Server, rest: &str) -> Reference {
    format!("{}/{rest}", server.address).parse().unwrap()
}

fn new_layout() -> (tempfile::TempDir, Layout) {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::init(dir.path().join("l")).unwrap();
    (dir, layout)
}

/// Pulls `app:v1` from `registry` into `layout` as `v1`, anonymously.
#[allow(
    clippy::result_large_err,
    reason = "the crate's own error, as its public functions return it"
)]
fn pull_v1(registry: &Server, layout: &Layout) -> Result<Pulled, Error> {
    client(&registry.address, None).pull(
        &reference(registry, "app:v1"),
        layout,
        "v1",
        &PullOptions::default(),
    )
}

/// Nothing was stored: no tag, no blob.
fn assert_nothing_stored(layout: &Layout) {
    assert!(layout.list_tags().unwrap().is_empty());
    assert!(
        layout.list_blobs().unwrap().is_empty(),
        "{:?}",
        layout.list_blobs()
    );
}

#[test]
fn a_redirect_to_another_host_carries_no_credentials() {
    let mut content = Content::default();
    let layer = random(10_000, 1);
    let manifest = content.image("v1", std::slice::from_ref(&layer));
    let layer_digest = Digest::sha256(&layer).to_string();
    let storage = {
        let layer = layer.clone();
        Server::start_on("127.0.0.2", move |_| Reply::body(200, layer.clone()))
    };
    let storage_url = format!(
        "{}/storage/blob",
        storage.url().replace("127.0.0.1", "127.0.0.2")
    );
    let registry = Server::start(move |request| {
        if request.header("Authorization") != Some("Basic dXNlcjpzZWNyZXQ=") {
            return Reply::status(401).with("WWW-Authenticate", r#"Basic realm="test""#);
        }
        if request.path.ends_with(&layer_digest) {
            return Reply::status(307).with("Location", storage_url.clone());
        }
        content.answer(request).unwrap_or(Reply::status(404))
    });
    let credentials = Credentials {
        username: "user".into(),
        password: "secret".into(),
    };
    let (_dir, layout) = new_layout();
    let client = client(&registry.address, Some(credentials));
    let pulled = client
        .pull(
            &reference(&registry, "app:v1"),
            &layout,
            "v1",
            &PullOptions::default(),
        )
        .unwrap();
    assert_eq!(pulled.descriptor.digest, manifest.digest);
    let at_storage = storage.seen();
    assert_eq!(at_storage.len(), 1);
    assert_eq!(
        at_storage[0].header("Authorization"),
        None,
        "credentials reached another host"
    );
    assert!(
        registry
            .seen()
            .iter()
            .any(|r| r.header("Authorization").is_some()),
        "the registry itself got them"
    );
}

#[test]
fn retries_honour_retry_after_and_warnings_are_reported_once() {
    let mut content = Content::default();
    content.image("v1", &[random(100, 2)]);
    let calls = AtomicUsize::new(0);
    let registry = Server::start(move |request| {
        if request.path.contains("/manifests/") {
            match calls.fetch_add(1, Ordering::SeqCst) {
                0 => return Reply::status(429).with("Retry-After", "1"),
                1 => return Reply::status(503),
                _ => {}
            }
        }
        content
            .answer(request)
            .unwrap()
            .with("Warning", r#"299 - "this registry is going away""#)
    });
    let warnings = Arc::new(Mutex::new(Vec::new()));
    let seen = warnings.clone();
    let mut options = ClientOptions {
        retry: RetryPolicy {
            initial_backoff: Duration::from_millis(10),
            ..RetryPolicy::default()
        },
        warnings: WarningHandler::new(move |w| seen.lock().unwrap().push(w.to_string())),
        ..ClientOptions::default()
    };
    options.registries.insert(
        registry.address.clone(),
        RegistryOptions {
            tls_verify: false,
            ..Default::default()
        },
    );
    let client = Client::new(options);
    let (_dir, layout) = new_layout();
    let started = Instant::now();
    client
        .pull(
            &reference(&registry, "app:v1"),
            &layout,
            "v1",
            &PullOptions::default(),
        )
        .unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was not honoured"
    );
    let manifests = registry
        .seen()
        .iter()
        .filter(|r| r.path.contains("/manifests/"))
        .count();
    assert_eq!(manifests, 3);
    assert_eq!(
        *warnings.lock().unwrap(),
        [format!(
            "registry {}: this registry is going away",
            registry.address
        )]
    );
}

#[test]
fn retries_are_bounded_and_the_error_names_the_attempts() {
    let registry = Server::start(|_| {
        Reply::body(
            503,
            r#"{"errors":[{"code":"UNAVAILABLE","message":"down"}]}"#,
        )
    });
    let (_dir, layout) = new_layout();
    let err = pull_v1(&registry, &layout).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("fetch manifest v1: HTTP 503 (UNAVAILABLE: down) (after 6 attempts)"),
        "{text}"
    );
    assert_eq!(registry.seen().len(), 6);
    // A Retry-After beyond the time left ends the retries at once.
    let registry = Server::start(|_| Reply::status(429).with("Retry-After", "3600"));
    let started = Instant::now();
    let err = pull_v1(&registry, &layout).unwrap_err();
    assert_eq!(err.status(), Some(429));
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_nothing_stored(&layout);
}

#[test]
fn a_reset_in_the_middle_of_a_blob_resumes_with_range() {
    for honest in [true, false] {
        let mut content = Content::default();
        let layer = random(300_000, 3);
        let manifest = content.image("v1", std::slice::from_ref(&layer));
        let digest = Digest::sha256(&layer).to_string();
        let blob_path = digest.clone();
        let full = AtomicUsize::new(0);
        let registry = Server::start(move |request| {
            if !request.path.ends_with(&digest) {
                return content.answer(request).unwrap();
            }
            match request.header("Range") {
                // The first answer breaks off after 100 000 bytes.
                None if full.fetch_add(1, Ordering::SeqCst) > 0 => Reply::body(200, layer.clone()),
                None => Reply::CutAfter {
                    status: 200,
                    headers: Vec::new(),
                    body: layer.clone(),
                    after: 100_000,
                },
                Some(range) => {
                    let from: usize = range
                        .trim_start_matches("bytes=")
                        .trim_end_matches('-')
                        .parse()
                        .unwrap();
                    // A dishonest server sends another range than asked.
                    let from = if honest { from } else { from - 1 };
                    Reply::body(206, layer[from..].to_vec()).with(
                        "Content-Range",
                        format!("bytes {from}-{}/{}", layer.len() - 1, layer.len()),
                    )
                }
            }
        });
        let (_dir, layout) = new_layout();
        let pulled = pull_v1(&registry, &layout);
        let pulled = pulled.unwrap();
        assert_eq!(pulled.descriptor.digest, manifest.digest);
        let blob_requests: Vec<Option<String>> = registry
            .seen()
            .iter()
            .filter(|r| r.path.ends_with(&blob_path))
            .map(|r| r.header("Range").map(str::to_owned))
            .collect();
        if honest {
            assert_eq!(blob_requests, [None, Some("bytes=100000-".to_owned())]);
        } else {
            // The 206 that does not match is dropped: the blob starts again.
            assert_eq!(
                blob_requests,
                [None, Some("bytes=100000-".to_owned()), None]
            );
        }
    }
}

#[test]
fn wrong_digests_are_refused_and_nothing_is_stored() {
    // A blob whose bytes are not its digest's.
    let mut content = Content::default();
    let layer = random(5000, 4);
    content.image("v1", std::slice::from_ref(&layer));
    let digest = Digest::sha256(&layer).to_string();
    let registry = Server::start(move |request| {
        if request.path.ends_with(&digest) {
            return Reply::body(200, random(5000, 5));
        }
        content.answer(request).unwrap()
    });
    let (_dir, layout) = new_layout();
    let err = pull_v1(&registry, &layout).unwrap_err();
    assert!(matches!(err, Error::DigestMismatch { .. }), "{err}");
    assert!(err.to_string().contains("expected digest sha256:"), "{err}");
    assert!(layout.list_tags().unwrap().is_empty());
    assert!(!layout.has_blob(&Digest::sha256(&layer)));

    // A manifest asked for by digest that is something else.
    let mut content = Content::default();
    let real = content.image("v1", &[random(10, 6)]);
    let (_, bytes) = content.manifests["v1"].clone();
    let mut forged = bytes.clone();
    forged.push(b' ');
    content.manifests.insert(
        real.digest.to_string(),
        ("application/vnd.oci.image.manifest.v1+json".into(), forged),
    );
    let registry = Server::start(move |request| content.answer(request).unwrap());
    let (_dir, layout) = new_layout();
    let by_digest = reference(&registry, "app").with_digest(real.digest.clone());
    let err = client(&registry.address, None)
        .pull(&by_digest, &layout, "v1", &PullOptions::default())
        .unwrap_err();
    assert!(matches!(err, Error::DigestMismatch { .. }), "{err}");
    assert_nothing_stored(&layout);

    // A tag whose Docker-Content-Digest is not the bytes'.
    let mut content = Content::default();
    content.image("v1", &[random(10, 7)]);
    let registry = Server::start(move |request| match content.answer(request).unwrap() {
        Reply::Answer {
            status,
            mut headers,
            body,
        } if request.path.contains("/manifests/") => {
            headers.retain(|(n, _)| n != "Docker-Content-Digest");
            headers.push((
                "Docker-Content-Digest".into(),
                Digest::sha256(b"other").to_string(),
            ));
            Reply::Answer {
                status,
                headers,
                body,
            }
        }
        other => other,
    });
    let (_dir, layout) = new_layout();
    let err = pull_v1(&registry, &layout).unwrap_err();
    assert!(matches!(err, Error::DigestMismatch { .. }), "{err}");
    assert_nothing_stored(&layout);
}

#[test]
fn huge_and_endless_bodies_stop_at_their_limits() {
    // A manifest over the limit, one that never ends, and an endless blob.
    let mut content = Content::default();
    let layer = random(1000, 8);
    content.image("v1", std::slice::from_ref(&layer));
    let digest = Digest::sha256(&layer).to_string();
    let registry = Server::start(move |request| {
        if request.path.ends_with("/manifests/huge") {
            return Reply::body(200, vec![b' '; 5 << 20])
                .with("Content-Type", MediaType::ImageManifest.as_str());
        }
        if request.path.ends_with("/manifests/endless") {
            return Reply::Endless {
                status: 200,
                headers: Vec::new(),
            };
        }
        if request.path.ends_with(&digest) {
            return Reply::Endless {
                status: 200,
                headers: Vec::new(),
            };
        }
        content.answer(request).unwrap()
    });
    let client = client(&registry.address, None);
    let (_dir, layout) = new_layout();
    for tag in ["huge", "endless"] {
        let started = Instant::now();
        let err = client
            .pull(
                &reference(&registry, &format!("app:{tag}")),
                &layout,
                tag,
                &PullOptions::default(),
            )
            .unwrap_err();
        assert!(
            matches!(err, Error::ManifestTooLarge { limit: 4194304, .. }),
            "{err}"
        );
        assert!(
            err.to_string().contains(&format!(
                "manifest {tag} is larger than the limit of 4194304 bytes"
            )),
            "{err}"
        );
        assert!(started.elapsed() < Duration::from_secs(10));
    }
    let err = client
        .pull(
            &reference(&registry, "app:v1"),
            &layout,
            "v1",
            &PullOptions::default(),
        )
        .unwrap_err();
    assert!(matches!(err, Error::DigestMismatch { .. }), "{err}");
    assert!(
        err.to_string().contains("1000 bytes; 1001 received"),
        "{err}"
    );
    assert!(layout.list_tags().unwrap().is_empty());
    assert!(!layout.has_blob(&Digest::sha256(&layer)));
}

#[test]
fn redirect_loops_end() {
    let registry = Server::start(|request| {
        let next = if request.path.ends_with("/a") {
            "/b"
        } else {
            "/a"
        };
        if request.path.contains("/manifests/") {
            return Reply::status(302).with("Location", "/a");
        }
        Reply::status(302).with("Location", next)
    });
    let (_dir, layout) = new_layout();
    let err = pull_v1(&registry, &layout).unwrap_err();
    assert!(matches!(err, Error::Protocol { .. }), "{err}");
    assert!(err.to_string().contains("redirect loop"), "{err}");
    assert!(registry.seen().len() < 20);
}

#[test]
fn schema_1_is_refused_by_its_media_type() {
    let registry = Server::start(|_| {
        Reply::body(
            200,
            r#"{"schemaVersion":1,"name":"app","tag":"v1","fsLayers":[]}"#,
        )
        .with(
            "Content-Type",
            "application/vnd.docker.distribution.manifest.v1+prettyjws",
        )
    });
    let (_dir, layout) = new_layout();
    let err = pull_v1(&registry, &layout).unwrap_err();
    assert!(matches!(err, Error::UnsupportedManifest { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("application/vnd.docker.distribution.manifest.v1+prettyjws"),
        "{err}"
    );
    assert!(err.to_string().contains("schema 1"), "{err}");
    assert_nothing_stored(&layout);
}

#[test]
fn sha512_blobs_are_fetched_and_stored_as_sha512() {
    let layer = random(7000, 9);
    let layer_digest = Digest::sha512(&layer);
    let mut content = Content::default();
    let mut config = ImageConfiguration::for_platform(&"linux/amd64".parse().unwrap());
    config.rootfs.diff_ids.push(layer_digest.clone());
    let config_bytes = config.to_canonical_json();
    let config = Descriptor::new(
        MediaType::ImageConfig,
        Digest::sha512(&config_bytes),
        config_bytes.len() as i64,
    );
    content
        .blobs
        .insert(config.digest.to_string(), config_bytes);
    content
        .blobs
        .insert(layer_digest.to_string(), layer.clone());
    let layers = vec![Descriptor::new(
        MediaType::ImageLayer,
        layer_digest.clone(),
        layer.len() as i64,
    )];
    let manifest = ImageManifest {
        config,
        layers,
        ..Default::default()
    };
    content.manifest("v1", MediaType::ImageManifest, manifest.to_canonical_json());
    let registry = Server::start(move |request| content.answer(request).unwrap());
    let (_dir, layout) = new_layout();
    pull_v1(&registry, &layout).unwrap();
    assert!(
        layout
            .path()
            .join("blobs/sha512")
            .join(layer_digest.encoded())
            .is_file()
    );
    assert!(layout.fsck(&Default::default()).unwrap().is_clean());
}

#[test]
fn the_referrers_api_is_paged_and_filtered_here_when_the_registry_did_not() {
    let subject = Digest::sha256(b"subject");
    let entry = |n: u8, artifact: &str| {
        let mut d = Descriptor::for_bytes(MediaType::ImageManifest, &[n]);
        d.artifact_type = Some(MediaType::from(artifact));
        d
    };
    let page1 = ImageIndex::new(vec![
        entry(1, "application/vnd.example.sbom"),
        entry(2, "application/vnd.example.sig"),
    ]);
    let page2 = ImageIndex::new(vec![entry(3, "application/vnd.example.sbom")]);
    let base = Arc::new(Mutex::new(String::new()));
    let at = base.clone();
    let registry = Server::start(move |request| {
        if request.path.contains("page=2") {
            return Reply::body(200, page2.to_canonical_json())
                .with("Content-Type", MediaType::ImageIndex.as_str());
        }
        if request.path.contains("/referrers/") {
            // The next page by an absolute link.
            let next = format!("{}/v2/app/referrers/x?page=2", at.lock().unwrap());
            return Reply::body(200, page1.to_canonical_json())
                .with("Content-Type", MediaType::ImageIndex.as_str())
                .with("Link", format!("<{next}>; rel=\"next\""));
        }
        Reply::status(404)
    });
    *base.lock().unwrap() = registry.url();
    let client = client(&registry.address, None);
    let subject_ref = reference(&registry, "app").with_digest(subject);
    let all = client.referrers(&subject_ref, None).unwrap();
    assert_eq!(all.manifests.len(), 3);
    assert!(!all.from_fallback_tag);
    let sboms = client
        .referrers(
            &subject_ref,
            Some(&MediaType::from("application/vnd.example.sbom")),
        )
        .unwrap();
    assert_eq!(
        sboms.manifests.len(),
        2,
        "filtered here: no OCI-Filters-Applied"
    );
    let asked = registry
        .seen()
        .iter()
        .filter(|r| {
            r.path
                .contains("artifactType=application%2Fvnd.example.sbom")
        })
        .count();
    assert_eq!(asked, 1, "the registry was asked to filter");
    assert!(matches!(
        client.referrers(&reference(&registry, "app:v1"), None),
        Err(Error::Usage { .. })
    ));
}

#[test]
fn tag_pages_follow_relative_links_and_a_loop_is_refused() {
    let registry = Server::start(|request| {
        let page = |tags: &str| Reply::body(200, format!(r#"{{"name":"app","tags":[{tags}]}}"#));
        if request.path.contains("loop") {
            return page(r#""x""#).with("Link", r#"</v2/loop/tags/list>; rel="next""#);
        }
        if request.path.contains("evil") {
            return page(r#""v1\nlatest","\u001b[31mred""#);
        }
        if request.path.contains("gone") {
            return Reply::body(
                404,
                r#"{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}"#,
            );
        }
        match request.path.split_once("last=") {
            None => {
                page(r#""a","b""#).with("Link", r#"</v2/app/tags/list?n=2&last=b>; rel="next""#)
            }
            Some((_, "b")) => page(r#""c","d""#).with("Link", r#"<list?n=2&last=d>; rel="next""#),
            Some(_) => page(r#""e""#),
        }
    });
    let client = client(&registry.address, None);
    let tags = client.tags(&reference(&registry, "app"), Some(2)).unwrap();
    assert_eq!(tags, ["a", "b", "c", "d", "e"]);
    assert!(registry.seen()[0].path.ends_with("tags/list?n=2"));
    let err = client
        .tags(&reference(&registry, "loop"), None)
        .unwrap_err();
    assert!(err.to_string().contains("a loop"), "{err}");
    // A name that is no tag (a line break, a terminal escape) is refused,
    // and the message shows it escaped.
    let err = client
        .tags(&reference(&registry, "evil"), None)
        .unwrap_err()
        .to_string();
    assert!(err.contains(r#""v1\nlatest""#), "{err}");
    assert!(!err.contains('\n') && !err.contains('\u{1b}'), "{err:?}");
    // A repository the registry does not know: its answer, codes and all.
    let err = client
        .tags(&reference(&registry, "gone"), None)
        .unwrap_err();
    assert_eq!(err.status(), Some(404), "{err}");
    assert!(err.has_code("NAME_UNKNOWN"), "{err}");
}

#[test]
fn chunked_uploads_honour_the_minimum_length_and_recover_from_416() {
    let blob = random(20_000, 10);
    let received = Arc::new(Mutex::new(Vec::<u8>::new()));
    let chunks = Arc::new(Mutex::new(Vec::<String>::new()));
    let refused = AtomicUsize::new(0);
    let (got, ranges) = (received.clone(), chunks.clone());
    let registry = Server::start(move |request| {
        let path = request.path.as_str();
        match request.method.as_str() {
            "HEAD" => Reply::status(404),
            "POST" => Reply::status(202)
                .with("Location", "/upload/0")
                .with("OCI-Chunk-Min-Length", "8192"),
            "PATCH" => {
                let n: usize = path.trim_start_matches("/upload/").parse().unwrap();
                let range = request.header("Content-Range").unwrap().to_owned();
                // The second chunk is refused once: out of step.
                if n == 1 && refused.fetch_add(1, Ordering::SeqCst) == 0 {
                    return Reply::status(416).with("Location", format!("/upload/{n}"));
                }
                ranges.lock().unwrap().push(range);
                let mut got = got.lock().unwrap();
                got.extend_from_slice(&request.body);
                Reply::status(202)
                    .with("Location", format!("/upload/{}", n + 1))
                    .with("Range", format!("0-{}", got.len() - 1))
            }
            "GET" if path.starts_with("/upload/") => {
                let n: usize = path.trim_start_matches("/upload/").parse().unwrap();
                let got = got.lock().unwrap();
                Reply::status(204)
                    .with("Location", format!("/upload/{n}"))
                    .with("Range", format!("0-{}", got.len() - 1))
            }
            "PUT" if path.starts_with("/upload/") => {
                Reply::status(201).with("Location", "/v2/app/blobs/x")
            }
            "PUT" => Reply::status(201),
            _ => Reply::status(404),
        }
    });
    let (_dir, source) = new_layout();
    let layer = source.put_bytes(MediaType::ImageLayer, &blob).unwrap();
    let manifest = ImageManifest {
        config: source.put_bytes(MediaType::EmptyJson, b"{}").unwrap(),
        layers: vec![layer],
        ..Default::default()
    };
    source
        .tag("v1", &source.put_json(&manifest).unwrap())
        .unwrap();
    let options = PushOptions {
        chunk_size: 1024,
        ..Default::default()
    };
    client(&registry.address, None)
        .push(&source, "v1", &reference(&registry, "app:v1"), &options)
        .unwrap();
    let received = received.lock().unwrap();
    assert!(
        received.ends_with(&blob),
        "the layer arrived whole, in order"
    );
    let chunks = chunks.lock().unwrap();
    assert!(chunks.contains(&"8192-16383".to_owned()), "{chunks:?}");
    assert!(chunks.contains(&"16384-19999".to_owned()), "{chunks:?}");
    let puts: Vec<String> = registry
        .seen()
        .iter()
        .filter(|r| r.method == "PUT" && r.path.starts_with("/upload/"))
        .map(|r| r.path.clone())
        .collect();
    assert!(
        puts.iter()
            .any(|p| p.starts_with("/upload/3?digest=sha256%3A")),
        "{puts:?}: the latest Location"
    );
}

#[test]
fn a_failed_upload_cancels_its_session() {
    let registry = Server::start(|request| match request.method.as_str() {
        "HEAD" => Reply::status(404),
        "POST" => Reply::status(202).with("Location", "/upload/session"),
        "PUT" => Reply::body(
            400,
            r#"{"errors":[{"code":"DIGEST_INVALID","message":"provided digest did not match uploaded content"}]}"#,
        ),
        "DELETE" => Reply::status(204),
        _ => Reply::status(404),
    });
    let (_dir, source) = new_layout();
    support::images::image(&source, "v1", &[10], 11);
    let err = client(&registry.address, None)
        .push(
            &source,
            "v1",
            &reference(&registry, "app:v1"),
            &PushOptions::default(),
        )
        .unwrap_err();
    assert!(err.has_code("DIGEST_INVALID"), "{err}");
    assert!(
        registry
            .seen()
            .iter()
            .any(|r| r.method == "DELETE" && r.path == "/upload/session")
    );
}

#[test]
fn a_subject_processed_by_the_registry_needs_no_fallback_tag() {
    let registry = Server::start(|request| match request.method.as_str() {
        "HEAD" => Reply::status(200),
        "PUT" => {
            let manifest = ImageManifest::from_json(&request.body).unwrap();
            let mut reply = Reply::status(201);
            if let Some(subject) = manifest.subject {
                reply = reply.with("OCI-Subject", subject.digest.to_string());
            }
            reply
        }
        _ => Reply::status(404),
    });
    let (_dir, source) = new_layout();
    let subject = support::images::image(&source, "v1", &[10], 12);
    let referrer = ImageManifest {
        artifact_type: Some(MediaType::from("application/vnd.example.sig")),
        config: source.put_bytes(MediaType::EmptyJson, b"{}").unwrap(),
        subject: Some(subject),
        ..Default::default()
    };
    source
        .tag("sig", &source.put_json(&referrer).unwrap())
        .unwrap();
    let pushed = client(&registry.address, None)
        .push(
            &source,
            "sig",
            &reference(&registry, "app:sig"),
            &PushOptions::default(),
        )
        .unwrap();
    assert!(pushed.referrers_tags.is_empty());
    assert!(
        !registry
            .seen()
            .iter()
            .any(|r| r.path.contains("/manifests/sha256-"))
    );
}

#[test]
fn layers_with_urls_come_from_there_only_when_allowed_and_without_credentials() {
    let foreign = random(3000, 13);
    let storage = {
        let foreign = foreign.clone();
        Server::start_on("127.0.0.2", move |_| Reply::body(200, foreign.clone()))
    };
    let mut layer = Descriptor::for_bytes(MediaType::ImageLayerNonDistributable, &foreign);
    layer.urls = vec![format!(
        "http://127.0.0.2:{}/layer",
        storage.address.rsplit(':').next().unwrap()
    )];
    let mut content = Content::default();
    let mut config = ImageConfiguration::for_platform(&"linux/amd64".parse().unwrap());
    config.rootfs.diff_ids.push(layer.digest.clone());
    let config_bytes = config.to_canonical_json();
    let config = Descriptor::for_bytes(MediaType::ImageConfig, &config_bytes);
    content
        .blobs
        .insert(config.digest.to_string(), config_bytes);
    let manifest = ImageManifest {
        config,
        layers: vec![layer.clone()],
        ..Default::default()
    };
    content.manifest("v1", MediaType::ImageManifest, manifest.to_canonical_json());
    let registry = Server::start(move |request| {
        if request.header("Authorization").is_none() {
            return Reply::status(401).with("WWW-Authenticate", r#"Basic realm="test""#);
        }
        content.answer(request).unwrap()
    });
    let credentials = Credentials {
        username: "user".into(),
        password: "secret".into(),
    };
    let client = client(&registry.address, Some(credentials));
    let app = reference(&registry, "app:v1");

    // Not allowed: the registry is asked (it has not got it), the URL is not.
    let (_dir, layout) = new_layout();
    let err = client
        .pull(&app, &layout, "v1", &PullOptions::default())
        .unwrap_err();
    assert!(matches!(err, Error::ForeignLayer { .. }), "{err}");
    assert!(err.to_string().contains("is not allowed"), "{err}");
    assert!(storage.seen().is_empty());
    assert!(layout.list_tags().unwrap().is_empty());

    // Allowed: fetched from the URL, with no credentials.
    let (_dir, layout) = new_layout();
    let options = PullOptions {
        fetch_urls: true,
        ..Default::default()
    };
    client.pull(&app, &layout, "v1", &options).unwrap();
    assert!(layout.has_blob(&layer.digest));
    assert!(layout.fsck(&Default::default()).unwrap().is_clean());
    let at_storage = storage.seen();
    assert_eq!(at_storage.len(), 1);
    assert_eq!(at_storage[0].header("Authorization"), None);
}

#[test]
fn a_body_that_stalls_times_out_by_its_phase() {
    let registry = Server::start(|request| {
        if request.path.ends_with("/manifests/slow-body") {
            return Reply::Stall {
                status: 200,
                headers: vec![(
                    "Content-Type".into(),
                    MediaType::ImageManifest.as_str().into(),
                )],
                body: vec![b' '; 1000],
                after: 10,
                pause: Duration::from_secs(20),
            };
        }
        Reply::status(404)
    });
    let options = ClientOptions {
        timeouts: ocikit_remote::Timeouts {
            idle: Duration::from_millis(500),
            ..Default::default()
        },
        ..ClientOptions::default()
    }
    .with_registry(
        &registry.address,
        RegistryOptions {
            tls_verify: false,
            ..Default::default()
        },
    );
    let client = Client::new(options);
    let started = Instant::now();
    let err = client
        .fetch_manifest(&reference(&registry, "app:slow-body"))
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err}");
    assert!(err.to_string().contains("timed out"), "{err}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn progress_names_each_blob_with_its_bytes() {
    use ocikit_layout::progress::{Progress, Status};
    let mut content = Content::default();
    let layers = [random(600_000, 14), random(10, 15)];
    content.image("v1", &layers);
    let registry = Server::start(move |request| content.answer(request).unwrap());
    let seen = Arc::new(Mutex::new(Vec::<(String, u64, Option<u64>)>::new()));
    let log = seen.clone();
    let progress = Progress::new(move |status: &Status<'_>| {
        log.lock()
            .unwrap()
            .push((status.task.to_owned(), status.bytes, status.total_bytes))
    });
    let options = PullOptions {
        progress,
        ..Default::default()
    };
    let client = client(&registry.address, None);
    let (_dir, layout) = new_layout();
    client
        .pull(&reference(&registry, "app:v1"), &layout, "v1", &options)
        .unwrap();
    let big = format!("download {}", Digest::sha256(&layers[0]));
    let reports: Vec<_> = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|(t, ..)| *t == big)
        .cloned()
        .collect();
    assert!(reports.len() >= 2, "{reports:?}");
    assert_eq!(reports.last().unwrap().1, 600_000);
    assert_eq!(reports.last().unwrap().2, Some(600_000));
    seen.lock().unwrap().clear();
    client
        .pull(&reference(&registry, "app:v1"), &layout, "again", &options)
        .unwrap();
    let tasks: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|(t, ..)| t.clone())
        .collect();
    assert_eq!(tasks.len(), 3, "{tasks:?}");
    assert!(
        tasks.iter().all(|t| t.starts_with("exists sha256:")),
        "{tasks:?}"
    );
}

#[test]
fn clients_and_their_results_move_between_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Client>();
    send_sync::<Error>();
    send_sync::<ocikit_remote::Pulled>();
    send_sync::<ocikit_remote::Pushed>();
}

#[test]
fn a_registry_not_marked_insecure_is_never_spoken_to_over_http() {
    let registry = Server::start(|_| Reply::status(200));
    let credentials = Credentials {
        username: "user".into(),
        password: "secret".into(),
    };
    let options = ClientOptions::default().with_registry(
        &registry.address,
        RegistryOptions {
            credentials: Some(credentials),
            ..Default::default()
        },
    );
    let (_dir, layout) = new_layout();
    let err = Client::new(options)
        .pull(
            &reference(&registry, "app:v1"),
            &layout,
            "v1",
            &PullOptions::default(),
        )
        .unwrap_err();
    assert!(matches!(err, Error::Transport { .. }), "{err}");
    assert!(err.to_string().contains("https://"), "{err}");
    // Only TLS handshakes arrived: no plain-http request, no credentials.
    assert!(registry.seen().is_empty(), "{:?}", registry.seen());
    assert_nothing_stored(&layout);
}

#[test]
fn a_manifest_that_breaks_off_is_fetched_again() {
    let mut content = Content::default();
    let manifest = content.image("v1", &[random(100, 16)]);
    let cut = AtomicUsize::new(0);
    let registry = Server::start(move |request| match content.answer(request).unwrap() {
        Reply::Answer {
            status,
            headers,
            body,
        } if request.path.contains("/manifests/") && cut.fetch_add(1, Ordering::SeqCst) == 0 => {
            Reply::CutAfter {
                status,
                headers,
                after: body.len() / 2,
                body,
            }
        }
        other => other,
    });
    let (_dir, layout) = new_layout();
    let pulled = pull_v1(&registry, &layout).unwrap();
    assert_eq!(pulled.descriptor.digest, manifest.digest);
    let fetches = registry
        .seen()
        .iter()
        .filter(|r| r.path.contains("/manifests/"))
        .count();
    assert_eq!(fetches, 2);
}

#[test]
fn a_blob_read_into_memory_is_verified_and_bounded() {
    let mut content = Content::default();
    let good = random(300, 9);
    let other = random(300, 10);
    let long = random(301, 11);
    let descriptor = |bytes: &[u8]| Descriptor::for_bytes(MediaType::ImageConfig, bytes);
    let (good_d, other_d, long_d) = (descriptor(&good), descriptor(&other), descriptor(&long));
    content
        .blobs
        .insert(good_d.digest.to_string(), good.clone());
    // The wrong bytes under one digest, a body longer than its size under
    // another, an endless body under a third.
    content
        .blobs
        .insert(other_d.digest.to_string(), random(300, 12));
    let mut short_d = long_d.clone();
    short_d.size = 300;
    content.blobs.insert(long_d.digest.to_string(), long);
    let endless = Descriptor::for_bytes(MediaType::ImageConfig, b"endless");
    let endless_path = endless.digest.to_string();
    let registry = Server::start(move |request| {
        if request.path.ends_with(&endless_path) {
            return Reply::Endless {
                status: 200,
                headers: Vec::new(),
            };
        }
        content.answer(request).unwrap()
    });
    let client = client(&registry.address, None);
    let app = reference(&registry, "app:v1");
    assert_eq!(client.fetch_blob(&app, &good_d, 300).unwrap(), good);
    for wrong in [&other_d, &short_d, &endless] {
        let err = client.fetch_blob(&app, wrong, 1 << 20).unwrap_err();
        assert!(matches!(err, Error::DigestMismatch { .. }), "{err}");
        assert!(
            err.to_string()
                .contains(&format!("blob {} ({} bytes; ", wrong.digest, wrong.size)),
            "{err}"
        );
    }
    // Over the limit: refused before anything is asked.
    let asked = registry.seen().len();
    let err = client.fetch_blob(&app, &good_d, 299).unwrap_err();
    assert!(matches!(err, Error::Usage { .. }), "{err}");
    assert!(
        err.to_string().contains("has 300 bytes, more than the 299"),
        "{err}"
    );
    assert_eq!(registry.seen().len(), asked);
}
