from django.urls import path

from chapters import views

app_name = "chapters"

urlpatterns = [
    path("h/<slug:slug>/new/", views.add_chapter, name="add_chapter"),
    path("h/<slug:slug>/c/<int:pk>/edit/", views.edit_chapter, name="edit_chapter"),
    path("h/<slug:slug>/c/<int:pk>/move/", views.move_chapter, name="move_chapter"),
    path("h/<slug:slug>/c/<int:pk>/history/", views.history, name="history"),
    path("h/<slug:slug>/c/<int:pk>/history/compare/", views.compare, name="compare"),
    path(
        "h/<slug:slug>/c/<int:pk>/history/<int:number>/restore/",
        views.restore,
        name="restore",
    ),
]
