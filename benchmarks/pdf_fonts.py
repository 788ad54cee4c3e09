"""What WeasyPrint's font configuration costs a PDF: fresh per document (as the receipt,
report and statement make it) against one kept, in the same run.

    .venv/bin/python benchmarks/pdf_fonts.py [--runs 8]

Renders a receipt-sized Persian page with the receipt's fonts (Vazirmatn, as the
receipt's @font-face names them), alternating a fresh FontConfiguration with a kept one,
and prints the p50 of each, their ratio and the load average. No database is used.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=8, help="renders of each kind")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sites.settings")
    os.environ.setdefault("METER_SITE", "test")
    import django

    django.setup()
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    from apps.meter_service.doctype.claim.receipt import FONT_FILES, _font_url

    faces = "".join(
        f"@font-face{{font-family:V;font-weight:{weight};src:url('{_font_url(path)}')}}"
        for weight, path in FONT_FILES.items()
    )
    html = (
        f"<html dir=rtl><style>{faces} body{{font-family:V}}</style><body>"
        f"<h1>رسید درخواست ۱۲۳</h1><p>{'متن آزمایشی ' * 200}</p></body></html>"
    )

    def render(config: FontConfiguration) -> float:
        started = time.perf_counter()
        HTML(string=html).render(font_config=config).write_pdf()
        return (time.perf_counter() - started) * 1000

    kept = FontConfiguration()
    render(FontConfiguration())
    render(kept)
    fresh_ms, kept_ms = [], []
    for _run in range(args.runs):
        fresh_ms.append(render(FontConfiguration()))
        kept_ms.append(render(kept))
    fresh, warm = statistics.median(fresh_ms), statistics.median(kept_ms)
    print(f"fresh FontConfiguration p50 {fresh:.1f} ms, kept p50 {warm:.1f} ms")
    print(f"ratio {fresh / warm:.2f}; load average (1, 5, 15 min) {os.getloadavg()}")


if __name__ == "__main__":
    main()
