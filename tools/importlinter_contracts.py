"""A custom import-linter contract: between apps, only `api` and `data` may be imported.

ARCHITECTURE.md: "A higher app may import a lower one only through its api.py (functions) and data.py
(frozen dataclasses)." The built-in layers contract gives the direction; this one gives the doorway.
"""

from __future__ import annotations

from importlinter import Contract, ContractCheck, fields, output

PUBLIC_MODULES = ("api", "data")


def app_of(module: str, root: str, apps: set[str]) -> str | None:
    parts = module.split(".")
    if len(parts) >= 2 and parts[0] == root and parts[1] in apps:
        return parts[1]
    return None


def is_public(module: str, root: str, app: str, public: tuple[str, ...]) -> bool:
    parts = module.split(".")
    # `aigcert.catalog` itself (the package) or `aigcert.catalog.api[.x]` / `aigcert.catalog.data[.x]`.
    return parts[:2] == [root, app] and (len(parts) == 2 or parts[2] in public)


def illegal_imports(graph, root: str, apps: set[str], public: tuple[str, ...]) -> list[tuple[str, str, list[int]]]:
    found = []
    for importer in sorted(graph.modules):
        importer_app = app_of(importer, root, apps)
        if importer_app is None:
            continue
        for imported in sorted(graph.find_modules_directly_imported_by(importer)):
            imported_app = app_of(imported, root, apps)
            if imported_app is None or imported_app == importer_app:
                continue
            if not is_public(imported, root, imported_app, public):
                details = graph.get_import_details(importer=importer, imported=imported)
                found.append((importer, imported, [d["line_number"] for d in details]))
    return found


class PublicApiContract(Contract):
    type_name = "public_api"

    root = fields.StringField()
    apps = fields.ListField(subfield=fields.StringField())

    def check(self, graph, verbose: bool) -> ContractCheck:
        found = illegal_imports(graph, self.root, set(self.apps), PUBLIC_MODULES)
        return ContractCheck(kept=not found, metadata={"illegal": found})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for importer, imported, lines in check.metadata["illegal"]:
            output.print_error(f"{importer} -> {imported} (l.{', '.join(map(str, lines))})", bold=False)
            output.new_line()
        output.print(f"Import another app only through its {' or '.join(PUBLIC_MODULES)} module.")
