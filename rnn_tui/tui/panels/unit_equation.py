"""One unit's equations at the cursor, with the numbers in (Olah's diagrams as arithmetic).

Shown below the predictions when toggled on; it follows the selected unit and
the cursor, so stepping shows how each term moves. The numbers come from
`analysis.equations`: the gates and states the model computed at this step, and
the pre-activations split into what the input and the recurrence brought.
"""

from __future__ import annotations

import numpy as np
from rich.text import Text
from textual.geometry import Region

from ...analysis.equations import UnitEquation, explain_unit
from ..engine.scene import Scene
from .base import Panel


class UnitEquationPanel(Panel):
    DETAIL = True  # the numbers change at every step: repainted when the byte budget allows

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.equation: UnitEquation | None = None

    def toggle(self) -> None:
        self.toggle_class("-on")

    def show(self, scene: Scene) -> int:
        if not self.display:
            return 0  # toggled off: nothing to compute
        s, v = scene.session, scene.view
        self.shown_at = (s.revision, s.cursor)
        if s.cursor < 0:
            self.equation = None
        else:
            # the model as it ran at the cursor (with the clamp recorded there), and the state before
            model = s.model_for(s.clamp_ids(s.cursor, s.cursor + 1)[0])
            before = (model.state_from_acts(scene.cache.acts_at(s.cursor - 1)) if s.cursor > 0
                      else model.initial_state())
            char = int(s.ids(s.cursor, s.cursor + 1)[0])
            self.equation = explain_unit(model, v.layer, v.unit, char, before, np.asarray(s.acts))
        self.refresh()
        return self.size.area

    def stale_regions(self) -> list[Region]:
        return [Region(0, 0, self.size.width, 1)]

    def render(self) -> Text:
        eq = self.equation
        if eq is None:
            return Text("no step yet", style="dim")
        text = Text(no_wrap=True, overflow="ellipsis")
        head, *body, dominant = eq.lines
        text.append(head + (" ≈" if self.stale else "") + "\n", "bold")
        for line in body:
            text.append(line + "\n", "bold" if "← clamped" in line else "")
        text.append(dominant, "italic")
        return text
