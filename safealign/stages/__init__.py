"""One module per stage; each is a straight-line function. The pipeline only orders them."""
