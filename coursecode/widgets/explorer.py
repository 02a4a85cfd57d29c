"""The Explorer base class, and the base of the explorers that draw runs on a landscape.

:class:`Explorer` wires controls to one figure: each update sets the controls,
makes one (cached) computation and redraws only the moving artists over a bitmap
of the static scene. :class:`LandscapeBase` adds what the landscape explorers
share: a contour panel whose problem can change, a loss panel, and one sentence
on how each run ended.
"""
from __future__ import annotations

import collections
import html
import math

import ipywidgets as W
import matplotlib as mpl
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .. import plots
from ..problems import PROBLEMS
from .controls import option_label, option_values

LIVE_NOTE = ("This figure is interactive when the notebook runs in Jupyter, Binder or Colab "
             "(the launch buttons at the top of the page): there, sliders and menus above the "
             "figure change the settings and the figure follows.")


def clip_log(y, lo, hi):
    """Values for a log axis with fixed limits: below ``lo`` sit on the floor, NaN stays NaN."""
    y = np.asarray(y, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.where(np.isnan(y), np.nan, np.clip(y, lo, hi * 100))


class Explorer:
    """Controls driving one figure. Subclasses define the controls, the figure and the
    computation; this class wires the controls, caches results and blits the figure.

    Attributes
    ----------
    controls : dict name -> ipywidgets control
    widget : ipywidgets.VBox (controls, the figure as an ``Image``, the status line)
    figure : matplotlib Figure
    message : str, the status line as plain text
    diverged : bool, whether a run in the current picture diverged
    """

    name = "explorer"
    title = ""
    figsize = (10.0, 3.6)
    dpi = 80
    jpeg_quality = 88
    cache_size = 256

    def __init__(self, **values):
        self.controls = self._make_controls()
        self._quiet = False
        self._cache = collections.OrderedDict()
        self._backgrounds = {}
        self._scene = None
        self._background = None
        self._frozen = False
        self._animated = []
        self.message = ""
        self.diverged = False
        with mpl.rc_context(plots.STYLE):
            self.figure = Figure(figsize=self.figsize, dpi=self.dpi, layout="constrained")
            self.canvas = FigureCanvasAgg(self.figure)
            self._build_figure()
        self.image = W.Image(format="jpeg", layout=W.Layout(max_width="100%", height="auto"))
        self.status = W.HTML(value="")
        self.widget = W.VBox([self._control_box(), self.image, self.status])
        for name, control in self.controls.items():
            control.observe(self._handler(name), names="value")
        self.update(**values)
        self._prewarm()

    # -- what subclasses define ----------------------------------------------------
    def _make_controls(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def _build_figure(self):  # pragma: no cover - abstract
        """Make the axes and the moving artists (``self._animate(artist)``)."""
        raise NotImplementedError

    def _choices_set(self, changed):
        """After menus and checkboxes in ``changed`` were set, before the sliders are."""

    def _react(self, changed):
        """Adjust other controls after ``changed`` were set (observers are quiet here)."""

    def _scene_key(self, v):
        """What the static part of the figure depends on (e.g. the problem)."""
        return None

    def _scene_keys(self):
        """Every scene a control can show; each is drawn once when the explorer is built,
        so that no slider or menu change later waits for a full redraw."""
        return []

    def _apply_scene(self, key):
        """Show the static artists, limits and titles of scene ``key`` (made on first use)."""

    def _compute(self, v):  # pragma: no cover - abstract
        raise NotImplementedError

    def _draw(self, v, result):  # pragma: no cover - abstract
        """Update the moving artists; return ``(message, diverged)``."""
        raise NotImplementedError

    def alt_text(self):
        """A description of the current picture, for the static figure's alt text."""
        return f"{self.title} at {self._values_text()}. {self.message}"

    # -- the public interface --------------------------------------------------------
    @property
    def values(self):
        """The controls' current values, name -> value."""
        return {name: c.value for name, c in self.controls.items()}

    def update(self, **values):
        """Set the given controls, then compute and redraw: what a control change runs.

        Values outside a slider's range are clamped to it (as the slider would);
        an unknown name raises ``TypeError``, an option not in a menu ``ValueError``.
        """
        unknown = sorted(set(values) - set(self.controls))
        if unknown:
            raise TypeError(f"the {self.name} explorer has no control {unknown[0]!r} "
                            f"(controls: {', '.join(self.controls)})")
        changed = set(values)
        choices = {k for k in values if isinstance(self.controls[k], (W.Dropdown, W.Checkbox))}
        self._quiet = True
        try:
            for name in sorted(choices):  # menus first: they may move the sliders' ranges
                self._set(name, values[name])
            self._choices_set(choices)
            for name in sorted(changed - choices):
                self._set(name, values[name])
            self._react(changed)
        finally:
            self._quiet = False
        v = self.values
        result = self._cached(v)
        with mpl.rc_context(plots.STYLE):
            self._show_scene(self._scene_key(v))
            self.message, self.diverged = self._draw(v, result)
            self._blit()
        self.image.value = plots.encode_rgba(self._rgba(), "jpeg", quality=self.jpeg_quality)
        self.status.value = self._status_html()

    def png(self, colors=None):
        """The current picture as PNG bytes (``colors``: palette size, to make it small)."""
        with mpl.rc_context(plots.STYLE):
            self._show_scene(self._scene_key(self.values))
            self._blit()  # the canvas may hold another scene's full draw
        return plots.encode_rgba(self._rgba(), "png", colors)

    def static_html(self):
        """The current picture with its alt text and how to run it live (the book's fallback)."""
        img = plots.image_html(self.png(colors=128), self.alt_text())
        return (f'<div class="cc-explorer-static">{img}<p><em>{html.escape(self.title)}: a static '
                f"picture at the settings {html.escape(self._values_text())}. "
                f"{html.escape(self.message)}</em> {html.escape(LIVE_NOTE)}</p></div>")

    def precomputed(self, control, values, label=None, fmt="{:.3g}", dpi=64, colors=64, **fixed):
        """A slider over ``values`` of one control, pre-computed: HTML that works offline.

        Sets ``fixed`` (other controls) first, renders one frame per value, then puts
        every control back. Returns an :class:`coursecode.plots.HTMLFragment`.
        """
        if control not in self.controls:
            raise TypeError(f"the {self.name} explorer has no control {control!r}")
        saved = self.values
        write = fmt if callable(fmt) else fmt.format
        label = label or self.controls[control].description or control
        frames, texts, alts = [], [], []
        self._set_dpi(dpi)
        try:
            self.update(**fixed)
            for value in values:
                self.update(**{control: value})
                shown = self.controls[control].value
                frames.append(self.png(colors=colors))
                texts.append(f"{label} = {write(shown) if not isinstance(shown, str) else shown}")
                alts.append(self.alt_text())
        finally:
            self._set_dpi(self.dpi)
            self.update(**saved)
        return plots.player_html(frames, texts, alts, label, initial=0, play_button=False,
                                 description=f"pre-computed {self.name} explorer")

    def close(self):
        """Close the widgets (their comms) and drop the figure."""
        self.widget.close()
        for c in self.controls.values():
            c.close()
        self.image.close()
        self.status.close()
        self.figure.clear()

    # -- display ---------------------------------------------------------------------
    def _repr_mimebundle_(self, include=None, exclude=None):
        # A live frontend renders the widget view; a static page (and any reader
        # without widgets) renders the HTML: the picture and how to run it live.
        return {
            "application/vnd.jupyter.widget-view+json": {
                "version_major": 2, "version_minor": 0, "model_id": self.widget.model_id},
            "text/html": self.static_html(),
            "text/plain": f"{self.title} explorer: live in a running notebook. {self.message}",
        }

    def __repr__(self):
        return f"<{self.name} explorer: {self._values_text()}>"

    # -- machinery -------------------------------------------------------------------
    def _handler(self, name):
        def on_change(change):
            if self._quiet:
                return
            try:
                self.update(**{name: change["new"]})
            except Exception as exc:  # a slider must never end in a traceback
                self.status.value = ('<p style="color:#D55E00"><b>Could not redraw:</b> '
                                     f"{html.escape(type(exc).__name__)}: {html.escape(str(exc))}</p>")
        return on_change

    def _set(self, name, value):
        control = self.controls[name]
        if isinstance(control, W.Dropdown):
            options = option_values(control)
            if value not in options:
                raise ValueError(f"Invalid {name}: {value!r} (choose one of {options})")
            control.value = value
        elif isinstance(control, W.Checkbox):
            control.value = bool(value)
        else:
            value = float(value)
            if not math.isfinite(value):
                raise ValueError(f"Invalid {name}: {value!r} (must be a finite number)")
            lo, hi = control.min, control.max
            if isinstance(control, W.FloatLogSlider):
                lo, hi = control.base ** lo, control.base ** hi
            control.value = min(max(value, lo), hi)

    def _set_range(self, name, lo, hi, value):
        """Give slider ``name`` a new range and value without an invalid moment in between."""
        c = self.controls[name]
        c.max = max(c.max, hi)
        c.min = min(c.min, lo)
        c.value = min(max(value, lo), hi)
        c.min, c.max = lo, hi

    def _values_text(self):
        parts = []
        for name, c in self.controls.items():
            v = c.value
            if isinstance(c, W.Dropdown):
                parts.append(f"{name} = {option_label(c, v)}")
            elif isinstance(c, W.Checkbox):
                parts.append(f"{name} = {'on' if v else 'off'}")
            else:
                parts.append(f"{name} = {v:.3g}")
        return ", ".join(parts)

    def _cached(self, v):
        key = tuple((k, round(x, 12) if isinstance(x, float) else x) for k, x in sorted(v.items()))
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        result = self._compute(v)
        self._cache[key] = result
        if len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return result

    def _prewarm(self):
        current = self._scene
        with mpl.rc_context(plots.STYLE):
            for key in self._scene_keys():
                self._show_scene(key)
            self._show_scene(current)
            self._blit()

    def _animate(self, artist):
        artist.set_animated(True)
        self._animated.append(artist)
        return artist

    def _show_scene(self, key):
        if key == self._scene and self._background is not None:
            return
        self._apply_scene(key)
        self._scene = key
        if key in self._backgrounds:
            for ax in self.figure.axes:
                ax.apply_aspect()  # a cached scene's axes boxes, as its full draw left them
            self._background = self._backgrounds[key]
            return
        self.canvas.draw()  # the moving artists are animated: not in this picture
        if not self._frozen:
            # freeze the first layout: every scene's bitmap then lines up with the same axes
            self.figure.set_layout_engine("none")
            self._frozen = True
        self._background = self._backgrounds[key] = self.canvas.copy_from_bbox(self.figure.bbox)

    def _blit(self):
        self.canvas.restore_region(self._background)
        for artist in self._animated:
            if artist.get_visible():
                (artist.axes or self.figure).draw_artist(artist)

    def _rgba(self):
        return np.asarray(self.canvas.buffer_rgba())

    def _set_dpi(self, dpi):
        if self.figure.dpi != dpi:
            self.figure.set_dpi(dpi)
            self._backgrounds.clear()
            self._background = None
            self._scene = None

    def _control_box(self, per_row=3):
        items = list(self.controls.values())
        rows = [W.HBox(items[i:i + per_row]) for i in range(0, len(items), per_row)]
        return W.VBox(rows)

    def _status_html(self):
        colour = "#D55E00" if self.diverged else "inherit"
        mark = "\u26a0 " if self.diverged else ""
        return f'<p style="color:{colour};margin:0.2em 0">{mark}{html.escape(self.message)}</p>'


_PROBLEM_CACHE = {}


def problem_info(name):
    """The problem, its f*, loss-axis limits and contour settings (made once per process)."""
    if name not in _PROBLEM_CACHE:
        label, factory, start, steps = PROBLEMS[name]
        p = factory()
        f_star = float(p.value(np.asarray(p.minimizer, dtype=float)))
        _, _, Z = p.grid(80)
        top = float(np.nanmax(Z) - f_star)
        hi = 10.0 ** math.ceil(math.log10(max(top, 1e-3) * 3))
        _PROBLEM_CACHE[name] = dict(problem=p, label=label, start=start, steps=steps, f_star=f_star,
                                    ylim=(1e-10, hi))
    return _PROBLEM_CACHE[name]


class LandscapeBase(Explorer):
    """Shared: a contour panel whose problem can change, and a loss panel.

    An explorer with a ``problem`` menu lists the menu's problems in ``problems``:
    each is a scene (contours, title, loss-axis limits), drawn once when it is built.
    """

    problems = ()
    steps = None  # the runs' length; None: each problem's own (coursecode.problems.PROBLEMS)

    def _scene_key(self, v):
        return v["problem"] if self.problems else None

    def _scene_keys(self):
        return list(self.problems)

    def _apply_scene(self, key):
        if key is None:  # no problem menu: the one scene is drawn by _build_figure
            return
        info = problem_info(key)
        self._contour_scene(key, steps=self.steps or info["steps"], ylim=info["ylim"])
        self.ax_map.set_title(info["label"])

    def _build_axes(self, n_panels, width_ratios=None):
        axes = self.figure.subplots(1, n_panels, gridspec_kw={"width_ratios": width_ratios}
                                    if width_ratios else None)
        self.ax_map, self.ax_loss = axes[0], axes[1]
        self.ax_loss.set_yscale("log")
        self.ax_loss.set_xlabel("step $t$")
        self.ax_loss.set_ylabel(r"$f(\theta_t) - f^\star$")
        self._scene_artists = {}
        self._scene_limits = {}
        self.note = self._animate(self.ax_loss.text(
            0.97, 0.96, "", transform=self.ax_loss.transAxes, ha="right", va="top", fontsize=8,
            bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.9, "edgecolor": "0.7"}))
        return axes

    def _series_artists(self, labels, curves=True, **path_kw):
        """One path on ax_map (and one curve on ax_loss) per label, in the series styles."""
        self.lines, self.curves = [], []
        for i, label in enumerate(labels):
            sty = plots.series_style(i)
            (ln,) = self.ax_map.plot([], [], color=sty["color"], linestyle=sty["linestyle"],
                                     marker=sty["marker"], markersize=3, linewidth=1.4, label=label,
                                     **path_kw)
            self.lines.append(self._animate(ln))
            if curves:
                (cv,) = self.ax_loss.plot([], [], color=sty["color"], linestyle=sty["linestyle"],
                                          linewidth=1.6, label=label)
                self.curves.append(self._animate(cv))

    def _contour_scene(self, name, steps=None, ylim=None, window=None, problem=None):
        """Contours of a problem on ax_map (made once, then shown or hidden)."""
        info = problem_info(name) if problem is None else None
        problem = problem or info["problem"]
        if name not in self._scene_artists:
            before = set(self.ax_map.get_children())
            plots.contour(problem, ax=self.ax_map, window=window, n=120)
            made = [a for a in self.ax_map.get_children() if a not in before]
            saddle_point = getattr(problem, "saddle_point", None)
            if saddle_point is not None:
                made += self.ax_map.plot(*saddle_point, marker="X", color="k", markersize=9,
                                         linestyle="none", label="saddle point")
            self._scene_artists[name] = made
            self._scene_limits[name] = (self.ax_map.get_xlim(), self.ax_map.get_ylim())
        for key, artists in self._scene_artists.items():
            for a in artists:
                a.set_visible(key == name)
        xlim, ylim_map = self._scene_limits[name]
        self.ax_map.set_xlim(*xlim)
        self.ax_map.set_ylim(*ylim_map)
        if steps is not None:
            self.ax_loss.set_xlim(0, steps)
        if ylim is not None:
            self.ax_loss.set_ylim(*ylim)


def run_summary(traj, row, f_star, problem, steps, label):
    """One sentence on how run ``row`` of a batch ended (names the divergence)."""
    d = int(np.ravel(traj.diverged_at)[row]) if np.ndim(traj.diverged_at) else int(traj.diverged_at)
    if d >= 0:
        return f"{label} diverged at step {d}", True
    pts = traj.thetas[:, row] if traj.thetas.ndim == 3 else traj.thetas
    end = pts[-1]
    gap = float(problem.value(end)) - f_star
    saddle_point = getattr(problem, "saddle_point", None)
    if saddle_point is not None and np.linalg.norm(end - saddle_point) < 0.05:
        return f"{label} is stuck at the saddle point after {steps} steps (f − f* = {gap:.2g})", False
    if gap < 1e-8:
        return f"{label} converged: f − f* = {gap:.1e} after {steps} steps", False
    return f"{label}: f − f* = {gap:.3g} after {steps} steps, not converged yet", False

