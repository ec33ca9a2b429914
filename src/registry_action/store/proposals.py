"""The interface pull-request mode works on: branches and pull requests of the registry.

A protected registry branch cannot be written directly; instead a change is made on a branch
of its own and proposed as a pull request into the registry branch.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from registry_action.store.interface import RegistryStore


@dataclass(frozen=True)
class PullRequest:
    """An open pull request, as the action's outputs report it."""

    number: int
    url: str


class ProposalHost(ABC):
    """Branches and pull requests into one base branch of a repository."""

    @property
    @abstractmethod
    def base(self) -> str:
        """The branch pull requests go into (the registry branch)."""

    @abstractmethod
    def files_on(self, branch: str) -> RegistryStore:
        """The files of ``branch``, read and written as any registry store."""

    @abstractmethod
    def find_open_pull(self, head: str) -> PullRequest | None:
        """The open pull request from ``head`` into the base branch, if there is one."""

    @abstractmethod
    def start_branch(self, name: str) -> None:
        """Point ``name`` at the base branch's head, creating the branch if it is missing."""

    @abstractmethod
    def create_pull(self, head: str, title: str, body: str) -> PullRequest:
        """Open a pull request from ``head``; ConflictError if one was opened meanwhile."""

    @abstractmethod
    def update_pull(self, number: int, title: str, body: str) -> PullRequest:
        """Replace the title and description of pull request ``number``."""
