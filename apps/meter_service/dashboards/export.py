"""The dashboards' figures as tables, and those tables as CSV or XLSX files.

Numbers stay numbers (no separators, ASCII digits) so the files feed spreadsheets and
scripts; labels and dates are in the active language (Jalali dates in Persian).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from apps.meter_service.core.exports import spreadsheet_text
from apps.meter_service.core.jalali import format_date, format_datetime
from apps.meter_service.dashboards.selectors import Dashboard


@dataclass(frozen=True)
class Table:
    key: str  # the figure's name, also the file and sheet name
    title: str
    headers: list[str]
    rows: list[list[Any]]


def _na(value: Any) -> Any:
    return "" if value is None else value


def _counts(key: str, title: str, first: str, rows: list[dict[str, Any]]) -> Table:
    return Table(key, title, [first, _("Claims")], [[str(r["label"]), r["count"]] for r in rows])


def _tables(d: Dashboard) -> list[Table]:
    fig = d.figures
    tables: list[Table] = []
    if "claims_by_channel" in fig:
        tables.append(
            _counts(
                "claims_by_channel", _("Claims by channel"), _("Channel"), fig["claims_by_channel"]
            )
        )
    if "claims_by_status" in fig:
        tables.append(
            _counts("claims_by_status", _("Claims by status"), _("Status"), fig["claims_by_status"])
        )
    if "claims_by_period" in fig:
        tables.append(
            Table(
                "claims_by_period",
                _("Claims by period"),
                [
                    _("Period"),
                    _("From"),
                    _("To"),
                    _("Claims filed"),
                    _("Closed"),
                    _("Closed within target"),
                ],
                [
                    [
                        r["label"],
                        format_date(r["start"]),
                        format_date(r["end"]),
                        r["filed"],
                        r["closed"],
                        r["met"],
                    ]
                    for r in fig["claims_by_period"]
                ],
            )
        )
    if "service_time" in fig:
        s = fig["service_time"]
        tables.append(
            Table(
                "service_time",
                _("Service time (working hours)"),
                [_("Closed claims"), _("Average"), _("90th percentile"), _("Target")],
                [[s["count"], _na(s["average_hours"]), _na(s["p90_hours"]), s["target_hours"]]],
            )
        )
    if "sla_compliance" in fig:
        s = fig["sla_compliance"]
        tables.append(
            Table(
                "sla_compliance",
                _("Service level"),
                [
                    _("Closed claims"),
                    _("Within target"),
                    _("Over target"),
                    _("Compliance (%)"),
                    _("Open: on track"),
                    _("Open: at risk"),
                    _("Open: breached"),
                ],
                [
                    [
                        s["closed"],
                        s["met"],
                        s["breached"],
                        _na(s["percent"]),
                        s["open_on_track"],
                        s["open_at_risk"],
                        s["open_breached"],
                    ]
                ],
            )
        )
    if "backlog_by_step" in fig:
        tables.append(
            Table(
                "backlog_by_step",
                _("Backlog by step"),
                [_("Step"), _("Lane"), _("Open steps"), _("Waiting since")],
                [
                    [r["name"], str(r["lane_label"]), r["count"], format_datetime(r["oldest"])]
                    for r in fig["backlog_by_step"]
                ],
            )
        )
    if "backlog_by_role" in fig:
        tables.append(
            Table(
                "backlog_by_role",
                _("Backlog by role"),
                [_("Lane"), _("Roles"), _("Open steps"), _("Waiting since")],
                [
                    [
                        str(r["label"]),
                        "، ".join(str(x) for x in r["roles"]),
                        r["count"],
                        format_datetime(r["oldest"]),
                    ]
                    for r in fig["backlog_by_role"]
                ],
            )
        )
    if "verdict_mix" in fig:
        tables.append(
            Table(
                "verdict_mix",
                _("Verdicts"),
                [_("Verdict"), _("Claims"), _("Share (%)")],
                [[str(r["label"]), r["count"], _na(r["percent"])] for r in fig["verdict_mix"]],
            )
        )
    rate_headers = [_("Tested"), _("Faulty"), _("Tampered with"), _("Fault rate (%)")]
    if "fault_rate_by_model" in fig:
        tables.append(
            Table(
                "fault_rate_by_model",
                _("Fault rate by meter make and model"),
                [_("Make"), _("Model"), *rate_headers],
                [
                    [r["make"], r["model"], r["tested"], r["faulty"], r["tampered"], r["rate"]]
                    for r in fig["fault_rate_by_model"]
                ],
            )
        )
    if "fault_rate_by_age" in fig:
        tables.append(
            Table(
                "fault_rate_by_age",
                _("Fault rate by meter age"),
                [_("Age"), *rate_headers],
                [
                    [str(r["label"]), r["tested"], r["faulty"], r["tampered"], r["rate"]]
                    for r in fig["fault_rate_by_age"]
                ],
            )
        )
    if "fees" in fig:
        s = fig["fees"]
        rows = [[str(r["label"]), r["count"], r["amount"]] for r in s["by_method"]]
        rows += [
            [_("Collected in total"), s["collected_count"], s["collected"]],
            [_("Charged to the next bill"), s["on_bill_count"], s["on_bill"]],
            [_("Refunded"), s["refunded_count"], s["refunded"]],
            [_("Waived"), s["waived_count"], s["waived"]],
            [_("Collected less refunds"), "", s["net"]],
        ]
        tables.append(
            Table("fees", _("Test fees (Rial)"), [_("Item"), _("Claims"), _("Amount (Rial)")], rows)
        )
    if "correction_totals" in fig:
        s = fig["correction_totals"]
        rows = (
            [[_("Not available yet"), "", ""]]
            if s is None
            else [
                [_("Credits to subscribers"), s["credit_count"], s["credits"]],
                [_("Debits to subscribers"), s["debit_count"], s["debits"]],
                [_("Net (debits less credits)"), "", s["net"]],
            ]
        )
        tables.append(
            Table(
                "correction_totals",
                _("Bill corrections (Rial)"),
                [_("Item"), _("Corrections"), _("Amount (Rial)")],
                rows,
            )
        )
    if "complaints_per_thousand" in fig:
        s = fig["complaints_per_thousand"]
        rows = (
            [[_("Not available yet"), "", ""]]
            if s is None
            else [[s["complaints"], s["claims"], _na(s["per_thousand"])]]
        )
        tables.append(
            Table(
                "complaints_per_thousand",
                _("Complaints per 1,000 claims"),
                [_("Complaints received"), _("Claims"), _("Per 1,000 claims")],
                rows,
            )
        )
    if "complaint_satisfaction" in fig:
        s = fig["complaint_satisfaction"]
        # The average and the count first, then the count of each score (all complaints of
        # the period, whatever office or city is chosen).
        tables.append(
            Table(
                "complaint_satisfaction",
                _("Complaint satisfaction (CSAT)"),
                [_("Rating"), _("Ratings"), _("Share (%)")],
                [
                    [_("Average rating (1-5)"), _na(s["average"]), ""],
                    [_("Ratings given"), s["count"], ""],
                    [_("Complainants asked"), s["asked"], ""],
                    *[
                        [f"{row['score']} — {row['label']}", row["count"], _na(row["percent"])]
                        for row in s["by_score"]
                    ],
                ],
            )
        )
    if "office_performance" in fig:
        tables.append(
            Table(
                "office_performance",
                _("Counter-office performance"),
                [
                    _("Office code"),
                    _("Office"),
                    _("Claims"),
                    _("Paid"),
                    _("Closed"),
                    _("Office fees (Rial)"),
                    _("Average service hours"),
                    _("Within target (%)"),
                ],
                [
                    [
                        r["code"],
                        r["name"],
                        r["claims"],
                        r["paid"],
                        r["closed"],
                        r["office_fees"],
                        _na(r["average_hours"]),
                        _na(r["sla_percent"]),
                    ]
                    for r in fig["office_performance"]
                ],
            )
        )
    return tables


def dashboard_tables(d: Dashboard) -> list[Table]:
    """Every computed figure of the dashboard as a titled table, in page order."""
    return _tables(d)


def to_csv(tables: list[Table]) -> bytes:
    """One table as plain CSV; several as titled sections with a blank line between.

    UTF-8 with a byte-order mark, so spreadsheet programs read Persian text correctly.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    for index, table in enumerate(tables):
        if len(tables) > 1:
            if index:
                writer.writerow([])
            writer.writerow([spreadsheet_text(table.title)])
        writer.writerow([spreadsheet_text(header) for header in table.headers])
        writer.writerows([spreadsheet_text(cell) for cell in row] for row in table.rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(tables: list[Table], *, right_to_left: bool) -> bytes:
    """One worksheet per table, titled, with a bold header row."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for table in tables:
        sheet = book.create_sheet(title=table.key[:31])
        sheet.sheet_view.rightToLeft = right_to_left
        sheet.append([table.title])
        sheet["A1"].font = Font(bold=True, size=13)
        sheet.append(table.headers)
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append(row)
            for cell in sheet[sheet.max_row]:
                # Text stays text: openpyxl would store "=..." as a formula.
                if isinstance(cell.value, str) and cell.data_type == "f":
                    cell.data_type = "s"
        for column, header in enumerate(table.headers, start=1):
            width = max([len(str(header))] + [len(str(r[column - 1])) for r in table.rows])
            sheet.column_dimensions[sheet.cell(row=2, column=column).column_letter].width = min(
                max(width + 2, 10), 48
            )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
