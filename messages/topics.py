"""The eleven topics: what the bot says about stem-cell therapy for MS, sentence by sentence.

Each sentence carries its evidence: an exact passage of a source document (``seed``, file
prefix "000" to "004", shown to people as documents 1 to 5) or a reference id from
``messages/references.py`` (``ref``) for corrections and figures the documents lack. The
first sentence or two of each topic is the answer in brief; the rest is reached with MORE.
"""

from __future__ import annotations

from datetime import date

from messages.i18n import N_
from messages.model import S, Sentence, Topic, ref, seed

REVIEWED = date(2026, 11, 23)
REVIEW_DUE = date(2027, 5, 23)


def _topic(topic_id: str, title: str, sources: tuple[str, ...], *sentences: Sentence) -> Topic:
    return Topic(
        id=topic_id,
        title=title,
        sentences=tuple(sentences),
        reviewed=REVIEWED,
        review_due=REVIEW_DUE,
        sources=sources,
    )


ABOUT = _topic(
    "about",
    # NOTE: menu label, at most 22 characters. MS = multiple sclerosis.
    N_("What MS is"),
    ("000", "001", "002", "003", "004"),
    S(
        # NOTE: MS = multiple sclerosis; use the usual abbreviation in your language if there is
        # one.
        N_(
            "MS (multiple sclerosis) is a long-term disease where the immune system attacks the "
            "brain and spinal cord."
        ),
        seed(
            "000",
            "Multiple Sclerosis (MS) is a chronic autoimmune disorder that affects the central "
            "nervous system (CNS), including the brain and spinal cord.",
        ),
    ),
    S(
        # NOTE: myelin = the fatty coating around nerve fibres.
        N_("It damages myelin, the coating of nerve fibres, and this disrupts nerve signals."),
        seed(
            "000",
            "the body's immune system mistakenly attacks the protective myelin sheath surrounding "
            "nerve fibers",
        ),
        seed("001", "mistakenly attacks the protective covering of nerve fibers (myelin)"),
        seed("004", "it will damage the myelin sheath that covers the nervous system"),
    ),
    S(
        N_(
            "Common symptoms include tiredness, numbness or tingling, weakness, difficulty walking "
            "and poor balance."
        ),
        seed(
            "001",
            "such as fatigue, difficulty walking, numbness or tingling, muscle weakness, and "
            "problems with coordination and balance",
        ),
    ),
    S(
        N_("Some people also have pain, changes in vision, or changes in memory and thinking."),
        seed(
            "002",
            "Multiple sclerosis (MS) causes symptoms that include fatigue, pain, vision changes, "
            "and loss of coordination.",
        ),
        seed("003", "fatigue, mobility issues, and cognitive changes"),
    ),
    S(
        N_("Symptoms vary a lot from person to person, and can come and go or slowly get worse."),
        seed(
            "002",
            "The symptoms vary considerably by person and can either come and go or gradually "
            "worsen over time.",
        ),
    ),
    S(
        # NOTE: a relapse is a period of new or worse MS symptoms that later eases.
        N_(
            "In relapsing MS, symptoms flare up (relapses) and then ease. In progressive MS, they "
            "slowly get worse."
        ),
        seed("002", "can either come and go or gradually worsen over time"),
        seed("001", "individuals with relapsing-remitting MS"),
        seed("002", "for those with progressive MS"),
    ),
    S(
        N_("There is no cure for MS."),
        seed("002", "Currently, there is no cure for MS."),
    ),
    S(
        N_(
            "Usual treatments aim to manage symptoms, slow the disease and improve quality of "
            "life."
        ),
        seed(
            "001",
            "Traditional treatment approaches for multiple sclerosis focus on managing symptoms, "
            "slowing disease progression, and improving quality of life.",
        ),
    ),
)

HOW = _topic(
    "how",
    # NOTE: menu label, at most 22 characters: how stem cells might help in MS.
    N_("How it might help"),
    ("000", "001", "002", "003"),
    S(
        N_(
            "The documents say stem cells may help MS in three ways: repair, less inflammation, "
            "and calming the immune attack."
        ),
        seed(
            "000",
            "offering the possibility of repairing damaged nerve tissue, reducing inflammation, "
            "and modulating the immune system",
        ),
    ),
    S(
        # NOTE: HSCT = haematopoietic stem cell transplantation (blood-forming stem cells).
        N_(
            "In people, only the immune 'reset' of HSCT has shown benefit in trials, mainly in "
            "active relapsing MS."
        ),
        ref("burt2019"),
        ref("sormani2017"),
        ref("uccelli2021"),
    ),
    S(
        N_(
            "Repair: documents 1 and 2 say stem cells (kind not stated) can become the cells that "
            "make myelin."
        ),
        seed(
            "000",
            "including neural cells such as neurons and oligodendrocytes, which are involved in "
            "myelin production",
        ),
        seed("001", "including those responsible for producing myelin"),
    ),
    S(
        N_(
            "Some kinds of stem cell do this in the lab, but no trial has shown any kind "
            "rebuilding myelin in people."
        ),
        ref("isscr"),
        ref("connick2012"),
        ref("uccelli2021"),
    ),
    S(
        # NOTE: MSC = mesenchymal stem cell.
        N_(
            "Inflammation: MSCs (mesenchymal stem cells) calm inflammation in lab and animal "
            "studies."
        ),
        seed("002", "have inflammation-reducing and immunomodulating properties"),
        ref("petrou2021"),
    ),
    S(
        N_(
            "Document 1 says stem cells 'have been shown' to calm inflammation and reduce nerve "
            "damage. It cites no study."
        ),
        seed(
            "000",
            "have been shown to modulate the immune response, dampening excessive inflammation and "
            "reducing damage to nerve tissue",
        ),
    ),
    S(
        N_(
            "In a trial of 144 people, one dose of MSCs did no better than a placebo at reducing "
            "active MS lesions on scans."
        ),
        ref("uccelli2021"),
    ),
    S(
        N_(
            "Immune reset: HSCT wipes out the immune system with chemotherapy. It regrows from the "
            "person's own stem cells."
        ),
        seed(
            "003",
            "This type of therapy aims to reset the immune system, thus reducing the progression "
            "of the disease.",
        ),
        ref("mstrust"),
    ),
    S(
        N_(
            "HSCT aims to stop MS from getting worse. It is not a way to repair damage already "
            "done."
        ),
        ref("nmss2021"),
        ref("mstrust"),
    ),
    S(
        N_(
            "Document 2 raises ethical concerns about embryonic stem cells. HSCT and MSC "
            "treatments do not use them."
        ),
        seed(
            "001",
            "Stem cell therapy may involve the use of embryonic stem cells, which raises ethical "
            "concerns.",
        ),
        seed("003", "hematopoietic stem cells, which are derived from bone marrow or blood"),
        seed("002", "often found in bone marrow, umbilical cord, or fat tissue"),
    ),
)

MSC = _topic(
    "msc",
    # NOTE: menu label, at most 22 characters. MSC = mesenchymal stem cell.
    N_("MSC (mesenchymal)"),
    ("002", "004"),
    S(
        N_("MSC (mesenchymal stem cell) treatment for MS is still experimental."),
        ref("mstrust"),
        ref("uccelli2021"),
    ),
    S(
        N_(
            "In trials MSCs seemed safe in the short term, but randomised trials found no clear "
            "benefit."
        ),
        ref("uccelli2021"),
        ref("harris2021"),
        ref("connick2012"),
    ),
    S(
        N_(
            "MSCs can come from bone marrow, fat or umbilical cord. MS trials mostly used the "
            "person's own bone marrow."
        ),
        seed("002", "often found in bone marrow, umbilical cord, or fat tissue"),
        ref("uccelli2021"),
        ref("connick2012"),
    ),
    S(
        N_(
            "In lab and animal studies, MSCs calm inflammation, probably by signalling to other "
            "cells, not by replacing them."
        ),
        seed("002", "have inflammation-reducing and immunomodulating properties"),
        seed(
            "004",
            "The mesenchymal tissues have a way of reducing the inflammation effects that MS has "
            "on the CNS.",
        ),
        ref("isscr"),
    ),
    S(
        N_(
            "Document 3, a clinic's article, says MSCs may restore myelin. This has not been shown "
            "in people."
        ),
        seed(
            "002",
            "show the potential for these powerful cells to restore the myelin sheath that "
            "protects the nerves",
        ),
        ref("uccelli2021"),
        ref("connick2012"),
    ),
    S(
        N_("A 2012 study gave MSCs to 10 people with progressive MS, with no comparison group."),
        ref("connick2012"),
    ),
    S(
        N_(
            "It mainly checked safety and some vision tests. It did not test disability or quality "
            "of life."
        ),
        ref("connick2012"),
    ),
    S(
        # NOTE: MESEMS is the name of a trial; keep it as it is.
        N_(
            "MESEMS (2021) randomly gave 144 people MSCs or a placebo. MSCs did not reduce active "
            "MS lesions on scans."
        ),
        ref("uccelli2021"),
    ),
    S(
        N_(
            "A 2021 study gave 24 people with progressive MS repeated MSC doses over 4 years, with "
            "no comparison group."
        ),
        seed(
            "002",
            "A study published in 2021 showed that repeated MSC treatments for those with "
            "progressive MS had clinical benefits lasting up to four years.",
        ),
        ref("petrou2021"),
    ),
    S(
        N_(
            "Most stayed stable, but without a comparison group it cannot show that the MSCs "
            "helped."
        ),
        ref("petrou2021"),
    ),
    S(
        N_(
            "Another team put cells grown from MSCs into the spinal fluid. Their randomised trial "
            "found no difference from placebo."
        ),
        ref("harris2021"),
    ),
    S(
        N_(
            "The US FDA warns that being charged for MSCs outside a clinical trial likely means "
            "you are being deceived."
        ),
        ref("fda2021"),
    ),
)

HSCT = _topic(
    "hsct",
    # NOTE: menu label, at most 22 characters. HSCT = haematopoietic stem cell transplantation.
    N_("HSCT (immune reset)"),
    ("001", "003"),
    S(
        # NOTE: HSCT = haematopoietic stem cell transplantation; haematopoietic = blood-forming.
        N_(
            "HSCT (haematopoietic stem cell transplant) uses chemotherapy to wipe out the immune "
            "system, then lets it regrow."
        ),
        seed("003", "The procedure involves intensive chemotherapy to prepare the body"),
        ref("mstrust"),
    ),
    S(
        N_(
            "HSCT is an intensive treatment with serious risks, considered mainly for active "
            "relapsing MS."
        ),
        seed(
            "003",
            "which can lead to significant side effects, including infections and other "
            "complications",
        ),
        ref("sormani2017"),
        ref("nmss2021"),
    ),
    S(
        N_("The aim is an immune 'reset', so that the immune system stops attacking the nerves."),
        seed(
            "003",
            "This type of therapy aims to reset the immune system, thus reducing the progression "
            "of the disease.",
        ),
        ref("mstrust"),
    ),
    S(
        # NOTE: autologous = using the person's own cells.
        N_(
            "In autologous HSCT, the person's own blood-forming stem cells are collected from the "
            "blood or bone marrow."
        ),
        seed("003", "hematopoietic stem cells, which are derived from bone marrow or blood"),
        seed("001", "autologous hematopoietic stem cell transplantation (AHSCT)"),
    ),
    S(
        N_(
            "After high-dose chemotherapy, these HSCT stem cells are given back and rebuild the "
            "blood and immune system."
        ),
        seed(
            "001",
            "high-dose immunosuppressive therapy followed by autologous hematopoietic stem cell "
            "transplantation (AHSCT)",
        ),
        ref("mstrust"),
    ),
    S(
        N_(
            "HSCT aims to stop MS from getting worse. It is not shown to repair damage already "
            "done."
        ),
        ref("nmss2021"),
        ref("mstrust"),
    ),
    S(
        N_(
            "Document 4 contradicts itself: it calls HSCT an immune reset, then says tissue repair "
            "is its main advantage."
        ),
        seed("003", "aims to reset the immune system"),
        seed(
            "003",
            "One of the main advantages of stem cell therapy is its ability to regenerate damaged "
            "tissues in the nervous system.",
        ),
        ref("nmss2021"),
    ),
    S(
        N_(
            "HSCT has the strongest evidence of any stem-cell treatment for MS, mainly in active "
            "relapsing MS."
        ),
        ref("burt2019"),
        ref("sormani2017"),
        ref("isscr"),
    ),
    S(
        N_("Results of HSCT are weaker in progressive MS."),
        ref("sormani2017"),
        ref("muraro2017"),
    ),
    S(
        N_(
            "Guidance suggests HSCT for relapsing MS that stays active despite strong MS "
            "medicines."
        ),
        ref("nmss2021"),
        ref("ebmt2019"),
    ),
    S(
        N_(
            "Guidance also says HSCT should only be done at centres with a lot of experience of "
            "it."
        ),
        ref("nmss2021"),
    ),
    S(
        N_("Risks of HSCT include infections, bleeding and, rarely, death."),
        seed(
            "001",
            "Stem cell therapy carries risks, including infection, bleeding, and adverse reactions "
            "to immunosuppressive drugs used during the procedure.",
        ),
        seed(
            "003",
            "which can lead to significant side effects, including infections and other "
            "complications",
        ),
        ref("sormani2017"),
    ),
)

TRIALS = _topic(
    "trials",
    # NOTE: menu label, at most 22 characters.
    N_("Clinical trials"),
    ("001", "002", "003"),
    S(
        N_(
            "The best evidence is for HSCT in active relapsing MS. MSC trials so far show no clear "
            "benefit."
        ),
        ref("burt2019"),
        ref("uccelli2021"),
        ref("harris2021"),
    ),
    S(
        # NOTE: HALT-MS is the name of a trial; keep it as it is.
        N_(
            "Document 2 cites HALT-MS: 24 people with relapsing MS had HSCT. There was no "
            "comparison group."
        ),
        seed("001", "The HALT-MS trial, published in JAMA Neurology"),
        ref("nash2015"),
    ),
    S(
        N_(
            "After 5 years, about 7 in 10 had no MS activity or worsening. Not everyone stayed in "
            "remission."
        ),
        seed("001", "led to sustained remission in patients with relapsing-remitting MS"),
        ref("nash2017"),
    ),
    S(
        N_(
            "Document 2 credits The Lancet with an MSC study showing less disability and myelin "
            "repair."
        ),
        seed(
            "001",
            "A study published in The Lancet showed that mesenchymal stem cells (MSCs) "
            "transplantation led to improvements in disability, myelin repair, and quality of life",
        ),
    ),
    S(
        N_(
            "The closest match is a 2012 Lancet Neurology MSC study of 10 people. It tested safety "
            "and vision, not disability."
        ),
        ref("connick2012"),
    ),
    S(
        N_(
            "Document 2 also cites a JAMA Neurology review favouring stem cells (kind not stated) "
            "over usual care."
        ),
        seed(
            "001",
            "a systematic review and meta-analysis published in JAMA Neurology suggests that stem "
            "cell therapy may be more effective than conventional treatments",
        ),
    ),
    S(
        N_(
            "No such review was found. The best-known HSCT review pooled 15 studies of 764 people, "
            "none with a comparison group."
        ),
        ref("sormani2017"),
        ref("muraro2017"),
    ),
    S(
        N_("Document 4 credits The Lancet with a study comparing HSCT with standard treatment."),
        seed("003", "compared to those receiving standard treatment"),
    ),
    S(
        N_(
            "The Lancet's HSCT study (2016) had 24 people and no comparison group. The comparison "
            "matches MIST, in JAMA."
        ),
        ref("atkins2016"),
        ref("burt2019"),
    ),
    S(
        # NOTE: MIST is the name of a trial; keep it as it is.
        N_(
            "MIST randomly gave 110 people with highly active relapsing MS either HSCT or MS "
            "medicines."
        ),
        ref("burt2019"),
    ),
    S(
        N_(
            "MS got worse in 3 people after HSCT and in 34 on medicines. No one died. The authors "
            "called this preliminary."
        ),
        ref("burt2019"),
    ),
    S(
        N_(
            "Document 3, a clinic's article, cites a 2021 MSC study. It had 24 people and no "
            "comparison group, so cannot show benefit."
        ),
        seed(
            "002",
            "A study published in 2021 showed that repeated MSC treatments for those with "
            "progressive MS had clinical benefits lasting up to four years.",
        ),
        ref("petrou2021"),
    ),
)

RESULTS = _topic(
    "results",
    # NOTE: menu label, at most 22 characters: what the treatments achieve.
    N_("Results so far"),
    ("001", "002", "003", "004"),
    S(
        N_("There is no cure for MS. HSCT and MSC treatments are not a cure either."),
        seed("002", "Currently, there is no cure for MS."),
        ref("nash2017"),
        ref("uccelli2021"),
    ),
    S(
        N_(
            "HSCT has stopped or slowed MS for years in many people with active relapsing MS, but "
            "not in everyone."
        ),
        seed("001", "it could slow down or even halt disease progression in some patients"),
        ref("burt2019"),
        ref("nash2017"),
    ),
    S(
        N_("In HALT-MS, about 3 in 10 people had MS activity or worsening within 5 years of HSCT."),
        ref("nash2017"),
    ),
    S(
        N_(
            "HSCT works less well in progressive MS. In one study of mostly progressive MS, 46% "
            "had no worsening after 5 years."
        ),
        ref("muraro2017"),
        ref("sormani2017"),
    ),
    S(
        N_(
            "Document 2 says stem cells look most promising in relapsing-remitting MS. The "
            "evidence for this comes from HSCT."
        ),
        seed(
            "001",
            "This potential is particularly promising for individuals with relapsing-remitting MS.",
        ),
        ref("burt2019"),
    ),
    S(
        N_(
            "MSC treatment has not been shown to work: randomised trials found no clear benefit "
            "over placebo."
        ),
        ref("uccelli2021"),
        ref("harris2021"),
    ),
    S(
        N_("No trial has shown that HSCT or MSCs rebuild myelin or nerves in people."),
        ref("uccelli2021"),
        ref("connick2012"),
        ref("nmss2021"),
    ),
    S(
        N_(
            "Document 5 contradicts itself: it says the chance of success is 'very low', then that "
            "patients 'improved greatly'."
        ),
        seed("004", "the chances of successful results are very low"),
        seed("004", "The patients improved greatly after the treatment"),
    ),
    S(
        N_("Document 5 names no study for either claim."),
        seed("004", "As per the studies conducted on the effect of stem cell therapy on MS"),
    ),
    S(
        N_("Long-term effects of HSCT and MSC treatments are still being studied."),
        seed(
            "001",
            "The long-term effects and safety of stem cell therapy for multiple sclerosis are "
            "still being studied.",
        ),
        seed("003", "the long-term effects of such treatments are still under study"),
        seed(
            "004",
            "Investigations are still going on to understand how long will the effects of stem "
            "cell therapy last after the treatment.",
        ),
    ),
)

RISKS = _topic(
    "risks",
    # NOTE: menu label, at most 22 characters.
    N_("Risks"),
    ("000", "001", "002", "003", "004"),
    S(
        N_("HSCT is an intensive treatment with serious risks, and rarely it can cause death."),
        seed(
            "003",
            "which can lead to significant side effects, including infections and other "
            "complications",
        ),
        ref("sormani2017"),
        ref("burt2021"),
    ),
    S(
        N_("The chemotherapy for HSCT weakens the immune system, so infections are a major risk."),
        seed(
            "003",
            "The procedure involves intensive chemotherapy to prepare the body, which can lead to "
            "significant side effects, including infections and other complications.",
        ),
    ),
    S(
        N_("After HSCT, a fever or other signs of infection need urgent medical care."),
        seed("001", "Close monitoring and follow-up are crucial."),
        seed("003", "including infections and other complications"),
    ),
    S(
        N_(
            "For HSCT, document 2 also lists bleeding and reactions to the drugs that suppress the "
            "immune system."
        ),
        seed(
            "001",
            "Stem cell therapy carries risks, including infection, bleeding, and adverse reactions "
            "to immunosuppressive drugs used during the procedure.",
        ),
    ),
    S(
        N_(
            "A 2017 review of 764 people found about 2 in 100 died from HSCT. Deaths were more "
            "common in older studies."
        ),
        ref("sormani2017"),
    ),
    S(
        N_(
            "In a 2021 report of 507 people given a milder HSCT, 1 died (about 1 in 500). In MIST, "
            "with 110 people, no one died."
        ),
        ref("burt2021"),
        ref("burt2019"),
    ),
    S(
        N_("In a 2016 study using very strong chemotherapy before HSCT, 1 of 24 people died."),
        ref("atkins2016"),
    ),
    S(
        N_("Some people develop other immune problems after HSCT, such as thyroid disease."),
        ref("burt2021"),
    ),
    S(
        N_("Long-term effects of HSCT and MSC treatments are still being studied."),
        seed(
            "001",
            "The long-term effects and safety of stem cell therapy for multiple sclerosis are "
            "still being studied.",
        ),
        seed("003", "the long-term effects of such treatments are still under study"),
    ),
    S(
        N_(
            "Document 5 plays down side effects, and documents 1 and 3 do not mention risks. "
            "Serious harms are on record."
        ),
        seed("004", "the experts noted not many side effects"),
        seed("000", "individuals with MS can approach the journey with optimism and hope"),
        seed("002", "Stem cell therapy offers an exciting new treatment option"),
        ref("sormani2017"),
        ref("fda2021"),
    ),
    S(
        N_(
            "The US FDA has reports of blindness, tumours and infections after unapproved "
            "stem-cell products, often MSCs."
        ),
        ref("fda2021"),
    ),
    S(
        N_(
            "Using a person's own stem cells (HSCT or MSC) avoids rejection, but it does not make "
            "a treatment safe."
        ),
        seed(
            "004",
            "the immune system will recognise its native cells and will not cause any "
            "immunological reaction",
        ),
        ref("fda2021"),
        ref("isscr"),
    ),
)

ACCESS = _topic(
    "access",
    # NOTE: menu label, at most 22 characters: who can get the treatment, where, and cost.
    N_("Access and cost"),
    ("000", "001", "003"),
    S(
        N_(
            "Not everyone qualifies for HSCT, it is not offered everywhere, and HSCT or MSC "
            "treatment can cost a lot."
        ),
        seed(
            "003",
            "Currently, not all patients qualify for the procedure, and it may not be available in "
            "all regions.",
        ),
        seed(
            "003",
            "the high cost of stem cell treatments can present a barrier for many individuals",
        ),
    ),
    S(
        N_(
            "Whether it might suit someone depends on their MS and health: a neurologist or MS "
            "team can explain."
        ),
        seed(
            "001",
            "The choice of stem cell therapy should be guided by the individual patient's "
            "condition, disease stage, and medical history.",
        ),
        seed(
            "003",
            "MS patients considering this therapy should consult with their healthcare providers",
        ),
    ),
    S(
        N_(
            "US guidance suggests HSCT for relapsing MS that stays active despite strong MS "
            "medicines."
        ),
        ref("nmss2021"),
    ),
    S(
        N_(
            "It says the best candidates for HSCT are likely under 50, and have had MS for less "
            "than 10 years."
        ),
        ref("nmss2021"),
    ),
    S(
        # NOTE: EBMT = European Society for Blood and Marrow Transplantation. EDSS = the standard MS
        # disability scale (0 to 10).
        N_(
            "European guidance (EBMT, 2019) favours HSCT under 45, with MS under 10 years and "
            "disability (EDSS) up to 5.5."
        ),
        ref("ebmt2019"),
    ),
    S(
        # NOTE: NHS = the UK's National Health Service. 'Third line' = offered after two other kinds
        # of treatment.
        N_(
            "In the UK NHS, HSCT is a 'third line' option, after other MS medicines have not "
            "worked."
        ),
        ref("ebmt2019"),
    ),
    S(
        N_("Guidance says HSCT should only be done at centres with a lot of experience of it."),
        ref("nmss2021"),
    ),
    S(
        N_("These are general guides. They do not decide whether HSCT suits any one person."),
        seed("001", "Not all patients may be suitable candidates for stem cell therapy."),
        ref("nmss2021"),
    ),
    S(
        # NOTE: ISSCR = International Society for Stem Cell Research.
        N_(
            "Stem-cell research guidelines (ISSCR) say MSC and other treatments must be shown safe "
            "and effective before sale."
        ),
        ref("isscr"),
        ref("mstrust"),
    ),
    S(
        N_(
            "Document 1 presents trials as a way to get 'cutting-edge treatments' (kind not "
            "stated)."
        ),
        seed(
            "000",
            "By participating in clinical research, individuals with MS have the opportunity to "
            "access cutting-edge treatments",
        ),
    ),
    S(
        N_(
            "But trials test whether a treatment works, and some people in them get a placebo or "
            "usual care."
        ),
        ref("uccelli2021"),
        ref("burt2019"),
    ),
)

TREATMENTS = _topic(
    "treatments",
    # NOTE: menu label, at most 22 characters: standard MS care.
    N_("Usual MS treatment"),
    ("001", "003"),
    S(
        N_("Usual MS care aims to manage symptoms, slow the disease and improve quality of life."),
        seed(
            "001",
            "Traditional treatment approaches for multiple sclerosis focus on managing symptoms, "
            "slowing disease progression, and improving quality of life.",
        ),
    ),
    S(
        # NOTE: DMT = disease-modifying therapy, medicines that aim to slow MS.
        N_("The main medicines are disease-modifying therapies (DMTs), which aim to slow MS."),
        seed("001", "These treatments may include disease-modifying therapies"),
        seed("001", "slowing disease progression"),
    ),
    S(
        N_(
            "Care can also include steroids, other drugs that calm the immune system, "
            "physiotherapy and lifestyle changes."
        ),
        seed(
            "001",
            "These treatments may include disease-modifying therapies, immunosuppressants, "
            "corticosteroids, physical therapy, and lifestyle modifications.",
        ),
    ),
    S(
        N_("These treatments can help, but they may not work for everyone."),
        seed(
            "001",
            "While these treatments can be beneficial, they may not be effective for all patients",
        ),
    ),
    S(
        N_(
            "HSCT is usually considered only when MS stays active despite strong disease-modifying "
            "medicines."
        ),
        ref("nmss2021"),
        ref("ebmt2019"),
    ),
    S(
        # NOTE: MIST is the name of a trial; keep it as it is.
        N_(
            "In the MIST trial, fewer people got worse after HSCT than on disease-modifying "
            "medicines."
        ),
        ref("burt2019"),
    ),
    S(
        N_(
            "Document 4 advises talking to your healthcare team about risks, benefits and all "
            "treatment options."
        ),
        seed(
            "003",
            "MS patients considering this therapy should consult with their healthcare providers "
            "to discuss potential risks and benefits, as well as to explore all available "
            "treatment options.",
        ),
    ),
    S(
        N_("A neurologist or MS team can explain which options exist and what each involves."),
        seed("003", "explore all available treatment options"),
    ),
)

CLINICS = _topic(
    "clinics",
    # NOTE: menu label, at most 22 characters: warning signs of commercial stem-cell clinics.
    N_("Clinic warning signs"),
    ("002", "003", "004"),
    S(
        N_(
            "Some clinics sell unproven stem-cell treatments for MS, often MSCs. The US FDA warns "
            "about them."
        ),
        ref("fda2021"),
        ref("isscr"),
    ),
    S(
        N_(
            "The FDA says being charged for them outside a clinical trial likely means you are "
            "being deceived."
        ),
        ref("fda2021"),
    ),
    S(
        N_(
            "Warning signs: paying for treatment outside a trial, claims of a cure, and little or "
            "no mention of risks."
        ),
        ref("fda2021"),
        ref("isscr"),
    ),
    S(
        N_(
            "The FDA also warns that a listing on a trials website does not by itself make a "
            "treatment approved."
        ),
        ref("fda2021"),
    ),
    S(
        # NOTE: ISSCR = International Society for Stem Cell Research.
        N_(
            "A stem-cell research society (ISSCR) says very few stem-cell treatments are "
            "established, mostly for blood diseases."
        ),
        ref("isscr"),
    ),
    S(
        N_(
            "It says unproven treatments carry physical and financial risks, even when they use "
            "your own cells."
        ),
        ref("isscr"),
    ),
    S(
        N_(
            "Document 5 admits results are not conclusive, yet says the therapy is offered to "
            "people anyway."
        ),
        seed(
            "004",
            "No such conclusive results are noted in this case, and yet the therapy is offered to "
            "people who need it",
        ),
    ),
    S(
        # NOTE: FTC = the US Federal Trade Commission.
        N_(
            "Document 3 is by Stemedix, a clinic that sells the therapy. The US FTC warned it in "
            "2020 over COVID-19 claims."
        ),
        seed("002", "This post was written by a medical professional at Stemedix Inc."),
        seed(
            "002",
            "At Stemedix we provide access to Regenerative Medicine for multiple sclerosis",
        ),
        ref("ftc2020"),
    ),
    S(
        N_(
            "Document 4 advises talking to your healthcare team about the risks and benefits "
            "before any treatment."
        ),
        seed(
            "003",
            "MS patients considering this therapy should consult with their healthcare providers "
            "to discuss potential risks and benefits",
        ),
    ),
)

SOURCES = _topic(
    "sources",
    # NOTE: menu label, at most 22 characters: the documents the bot is based on.
    N_("Sources"),
    ("000", "001", "002", "003", "004"),
    S(
        N_(
            "This bot summarises five web articles. Only document 3 says who wrote it: a clinic "
            "that sells the therapy."
        ),
        seed("002", "This post was written by a medical professional at Stemedix Inc."),
    ),
    S(
        N_(
            "Document 1 names no author. It is promotional in tone, cites no studies and mentions "
            "no risks."
        ),
        seed("000", "Light Of Hope for Individuals with MS"),
        seed("000", "individuals with MS can approach the journey with optimism and hope"),
    ),
    S(
        N_(
            "Document 2 names no author and its sources cannot be checked. It names trials but "
            "misdescribes two of three."
        ),
        seed("001", "Sources: 1. Stem Cell Therapies for MS"),
        seed("001", "A study published in The Lancet showed"),
    ),
    S(
        N_(
            "Document 3 is by Stemedix Inc., a clinic that sells stem-cell therapy. It mentions no "
            "risks."
        ),
        seed("002", "This post was written by a medical professional at Stemedix Inc."),
        seed(
            "002",
            "At Stemedix we provide access to Regenerative Medicine for multiple sclerosis",
        ),
    ),
    S(
        N_(
            "Document 4 names no author. It is the most balanced on HSCT, but credits the wrong "
            "journal for its key study."
        ),
        seed("003", "a study published in The Lancet found"),
        ref("atkins2016"),
        ref("burt2019"),
    ),
    S(
        N_(
            "Document 5 names no author. It has errors and contradicts itself, and is the least "
            "reliable of the five."
        ),
        seed("004", "Image Credit:"),
        seed("004", "the chances of successful results are very low"),
    ),
    S(
        N_(
            "Corrections and figures the documents lack come from published studies and health "
            "bodies."
        ),
        ref("sormani2017"),
        ref("burt2019"),
        ref("fda2021"),
    ),
)

TOPICS: dict[str, Topic] = {
    topic.id: topic
    for topic in (
        ABOUT,
        HOW,
        MSC,
        HSCT,
        TRIALS,
        RESULTS,
        RISKS,
        ACCESS,
        TREATMENTS,
        CLINICS,
        SOURCES,
    )
}
