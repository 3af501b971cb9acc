"""The viewer's engine: the frame loop, the scene a frame shows, the byte budget, view state and colours."""
