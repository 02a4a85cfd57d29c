"""Explorers: sliders and menus that drive a figure, for live notebooks.

Each explorer is built by a factory in :func:`registry` (name -> factory)::

    from coursecode import widgets
    ex = widgets.registry()["landscape"](problem="ravine", lr=0.15)
    ex                       # a cell ending with it shows the controls and the figure
    ex.controls["lr"]        # the ipywidgets control behind each setting
    ex.update(lr=0.25)       # what moving the slider runs: set, compute, redraw
    ex.message, ex.diverged  # what the status line says

Design, so that a redraw stays well under 50 ms:

* one figure per explorer, made once (``matplotlib.figure.Figure`` with the Agg
  canvas, never pyplot: nothing is shown twice and no display is needed); what
  does not change with the sliders (contours, axes, colour bars) is drawn once
  per scene and kept as a bitmap; an update restores it and draws only the
  moving lines (``set_data``, blitting), then sends a JPEG to an
  ``ipywidgets.Image``;
* each update makes one batched :func:`coursecode.run` call: several runs (the
  optimizer and its comparison) are rows of one batch;
* a run that diverges is data: it is drawn, and the status line says so.

Explorers use only ipywidgets API that 7.7 (Colab) and 8 share. Displayed in a
notebook, an explorer sends the live widget together with a static picture at
its current settings: a live frontend shows the widget; the HTML book, whose
``_config.yml`` drops the widget view (``nb_mime_priority_overrides``: there is no
widget JavaScript offline), shows the picture and a sentence on how to run it live. :meth:`Explorer.precomputed`
turns one control's sweep into a slider that works offline.
"""
from __future__ import annotations

import collections
import html
import math

import ipywidgets as W
import matplotlib as mpl
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LogNorm, Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from . import plots
from .optimizers import LECTURE, adam, adam_l2, adamw, amsgrad, gd, momentum, stacked
from .problems import PROBLEMS, quadratic, ravine
from .run import run

LIVE_NOTE = ("This figure is interactive when the notebook runs in Jupyter, Binder or Colab "
             "(the launch buttons at the top of the page): there, sliders and menus above the "
             "figure change the settings and the figure follows.")

_WIDE = {"description_width": "initial"}


# -- controls -----------------------------------------------------------------------

def log_slider(description, value, lo, hi, step=0.01):
    """A slider on a log10 scale from ``lo`` to ``hi`` (both > 0)."""
    return W.FloatLogSlider(value=value, base=10, min=math.log10(lo), max=math.log10(hi), step=step,
                            description=description, continuous_update=True, readout_format=".3g",
                            style=_WIDE)


def slider(description, value, lo, hi, step):
    return W.FloatSlider(value=value, min=lo, max=hi, step=step, description=description,
                         continuous_update=True, readout_format=".3g", style=_WIDE)


def dropdown(description, options, value):
    return W.Dropdown(options=options, value=value, description=description, style=_WIDE)


def _option_values(control):
    return [o[1] if isinstance(o, (tuple, list)) else o for o in control.options]


def _option_label(control, value):
    for o in control.options:
        if isinstance(o, (tuple, list)) and o[1] == value:
            return o[0]
    return str(value)


def _clip_log(y, lo, hi):
    """Values for a log axis with fixed limits: below ``lo`` sit on the floor, NaN stays NaN."""
    y = np.asarray(y, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.where(np.isnan(y), np.nan, np.clip(y, lo, hi * 100))


# -- the base class -----------------------------------------------------------------

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
            options = _option_values(control)
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
                parts.append(f"{name} = {_option_label(c, v)}")
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


# -- landscapes: problems and optimizers ------------------------------------------------


#: name -> menu label, for the lecture's optimizers (their default hyperparameters)
OPTIMIZERS = {
    "gd": "GD", "momentum": "momentum (β=0.9)", "adagrad": "AdaGrad", "rmsprop": "RMSProp (ρ=0.99)",
    "adam": "Adam (0.9, 0.999)", "adam_l2": "Adam + L2 (λ=0.01)", "adamw": "AdamW (λ=0.01)",
    "amsgrad": "AMSGrad",
}

_PROBLEM_CACHE = {}


def _problem(name):
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


class _LandscapeBase(Explorer):
    """Shared: a contour panel whose problem can change, and a loss panel."""

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
        info = _problem(name) if problem is None else None
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


def _run_summary(traj, row, f_star, problem, steps, label):
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


class LandscapeExplorer(_LandscapeBase):
    """Chapter 1: one optimizer on one of the lecture's landscapes.

    Controls: ``problem`` (bowl, ravine, rotated ravine, Rosenbrock, saddle, plateau,
    cliff), ``optimizer`` (the lecture's, with their default hyperparameters),
    ``lr`` (log scale, 1e-4 to 10), and the start point ``x0``, ``y0`` (the sliders
    span the problem's window; choosing a problem moves them to its default start).
    """

    name = "landscape"
    title = "Optimizers on the loss landscape"

    def _make_controls(self):
        start = PROBLEMS["ravine"][2]
        return {
            "problem": dropdown("problem", [(v[0], k) for k, v in PROBLEMS.items()], "ravine"),
            "optimizer": dropdown("optimizer", [(v, k) for k, v in OPTIMIZERS.items()], "gd"),
            "lr": log_slider("learning rate γ", 0.1, 1e-4, 10.0),
            "x0": slider("start θ1", start[0], -1.2, 1.2, 0.01),
            "y0": slider("start θ2", start[1], -1.2, 1.2, 0.01),
        }

    def _build_figure(self):
        self._build_axes(2, [1.15, 1])
        sty = plots.series_style(0)
        (self.path,) = self.ax_map.plot([], [], color=sty["color"], linestyle="-", marker=sty["marker"],
                                        markersize=3, linewidth=1.4, label="run")
        (self.start,) = self.ax_map.plot([], [], marker="o", markersize=9, markerfacecolor="white",
                                         markeredgecolor="k", linestyle="none", label="start")
        (self.loss,) = self.ax_loss.plot([], [], color=sty["color"], linewidth=1.6)
        for a in (self.path, self.start, self.loss):
            self._animate(a)
        self.ax_loss.set_title("loss gap (log scale)")

    def _choices_set(self, changed):
        if "problem" in changed:  # the start sliders span the new window, at its default start
            name = self.controls["problem"].value
            (x_lo, x_hi), (y_lo, y_hi) = _problem(name)["problem"].window
            sx, sy = PROBLEMS[name][2]
            self._set_range("x0", x_lo, x_hi, sx)
            self._set_range("y0", y_lo, y_hi, sy)

    def _scene_key(self, v):
        return v["problem"]

    def _scene_keys(self):
        return list(PROBLEMS)

    def _apply_scene(self, key):
        info = _problem(key)
        self._contour_scene(key, steps=info["steps"], ylim=info["ylim"])
        self.ax_map.set_title(info["label"])

    def _compute(self, v):
        info = _problem(v["problem"])
        opt = LECTURE[v["optimizer"]](lr=v["lr"])
        return run(opt, info["problem"], [v["x0"], v["y0"]], info["steps"])

    def _draw(self, v, traj):
        info = _problem(v["problem"])
        pts = traj.thetas
        self.path.set_data(pts[:, 0], pts[:, 1])
        self.start.set_data([pts[0, 0]], [pts[0, 1]])
        gap = _clip_log(traj.losses - info["f_star"], *info["ylim"])
        self.loss.set_data(np.arange(len(gap)), gap)
        label = f"{OPTIMIZERS[v['optimizer']]} with lr = {v['lr']:.3g}"
        text, diverged = _run_summary(traj, 0, info["f_star"], info["problem"], traj.steps, label)
        if diverged:
            text += f" ({traj.reasons[0]}); try a smaller learning rate"
        p = info["problem"]
        if v["optimizer"] == "gd" and hasattr(p, "eigenvalues") and p.eigenvalues[0] > 0:
            text += f". GD on this quadratic is stable only for lr < 2/λmax = {2 / p.eigenvalues[-1]:.3g}"
        self.note.set_text("diverged" if diverged else f"after {traj.steps} steps")
        return text + ".", diverged

    def alt_text(self):
        v = self.values
        info = _problem(v["problem"])
        traj = self._cached(v)
        label = f"{OPTIMIZERS[v['optimizer']]} with lr = {v['lr']:.3g}"
        return (plots.alt_text(info["problem"], {label: traj}) + " Right: the loss gap f − f* on a "
                f"log scale against the step. {self.message}")


# -- momentum ---------------------------------------------------------------------------

def momentum_optimum(mu, L):
    """Polyak's optimal heavy-ball pair for eigenvalues in [mu, L].

    Returns ``(alpha, beta, rate)`` with alpha = 4/(sqrt(L)+sqrt(mu))^2,
    beta = ((sqrt(L)-sqrt(mu))/(sqrt(L)+sqrt(mu)))^2 and rate = sqrt(beta) per step,
    for theta <- theta - alpha g + beta (theta - theta_prev). In the lecture's EMA form
    (v <- beta v + (1-beta) g, theta <- theta - lr v) the same run has lr = alpha/(1-beta).
    """
    sm, sL = math.sqrt(mu), math.sqrt(L)
    alpha = 4.0 / (sL + sm) ** 2
    beta = ((sL - sm) / (sL + sm)) ** 2
    return alpha, beta, math.sqrt(beta)


def momentum_rate(alpha, beta, eigenvalues):
    """Asymptotic convergence rate (spectral radius) of heavy ball on a quadratic.

    For each eigenvalue lam the error obeys e_{t+1} = (1 + beta - alpha lam) e_t - beta e_{t-1};
    the rate is the largest root modulus of z^2 - (1 + beta - alpha lam) z + beta over the
    eigenvalues. Arrays broadcast; a rate >= 1 means no convergence.
    """
    alpha, beta = np.asarray(alpha, dtype=float), np.asarray(beta, dtype=float)
    rate = np.zeros(np.broadcast(alpha, beta).shape)
    for lam in np.ravel(eigenvalues):
        b = 1 + beta - alpha * lam
        root = np.sqrt(b * b - 4 * beta + 0j)
        rate = np.maximum(rate, np.maximum(np.abs((b + root) / 2), np.abs((b - root) / 2)))
    return rate


class MomentumExplorer(_LandscapeBase):
    """Chapter 2: momentum on the ravine x² + 5y² (eigenvalues mu = 2, L = 10).

    Controls: ``lr`` (log scale), ``beta``, and ``snap``, a checkbox that sets the
    optimal pair (moving lr or beta afterwards clears it).

    ``form="ema"`` (default) is the lecture's and :func:`coursecode.momentum`'s form,
    v <- beta v + (1 - beta) g, theta <- theta - lr v; it equals the heavy ball
    theta <- theta - alpha g + beta (theta - theta_prev) with alpha = lr (1 - beta), so
    the optimal lr is alpha*/(1 - beta*) = 0.224 on the ravine. ``form="heavy_ball"``
    uses the slider as alpha itself (optimal 0.191). The figure compares against GD at
    its best learning rate 2/(mu + L) and maps the predicted rate over (beta, lr).
    """

    name = "momentum"
    title = "Momentum on the ravine"
    figsize = (11.0, 3.6)

    def __init__(self, form="ema", **values):
        if form not in ("ema", "heavy_ball"):
            raise ValueError(f"Invalid form: {form!r} (must be 'ema' or 'heavy_ball')")
        self.form = form
        self.problem = ravine()
        self.mu, self.L = (float(x) for x in self.problem.eigenvalues[[0, -1]])
        alpha, self.beta_opt, self.rate_opt = momentum_optimum(self.mu, self.L)
        self.lr_opt = alpha / (1 - self.beta_opt) if form == "ema" else alpha
        self.lr_gd = 2.0 / (self.mu + self.L)
        super().__init__(**values)

    def _alpha(self, lr, beta):
        return lr * (1 - beta) if self.form == "ema" else lr

    def _make_controls(self):
        return {
            "lr": log_slider("learning rate γ", 1.0, 1e-3, 10.0),
            "beta": slider("momentum β", 0.9, 0.0, 0.999, 0.001),
            "snap": W.Checkbox(value=False, description="snap to the optimal (γ*, β*)", indent=False),
        }

    def _build_figure(self):
        self._build_axes(3, [1.05, 1, 1.1])
        self.ax_rate = self.figure.axes[2]
        self._contour_scene("ravine", steps=80, ylim=_problem("ravine")["ylim"])
        self.ax_map.set_title("ravine x²+5y²")
        self._series_artists(["momentum", "GD, best lr 2/(μ+L)"])
        self.ax_loss.legend(loc="lower left", fontsize=8)
        self.ax_loss.set_title("loss gap (log scale)")
        # the phase diagram: predicted rate over (beta, lr), drawn once
        betas = np.linspace(0, 0.999, 160)
        lrs = np.geomspace(1e-3, 10.0, 160)
        B, LR = np.meshgrid(betas, lrs)
        rate = momentum_rate(self._alpha(LR, B), B, [self.mu, self.L])
        shown = np.ma.masked_where(rate >= 1, rate)
        cmap = mpl.colormaps["viridis"].with_extremes(bad="#e6e6e6")
        mesh = self.ax_rate.pcolormesh(B, LR, shown, cmap=cmap, norm=Normalize(0.3, 1.0), shading="auto")
        self.ax_rate.set_yscale("log")
        self.ax_rate.set_xlabel("momentum β")
        self.ax_rate.set_ylabel("learning rate γ")
        self.ax_rate.set_title("predicted rate per step (grey: diverges)")
        self.figure.colorbar(mesh, ax=self.ax_rate, label="rate (lower is faster)")
        self.ax_rate.plot([self.beta_opt], [self.lr_opt], marker="*", color="w", markeredgecolor="k",
                          markersize=13, linestyle="none")
        (self.here,) = self.ax_rate.plot([], [], marker="o", markersize=8, markerfacecolor="none",
                                         markeredgecolor="#D55E00", markeredgewidth=2, linestyle="none")
        self._animate(self.here)

    def _react(self, changed):
        snap = self.controls["snap"]
        if "snap" in changed and snap.value:
            self.controls["lr"].value = self.lr_opt
            self.controls["beta"].value = self.beta_opt
        elif snap.value and changed & {"lr", "beta"}:
            if not (math.isclose(self.controls["lr"].value, self.lr_opt, rel_tol=1e-9)
                    and math.isclose(self.controls["beta"].value, self.beta_opt, rel_tol=1e-9)):
                snap.value = False

    def _compute(self, v):
        lr = np.array([[v["lr"]], [self.lr_gd]])
        beta = np.array([[v["beta"]], [0.0]])
        theta0 = np.tile([-1.0, 0.8], (2, 1))
        return run(momentum(lr=lr, beta=beta, form=self.form), self.problem, theta0, 80)

    def _draw(self, v, traj):
        ylim = _problem("ravine")["ylim"]
        for i in range(2):
            self.lines[i].set_data(traj.thetas[:, i, 0], traj.thetas[:, i, 1])
            gap = _clip_log(traj.losses[:, i], *ylim)
            self.curves[i].set_data(np.arange(len(gap)), gap)
        self.here.set_data([v["beta"]], [v["lr"]])
        alpha = self._alpha(v["lr"], v["beta"])
        rate = float(momentum_rate(alpha, v["beta"], [self.mu, self.L]))
        text, diverged = _run_summary(traj, 0, 0.0, self.problem, traj.steps,
                                      f"Momentum (γ = {v['lr']:.3g}, β = {v['beta']:.3g})")
        form = ("EMA form v ← βv + (1−β)g, θ ← θ − γv: heavy-ball step α = γ(1−β) = "
                f"{alpha:.3g}" if self.form == "ema" else "heavy-ball form θ ← θ − γg + β(θ − θprev)")
        verdict = "diverges" if rate >= 1 else f"predicted rate {rate:.3f} per step"
        self.note.set_text("momentum diverged" if diverged else f"rate {rate:.3f} (best {self.rate_opt:.3f})")
        msg = (f"{text}. {form}; {verdict}. Optimal: γ* = {self.lr_opt:.3f}, β* = {self.beta_opt:.3f} "
               f"(rate {self.rate_opt:.3f}); GD at its best lr 2/(μ+L) = {self.lr_gd:.3f} has rate "
               f"{(self.L - self.mu) / (self.L + self.mu):.3f}.")
        return msg, diverged


# -- Adam against GD --------------------------------------------------------------------

ADAM_PROBLEMS = ["ravine", "rotated_ravine", "rosenbrock", "saddle", "plateau", "cliff", "bowl"]


class AdamExplorer(_LandscapeBase):
    """Chapter 5: Adam against GD (same learning rate) on a chosen landscape.

    Controls: ``problem``, ``lr`` (log scale), ``beta1``, ``beta2``, ``eps`` (log
    scale). The third panel shows Adam's per-coordinate gain over GD,
    1/(sqrt(v_hat) + eps): the effective step size divided by the learning rate.
    """

    name = "adam"
    title = "Adam against gradient descent"
    figsize = (11.0, 3.6)
    steps = 100

    def _make_controls(self):
        return {
            "problem": dropdown("problem", [(PROBLEMS[k][0], k) for k in ADAM_PROBLEMS], "ravine"),
            "lr": log_slider("learning rate γ", 0.05, 1e-4, 10.0),
            "beta1": slider("β1", 0.9, 0.0, 0.999, 0.001),
            "beta2": slider("β2", 0.999, 0.0, 0.9999, 0.0001),
            "eps": log_slider("ε", 1e-8, 1e-12, 1.0, 0.1),
        }

    def _build_figure(self):
        self._build_axes(3, [1.05, 1, 1])
        self.ax_gain = self.figure.axes[2]
        self._series_artists(["Adam", "GD"])
        (self.start,) = self.ax_map.plot([], [], marker="o", markersize=9, markerfacecolor="white",
                                         markeredgecolor="k", linestyle="none")
        self._animate(self.start)
        self.ax_loss.legend(loc="lower left", fontsize=8)
        self.ax_loss.set_title("loss gap (log scale)")
        self.gains = []
        for i, label in enumerate([r"$\theta_1$", r"$\theta_2$"]):
            sty = plots.series_style(i + 2)
            (g,) = self.ax_gain.plot([], [], color=sty["color"], linestyle=sty["linestyle"],
                                     linewidth=1.6, label=label)
            self.gains.append(self._animate(g))
        self.ax_gain.axhline(1.0, color="0.4", linewidth=1, linestyle=":", label="GD (gain 1)")
        self.ax_gain.set_yscale("log")
        self.ax_gain.set_ylim(1e-3, 1e4)
        self.ax_gain.set_xlim(0, self.steps)
        self.ax_gain.set_xlabel("step $t$")
        self.ax_gain.set_ylabel(r"$1/(\sqrt{\hat v_t}+\epsilon)$")
        self.ax_gain.set_title("Adam's step per unit lr, per coordinate")
        self.ax_gain.legend(loc="upper left", fontsize=8)

    def _scene_key(self, v):
        return v["problem"]

    def _scene_keys(self):
        return list(ADAM_PROBLEMS)

    def _apply_scene(self, key):
        info = _problem(key)
        self._contour_scene(key, steps=self.steps, ylim=info["ylim"])
        self.ax_map.set_title(info["label"])

    def _compute(self, v):
        info = _problem(v["problem"])
        opt = stacked([adam(lr=v["lr"], beta1=v["beta1"], beta2=v["beta2"], eps=v["eps"]),
                        gd(lr=v["lr"])])
        theta0 = np.tile(info["start"], (2, 1)).astype(float)
        return run(opt, info["problem"], theta0, self.steps)

    def _draw(self, v, traj):
        info = _problem(v["problem"])
        for i in range(2):
            self.lines[i].set_data(traj.thetas[:, i, 0], traj.thetas[:, i, 1])
            gap = _clip_log(traj.losses[:, i] - info["f_star"], *info["ylim"])
            self.curves[i].set_data(np.arange(len(gap)), gap)
        self.start.set_data([info["start"][0]], [info["start"][1]])
        # v_t from the recorded gradients (cheap; the run keeps no state)
        g = traj.grads[:, 0, :]
        vt = np.zeros(2)
        gain = np.empty_like(g)
        b2 = v["beta2"]
        with np.errstate(all="ignore"):
            for t in range(len(g)):
                vt = b2 * vt + (1 - b2) * g[t] ** 2
                gain[t] = 1.0 / (np.sqrt(vt / (1 - b2 ** (t + 1))) + v["eps"])
        steps = np.arange(1, len(g) + 1)
        for i in range(2):
            self.gains[i].set_data(steps, _clip_log(gain[:, i], 1e-3, 1e4))
        p = info["problem"]
        parts, diverged = [], False
        for row, label in ((0, f"Adam (γ = {v['lr']:.3g})"), (1, "GD (same γ)")):
            text, bad = _run_summary(traj, row, info["f_star"], p, traj.steps, label)
            parts.append(text)
            diverged |= bad
        last = gain[np.all(np.isfinite(gain), axis=1)]
        if len(last):
            parts.append(f"Adam's final step per unit lr: θ1 {last[-1, 0]:.3g}, θ2 {last[-1, 1]:.3g}")
        bad = [name for row, name in ((0, "Adam"), (1, "GD")) if np.ravel(traj.diverged_at)[row] >= 0]
        self.note.set_text(" and ".join(bad) + " diverged" if bad else f"{traj.steps} steps")
        return ". ".join(parts) + ".", diverged


# -- AMSGrad on Reddi et al.'s counterexample -------------------------------------------

class _Cycle:
    """Reddi et al.'s f_t(x) = C x (t mod 3 = 1) or -x, batched over C (shape (..., 1))."""

    online = True
    dim = 1
    domain = (-1.0, 1.0)

    def __init__(self, C):
        self.C = np.asarray(C, dtype=float)

    def coefficient(self, t):
        return self.C if t % 3 == 1 else -np.ones_like(self.C)

    def grad(self, x, t):
        return np.broadcast_to(self.coefficient(t), x.shape).copy()

    def value(self, x, t):
        return (self.coefficient(t) * x)[..., 0]

    def project(self, x):
        return np.clip(x, -1.0, 1.0)


AMSGRAD_GRID = {"C": np.round(np.arange(2.5, 10.01, 0.5), 2), "beta1": np.round(np.arange(0, 0.91, 0.1), 2),
                "beta2": np.round(np.arange(0, 0.981, 0.02), 2)}
AMSGRAD_STEPS = 300
AMSGRAD_ALPHA = 0.5
_AMSGRAD_CACHE = {}


def _amsgrad_grid():
    """Adam and AMSGrad on every (C, beta1, beta2) of the grid: one batched run, once.

    lr_t = 0.5/sqrt(t) (Reddi et al.'s schedule), eps = 1e-8, x_1 = 0, T = 300.
    Returns x_t (2, T+1, nC, nb1, nb2) and R_t / t (2, T, nC, nb1, nb2) as float32.
    """
    if "grid" not in _AMSGRAD_CACHE:
        C, B1, B2 = np.meshgrid(AMSGRAD_GRID["C"], AMSGRAD_GRID["beta1"], AMSGRAD_GRID["beta2"],
                                indexing="ij")
        shape = C.shape
        col = lambda a: a.reshape(-1, 1)  # noqa: E731
        schedule = lambda t: AMSGRAD_ALPHA / np.sqrt(t)  # noqa: E731
        opt = stacked([adam(lr=schedule, beta1=col(B1), beta2=col(B2), eps=1e-8),
                        amsgrad(lr=schedule, beta1=col(B1), beta2=col(B2), eps=1e-8)])
        theta0 = np.zeros((2, C.size, 1))
        traj = run(opt, _Cycle(col(C)), theta0, AMSGRAD_STEPS, record_grads=False)
        x = traj.thetas[..., 0]                                   # (T+1, 2, N)
        t = np.arange(1, AMSGRAD_STEPS + 1)
        c = np.where((t % 3 == 1)[:, None], C.reshape(1, -1), -1.0)  # (T, N)
        regret = np.cumsum(c[:, None, :] * x[:-1], axis=0) + np.abs(np.cumsum(c, axis=0))[:, None, :]
        avg = regret / t[:, None, None]
        _AMSGRAD_CACHE["grid"] = (
            np.moveaxis(x, 1, 0).reshape((2, AMSGRAD_STEPS + 1) + shape).astype(np.float32),
            np.moveaxis(avg, 1, 0).reshape((2, AMSGRAD_STEPS) + shape).astype(np.float32))
    return _AMSGRAD_CACHE["grid"]


def _nearest(grid, value):
    return int(np.argmin(np.abs(grid - value)))


class AMSGradExplorer(Explorer):
    """Chapter 7: Adam and AMSGrad on the online problem f_t(x) = C x, -x, -x, ... on [-1, 1].

    Controls: ``C`` (2.5 to 10), ``beta1`` (0 to 0.9) and ``beta2`` (0 to 0.98), on
    the grid of a pre-computed batch (all settings in one run, made on first use).
    The learning rate is 0.5/sqrt(t). Left: x_t (the optimum is x = -1); middle:
    the average regret R_T/T on log-log axes; right: Adam's final R_T/T over
    (beta2, C) for the current beta1, with the region where beta1 < sqrt(beta2)
    (the condition of Reddi et al.'s Theorem 2) left of the dashed line unshaded.
    """

    name = "amsgrad"
    title = "Adam and AMSGrad on the C, −1, −1 counterexample"
    figsize = (11.0, 3.6)

    def _make_controls(self):
        return {
            "C": slider("C", 3.0, 2.5, 10.0, 0.5),
            "beta1": slider("β1", 0.0, 0.0, 0.9, 0.1),
            "beta2": slider("β2", 0.1, 0.0, 0.98, 0.02),
        }

    def _build_figure(self):
        self.x, self.avg = _amsgrad_grid()
        ax_x, ax_r, ax_h = self.figure.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1, 1.1]})
        self.ax_h = ax_h
        T = AMSGRAD_STEPS
        self.paths, self.regrets = [], []
        for i, label in enumerate(["Adam", "AMSGrad"]):
            sty = plots.series_style(i)
            (p,) = ax_x.plot([], [], color=sty["color"], linestyle=sty["linestyle"], linewidth=1.4,
                             label=label)
            (r,) = ax_r.plot([], [], color=sty["color"], linestyle=sty["linestyle"], linewidth=1.6,
                             label=label)
            self.paths.append(self._animate(p))
            self.regrets.append(self._animate(r))
        ax_x.axhline(-1.0, color="k", linewidth=1, linestyle=":", label="optimum x* = −1")
        ax_x.set_xlim(0, T)
        ax_x.set_ylim(-1.1, 1.1)
        ax_x.set_xlabel("step $t$")
        ax_x.set_ylabel("$x_t$")
        ax_x.set_title("iterates on [−1, 1]")
        ax_x.legend(loc="center right", fontsize=8)
        ax_r.set_xscale("log")
        ax_r.set_yscale("log")
        ax_r.set_xlim(1, T)
        ax_r.set_ylim(1e-2, 20)
        ax_r.set_xlabel("$T$")
        ax_r.set_ylabel("$R_T / T$")
        ax_r.set_title("average regret (log-log)")
        ax_r.legend(loc="lower left", fontsize=8)
        b2, C = AMSGRAD_GRID["beta2"], AMSGRAD_GRID["C"]
        extent = (b2[0] - 0.01, b2[-1] + 0.01, C[0] - 0.25, C[-1] + 0.25)
        self.heat = ax_h.imshow(self.avg[0, -1, :, 0, :], origin="lower", aspect="auto", extent=extent,
                                norm=LogNorm(1e-2, 10), cmap="viridis", interpolation="nearest")
        self._animate(self.heat)
        self.figure.colorbar(self.heat, ax=ax_h, label="Adam's $R_T/T$ at $T$ = 300")
        self.fails = self._animate(ax_h.add_patch(Rectangle(
            (extent[0], 0), 0, 1, transform=ax_h.get_xaxis_transform(), facecolor="white", alpha=0.6,
            hatch="//", edgecolor="0.3", linewidth=0)))
        self.edge = self._animate(ax_h.axvline(0, color="k", linestyle="--", linewidth=1.2))
        (self.here,) = ax_h.plot([], [], marker="o", markersize=8, markerfacecolor="none",
                                 markeredgecolor="#D55E00", markeredgewidth=2, linestyle="none")
        self._animate(self.here)
        ax_h.set_xlim(extent[0], extent[1])
        ax_h.set_ylim(extent[2], extent[3])
        ax_h.set_xlabel("β2")
        ax_h.set_ylabel("C")
        ax_h.set_title("Adam's regret; hatched: β1 ≥ √β2")

    def _compute(self, v):
        return (_nearest(AMSGRAD_GRID["C"], v["C"]), _nearest(AMSGRAD_GRID["beta1"], v["beta1"]),
                _nearest(AMSGRAD_GRID["beta2"], v["beta2"]))

    def _draw(self, v, idx):
        i, j, k = idx
        T = AMSGRAD_STEPS
        for o in range(2):
            self.paths[o].set_data(np.arange(T + 1), self.x[o, :, i, j, k])
            self.regrets[o].set_data(np.arange(1, T + 1), np.clip(self.avg[o, :, i, j, k], 1e-3, None))
        self.heat.set_data(self.avg[0, -1, :, j, :])
        b1 = float(AMSGRAD_GRID["beta1"][j])
        edge = b1 ** 2  # beta1 < sqrt(beta2)  <=>  beta2 > beta1^2
        self.edge.set_xdata([edge, edge])
        self.fails.set_width(max(edge - self.fails.get_x(), 0.0))
        self.here.set_data([AMSGRAD_GRID["beta2"][k]], [AMSGRAD_GRID["C"][i]])
        C, b2 = float(AMSGRAD_GRID["C"][i]), float(AMSGRAD_GRID["beta2"][k])
        holds = b1 < math.sqrt(b2)
        cond = (f"β1 = {b1:.2g} < √β2 = {math.sqrt(b2):.3g}: the condition of Reddi et al.'s Theorem 2 "
                "holds (some convex problem makes Adam's average regret stay away from 0)"
                if holds else f"β1 = {b1:.2g} ≥ √β2 = {math.sqrt(b2):.3g}: Theorem 2's condition fails")
        xa, xm = float(self.x[0, -1, i, j, k]), float(self.x[1, -1, i, j, k])
        ra, rm = float(self.avg[0, -1, i, j, k]), float(self.avg[1, -1, i, j, k])
        wrong = " (the wrong end)" if xa > 0 else ""
        shown = ""
        if any(abs(float(v[n]) - float(AMSGRAD_GRID[n][q])) > 1e-9 for n, q in (("C", i), ("beta1", j),
                                                                                  ("beta2", k))):
            shown = f" Shown at the nearest grid point C = {C:g}, β1 = {b1:g}, β2 = {b2:g}."
        msg = (f"C = {C:g}, β2 = {b2:g}. {cond}. After T = {T} steps Adam is at x = {xa:+.2f}{wrong} with "
               f"R_T/T = {ra:.3g}; AMSGrad is at x = {xm:+.2f} with R_T/T = {rm:.3g}.{shown}")
        return msg, False

    def alt_text(self):
        return (f"{self.title}. Left: x_t against t for Adam and AMSGrad, with the optimum x = −1 dotted. "
                "Middle: average regret R_T/T on log-log axes. Right: a heat map of Adam's R_T/T over "
                f"β2 (horizontal) and C (vertical), with a circle at the current setting. {self.message}")


# -- Adam + L2 against AdamW ------------------------------------------------------------

class AdamWExplorer(_LandscapeBase):
    """Chapter 8: Adam with L2 (coupled) against AdamW (decoupled weight decay).

    f(theta) = (100 (theta1 - 1)^2 + (theta2 - 1)^2) / 2: theta1 sees gradients 100 times
    larger than theta2. Controls: ``lr`` (log scale) and ``weight_decay`` (lambda).
    Adam+L2 converges to the minimizer of f + lambda/2 ||theta||^2 (a diamond), where
    the high-gradient theta1 is hardly shrunk; AdamW shrinks both coordinates alike.
    The right panel shows the factor that multiplies lambda theta in each step,
    relative to AdamW's gamma lambda: 1/(sqrt(v_hat) + eps) per coordinate for Adam+L2,
    1 for AdamW.
    """

    name = "adamw"
    title = "Adam + L2 against AdamW"
    figsize = (9.0, 3.8)
    steps = 120
    h = np.array([100.0, 1.0])
    center = np.array([1.0, 1.0])

    def _make_controls(self):
        return {
            "lr": log_slider("learning rate γ", 0.05, 1e-3, 1.0),
            "weight_decay": slider("weight decay λ", 0.5, 0.0, 5.0, 0.01),
        }

    def _build_figure(self):
        self.problem = quadratic(self.h, center=self.center, name="f = (100(θ1−1)² + (θ2−1)²)/2",
                                 window=((-0.15, 1.25), (-0.15, 1.25)))
        self._build_axes(2, [1, 1.1])
        self.ax_decay = self.ax_loss
        self._contour_scene("adamw", problem=self.problem)
        self.ax_map.set_title("high-gradient θ1, low-gradient θ2")
        self._series_artists(["Adam + L2", "AdamW"], curves=False, markevery=10)
        (self.l2_opt,) = self.ax_map.plot([], [], marker="D", markersize=8, color="#E69F00",
                                          markeredgecolor="k", linestyle="none",
                                          label="minimizer of f + λ/2‖θ‖²")
        self._animate(self.l2_opt)
        self.ax_map.legend(loc="lower right", fontsize=7)
        ax = self.ax_decay
        ax.set_ylabel("decay factor ÷ (γλ)")
        ax.set_ylim(1e-3, 1e3)
        ax.set_xlim(0, self.steps)
        ax.set_title("how strongly λθ acts, per coordinate")
        self.decays = []
        for i, label in enumerate(["Adam + L2, θ1 (high gradient)", "Adam + L2, θ2 (low gradient)"]):
            sty = plots.series_style(i + 2)
            (d,) = ax.plot([], [], color=sty["color"], linestyle=sty["linestyle"], linewidth=1.6,
                           label=label)
            self.decays.append(self._animate(d))
        ax.axhline(1.0, color=plots.PALETTE[1], linestyle=plots.LINESTYLES[1], linewidth=1.6,
                   label="AdamW, both coordinates")
        ax.legend(loc="lower right", fontsize=7)

    def _compute(self, v):
        opt = stacked([adam_l2(lr=v["lr"], weight_decay=v["weight_decay"]),
                        adamw(lr=v["lr"], weight_decay=v["weight_decay"])])
        return run(opt, self.problem, np.zeros((2, 2)), self.steps)

    def _draw(self, v, traj):
        lam = v["weight_decay"]
        for i in range(2):
            self.lines[i].set_data(traj.thetas[:, i, 0], traj.thetas[:, i, 1])
        sol = self.h * self.center / (self.h + lam)
        self.l2_opt.set_data([sol[0]], [sol[1]])
        # Adam+L2 preconditions g + lambda theta: its v_t, from the recorded gradients
        g = traj.grads[:, 0, :] + lam * traj.thetas[:-1, 0, :]
        vt, out = np.zeros(2), np.empty_like(g)
        with np.errstate(all="ignore"):
            for t in range(len(g)):
                vt = 0.999 * vt + 0.001 * g[t] ** 2
                out[t] = 1.0 / (np.sqrt(vt / (1 - 0.999 ** (t + 1))) + 1e-8)
        steps = np.arange(1, len(g) + 1)
        for i in range(2):
            self.decays[i].set_data(steps, _clip_log(out[:, i], 1e-3, 1e3))
        diverged = bool(np.any(np.ravel(traj.diverged_at) >= 0))
        parts = []
        for row, label in ((0, "Adam + L2"), (1, "AdamW")):
            d = int(np.ravel(traj.diverged_at)[row])
            if d >= 0:
                parts.append(f"{label} diverged at step {d} ({traj.reasons[0]})")
                continue
            end = traj.thetas[-1, row]
            shrink = 100 * (1 - end / self.center)
            parts.append(f"{label} ends at ({end[0]:.3f}, {end[1]:.3f}), shrunk by {shrink[0]:.0f}% and "
                         f"{shrink[1]:.0f}%")
        if lam == 0:
            parts.append("with λ = 0 both are plain Adam")
        elif diverged and v["lr"] * lam > 2:
            parts.append(f"γλ = {v['lr'] * lam:.3g} > 2, so AdamW's factor 1 − γλ flips and grows θ")
        self.note.set_text("diverged" if diverged else f"λ = {lam:.3g}")
        msg = (f"{'; '.join(parts)}. The minimizer of f + λ/2‖θ‖² is ({sol[0]:.3f}, {sol[1]:.3f}), "
               "where Adam + L2 goes: the high-gradient θ1 is hardly regularized.")
        return msg, diverged

    def alt_text(self):
        runs = {"Adam + L2": self._cached(self.values).thetas[:, 0],
                "AdamW": self._cached(self.values).thetas[:, 1]}
        return (plots.alt_text(self.problem, runs, self.title) + " Right: the decay factor per coordinate "
                f"on a log scale. {self.message}")


# -- the registry -------------------------------------------------------------------------

def landscape(**values):
    """Chapter 1's explorer: see :class:`LandscapeExplorer`."""
    return LandscapeExplorer(**values)


def momentum_explorer(form="ema", **values):
    """Chapter 2's explorer: see :class:`MomentumExplorer`."""
    return MomentumExplorer(form=form, **values)


def adam_explorer(**values):
    """Chapter 5's explorer: see :class:`AdamExplorer`."""
    return AdamExplorer(**values)


def amsgrad_explorer(**values):
    """Chapter 7's explorer: see :class:`AMSGradExplorer`."""
    return AMSGradExplorer(**values)


def adamw_explorer(**values):
    """Chapter 8's explorer: see :class:`AdamWExplorer`."""
    return AdamWExplorer(**values)


_REGISTRY = {"landscape": landscape, "momentum": momentum_explorer, "adam": adam_explorer,
             "amsgrad": amsgrad_explorer, "adamw": adamw_explorer}


def registry():
    """Explorer name -> factory; ``registry()[name](**values)`` builds one."""
    return dict(_REGISTRY)


def build(name, **values):
    """Build explorer ``name`` with some controls set: ``build("landscape", lr=0.15)``."""
    if name not in _REGISTRY:
        raise ValueError(f"Invalid explorer: {name!r} (choose one of {sorted(_REGISTRY)})")
    return _REGISTRY[name](**values)


def precomputed(name, control, values, label=None, fmt="{:.3g}", **fixed):
    """A pre-computed slider over one control of explorer ``name`` (HTML, works offline).

    ``precomputed("landscape", "lr", [0.05, 0.1, 0.15, 0.19, 0.21], problem="ravine")``
    """
    ex = build(name)
    try:
        return ex.precomputed(control, values, label=label, fmt=fmt, **fixed)
    finally:
        ex.close()
