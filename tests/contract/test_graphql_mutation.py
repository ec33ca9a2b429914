"""The commit mutation the store sends, document and variables, against GitHub's GraphQL schema.

The fake answers ``createCommitOnBranch`` without being a GraphQL engine, so a field or an
input GitHub does not have would pass every other test. Here the mutation document is
validated against @octokit/graphql-schema, and so are the variables of a request the store
really sent (coerced as GitHub's server coerces them: types, required fields, no others).
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from graphql import GraphQLSchema, OperationDefinitionNode, build_schema, parse, validate
from graphql.execution.values import get_variable_values

from fake_github import FakeGitHub
from harness import REGISTRY, WRITE_TOKEN
from recordings import GRAPHQL_SCHEMA, require
from registry_action.store.github.commits import COMMIT_MUTATION
from registry_action.store.github.contents import GitHubStore, make_client
from registry_action.store.interface import Deadline, FileWrite


@cache
def schema() -> GraphQLSchema:
    # GitHub's published SDL defines one field twice (EnterpriseOwnerInfo); the mutation does
    # not touch that type, so the SDL's own validation is skipped.
    text = require(GRAPHQL_SCHEMA).read_text(encoding="utf-8")
    return build_schema(text, assume_valid_sdl=True)


def problems(query: str, variables: dict[str, Any]) -> list[str]:
    """What GitHub's schema finds wrong with a request: its document, then its variables."""
    document = parse(query)
    found = [error.message for error in validate(schema(), document)]
    [operation] = document.definitions
    assert isinstance(operation, OperationDefinitionNode)
    coerced = get_variable_values(schema(), operation.variable_definitions or (), variables)
    if isinstance(coerced, list):
        found += [error.message for error in coerced]
    return found


def sent_commit(fake: FakeGitHub) -> dict[str, Any]:
    """The body of the one mutation the store sent."""
    [request] = [r for r in fake.requests if r.path == "/graphql" and r.is_write]
    body: dict[str, Any] = json.loads(request.body)
    return body


def test_the_commit_the_store_sends_is_one_github_answers(fake: FakeGitHub) -> None:
    fake.put_files(REGISTRY, {"plugins/old.json": b"{}\n", "plugins/keep.json": b"{}\n"})
    store = GitHubStore(
        make_client(WRITE_TOKEN, fake.api_url, deadline=Deadline(600)), REGISTRY, "main"
    )
    head = store.head()
    changes = [
        FileWrite("plugins/new.json", b'{"id": "new"}\n', None),
        FileWrite(
            "plugins/old.json", None, store.read_folder("plugins")["plugins/old.json"].version
        ),
    ]
    store.commit(changes, head, "Reindex registry\n\nTwo files.")
    body = sent_commit(fake)
    assert problems(body["query"], body["variables"]) == []
    assert body["variables"]["input"]["message"] == {
        "headline": "Reindex registry",
        "body": "Two files.",
    }


def test_the_check_refuses_what_github_does_not_take() -> None:
    variables = {
        "input": {
            "branch": {"repositoryNameWithOwner": REGISTRY, "branchName": "main"},
            "expectedHeadOid": "0" * 40,
            "message": {"headline": "m"},
            "fileChanges": {"additions": [{"path": "a.json", "content": "e30K"}]},
        }
    }
    assert problems(COMMIT_MUTATION.replace("oid url", "oid link"), variables) == [
        "Cannot query field 'link' on type 'Commit'.",
        "Variable '$input' got invalid value {'path': 'a.json', 'content': 'e30K'} at "
        "'input.fileChanges.additions[0]'; Field 'contents' of required type 'Base64String!' "
        "was not provided.",
        "Variable '$input' got invalid value {'path': 'a.json', 'content': 'e30K'} at "
        "'input.fileChanges.additions[0]'; Field 'content' is not defined by type "
        "'FileAddition'. Did you mean 'contents'?",
    ]
