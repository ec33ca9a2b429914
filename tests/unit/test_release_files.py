"""What the image is built from and how a release publishes it: the lock, the Dockerfile's bases,
the pinned actions, Dependabot, and the release script's two decisions."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
RELEASE = ROOT / ".github" / "scripts" / "release.sh"
DIGEST = "sha256:" + "0123456789abcdef" * 4
IMAGE = "ghcr.io/acme/registry-action"


def requirement_set(lines: list[str]) -> dict[str, str]:
    """Canonical name -> specifier, for requirement strings."""
    parsed = [Requirement(line) for line in lines]
    return {canonicalize_name(r.name): str(r.specifier) for r in parsed}


def requirements_in() -> list[str]:
    text = (ROOT / "requirements.in").read_text()
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


def locked() -> dict[str, tuple[str, list[str]]]:
    """Canonical name -> (pinned version, hashes), from requirements.txt."""
    text = (ROOT / "requirements.txt").read_text().replace("\\\n", " ")
    pins: dict[str, tuple[str, list[str]]] = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        spec, *options = line.split("--hash=")
        match = re.fullmatch(r"([A-Za-z0-9._-]+)==(\S+)", spec.strip())
        assert match, f"not a pinned requirement: {line!r}"
        pins[canonicalize_name(match[1])] = (match[2], [o.strip() for o in options])
    return pins


def test_requirements_in_is_pyprojects_dependencies_and_build_backend() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    declared = [*pyproject["project"]["dependencies"], *pyproject["build-system"]["requires"]]
    assert requirement_set(requirements_in()) == requirement_set(declared)


def test_the_lock_pins_every_package_with_hashes_within_the_declared_ranges() -> None:
    pins = locked()
    for name, (_version, hashes) in pins.items():
        assert hashes, f"{name} has no hash"
        assert all(re.fullmatch(r"sha256:[0-9a-f]{64}", h) for h in hashes), (name, hashes)
    for requirement in map(Requirement, requirements_in()):
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is not in the lock"
        assert requirement.specifier.contains(pins[name][0], prereleases=True), (name, pins[name])


def test_the_lock_says_how_it_was_made_from_requirements_in() -> None:
    header = (ROOT / "requirements.txt").read_text().split("\n\n", 1)[0]
    command = next(line for line in header.splitlines() if line.startswith("#    pip-compile "))
    assert "--generate-hashes" in command
    assert "--output-file=requirements.txt" in command
    assert command.rstrip().endswith(" requirements.in")


def dockerfile() -> str:
    return (ROOT / "Dockerfile").read_text()


def test_every_base_image_is_a_named_stage_pinned_by_digest() -> None:
    text = dockerfile()
    stages = dict(re.findall(r"^FROM (\S+) AS (\S+)$", text, flags=re.MULTILINE))
    pulled = [image for image in stages if not image.startswith("$")]
    assert len(pulled) == 2, stages
    for image in pulled:
        assert re.search(r"@sha256:[0-9a-f]{64}$", image), f"{image} is not pinned by digest"
    names = set(stages.values())
    defaults = dict(re.findall(r"^ARG (BUILD_IMAGE|BASE_IMAGE)=(\S+)$", text, flags=re.MULTILINE))
    assert set(defaults) == {"BUILD_IMAGE", "BASE_IMAGE"}
    # Dependabot reads the plain FROM lines; the ARGs must default to those stages, not to an
    # image of their own that Dependabot would never bump.
    assert set(defaults.values()) <= names, (defaults, names)
    assert "FROM ${BUILD_IMAGE} AS builder" in text
    assert re.search(r"^FROM \$\{BASE_IMAGE\}$", text, flags=re.MULTILINE)


def test_the_image_installs_the_lock_with_hashes_only() -> None:
    text = dockerfile()
    assert "COPY requirements.txt " in text
    assert "--require-hashes --no-deps -r /tmp/requirements.txt" in text
    assert "!requirements.txt" in (ROOT / ".dockerignore").read_text().splitlines()


def workflow_files() -> list[Path]:
    return sorted([*(ROOT / ".github" / "workflows").glob("*.yml"), *ROOT.glob("examples/*.yml")])


def uses_of(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["uses"]] if isinstance(node.get("uses"), str) else []
        return found + [u for value in node.values() for u in uses_of(value)]
    if isinstance(node, list):
        return [u for item in node for u in uses_of(item)]
    return []


def test_every_action_used_is_pinned_by_commit_sha() -> None:
    seen = 0
    for path in workflow_files():
        for uses in uses_of(yaml.safe_load(path.read_text())):
            # The action itself and the organisation's reusable workflow, as users refer to
            # them, and local or image references.
            own = ("org/registry-action@", "org/plugin-registry/.github/workflows/")
            if uses.startswith(("./", "docker://", *own)):
                continue
            seen += 1
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", uses), f"{path.name}: {uses}"
    assert seen > 10


def test_dependabot_watches_python_the_bases_and_the_actions() -> None:
    config = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text())
    ecosystems = {u["package-ecosystem"]: u["directory"] for u in config["updates"]}
    assert ecosystems == {"pip": "/", "docker": "/", "github-actions": "/"}


def release(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(RELEASE), *args], cwd=cwd, capture_output=True, text=True, check=False
    )


@pytest.fixture
def action(tmp_path: Path) -> Path:
    """A copy of the repository's action.yml to rewrite."""
    copy = tmp_path / "action.yml"
    shutil.copy(ROOT / "action.yml", copy)
    return copy


def test_pin_image_changes_only_the_image_line(action: Path) -> None:
    done = release("pin-image", str(action), IMAGE, DIGEST)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"docker://{IMAGE}@{DIGEST}\n"
    before = (ROOT / "action.yml").read_text().splitlines()
    after = action.read_text().splitlines()
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert changed == [("  image: Dockerfile", f"  image: docker://{IMAGE}@{DIGEST}")]
    assert yaml.safe_load(action.read_text())["runs"]["image"] == f"docker://{IMAGE}@{DIGEST}"


def test_the_pinned_action_yml_passes_the_actions_schema(action: Path) -> None:
    assert release("pin-image", str(action), IMAGE, DIGEST).returncode == 0
    checker = Path(sys.executable).with_name("check-jsonschema")
    assert checker.exists(), "check-jsonschema is installed with the lint extra"
    done = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.github-actions", str(action)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("image", "digest", "message"),
    [
        (IMAGE, "", "not an image digest: ''"),
        (IMAGE, "sha256:abc", "not an image digest: 'sha256:abc'"),
        ("ghcr.io/Acme/registry-action", DIGEST, "not a lowercase image name"),
    ],
)
def test_pin_image_refuses_a_bad_digest_or_name_and_changes_nothing(
    action: Path, image: str, digest: str, message: str
) -> None:
    done = release("pin-image", str(action), image, digest)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith("::error::" + message)
    assert action.read_text() == (ROOT / "action.yml").read_text()


def test_pin_image_refuses_an_action_that_does_not_build_the_dockerfile(action: Path) -> None:
    text = action.read_text().replace("  image: Dockerfile", "  image: x")
    action.write_text(text)
    done = release("pin-image", str(action), IMAGE, DIGEST)
    assert done.returncode == 1
    assert "expected the line '  image: Dockerfile' once" in done.stderr
    assert action.read_text() == text


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


@pytest.fixture
def tagged(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q")
    identity = ["-c", "user.name=t", "-c", "user.email=t@t"]
    git(tmp_path, *identity, "commit", "-q", "--allow-empty", "-m", "x")
    for tag in ("v1.0.0", "v1.9.0", "v1.10.0", "v2.0.0-rc.1", "v0.3.0"):
        git(tmp_path, "tag", tag)
    return tmp_path


@pytest.mark.parametrize(
    ("version", "tags", "why"),
    [
        ("v1.10.0", ["v1.10.0", "v1"], ""),
        ("v1.10.1", ["v1.10.1", "v1"], ""),
        ("v1.9.1", ["v1.9.1"], "v1.10.0 is newer than v1.9.1: v1 stays where it is"),
        ("v2.0.0-rc.1", ["v2.0.0-rc.1"], "v2.0.0-rc.1 is a pre-release: v2 stays where it is"),
        ("v2.0.0", ["v2.0.0", "v2"], ""),
    ],
)
def test_tags_to_move(tagged: Path, version: str, tags: list[str], why: str) -> None:
    done = release("tags-to-move", version, cwd=tagged)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == tags
    assert done.stderr.strip() == why


@pytest.mark.parametrize("version", ["1.2.3", "v1.2", "v1.2.3.4", "latest"])
def test_tags_to_move_refuses_what_is_not_a_release_tag(tagged: Path, version: str) -> None:
    done = release("tags-to-move", version, cwd=tagged)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith(f"::error::not a release tag: '{version}'")


def release_steps() -> list[dict[str, Any]]:
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "release.yml").read_text())
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def release_step(action: str) -> dict[str, Any]:
    """The one step of the release workflow that uses ``action`` (owner/name)."""
    (step,) = [s for s in release_steps() if s.get("uses", "").startswith(f"{action}@")]
    return step


def test_the_release_tags_the_image_with_the_version_parts_and_the_commit_sha() -> None:
    assert release_step("docker/metadata-action")["with"]["tags"].split() == [
        "type=semver,pattern={{version}}",
        "type=semver,pattern={{major}}.{{minor}}",
        "type=semver,pattern={{major}}",
        "type=sha,format=long,prefix=",
    ]


def test_the_release_workflow_runs_the_tested_script() -> None:
    scripts = "\n".join(step.get("run", "") for step in release_steps())
    assert (
        'ref="$(bash .github/scripts/release.sh pin-image action.yml "$IMAGE" "$DIGEST")"'
        in scripts
    )
    assert 'release.sh tags-to-move "$VERSION"' in scripts


def test_the_release_builds_for_amd64_and_arm64() -> None:
    build = release_step("docker/build-push-action")
    assert build["with"]["platforms"].split(",") == ["linux/amd64", "linux/arm64"]
    assert release_step("docker/setup-qemu-action")["with"]["platforms"] == "arm64"
