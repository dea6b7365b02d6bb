"""Anchor analysis: how well a config's anchors cover a dataset's boxes.

    from object_detection.anchor_analysis import analysis
    result = analysis.analyse(configs)

Modules: analysis (the measure and the search), data (boxes and anchors as
training sees them), coverage (best IoUs), search (the suggestion), report
(text, JSON, picture) and cli (`od-anchors`, also `python -m
object_detection.anchor_analysis`). The package itself imports nothing, so
the tool answers flag errors before TensorFlow loads.
"""
