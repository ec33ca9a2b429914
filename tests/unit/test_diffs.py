"""Unified diffs of changed files, for the log and the job summary."""

from __future__ import annotations

from registry_action.engine.outcome import FileChange
from registry_action.report.diffs import markdown_diff, unified_diff


def test_a_changed_file_is_diffed_line_by_line() -> None:
    change = FileChange("registry.json", b'{\n  "a": 1\n}\n', b'{\n  "a": 2\n}\n')
    assert unified_diff(change) == (
        '--- a/registry.json\n+++ b/registry.json\n@@ -1,3 +1,3 @@\n {\n-  "a": 1\n+  "a": 2\n }\n'
    )


def test_created_and_deleted_files_are_diffed_against_dev_null() -> None:
    created = unified_diff(FileChange("plugins/x.json", None, b"{}\n"))
    deleted = unified_diff(FileChange("plugins/x.json", b"{}\n", None))
    assert created == "--- /dev/null\n+++ b/plugins/x.json\n@@ -0,0 +1 @@\n+{}\n"
    assert deleted == "--- a/plugins/x.json\n+++ /dev/null\n@@ -1 +0,0 @@\n-{}\n"


def test_a_file_without_a_final_newline_still_gives_whole_lines() -> None:
    assert unified_diff(FileChange("f", b"a", b"b")).endswith("-a\n+b\n")


def test_the_summary_block_is_fenced_and_cut_when_long() -> None:
    after = "".join(f"{n}\n" for n in range(50)).encode()
    block = markdown_diff(FileChange("big.json", None, after), limit=10)
    assert block.startswith("```diff\n--- /dev/null\n+++ b/big.json\n")
    assert block.endswith("```\n\n(43 more lines not shown; the log has the whole diff)")
    assert block.count("\n+") == 8
