"""Great Expectations suites, one JSON file per return type (package data, read by
``pipeline.steps.validation``). Each expectation's ``meta.reason`` is the sentence a member reads."""
