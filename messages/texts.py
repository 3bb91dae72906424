"""The bot's fixed texts: help, opt-out and opt-in, menu frame, safety and error replies.

Each is an English gettext msgid marked with ``N_`` (GSM-7 only) and rendered later in the
person's language with ``str.format``. The only placeholders are {service}, {page}, {pages},
{number}, {count} and {language}, each where ``PLACEHOLDERS`` says. Twilio's keywords (STOP,
START, HELP...) appear only in the HELP, STOP and START texts, where they are the instructions.
"""

from __future__ import annotations

from messages.i18n import N_

# The service's name: a brand, not translated.
SERVICE_NAME = "MS Stem Cell Info"

# NOTE: Added to health content. At most 80 characters.
SAFETY = N_("General information only, not medical advice. Talk to your neurologist.")

# NOTE: Sent when a message looks like an emergency. At most 160 characters.
EMERGENCY = N_(
    "If this is an emergency, call your local emergency number now. "
    "Then contact your MS team."
)

# NOTE: Sent for questions about a person's own case. MENU is a command word.
OUT_OF_SCOPE = N_(
    "I cannot give personal medical advice. Please ask your neurologist or MS team. "
    "Reply MENU for general information."
)

# NOTE: MENU is a command word.
NOT_UNDERSTOOD = N_("Sorry, I did not understand that. Reply MENU to see the topics.")

# NOTE: {service} is the service name. MENU, MORE, LANG and STOP are command words. Keep "Msg & data
# rates may apply." close to the usual wording in your country.
HELP = N_(
    "{service}: general information about stem-cell therapy for MS, from five web articles. "
    "Not medical advice. Reply MENU for topics, MORE for more, LANG to change language. "
    "Msg & data rates may apply. Reply STOP to stop."
)

# NOTE: {service} is the service name. START is a command word.
STOP_CONFIRM = N_(
    "You will get no more messages from {service}. Reply START to receive messages again."
)

# NOTE: MENU is a command word.
START_CONFIRM = N_("Welcome back. Reply MENU to see the topics.")

# NOTE: {service} is the service name. A numbered list of topics follows. At most 60 characters.
MENU_HEADER = N_("{service}: reply with a word or number:")

# NOTE: MORE and LANG are command words. At most 60 characters.
MENU_FOOTER = N_("MORE = next page, LANG = language")

# NOTE: {page} and {pages} are numbers, e.g. 1/3. MORE is a command word. At most 30 characters.
MORE_FOOTER = N_("Reply MORE ({page}/{pages})")

# NOTE: MENU is a command word. At most 100 characters.
END_OF_TOPIC = N_("That was the last page. Reply MENU for other topics.")

# NOTE: MENU is a command word.
NO_TOPIC_FOR_MORE = N_("There is nothing to continue. Reply MENU to see the topics.")

# NOTE: {number} is a document's number, 1 to 5. Starts the SOURCES reply: "Document 3: <title>...".
SOURCE_LABEL = N_("Document {number}")

# NOTE: {count} is the number of documents. SOURCES is a command word.
SOURCE_UNKNOWN = N_("There are documents 1 to {count}. Reply SOURCES 1, for example.")

# NOTE: {language} is the language's own name. LANG EN is a command. At most 80 characters.
LANGUAGE_CHANGED = N_("Language: {language}. Reply LANG EN for English.")

# NOTE: Sent when a picture, voice note or other media arrives. MENU is a command word.
TEXT_ONLY = N_("Sorry, I can only read text messages. Please type a word such as MENU.")

# NOTE: At most 100 characters.
RATE_LIMITED = N_("You have sent many messages. Please wait a little, then try again.")

# NOTE: {author} is who wrote a document, e.g. "Stemedix Inc., a clinic that sells the therapy".
SOURCE_AUTHOR = N_("By: {author}")

# NOTE: Put before a page that is shown in English because its translation is not ready.
FALLBACK_NOTE = N_("(Not yet translated, so shown in English.)")

# NOTE: {languages} is a list of language names. LANG is a command word. At most 150 characters.
LANGUAGE_UNKNOWN = N_("Languages: {languages}. Reply LANG and a name, e.g. LANG ESPANOL.")

# NOTE: Asks a person to confirm they want updates. JOIN is a command word (it is not YES on
# purpose). STOP is a command word.
SUBSCRIBE_ASK = N_(
    "{service} can send you occasional updates about stem-cell research in MS. "
    "Reply JOIN to confirm. Reply STOP at any time to stop."
)

# NOTE: {service} is the service name. STOP is a command word.
SUBSCRIBED = N_("You will get updates from {service}. Msg & data rates may apply. Reply STOP to stop.")

# Each fixed text and the placeholders it must use (all of them, and no others).
PLACEHOLDERS: dict[str, frozenset[str]] = {
    "SAFETY": frozenset(),
    "SOURCE_AUTHOR": frozenset({"author"}),
    "FALLBACK_NOTE": frozenset(),
    "LANGUAGE_UNKNOWN": frozenset({"languages"}),
    "SUBSCRIBE_ASK": frozenset({"service"}),
    "SUBSCRIBED": frozenset({"service"}),
    "EMERGENCY": frozenset(),
    "OUT_OF_SCOPE": frozenset(),
    "NOT_UNDERSTOOD": frozenset(),
    "HELP": frozenset({"service"}),
    "STOP_CONFIRM": frozenset({"service"}),
    "START_CONFIRM": frozenset(),
    "MENU_HEADER": frozenset({"service"}),
    "MENU_FOOTER": frozenset(),
    "MORE_FOOTER": frozenset({"page", "pages"}),
    "END_OF_TOPIC": frozenset(),
    "NO_TOPIC_FOR_MORE": frozenset(),
    "SOURCE_LABEL": frozenset({"number"}),
    "SOURCE_UNKNOWN": frozenset({"count"}),
    "LANGUAGE_CHANGED": frozenset({"language"}),
    "TEXT_ONLY": frozenset(),
    "RATE_LIMITED": frozenset(),
}
