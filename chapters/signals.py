from django.dispatch import Signal

# Sent by Chapter.revise inside its transaction, once per new version, with
# chapter=<Chapter at the new version>, previous_version=<int>, previous_body=<str>.
# The comments app re-anchors its threads on it; chapters never imports comments.
chapter_revised = Signal()

# Sent on commit when an edition is published, with edition=<Edition>, so notifications can tell
# the handbook's people; chapters never imports the notifications app.
edition_published = Signal()
