"""Refusals a service can give; handlers turn each code into a localized sentence."""

from __future__ import annotations


class ServiceError(Exception):
    """A use case refused: `code` says why, `params` fill the localized message."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params
