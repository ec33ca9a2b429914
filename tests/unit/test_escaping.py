"""Outside text in the log and the summary: escaped, scrubbed, cut to fit."""

from __future__ import annotations

import io

import pytest

from registry_action.core.escaping import code_fence, markdown_code, markdown_text, printable
from registry_action.engine.outcome import FileChange
from registry_action.report.diffs import markdown_diff
from registry_action.report.workflow import Reporter, fit_summary


def _reporter() -> tuple[Reporter, io.StringIO]:
    out = io.StringIO()
    return Reporter(in_actions=True, out=out, err=io.StringIO()), out


def test_a_log_line_that_reads_like_a_command_is_printed_with_commands_stopped() -> None:
    reporter, out = _reporter()
    reporter.info("Health check: answered 503 Starting\r::warning title=x::injected")
    reporter.info("  ##[error]old form\nplain")
    lines = out.getvalue().splitlines()
    assert lines[0] == "Health check: answered 503 Starting"
    assert lines[1].startswith("::stop-commands::")
    fence = lines[1].removeprefix("::stop-commands::")
    assert len(fence) == 32
    assert lines[2:4] == ["::warning title=x::injected", f"::{fence}::"]
    assert lines[4].startswith("::stop-commands::")
    assert lines[5] == "  ##[error]old form"
    assert lines[7] == "plain"


def test_every_line_of_a_multi_line_secret_is_scrubbed() -> None:
    reporter, out = _reporter()
    reporter.mask("-----BEGIN KEY-----\nc2VjcmV0TGluZQ==\n}\n-----END KEY-----\n")
    reporter.error("bad header: '-----BEGIN KEY-----\\nc2VjcmV0TGluZQ==' and }")
    reporter.info("echo c2VjcmV0TGluZQ== back")
    masks, rest = out.getvalue().split("::error", 1)
    assert masks.count("::add-mask::") == 4  # the runner is told of every line
    assert "c2VjcmV0TGluZQ==" not in rest and "BEGIN KEY" not in rest
    assert "*** back" in rest
    assert "and }" in rest  # too short to be a secret; scrubbing it would garble every line


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("plugins/a|b.json", "<code>plugins/a&#124;b.json</code>"),
        ("plugins/`x`.json", "<code>plugins/&#96;x&#96;.json</code>"),
        ("plugins/a\nb.json", "<code>plugins/a\\nb.json</code>"),
        ("plugins/<img src=x>.json", "<code>plugins/&lt;img src=x&gt;.json</code>"),
        ("plugins/calendar.json", "`plugins/calendar.json`"),
    ],
)
def test_a_file_name_cannot_break_a_table_row(text: str, shown: str) -> None:
    assert markdown_code(text) == shown
    assert "|" not in shown.replace("&#124;", "") and "\n" not in shown


def test_prose_is_literal_markdown_on_one_line() -> None:
    assert markdown_text("a | b <script> [x](y) *z*\nnext") == (
        "a \\| b &lt;script&gt; \\[x\\](y) \\*z\\*\\\\nnext"
    )
    assert printable("503 Starting\r::warning::x\x1b[2J") == "503 Starting\\r::warning::x\\x1b[2J"


def test_a_fence_outlasts_any_backticks_inside() -> None:
    assert code_fence("```\n````inject", "diff") == "`````diff\n```\n````inject\n`````"
    change = FileChange("plugins/x.json", b"```\n# heading\n", b"{}\n")
    assert markdown_diff(change).startswith("````diff\n")


def test_a_summary_too_big_is_cut_with_a_note() -> None:
    markdown = "# title\n\n```diff\n" + "+ line\n" * 100 + "```\n"
    assert fit_summary(markdown, 10_000) == markdown
    cut = fit_summary(markdown, 400)
    assert len(cut.encode()) <= 400
    kept, note = cut.split("\n> [!NOTE]\n")
    assert kept.endswith("+ line\n```\n")  # the open fence is closed before the note
    assert note.startswith("> The summary was cut here: ")
    assert "GitHub's 1 MiB limit" in note
