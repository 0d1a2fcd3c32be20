"""How chat's routes are scoped (tests/test_route_scoping.py collects this)."""

# The requester's side: the page, the widget's words and the start (rate-limited); then
# the chat by its unguessable token (a wrong one is 404: tests/chat/test_chat_views.py).
PUBLIC = {"chat_help:page", "chat_help:config", "chat_help:start"}
TOKEN_ROUTES = {
    "chat_help:state": ["get"],
    "chat_help:send": ["post"],
    "chat_help:typing": ["post"],
    "chat_help:end": ["post"],
    "chat_help:leave": ["post"],
    "chat_help:transcript": ["post"],
    # Files: sent by the requester, and those of the chat's public messages read back (a
    # file of another ticket is 404: tests/chat/test_chat_views.py).
    "chat_help:send_file": ["post"],
    "chat_help:file": ["get"],
    "push:requester": ["get"],
    # A native app starts its user's chat with its key (as in-app requests): an unknown or
    # disabled key is 401 (tests/chat/test_inapp_chat.py); then the token routes above.
    "api-inapp-chats": ["post"],
}
# One's own status, sign of life, chats page (the line and the agents' table go through
# chat.selectors.visible_chats and accounts' visible_users), and one's own push stream.
OWN = {"chat:console": ["get"], "chat:status": ["post"], "chat:heartbeat": ["post"],
       "push:agent": ["get"]}  # fmt: skip
# A chat by its id, through the tickets a person may see (chat.selectors.visible_chats):
# another vendor's chat is 404 on every route (tests/chat/test_chat_views.py).
CHAT_ROUTES = {
    "chat:accept": ["post"],
    "chat:decline": ["post"],
    "chat:send": ["post"],
    "chat:typing": ["post"],
    "chat:messages": ["get"],
    "chat:end": ["post"],
    "chat:transfer": ["post"],
    "push:chat": ["get"],
}
