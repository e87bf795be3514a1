"""Refusals of the user's input.

Each is a value with one line for a person: what was wrong and where. The CLI
turns every `UserInputError` into that line on stderr and exit code 2, and a
`WorkFailed` into its line and exit code 1; nothing else is caught broadly.
"""

from __future__ import annotations


class UserInputError(Exception):
    """The user's input was refused; nothing was written."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidAnswer(UserInputError):
    """An answer (from NAME, --data, a spec file or a prompt) breaks a rule of copier.yml."""

    def __init__(self, message: str, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key

    def at(self, where: str | None) -> InvalidAnswer:
        """The same refusal, prefixed with where the answer came from (a spec file's line)."""
        return InvalidAnswer(f"{where}: {self.message}", self.key) if where else self


class UnknownQuestion(UserInputError):
    """A key that copier.yml does not ask."""


class SpecError(UserInputError):
    """A spec file that cannot be read, parsed or matched to the questions."""


class TargetNotEmpty(UserInputError):
    """The target folder holds files and --force was not given."""


class UnsafeTarget(UserInputError):
    """The target, or a folder on its way, is a file, or cannot be written."""


class WorkFailed(Exception):
    """A step outside fastgen failed (git); exit code 1, with the tool's own words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
