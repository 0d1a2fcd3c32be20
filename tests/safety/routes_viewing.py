"""Route kinds of this part (see tests/safety/routes.py)."""

# A file's preview and reveal, a message's text reveal: by the attachment's or message's
# id, through the tickets a person may see (tickets.selectors.visible_tickets); out of
# scope is 404 (tests/safety/test_viewing_views.py).
OBJECT_ROUTES = {
    "safety:derivative": ["get"],
    "safety:reveal": ["post"],
    "safety:reveal_text": ["post"],
    # An admin's: 404 for anyone else (tests/safety/test_viewing_settings.py).
    "safety:mask_word_delete": ["post"],
}
# The end of one's own reveal (another person's token changes nothing), one's own
# protection.
OWN = {"safety:reveal_end": ["post"], "safety:protection": ["get", "post"]}
# Marking, by the ticket's reference (tickets.selectors.get_ticket_for).
TICKET_ROUTES = {"safety:mark": ["post"], "safety:unmark": ["post"]}
# The organisation's protection and the word lists: admins only, 404 for agents.
EDITOR_ROUTES = {"safety:protection_org": ["get", "post"], "safety:mask_words": ["get", "post"]}
