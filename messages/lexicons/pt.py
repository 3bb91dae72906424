"""Portuguese (Brazilian, understandable in Portugal): what people type on a phone.

Matching ignores case, accents and punctuation, so "RISCOS", "riscos" and "Riscos!" are one,
and "não" is also "nao". Entries with and without accents are listed only where the spelling
differs otherwise (typos, informal forms, European Portuguese).
"""

from messages.lexicon import Lexicon

LEXICON = Lexicon(
    language="pt",
    names=(
        "português", "portugues", "portuguese", "pt", "pt-br", "ptbr", "pt-pt", "portugues br",
        "português do brasil", "portugues do brasil", "português brasileiro",
        "portugues brasileiro", "brasileiro", "língua portuguesa", "portuges", "portugês",
        "portugais", "portugiesisch", "portoghese", "португальский",
    ),
    topics={
        # "sobre" (about) and "como" (how) are left out on purpose: they occur in almost any
        # Portuguese question and would make "quero saber sobre os riscos" name two topics.
        "about": (
            "o que é ms", "o que é a ms", "esclerose múltipla", "o que é esclerose múltipla",
            "sintomas", "esclerose multipla o que é", "em", "o que é em", "o que é a em",
        ),
        "how": (
            "como funciona", "como age", "como atua", "como ajuda", "como pode ajudar",
            "como poderia ajudar", "mecanismo", "mecanismos", "funcionamento", "reparação",
            "reparo",
        ),
        "msc": (
            "mesenquimais", "mesenquimal", "células mesenquimais", "células-tronco mesenquimais",
            "célula-tronco mesenquimal", "células estaminais mesenquimais", "ctm", "ctms",
            "cordão umbilical", "msc",
        ),
        "hsct": (
            "transplante", "transplantes", "tcth", "tmo", "hematopoiético", "hematopoiéticas",
            "hematopoiética", "hematopoéticas", "hematopoético", "células-tronco hematopoiéticas",
            "transplante de células-tronco", "transplante de medula", "transplante de medula óssea",
            "medula óssea", "autotransplante", "transplante autólogo",
            "transplante de células estaminais", "reset imune", "reset imunológico", "hsct",
        ),
        "trials": (
            "ensaios", "ensaio", "ensaios clínicos", "ensaio clínico", "estudos", "estudo",
            "estudos clínicos", "estudo clínico", "pesquisa", "pesquisas", "investigação",
            "ensaios e estudos", "testes clínicos",
        ),
        "results": (
            "resultados", "resultado", "eficácia", "eficaz", "sucesso", "taxa de sucesso",
            "resultados até agora", "funciona", "funciona mesmo", "dá certo", "da resultado",
            "benefícios", "benefício",
        ),
        "risks": (
            "riscos", "risco", "efeitos colaterais", "efeito colateral", "efeitos secundários",
            "efeitos adversos", "perigos", "perigo", "perigoso", "segurança", "complicações",
            "complicação", "reações adversas",
        ),
        "access": (
            "acesso", "custo", "custos", "preço", "preços", "quanto custa",
            "elegibilidade", "elegível", "critérios", "quem pode fazer", "onde fazer",
            "acesso e custo", "plano de saúde", "convênio", "pelo sus", "candidatos",
            "requisitos",
        ),
        "treatments": (
            "tratamentos", "tratamento", "tratamento usual", "tratamento usual da ms", "tratamento habitual",
            "tratamento padrão", "medicamentos", "medicamento", "remédios", "remédio",
            "medicação", "medicações", "terapias", "fármacos", "modificadores", "dmt",
            "fisioterapia", "corticoides",
        ),
        "clinics": (
            "clínicas", "clínica", "sinais de alerta", "sinal de alerta", "golpe",
            "golpes", "fraude", "fraudes", "enganação", "charlatão", "charlatanismo", "burla",
            "alertas", "clínicas particulares",
        ),
        "sources": (
            "fontes", "fonte", "documentos", "documento", "referências", "referência",
            "artigos", "artigo", "de onde vem",
        ),
    },
    stop=(
        "parar", "pare", "parem", "sair", "saia", "cancelar", "cancela", "cancele",
        "descadastrar", "descadastre", "descadastra", "desinscrever", "desinscrição",
        "cancelar inscrição", "cancelar assinatura", "cancelar cadastro", "sair da lista",
        "remover", "remover meu número", "não quero mais", "não quero receber",
        "não quero mais receber", "não enviar mais", "não envie mais", "parar de enviar",
        "parem de enviar", "parem de mandar", "parar de receber", "parar tudo", "cancelar tudo",
        "não quero receber mais",
        "bloquear", "parem de me mandar", "para de me mandar", "pare de me mandar",
        "parar de me mandar", "para de mandar", "pare de mandar", "não me mande mais",
        "não me mandem mais",
    ),
    start=(
        "começar", "comecar", "iniciar", "inicia", "reativar", "reiniciar", "retomar",
        "ativar", "voltar a receber", "quero voltar a receber", "receber de novo",
        "quero receber",
    ),
    help=("ajuda", "ajude", "ajudar", "me ajuda", "me ajude", "informação", "informações"),
    menu=(
        "menu", "início", "inicio", "temas", "tema", "tópicos", "topicos", "opções", "opcao",
        "opção", "assuntos", "menu principal", "voltar", "voltar ao menu", "lista",
    ),
    more=(
        "mais", "próxima", "proxima", "próximo", "proximo", "seguinte", "continuar", "continua",
        "continue", "mais informações", "mais info", "avançar",
    ),
    greetings=(
        "oi", "oie", "oii", "oiii", "olá", "ola", "alô", "alo", "opa", "e aí", "eai", "eae",
        "bom dia", "boa tarde", "boa noite", "oi tudo bem", "olá tudo bem", "tudo bem",
        "oi bom dia", "oi boa tarde", "oi boa noite",
    ),
    subscribe=(
        "assinar", "inscrever", "me inscrever", "quero me inscrever", "inscrição",
        "atualizações", "actualizações", "novidades", "notícias", "receber novidades",
        "receber atualizações",
    ),
    join=("entrar", "quero entrar", "aderir", "participar", "confirmar", "confirmo"),
    polite=(
        "por", "favor", "pf", "pfv", "pfvr", "pls", "obrigado", "obrigada", "obg", "brigado",
        "brigada", "valeu", "agora", "já", "todas", "todos", "as", "essas", "estas",
        "mensagens", "mensagem", "sms", "ok", "tchau", "de", "me", "aqui", "nada",
    ),
    emergency=(
        # Danger to life, self-harm
        "emergência", "socorro", "suicídio", "suicida", "suicidas", "pensamentos suicidas",
        "vou me matar", "vo me matar", "quero me matar", "penso em me matar",
        "pensando em me matar", "vontade de me matar", "tentei me matar", "quero morrer",
        "qro morrer", "kero morrer",
        "tirar minha vida", "tirar a minha vida", "acabar com minha vida",
        "acabar com a minha vida", "não quero mais viver", "não aguento mais viver",
        # Breathing, heart, stroke
        "não consigo respirar", "nao consigo respira", "n consigo respirar",
        "não estou conseguindo respirar", "estou sem ar", "to sem ar", "tô sem ar",
        "estou com falta de ar", "to com falta de ar", "dor no peito", "dor forte no peito",
        "ataque cardíaco", "infarto", "enfarte", "avc", "derrame", "boca torta",
        "fala enrolada",
        # Sudden weakness, numbness, loss of vision or speech
        "fraqueza repentina", "fraqueza súbita", "fraqueza de repente",
        "dormência repentina", "dormência súbita", "perdi a força de repente",
        "perdi a visão", "perda súbita da visão", "perda súbita de visão", "fiquei cego",
        "fiquei cega", "não consigo enxergar", "não estou enxergando", "parei de enxergar",
        "não consigo ver nada", "perdi a fala", "fala arrastada", "não consigo falar direito",
        # Seizure, fainting, unconsciousness
        "convulsão", "convulsões", "convulsionando", "crise convulsiva", "ataque epiléptico",
        "desmaiou", "desmaiei", "desmaiada", "desmaiado", "inconsciente", "desacordado",
        "desacordada", "perdeu a consciência", "perdi a consciência", "não acorda",
        # Fever or infection after transplant or chemotherapy
        "febre alta", "febre muito alta", "febre depois do transplante",
        "febre após o transplante", "febre após transplante", "febre pós transplante",
        "febre depois do hsct", "febre após o hsct", "febre depois da quimio",
        "febre após a quimio", "febre após quimio", "febre depois da quimioterapia",
        "febre após a quimioterapia", "febre após quimioterapia",
        # Overdose, severe allergy, severe bleeding
        "overdose", "superdosagem", "sobredosagem", "tomei remédio demais",
        "tomei remédios demais", "tomei muitos comprimidos", "reação alérgica grave",
        "reação alérgica forte", "choque anafilático", "anafilaxia", "garganta fechando",
        "sangrando muito", "sangramento forte", "não para de sangrar", "febre de", "com febre",
    ),
    personal_advice=(
        "eu devo", "devo parar", "devo tomar", "devo fazer", "devo trocar", "devo largar",
        "devo começar", "posso parar", "posso tomar", "posso largar", "sou elegível",
        "sou candidato", "sou candidata", "eu me qualifico", "é indicado para mim",
        "é indicado pra mim", "serve para mim", "serve pra mim", "é bom para mim",
        "é bom pra mim", "funciona para mim", "funciona pra mim", "no meu caso", "meu caso",
        "meu remédio", "meus remédios", "meu medicamento", "meus medicamentos",
        "minha medicação", "minha dose", "meus sintomas", "minha ressonância",
        "meu exame", "meus exames", "parar o meu", "parar a minha", "será que tenho",
        "será que eu tenho",
    ),
    questions={
        "about": ("o que é ms", "o que é a ms", "o que é esclerose múltipla", "o que é a esclerose"),
        "how": (
            "como funciona", "como isso funciona", "como age", "como ajuda", "como pode ajudar",
            "como ajudam", "ajudam", "podem ajudar",
        ),
        "msc": ("o que é msc", "o que são msc", "o que são células mesenquimais"),
        "hsct": ("o que é hsct", "o que é o hsct", "o que é transplante", "como é o transplante"),
        "risks": (
            "é seguro", "é perigoso", "quais os riscos", "quais são os riscos", "tem risco",
            "tem riscos", "tem efeitos colaterais", "pode matar", "pode me matar", "posso morrer",
            "faz mal",
        ),
        "trials": (
            "tem ensaios", "quais ensaios", "que ensaios", "tem estudos", "quais estudos",
            "que estudos", "há ensaios", "há estudos", "como participar",
        ),
        "results": (
            "isso funciona", "funciona mesmo", "realmente funciona", "dá certo", "tem cura",
            "é a cura", "é uma cura", "se cura", "cura a ms", "cura a esclerose", "vale a pena",
            "pode curar", "tem como curar",
        ),
        "access": (
            "quanto custa", "qual o preço", "qual o valor", "quanto sai", "onde fazer",
            "onde faço", "onde posso fazer", "quem pode fazer", "quem pode receber",
            "pelo sus", "sus cobre", "sus paga", "plano cobre", "convênio cobre",
        ),
        "treatments": ("quais remédios", "que remédios", "quais tratamentos", "outros tratamentos"),
        "clinics": ("é golpe", "é confiável", "clínica confiável", "essa clínica", "é fraude"),
        "sources": ("de onde vem", "quais as fontes", "quem escreveu"),
    },
    term_forms={
        "stem_cell": ("células-tronco",),
        "mesenchymal": ("mesenquimais",),
        "haematopoietic": ("hematopoiéticas",),
        "relapse": ("surtos", "surto-remissão"),
    },
)
