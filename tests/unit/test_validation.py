"""Finding every problem of a registry, with its file and line."""

from __future__ import annotations

from registry_action.core.strictjson import dumps
from registry_action.core.validation import Problem, find_problems
from registry_files import RAW, entry, manifest, registry, registry_files


def check(files: dict[str, bytes]) -> list[Problem]:
    index = files.pop("registry.json", None)
    return find_problems(index, files)


def test_a_consistent_registry_has_no_problems() -> None:
    assert check(registry_files(manifest("calendar"), manifest("todo", "2.0.0"))) == []


def test_an_empty_registry_has_no_problems() -> None:
    assert check({"registry.json": dumps(registry([]))}) == []


def test_a_missing_index_is_an_error() -> None:
    assert check({}) == [
        Problem("error", "registry.json", None, "registry.json is missing: run reindex")
    ]


def test_damaged_json_names_the_line() -> None:
    files = registry_files(manifest("calendar"))
    files["plugins/calendar.json"] = b'{\n  "id": "calendar",\n  "name" "x"\n}\n'
    assert check(files) == [
        Problem(
            "error",
            "plugins/calendar.json",
            3,
            "plugins/calendar.json is not valid JSON: Expecting ':' delimiter at line 3 column 10",
        )
    ]


def test_each_schema_violation_is_reported_on_its_line() -> None:
    bad = {"id": "Bad Id", "name": "", "version": "1.2"}
    files = {"registry.json": dumps(registry([bad]))}
    problems = check(files)
    # registry.json: line 5 opens the entry, 6 is its id, 7 its name, 8 its version.
    assert [(p.line, p.message.split(":")[0]) for p in problems] == [
        (5, "at /plugins/0"),
        (6, "at /plugins/0/id"),
        (7, "at /plugins/0/name"),
        (8, "at /plugins/0/version"),
    ]
    assert problems[0].message == "at /plugins/0: 'manifestUrl' is a required property"


def test_a_repeated_id_is_reported_where_it_repeats() -> None:
    calendar = manifest("calendar")
    files = registry_files(calendar)
    files["registry.json"] = dumps(registry([entry(calendar), entry(calendar)]))
    assert check(files) == [
        Problem(
            "error",
            "registry.json",
            12,
            "the plugin id 'calendar' is listed more than once (first at line 6, again at "
            "/plugins/1): remove one of the entries",
        )
    ]


def test_an_entry_without_its_manifest_is_an_error() -> None:
    files = registry_files(manifest("calendar"))
    del files["plugins/calendar.json"]
    assert check(files) == [
        Problem(
            "error",
            "registry.json",
            5,
            "the entry 'calendar' points at plugins/calendar.json, which does not exist: "
            "register the plugin again or remove the entry (unregister)",
        )
    ]


def test_each_field_that_disagrees_with_the_manifest_is_named() -> None:
    files = registry_files(manifest("calendar", "1.0.0"))
    files["plugins/calendar.json"] = dumps(
        manifest("calendar", "1.1.0", name="Calendar", manifestUrl="https://cdn.example/c.json")
    )
    problems = check(files)
    assert [(p.path, p.line) for p in problems] == [
        *[("registry.json", n) for n in (7, 8, 9)],
        ("plugins/calendar.json", 15),  # its manifestUrl names another file
    ]
    assert problems[1].message == (
        "the entry 'calendar' has version '1.0.0' but plugins/calendar.json has '1.1.0': "
        "run reindex or register the plugin again"
    )
    assert "name 'calendar'" in problems[0].message
    assert "manifestUrl" in problems[2].message


def test_a_manifest_named_after_another_id_is_an_error_on_its_id_line() -> None:
    files = registry_files(manifest("calendar"))
    files["plugins/calendar.json"] = dumps(manifest("agenda"))
    problems = check(files)
    assert (
        Problem(
            "error",
            "plugins/calendar.json",
            2,
            "the file is named 'calendar' but the manifest's id is 'agenda': rename it to "
            "plugins/agenda.json or correct the id",
        )
        in problems
    )
    # The index entry disagrees with the file's content too.
    assert any(p.path == "registry.json" and "has id 'calendar'" in p.message for p in problems)


def test_an_unlisted_manifest_is_a_warning() -> None:
    files = registry_files(manifest("calendar"))
    files["plugins/todo.json"] = dumps(manifest("todo"))
    assert check(files) == [
        Problem(
            "warning",
            "plugins/todo.json",
            None,
            "this manifest is listed nowhere in registry.json, so dashboards do not load it: "
            "register the plugin, run reindex, or delete the file",
        )
    ]


def test_every_problem_of_a_badly_damaged_registry_is_reported() -> None:
    calendar, todo = manifest("calendar"), manifest("todo")
    files = registry_files(calendar, todo)
    ghost = entry(manifest("ghost"))
    files["registry.json"] = dumps(
        registry([entry(calendar), {**entry(todo), "version": "9.0.0"}, entry(calendar), ghost])
    )
    files["plugins/broken.json"] = b"{"
    files["plugins/lonely.json"] = dumps(manifest("lonely"))
    files["plugins/todo.json"] = dumps({**todo, "ui": {"remoteEntry": "javascript:alert(1)"}})
    problems = check(files)
    summary = [(p.severity, p.path, p.line is not None) for p in problems]
    assert summary == [
        ("error", "registry.json", True),  # duplicate calendar
        ("error", "registry.json", True),  # ghost has no manifest
        ("warning", "plugins/broken.json", False),  # not listed
        ("error", "plugins/broken.json", True),  # and not JSON
        ("warning", "plugins/lonely.json", False),
        ("error", "plugins/todo.json", True),  # expose missing
        ("error", "plugins/todo.json", True),  # remoteEntry not http(s)
    ]


def test_a_manifest_url_naming_another_file_is_an_error_on_its_line() -> None:
    wrong = f"{RAW}/plugins/todo.json"
    files = registry_files(manifest("calendar", manifestUrl=wrong))
    assert check(files) == [
        Problem(
            "error",
            "plugins/calendar.json",
            15,
            f"manifestUrl is {wrong} but this file is plugins/calendar.json: dashboards would "
            "load another manifest; register the plugin again or correct it",
        )
    ]


def test_a_manifest_url_outside_the_registry_base_is_an_error_when_the_base_is_known() -> None:
    elsewhere = "https://cdn.example/plugins/calendar.json"
    files = registry_files(manifest("calendar", manifestUrl=elsewhere))
    index = files.pop("registry.json")
    assert find_problems(index, dict(files)) == []  # the file name alone is right
    assert find_problems(index, files, base_url=f"{RAW}/") == [
        Problem(
            "error",
            "plugins/calendar.json",
            15,
            f"manifestUrl is {elsewhere} but this file is fetched from "
            f"{RAW}/plugins/calendar.json: dashboards would load another manifest; register "
            "the plugin again or correct it",
        )
    ]
    assert find_problems(index, files, base_url="https://cdn.example") == []


def test_two_ids_loading_the_same_container_are_an_error_naming_both() -> None:
    files = registry_files(manifest("myplugin"), manifest("calendar"), manifest("my-plugin"))
    assert check(files) == [
        Problem(
            "error",
            "registry.json",
            18,
            "the ids 'myplugin' (line 6) and 'my-plugin' load the same Module Federation "
            "container window.myplugin (dashboards keep only the letters and digits of an id): "
            "one plugin would replace the other; unregister one and register it under an id "
            "that differs in a letter or digit",
        )
    ]


def test_ids_differing_in_letters_or_case_load_different_containers() -> None:
    files = registry_files(manifest("my-plugin"), manifest("my-plugin2"), manifest("My_Plugin3"))
    assert check(files) == []
