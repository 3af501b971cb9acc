"""The screens and dialogs pushed over the main view, each with its own stylesheet beside it."""
