"""One handler per event class, found as fast as a dict lookup.

A projection's ``apply`` finds the small function that handles an event through a table keyed
by the event's class, rather than down a chain of ``isinstance`` tests: ``table[type(event)]``
is one lookup however many classes the table holds. A class the table does not list (a
subclass, or an event the projection handles without a function of its own) gets the handler
of its nearest listed base class, as ``isinstance`` would choose, else the table's default;
that choice is made once per class and remembered.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

H = TypeVar("H")


class Dispatch(dict[type[Any], H]):
    """Handlers by event class (see the module's docstring)."""

    def __init__(self, handlers: Mapping[type[Any], H], *, default: H) -> None:
        super().__init__(handlers)
        self._listed = dict(handlers)
        self._default = default

    def __missing__(self, cls: type[Any]) -> H:
        listed = self._listed
        handler = next((listed[base] for base in cls.__mro__ if base in listed), self._default)
        self[cls] = handler
        return handler
