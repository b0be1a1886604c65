"""Named plug-ins (strategies, scorers): a module in a package registers its class with
`@registry.register(name)`; configs name it as {name: ..., <its own parameters>}."""
from __future__ import annotations

import importlib
import pkgutil
from typing import Any, Iterable

from thinkbench.harness.errors import InputError
from thinkbench.harness.validate import build


class Registry:
    def __init__(self, kind: str, package: str, helpers: Iterable[str] = ()) -> None:
        self.kind, self.package, self.helpers = kind, package, set(helpers)
        self._classes: dict[str, type] = {}

    def register(self, name: str):
        def deco(cls):
            cls.name = name
            self._classes[name] = cls
            return cls

        return deco

    def _load_all(self) -> None:
        # Importing every module of the package is what runs their @register lines.
        package = importlib.import_module(self.package)
        for mod in pkgutil.iter_modules(package.__path__):
            if mod.name not in self.helpers:
                importlib.import_module(f"{self.package}.{mod.name}")

    def classes(self) -> dict[str, type]:
        self._load_all()
        return dict(sorted(self._classes.items()))

    def names(self) -> list[str]:
        return list(self.classes())

    def resolve(self, config: Any, where: str) -> tuple[type, Any, str]:
        """(class, its validated Params, where-label naming it) from {name: ..., <params>}."""
        if not isinstance(config, dict) or "name" not in config:
            raise InputError(f"{where}: needs a `name` (one of {', '.join(self.names())})")
        params = dict(config)
        name = params.pop("name")
        if name not in self._classes:
            self._load_all()
        if name not in self._classes:
            raise InputError(f"{where}.name: unknown {self.kind} {name!r} (known: {', '.join(self.names())})")
        cls = self._classes[name]
        label = f"{where}({name})"
        return cls, build(cls.Params, params, label), label
