"""One module per command: argv -> checks -> one call. Kept light: `--version` imports only this."""

# name -> (module under rnn_tui.commands, one line for `rnn-tui --help`)
COMMANDS: dict[str, tuple[str, str]] = {
    "view": ("view", "open the viewer on a model (the default command)"),
    "train": ("train", "train a model on a text file (needs PyTorch)"),
    "eval": ("eval", "score a model on a text, in nats and bits per character"),
    "info": ("info", "describe a model, or list the bundled ones"),
    "analyze": ("analyze", "find the neurons: rank every unit by how well it tracks features of a text"),
}
