"""English: the source language, and the words every language accepts (Twilio's keywords)."""

from messages.lexicon import Lexicon

LEXICON = Lexicon(
    language="en",
    names=("english", "en", "ingles", "anglais", "englisch", "inglese"),
    topics={
        "about": ("about", "ms", "multiple sclerosis", "what is ms"),
        "how": ("how", "how does it work", "how it works", "mechanism"),
        "msc": ("msc", "mscs", "mesenchymal", "mesenchymal stem cells"),
        "hsct": ("hsct", "ahsct", "haematopoietic", "hematopoietic", "stem cell transplant",
                 "transplant", "bone marrow transplant"),
        "trials": ("trials", "trial", "studies", "study", "research", "clinical trials"),
        "results": ("results", "result", "does it work", "success", "effective", "outcomes"),
        "risks": ("risks", "risk", "side effects", "dangers", "danger", "safety", "safe"),
        "access": ("access", "cost", "price", "eligibility", "eligible", "who can get it"),
        "treatments": ("treatments", "treatment", "medication", "medicines", "dmt", "therapies"),
        "clinics": ("clinics", "clinic", "warning signs", "scam"),
        "sources": ("sources", "source", "documents", "references"),
    },
    stop=("stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout",
          "opt out", "opt-out"),
    start=("start", "yes", "unstop"),
    help=("help", "info"),
    menu=("menu", "0", "topics", "options", "main menu"),
    more=("more", "next", "continue"),
    greetings=("hi", "hello", "hey", "hiya", "good morning", "good afternoon", "good evening"),
    subscribe=("subscribe", "updates"),
    join=("join",),
    polite=("please", "pls", "plz", "thanks", "thank", "you", "thx", "now", "it", "all", "me",
            "messages", "message", "texts", "texting", "sending", "this", "ok", "bye"),
    emergency=(
        "emergency", "suicide", "suicidal", "kill myself", "end my life", "want to die",
        "cant breathe", "can't breathe", "cannot breathe", "chest pain", "heart attack",
        "stroke", "overdose", "seizure", "unconscious", "sudden weakness", "lost my vision",
        "loss of vision", "cant see", "can't see", "high fever", "fever after transplant",
        "fever after chemo",
    ),
    personal_advice=(
        "should i", "am i eligible", "can i get", "is it right for me", "my medication",
        "my medicine", "stop my", "my dose", "do i have", "my symptoms", "my mri",
    ),
    questions={
        "risks": ("is it safe", "is it dangerous", "what are the risks"),
        "trials": ("any trials", "what trials"),
        "results": ("does it work", "is it a cure", "can it cure"),
        "access": ("how much", "where can i get", "who can have"),
    },
)
