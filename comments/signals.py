from django.dispatch import Signal

# Sent on commit once per new comment (a thread's first comment or a reply), after its mentions
# are stored, with comment=<Comment>. The notifications app tells the thread's people;
# comments never imports notifications.
comment_posted = Signal()
