"""The action tests' tracker fixtures, for the red-flag paths tested here."""

from tests.actions.conftest import dispatcher, domain  # noqa: F401
