"""Weight of every page of the built book, and of the whole site.

For each HTML page (not _static/, not _sources/): the HTML itself (which holds
the embedded data: base64 frames of the pre-computed sliders and animations,
counted separately as ``embedded_bytes``), plus every local image it shows
(``<img src>`` files, each counted once per page). Goal: the heaviest page
<= 2 MB (10^6 bytes per MB). The theme's shared CSS/JS that a page links is
listed once as ``shared_assets`` (a browser caches it across pages) and is
not part of a page's weight; MathJax loads further files at run time that no
static scan sees (its fonts), so those are not counted either.

The whole site: every file under the HTML folder (what one would deploy),
with a breakdown by folder. Goal: <= 40 MB.

    python benchmarks/bench_pages.py [--html _build/html]
"""
from __future__ import annotations

import argparse
import collections
import json
import re
import sys
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _machine import machine_info  # noqa: E402

MB = 1_000_000
GOAL_PAGE_MB, GOAL_SITE_MB = 2.0, 40.0
# base64 runs: data: URIs and the frames a player keeps in its script
BASE64_RUN = re.compile(r"[A-Za-z0-9+/=]{200,}")


def _local(base: Path, html_dir: Path, ref: str) -> Path | None:
    if not ref or ref.startswith(("data:", "#", "mailto:", "javascript:")):
        return None
    parts = urlsplit(ref)
    if parts.scheme or parts.netloc:
        return None
    path = (base / unquote(parts.path)).resolve()
    try:
        path.relative_to(html_dir.resolve())
    except ValueError:
        return None
    return path if path.is_file() else None


def page_weights(html_dir: Path) -> tuple[list[dict], dict]:
    from bs4 import BeautifulSoup

    pages, shared = [], {}
    for page in sorted(html_dir.rglob("*.html")):
        rel = page.relative_to(html_dir)
        if rel.parts[0] in ("_static", "_sources"):
            continue
        text = page.read_text(encoding="utf8")
        soup = BeautifulSoup(text, "html.parser")
        images = {}
        for tag in soup.find_all(["img", "source"]):
            for ref in [tag.get("src")] + [s.split()[0] for s in (tag.get("srcset") or "").split(",") if s.strip()]:
                path = _local(page.parent, html_dir, ref) if ref else None
                if path:
                    images[path.relative_to(html_dir.resolve()).as_posix()] = path.stat().st_size
        for tag in soup.find_all("script", src=True):
            path = _local(page.parent, html_dir, tag["src"])
            if path:
                shared[path.relative_to(html_dir.resolve()).as_posix()] = path.stat().st_size
        for tag in soup.find_all("link", href=True):
            if "stylesheet" in (tag.get("rel") or []):
                path = _local(page.parent, html_dir, tag["href"])
                if path:
                    shared[path.relative_to(html_dir.resolve()).as_posix()] = path.stat().st_size
        html_bytes = page.stat().st_size
        embedded = sum(len(m.group(0)) for m in BASE64_RUN.finditer(text))
        total = html_bytes + sum(images.values())
        pages.append({
            "page": rel.as_posix(), "html_bytes": html_bytes, "embedded_bytes": embedded,
            "images": len(images), "image_bytes": sum(images.values()), "total_bytes": total,
            "total_mb": round(total / MB, 3),
        })
    return pages, shared


def site_weight(html_dir: Path) -> dict:
    by_folder = collections.Counter()
    files = 0
    for path in html_dir.rglob("*"):
        if path.is_file():
            files += 1
            rel = path.relative_to(html_dir).parts
            key = "/".join(rel[:2]) if rel[0] == "_static" and len(rel) > 1 and (html_dir / rel[0] / rel[1]).is_dir() \
                else (rel[0] if len(rel) > 1 else "(pages at the top)")
            by_folder[key] += path.stat().st_size
    total = sum(by_folder.values())
    return {"files": files, "bytes": total, "mb": round(total / MB, 2),
            "by_folder_mb": {k: round(v / MB, 2) for k, v in by_folder.most_common()}}


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--html", default=str(ROOT / "_build" / "html"))
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "pages.json"))
    args = parser.parse_args(argv)
    html_dir = Path(args.html)
    if not (html_dir / "index.html").exists():
        raise SystemExit(f"no built book in {html_dir}: build it first (make book)")

    pages, shared = page_weights(html_dir)
    site = site_weight(html_dir)
    heaviest = max(pages, key=lambda p: p["total_bytes"])
    print(f"{'page':42s} {'HTML':>9s} {'embedded':>9s} {'images':>9s} {'total':>9s}")
    for p in sorted(pages, key=lambda p: -p["total_bytes"]):
        print(f"{p['page']:42s} {p['html_bytes'] / MB:8.2f}M {p['embedded_bytes'] / MB:8.2f}M "
              f"{p['image_bytes'] / MB:8.2f}M {p['total_bytes'] / MB:8.2f}M")
    print(f"heaviest page: {heaviest['page']} {heaviest['total_mb']:.2f} MB (goal <= {GOAL_PAGE_MB} MB)")
    print(f"whole site: {site['mb']:.1f} MB in {site['files']} files (goal <= {GOAL_SITE_MB} MB); "
          f"largest folders: " + ", ".join(f"{k} {v} MB" for k, v in list(site["by_folder_mb"].items())[:4]))
    report = {
        "benchmark": "page and site weight",
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "html_dir": str(html_dir),
        "machine": machine_info(),
        "unit": "MB = 10^6 bytes",
        "pages": pages,
        "heaviest_page": heaviest,
        "shared_assets": {"files": len(shared), "mb": round(sum(shared.values()) / MB, 2),
                          "largest": dict(sorted(shared.items(), key=lambda kv: -kv[1])[:8])},
        "site": site,
        "goals": {"page_mb": GOAL_PAGE_MB, "site_mb": GOAL_SITE_MB},
        "goals_met": {"heaviest_page": heaviest["total_bytes"] <= GOAL_PAGE_MB * MB,
                      "site": site["bytes"] <= GOAL_SITE_MB * MB},
    }
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {out}")
    return report


if __name__ == "__main__":
    main()
