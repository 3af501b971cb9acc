"""The in-class lessons in the viewer: the panel that follows every screen, the lesson list, the word-score dialog."""
