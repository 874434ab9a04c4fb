"""How fast and how big the PDF export is (chapters/exporting/), each job in its own process.

    .venv/bin/python -c "import bench.exports as b; print(b.measure_pdf())"

- ``pdf_demo_s``: the 11 demo chapters (chapters/demo/NN-*.md) to PDF; budget 15 s.
- ``pdf_300_pages_s``, ``_peak_mb``, ``_pages``: a generated handbook of about 300 pages;
  budgets 60 s and 1 GB.

Times are ``to_pdf`` alone (Markdown is rendered before the clock starts: the app caches it per
chapter version). Each job runs in a child process, and the peak is that child's own maximum
resident set size (``os.wait4`` returns the rusage of exactly that child, the figure
``RUSAGE_CHILDREN`` would show if it were our only child), so it measures the PDF job itself:
interpreter, WeasyPrint, the document and its layout.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEMO_DIR = ROOT / "chapters" / "demo"

# About 300 A4 pages with print.css; the job reports the real count.
SYNTHETIC_CHAPTERS = 41
SECTIONS_PER_CHAPTER = 6
PARAGRAPHS_PER_SECTION = 4
SEED = 1

_VOCABULARY = (
    "border firearm ammunition customs officer control vehicle document marking serial calibre "
    "inspection seizure report evidence chain custody risk analysis profile indicator passenger "
    "cargo container parcel authority cooperation exchange information regional national "
    "procedure legislation permit licence transit export import component barrel frame receiver "
    "Ђорђе Чачак граница царина оружје Shqipëri çështje kufiri armë čuvar žica šuma ćevap"
)
WORDS = _VOCABULARY.split()


def _sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(9, 22))
    return " ".join(words).capitalize() + "."


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(4, 7)))


def synthetic_chapter(number: int, rng: random.Random) -> tuple[str, str]:
    """A chapter shaped like the demo ones: sections, subsections, a table, a list, a note."""
    parts: list[str] = []
    for section in range(1, SECTIONS_PER_CHAPTER + 1):
        parts.append(f"## Section {number}.{section} {rng.choice(WORDS)}")
        for paragraph in range(PARAGRAPHS_PER_SECTION):
            if paragraph == 2:
                parts.append(f"### Detail {rng.choice(WORDS)} {rng.choice(WORDS)}")
            parts.append(_paragraph(rng))
        if section % 2 == 0:
            rows = [
                f"| {rng.choice(WORDS)} | {_sentence(rng)} | {rng.randint(1, 999)} |"
                for _ in range(5)
            ]
            parts.append("| Item | Description | Count |\n|---|---|--:|\n" + "\n".join(rows))
        else:
            parts.append("\n".join(f"- {_sentence(rng)}" for _ in range(4)))
    parts.append(f"A closing remark.[^1]\n\n[^1]: {_sentence(rng)}")
    return f"Synthetic chapter {number} {rng.choice(WORDS)}", "\n\n".join(parts) + "\n"


def _demo_chapters() -> list[tuple[str, str]]:
    chapters = []
    for path in sorted(DEMO_DIR.glob("[0-9][0-9]-*.md")):
        text = path.read_text(encoding="utf-8")
        first, _, rest = text.partition("\n")
        if first.startswith("#"):
            chapters.append((first.lstrip("#").strip(), rest.lstrip("\n")))
        else:
            chapters.append((path.stem[3:].replace("-", " ").capitalize(), text))
    return chapters


def _document(job: str) -> Any:
    from chapters.exporting import ExportChapter, ExportDocument
    from chapters.rendering import render_markdown

    if job == "demo":
        sources = _demo_chapters()
    else:
        rng = random.Random(SEED)
        sources = [synthetic_chapter(n, rng) for n in range(1, SYNTHETIC_CHAPTERS + 1)]
    chapters = [
        ExportChapter(
            number=number,
            title=title,
            body=body,
            version=1,
            html=render_markdown(body, number=number),
        )
        for number, (title, body) in enumerate(sources, start=1)
    ]
    return ExportDocument(
        title="Handbook on Firearms for Border Guards and Customs Officers",
        label="1.0",
        date=datetime.date(2026, 3, 1),
        organisations=["FRONTEX", "SEESAC"],
        distribution_marking="LIMITED DISTRIBUTION",
        language="en",
        chapters=chapters,
    )


def run_job(job: str, output: Path) -> dict[str, Any]:
    """Render one job's PDF (in this process) and return its time and page count."""
    from pypdf import PdfReader

    from chapters.exporting import to_pdf

    document = _document(job)
    started = time.perf_counter()
    data = to_pdf(document)
    seconds = time.perf_counter() - started
    output.write_bytes(data)
    return {"seconds": seconds, "pages": len(PdfReader(output).pages), "bytes": len(data)}


def _in_child(job: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-exports-") as directory:
        result_path = Path(directory) / "result.json"
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "bench.exports", "--job", job, "--result", str(result_path)],
            cwd=ROOT,
        )
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            raise RuntimeError(f"PDF bench job {job!r} exited with {process.returncode}")
        result: dict[str, Any] = json.loads(result_path.read_text())
    result["peak_mb"] = usage.ru_maxrss / 1024  # KiB on Linux
    return result


def measure_pdf() -> dict[str, float | int]:
    demo = _in_child("demo")
    big = _in_child("synthetic")
    return {
        "pdf_demo_s": round(demo["seconds"], 2),
        "pdf_300_pages_s": round(big["seconds"], 2),
        "pdf_300_pages_peak_mb": round(big["peak_mb"], 1),
        "pdf_300_pages_pages": int(big["pages"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="One PDF export job (used by measure_pdf).")
    parser.add_argument("--job", choices=("demo", "synthetic"), required=True)
    parser.add_argument("--result", type=Path, required=True, help="where to write the JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-pdf-") as directory:
        result = run_job(args.job, Path(directory) / f"{args.job}.pdf")
    args.result.write_text(json.dumps(result))


if __name__ == "__main__":
    main()
