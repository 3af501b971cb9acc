"""One module per command: argv -> checks -> one call. Kept light: `--version` imports only this."""

# name -> (module under rnn_tui.commands, one line for `rnn-tui --help`)
COMMANDS: dict[str, tuple[str, str]] = {
    "view": ("view", "open the viewer on a model (the default command)"),
    "lesson": ("lesson", "open the viewer on an in-class activity, step by step (--list lists them)"),
    "train": ("train", "train a model on a text file (needs PyTorch)"),
    "eval": ("eval", "score a model on a text, in nats and bits per character"),
    "info": ("info", "describe a model, or list the bundled ones"),
    "analyze": ("analyze", "find the neurons: rank every unit by how well it tracks features of a text"),
    "import": ("import_model", "convert a .pt or min-char-rnn .npz model to a .safetensors checkpoint"),
    "export": ("export", "write every layer's activations over a text to .npz or .csv, for a notebook"),
    "score": ("score", "rank candidate words after a context by the model's probability, in bits and nats"),
    "sample": ("sample", "write a model's text to stdout (plain or --json lines), as the viewer would"),
    "serve": ("serve", "serve the viewer to a web browser, one process per tab (needs textual-serve)"),
    "help": ("help", "the help of one command: rnn-tui help COMMAND is rnn-tui COMMAND --help"),
    "completion": ("completion", "print a bash, zsh or fish script that completes rnn-tui's commands and options"),
}
