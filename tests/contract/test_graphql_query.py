"""The GraphQL queries the store sends, against the schema of GitHub's GraphQL API.

The fake answers those queries without being a GraphQL engine, so a field GitHub does not have
would pass every other test; here the query is validated against @octokit/graphql-schema.
"""

from __future__ import annotations

from functools import cache

import pytest
from graphql import GraphQLSchema, build_schema, parse, validate

from recordings import GRAPHQL_SCHEMA, require
from registry_action.store.github.commit_times import PATHS_PER_QUERY
from registry_action.store.github.commit_times import query_for as commit_times_query
from registry_action.store.github.history import PER_PAGE
from registry_action.store.github.history import query_for as history_query
from registry_action.store.github.snapshot import snapshot_query
from registry_action.store.github.texts import TEXTS_PER_QUERY, query_for


@cache
def schema() -> GraphQLSchema:
    # GitHub's published SDL defines one field twice (EnterpriseOwnerInfo); the query does not
    # touch that type, so the SDL's own validation is skipped.
    text = require(GRAPHQL_SCHEMA).read_text(encoding="utf-8")
    return build_schema(text, assume_valid_sdl=True)


def problems(query: str) -> list[str]:
    return [error.message for error in validate(schema(), parse(query))]


@pytest.mark.parametrize("count", [1, 2, TEXTS_PER_QUERY])
def test_the_blob_queries_are_ones_github_answers(count: int) -> None:
    assert problems(query_for(count)) == []


@pytest.mark.parametrize(("count", "histories"), [(0, 0), (2, 0), (2, 1)])
def test_the_snapshot_query_is_one_github_answers(count: int, histories: int) -> None:
    assert problems(snapshot_query(count, histories)) == []


def test_the_check_refuses_a_field_github_does_not_have() -> None:
    misspelt = query_for(2).replace("isTruncated", "truncated")
    assert (
        problems(misspelt)
        == ["Cannot query field 'truncated' on type 'Blob'. Did you mean 'isTruncated'?"] * 2
    )


@pytest.mark.parametrize("count", [1, 2, PATHS_PER_QUERY])
def test_the_commit_time_queries_are_ones_github_answers(count: int) -> None:
    assert problems(commit_times_query(count)) == []


@pytest.mark.parametrize("count", [1, 2, PER_PAGE])
def test_the_history_queries_are_ones_github_answers(count: int) -> None:
    assert problems(history_query(count)) == []
