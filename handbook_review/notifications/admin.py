from django.contrib import admin

from handbook_review.notifications.models import Notification, Preference


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin[Notification]):
    list_display = ("subject", "recipient", "event", "created_at", "read_at", "emailed_at")
    list_filter = ("event",)
    list_select_related = ("recipient",)
    search_fields = ("subject", "recipient__email", "recipient__name")
    readonly_fields = (
        "recipient",
        "event",
        "key",
        "reasons",
        "subject",
        "body",
        "about",
        "quote",
        "said",
        "url",
    )


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin[Preference]):
    list_display = ("user", "email", "last_digest_at")
    list_filter = ("email",)
    list_select_related = ("user",)
    raw_id_fields = ("user",)
