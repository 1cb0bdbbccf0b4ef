"""One module per metric; each has a plain function over arrays that the unit tests exercise directly."""
