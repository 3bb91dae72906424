"""One module per language, each defining ``LEXICON`` (see ``messages.lexicon``)."""
