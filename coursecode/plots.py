"""Figures for the book, in one colour-blind-safe style.

Every series differs by colour (Okabe & Ito's palette) *and* by line style and
marker, so figures read in grey scale and for colour-blind readers. Figures have
an opaque white background, which keeps them readable in the theme's dark mode.
Alt text is set where the figure is shown (myst-nb cell metadata), since it
describes what the figure shows in that chapter; :func:`alt_text` and
:func:`curves_alt_text` write a first draft of it from the data.

Everything that moves in the static book is pre-rendered: :func:`animate` and
:func:`precomputed_slider` return self-contained HTML (frames as base64 PNG, a
small inline script, a keyboard-accessible ``<input type="range">``), with no
CDN and no kernel, kept small (low dpi, 64-colour frames).
"""
from __future__ import annotations

import base64
import hashlib
import html as _html
import io
import itertools
import json

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

#: Okabe & Ito's palette (2008, "Color universal design"), distinguishable with any colour vision.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]
LINESTYLES = ["-", "--", "-.", ":", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), (0, (1, 1)), (0, (8, 2))]
MARKERS = ["o", "s", "^", "D", "v", "P", "X", "*"]

STYLE = {
    "figure.figsize": (6.4, 4.2),
    "figure.dpi": 80,
    "savefig.dpi": 80,
    "figure.facecolor": "white",
    "axes.facecolor": "white",
    "savefig.facecolor": "white",
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": mpl.cycler(color=PALETTE),
    "font.size": 10,
    "axes.titlesize": 11,
    "legend.fontsize": 9,
    "legend.framealpha": 0.9,
    "image.cmap": "viridis",
    "animation.embed_limit": 8.0,
}


def use_style():
    """Apply the book's style to matplotlib (chapters call it once)."""
    mpl.rcParams.update(STYLE)


def series_style(i):
    """Colour, line style and marker of the i-th series: all three differ."""
    return {"color": PALETTE[i % len(PALETTE)], "linestyle": LINESTYLES[i % len(LINESTYLES)],
            "marker": MARKERS[i % len(MARKERS)]}


def _axes(ax, **subplot_kw):
    if ax is None:
        _, ax = plt.subplots(**subplot_kw)
    return ax


def contour(problem, ax=None, levels=25, window=None, n=200, log=None):
    """Filled contours of a 2-D problem with its minimizer marked.

    ``log=True`` spaces the levels geometrically (the default when the values span
    more than three decades, as on Rosenbrock).
    """
    ax = _axes(ax)
    X, Y, Z = problem.grid(n, window)
    Zs = Z - np.nanmin(Z)
    if log is None:
        positive = Zs[Zs > 0]
        log = positive.size and positive.max() / np.percentile(positive, 5) > 1e3
    if log:
        lo = max(np.percentile(Zs[Zs > 0], 1), 1e-12)
        lv = np.geomspace(lo, Zs.max(), levels)
        ax.contourf(X, Y, Zs + lo * 1e-3, levels=lv, norm=LogNorm(), alpha=0.55)
        ax.contour(X, Y, Zs + lo * 1e-3, levels=lv, norm=LogNorm(), colors="k", linewidths=0.3, alpha=0.5)
    else:
        ax.contourf(X, Y, Zs, levels=levels, alpha=0.55)
        ax.contour(X, Y, Zs, levels=levels, colors="k", linewidths=0.3, alpha=0.5)
    if getattr(problem, "minimizer", None) is not None:
        ax.plot(*problem.minimizer[:2], marker="*", color="k", markersize=14, linestyle="none",
                label="minimizer", zorder=5)
    (x0, x1), (y0, y1) = window or problem.window
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel(r"$\theta_1$ ($x$)")
    ax.set_ylabel(r"$\theta_2$ ($y$)")
    ax.set_aspect("equal", adjustable="box")
    return ax


def trajectories(problem, runs, ax=None, title=None, window=None, every=1, legend=True):
    """Contours of ``problem`` with several runs drawn on it.

    Parameters
    ----------
    runs : dict label -> Trajectory (or an array of points of shape (n, 2))
    every : int
        Draw a marker every ``every`` points (long runs stay legible).
    """
    ax = contour(problem, ax=ax, window=window)
    for i, (label, traj) in enumerate(runs.items()):
        pts = np.asarray(getattr(traj, "thetas", traj))
        sty = series_style(i)
        msg = ""
        if getattr(traj, "diverged", False):
            msg = f" (diverged at step {int(np.max(traj.diverged_at))})"
        ax.plot(pts[:, 0], pts[:, 1], color=sty["color"], linestyle=sty["linestyle"], linewidth=1.6,
                marker=sty["marker"], markevery=every, markersize=4, label=label + msg)
    if len(runs):
        start = np.asarray(getattr(next(iter(runs.values())), "thetas", next(iter(runs.values()))))[0]
        ax.plot(*start[:2], marker="o", markersize=9, markerfacecolor="white", markeredgecolor="k",
                linestyle="none", label="start", zorder=6)
    if title:
        ax.set_title(title)
    if legend:
        ax.legend(loc="best")
    return ax


def curves(series, ax=None, xlabel="step $t$", ylabel="loss", title=None, logy=True, logx=False,
           every=None):
    """Several 1-D series (label -> values) on shared axes, log scale by default."""
    ax = _axes(ax)
    for i, (label, y) in enumerate(series.items()):
        y = np.asarray(y, dtype=float)
        x = np.arange(len(y))
        sty = series_style(i)
        ax.plot(x, y, label=label, color=sty["color"], linestyle=sty["linestyle"], marker=sty["marker"],
                markevery=every or max(1, len(y) // 10), markersize=4, linewidth=1.6)
    if logy:
        ax.set_yscale("log")
    if logx:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend(loc="best")
    return ax


def loss_curves(runs, ax=None, title=None, gap_to=None):
    """f(theta_t) (minus ``gap_to``, e.g. the minimum) for each Trajectory, log y-axis."""
    series = {}
    for label, traj in runs.items():
        y = np.asarray(traj.losses, dtype=float)
        series[label] = y - gap_to if gap_to is not None else y
    ylabel = r"$f(\theta_t) - f^\star$" if gap_to is not None else r"$f(\theta_t)$"
    return curves(series, ax=ax, ylabel=ylabel, title=title)


def regret_curves(runs, ax=None, title=None):
    """Average regret R_T / T for online runs (label -> Trajectory), log-log axes."""
    series = {}
    for label, traj in runs.items():
        R = traj.regret()
        series[label] = R / np.arange(1, len(R) + 1)
    ax = curves(series, ax=ax, xlabel="$T$", ylabel="$R_T / T$", title=title, logy=True, logx=True)
    return ax


def step_sizes(steps, ax=None, title=None, labels=None):
    """Per-coordinate effective step sizes over time: ``steps`` has shape (n, d)."""
    steps = np.asarray(steps)
    labels = labels or [rf"$\theta_{{{i + 1}}}$" for i in range(steps.shape[1])]
    return curves({lab: steps[:, i] for i, lab in enumerate(labels)}, ax=ax,
                  ylabel="effective step size", title=title)


def histogram(values, ax=None, bins=40, xlabel="value", title=None, labels=None):
    """One or several histograms (a list of arrays) with distinct hatches."""
    ax = _axes(ax)
    values = values if isinstance(values, (list, tuple)) else [values]
    hatches = ["", "//", "..", "xx"]
    for i, v in enumerate(values):
        ax.hist(np.ravel(v), bins=bins, alpha=0.6, color=PALETTE[i % len(PALETTE)],
                hatch=hatches[i % len(hatches)], edgecolor="k", linewidth=0.3,
                label=None if labels is None else labels[i])
    ax.set_xlabel(xlabel)
    ax.set_ylabel("count")
    if title:
        ax.set_title(title)
    if labels:
        ax.legend(loc="best")
    return ax


# -- alt text ----------------------------------------------------------------------

def _fmt(x, digits=3):
    """A number for a sentence: 3 significant digits, no numpy repr."""
    x = float(x)
    if not np.isfinite(x):
        return "infinite" if np.isinf(x) else "undefined"
    return f"{x:.{digits}g}"


def _point(p):
    return "(" + ", ".join(_fmt(v) for v in np.ravel(p)[:2]) + ")"


def alt_text(problem, runs, title=None):
    """A descriptive alt text for a :func:`trajectories` figure of ``runs`` on ``problem``.

    Says what the axes and colours show, where the minimizer and the start are, and
    for each run where it ended (or at which step it diverged) and its final loss.
    Chapters paste it into the cell's alt text or pass it to :func:`image_html`.

    Parameters
    ----------
    problem : a 2-D problem from :mod:`coursecode.problems`
    runs : dict label -> Trajectory (or an array of points of shape (n, 2))
    title : str, optional
        What the figure is about, put first.

    Examples
    --------
    >>> import coursecode as cc
    >>> from coursecode import plots
    >>> text = plots.alt_text(cc.ravine(), {"GD": cc.run(cc.gd(0.1), cc.ravine(), [1.0, 1.0], 50)})
    >>> text.startswith("Contour plot of the ravine")
    True
    """
    (x0, x1), (y0, y1) = problem.window
    name = getattr(problem, "name", "the problem")
    parts = [f"{title}." if title else "",
             f"Contour plot of the {name} loss over θ1 from {_fmt(x0)} to {_fmt(x1)} (horizontal) "
             f"and θ2 from {_fmt(y0)} to {_fmt(y1)} (vertical); darker colours are lower loss."]
    minimizer = getattr(problem, "minimizer", None)
    f_star = None
    if minimizer is not None:
        parts.append(f"A star marks the minimizer at {_point(minimizer)}.")
        try:
            f_star = float(problem.value(np.asarray(minimizer, dtype=float)))
        except Exception:  # a problem without a value function still gets a description
            f_star = None
    if runs:
        first = next(iter(runs.values()))
        start = np.asarray(getattr(first, "thetas", first))[0]
        parts.append(f"{len(runs)} run{'s' if len(runs) > 1 else ''} start at {_point(start)} "
                     "(open circle):")
        items = []
        for label, traj in runs.items():
            pts = np.asarray(getattr(traj, "thetas", traj), dtype=float)
            diverged_at = np.asarray(getattr(traj, "diverged_at", -1))
            if diverged_at.size == 1 and int(diverged_at) >= 0:
                items.append(f"{label} diverges at step {int(diverged_at)}, leaving the plot")
                continue
            finite = pts[np.all(np.isfinite(pts), axis=-1)]
            end = finite[-1] if len(finite) else pts[0]
            text = f"{label} ends at {_point(end)} after {len(pts) - 1} steps"
            if f_star is not None and hasattr(problem, "value"):
                gap = float(problem.value(end)) - f_star
                text += f" with f − f* = {_fmt(gap, 2)}"
            items.append(text)
        parts.append("; ".join(items) + ".")
    return " ".join(p for p in parts if p)


def curves_alt_text(series, what="loss", xlabel="step", log=True):
    """A descriptive alt text for a :func:`curves` figure: per series, first and last value.

    >>> from coursecode import plots
    >>> plots.curves_alt_text({"GD": [1.0, 0.5, 0.25]})
    'Line plot of loss against step on a logarithmic vertical axis. GD falls from 1 to 0.25 over 2 steps.'
    """
    scale = "a logarithmic" if log else "a linear"
    items = []
    for label, y in series.items():
        y = np.asarray(y, dtype=float)
        finite = np.flatnonzero(np.isfinite(y))
        if finite.size == 0:
            items.append(f"{label} has no finite values")
            continue
        a, b = y[finite[0]], y[finite[-1]]
        trend = "falls" if b < a else "rises" if b > a else "stays"
        text = f"{label} {trend} from {_fmt(a)} to {_fmt(b)} over {len(y) - 1} {xlabel}s"
        if finite[-1] < len(y) - 1:
            text += f" (undefined after {xlabel} {int(finite[-1])})"
        items.append(text)
    return (f"Line plot of {what} against {xlabel} on {scale} vertical axis. "
            + "; ".join(items) + ".")


# -- images and self-contained HTML ----------------------------------------------------

def encode_rgba(rgba, fmt="png", colors=None, quality=90):
    """Encode an RGBA array (h, w, 4) as PNG or JPEG bytes.

    ``colors`` (PNG only) reduces the image to a palette of that many colours
    (median cut, no dithering: deterministic), which makes plot frames 3-4 times
    smaller. JPEG is the fast choice for live widget frames.
    """
    from PIL import Image  # matplotlib depends on Pillow

    rgba = np.ascontiguousarray(rgba)
    mode = "RGBA" if rgba.shape[-1] == 4 else "RGB"
    img = Image.frombuffer(mode, (rgba.shape[1], rgba.shape[0]), rgba, "raw", mode, 0, 1)
    if mode == "RGBA":
        img = img.convert("RGB")  # plots are opaque; JPEG and small PNGs want RGB
    buf = io.BytesIO()
    if fmt == "jpeg":
        img.save(buf, "jpeg", quality=quality)
    elif fmt == "png":
        if colors:
            img = img.quantize(int(colors), method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
        img.save(buf, "png", compress_level=9 if colors else 6)
    else:
        raise ValueError(f"Invalid fmt: {fmt!r} (must be 'png' or 'jpeg')")
    return buf.getvalue()


def png_bytes(fig, colors=None):
    """Render a figure to PNG bytes (``colors``: palette size, see :func:`encode_rgba`)."""
    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    canvas.draw()
    return encode_rgba(np.asarray(canvas.buffer_rgba()), "png", colors)


def _data_url(data):
    kind = "jpeg" if data[:2] == b"\xff\xd8" else "png"
    return f"data:image/{kind};base64," + base64.b64encode(data).decode("ascii")


class HTMLFragment(str):
    """A piece of self-contained HTML: a ``str`` that notebooks display as HTML.

    Its ``repr`` is a short description, so a stored notebook output does not
    repeat the whole page as text.
    """

    description = "HTML"

    def __new__(cls, html, description="HTML"):
        obj = super().__new__(cls, html)
        obj.description = description
        return obj

    def _repr_html_(self):
        return str(self)

    def __repr__(self):
        return f"<{self.description}: {len(self) / 1024:.0f} kB of self-contained HTML>"


def image_html(image, alt, caption=None):
    """An ``<img>`` with alt text (and an optional caption) from PNG/JPEG bytes or a Figure."""
    if isinstance(image, Figure):
        image = png_bytes(image)
    alt = _html.escape(str(alt), quote=True)
    out = f'<img src="{_data_url(image)}" alt="{alt}" style="max-width:100%;height:auto;">'
    if caption:
        out = (f'<figure style="margin:0">{out}<figcaption>{_html.escape(str(caption))}'
               "</figcaption></figure>")
    return out


_PLAYER_COUNT = itertools.count()

_PLAYER_SCRIPT = """(function () {
  var d = %(data)s;
  var s = document.currentScript;
  var root = (s && s.parentNode && s.parentNode.id === d.id) ? s.parentNode : document.getElementById(d.id);
  if (!root) { return; }
  var img = root.querySelector("img"), range = root.querySelector("input"),
      out = root.querySelector("output"), btn = root.querySelector("button"),
      controls = root.querySelector(".cc-player-controls"), timer = null;
  function show(i) {
    i = Math.max(0, Math.min(d.frames.length - 1, i | 0));
    img.src = d.prefix + d.frames[i];
    img.alt = d.alts[i];
    range.value = String(i);
    range.setAttribute("aria-valuetext", d.texts[i]);
    out.textContent = d.texts[i];
  }
  function stop() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    if (btn) { btn.textContent = "\\u25B6 Play"; btn.setAttribute("aria-pressed", "false"); }
  }
  function play() {
    if (+range.value >= d.frames.length - 1) { show(0); }
    btn.textContent = "\\u275A\\u275A Pause";
    btn.setAttribute("aria-pressed", "true");
    timer = setInterval(function () {
      var i = +range.value + 1;
      if (i >= d.frames.length) { stop(); } else { show(i); }
    }, d.interval);
  }
  range.addEventListener("input", function () { stop(); show(+range.value); });
  if (btn) { btn.addEventListener("click", function () { if (timer === null) { play(); } else { stop(); } }); }
  controls.hidden = false;
})();"""


def player_html(frames, texts, alts, label, initial=0, interval=300, play_button=True,
                description="player"):
    """Self-contained HTML that shows one of ``frames`` chosen with a range slider.

    Works in the static book with no kernel and no network: the frames are inline
    base64 images, the slider is a native ``<input type="range">`` (arrow keys move
    it; its ``aria-label`` is ``label`` and its ``aria-valuetext`` the frame's text),
    the image's ``alt`` follows the frame, and an optional button plays the frames in
    order. Without JavaScript the first picture shows and the controls stay hidden.

    Parameters
    ----------
    frames : list of PNG (or JPEG) bytes, all of one format
    texts : list of str, the value shown for each frame (e.g. "lr = 0.1")
    alts : list of str, each frame's alt text
    label : str, what the slider sets
    initial : int, the frame shown first
    """
    n = len(frames)
    if n == 0 or len(texts) != n or len(alts) != n:
        raise ValueError("frames, texts and alts must be non-empty lists of the same length")
    initial = int(min(max(initial, 0), n - 1))
    encoded = [base64.b64encode(f).decode("ascii") for f in frames]
    prefix = "data:image/jpeg;base64," if frames[0][:2] == b"\xff\xd8" else "data:image/png;base64,"
    digest = hashlib.sha1("\0".join([label, *texts, *encoded]).encode()).hexdigest()[:10]
    uid = f"cc-player-{digest}-{next(_PLAYER_COUNT)}"
    data = {"id": uid, "prefix": prefix, "frames": encoded, "texts": [str(t) for t in texts],
            "alts": [str(a) for a in alts], "interval": int(interval)}
    script = _PLAYER_SCRIPT % {"data": json.dumps(data).replace("</", "<\\/")}
    esc = lambda s: _html.escape(str(s), quote=True)  # noqa: E731
    button = ('<button type="button" aria-pressed="false" style="margin-left:0.5em">'
              "\u25B6 Play</button>") if play_button and n > 1 else ""
    html = (
        f'<div class="cc-player" id="{uid}" style="max-width:100%">'
        f'<img src="{prefix}{encoded[initial]}" alt="{esc(alts[initial])}" '
        'style="max-width:100%;height:auto;display:block;">'
        '<div class="cc-player-controls" hidden style="margin-top:0.3em">'
        f'<label style="margin-right:0.5em">{esc(label)} '
        f'<input type="range" min="0" max="{n - 1}" step="1" value="{initial}" '
        f'aria-label="{esc(label)}" aria-valuetext="{esc(texts[initial])}" '
        'style="vertical-align:middle;width:14em;max-width:60%"></label>'
        f'<output aria-live="polite">{esc(texts[initial])}</output>{button}</div>'
        f"<script>{script}</script></div>"
    )
    return HTMLFragment(html, f"{description} with {n} frames of {label!r}")


def _frame_bytes(frame, colors):
    """PNG bytes from a frames_fn result: bytes, or a Figure (closed if pyplot made it)."""
    if isinstance(frame, (bytes, bytearray)):
        return bytes(frame)
    if isinstance(frame, Figure):
        data = png_bytes(frame, colors=colors)
        if plt.fignum_exists(getattr(frame, "number", -1)):
            plt.close(frame)
        return data
    raise ValueError(f"frames_fn must return a matplotlib Figure or PNG bytes, got {type(frame).__name__}")


def precomputed_slider(frames_fn, values, label, fmt="{:.3g}", alt=None, initial=None,
                       colors=64, play_button=True, interval=400):
    """Pre-compute one picture per value and return a slider over them, as offline HTML.

    The static book's stand-in for a live widget: ``frames_fn(value)`` returns a
    matplotlib Figure (or PNG bytes) for each of ``values``; the result is a
    :class:`HTMLFragment` (display it, or let a cell end with it) with the frames as
    base64 PNG and a keyboard-accessible range slider (see :func:`player_html`).

    Parameters
    ----------
    frames_fn : callable value -> Figure or PNG bytes
    values : sequence of the values the slider steps through
    label : str, what the slider sets (its accessible name), e.g. "learning rate"
    fmt : str or callable, how a value is written next to the slider
    alt : str or callable value -> str, each frame's alt text (default: label and value)
    initial : the value shown first (default: the middle one)
    colors : int or None, palette size of each PNG (64 keeps frames near 10 kB)

    Examples
    --------
    >>> import matplotlib; matplotlib.use("Agg")
    >>> from matplotlib.figure import Figure
    >>> from coursecode import plots
    >>> def frame(a):
    ...     fig = Figure(figsize=(2, 2), dpi=40)
    ...     fig.add_subplot().plot([0, 1], [0, a])
    ...     return fig
    >>> html = plots.precomputed_slider(frame, [0.5, 1.0, 2.0], "slope")
    >>> 'type="range"' in html and "cdn" not in html.lower()
    True
    """
    values = list(values)
    if not values:
        raise ValueError("values must not be empty")
    write = fmt if callable(fmt) else fmt.format
    texts = [f"{label} = {write(v)}" for v in values]
    if alt is None:
        alts = [f"Figure at {t}." for t in texts]
    else:
        alts = [alt(v) if callable(alt) else str(alt) for v in values]
    frames = [_frame_bytes(frames_fn(v), colors) for v in values]
    if initial is None:
        k = len(values) // 2
    else:
        k = int(np.argmin([abs(float(v) - float(initial)) if _is_number(v) else float(v != initial)
                           for v in values]))
    return player_html(frames, texts, alts, label, initial=k, interval=interval,
                       play_button=play_button, description="pre-computed slider")


def _is_number(v):
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


def animate(problem, runs, frames=40, interval=80, title=None, window=None, *, dpi=60,
            figsize=(5.0, 3.8), colors=64, alt=None):
    """An animation of runs moving on the contours, as self-contained HTML.

    The contours are drawn once and each frame blits only the lines (fast); frames
    are 64-colour PNGs at low dpi, embedded as base64 with a small inline player
    (play/pause button and a frame slider, see :func:`player_html`): no CDN, so it
    plays in the static book and offline, and stays well under 1 MB. Returns the
    HTML as an :class:`HTMLFragment` (a ``str``; a notebook displays it as HTML).

    ``alt`` is the alt text of every frame (default: :func:`alt_text` of the runs).
    """
    pts = {k: np.asarray(getattr(v, "thetas", v)) for k, v in runs.items()}
    n = max(len(p) for p in pts.values())
    idx = np.unique(np.linspace(0, n - 1, max(int(frames), 1)).astype(int))
    with mpl.rc_context(STYLE):
        fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
        canvas = FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        contour(problem, ax=ax, window=window)
        lines = []
        for i, label in enumerate(pts):
            sty = series_style(i)
            (ln,) = ax.plot([], [], color=sty["color"], linestyle=sty["linestyle"], marker=sty["marker"],
                            markevery=[-1], markersize=6, linewidth=1.6, label=label, animated=True)
            lines.append(ln)
        ax.legend(loc="best")
        if title:
            ax.set_title(title)
        canvas.draw()
        fig.set_layout_engine("none")
        background = canvas.copy_from_bbox(fig.bbox)
        images = []
        for j in idx:
            canvas.restore_region(background)
            for ln, p in zip(lines, pts.values()):
                k = min(j, len(p) - 1) + 1
                ln.set_data(p[:k, 0], p[:k, 1])
                ax.draw_artist(ln)
            images.append(encode_rgba(np.asarray(canvas.buffer_rgba()), "png", colors))
    description = alt or alt_text(problem, runs, title)
    texts = [f"step {int(j)}" for j in idx]
    return player_html(images, texts, [description] * len(images), "step", initial=0,
                       interval=interval, description="animation")


def cycle(iterable):
    """Pair each item with its series style (for hand-made figures)."""
    return zip(iterable, (series_style(i) for i in itertools.count()))
