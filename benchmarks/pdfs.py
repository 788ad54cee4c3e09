"""What a PDF costs: receipt, test report and correction statement, before and after.

    .venv/bin/python benchmarks/pdfs.py [--runs 15]

Builds one of each document in a throwaway test database (the test suite's own fixtures:
a filed claim, a tested meter, an approved bill correction; run through pytest, which makes
and drops that database), then, alternating in the same minutes, prints each:

- before: as the code printed them (a fresh WeasyPrint FontConfiguration a document, the
  receipt's QR code a square a module);
- after, printed: the document read and printed through core.pdf (fonts kept per process);
- after, stored: `printout_pdf` serving the stored file (the document read, its print HTML
  rendered and compared with the stored one's content version, the file read);
- baseline: WeasyPrint printing a one-line page with the same fonts (kept configuration).

Prints p50 / p95 in ms of each, the ratio of each p50 to the baseline's, a cold first PDF
in a fresh process (WeasyPrint imported, fonts loaded: what warm() takes out of a worker's
first request), where a printed receipt's time goes (a cProfile of 5, cumulative, so the
parts overlap: the print HTML holds the database reads, the layout holds Pango's line
breaking) and the load average. Only ratios compare between runs on a shared machine.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("PDF_BENCH_RUNS", "15"))

COLD = """
import time
started = time.perf_counter()
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
HTML(string=open({path!r}).read(), base_url={base!r}).write_pdf(font_config=FontConfiguration())
print((time.perf_counter() - started) * 1000)
"""


# Where a printed receipt's time goes: (label, file ending, function name), cumulative.
PARTS = [
    ("print HTML: database reads, QR, template (twice)", "printout/services.py", "_print_html"),
    ("  of it the QR code", "claim/receipt.py", "tracking_qr_svg"),
    ("WeasyPrint: HTML and CSS objects (the <style> parse)", "weasyprint/__init__.py", "__init__"),
    (
        "WeasyPrint: stylesheet parse and computed styles",
        "css/__init__.py",
        "get_all_computed_styles",
    ),
    ("WeasyPrint: layout (all pages)", "layout/__init__.py", "layout_document"),
    ("  of it Pango line breaking", "text/line_break.py", "split_first_line"),
    ("WeasyPrint: PDF written (drawing, font subsetting)", "weasyprint/document.py", "write_pdf"),
    ("  of it the QR's SVG", "svg/__init__.py", "draw"),
    ("  of it font subsetting", "pdf/fonts.py", "subset"),
]


def profile_parts(stats: pstats.Stats, calls: int) -> list[tuple[str, float]]:
    totals = []
    for label, ending, name in PARTS:
        seconds = sum(
            row[3]
            for (filename, _line, function), row in stats.stats.items()  # type: ignore[attr-defined]
            if function == name and filename.endswith(ending)
        )
        totals.append((label, seconds * 1000 / calls))
    return totals


def p(values: list[float], q: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def main() -> None:
    runs = RUNS
    if "--runs" in sys.argv:
        runs = int(sys.argv[sys.argv.index("--runs") + 1])
    env = {
        **os.environ,
        "PDF_BENCH_RUNS": str(runs),
        "METER_SITE": os.environ.get("METER_SITE", "test"),
        "METER_SITE_PER_TEST_WORKER": os.environ.get("METER_SITE", "test"),
    }
    command = [
        *(sys.executable, "-m", "pytest", f"{__file__}::test_print_figures"),
        *("-q", "-s", "-p", "no:randomly", "-p", "no:cacheprovider", "--no-cov"),
        *("-W", "ignore", "--disable-warnings"),
    ]
    sys.exit(subprocess.call(command, cwd=ROOT, env=env))


# --- run by pytest (main() above) -----------------------------------------------------------

if "pytest" in sys.modules:
    import pytest

    # The suite's fixtures (its database, site folder and the process's claims).
    pytest_plugins = ["tests.conftest", "tests.doctype.correction.conftest"]

    from tests.doctype.correction.test_services import *  # noqa: F403  (the fixtures)
    from tests.doctype.inspection.conftest import point, prover, record  # noqa: F401

    @pytest.mark.django_db
    def test_print_figures(at_correction, staff, tmp_path):
        from django.conf import settings
        from weasyprint import HTML
        from weasyprint.text.fonts import FontConfiguration

        from apps.meter_service.core import pdf
        from apps.meter_service.doctype.claim import receipt
        from apps.meter_service.doctype.claim.receipt import FONT_FILES, _font_url
        from apps.meter_service.doctype.correction import services
        from apps.meter_service.doctype.inspection.selectors import claim_report_inspection
        from apps.meter_service.doctype.printout.models import PrintoutKind
        from apps.meter_service.doctype.printout.services import (
            PRINTABLES,
            _print_html,
            printout_pdf,
        )

        correction = services.correction_compute(
            claim=at_correction, actor=staff["billing_officer"]
        )
        services.correction_submit(correction=correction, actor=staff["billing_officer"])
        correction.refresh_from_db()
        documents = {
            PrintoutKind.RECEIPT: at_correction,
            PrintoutKind.TEST_REPORT: claim_report_inspection(claim=at_correction),
            PrintoutKind.CORRECTION_STATEMENT: correction,
        }
        base = str(settings.BASE_DIR)
        fonts = {weight: _font_url(path) for weight, path in FONT_FILES.items()}
        faces = " ".join(
            f'@font-face {{ font-family: "Vazirmatn FD"; font-weight: {w}; src: url("{u}"); }}'
            for w, u in fonts.items()
        )
        trivial = (
            f"<html><head><style>{faces} html {{ font-family: 'Vazirmatn FD'; }}</style>"
            "</head><body><p>رسید ۱۲۳</p></body></html>"
        )

        def library_qr(code: str) -> str:  # the receipt's QR code before: a square a module
            import qrcode
            import qrcode.image.svg

            image = qrcode.make(code, image_factory=qrcode.image.svg.SvgPathImage, border=2)
            return str(image.to_string(encoding="unicode"))

        def before(kind: str) -> None:  # the code before: a fresh configuration a document
            ours, receipt.tracking_qr_svg = receipt.tracking_qr_svg, library_qr
            try:
                html, _version = _print_html(kind, documents[kind], "fa")
            finally:
                receipt.tracking_qr_svg = ours
            HTML(string=html, base_url=base).write_pdf(font_config=FontConfiguration())

        def printed(kind: str) -> None:
            html, _version = _print_html(kind, documents[kind], "fa")
            pdf.html_to_pdf(html)

        def stored(kind: str) -> None:
            printout_pdf(kind=kind, document=documents[kind])

        def baseline() -> None:
            pdf.html_to_pdf(trivial)

        cold_html = tmp_path / "receipt.html"
        cold_html.write_text(_print_html(PrintoutKind.RECEIPT, at_correction, "fa")[0])
        cold = float(
            subprocess.run(
                [sys.executable, "-c", COLD.format(path=str(cold_html), base=base)],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()[-1]
        )

        timings: dict[str, list[float]] = {"baseline": []}
        for kind in PRINTABLES:
            for way in ("before", "printed", "stored"):
                timings[f"{kind} {way}"] = []
            before(kind), printed(kind), stored(kind)  # warm-up, and the stored file made
        baseline()
        load_start = os.getloadavg()
        for _run in range(int(os.environ.get("PDF_BENCH_RUNS", "15"))):
            for name, call in [("baseline", baseline)] + [
                (f"{kind} {way}", lambda k=kind, f=func: f(k))
                for kind in PRINTABLES
                for way, func in (("before", before), ("printed", printed), ("stored", stored))
            ]:
                started = time.perf_counter()
                call()
                timings[name].append((time.perf_counter() - started) * 1000)
        floor = statistics.median(timings["baseline"])
        print(f"\nload average (1, 5, 15 min) at the start {load_start}, end {os.getloadavg()}")
        print(f"{'':40} {'p50 ms':>8} {'p95 ms':>8} {'p50 / baseline':>15}")
        for name, values in timings.items():
            p50 = statistics.median(values)
            print(f"{name:40} {p50:8.1f} {p(values, 95):8.1f} {p50 / floor:14.1f}x")
        for kind in PRINTABLES:
            b = statistics.median(timings[f"{kind} before"])
            for way in ("printed", "stored"):
                a = statistics.median(timings[f"{kind} {way}"])
                print(f"{kind} {way}: {b / a:.1f}x faster than before")
        print(f"a cold first receipt in a fresh process (import + fonts + print): {cold:.0f} ms")

        profiler = cProfile.Profile()
        profiler.enable()
        for _run in range(5):
            html, _version = _print_html(PrintoutKind.RECEIPT, at_correction, "fa")
            pdf.html_to_pdf(html)
        profiler.disable()
        stats = pstats.Stats(profiler)
        whole = stats.total_tt * 1000 / 5  # type: ignore[attr-defined]
        print(f"a printed receipt under cProfile: {whole:.0f} ms, of which (cumulative):")
        for label, ms in profile_parts(stats, 5):
            print(f"  {label:55} {ms:6.1f} ms {ms / whole:6.0%}")


if __name__ == "__main__":
    main()
