"""Pictures as bytes and self-contained HTML: image tags, the offline player, animations.

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
from matplotlib.figure import Figure

from .alt_text import alt_text
from .figures import STYLE, contour, series_style


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
  // JupyterLab and Notebook 7 listen for keydown on the page (notebook shortcuts: arrows
  // move between cells, "a" inserts one) and cancel the slider's own move. The slider
  // moves itself on its keys and keeps every key but Tab and Escape from the page.
  var keys = {ArrowRight: 1, ArrowUp: 1, ArrowLeft: -1, ArrowDown: -1, PageUp: 10, PageDown: -10};
  range.addEventListener("keydown", function (e) {
    if (e.key === "Tab" || e.key === "Escape" || e.altKey || e.ctrlKey || e.metaKey) { return; }
    e.stopPropagation();
    var last = d.frames.length - 1, i = +range.value;
    var to = e.key === "Home" ? 0 : e.key === "End" ? last : keys.hasOwnProperty(e.key) ? i + keys[e.key] : null;
    if (to === null) { return; }
    e.preventDefault();
    stop();
    show(to);
  });
  if (btn) { btn.addEventListener("click", function () { if (timer === null) { play(); } else { stop(); } }); }
  controls.hidden = false;
})();"""


def player_html(frames, texts, alts, label, initial=0, interval=300, play_button=True,
                description="player"):
    """Self-contained HTML that shows one of ``frames`` chosen with a range slider.

    Works in the static book with no kernel and no network: the frames are inline
    base64 images, the slider is a native ``<input type="range">`` (arrow keys, Page
    Up/Down, Home and End move it, in the book and inside JupyterLab or Notebook 7,
    whose notebook shortcuts never see those keys; its ``aria-label`` is ``label`` and
    its ``aria-valuetext`` the frame's text),
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
