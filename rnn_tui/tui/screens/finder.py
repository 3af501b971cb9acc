"""The neuron finder screen: every built-in feature with its best units, and a regular expression to try.

Opening it analyses the text on a worker (with a progress bar) unless the app
already holds the analysis. Enter on a unit selects it in the main view and
opens Karpathy's view of the analysed text coloured by it; typing in the
regex box re-ranks every unit for the pattern, on a worker thread with a time
limit (an invalid or too slow pattern is a message under the box, never a crash
or a frozen screen).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, OptionList, ProgressBar, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from ...analysis.analysed import Analysis
from ...analysis.features import regex_feature
from ...analysis.finder import Hit, Ranking, rank_one
from ...core.errors import UserError
from ...core.safe import safe_text
from ..messages import Analysed
from .help import show_help
from .unit_view import SelectUnit, sparkline

REGEX_SECONDS = 1.0  # typed live: a pattern's time limit in the viewer
Job = Callable[[Callable[[int, int], None]], Analysis]  # runs the analysis, reporting (done, total)


class FinderScreen(ModalScreen):
    CSS_PATH = Path(__file__).with_suffix(".tcss")  # beside this file, also for subclasses elsewhere
    BINDINGS = [
        Binding("escape", "close", "Back", id="finder.close"),
        Binding("slash", "focus_regex", "Regex", id="finder.regex"),
        Binding("K", "karpathy", "Karpathy view", id="finder.karpathy", tooltip="the text coloured by the unit"),
        Binding("S", "saturation", "Saturation", id="finder.saturation", tooltip="how often each gate is near 0 or 1"),
        Binding("O", "open_file", "Open a text file", id="finder.open", show=False),
        Binding("H", "history", "Rank on the generated text", id="finder.history", show=False),
        Binding("question_mark", "help", "Help", id="finder.help"),
    ]

    def action_help(self) -> None:
        show_help(self, "Neuron finder keys")

    def __init__(self, job: Job | Analysis, on_select: SelectUnit,
                 history: Callable[[], str] | None = None) -> None:
        super().__init__()
        self.history = history  # the text generated so far, analysed on H
        self.job = job
        self.on_select = on_select
        self.analysis: Analysis | None = job if isinstance(job, Analysis) else None
        self.regex_ranking: Ranking | None = None
        self.hits: dict[str, Hit] = {}

    def compose(self) -> ComposeResult:
        yield Static(Text("Find the neurons", style="bold"), id="title")
        yield Input(placeholder="regular expression: ranks every unit by it as you type (/ to come back here)",
                    id="regex")
        yield Input(placeholder="a text file to analyse (Enter to open, Escape to cancel)", id="path")
        yield Static("", id="message")
        yield ProgressBar(total=100, show_eta=False, id="progress")
        yield OptionList(id="ranking")
        yield Footer()

    def on_mount(self) -> None:
        if self.analysis is None:
            self.query_one("#message", Static).update("analysing…")
            self._run()
        else:
            self._ready(self.analysis)

    @work(thread=True, exclusive=True)
    def _run(self) -> None:
        worker = get_current_worker()

        def progress(done: int, total: int) -> None:
            if not worker.is_cancelled:
                self.app.call_from_thread(self.query_one(ProgressBar).update, total=total, progress=done)

        try:
            result = self.job(progress)
        except UserError as e:
            self.app.call_from_thread(self._message, safe_text(str(e)))
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self._ready, result)

    def _message(self, text: str) -> None:
        self.query_one("#message", Static).update(Text(text))

    def _ready(self, analysis: Analysis) -> None:
        self.analysis = analysis
        self.query_one(ProgressBar).display = False
        n = len(analysis.text)
        odd = int(analysis.cap.oov.sum())
        note = f"; {odd:,} characters outside the vocabulary fed as a space" if odd else ""
        self.query_one("#title", Static).update(Text.assemble(
            ("Find the neurons", "bold"), f"  {safe_text(analysis.ckpt.name)} on {analysis.source}, "
                                          f"{n:,} characters, {analysis.cap.units:,} units{note}"))
        self._message("r: correlation with the feature · mono: share of lines where the unit only rises or only "
                      "falls · AUC: how well it tells inside from outside (off/on: lower/higher inside)")
        self.post_message(Analysed(analysis))
        self._fill()
        self.query_one(OptionList).focus()

    def _fill(self) -> None:
        ol = self.query_one(OptionList)
        highlighted = ol.highlighted
        ol.clear_options()
        self.hits = {}
        width = max(self.app.size.width - 3, 40)  # beside the list's scrollbar
        name_w = min(28, max(12, width - 11 - 19 - 14))
        spark_w = max(4, width - name_w - 11 - 19 - 2)
        rankings = ([self.regex_ranking] if self.regex_ranking else []) + (self.analysis.rankings or [])
        for k, rk in enumerate(rankings):
            name = rk.feature.name
            if rk.note:
                note = rk.note[: width - name_w - 1]  # an option wraps its text: keep it to one line
                # a row the cursor stops on like any other (Down×n lands on the n-th row), greyed, doing
                # nothing on Enter: a disabled option was skipped, and counting rows landed elsewhere
                ol.add_option(Option(Text.assemble((f"{name[:name_w]:<{name_w}} ", "dim bold"), (note, "dim"))))
                continue
            for j, hit in enumerate(rk.hits[:3]):
                key = f"{k}:{j}"
                self.hits[key] = hit
                spark = sparkline(self.analysis.cap.values(hit.index), rk.first - spark_w // 4, spark_w)
                ol.add_option(Option(Text.assemble(
                    (f"{name[:name_w] if j == 0 else '':<{name_w}} ", "bold"), (f"{hit.label():<11}", ""),
                    f"{hit.short():<19}", (spark, "green"), no_wrap=True, overflow="ellipsis"), id=key))
        if ol.option_count:  # keep the place; at first, the best unit of the first feature
            ol.highlighted = min(highlighted if highlighted is not None else 0, ol.option_count - 1)

    @on(Input.Changed, "#regex")
    def _regex_changed(self, event: Input.Changed) -> None:
        if self.analysis is None:
            return
        pattern = event.value
        if not pattern:
            self.workers.cancel_group(self, "regex")
            self.regex_ranking = None
            self._message("")
            self._fill()
            return
        try:
            feature = regex_feature(pattern, seconds=REGEX_SECONDS)  # an invalid pattern: a message, now
        except UserError as e:
            self.workers.cancel_group(self, "regex")
            self.regex_ranking = None
            self._message(safe_text(str(e)))
            self._fill()
            return
        self._message(f"/{safe_text(pattern)}/ …")
        self._rank_regex(feature, pattern)

    @work(thread=True, exclusive=True, group="regex")
    def _rank_regex(self, feature, pattern: str) -> None:
        """Match and rank on a thread: the matcher has a time limit and lets go of the GIL, so the screen
        answers keys (Escape, q) while a pattern that backtracks badly runs out its time."""
        worker = get_current_worker()
        try:
            ranking = rank_one(self.analysis.cap, feature, top=3)
            shown = safe_text(pattern)
            message = (f"/{shown}/: {ranking.note}" if ranking.note
                       else f"/{shown}/ matches {ranking.occurrences:,} characters")
        except UserError as e:  # it took too long: one line
            ranking, message = None, safe_text(str(e))
        if not worker.is_cancelled:
            self.app.call_from_thread(self._regex_ranked, ranking, message)

    def _regex_ranked(self, ranking: Ranking | None, message: str) -> None:
        self.regex_ranking = ranking
        self._message(message)
        self._fill()

    @on(Input.Submitted, "#regex")
    def _regex_done(self) -> None:
        self.query_one(OptionList).focus()

    def selected_hit(self) -> Hit | None:
        ol = self.query_one(OptionList)
        if ol.highlighted is None:
            return None
        return self.hits.get(ol.get_option_at_index(ol.highlighted).id or "")

    @on(OptionList.OptionSelected)
    def _chosen(self) -> None:
        self.action_karpathy()

    def action_karpathy(self) -> None:
        hit = self.selected_hit()
        if hit is None or self.analysis is None:
            return
        from .karpathy import KarpathyScreen

        self.on_select(hit.layer, hit.quantity, hit.unit)
        self.app.push_screen(KarpathyScreen(self.analysis, hit.index, self.on_select))

    def action_saturation(self) -> None:
        if self.analysis is None:
            return
        from .saturation import SaturationScreen

        self.app.push_screen(SaturationScreen(self.analysis, self.on_select))

    def action_focus_regex(self) -> None:
        self.query_one("#regex", Input).focus()

    def action_open_file(self) -> None:
        path = self.query_one("#path", Input)
        path.display = True
        path.focus()

    @on(Input.Submitted, "#path")
    def _path_done(self, event: Input.Submitted) -> None:
        """Analyse the file on a worker, as on opening; any problem with it is a message."""
        from ...core.text import read_text

        event.input.display = False
        event.input.value = ""
        self.query_one(OptionList).focus()
        name = event.value.strip()
        if not name:
            return
        try:
            text = read_text(name)
        except UserError as e:
            self._message(safe_text(str(e)))
            return
        self._analyse(text, f"file {safe_text(name.rsplit('/', 1)[-1], 40)}")

    def action_history(self) -> None:
        if self.history is not None:
            self._analyse(self.history(), "the text generated so far")

    def _analyse(self, text: str, source: str) -> None:
        """Start again on another text (a file, the generated text) with the same model."""
        if self.analysis is None:
            return
        from ...analysis.analysed import analyse

        ckpt = self.analysis.ckpt
        self.job = lambda progress: analyse(ckpt, text, source, progress)
        self.regex_ranking = None
        self.query_one(OptionList).clear_options()
        self.query_one(ProgressBar).display = True
        self._message(f"analysing {source}…")
        self._run()

    def action_close(self) -> None:
        path = self.query_one("#path", Input)
        if path.display:  # Escape first closes the file prompt
            path.display = False
            self.query_one(OptionList).focus()
            return
        self.workers.cancel_all()
        self.app.pop_screen()
