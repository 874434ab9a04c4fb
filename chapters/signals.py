from django.dispatch import Signal

# Sent by Chapter.revise inside its transaction, once per new version, with
# chapter=<Chapter at the new version>, previous_version=<int>, previous_body=<str>.
# The comments app re-anchors its threads on it; chapters never imports comments.
chapter_revised = Signal()

# Sent by chapters.review before a chapter is approved, with chapter=<Chapter>. Each receiver
# returns a list of reasons against it ("3 open suggestions"); an empty list means no objection.
approval_check = Signal()

# The same, before a chapter in review goes back to draft: reasons are the discussion on it.
draft_check = Signal()

# Sent by the round page with round=<Round>: where a jurisdiction's coordinator votes instead of
# signing off, receivers return {(chapter_id, jurisdiction_id): (vote label, voter, when)} for its
# standing votes in the round (the comments app holds the votes).
round_votes = Signal()
# Sent once a published edition is committed (from transaction.on_commit), with
# edition=<Edition>. The comments floor mails each jurisdiction's coordinators what happened to
# their comments; a receiver that fails does not undo the publication.
edition_published = Signal()
