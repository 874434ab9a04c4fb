from django.urls import path

from handbook_review.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.notifications, name="list"),
    path("read/", views.mark_all_read, name="mark_all_read"),
    path("settings/", views.preferences, name="settings"),
    path("<int:pk>/open/", views.open_notification, name="open"),
]
