"""Training with PyTorch (the optional `[train]` extra).

Importing this package imports nothing heavy: torch is imported by `model` and
`trainer` only, so `rnn_tui.train.data` and `rnn_tui.train.phone_numbers` stay
usable (and fast to import) without it.
"""
