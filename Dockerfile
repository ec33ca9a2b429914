# The action's image: the `registry-action` console script in a virtualenv at /opt/venv, on
# Debian bookworm's own Python 3.11 with nothing else: no shell, no package manager. Built by the
# action's own CI and published; users pull the pre-built image.
#
# Two bases, each pinned by digest so that a rebuild starts from the same bytes until a digest is
# bumped on purpose. Each is a stage of its own, named in a plain FROM line, because that is the
# only form Dependabot reads (it does not resolve an image named through an ARG,
# dependabot/dependabot-core#2057), so its weekly pull requests bump these digests; the ARGs
# choose between those stages and any other image:
#
#   BUILD_IMAGE  where the virtualenv is made (default: the build-base stage, Debian bookworm;
#                python3-venv is installed below unless the image has it already).
#   BASE_IMAGE   what users run (default: the run-base stage, gcr.io/distroless/python3-debian12:
#                Debian bookworm's python3.11 packages and the C libraries they need, and nothing
#                else; a stand-in made of the same packages measures 57 MB, docs/performance.md).
#                The virtualenv made with Debian's python3 in the build stage runs on it
#                unchanged: same interpreter, same path (/usr/bin/python3).
#
# Any pair of bookworm images with Debian's python3 (and python3-venv in the build image) works
# as well; .ci/container.sh builds both from Debian's packages and passes them with
# --build-arg BUILD_IMAGE=... --build-arg BASE_IMAGE=... The default stages are then unused,
# and neither BuildKit nor buildah pulls them. BuildKit (docker build, buildx) takes the
# defaults as they are; buildah and podman (seen with Debian 12's 4.3) resolve a stage name only
# when it is given on the command line, so build the defaults there with
# --build-arg BUILD_IMAGE=build-base --build-arg BASE_IMAGE=run-base.
ARG BUILD_IMAGE=build-base
ARG BASE_IMAGE=run-base

FROM debian:bookworm-slim@sha256:abd67ffcfa541b485a3dff59865ab629aa048a6c613e639d36e7456b0b229241 AS build-base
FROM gcr.io/distroless/python3-debian12:latest@sha256:2fdb05402a2cf21cf78fdb3ba4c5db167241e9e498140f5bf689d7efb773731f AS run-base

FROM ${BUILD_IMAGE} AS builder

# Only for builds behind a TLS-inspecting proxy: the path of a CA bundle mounted into the build
# (never copied into an image). Unset by default.
ARG PIP_CERT

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

# Debian's python3 with its venv module. Nothing of this stage but /opt/venv reaches the image,
# so the packages are Debian stable's current ones rather than pinned versions.
# hadolint ignore=DL3008
RUN python3 -c 'import ensurepip, venv' 2>/dev/null \
    || { apt-get update \
        && apt-get install -y --no-install-recommends python3-venv \
        && rm -rf /var/lib/apt/lists/*; }

# Runtime dependencies and the build backend, every file checked against the hashes in the lock
# (no resolver: --no-deps). A layer of its own so that source changes do not reinstall them.
COPY requirements.txt /tmp/requirements.txt
RUN python3 -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-compile --require-hashes --no-deps -r /tmp/requirements.txt

# The project itself, built with the locked setuptools (no isolated build environment that would
# fetch an unpinned backend). Then removed, since nothing installs or builds at run time: pip and
# setuptools; and cryptography, which PyGithub pulls in (through pyjwt[crypto]) only to sign
# GitHub App JWTs: the action authenticates with a token, and pyjwt imports cryptography only if
# it is there. That is 16 MB of the image and about 30 ms of every start.
COPY . /tmp/src
RUN /opt/venv/bin/pip wheel --no-build-isolation --no-deps --wheel-dir /tmp/wheels /tmp/src \
    && /opt/venv/bin/pip install --no-compile --no-deps /tmp/wheels/*.whl \
    && /opt/venv/bin/python -m pip uninstall --yes cryptography setuptools pip \
    && /opt/venv/bin/python -m compileall -q -j 0 --invalidation-mode unchecked-hash /opt/venv


FROM ${BASE_IMAGE}

# Byte code is compiled once at build time, for the virtualenv above and here for the standard
# library (distroless ships none): a container is thrown away after one step, so byte code
# written at run time would be compiled again on every run, costing most of a second each time.
# unchecked-hash: the files' times do not matter, and none is written at run time.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    LANG=C.UTF-8 \
    PATH=/opt/venv/bin:$PATH

COPY --from=builder /opt/venv /opt/venv

# Exec form: the run image has no shell (hence two RUNs: there is no `&&` to join them).
# Compiling with the virtualenv's interpreter, then importing everything a GitHub run loads,
# also proves the virtualenv works on this base.
RUN ["/opt/venv/bin/python", "-m", "compileall", "-q", "-j", "0", \
     "--invalidation-mode", "unchecked-hash", "/usr/lib/python3.11"]
# hadolint ignore=DL3059
RUN ["/opt/venv/bin/python", "-c", \
     "import registry_action.cli, registry_action.commands, registry_action.store.github.contents"]

# No USER and no WORKDIR: GitHub runs container actions as root with
# `--workdir /github/workspace` and the workspace mounted there, owned by the runner.
ENTRYPOINT ["/opt/venv/bin/registry-action"]
