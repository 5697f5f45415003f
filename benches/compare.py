#!/usr/bin/env python3
"""Times our `oci` against the tools people use for the same jobs, on the same
data, on this machine: umoci (unpack, repack, gc), skopeo (copy, export,
import, and pull from and push to a registry), GNU tar with gzip, pigz and
zstd (the floor of unpack and build), openssl (hashing), and the published
`oci-image` 0.1 crate's unpack (its `unpack_bench` example, built from the
registry package).

    python3 benches/compare.py [--runs N] [--data auto|debian|synthetic]
                               [--only NAME,...] [--markdown FILE] [--models]

The data is made here and cached (`$OCI_BENCH_CACHE`, default
~/.cache/oci-toolkit-bench): a Debian bookworm minbase root filesystem from
debootstrap when the Debian mirror is reachable and we are root, else a
seeded synthetic tree of the same shape. umoci builds the images from it, so
the input is not ours: one layer (gzip), five layers with whiteouts, and the
single layer recompressed as zstd and as a plain tar; and, for transfers of a
blob far larger than the memory bound, an image whose one uncompressed layer
is a tar of 1 GiB.

The registry jobs run against Debian's docker-registry (distribution),
started here twice on 127.0.0.1 and free ports, anonymous, plain http, with
its storage on the tmpfs: a source, to which skopeo pushes the images once
(pulls and `oci unpack docker://...` read from it), and a sink that pushes
go to, emptied before each run so that every blob is uploaded whole.

Every command runs on a tmpfs (/dev/shm), caches warm (one untimed warm-up
round), and the commands of one job run alternately, one round after another,
with an untimed `prepare` before each run that removes the previous output.
The table gives the median wall time of each command, its ratio to ours (for
peers: ours / theirs, lower is better for us) and its peak resident set size
(the largest process of the command, from wait4).

Needs: cargo, umoci, skopeo, docker-registry, tar, gzip, pigz, zstd, openssl, GNU time,
python3 >= 3.9;
debootstrap for the Debian data (`bash .ci/install-peers.sh --bench` installs
them all). With --models it also runs the criterion comparison with oci-spec
(`cargo bench --bench models`) and adds its medians.
"""

import argparse
import hashlib
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("OCI_BENCH_CACHE", Path.home() / ".cache/oci-toolkit-bench"))
PUBLISHED = "oci-image"
PUBLISHED_VERSION = "0.1.0"
TOOLS = ["cargo", "umoci", "skopeo", "docker-registry", "tar", "gzip", "pigz", "zstd", "openssl", "/usr/bin/time"]

MANIFEST = "application/vnd.oci.image.manifest.v1+json"
GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd"
TAR = "application/vnd.oci.image.layer.v1.tar"


def log(*args):
    print("compare:", *args, file=sys.stderr, flush=True)


def sh(cmd, **kw):
    """Runs a shell command, failing loudly."""
    return subprocess.run(["bash", "-euo", "pipefail", "-c", cmd], check=True, **kw)


# ---------------------------------------------------------------- the tools


def build_ours():
    log("building our `oci` (release)")
    subprocess.run(["cargo", "build", "--release", "--quiet", "--bin", "oci"], cwd=REPO, check=True)
    meta = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps"],
        cwd=REPO, check=True, capture_output=True, text=True,
    )
    return Path(json.loads(meta.stdout)["target_directory"]) / "release/oci"


def has_command(oci, command):
    """Whether our `oci` has `command` (the registry commands came later)."""
    return subprocess.run([str(oci), command, "--help"], capture_output=True).returncode == 0


def build_published():
    """The registry package of the published crate, built with its own lock
    file; returns its `unpack_bench` example."""
    source = CACHE / f"{PUBLISHED}-{PUBLISHED_VERSION}"
    binary = CACHE / "target-published/release/examples/unpack_bench"
    if binary.exists():
        return binary
    if not source.exists():
        log(f"fetching the published {PUBLISHED} {PUBLISHED_VERSION} from the registry")
        fetch = CACHE / "fetch"
        (fetch / "src").mkdir(parents=True, exist_ok=True)
        (fetch / "src/lib.rs").write_text("")
        (fetch / "Cargo.toml").write_text(
            '[package]\nname = "fetch-published"\nversion = "0.0.0"\nedition = "2021"\n'
            f'[dependencies]\n{PUBLISHED} = "={PUBLISHED_VERSION}"\n[workspace]\n'
        )
        meta = subprocess.run(
            ["cargo", "metadata", "--format-version", "1"],
            cwd=fetch, check=True, capture_output=True, text=True,
        )
        package = next(
            p for p in json.loads(meta.stdout)["packages"]
            if p["name"] == PUBLISHED and p["version"] == PUBLISHED_VERSION
        )
        shutil.copytree(Path(package["manifest_path"]).parent, source)
    log(f"building {PUBLISHED} {PUBLISHED_VERSION}'s unpack_bench example (release)")
    env = dict(os.environ, CARGO_TARGET_DIR=str(CACHE / "target-published"))
    subprocess.run(
        ["cargo", "build", "--release", "--quiet", "--example", "unpack_bench", "--locked"],
        cwd=source, env=env, check=True,
    )
    return binary


# ----------------------------------------------------------------- the data


def debian_rootfs(tarball):
    """debootstrap --variant=minbase bookworm, packed as a tar."""
    if os.geteuid() != 0 or not shutil.which("debootstrap"):
        return False
    scratch = Path(tempfile.mkdtemp(prefix="oci-bench-debootstrap.", dir="/dev/shm"))
    try:
        log("debootstrap --variant=minbase bookworm (about a minute)")
        run = subprocess.run(
            ["debootstrap", "--variant=minbase", "bookworm", str(scratch / "root"),
             "http://deb.debian.org/debian"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        if run.returncode != 0:
            log("debootstrap failed, using the synthetic tree:", run.stderr.strip()[-300:])
            return False
        sh(f"tar --sort=name --numeric-owner -C {scratch}/root -cf {tarball}.part . && mv {tarball}.part {tarball}")
        return True
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def synthetic_tree(root, seed=7):
    """A tree shaped like a distribution's root filesystem: about 15,000
    files in 1,500 directories, most small, a few up to 5 MB, half of the
    bytes compressible text, with symlinks and hardlinks."""
    rng = random.Random(seed)
    words = [b"usr", b"lib", b"share", b"config", b"value", b"error", b"return", b"static",
             b"\n", b"    ", b"{", b"}", b"();", b"int ", b"char *", b"#include "]
    dirs = [root]
    for i in range(1500):
        parent = rng.choice(dirs)
        path = parent / f"d{i:04d}"
        path.mkdir()
        dirs.append(path)
    files = []
    for i in range(15000):
        size = int(min(5 << 20, rng.lognormvariate(8.1, 2.0)))
        half = size // 2
        text = b"".join(rng.choice(words) for _ in range(half // 4 + 1))[: size - half]
        path = rng.choice(dirs) / f"f{i:05d}"
        path.write_bytes(rng.randbytes(half) + text)
        path.chmod(rng.choice([0o644, 0o644, 0o755, 0o600]))
        files.append(path)
    for i in range(600):
        target = rng.choice(files)
        link = rng.choice(dirs) / f"l{i:04d}"
        if i % 3 == 0:
            os.link(target, link)
        else:
            link.symlink_to(os.path.relpath(target, link.parent))
    for path in files + dirs[1:]:
        os.utime(path, (1_700_000_000, 1_700_000_000), follow_symlinks=False)


def rootfs_tarball(kind):
    CACHE.mkdir(parents=True, exist_ok=True)
    for source in (["debian", "synthetic"] if kind == "auto" else [kind]):
        tarball = CACHE / f"rootfs-{source}.tar"
        if tarball.exists():
            return source, tarball
        if source == "debian" and debian_rootfs(tarball):
            return source, tarball
        if source == "synthetic":
            log("making the seeded synthetic tree")
            scratch = Path(tempfile.mkdtemp(prefix="oci-bench-synthetic.", dir="/dev/shm"))
            try:
                synthetic_tree(scratch)
                sh(f"tar --sort=name --numeric-owner -C {scratch} -cf {tarball}.part . && mv {tarball}.part {tarball}")
            finally:
                shutil.rmtree(scratch, ignore_errors=True)
            return source, tarball
    sys.exit(f"compare: no {kind} root filesystem (debootstrap needs root and the Debian mirror)")


def read_json(path):
    return json.loads(Path(path).read_text())


def blob_path(layout, digest):
    algorithm, hex_ = digest.split(":")
    return Path(layout) / "blobs" / algorithm / hex_


def manifest_of(layout, tag):
    for m in read_json(Path(layout) / "index.json")["manifests"]:
        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag:
            return m, read_json(blob_path(layout, m["digest"]))
    raise KeyError(f"{layout}:{tag}")


def put_blob(layout, data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    path = blob_path(layout, digest)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return digest


def umoci_image(work, layout, tag, steps):
    """An image made by umoci: each step changes the bundle's rootfs and
    becomes one layer (umoci writes the whiteouts)."""
    sh(f"umoci init --layout {layout} && umoci new --image {layout}:empty "
       f"&& umoci unpack --image {layout}:empty {work}/bundle >/dev/null")
    for step in steps:
        sh(step.format(root=f"{work}/bundle/rootfs"))
        sh(f"umoci repack --refresh-bundle --image {layout}:{tag} {work}/bundle >/dev/null")
    sh(f"umoci rm --image {layout}:empty && umoci gc --layout {layout} && rm -rf {work}/bundle")


def recompressed(src, dst, tag, media_type, compress):
    """`src`'s single-layer image with its layer as `media_type`: same config
    and DiffID, the layer recompressed by the `compress` shell filter."""
    descriptor, manifest = manifest_of(src, tag)
    dst = Path(dst)
    (dst / "blobs/sha256").mkdir(parents=True)
    shutil.copy(Path(src) / "oci-layout", dst / "oci-layout")
    config = blob_path(src, manifest["config"]["digest"]).read_bytes()
    put_blob(dst, config)
    layer = blob_path(src, manifest["layers"][0]["digest"])
    data = subprocess.run(
        ["bash", "-c", f"gzip -dc {layer} | {compress}"], check=True, capture_output=True
    ).stdout
    manifest["layers"] = [{"mediaType": media_type, "digest": put_blob(dst, data), "size": len(data)}]
    body = json.dumps(manifest, separators=(",", ":")).encode()
    index = {
        "schemaVersion": 2,
        "manifests": [dict(descriptor, digest=put_blob(dst, body), size=len(body))],
    }
    (dst / "index.json").write_text(json.dumps(index))
    return dst / "layer"


def make_data(work, tarball):
    work = Path(work)
    tree = work / "tree"
    tree.mkdir()
    sh(f"tar --numeric-owner -xpf {tarball} -C {tree}")
    copy = f"rm -rf {{root}} && cp -a {tree} {{root}}"
    log("umoci: the single-layer image (one:one)")
    umoci_image(work, work / "one", "one", [copy])
    log("umoci: the five-layer image (five:five)")
    umoci_image(work, work / "five", "five", [
        # 1: everything but /usr/share; 2: /usr/share.
        copy + " && rm -rf {root}/usr/share",
        f"cp -a {tree}/usr/share {{root}}/usr/share",
        # 3: documentation deleted (whiteouts), some files rewritten.
        "rm -rf {root}/usr/share/doc {root}/usr/share/man {root}/usr/share/d0*"
        " && find {root}/etc -maxdepth 1 -type f -exec sh -c 'echo changed >> \"$1\"' _ {{}} \\;",
        # 4: a directory replaced by a smaller one (its files whited out).
        "for d in {root}/var/lib/dpkg/info {root}/d0000 {root}/usr/lib/x86_64-linux-gnu/perl-base;"
        " do [ -d $d ] || continue; rm -rf $d.new && mkdir $d.new && ls $d | sed -n 1,50p |"
        " while read f; do cp -a $d/$f $d.new/; done; rm -rf $d && mv $d.new $d; done",
        # 5: an application: 2,000 small files.
        "mkdir -p {root}/app && python3 -c 'import random,sys\n"
        "r=random.Random(5)\n"
        "for i in range(2000): open(sys.argv[1]+\"/f%d\"%i,\"wb\").write(r.randbytes(r.randint(100,20000)))'"
        " {root}/app",
    ])
    layer = blob_path(work / "one", manifest_of(work / "one", "one")[1]["layers"][0]["digest"])
    log("the single layer as zstd and as a plain tar (zst:one, tar:one)")
    recompressed(work / "one", work / "zst", "one", ZSTD, "zstd -q -3 -T0")
    recompressed(work / "one", work / "tar", "one", TAR, "cat")
    sh(f"gzip -dc {layer} > {work}/layer.tar && zstd -q -3 -T0 {work}/layer.tar -o {work}/layer.tar.zst"
       f" && cp {layer} {work}/layer.tar.gz")
    # A layout with garbage for gc: the five-layer image and, untagged, the
    # single-layer one (its 100 MB layer and documents are unreachable).
    sh(f"cp -a {work}/five {work}/gc-template && cp -n {work}/one/blobs/sha256/* {work}/gc-template/blobs/sha256/")
    # 1 GiB for hashing: random MiBs (hash speed does not depend on content).
    rng = random.Random(1)
    with open(work / "big", "wb") as f:
        block = rng.randbytes(1 << 20)
        for i in range(1024):
            f.write(block[i:] + block[:i])
    log("the 1 GiB layer image (huge:huge)")
    huge = huge_image(work)
    stats = subprocess.run(
        ["bash", "-c", f"find {tree} | wc -l; du -sb {tree} | cut -f1"], capture_output=True, text=True, check=True
    ).stdout.split()
    return {
        "entries": int(stats[0]),
        "bytes": int(stats[1]),
        "gzip_layer": layer.stat().st_size,
        "tar_layer": (work / "layer.tar").stat().st_size,
        "five_layers": [l["size"] for l in manifest_of(work / "five", "five")[1]["layers"]],
        "huge_layer": huge,
    }


def huge_image(work):
    """`huge:huge`: the single-layer image's config with one uncompressed
    layer, a tar of the 1 GiB file `big`; returns the layer's size."""
    layout = work / "huge"
    (layout / "blobs/sha256").mkdir(parents=True)
    shutil.copy(work / "one/oci-layout", layout / "oci-layout")
    layer = work / "huge.tar"
    sh(f"tar --numeric-owner --owner=0 --group=0 --mtime=@0 -C {work} -cf {layer} big")
    sha = hashlib.sha256()
    with open(layer, "rb") as f:
        while block := f.read(1 << 20):
            sha.update(block)
    digest, size = "sha256:" + sha.hexdigest(), layer.stat().st_size
    layer.rename(blob_path(layout, digest))
    descriptor, manifest = manifest_of(work / "one", "one")
    config = read_json(blob_path(work / "one", manifest["config"]["digest"]))
    config["rootfs"]["diff_ids"] = [digest]
    config.pop("history", None)
    config = json.dumps(config, separators=(",", ":")).encode()
    manifest["config"] = dict(manifest["config"], digest=put_blob(layout, config), size=len(config))
    manifest["layers"] = [{"mediaType": TAR, "digest": digest, "size": size}]
    body = json.dumps(manifest, separators=(",", ":")).encode()
    entry = {"mediaType": MANIFEST, "digest": put_blob(layout, body), "size": len(body),
             "annotations": {"org.opencontainers.image.ref.name": "huge"}}
    (layout / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [entry]}))
    return size


# ------------------------------------------------------------ the registries


class Registry:
    """Debian's docker-registry on 127.0.0.1 and a free port: anonymous,
    plain http, deletes enabled, its storage in `root` (on the tmpfs)."""

    def __init__(self, root):
        self.root = Path(root)
        self.storage = self.root / "storage"
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.address = f"127.0.0.1:{probe.getsockname()[1]}"
        self.process = None

    def start(self):
        self.root.mkdir(parents=True, exist_ok=True)
        config = self.root / "config.yml"
        config.write_text(
            "version: 0.1\nlog: {level: error}\n"
            f"storage: {{filesystem: {{rootdirectory: {self.storage}}}, delete: {{enabled: true}}}}\n"
            f"http: {{addr: {self.address}}}\n"
        )
        with open(self.root / "log", "w") as log_file:
            self.process = subprocess.Popen(["docker-registry", "serve", str(config)],
                                            stdout=subprocess.DEVNULL, stderr=log_file)
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(self.address.split(":"), timeout=1).close()
                return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    sys.exit(f"compare: docker-registry did not start: {(self.root / 'log').read_text()[-500:]}")
                time.sleep(0.05)

    def stop(self):
        if self.process:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def ref(self, name):
        return f"docker://{self.address}/{name}"


# ----------------------------------------------------------------- the runs


def run_once(command, cwd):
    """Wall seconds and peak RSS (KiB, of the largest process) of one
    command. GNU time reports the RSS: a child of this Python process
    would inherit its high-water mark."""
    with tempfile.NamedTemporaryFile(mode="r", prefix="oci-compare-rss.") as rss:
        start = time.perf_counter()
        run = subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", rss.name, "bash", "-c", command],
            cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )
        wall = time.perf_counter() - start
        if run.returncode != 0:
            sys.exit(f"compare: `{command}` failed ({run.returncode}): {run.stderr.strip()[-500:]}")
        return wall, int(rss.read().split()[-1])


def job(name, prepare, commands, runs, cwd):
    """Runs `commands` ({label: command}, ours first) alternately, `runs`
    timed rounds after one warm-up round."""
    times = {label: [] for label in commands}
    rss = {label: 0 for label in commands}
    for round_ in range(runs + 1):
        for label, command in commands.items():
            if prepare:
                sh(prepare, cwd=cwd)
            wall, peak = run_once(command, cwd)
            if round_ > 0:
                times[label].append(wall)
                rss[label] = max(rss[label], peak)
    medians = {label: statistics.median(t) for label, t in times.items()}
    ours = next(iter(medians.values()))
    rows = []
    for label, median in medians.items():
        rows.append({
            "job": name, "command": label, "median_s": median, "runs": times[label],
            "ratio": ours / median, "rss_kib": rss[label],
        })
    for row in rows:
        print(f"  {name:<22} {row['command']:<46} {row['median_s']:8.3f} s"
              f"  ours/this {row['ratio']:5.2f}  {row['rss_kib'] / 1024:7.1f} MiB", flush=True)
    return rows


def jobs(oci, published, five_layers):
    """(name, prepare, {label: command}): ours first in each."""
    unpack = "rm -rf out && mkdir out"
    one_file = "echo one more line >> {b}/rootfs/etc/hostname"
    large = "cp -a {b}/rootfs/usr/lib {b}/rootfs/usr/lib.copy && rm -rf {b}/rootfs/usr/share/doc"
    # Each tool unpacks its own bundle before each run (untimed): a copied
    # bundle has new inodes and ctimes, which our repack rightly takes for
    # changes to every file.
    repack_prepare = (
        f"rm -rf rl ob ub && cp -a one rl && {oci} unpack rl:one ob --quiet "
        "&& umoci unpack --image rl:one ub >/dev/null && "
    )
    untar5 = " && ".join(f"tar -xzf five-layer{i}.gz -C out" for i in range(five_layers))
    return [
        ("unpack gzip, 1 layer", unpack, {
            "oci unpack": f"{oci} unpack one:one out/b --quiet",
            "umoci unpack": "umoci unpack --image one:one out/b",
            f"{PUBLISHED} {PUBLISHED_VERSION} unpack_bench": f"{published} oci one out/rootfs",
            "tar -xzf": "tar -xzf layer.tar.gz -C out",
        }),
        ("unpack gzip, 5 layers", unpack, {
            "oci unpack": f"{oci} unpack five:five out/b --quiet",
            "umoci unpack": "umoci unpack --image five:five out/b",
            f"{PUBLISHED} {PUBLISHED_VERSION} unpack_bench": f"{published} oci five out/rootfs",
            "tar -xzf x5 (no whiteouts)": untar5,
        }),
        ("unpack zstd, 1 layer", unpack, {
            "oci unpack": f"{oci} unpack zst:one out/b --quiet",
            "tar -I zstd -xf": "tar -I zstd -xf layer.tar.zst -C out",
        }),
        ("unpack tar, 1 layer", unpack, {
            "oci unpack": f"{oci} unpack tar:one out/b --quiet",
            "tar -xf": "tar -xf layer.tar -C out",
        }),
        ("repack, one file changed", repack_prepare + one_file.format(b="ob") + " && " + one_file.format(b="ub"), {
            "oci repack": f"{oci} repack ob rl:new --quiet",
            "umoci repack": "umoci repack --image rl:new ub",
        }),
        ("repack, large change", repack_prepare + large.format(b="ob") + " && " + large.format(b="ub"), {
            "oci repack": f"{oci} repack ob rl:new --quiet",
            "umoci repack": "umoci repack --image rl:new ub",
        }),
        ("build gzip layer", f"rm -rf bl out.gz && {oci} init bl", {
            "oci build": f"{oci} build tree bl:t --quiet",
            "tar -c | pigz -6": "tar -cf - -C tree . | pigz -6 > out.gz",
        }),
        ("build zstd layer", f"rm -rf bl out.zst && {oci} init bl", {
            "oci build --compression zstd": f"{oci} build tree bl:t --compression zstd --quiet",
            "tar -c | zstd -T0 -3": "tar -cf - -C tree . | zstd -q -T0 -3 > out.zst",
        }),
        ("gc", "rm -rf g && cp -a gc-template g", {
            "oci gc": f"{oci} gc g --grace 0",
            "umoci gc": "umoci gc --layout g",
        }),
        ("copy between layouts", "rm -rf dst", {
            "oci copy": f"{oci} copy one:one dst:one --quiet",
            "skopeo copy oci: oci:": "skopeo copy -q oci:one:one oci:dst:one",
        }),
        ("export docker-archive", "rm -f out.tar", {
            "oci export --format docker-archive": f"{oci} export one:one out.tar --format docker-archive --repo-tag bench:one --quiet",
            "skopeo copy docker-archive:": "skopeo copy -q oci:one:one docker-archive:out.tar:bench:one",
        }),
        ("export oci-archive", "rm -f out.tar", {
            "oci export": f"{oci} export one:one out.tar --quiet",
            "skopeo copy oci-archive:": "skopeo copy -q oci:one:one oci-archive:out.tar:one",
        }),
        ("import oci-archive", "rm -rf dst && rm -f in.tar && " + f"{oci} export one:one in.tar --quiet", {
            "oci import": f"{oci} import in.tar dst:one --quiet",
            "skopeo copy oci-archive: oci:": "skopeo copy -q oci-archive:in.tar oci:dst:one",
        }),
        ("sha256 of 1 GiB", None, {
            "oci digest": f"{oci} digest big",
            "openssl sha256": "openssl sha256 big",
            "sha256sum": "sha256sum big",
        }),
    ] + runtime_jobs(oci)


def runtime_jobs(oci):
    """`oci run` of a busybox-static image, cold (the run unpacks its own
    bundle, and --rm removes it), against the same work done by hand: our
    `oci unpack`, then `runc run` of the unpacked bundle. Issue 17's target:
    ours / this at most 1.5. The image is made once by our `oci build` and
    `oci config`, in the untimed prepare. Needs root, runc and busybox
    (Debian's busybox-static); without them the job is left out."""
    busybox = shutil.which("busybox")
    if os.geteuid() != 0 or not shutil.which("runc") or not busybox:
        log("`oci run` needs root, runc and busybox: the run job is left out")
        return []
    image = (
        f"test -d bb || (mkdir -p bbtree/bin && cp {busybox} bbtree/bin/busybox "
        f"&& ln -s busybox bbtree/bin/true && {oci} init bb "
        f"&& {oci} build bbtree bb:bb --quiet && {oci} config bb:bb --env PATH=/bin --cmd true) >/dev/null"
    )
    prepare = f"{image} && (runc delete --force oci-bench-runc 2>/dev/null || true) && rm -rf rb"
    return [("run busybox `true`, cold", prepare, {
        "oci run --rm": f"{oci} run --rm --name oci-bench-run bb:bb -- true",
        "oci unpack && runc run": f"{oci} unpack bb:bb rb --quiet && runc run --bundle rb oci-bench-runc",
    })]


def registry_jobs(oci, source, sink):
    """The transfers between a layout and a registry, ours first in each.
    Pulls and unpacks read from `source`; pushes go to `sink`, emptied
    before each run (a fresh registry: every blob is uploaded, and skopeo's
    blob-info cache finds nothing there to mount from)."""
    pull = "rm -rf dst"
    push = f"rm -rf {sink.storage}"
    unpack = "rm -rf out u && mkdir out"
    theirs = "skopeo copy -q --src-tls-verify=false"
    rows = []
    for image, what in [("one:one", "1 layer"), ("five:five", "5 layers"), ("huge:huge", "1 GiB layer")]:
        rows.append((f"pull, {what}", pull, {
            "oci pull": f"{oci} pull {source.ref(image)} dst:x --tls-verify=false --quiet",
            "skopeo copy docker: oci:": f"{theirs} {source.ref(image)} oci:dst:x",
        }))
    for image, what in [("one:one", "1 layer"), ("five:five", "5 layers"), ("huge:huge", "1 GiB layer")]:
        rows.append((f"push, {what}", push, {
            "oci push": f"{oci} push {image} {sink.ref('push:x')} --tls-verify=false --quiet",
            "skopeo copy oci: docker:": f"skopeo copy -q --dest-tls-verify=false oci:{image} {sink.ref('push:x')}",
        }))
    for image, what in [("one:one", "1 layer"), ("five:five", "5 layers")]:
        rows.append((f"unpack from registry, {what}", unpack, {
            "oci unpack docker:": f"{oci} unpack {source.ref(image)} out/b --tls-verify=false --quiet",
            "skopeo copy + umoci unpack": f"{theirs} {source.ref(image)} oci:u:x && umoci unpack --image u:x out/b",
        }))
    return rows


def criterion_models():
    """Runs the criterion comparison with oci-spec; returns its medians."""
    log("cargo bench --bench models (criterion)")
    subprocess.run(["cargo", "bench", "--quiet", "--bench", "models"], cwd=REPO, check=True,
                   stdout=subprocess.DEVNULL)
    meta = subprocess.run(["cargo", "metadata", "--format-version", "1", "--no-deps"],
                          cwd=REPO, check=True, capture_output=True, text=True)
    base = Path(json.loads(meta.stdout)["target_directory"]) / "criterion"
    rows = []
    for estimates in sorted(base.glob("models*/**/new/estimates.json")):
        bench = read_json(estimates.parent / "benchmark.json")
        rows.append({"id": bench["full_id"], "median_ns": read_json(estimates)["median"]["point_estimate"]})
    return rows


def machine():
    """The CPU model and the peers' versions, for the table's heading."""
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    versions = []
    for command in ["umoci --version", "skopeo --version", "docker-registry --version", "tar --version",
                    "pigz --version", "zstd --version", "openssl version"]:
        run = subprocess.run(["bash", "-c", command], capture_output=True, text=True)
        versions.append((run.stdout or run.stderr).splitlines()[0].strip() if run.returncode == 0 else command + ": ?")
    return model, versions


def markdown(rows, data, models, args, started):
    model, versions = machine()
    lines = [
        f"Measured {started} on `{os.uname().nodename}` ({os.cpu_count()} CPUs, {model}, Linux "
        f"{os.uname().release}, tmpfs) with `python3 benches/compare.py --runs {args.runs}"
        f"{' --models' if args.models else ''}`; "
        f"data: {data['source']} root filesystem, {data['entries']:,} entries, "
        f"{data['bytes'] / 1e6:.0f} MB; gzip layer {data['gzip_layer'] / 1e6:.1f} MB, "
        f"tar {data['tar_layer'] / 1e6:.1f} MB; five layers "
        + ", ".join(f"{s / 1e6:.2f}" for s in data["five_layers"])
        + f" MB; the 1 GiB layer {data['huge_layer'] / 1e6:.1f} MB.",
        "",
        "Peers: " + "; ".join(versions) + ".",
        "",
        "| job | command | median | ours / this | peak RSS |",
        "|---|---|---:|---:|---:|",
    ]
    for row in rows:
        command = row["command"].replace("|", "\\|")
        lines.append(f"| {row['job']} | `{command}` | {row['median_s']:.3f} s | "
                     f"{row['ratio']:.2f}x | {row['rss_kib'] / 1024:.1f} MiB |")
    if models:
        # ids are models/DOCUMENT/OP/ours and models/DOCUMENT/OP/oci-spec.
        pairs = {}
        for m in models:
            parts = m["id"].split("/")
            if len(parts) == 4:
                pairs.setdefault((parts[1], parts[2]), {})[parts[3]] = m["median_ns"]
        lines += ["", "`cargo bench --bench models` (criterion, median):", "",
                  "| document | operation | ours | oci-spec | ours / oci-spec |", "|---|---|---:|---:|---:|"]
        for (document, op), sides in sorted(pairs.items()):
            ours, theirs = sides.get("ours"), sides.get("oci-spec")
            if ours and theirs:
                lines.append(f"| {document} | {op} | {ours / 1000:.2f} µs | {theirs / 1000:.2f} µs | {ours / theirs:.2f}x |")
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="timed rounds per job (default 7)")
    parser.add_argument("--data", choices=["auto", "debian", "synthetic"], default="auto")
    parser.add_argument("--only", help="comma-separated words; run the jobs whose name holds one")
    parser.add_argument("--markdown", help="also write the table to this file")
    parser.add_argument("--models", action="store_true", help="also run the criterion models bench")
    parser.add_argument("--keep", action="store_true", help="keep the tmpfs work directory")
    args = parser.parse_args()

    missing = [t for t in TOOLS if not shutil.which(t)]
    if missing:
        sys.exit(f"compare: missing {', '.join(missing)}; run `bash .ci/install-peers.sh --bench`")
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    oci = build_ours()
    published = build_published()
    source, tarball = rootfs_tarball(args.data)
    work = Path(tempfile.mkdtemp(prefix="oci-compare.", dir="/dev/shm" if Path("/dev/shm").is_dir() else None))
    registries = []
    try:
        data = make_data(work, tarball)
        data["source"] = {"debian": "Debian bookworm minbase", "synthetic": "synthetic"}[source]
        log(f"data: {data}")
        five = manifest_of(work / "five", "five")[1]["layers"]
        for i, layer in enumerate(five):
            os.link(blob_path(work / "five", layer["digest"]), work / f"five-layer{i}.gz")
        pulled_from, pushed_to = Registry(work / "registry-source"), Registry(work / "registry-sink")
        remote = registry_jobs(oci, pulled_from, pushed_to)
        if not has_command(oci, "pull"):
            log(f"{oci} has no `pull` command: the registry jobs are left out")
            remote = []
        wanted = [j for j in jobs(oci, published, len(five)) + remote
                  if not args.only or any(w in j[0] for w in args.only.split(","))]
        if any(j in wanted for j in remote):
            log("docker-registry: a source, with one:one, five:five and huge:huge pushed by skopeo, and a sink")
            registries += [pulled_from, pushed_to]
            pulled_from.start()
            pushed_to.start()
            for image in ["one:one", "five:five", "huge:huge"]:
                sh(f"skopeo copy -q --dest-tls-verify=false oci:{image} {pulled_from.ref(image)}", cwd=work)
        rows = []
        for name, prepare, commands in wanted:
            rows += job(name, prepare, commands, args.runs, work)
        models = criterion_models() if args.models else []
        table = markdown(rows, data, models, args, started)
        print()
        print(table)
        if args.markdown:
            Path(args.markdown).write_text(table)
        (CACHE / "last-results.json").write_text(json.dumps({"data": data, "rows": rows, "models": models}, indent=1))
    finally:
        for registry in registries:
            registry.stop()
        if args.keep:
            log(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
