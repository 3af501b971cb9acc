"""One line: play state and the speed achieved, model, layer, the selected unit's value (large), step,
sampler, seed. Repainted only when its text changes, and a few times a second at most while playing."""

from __future__ import annotations

import time

from rich.text import Text

from ..engine.scene import Scene
from .base import Panel

DROP_ORDER = ("label", "scale", "seed", "name", "sampler", "layer")
STATUS_FPS = 4  # repaints a second while playing: the whole line at 30 fps was ~25 KB/s of 40


class StatusPanel(Panel):
    DETAIL = False
    COMPONENT_CLASSES = {"status--value"}

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.text = Text()
        self._at = 0.0
        self._styled_for: tuple | None = None
        self._value_style = None

    def show(self, scene: Scene) -> int:
        now = time.monotonic()
        if scene.player.playing and not scene.detail and now - self._at < 1 / STATUS_FPS:
            return 0
        self._at = now
        if self._styled_for != scene.maps.key:  # the theme's accent, looked up once per theme
            self._styled_for, self._value_style = scene.maps.key, self.get_component_rich_style("status--value")
        text = status_text(scene, self.size.width or 80, self._value_style)
        if text.plain == self.text.plain:
            return 0
        self.text = text
        self.refresh()
        return self.size.width

    def render(self) -> Text:
        return self.text


def speed_text(scene: Scene) -> str:
    """The speed setting, and while playing the rate really achieved when it falls short of it."""
    p = scene.player
    if not p.playing:
        return f"❚❚ {p.speed}/s"
    got = p.achieved()
    if got is not None and got < 0.9 * p.speed:
        return f"▶ {got:.0f}/s of {p.speed}"
    return f"▶ {p.speed}/s"


def status_text(scene: Scene, width: int, value_style) -> Text:
    s, c, v = scene.session, scene.config, scene.view
    value = float(s.acts[v.layer, v.quantity, v.unit]) if s.cursor >= 0 else 0.0
    wide = width >= 110
    sampler = s.sampler
    scale = ("shared scale" if v.shared_scale else "unit scale") + ("" if v.order == "index" else f" · by {v.order}")
    parts = {
        "speed": (speed_text(scene), "bold reverse" if scene.player.playing else "bold"),
        "clamp": (s.clamp_label, "bold reverse") if s.clamp_label else None,
        "era": (scene.era, "bold reverse") if scene.era else None,
        "name": (scene.name, "bold"),
        "label": (c.label, ""),
        "layer": (f"layer {v.layer + 1}/{c.layers}" if wide else f"L{v.layer + 1}", ""),
        "value": (f" {scene.quantity_name}{v.unit} {value:+.2f} ", value_style),
        "step": (f"step {s.cursor}" + (f" +{s.length - s.cursor - 1}" if s.can_redo else ""), ""),
        "sampler": (f"T{sampler.temperature:.1f} {sampler.describe()}" if sampler.temperature
                    else sampler.describe(), ""),
        "seed": (f"seed {sampler.seed}", ""),
        "scale": (scale, "dim"),
    }
    shown = {k: p for k, p in parts.items() if p}
    # what goes first when the line is too long: a clamp or a snapshot never goes, nor the value and step
    for gone in DROP_ORDER:
        if sum(len(p[0]) for p in shown.values()) + 3 * (len(shown) - 1) <= width:
            break
        shown.pop(gone, None)
    text = Text(no_wrap=True, overflow="ellipsis")
    for k, (part, style) in enumerate(shown.values()):
        if k:
            text.append(" │ ", "dim")
        text.append(part, style)
    return text
