"""Writing documents: deterministic JSON, the same bytes for the same document.

Output is 2-space indented, with UTF-8 characters as themselves and a final newline; only
RFC 8259 JSON is written (no NaN, no infinities, no lone surrogates).
"""

from __future__ import annotations

import json
from typing import Any


def dumps(document: object) -> bytes:
    """Deterministic output: 2-space indent, UTF-8 characters as themselves, final newline."""
    plugins = document.get("plugins") if isinstance(document, dict) else None
    if isinstance(document, dict) and isinstance(plugins, list) and _all_flat(plugins):
        text = _dumps_flat_plugins(document, plugins)
    else:
        text = _text(document, indent=2)
    # Encoding refuses a lone surrogate (UnicodeEncodeError, a ValueError), as allow_nan=False
    # refuses NaN and the infinities: what no browser's JSON.parse reads is never written.
    return (text + "\n").encode("utf-8")


def _text(document: object, **options: Any) -> str:
    return json.dumps(document, ensure_ascii=False, allow_nan=False, **options)


_SCALARS = (str, int, float, bool, type(None))
# What json.dumps makes of the top-level "plugins" set to "\0plugins\0". No JSON string holds
# a raw line break, so only the top-level key can sit at the start of a line indented by two.
_PLACEHOLDER = '\n  "plugins": "\\u0000plugins\\u0000"'
_ENTRY_SEPARATORS = (",\n      ", ": ")


def _all_flat(entries: list[Any]) -> bool:
    return all(
        isinstance(e, dict) and e and all(isinstance(v, _SCALARS) for v in e.values())
        for e in entries
    )


def _dumps_flat_plugins(document: dict[str, Any], plugins: list[dict[str, Any]]) -> str:
    """What ``json.dumps(indent=2)`` writes, much faster for a long list of flat entries.

    With ``indent``, json uses its pure-Python encoder. The entries are written instead by the
    C encoder, with separators that carry the line breaks and indentation of an entry's fields;
    since no string in JSON holds a raw line break, ``},<newline>`` only ever falls between two
    entries, where the indentation of the list is put in. The rest goes through json.dumps.
    """
    if not plugins:
        return _text(document, indent=2)
    compact = _text(plugins, separators=_ENTRY_SEPARATORS)
    body = compact[2:-2].replace("},\n      {", "\n    },\n    {\n      ")
    entries = "[\n    {\n      " + body + "\n    }\n  ]"
    shell = _text({**document, "plugins": "\0plugins\0"}, indent=2)
    return shell.replace(_PLACEHOLDER, '\n  "plugins": ' + entries, 1)
