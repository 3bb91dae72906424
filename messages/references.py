"""The published sources behind the bot's corrections and figures, by reference id.

Copied from the reference table of ``content-notes.md`` (which lives outside the repository,
in ``shared/``), so that ``ref("id")`` evidence can be checked on a clean clone. Each value
is the reference and, after " -- ", what it is. Keep this table in step with the notes.
"""

from __future__ import annotations

REFERENCES: dict[str, str] = {
    "nash2015": (
        "Nash RA et al. HALT-MS, 3-year interim report. JAMA Neurol 2015;72(2):159-169"
        " -- single-arm phase 2, 24 transplanted, relapsing-remitting MS"
    ),
    "nash2017": (
        "Nash RA et al. HALT-MS, 5-year results. Neurology 2017;88(9):842"
        " -- 5-year event-free survival 69.2%"
    ),
    "burt2019": (
        "Burt RK et al. MIST. JAMA 2019;321(2):165-174"
        " -- randomised, 110 people with highly active relapsing MS; HSCT vs disease-modifying"
        " drugs; progression 3 vs 34; no deaths; 'preliminary'"
    ),
    "sormani2017": (
        "Sormani MP et al. Neurology 2017;88(22):2115-2122"
        " -- meta-analysis of 15 single-arm HSCT studies, 764 patients; transplant-related"
        " mortality 2.1%"
    ),
    "muraro2017": (
        "Muraro PA et al. JAMA Neurol 2017;74(4):459-469"
        " -- retrospective cohort, 281 patients, mostly progressive; 5-year progression-free 46%"
    ),
    "atkins2016": (
        "Atkins HL et al. Lancet 2016"
        " -- single-arm, 24 patients with aggressive MS; 1 transplant-related death"
    ),
    "burt2021": (
        "Burt RK et al. J Neurol 2021"
        " -- 507 patients, non-myeloablative HSCT; 1 death (0.19%)"
    ),
    "connick2012": (
        "Connick P et al. Lancet Neurol 2012;11(2):150-156"
        " -- open-label phase 2a, 10 patients, secondary progressive MS, MSC; safety and vision"
        " measures"
    ),
    "uccelli2021": (
        "Uccelli A et al. MESEMS. Lancet Neurol 2021;20(11):917-929"
        " -- randomised, 144 patients, one IV dose of MSC vs placebo; primary endpoint not met;"
        " safe"
    ),
    "petrou2021": (
        "Petrou P et al. Front Neurol 2021;12:639315"
        " -- open, uncontrolled, 24 patients with progressive MS, repeated MSC over 4 years"
    ),
    "harris2021": (
        "Harris VK et al. Neurol Neuroimmunol Neuroinflamm 2021;8(1):e928; phase II trial in"
        " Stem Cell Res Ther 2024;15:151"
        " -- MSC-derived neural progenitors; the randomised trial found no difference from placebo"
    ),
    "nmss2021": (
        "National MS Society recommendations on AHSCT, 2021"
        " -- an option for relapsing MS with breakthrough activity despite high-efficacy drugs;"
        " best candidates likely under 50 with MS under 10 years; only at experienced centres"
    ),
    "ebmt2019": (
        "MS Society UK, on the EBMT 2019 guidelines for HSCT in MS"
        " -- favours under 45, EDSS 5.5 or less, MS under 10 years; on the NHS a 'third line'"
        " treatment"
    ),
    "mstrust": (
        "MS Trust, 'Stem cell therapy' and 'Stem cells and MS: AHSCT'"
        " -- AHSCT aims to 'reboot' the immune system with high-dose chemotherapy; stem-cell"
        " therapies 'largely experimental' in MS"
    ),
    "fda2021": (
        "US FDA, 'Important Patient and Consumer Information About Regenerative Medicine"
        " Therapies', 3 June 2021"
        " -- unapproved products have caused blindness, tumours, infections; paying outside a"
        " trial is a warning sign"
    ),
    "isscr": (
        "ISSCR, closerlookatstemcells.org, and ISSCR Guidelines 2021"
        " -- very few proven stem-cell treatments, mainly blood stem-cell transplants for blood"
        " diseases; risks even with one's own cells"
    ),
    "ftc2020": (
        "US FTC warning letter to Stemedix, April 2020 (COVID-19 claims), reported in the"
        " St Pete Catalyst -- the company behind document 002"
    ),
}
