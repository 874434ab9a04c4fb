from django.urls import path

from chapters import edition_views, import_views, review_views, views

app_name = "chapters"

urlpatterns = [
    path("h/<slug:slug>/new/", views.add_chapter, name="add_chapter"),
    path("h/<slug:slug>/import/", import_views.import_upload, name="import_upload"),
    path("h/<slug:slug>/import/<int:pk>/", import_views.import_job, name="import_job"),
    path(
        "h/<slug:slug>/import/<int:pk>/confirm/",
        import_views.import_confirm,
        name="import_confirm",
    ),
    path("h/<slug:slug>/c/<int:pk>/edit/", views.edit_chapter, name="edit_chapter"),
    # The Markdown editor's image uploads, per handbook (and chapter): the image is theirs.
    path("h/<slug:slug>/images/upload/", views.upload_image, name="upload_image"),
    path(
        "h/<slug:slug>/c/<int:pk>/images/upload/",
        views.upload_image,
        name="upload_chapter_image",
    ),
    path("h/<slug:slug>/c/<int:pk>/move/", views.move_chapter, name="move_chapter"),
    path("h/<slug:slug>/c/<int:pk>/history/", views.history, name="history"),
    path("h/<slug:slug>/c/<int:pk>/history/compare/", views.compare, name="compare"),
    path(
        "h/<slug:slug>/c/<int:pk>/history/<int:number>/restore/",
        views.restore,
        name="restore",
    ),
    # Review rounds, sign-off and the chapter workflow.
    path("h/<slug:slug>/rounds/", review_views.rounds, name="rounds"),
    path("h/<slug:slug>/rounds/new/", review_views.new_round, name="new_round"),
    path("h/<slug:slug>/rounds/<int:pk>/", review_views.round_detail, name="round"),
    path("h/<slug:slug>/rounds/<int:pk>/edit/", review_views.edit_round, name="edit_round"),
    path("h/<slug:slug>/rounds/<int:pk>/extend/", review_views.extend_round, name="extend_round"),
    path("h/<slug:slug>/rounds/<int:pk>/close/", review_views.close_round, name="close_round"),
    path(
        "h/<slug:slug>/rounds/<int:pk>/c/<int:chapter_pk>/sign-off/",
        review_views.sign_off,
        name="sign_off",
    ),
    path(
        "h/<slug:slug>/rounds/<int:pk>/sign-offs/<int:sign_off_pk>/withdraw/",
        review_views.withdraw_sign_off,
        name="withdraw_sign_off",
    ),
    path("h/<slug:slug>/c/<int:pk>/workflow/", review_views.workflow, name="workflow"),
    # Editors move chapters of a handbook through one step together.
    path("h/<slug:slug>/workflow/", review_views.bulk_workflow, name="bulk_workflow"),
    path("h/<slug:slug>/editions/", edition_views.editions, name="editions"),
    path("h/<slug:slug>/editions/<str:label>/", edition_views.edition, name="edition"),
    path(
        "h/<slug:slug>/editions/<str:label>/changes/",
        edition_views.edition_changes,
        name="edition_changes",
    ),
    path(
        "h/<slug:slug>/editions/<str:label>/export/",
        edition_views.export_edition,
        name="export_edition",
    ),
    path(
        "h/<slug:slug>/editions/<str:label>/export/all/",
        edition_views.export_edition_all,
        name="export_edition_all",
    ),
    path(
        "h/<slug:slug>/editions/<str:label>/<int:number>/",
        edition_views.edition_chapter,
        name="edition_chapter",
    ),
    path("h/<slug:slug>/exports/", edition_views.draft_exports, name="draft_exports"),
    path("exports/<int:pk>/", edition_views.export_status, name="export_status"),
    path("exports/<int:pk>/download/", edition_views.export_download, name="export_download"),
]
