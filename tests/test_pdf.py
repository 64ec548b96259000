"""grader.pdf against hostile PDFs: each is a French sentence or a bounded reading, never a crash.

The PDFs are written byte by byte (tests/pdfs.py: a hand-made file says exactly what it holds): a
truncated one, 500 pages, a content stream that inflates to gigabytes, JavaScript and an
embedded file, megabytes of text.
"""

from __future__ import annotations

import base64

import pytest

from grader.pdf import PdfLimits, PdfUnreadable, read_pdf
from grader.results import SECTION_IMAGE_BYTES, SECTION_IMAGES, _bounded_section
from grader.text import TextBudget
from tests.pdfs import deflate_bomb, pdf, text_stream


def test_a_plain_pdf_gives_pages_text_and_page_images() -> None:
    report = read_pdf(pdf([text_stream("1. Objectif", "Limites")] * 2), "rapport.pdf")
    assert report.pages == 2
    assert "Objectif" in report.text and "Limites" in report.text
    assert report.figures == 0
    assert len(report.images) == 2
    assert all(base64.b64decode(i).startswith(b"\x89PNG") for i in report.images)


def test_a_truncated_pdf_is_a_sentence() -> None:
    whole = pdf([text_stream("Objectif")])
    with pytest.raises(PdfUnreadable) as raised:
        read_pdf(whole[:60], "rapport.pdf")
    assert str(raised.value) == "le rapport `rapport.pdf` est illisible (PDF tronqué ou endommagé)"


def test_what_is_not_a_pdf_is_a_sentence() -> None:
    with pytest.raises(PdfUnreadable, match="n'est pas un PDF"):
        read_pdf(b"PK\x03\x04 a zip file", "rapport.pdf")


def test_an_oversized_file_is_refused_before_it_is_parsed() -> None:
    with pytest.raises(PdfUnreadable) as raised:
        read_pdf(b"%PDF-1.7\n" + b" " * 2048, "rapport.pdf", PdfLimits(max_bytes=1024))
    assert str(raised.value) == "le rapport `rapport.pdf` dépasse 1 Kio : il n'a pas été lu"


@pytest.mark.slow
def test_five_hundred_pages_are_counted_and_few_are_read() -> None:
    report = read_pdf(pdf([text_stream("page")] * 500), "rapport.pdf")
    assert report.pages == 500
    assert len(report.images) == PdfLimits().images
    assert report.text.count("page") == PdfLimits().read_pages


@pytest.mark.slow
def test_a_compression_bomb_stops_at_the_limits() -> None:
    """A content stream of 2 GiB of spaces, 2 MiB compressed: the worker meets its limits (or
    pypdf its own) and the grader says so; the grader's process never holds the inflated text."""
    limits = PdfLimits(memory_bytes=512 * 1024**2, cpu_s=5)
    try:
        report = read_pdf(deflate_bomb(), "rapport.pdf", limits)
    except PdfUnreadable as refused:
        assert "rapport.pdf" in str(refused)
    else:
        assert report.pages == 1 and len(report.text) <= limits.text_chars


def test_javascript_and_an_embedded_file_are_never_run_nor_read() -> None:
    script = b"<< /S /JavaScript /JS (app.alert('pwned'); this.exportDataObject({cName: 'x'});) >>"
    # object 6 follows the one page (4) and its content (5)
    report = read_pdf(
        pdf(
            [text_stream("Objectif")],
            extra=script,
            catalog=b"/OpenAction 6 0 R /Names << /JavaScript << /Names [(a) 6 0 R] >> >> ",
        ),
        "rapport.pdf",
    )
    assert report.pages == 1 and "Objectif" in report.text and "pwned" not in report.text


@pytest.mark.slow
def test_megabytes_of_text_are_cut_at_the_limit() -> None:
    """A megabyte of text on one page is read and cut; ten times more is too heavy to read
    within the worker's CPU time: a sentence either way."""
    line = "mot " * 100
    report = read_pdf(
        pdf([text_stream(*[line] * 2_500)]), "rapport.pdf", PdfLimits(text_chars=50_000)
    )
    assert report.pages == 1
    assert len(report.text) == 50_000
    with pytest.raises(PdfUnreadable, match="demande trop de calcul ou de mémoire"):
        read_pdf(pdf([text_stream(*[line] * 30_000)]), "rapport.pdf", PdfLimits(cpu_s=3))


def test_a_sections_images_are_kept_only_as_a_few_small_pngs() -> None:
    """What a stored result may hold in a section's `images` (read back, it is hostile): PNGs
    in base64, SECTION_IMAGES at most, each under SECTION_IMAGE_BYTES; texts in the budget."""
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 100).decode()
    huge = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * SECTION_IMAGE_BYTES).decode()
    images = [png, "not base64!", base64.b64encode(b"GIF89a").decode(), huge, 12, *[png] * 10]
    section = {"kind": "pdf-pages", "title": "=cmd\x00", "data": {"images": images, "pages": 3}}
    kept = _bounded_section(section, TextBudget())
    assert kept["data"]["images"] == [png] * (SECTION_IMAGES - 4)
    assert kept["data"]["pages"] == 3 and "\x00" not in kept["title"]
    assert _bounded_section(None, TextBudget()) is None
    assert _bounded_section({"kind": "x", "title": "t", "data": {"images": "no"}}, TextBudget())[
        "data"
    ] == {"images": []}
