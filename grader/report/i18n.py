"""The words of the reports in French (the course's language, the default) and in English."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

from grader import messages
from grader.formats import Lang as Lang
from grader.messages import load_catalogue

LANGS: tuple[Lang, ...] = ("fr", "en")


@cache
def catalogue() -> dict[str, tuple[str, str]]:
    """The reports' words, grader/report/words.yaml: key -> (French, English)."""
    return load_catalogue(Path(__file__).with_name("words.yaml"))


def translator(lang: Lang) -> Callable[..., str]:
    """t("late_text", days=2) -> the sentence in `lang`, with its fields filled in; the
    messages of grader.messages (a skipped file's reason) by their key too."""
    column = LANGS.index(lang)

    def translate(key: str, **fields: object) -> str:
        text = (catalogue().get(key) or messages.catalogue()[key])[column]
        return text.format(**fields) if fields else text

    return translate
