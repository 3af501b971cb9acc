"""rnn-tui: watch a character-level RNN think, one character at a time."""

__version__ = "0.1.0"
