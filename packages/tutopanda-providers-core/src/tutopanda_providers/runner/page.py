"""The movie's page: a self-contained ``<movie>/index.html`` to look at what a run made.

Every job gets a card: its artefact shown the way a person looks at it (an ``<img>``, an
``<audio>`` or ``<video>`` player, the script's segments and the prompts as text, other JSON
as text), with its model, mode, status, cost and time, and the reason of a failure. Media
come from the human view (``files/``, see :mod:`~tutopanda_providers.runner.view`) through
relative links only, so the page works after the movie folder moves; nothing is fetched from
the network (inline CSS, no scripts, no fonts) and every text is HTML-escaped.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from tutopanda_providers.contracts import Artefact, Cost
from tutopanda_providers.runner.reports import JobOutcome, failed_bill
from tutopanda_providers.runner.view import FILES, ViewFile, write_text_file, write_view

if TYPE_CHECKING:
    from tutopanda_providers.runner.movie import MovieStore
    from tutopanda_providers.runner.plan import Plan
    from tutopanda_providers.storage import BlobStore

#: The page's file name inside the movie.
PAGE = "index.html"

_STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:1.5rem auto;max-width:70rem;padding:0 1rem;
color:#1d1d1f;background:#fafafa}
h1{font-size:1.5rem;margin:.2rem 0}.meta{color:#555;font-size:.9rem}
.job{background:#fff;border:1px solid #ddd;border-radius:8px;padding:.8rem 1rem;margin:1rem 0}
.job h2{font-size:1.1rem;margin:0 0 .3rem}.failed{border-color:#c33;background:#fff5f5}
.error{color:#a00;white-space:pre-wrap}.failover{color:#850}img,video{max-width:100%;height:auto;display:block}
audio{width:100%}pre{white-space:pre-wrap;background:#f3f3f3;padding:.5rem;border-radius:4px;
max-height:30rem;overflow:auto}.segment{margin:.4rem 0}.badge{display:inline-block;
padding:0 .4rem;border-radius:4px;background:#eee;font-size:.8rem;margin-right:.3rem}
"""


def _cost(cost: Cost) -> str:
    if cost.amount_usd is None:
        return "unknown"
    label = "" if cost.status == "known" else f" ({cost.status})"
    return f"${cost.amount_usd:.4f}{label}"


def _link(name: str) -> str:
    return escape(f"{FILES}/{quote(name)}")


def _script_html(data: Mapping[str, Any]) -> str:
    parts = []
    if data.get("title"):
        parts.append(f"<h3>{escape(str(data['title']))}</h3>")
    for segment in data.get("segments") or []:
        if not isinstance(segment, Mapping):
            continue
        title = escape(str(segment.get("title", "")))
        seconds = segment.get("duration_seconds")
        when = f" ({seconds:g} s)" if isinstance(seconds, int | float) else ""
        parts.append(
            f'<div class="segment"><strong>{title}</strong>{escape(when)}'
            f"<p>{escape(str(segment.get('narration', '')))}</p></div>"
        )
    sources = data.get("sources") or []
    if sources:
        items = "".join(
            f"<li>{escape(str(s.get('title') or s.get('url') or s))}</li>"
            if isinstance(s, Mapping)
            else f"<li>{escape(str(s))}</li>"
            for s in sources
        )
        parts.append(f"<p>Sources:</p><ul>{items}</ul>")
    return "".join(parts)


def _prompts_html(prompts: Sequence[Any]) -> str:
    rows = []
    for p in prompts:
        if not isinstance(p, Mapping):
            continue
        where = f"segment {p.get('segment_index', '-')}, {p.get('target', '?')}"
        rows.append(f"<li><em>{escape(where)}</em>: {escape(str(p.get('prompt', '')))}</li>")
    return f"<ul>{''.join(rows)}</ul>"


def artefact_html(artefact: Artefact, name: str | None) -> str:
    """How one artefact is shown: a media element for blobs, text for script and prompts."""
    family = (artefact.blob.mime if artefact.blob else artefact.mime).split("/")[0]
    if artefact.blob is not None and name is not None:
        src = _link(name)
        if family == "image":
            return f'<img src="{src}" alt="{escape(name)}">'
        if family == "audio":
            return f'<audio controls preload="auto" src="{src}"></audio>'
        if family == "video":
            return f'<video controls preload="auto" src="{src}"></video>'
        return f'<a href="{src}">{escape(name)}</a>'
    if artefact.blob is not None:
        return '<p class="error">the stored file is missing; run again to make it</p>'
    data = artefact.data
    if isinstance(data, Mapping) and isinstance(data.get("segments"), list):
        return _script_html(data)
    if isinstance(data, Mapping) and isinstance(data.get("prompts"), list):
        return _prompts_html(data["prompts"])
    text = artefact.text if data is None else json.dumps(data, indent=2, ensure_ascii=False)
    return f"<pre>{escape(text or '')}</pre>"


def _job_html(outcome: JobOutcome, files: Iterable[ViewFile]) -> str:
    failed = outcome.status in ("failed", "blocked")
    mode = "mocked" if outcome.mocked else outcome.mode
    badges = [
        outcome.status + (" (kept from an earlier run)" if outcome.status == "skipped" else ""),
        outcome.model,
        mode,
        f"cost {_cost(outcome.cost)}" if not failed else f"billed ${failed_bill(outcome) or 0:.4f}",
        f"live {_cost(outcome.estimated_live)}",
        f"{outcome.duration_ms / 1000:.1f} s",
    ]
    head = "".join(f'<span class="badge">{escape(b)}</span>' for b in badges)
    body = [f'<p class="error">warning: {escape(w)}</p>' for w in outcome.warnings]
    if outcome.failover and not failed:
        body.append(f'<p class="failover">{escape(outcome.failover)}</p>')
    if failed:
        error = outcome.error or {}
        reason = str(error.get("message") or error.get("kind") or "failed")
        body.append(f'<p class="error">{escape(reason)}</p>')
    else:
        shown = list(files)
        body.extend(artefact_html(view.artefact, view.name) for view in shown)
        if not shown:
            body.append("<p>no artefact</p>")
    css = "job failed" if failed else "job"
    return (
        f'<section class="{css}" id="{escape(outcome.job_id)}"><h2>{escape(outcome.job_id)}'
        f" <small>{escape(outcome.producer)}</small></h2>{head}{''.join(body)}</section>"
    )


def page_html(
    title: str, plan: str, outcomes: Sequence[JobOutcome], files: Sequence[ViewFile]
) -> str:
    """The page's HTML (see the module docs)."""
    by_job: dict[str, list[ViewFile]] = {}
    for f in files:
        by_job.setdefault(f.job, []).append(f)
    spent = sum(
        o.cost.amount_usd or 0.0 for o in outcomes if o.status == "succeeded" and not o.mocked
    ) + sum(failed_bill(o) or 0.0 for o in outcomes if o.status == "failed")
    failed = sum(1 for o in outcomes if o.status in ("failed", "blocked"))
    when = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    summary = (
        f"{len(outcomes)} jobs, {failed} failed; spent ${spent:.4f}; plan {plan}; written {when}"
    )
    cards = "".join(_job_html(o, by_job.get(o.job_id, [])) for o in outcomes)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>"
        f'<h1>{escape(title)}</h1><p class="meta">{escape(summary)}</p>{cards}</body></html>\n'
    )


def write_page(
    movie_folder: str | Path,
    title: str,
    plan: str,
    outcomes: Sequence[JobOutcome],
    files: Sequence[ViewFile],
) -> Path:
    """Write ``<movie>/index.html`` atomically and return its path."""
    path = Path(movie_folder) / PAGE
    write_text_file(path, page_html(title, plan, outcomes, files))
    return path


def write_human_view(
    movie: MovieStore, store: BlobStore, plan: Plan, outcomes: Sequence[JobOutcome]
) -> str:
    """After a run: lay out ``files/`` from the movie's manifest and write ``index.html``
    (see :mod:`~tutopanda_providers.runner.page`); return the page's path."""
    files = write_view(movie.folder, movie.manifest(), store)
    order = {job.id: i for i, job in enumerate(plan.ordered())}
    in_plan_order = sorted(outcomes, key=lambda o: order.get(o.job_id, len(order)))
    return str(write_page(movie.folder, plan.title, plan.source, in_plan_order, files))


__all__ = ["PAGE", "artefact_html", "page_html", "write_human_view", "write_page"]
