from django.urls import path

from comments import views

app_name = "comments"

urlpatterns = [
    path("h/<slug:slug>/c/<int:pk>/threads/new/", views.new_thread, name="new_thread"),
    path("h/<slug:slug>/c/<int:pk>/annotations/", views.annotations, name="annotations"),
    path("h/<slug:slug>/c/<int:pk>/suggestions/new/", views.new_suggestion, name="new_suggestion"),
    path("h/<slug:slug>/c/<int:pk>/suggestions/bulk/", views.bulk_decide, name="bulk_decide"),
    path("suggestions/<int:pk>/accept/", views.accept_suggestion, name="accept_suggestion"),
    path("suggestions/<int:pk>/decide/", views.decide_suggestion, name="decide_suggestion"),
    path("suggestions/<int:pk>/reject/", views.reject_suggestion, name="reject_suggestion"),
    path("suggestions/<int:pk>/withdraw/", views.withdraw_suggestion, name="withdraw_suggestion"),
    path("threads/<int:pk>/", views.thread, name="thread"),
    path("threads/<int:pk>/reply/", views.reply, name="reply"),
    path("threads/<int:pk>/resolve/", views.resolve, name="resolve"),
    path("threads/<int:pk>/reattach/", views.reattach, name="reattach"),
    path("comments/<int:pk>/edit/", views.edit_comment, name="edit_comment"),
    path("comments/<int:pk>/delete/", views.delete_comment, name="delete_comment"),
    path("comments/<int:pk>/hide/", views.hide_comment, name="hide_comment"),
]
