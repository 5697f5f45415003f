#!/usr/bin/env bash
# Times our `oci` against the peers on the same data: skopeo and umoci for
# the same job, GNU tar and sha256sum as the floor (they do only the I/O or
# only the hashing). Everything runs on a tmpfs so the disk does not count.
#
#   bash benches/peers.sh [SIZE_MIB]      (default 256)
#
# Needs hyperfine, skopeo, umoci, tar, sha256sum (bash .ci/install-peers.sh
# installs the peers; hyperfine is Debian's `hyperfine`). Prints one table
# per job with the median of each command and its ratio to ours; the raw
# hyperfine JSON stays in $WORK/results.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE_MIB=${1:-256}
RUNS=${RUNS:-5}
for tool in hyperfine skopeo umoci tar sha256sum jq; do
    command -v "$tool" >/dev/null || { echo "peers.sh: $tool is needed" >&2; exit 2; }
done

cargo build --release --quiet --example oci
OCI=$(cargo metadata --format-version 1 --no-deps | jq -r .target_directory)/release/examples/oci

BASE=/dev/shm
[ -d "$BASE" ] || BASE=${TMPDIR:-/tmp}
WORK=$(mktemp -d "$BASE/oci-peers.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/results"
cd "$WORK"

echo "== data: an image with one gzip layer of ${SIZE_MIB} MiB in 4 KiB..1 MiB files (made by umoci)"
umoci init --layout src >/dev/null
umoci new --image src:base >/dev/null
umoci unpack --rootless --image src:base bundle >/dev/null
python3 - "$SIZE_MIB" bundle/rootfs <<'PY'
import os, random, sys
size, root = int(sys.argv[1]) << 20, sys.argv[2]
rng = random.Random(42)
written, n = 0, 0
while written < size:
    d = os.path.join(root, "data", f"d{n // 100:03d}")
    os.makedirs(d, exist_ok=True)
    length = min(rng.choice([4096, 65536, 1 << 20]), size - written)
    # Half random, half repeated text: compressible like real files.
    body = rng.randbytes(length // 2) + (b"lorem ipsum dolor sit amet " * (length // 54 + 1))[: length - length // 2]
    with open(os.path.join(d, f"f{n}"), "wb") as f:
        f.write(body)
    written += length
    n += 1
PY
umoci repack --image src:data bundle >/dev/null
rm -rf bundle
"$OCI" export src:data image.tar
echo "   layout: $(du -sh src | cut -f1), oci-archive: $(du -h image.tar | cut -f1)"

# bench NAME CMD... : hyperfine the commands (each "label=command"), with
# a prepare step that removes outputs; prints medians and ratios to the first.
bench() {
    local name=$1 prepare=$2
    shift 2
    local args=()
    for spec in "$@"; do
        args+=(--command-name "${spec%%=*}" "${spec#*=}")
    done
    hyperfine --style none --shell=bash --runs "$RUNS" --warmup 1 --prepare "$prepare" \
        --export-json "results/$name.json" "${args[@]}" >/dev/null 2>>results/hyperfine.log
    echo
    echo "== $name (median of $RUNS runs)"
    jq -r '.results as $r | $r[0].median as $base | $r[] |
        "   \(.command | .[0:34] | . + " " * (34 - length))  \(.median * 10000 | round / 10) ms   " +
        (if $base > 0 then "x\((.median / $base * 100 | round) / 100)" else "(too fast to compare)" end)' \
        "results/$name.json"
}

bench export-oci-archive "rm -f out*.tar" \
    "oci export=$OCI export src:data out1.tar" \
    "skopeo copy oci-archive=skopeo copy -q oci:src:data oci-archive:out2.tar:data" \
    "tar -cf (the layout dir)=tar -cf out3.tar -C src ."

bench export-docker-archive "rm -f out*.tar" \
    "oci export --format docker-archive=$OCI export src:data out1.tar --format docker-archive --repo-tag bench:data" \
    "skopeo copy docker-archive=skopeo copy -q oci:src:data docker-archive:out2.tar:bench:data"

bench import-oci-archive "rm -rf dst*" \
    "oci import=$OCI import image.tar dst1:data" \
    "skopeo copy oci:=skopeo copy -q oci-archive:image.tar oci:dst2:data" \
    "tar -xf=mkdir dst3 && tar -xf image.tar -C dst3"

bench verify "true" \
    "oci fsck=$OCI fsck src" \
    "oci fsck --diff-ids=$OCI fsck src --diff-ids" \
    "sha256sum blobs=sha256sum src/blobs/sha256/*"

bench stat "true" \
    "oci stat=$OCI stat src:data" \
    "umoci stat=umoci stat --image src:data"

cp -a src gc-template
"$OCI" rm src:base
bench gc "rm -rf gc && cp -a gc-template gc && $OCI rm gc:base" \
    "oci gc=$OCI gc gc --grace 0" \
    "umoci gc=umoci gc --layout gc"

echo
echo "peer versions: $(skopeo --version); $(umoci --version); $(tar --version | head -1)"
