"""Image size: the built image, its base and the layers the project adds, uncompressed.

Reads what the container engine reports (``image inspect`` and ``history``), and prints the
sizes in MB (10^6 bytes, as podman and docker print them) and the verdict against the target
(at most 150 MB for the base plus the project's layers).

    python bench/image.py [IMAGE] [--base BASE] [--engine podman|docker] [--max-mb 150]

IMAGE defaults to ``localhost/registry-action:ci``, the tag .ci/container.sh builds. The base
defaults to the one the image records (the ``org.opencontainers.image.base.name`` annotation
that podman writes); give ``--base`` for images built by docker. Podman's storage is the
private one .ci/container.sh uses, unless CONTAINERS_STORAGE_CONF says otherwise. With
``--fail`` the exit status is 1 when the image is over ``--max-mb``. With ``--compressed`` it
also saves the image and gzips each layer as a registry stores it (level 6, docker's and
podman's default), which is what a runner downloads before the first step can start.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

MB = 1_000_000
DEFAULT_IMAGE = "localhost/registry-action:ci"
CI_STATE_DIR = Path("/var/lib/registry-action-ci")
BASE_ANNOTATION = "org.opencontainers.image.base.name"


@dataclass(frozen=True)
class Image:
    name: str
    size: int
    layers: tuple[str, ...]
    base_name: str | None


@dataclass(frozen=True)
class Step:
    size: int
    created_by: str


def engine_env(engine: str) -> dict[str, str]:
    env = dict(os.environ)
    if engine == "podman" and "CONTAINERS_STORAGE_CONF" not in env:
        for name, path in (
            ("CONTAINERS_STORAGE_CONF", CI_STATE_DIR / "storage.conf"),
            ("CONTAINERS_CONF", CI_STATE_DIR / "containers.conf"),
        ):
            if path.is_file():
                env[name] = str(path)
    return env


def run_json(engine: str, *args: str) -> Any:
    done = subprocess.run(
        [engine, *args], env=engine_env(engine), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"{engine} {' '.join(args)}: {done.stderr.strip()}")
    return json.loads(done.stdout)


def inspect(engine: str, name: str) -> Image:
    data = run_json(engine, "image", "inspect", name)[0]
    annotations = data.get("Annotations") or {}
    return Image(
        name=name,
        size=int(data["Size"]),
        layers=tuple(data.get("RootFS", {}).get("Layers") or ()),
        base_name=annotations.get(BASE_ANNOTATION),
    )


def history(engine: str, name: str) -> list[Step]:
    """The image's build steps, newest first."""
    if engine == "docker":
        fmt = "{{json .}}"
        done = subprocess.run(
            ["docker", "history", "--no-trunc", "--human=false", "--format", fmt, name],
            capture_output=True,
            text=True,
            check=True,
        )
        rows = [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
        return [Step(int(row["Size"]), row["CreatedBy"]) for row in rows]
    rows = run_json(engine, "history", "--format", "json", name)
    return [Step(int(row["size"]), row["CreatedBy"]) for row in rows]


def gzip_size(stream: IO[bytes]) -> int:
    """Bytes of the stream compressed with zlib level 6 in a gzip wrapper (18 bytes)."""
    packer = zlib.compressobj(6, zlib.DEFLATED, -zlib.MAX_WBITS)
    size = 18
    while chunk := stream.read(1 << 20):
        size += len(packer.compress(chunk))
    return size + len(packer.flush())


def compressed_layers(engine: str, name: str) -> list[int]:
    """The gzip size of each of the image's layers, bottom first."""
    with tempfile.TemporaryDirectory() as folder:
        archive = os.path.join(folder, "image.tar")
        subprocess.run(
            [engine, "save", "--format", "docker-archive", "-o", archive, name],
            env=engine_env(engine),
            check=True,
            capture_output=True,
        )
        with tarfile.open(archive) as saved:
            manifest_file = saved.extractfile("manifest.json")
            assert manifest_file is not None
            layers: list[str] = json.load(manifest_file)[0]["Layers"]
            sizes = []
            for layer in layers:
                stream = saved.extractfile(layer)
                assert stream is not None, layer
                sizes.append(gzip_size(stream))
    return sizes


def describe(step: Step, width: int = 90) -> str:
    text = " ".join(step.created_by.replace("/bin/sh -c #(nop) ", "").split())
    return text if len(text) <= width else text[: width - 3] + "..."


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("image", nargs="?", default=DEFAULT_IMAGE)
    parser.add_argument("--base", help="base image (default: the one the image records)")
    parser.add_argument("--engine", choices=("podman", "docker"), default="podman")
    parser.add_argument("--max-mb", type=float, default=150.0)
    parser.add_argument("--fail", action="store_true", help="exit 1 when over --max-mb")
    parser.add_argument("--compressed", action="store_true", help="also the gzip sizes")
    args = parser.parse_args()

    image = inspect(args.engine, args.image)
    base_name = args.base or image.base_name
    if not base_name:
        raise SystemExit(f"{args.image} records no base image: give --base")
    base = inspect(args.engine, base_name)
    if image.layers[: len(base.layers)] != base.layers:
        raise SystemExit(f"{args.image} is not built on {base_name}: their layers differ")

    steps = history(args.engine, args.image)
    added = steps[: len(steps) - len(history(args.engine, base_name))]
    project = image.size - base.size
    layer_count = len(image.layers) - len(base.layers)
    print(f"image            {image.size / MB:8.1f} MB  {image.name}")
    print(f"base             {base.size / MB:8.1f} MB  {base.name}")
    print(f"project layers   {project / MB:8.1f} MB  ({layer_count} layer(s))")
    for step in reversed(added):
        if step.size:
            print(f"  {step.size / MB:8.1f} MB  {describe(step)}")
    if args.compressed:
        packed = compressed_layers(args.engine, args.image)
        in_base = sum(packed[: len(base.layers)])
        print(
            f"compressed (gzip -6): image {sum(packed) / MB:.1f} MB = base {in_base / MB:.1f} MB"
            f" + project layers {(sum(packed) - in_base) / MB:.1f} MB"
        )
    over = image.size > args.max_mb * MB
    margin = abs(image.size / MB - args.max_mb)
    print(f"{'over' if over else 'within'} the target of {args.max_mb:g} MB by {margin:.1f} MB")
    return 1 if over and args.fail else 0


if __name__ == "__main__":
    sys.exit(main())
