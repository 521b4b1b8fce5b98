"""Sample and benchmark data: a fictional network's member returns, written the way real finance and HR
systems export them (preambles, aliases, encodings, planted bad rows), for the demo, the tests and the
benchmark. Shipped with the package so ``anchor sample`` and ``anchor demo`` work anywhere; nothing in
``pipeline.steps`` imports it.

Each module imports only modules listed above it:

- ``manifest``: what a run wrote (``SampleFile``, ``SampleManifest``), in one shape for every return;
- ``export_style``: how a system writes an export (``ExportStyle``; date and money formats, scalar
  and vectorised; CSV, Arrow CSV and deterministic XLSX bytes);
- ``postcodes``: fictional UK postcodes, inside the network's area or not;
- ``suppliers``: the network's supplier pool and the core team's register;
- ``staff``: each member's roster through time, and the Living Wage story it tells;
- ``spend``, ``workforce``, ``measures``: one generator of returns per return type;
- ``network``: ``generate_sample``, the register and every return into the bucket;
- ``synthetic``: the benchmark's network at any scale, vectorised.
"""
