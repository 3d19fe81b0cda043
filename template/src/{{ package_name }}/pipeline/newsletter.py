"""A summary -> the newsletter: subject, HTML and plain-text parts, and the charts it embeds."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

import jinja2
import pandas as pd

from .. import settings
from .summary import AreaSummary, Summary

_TEMPLATES = jinja2.Environment(
    loader=jinja2.PackageLoader(__package__ or __name__, "templates"),
    autoescape=jinja2.select_autoescape(["html.j2"]),
    undefined=jinja2.StrictUndefined,
    keep_trailing_newline=True,
)


@dataclass(frozen=True)
class Letter:
    subject: str
    html: str  # charts referenced as cid:<file name>, for the email
    text: str
    images: dict[str, bytes]  # file name -> PNG

    def write(self, folder: Path) -> list[Path]:
        """newsletter.html (charts referenced by file name), newsletter.txt and the charts."""
        folder.mkdir(parents=True, exist_ok=True)
        written = [folder / "newsletter.html", folder / "newsletter.txt"]
        written[0].write_text(self.html.replace('src="cid:', 'src="'), encoding="utf-8")
        written[1].write_text(self.text, encoding="utf-8")
        for name, png in self.images.items():
            (folder / name).write_bytes(png)
            written.append(folder / name)
        return written

    def email(self, sender: str, recipient: str) -> EmailMessage:
        """One message for one recipient: text, and HTML with the charts inline (not linked)."""
        message = EmailMessage()
        message["Subject"] = self.subject
        message["From"] = sender
        message["To"] = recipient
        # RFC 5322 requires a Date; spam filters count its absence against the mail.
        message["Date"] = format_datetime(datetime.now(UTC))
        message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
        message.set_content(self.text)
        message.add_alternative(self.html, subtype="html")
        html_part = message.get_body(preferencelist=("html",))
        if not isinstance(html_part, EmailMessage):
            raise TypeError("the HTML alternative is missing")
        for name, png in self.images.items():
            # inline: shown in the HTML, not listed as an attachment to download
            html_part.add_related(
                png, "image", "png", cid=f"<{name}>", filename=name, disposition="inline"
            )
        return message


def render(summary: Summary, document_id: str) -> Letter:
    images = {_chart_name(area): chart_png(area, summary.title) for area in summary.areas}
    context = {
        "summary": summary,
        "document_id": document_id,
        "project_name": settings.PROJECT_NAME,
        "image_src": lambda area: f"cid:{_chart_name(area)}",
    }
    return Letter(
        summary.subject,
        _TEMPLATES.get_template("newsletter.html.j2").render(context),
        _TEMPLATES.get_template("newsletter.txt.j2").render(context),
        images,
    )


def chart_png(area: AreaSummary, title: str) -> bytes:
    """A line per production type (or the load, or the price) over local time."""
    import matplotlib

    matplotlib.use("Agg")  # no display: in the image, in CI, in the local stack
    from matplotlib import pyplot as plt
    from matplotlib.dates import DateFormatter

    figure, axes = plt.subplots(figsize=(7.3, 3.2), dpi=100)
    try:
        # Local wall-clock times on the axis, as the readers live them.
        chart = area.chart.set_axis(pd.DatetimeIndex(area.chart.index).tz_localize(None))
        for column in chart.columns:
            axes.plot(chart.index, chart[column], label=str(column), linewidth=1.6)
        axes.set_title(f"{title}, {area.name}", fontsize=11, loc="left")
        axes.set_ylabel(area.chart_unit)
        axes.xaxis.set_major_formatter(DateFormatter("%a %H:%M"))  # type: ignore[no-untyped-call]
        axes.grid(alpha=0.3)
        if len(chart.columns) > 1:
            axes.legend(fontsize=8, ncols=min(4, len(chart.columns)), frameon=False)
        figure.autofmt_xdate()
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", metadata={"Software": None})
        return buffer.getvalue()
    finally:
        plt.close(figure)


def _chart_name(area: AreaSummary) -> str:
    return f"chart-{area.name.lower()}.png"
