#!/usr/bin/env bash
# Build the action's image and run it the way the GitHub runner runs a container action, against
# the project's fake GitHub; fail on any difference from what users rely on.
#
#   bash .ci/container.sh [--python PATH]
#
# Works on a fresh Debian or Ubuntu machine as root (re-runs itself with sudo otherwise), with
# network access to a Debian mirror and to PyPI, and no container engine running. Where podman
# cannot be had (not root and no sudo, no apt-get, or apt-get fails to install it) the test is
# skipped with one line saying why, and exits 0; CONTAINER_TEST=required makes that a failure.
#
#   1. apt          podman, runc and mmdebstrap, unless already installed.
#   2. bases        from Debian bookworm's packages (mmdebstrap), two images standing in for the
#                   Dockerfile's defaults, which cannot be pulled here: $BUILD_IMAGE, a minimal
#                   root with python3 and python3-venv (for debian:bookworm-slim plus python3-venv),
#                   and $BASE_IMAGE, put together from the same packages that make
#                   gcr.io/distroless/python3-debian12, with no shell and no dpkg. Both are
#                   reused while the recipe below is unchanged.
#   3. build        the Dockerfile on those bases with --pull=never.
#      contents     no pip, setuptools or cryptography in the image, no shell or apt, and byte
#                   code for the standard library and the virtualenv.
#      arm64 wheels every pin of the lock has a wheel for linux/arm64 matching its hashes (the
#                   release builds for arm64 too).
#   4. run ...      register, re-run (unchanged), bad input: exit status, outputs, the files in
#                   the fake, the single ::error line.
#      cli          the image as a CLI on a mounted folder (docker run ... IMAGE validate
#                   --registry-dir /work, as docs/adopting.md shows): register, validate, and
#                   validate failing on a damaged registry.json.
#
# Prints how long each phase took and the image's size; the image stays in podman's storage
# under $STATE_DIR for a closer look (python bench/image.py).
#
# Why not Docker: there may be no Docker engine, and none is needed: podman builds and runs the
# same image daemonless. Why bases built here rather than pulled: the build must not depend on
# pulling from a registry; mmdebstrap needs only the Debian mirror apt already uses. Why
# mmdebstrap rather than debootstrap: it downloads in parallel and installs with apt, and made
# the same root in 35 s where debootstrap took 61 s (2026-12-01, on this script's packages).
# Why runc: crun refuses hosts whose cgroups are in hybrid mode ("cgroups in hybrid mode not
# supported"), runc does not. Why explicit ulimits: podman's default nofile (1048576) can be above
# the hard limit the script runs under, and runc then cannot start the container ("error setting
# rlimit type 7"); the current hard limit is used instead.
#
# Environment (all optional):
#   PYTHON           Python 3.11 or later that runs the fake GitHub and the checks, which use
#                    only the standard library (default: $VENV/bin/python, else .venv/bin/python)
#   IMAGE            tag of the image built (default: localhost/registry-action:ci)
#   BUILD_IMAGE      tag of the local build stage's base
#                    (default: localhost/registry-action-build:bookworm)
#   BASE_IMAGE       tag of the local run base (default: localhost/registry-action-base:bookworm)
#   REBUILD_BASE=1   rebuild both bases even if they are present
#   DEBIAN_MIRROR    mirror for mmdebstrap (default: the Debian mirror apt uses, else
#                    http://deb.debian.org/debian)
#   CA_BUNDLE        CA bundle mounted into the build for pip (default:
#                    /etc/ssl/certs/ca-certificates.crt), for TLS-inspecting proxies; it is not
#                    copied into the image
#   STATE_DIR        podman's private storage and configuration (default:
#                    /var/lib/registry-action-ci); /etc/containers is left alone
#   CONTAINER_TEST=required  fail instead of skipping where podman cannot be installed
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

python_arg=""
while (($#)); do
    case "$1" in
        --python) python_arg="${2:?--python needs a path}"; shift 2 ;;
        --python=*) python_arg="${1#--python=}"; shift ;;
        -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
    esac
done
PYTHON="${python_arg:-${PYTHON:-${VENV:-$root/.venv}/bin/python}}"
# Absolute, since the script changes directory: a path as given, a bare name from PATH.
if [[ "$PYTHON" == */* ]]; then
    [[ "$PYTHON" == /* ]] || PYTHON="$PWD/$PYTHON"
else
    PYTHON="$(command -v "$PYTHON" || echo "$PYTHON")"
fi
export PYTHON

# skip WHY: where podman cannot be installed, say so on one line and pass, unless required.
skip() {
    if [[ "${CONTAINER_TEST:-}" == required ]]; then
        echo "FAIL: container test: $* (CONTAINER_TEST=required)" >&2
        exit 1
    fi
    echo "container test skipped: $*"
    skipped=1
    exit 0
}

if ((EUID != 0)); then
    # A password prompt only where someone can answer it.
    if command -v sudo >/dev/null && { sudo -n true 2>/dev/null || [[ -t 0 ]]; }; then
        exec sudo --preserve-env=PYTHON,VENV,IMAGE,BUILD_IMAGE,BASE_IMAGE,REBUILD_BASE,DEBIAN_MIRROR,CA_BUNDLE,STATE_DIR,CONTAINER_TEST \
            bash "${BASH_SOURCE[0]}"
    fi
    skip "it needs root to install and run podman (run it as root or with sudo)"
fi

IMAGE="${IMAGE:-localhost/registry-action:ci}"
BUILD_IMAGE="${BUILD_IMAGE:-localhost/registry-action-build:bookworm}"
BASE_IMAGE="${BASE_IMAGE:-localhost/registry-action-base:bookworm}"
CA_BUNDLE="${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}"
STATE_DIR="${STATE_DIR:-/var/lib/registry-action-ci}"

# What goes into the bases. Changing any of it changes the recipe label, so a stale base is
# rebuilt rather than reused.
base_suite="bookworm"
# The run base: the packages GoogleContainerTools/distroless puts into python3-debian12 (its
# base, cc and python3 images). Unpacked, not installed: no maintainer scripts run, so, as in
# distroless, there is no byte code for the standard library.
runtime_packages=(
    base-files netbase tzdata ca-certificates libc6 libssl3 openssl
    libgcc-s1 libgomp1 libstdc++6
    libbz2-1.0 libdb5.3 libexpat1 liblzma5 libsqlite3-0 libuuid1 libncursesw6 libtinfo6
    python3-distutils zlib1g libcom-err2 libcrypt1 libgssapi-krb5-2 libk5crypto3 libkeyutils1
    libkrb5-3 libkrb5support0 libnsl2 libreadline8 libtirpc3 libffi8
    libpython3.11-minimal libpython3.11-stdlib python3.11-minimal
)
build_packages="python3,python3-venv,ca-certificates"
base_packages="$build_packages,$(IFS=,; echo "${runtime_packages[*]}")"
base_recipe="mmdebstrap --variant=minbase --include=$base_packages $base_suite; build: no apt"
base_recipe+=" lists, caches, logs, manuals, locales or docs but copyright; LANG=C.UTF-8; run:"
base_recipe+=" the run packages unpacked on a merged /usr, the CA bundle, passwd, group,"
base_recipe+=" nsswitch.conf, /tmp, python and python3 links, ld.so.cache"
recipe_label="org.registry-action.base-recipe"

token="ci-token-$RANDOM$RANDOM"
registry_repo="org/plugin-registry"
work="$(mktemp -d /var/tmp/registry-action-ci.XXXXXX)"
fake_pid=""
timings=()
started_at="$(date +%s.%N)"

say() { printf '\n==> %s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*" >&2; exit 1; }
elapsed_since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# phase NAME COMMAND...: run a step and remember how long it took.
phase() {
    local name="$1" t0
    shift
    say "$name"
    t0="$(date +%s.%N)"
    "$@"
    timings+=("$(printf '%-22s %6ss' "$name" "$(elapsed_since "$t0")")")
}

finish() {
    local status=$?
    if [[ -n "$fake_pid" ]] && kill -0 "$fake_pid" 2>/dev/null; then
        kill "$fake_pid" 2>/dev/null || true
        wait "$fake_pid" 2>/dev/null || true
    fi
    if ((status != 0)) && [[ -s "$work/fake.log" ]]; then
        echo "--- fake GitHub log (last 40 lines)"
        tail -n 40 "$work/fake.log"
    fi
    # A bootstrap that fails can leave /proc and /sys mounted in the root it was building.
    grep -o " $work/[^ ]*" /proc/mounts | sort -r | xargs -r umount -l 2>/dev/null || true
    rm -rf --one-file-system "$work"
    [[ -z "${skipped:-}" ]] || exit 0
    if ((${#timings[@]})); then
        echo
        echo "timings:"
        printf '  %s\n' "${timings[@]}"
        printf '  %-22s %6ss\n' "total" "$(elapsed_since "$started_at")"
    fi
    if ((status == 0)); then echo "container test passed"; else echo "container test FAILED"; fi
    exit "$status"
}
trap finish EXIT

# --- 1. packages -------------------------------------------------------------------------------

install_packages() {
    local missing=()
    command -v podman >/dev/null || missing+=(podman)
    command -v runc >/dev/null || missing+=(runc)
    command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
    # mmdebstrap checks the Release signature; Ubuntu hosts lack Debian's keys.
    [[ -f /usr/share/keyrings/debian-archive-keyring.gpg ]] || missing+=(debian-archive-keyring)
    if ((${#missing[@]} == 0)); then
        echo "podman, runc and mmdebstrap already installed"
        return
    fi
    command -v apt-get >/dev/null || skip "${missing[*]} missing and no apt-get to install them"
    echo "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # --no-install-recommends: no buildah, fuse-overlayfs, slirp4netns or uidmap; root podman
    # needs none of them (native overlay, host network).
    if ! { apt-get update -qq &&
        apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$work/apt.log" 2>&1; then
        tail -n 5 "$work/apt.log"
        skip "apt-get could not install ${missing[*]}"
    fi
}

# --- podman configuration, private to this script ----------------------------------------------

configure_podman() {
    local nofile
    nofile="$(ulimit -Hn)"
    [[ "$nofile" == unlimited ]] && nofile=1048576
    mkdir -p "$STATE_DIR"
    cat >"$STATE_DIR/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$STATE_DIR/storage"
runroot = "/run/registry-action-ci"
EOF
    cat >"$STATE_DIR/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=4096:4096"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
    export CONTAINERS_STORAGE_CONF="$STATE_DIR/storage.conf"
    export CONTAINERS_CONF="$STATE_DIR/containers.conf"
    podman --version
}

# --- 2. base image -----------------------------------------------------------------------------

debian_mirror() {
    if [[ -n "${DEBIAN_MIRROR:-}" ]]; then
        echo "$DEBIAN_MIRROR"
        return
    fi
    local found
    found="$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list \
        /etc/apt/sources.list.d/*.sources 2>/dev/null |
        grep -oE 'https?://[^ ]+/debian/?( |$)' | grep -v -- '-security' | head -n 1 || true)"
    found="${found%% }"
    echo "${found%/}" | grep . || echo "http://deb.debian.org/debian"
}

base_is_current() {
    [[ "${REBUILD_BASE:-}" == 1 ]] && return 1
    local image have
    for image in "$BUILD_IMAGE" "$BASE_IMAGE"; do
        podman image exists "$image" || return 1
        have="$(podman image inspect --format "{{ index .Labels \"$recipe_label\" }}" "$image")"
        [[ "$have" == "$(base_recipe_id)" ]] || return 1
    done
}

base_recipe_id() { printf '%s' "$base_recipe" | sha256sum | cut -c1-16; }

build_base() {
    if base_is_current; then
        echo "reusing $BUILD_IMAGE and $BASE_IMAGE (recipe $(base_recipe_id))"
        return
    fi
    local mirror rootfs="$work/rootfs"
    mirror="$(debian_mirror)"
    echo "mmdebstrap $base_suite from $mirror"
    # Keep every .deb it downloaded, the Essential ones too (they are removed by default), for
    # the run base below; the keyring named, since an Ubuntu host's apt does not trust Debian's.
    mmdebstrap --variant=minbase --include="$base_packages" \
        --keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
        --skip=cleanup/apt/cache,essential/unlink "$base_suite" "$rootfs" "$mirror" \
        >"$work/mmdebstrap.log" 2>&1 || { tail -n 30 "$work/mmdebstrap.log"; fail "mmdebstrap"; }
    assemble_run_base "$rootfs/var/cache/apt/archives" "$rootfs/etc/ssl/certs/ca-certificates.crt"
    rm -rf "$rootfs"/var/cache/apt/* "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/log/* \
        "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/*
    find "$rootfs/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
    tar --numeric-owner -C "$rootfs" -c . | podman import \
        --change "ENV LANG=C.UTF-8" \
        --change "LABEL $recipe_label=$(base_recipe_id)" \
        --change 'CMD ["/bin/bash"]' \
        - "$BUILD_IMAGE" >/dev/null
    rm -rf --one-file-system "$rootfs"
    echo "imported $BUILD_IMAGE and $BASE_IMAGE"
}

# assemble_run_base DEBS CA_BUNDLE: the distroless-like run base, from the .deb files in DEBS.
assemble_run_base() {
    local debs="$1" bundle="$2" root="$work/run-root" package found
    mkdir -p "$root"/usr/{bin,sbin,lib,lib64} "$root"/{etc/ssl/certs,root,home/nonroot,tmp}
    # Debian 12's merged /usr: /bin, /lib and the rest are links into /usr, as in distroless.
    for package in bin sbin lib lib64; do ln -s "usr/$package" "$root/$package"; done
    chmod 1777 "$root/tmp"
    for package in "${runtime_packages[@]}"; do
        found=("$debs/${package}"_*.deb)
        [[ -f "${found[0]}" ]] || fail "mmdebstrap left no .deb for $package"
        dpkg-deb --fsys-tarfile "${found[0]}" | tar -x --keep-directory-symlink -C "$root"
    done
    # What distroless adds to the packages' files: the CA bundle (made by ca-certificates'
    # maintainer script, which does not run here), users, name service, python links, ld cache.
    cp "$bundle" "$root/etc/ssl/certs/ca-certificates.crt"
    printf '%s\n' "root:x:0:0:root:/root:/sbin/nologin" \
        "nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin" \
        "nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin" >"$root/etc/passwd"
    printf '%s\n' "root:x:0:" "nobody:x:65534:" "tty:x:5:" "staff:x:50:" "nonroot:x:65532:" \
        >"$root/etc/group"
    echo "hosts: files dns" >"$root/etc/nsswitch.conf"
    ln -sf python3.11 "$root/usr/bin/python3"
    ln -sf python3.11 "$root/usr/bin/python"
    echo "include /etc/ld.so.conf.d/*.conf" >"$root/etc/ld.so.conf"
    ldconfig -r "$root"
    tar --numeric-owner -C "$root" -c . | podman import \
        --change "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
        --change "ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt" \
        --change "ENV LANG=C.UTF-8" \
        --change "LABEL $recipe_label=$(base_recipe_id)" \
        --change 'ENTRYPOINT ["/usr/bin/python3.11"]' \
        - "$BASE_IMAGE" >/dev/null
    rm -rf --one-file-system "$root"
}

# --- 3. project image --------------------------------------------------------------------------

build_image() {
    local tls=()
    if [[ -f "$CA_BUNDLE" ]]; then
        # The host's bundle replaces the base's for the build only (a bind mount is never part
        # of a layer), and pip is told to use it whatever its own default is.
        tls=(--volume "$CA_BUNDLE:/etc/ssl/certs/ca-certificates.crt:ro"
            --build-arg PIP_CERT=/etc/ssl/certs/ca-certificates.crt)
    fi
    podman build --pull=never --network host --file "$root/Dockerfile" \
        --build-arg "BUILD_IMAGE=$BUILD_IMAGE" --build-arg "BASE_IMAGE=$BASE_IMAGE" \
        "${tls[@]}" --tag "$IMAGE" "$root"
    # The previous build's image, now untagged, would otherwise pile up run after run.
    podman image prune --force >/dev/null
}

# --- 4. runs -----------------------------------------------------------------------------------

start_fake() {
    [[ -x "$PYTHON" ]] || fail "$PYTHON not found: pass --python or set PYTHON"
    PYTHONPATH="$root/tests" "$PYTHON" -u -m fake_github --port 0 --repo "$registry_repo" \
        --token "$token=write" >"$work/fake.log" 2>&1 &
    fake_pid=$!
    local _
    for _ in $(seq 150); do
        grep -q '^READY ' "$work/fake.log" && break
        kill -0 "$fake_pid" 2>/dev/null || fail "the fake GitHub exited"
        sleep 0.1
    done
    fake_url="$(sed -n 's/^READY //p' "$work/fake.log")"
    [[ -n "$fake_url" ]] || fail "the fake GitHub did not start"
    echo "fake GitHub at $fake_url"
}

# Every input declared in action.yml as NAME=DEFAULT (empty when there is none): the runner
# passes them all to the container, whether the workflow sets them or not.
declared_inputs() {
    awk '
        /^inputs:/ { inside = 1; next }
        /^[^ #]/ { inside = 0 }
        inside && /^  [A-Za-z0-9_-]+:[ \t]*$/ { flush(); name = $1; sub(/:$/, "", name); next }
        inside && name != "" && /^    default:/ {
            value = $0; sub(/^    default:[ \t]*/, "", value)
            if (value ~ /^[>|]/) { print "block default for " name > "/dev/stderr"; exit 1 }
            if (value ~ /^".*"$/ || value ~ /^\047.*\047$/) value = substr(value, 2, length(value) - 2)
            defaults[name] = value
        }
        function flush() { if (name != "") print name "=" defaults[name] }
        END { flush() }
    ' "$root/action.yml"
}

# run_action NAME [INPUT=VALUE...]: start the image as the runner does; the exit status is in
# $run_status, stdout+stderr in $work/NAME.log, the outputs in $work/NAME/files/output.
run_action() {
    local name="$1"
    shift
    local dir="$work/$name"
    mkdir -p "$dir/workspace" "$dir/files" "$dir/workflow" "$dir/home"
    : >"$dir/files/output"
    : >"$dir/files/summary"
    : >"$dir/files/env"
    : >"$dir/files/path"
    cat >"$dir/workflow/event.json" <<'EOF'
{"repository": {"full_name": "acme/Calendar2", "name": "Calendar2", "description": "Team calendar"}}
EOF
    local -A inputs=()
    local declared line
    declared="$(declared_inputs)" || fail "cannot read the inputs declared in action.yml"
    while IFS= read -r line; do inputs["${line%%=*}"]="${line#*=}"; done <<<"$declared"
    inputs[token]="$token"
    inputs[registry-repository]="$registry_repo"
    inputs[api-url]="$fake_url"
    for line in "$@"; do inputs["${line%%=*}"]="${line#*=}"; done
    local env_args=() key
    for key in "${!inputs[@]}"; do
        env_args+=(-e "INPUT_${key^^}=${inputs[$key]}")
    done
    set +e
    podman run --rm --network host --workdir /github/workspace \
        -v "$dir/home:/github/home" \
        -v "$dir/workflow:/github/workflow" \
        -v "$dir/files:/github/file_commands" \
        -v "$dir/workspace:/github/workspace" \
        -e HOME=/github/home -e CI=true -e GITHUB_ACTIONS=true -e RUNNER_OS=Linux \
        -e GITHUB_REPOSITORY=acme/Calendar2 -e GITHUB_REPOSITORY_OWNER=acme \
        -e GITHUB_REF=refs/heads/main -e GITHUB_EVENT_NAME=push \
        -e GITHUB_EVENT_PATH=/github/workflow/event.json \
        -e GITHUB_SERVER_URL=https://github.com -e GITHUB_API_URL=https://api.github.com \
        -e GITHUB_WORKSPACE=/github/workspace \
        -e GITHUB_OUTPUT=/github/file_commands/output \
        -e GITHUB_STEP_SUMMARY=/github/file_commands/summary \
        -e GITHUB_ENV=/github/file_commands/env -e GITHUB_PATH=/github/file_commands/path \
        "${env_args[@]}" "$IMAGE" >"$work/$name.log" 2>&1
    run_status=$?
    set -e
    sed 's/^/    | /' "$work/$name.log"
    echo "    exit status $run_status"
    # The token may appear only in the mask command that hides it.
    if grep -v '^::add-mask::' "$work/$name.log" | grep -qF "$token" ||
        grep -rqF "$token" "$dir/files"; then
        fail "$name: the token appears in the log or in a file command"
    fi
}

# check PYTHON-CODE ARG...: an assertion in Python, given the fake's URL and the run's files.
check() {
    local code="$1"
    shift
    "$PYTHON" - "$fake_url" "$registry_repo" "$@" <<EOF
import json, sys, urllib.error, urllib.request

fake, repo, *args = sys.argv[1:]

def fetch(path):
    url = f"{fake}/_fake/files/{repo}/main/{path}"
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        sys.exit(f"{path} is not in the registry repository ({error.code})")

def commits():
    with urllib.request.urlopen(f"{fake}/_fake/commits/{repo}/main", timeout=10) as response:
        return len(json.load(response))

def outputs(path):
    result, lines = {}, open(path, encoding="utf-8").read().split("\n")
    while lines:
        line = lines.pop(0)
        if "<<" in line:
            name, delimiter = line.split("<<", 1)
            end = lines.index(delimiter)
            result[name], lines = "\n".join(lines[:end]), lines[end + 1:]
        elif "=" in line:
            name, value = line.split("=", 1)
            result[name] = value
    return result

$code
EOF
}

run_register() {
    run_action register version=1.2.3
    ((run_status == 0)) || fail "register exited with $run_status"
    check '
out = outputs(args[0])
changed = out.get("changed")
assert changed == "true", f"changed is {changed!r}, not true: {out}"
assert out.get("plugin-id") == "calendar2", out
manifest = json.loads(fetch("plugins/calendar2.json"))
registry = json.loads(fetch("registry.json"))
assert manifest["id"] == "calendar2" and manifest["version"] == "1.2.3", manifest
entries = [entry for entry in registry["plugins"] if entry["id"] == "calendar2"]
assert len(entries) == 1 and entries[0]["version"] == "1.2.3", registry
assert entries[0]["manifestUrl"] == manifest["manifestUrl"] == out["manifest-url"], (entries, out)
print("    plugins/calendar2.json and registry.json written; changed=true")
' "$work/register/files/output"
    [[ -s "$work/register/files/summary" ]] || fail "register wrote no job summary"
    commits_after_register="$(check 'print(commits())')"
}

run_again() {
    run_action again version=1.2.3
    ((run_status == 0)) || fail "the re-run exited with $run_status"
    check '
out = outputs(args[0])
changed = out.get("changed")
assert changed == "false", f"changed is {changed!r}, not false"
assert out.get("commit-sha", "") == "", out
assert commits() == int(args[1]), "the unchanged re-run made a commit"
print("    nothing written; changed=false")
' "$work/again/files/output" "$commits_after_register"
}

run_bad_input() {
    run_action bad-input version=latest
    ((run_status != 0)) || fail "version=latest was accepted"
    local errors
    errors="$(grep -c '^::error' "$work/bad-input.log" || true)"
    ((errors == 1)) || fail "expected exactly one ::error line, got $errors"
    ! grep -q 'Traceback' "$work/bad-input.log" || fail "the bad input produced a traceback"
    check '
assert commits() == int(args[0]), "the rejected run made a commit"
print("    rejected with one ::error line, no traceback, nothing written")
' "$commits_after_register"
}

# The image as a command-line tool on a mounted folder, the way docs/adopting.md shows it.
run_cli() {
    local dir="$work/cli"
    local cli=(podman run --rm --network none -v "$dir:/work" -w /work "$IMAGE")
    mkdir -p "$dir"
    "${cli[@]}" register --registry-dir /work/registry --registry-repository "$registry_repo" \
        --plugin-id calendar --version 1.4.2 2>&1 | sed 's/^/    | /' ||
        fail "register through the image failed"
    "${cli[@]}" validate --registry-dir /work/registry 2>&1 | sed 's/^/    | /' ||
        fail "validate through the image failed on the folder register made"
    echo '{' >"$dir/registry/registry.json"
    if "${cli[@]}" validate --registry-dir /work/registry >"$work/cli.log" 2>&1; then
        cat "$work/cli.log"
        fail "validate through the image passed a damaged registry.json"
    fi
    echo "    register and validate on a mounted folder; a damaged registry.json fails validate"
}

# What the image promises besides running: no installer and no cryptography left in the
# virtualenv, and byte code for the standard library and the virtualenv, so that nothing is
# compiled when a step starts.
check_contents() {
    podman run --rm --network none --entrypoint /opt/venv/bin/python "$IMAGE" -c '
import importlib.util, json, os, sys
import github, pydantic
for name in ("cryptography", "pip", "setuptools"):
    assert importlib.util.find_spec(name) is None, f"{name} is in the image"
for module in (json, os, github, pydantic):
    cached = importlib.util.cache_from_source(module.__file__)
    assert os.path.exists(cached), f"no byte code for {module.__name__}: {cached}"
assert not any(os.path.exists(p) for p in ("/bin/sh", "/usr/bin/apt-get")), "a shell or apt"
print("    no pip, setuptools or cryptography; byte code for the standard library and the venv")
' || fail "the image does not hold what it should"
}

# The release builds the image for linux/arm64 as well, under QEMU. This test does not (it
# would need QEMU and both bases made again for arm64 under emulation); it checks what the
# locked dependencies decide about that build: every pin of the lock has a file for Python 3.11
# on Debian 12's arm64 (glibc 2.36), matching one of its hashes.
check_arm64_wheels() {
    local platforms=() minor
    for minor in $(seq 17 36); do platforms+=(--platform "manylinux_2_${minor}_aarch64"); done
    "$PYTHON" -m pip download --quiet --disable-pip-version-check --no-deps --require-hashes \
        --only-binary=:all: --python-version 3.11 --implementation cp --abi cp311 \
        "${platforms[@]}" --dest "$work/arm64" -r "$root/requirements.txt" \
        >"$work/arm64.log" 2>&1 || {
        cat "$work/arm64.log"
        fail "the lock cannot be installed on linux/arm64"
    }
    echo "    $(find "$work/arm64" -name '*.whl' | wc -l) wheels for linux/arm64, every hash matched"
}

report_sizes() {
    local size base
    size="$(podman image inspect --format '{{.Size}}' "$IMAGE")"
    base="$(podman image inspect --format '{{.Size}}' "$BASE_IMAGE")"
    awk -v s="$size" -v b="$base" 'BEGIN {
        printf "image %.1f MB = base %.1f MB + project layers %.1f MB\n", s / 1e6, b / 1e6, (s - b) / 1e6
    }'
}

cd "$root"
phase "apt" install_packages
configure_podman
phase "bases (mmdebstrap)" build_base
phase "build" build_image
report_sizes
phase "contents" check_contents
phase "arm64 wheels" check_arm64_wheels
start_fake
phase "run: register" run_register
phase "run: unchanged re-run" run_again
phase "run: bad input" run_bad_input
phase "cli: a folder" run_cli
