# The action's image: the `registry-action` console script in a virtualenv at /opt/venv, on a
# plain Debian bookworm Python. Built by the action's own CI and published; users run the
# pre-built image.
#
# The default base is the official python:3.11-slim-bookworm image pinned by digest, so a
# rebuild starts from the same bytes until the digest is bumped on purpose. The digest is the one
# Docker Hub resolved for that tag in the CI of github.com/AetherAI3/agent-browser (its
# Dockerfile at commit a46b0d6 pins it, and its build job recorded
# `docker.io/library/python@sha256:528257d4...`). Bump it by hand: Dependabot does not read
# images named through an ARG (dependabot/dependabot-core#2057).
#
# Any Debian bookworm root with python3 and python3-venv works as well; .ci/container.sh builds
# one with debootstrap and passes it with --build-arg BASE_IMAGE=...
ARG BASE_IMAGE=python:3.11-slim-bookworm@sha256:528257d48c1da0dcecc2e725d1ae34498d60c965f1241e39cd6a85a8859bdf84

FROM ${BASE_IMAGE} AS builder

# Only for builds behind a TLS-inspecting proxy: the path of a CA bundle mounted into the build
# (never copied into an image). Unset by default.
ARG PIP_CERT

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

# Runtime dependencies and the build backend, every file checked against the hashes in the lock
# (no resolver: --no-deps). A layer of its own so that source changes do not reinstall them.
# `python3` and not `python`: Debian's interpreter has no `python` alias.
COPY requirements.lock /tmp/requirements.lock
RUN python3 -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-compile --require-hashes --no-deps -r /tmp/requirements.lock

# The project itself, built with the locked setuptools (no isolated build environment that would
# fetch an unpinned backend). pip and setuptools are then removed: nothing installs at run time.
COPY . /tmp/src
RUN /opt/venv/bin/pip wheel --no-build-isolation --no-deps --wheel-dir /tmp/wheels /tmp/src \
    && /opt/venv/bin/pip install --no-compile --no-deps /tmp/wheels/*.whl \
    && /opt/venv/bin/python -m pip uninstall --yes setuptools pip \
    && /opt/venv/bin/python -m compileall -q -j 0 --invalidation-mode unchecked-hash /opt/venv \
    && /opt/venv/bin/registry-action --help >/dev/null


FROM ${BASE_IMAGE}

# Byte code is compiled once at build time (compileall above, unchecked-hash so that the copy's
# file times do not matter): a container is thrown away after one step, so byte code written at
# run time would be compiled again on every run, costing most of a second each time. None is
# written at run time.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    LANG=C.UTF-8 \
    PATH=/opt/venv/bin:$PATH

COPY --from=builder /opt/venv /opt/venv

# No USER and no WORKDIR: GitHub runs container actions as root with
# `--workdir /github/workspace` and the workspace mounted there, owned by the runner.
ENTRYPOINT ["/opt/venv/bin/registry-action"]
