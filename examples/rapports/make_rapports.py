"""Writes the mini-projet's example PDF reports: `python examples/rapports/make_rapports.py`.

Each report is drawn with matplotlib (its 14 core PDF fonts, so that the text reads back as
written) from the plan below: a title, the four sections, a figure, and the flaw its pair is
meant to show (five pages, no « Limites » section). The PDFs are committed; this script says how
they were made, and makes them again byte for byte (no creation date is written).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
matplotlib.rcParams.update({"pdf.use14corefonts": True, "font.family": "sans-serif"})

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SUBMISSIONS = ROOT / "examples" / "submissions" / "mini-projet"
A4 = (8.27, 11.69)
LINE = 0.018  # of the page's height
WIDTH = 95  # characters per line

SECTIONS = {
    "1. Objectif": (
        "Nous voulons construire un petit cas d'usage reproductible autour d'un modèle de "
        "langue, sur le sujet {sujet}. Le but est de mesurer honnêtement ce qu'une méthode "
        "simple obtient sur les données fournies par le cours, puis de discuter ce qu'un "
        "modèle plus grand changerait. Nous fixons dès le départ la mesure, le jeu de test "
        "et la graine, afin que chaque nombre du rapport puisse être retrouvé en relançant "
        "le notebook du début à la fin."
    ),
    "2. Méthodologie": (
        "Le notebook lit les fichiers du dossier donnees, applique une méthode {methode}, "
        "puis écrit ses sorties dans le dossier du notebook pour que le correcteur les "
        "mesure sur les références cachées. Toutes les graines aléatoires sont fixées au "
        "début. Nous avons gardé la méthode la plus simple qui réponde à la consigne, et "
        "nous avons vérifié chaque étape sur quelques exemples lus à la main avant de "
        "lancer le traitement complet. Les choix de paramètres sont justifiés dans le "
        "notebook, cellule par cellule."
    ),
    "3. Résultats": (
        "La figure ci-dessous résume les résultats obtenus sur les données du cours. La "
        "méthode atteint un niveau correct sur les cas réguliers et se trompe surtout sur "
        "les phrases construites autrement que la majorité. Les nombres rapportés ici sont "
        "ceux qu'affiche le notebook ; ils sont identiques d'une exécution à l'autre, ce "
        "que nous avons vérifié en relançant le noyau deux fois."
    ),
    "4. Limites": (
        "Les données sont peu nombreuses et artificielles : les résultats ne disent rien "
        "d'un corpus réel. La méthode repose sur des régularités de surface qui cassent dès "
        "que la formulation change. Un modèle de langue plus grand, ou un apprentissage sur "
        "davantage d'exemples annotés, serait l'étape suivante, avec une évaluation humaine "
        "des sorties en plus de la mesure automatique."
    ),
}

# folder -> (topic, method, pages, sections left out); "solution" is the assignment's own.
PLAN = {
    "binome-01": ("classification", "TF-IDF et régression logistique", 2, ()),
    "binome-02": ("classification", "TF-IDF et régression logistique", 5, ()),
    "binome-03": ("extraction", "d'expressions régulières", 2, ()),
    "binome-04": ("extraction", "de gabarits", 2, ()),
    "binome-05": ("résumé", "extractive (première phrase)", 2, ()),
    "binome-06": ("résumé", "extractive (phrase tirée au hasard)", 2, ()),
    "binome-07": ("génération guidée", "de gabarits contraints", 2, ()),
    "binome-08": ("génération guidée", "de génération libre", 2, ("4. Limites",)),
    "binome-09": ("assistant pédagogique", "de fiches de cours", 2, ()),
    "binome-10": ("assistant pédagogique", "de fiches de cours", 2, ("4. Limites",)),
}


def lines_of(topic: str, method: str, left_out: tuple[str, ...]) -> list[tuple[str, bool]]:
    """(line, is a heading) of the report's text, in reading order."""
    lines: list[tuple[str, bool]] = []
    for heading, body in SECTIONS.items():
        if heading in left_out:
            continue
        lines.append((heading, True))
        text = body.format(sujet=topic, methode=method)
        lines.extend((line, False) for line in textwrap.wrap(text, WIDTH))
        lines.append(("", False))
    return lines


def figure_page(pdf: PdfPages, title: str, lines: list[tuple[str, bool]], page: int) -> None:
    figure = plt.figure(figsize=A4)
    figure.text(0.08, 0.95, title, fontsize=15, weight="bold")
    y = 0.91
    for line, heading in lines:
        figure.text(
            0.08, y, line, fontsize=12 if heading else 9.5, weight="bold" if heading else "normal"
        )
        y -= LINE * (1.4 if heading else 1.0)
    if page == 1:
        axes = figure.add_axes((0.2, 0.08, 0.6, 0.3))
        values = np.random.default_rng(page).random((8, 8))
        axes.imshow(values, cmap="viridis")  # an image: the report's figure
        axes.set_title("Figure 1 : erreurs par classe")
    pdf.savefig(figure)
    plt.close(figure)


def write_report(
    path: Path, topic: str, method: str, pages: int, left_out: tuple[str, ...]
) -> None:
    lines = lines_of(topic, method, left_out)
    title = f"Mini-projet : {topic}"
    with PdfPages(path, metadata={"CreationDate": None, "Creator": None, "Producer": None}) as pdf:
        figure_page(pdf, title, lines, 1)
        for page in range(2, pages + 1):
            annex = [(f"Annexe {page - 1}", True), *lines[1:6]]
            figure_page(pdf, title, annex, page)


def main() -> None:
    for folder, (topic, method, pages, left_out) in PLAN.items():
        write_report(SUBMISSIONS / folder / "rapport.pdf", topic, method, pages, left_out)
    solution = ROOT / "assignments" / "mini-projet" / "rapport.pdf"
    write_report(solution, "classification", "TF-IDF et régression logistique", 2, ())


if __name__ == "__main__":
    main()
