"""``anchor``, the command line: the top of the house. It calls steps, never the other way round."""
