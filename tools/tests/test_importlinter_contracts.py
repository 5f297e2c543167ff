import grimp

from tools.importlinter_contracts import PUBLIC_MODULES, illegal_imports

APPS = {"core", "catalog", "portal"}


def graph_with(*imports: tuple[str, str]) -> grimp.ImportGraph:
    graph = grimp.ImportGraph()
    for importer, imported in imports:
        graph.add_import(importer=importer, imported=imported, line_number=1, line_contents="import x")
    return graph


def test_importing_another_apps_models_is_reported():
    graph = graph_with(("aigcert.portal.views", "aigcert.catalog.models"))
    assert illegal_imports(graph, "aigcert", APPS, PUBLIC_MODULES) == [
        ("aigcert.portal.views", "aigcert.catalog.models", [1])
    ]


def test_api_data_and_own_modules_are_allowed():
    graph = graph_with(
        ("aigcert.portal.views", "aigcert.catalog.api"),
        ("aigcert.portal.views", "aigcert.catalog.data"),
        ("aigcert.portal.views", "aigcert.catalog"),
        ("aigcert.catalog.views", "aigcert.catalog.models"),
        ("aigcert.conftest", "aigcert.catalog.models"),
        ("aigcert.catalog.models", "django.db"),
    )
    assert illegal_imports(graph, "aigcert", APPS, PUBLIC_MODULES) == []
