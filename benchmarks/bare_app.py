"""The baseline for start-up: a bare Textual app showing one Static and a Footer."""

from textual.app import App
from textual.widgets import Footer, Static


class Bare(App):
    BINDINGS = [("q", "quit", "Quit")]

    def compose(self):
        yield Static("bare-app-ready")
        yield Footer()


if __name__ == "__main__":
    Bare().run()
