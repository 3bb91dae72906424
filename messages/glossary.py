"""Approved medical terms per language, for translators and for checking translations.

Patients act on what the bot says, so one concept must carry one name in each language: the
standard term of that language's patient information, in its base (dictionary) form. The
translations in ``locales/`` are checked against this table: where an English msgid uses a
term, its translation should use the approved term (or an inflected form of it).

Choices worth knowing: pt follows Brazilian usage ("célula-tronco"; Portugal says "célula
estaminal"); zh is Simplified Chinese; ar terms are given without the article, except the
name of the disease, and its adjectives in the feminine, agreeing with "خلية" (cell); hi
uses the loanwords found in Hindi health information.
"""

from __future__ import annotations

LANGUAGES: tuple[str, ...] = ("en", "es", "fr", "de", "it", "pt", "ar", "hi", "zh", "ru")

GLOSSARY: dict[str, dict[str, str]] = {
    "ms": {
        "en": "multiple sclerosis",
        "es": "esclerosis múltiple",
        "fr": "sclérose en plaques",
        "de": "Multiple Sklerose",
        "it": "sclerosi multipla",
        "pt": "esclerose múltipla",
        "ar": "التصلب المتعدد",
        "hi": "मल्टीपल स्क्लेरोसिस",
        "zh": "多发性硬化",
        "ru": "рассеянный склероз",
    },
    "relapse": {
        "en": "relapse",
        "es": "recaída",
        "fr": "poussée",
        "de": "Schub",
        "it": "ricaduta",
        "pt": "surto",
        "ar": "انتكاسة",
        "hi": "रिलैप्स",
        "zh": "复发",
        "ru": "обострение",
    },
    "myelin": {
        "en": "myelin",
        "es": "mielina",
        "fr": "myéline",
        "de": "Myelin",
        "it": "mielina",
        "pt": "mielina",
        "ar": "ميالين",
        "hi": "माइलिन",
        "zh": "髓鞘",
        "ru": "миелин",
    },
    "stem_cell": {
        "en": "stem cell",
        "es": "célula madre",
        "fr": "cellule souche",
        "de": "Stammzelle",
        "it": "cellula staminale",
        "pt": "célula-tronco",
        "ar": "خلية جذعية",
        "hi": "स्टेम सेल",
        "zh": "干细胞",
        "ru": "стволовая клетка",
    },
    "mesenchymal": {
        "en": "mesenchymal",
        "es": "mesenquimal",
        "fr": "mésenchymateux",
        "de": "mesenchymal",
        "it": "mesenchimale",
        "pt": "mesenquimal",
        "ar": "وسيطة",
        "hi": "मेसेनकाइमल",
        "zh": "间充质",
        "ru": "мезенхимальный",
    },
    "haematopoietic": {
        "en": "haematopoietic",
        "es": "hematopoyético",
        "fr": "hématopoïétique",
        "de": "hämatopoetisch",
        "it": "ematopoietico",
        "pt": "hematopoiético",
        "ar": "مكونة للدم",
        "hi": "हेमेटोपोएटिक",
        "zh": "造血",
        "ru": "гемопоэтический",
    },
    "transplant": {
        "en": "transplant",
        "es": "trasplante",
        "fr": "greffe",
        "de": "Transplantation",
        "it": "trapianto",
        "pt": "transplante",
        "ar": "زراعة",
        "hi": "प्रत्यारोपण",
        "zh": "移植",
        "ru": "трансплантация",
    },
    "chemotherapy": {
        "en": "chemotherapy",
        "es": "quimioterapia",
        "fr": "chimiothérapie",
        "de": "Chemotherapie",
        "it": "chemioterapia",
        "pt": "quimioterapia",
        "ar": "علاج كيميائي",
        "hi": "कीमोथेरेपी",
        "zh": "化疗",
        "ru": "химиотерапия",
    },
    "clinical_trial": {
        "en": "clinical trial",
        "es": "ensayo clínico",
        "fr": "essai clinique",
        "de": "klinische Studie",
        "it": "sperimentazione clinica",
        "pt": "ensaio clínico",
        "ar": "تجربة سريرية",
        "hi": "क्लिनिकल ट्रायल",
        "zh": "临床试验",
        "ru": "клиническое исследование",
    },
    "neurologist": {
        "en": "neurologist",
        "es": "neurólogo",
        "fr": "neurologue",
        "de": "Neurologe",
        "it": "neurologo",
        "pt": "neurologista",
        "ar": "طبيب أعصاب",
        "hi": "न्यूरोलॉजिस्ट",
        "zh": "神经科医生",
        "ru": "невролог",
    },
}
