from django.urls import path, re_path

from aigcert.itembank import views

app_name = "itembank"

urlpatterns = [
    path("staff/items/", views.item_list, name="item_list"),
    path("staff/items/bulk/", views.item_bulk, name="item_bulk"),
    path("staff/items/new/", views.item_new, name="item_new"),
    path("staff/items/template.xlsx", views.template_download, name="template"),
    path("staff/items/export/", views.items_export, name="export"),
    path("staff/items/import/", views.import_start, name="import_start"),
    path("staff/items/import/<uuid:code>/", views.import_status, name="import_status"),
    path("staff/items/import/<uuid:code>/confirm/", views.import_confirm, name="import_confirm"),
    path("staff/items/<uuid:code>/", views.item_detail, name="item_detail"),
    path("staff/items/<uuid:code>/edit/", views.item_edit, name="item_edit"),
    path("staff/items/<uuid:code>/preview/", views.item_preview, name="item_preview"),
    path("staff/items/<uuid:code>/<slug:action>/", views.item_action, name="item_action"),
    re_path(r"^itembank/assets/(?P<sha256>[0-9a-f]{64})\.(?P<extension>png|jpg|gif|webp)$", views.asset_serve,
            name="asset"),
]
