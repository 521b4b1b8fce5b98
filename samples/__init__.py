"""Sample and benchmark data: a fictional network's member returns, written the way real finance and HR
systems export them (preambles, aliases, encodings, planted bad rows), for the demo, the tests and the
benchmark. Shipped with the package so ``anchor sample`` and ``anchor demo`` work anywhere; nothing in
``pipeline.steps`` imports it.
"""
