"""A summary -> the newsletter: subject, HTML and plain-text parts, and the charts it embeds."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from pathlib import Path

import jinja2
import pandas as pd

from .. import settings
from .summary import AreaSummary, Summary

# The newsletter's and the digest's templates (templates/), the zone's part shared by both.
TEMPLATES = jinja2.Environment(
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
    reference: str = ""  # the document's mRID, for support: a header and the footer line alone

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
        # The sender may carry a name ("Desk <desk@example.org>"): the domain is the address's.
        message["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2] or None)
        if self.reference:
            message["X-ENTSOE-Document"] = " ".join(self.reference.split())  # one line
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
        "colour": colour,
    }
    return Letter(
        summary.subject,
        TEMPLATES.get_template("newsletter.html.j2").render(context),
        TEMPLATES.get_template("newsletter.txt.j2").render(context),
        images,
        document_id,
    )


# One colour per production type, the same in every newsletter (keyed by psrType).
COLOURS = {
    "B01": "#6a994e",  # Biomass
    "B02": "#7f5539",  # Fossil Brown coal/Lignite
    "B03": "#b08968",  # Fossil Coal-derived gas
    "B04": "#e76f51",  # Fossil Gas
    "B05": "#343a40",  # Fossil Hard coal
    "B06": "#9d0208",  # Fossil Oil
    "B07": "#6c584c",  # Fossil Oil shale
    "B08": "#ddb892",  # Fossil Peat
    "B09": "#d62828",  # Geothermal
    "B10": "#1d3557",  # Hydro Pumped Storage
    "B11": "#457b9d",  # Hydro Run-of-river and pondage
    "B12": "#2a6f97",  # Hydro Water Reservoir
    "B13": "#48cae4",  # Marine
    "B14": "#9b5de5",  # Nuclear
    "B15": "#90be6d",  # Other renewable
    "B16": "#ffb703",  # Solar
    "B17": "#8d99ae",  # Waste
    "B18": "#0077b6",  # Wind Offshore
    "B19": "#00b4d8",  # Wind Onshore
    "B20": "#adb5bd",  # Other
    "B25": "#f4a261",  # Energy storage
}
LINE_COLOURS = {"Total": "#52606d", "Load": "#243b53", "Price": "#c2185b"}


def colour(line: str) -> str:
    """The fixed colour of a production type (by its name), or of a load or price line."""
    from entsoe.mappings import PSRTYPE_MAPPINGS

    by_name = {name: COLOURS[code] for code, name in PSRTYPE_MAPPINGS.items() if code in COLOURS}
    return by_name.get(line) or LINE_COLOURS.get(line, "#52606d")


def chart_png(area: AreaSummary, title: str) -> bytes:
    """The production mix stacked (with the installed capacity as a line), or the load or the
    price as a line, over local time; the legend below the plot, never over the data."""
    from matplotlib.dates import DateFormatter
    from matplotlib.figure import Figure

    # A Figure of its own, not pyplot's: no global state, so runs in threads may draw at once;
    # the constrained layout fits the legend below in one drawing (bbox_inches="tight" drew twice).
    figure = Figure(figsize=(7.3, 3.4), dpi=100, layout="constrained")
    axes = figure.subplots()
    # Local wall-clock times on the axis, as the readers live them.
    chart = area.chart.set_axis(pd.DatetimeIndex(area.chart.index).tz_localize(None))
    columns = [str(c) for c in chart.columns]
    if area.stacked:
        axes.stackplot(
            chart.index,
            *(chart[c].fillna(0).to_numpy() for c in chart.columns),
            labels=columns,
            colors=[colour(c) for c in columns],
            linewidth=0,
        )
    else:
        for column in chart.columns:
            axes.plot(chart.index, chart[column], color=colour(str(column)), linewidth=1.6)
    if area.capacity_mw:
        axes.axhline(
            area.capacity_mw,
            color="#102a43",
            linestyle="--",
            linewidth=1,
            label=f"Installed capacity ({area.capacity_mw:,.0f} MW)",
        )
    axes.set_title(f"{title}, {area.name}", fontsize=11, loc="left")
    axes.set_ylabel(area.chart_unit)
    axes.set_ylim(bottom=min(0.0, float(chart.min().min())))
    axes.xaxis.set_major_formatter(DateFormatter("%a %H:%M"))  # type: ignore[no-untyped-call]
    axes.grid(alpha=0.3)
    handles, labels = axes.get_legend_handles_labels()
    if len(labels) > 1 or area.capacity_mw:
        axes.legend(
            handles[::-1],  # top of the stack first, as it is drawn
            labels[::-1],
            fontsize=8,
            ncols=min(3, len(labels)),
            frameon=False,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.3),  # below the slanted times
        )
    figure.autofmt_xdate()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def _chart_name(area: AreaSummary) -> str:
    return f"chart-{area.name.lower()}.png"
