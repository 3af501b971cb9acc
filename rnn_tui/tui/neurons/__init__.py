"""The viewer's analysis screens (issue #7): neuron finder, Karpathy's view, gate saturation.

Each screen is given an `Analysis` (a text captured teacher-forced, see
`rnn_tui.analysis`) and a callback that selects a unit in the main view; the
app needs one binding and one short action per screen.
"""
