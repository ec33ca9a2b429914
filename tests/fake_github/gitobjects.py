"""Git object hashing, so every sha the fake hands out is the one git itself would compute."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping

FILE_MODE = "100644"
DIR_MODE = "40000"
BASE64_LINE = 60


def _object_sha(kind: str, payload: bytes) -> str:
    header = f"{kind} {len(payload)}\0".encode()
    return hashlib.sha1(header + payload, usedforsecurity=False).hexdigest()


def blob_sha(data: bytes) -> str:
    """The sha of a blob: sha1 of ``b"blob <len>\\0" + data``, as ``git hash-object`` prints."""
    return _object_sha("blob", data)


def _tree_sort_key(entry: tuple[str, str, str]) -> bytes:
    mode, name, _ = entry
    # git orders a directory as if its name ended with "/".
    return (name + "/" if mode == DIR_MODE else name).encode()


def tree_sha(files: Mapping[str, str], directory: str = "") -> str:
    """The sha of the tree at ``directory`` for a flat ``{path: blob sha}`` snapshot."""
    prefix = f"{directory}/" if directory else ""
    entries: dict[str, tuple[str, str, str]] = {}
    for path, sha in files.items():
        if not path.startswith(prefix):
            continue
        name, _, rest = path[len(prefix) :].partition("/")
        if rest:
            if name not in entries:
                entries[name] = (DIR_MODE, name, tree_sha(files, prefix + name))
        else:
            entries[name] = (FILE_MODE, name, sha)
    payload = b"".join(
        f"{mode} {name}\0".encode() + bytes.fromhex(sha)
        for mode, name, sha in sorted(entries.values(), key=_tree_sort_key)
    )
    return _object_sha("tree", payload)


def commit_sha(
    tree: str,
    parents: tuple[str, ...],
    author: str,
    committer: str,
    message: str,
) -> str:
    """The sha of a commit object; ``author`` and ``committer`` are git identity lines."""
    lines = [f"tree {tree}", *(f"parent {p}" for p in parents)]
    lines += [f"author {author}", f"committer {committer}", "", message]
    return _object_sha("commit", "\n".join(lines).encode())


def base64_lines(data: bytes) -> str:
    """Base64 broken into lines of 60 characters, each ending in a newline, as GitHub sends it."""
    encoded = base64.b64encode(data).decode("ascii")
    return "".join(encoded[i : i + BASE64_LINE] + "\n" for i in range(0, len(encoded), BASE64_LINE))
