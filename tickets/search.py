"""Full-text search configuration: PostgreSQL's built-in snowball configs, no extensions."""

# Ticket language -> text search configuration. Languages without a stemmer in
# core PostgreSQL use 'simple' (words split on spaces and punctuation, lower-cased).
CONFIG_BY_LANGUAGE = {
    "ar": "arabic",
    "ca": "catalan",
    "da": "danish",
    "de": "german",
    "en": "english",
    "el": "greek",
    "es": "spanish",
    "fi": "finnish",
    "fr": "french",
    "hi": "hindi",
    "hu": "hungarian",
    "id": "indonesian",
    "it": "italian",
    "nl": "dutch",
    "no": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sv": "swedish",
    "tr": "turkish",
}
SIMPLE = "simple"
# A query is matched in 'simple' (exact words) and in the stemmers of the
# searcher's languages (selectors.search_configs_for), so "refunds" finds an
# English ticket saying "refund" and "reembolsos" a Spanish one saying "reembolso".


def config_for(language: str) -> str:
    return CONFIG_BY_LANGUAGE.get((language or "").split("-")[0].lower(), SIMPLE)
