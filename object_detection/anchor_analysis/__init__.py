"""Anchor analysis: how well a config's anchors cover a dataset's boxes.

    from object_detection import anchor_analysis
    result = anchor_analysis.analyse(configs)

See analysis.py (the measure and the search), data.py (boxes and anchors as
training sees them), coverage.py (best IoUs), search.py (the suggestion),
report.py (text, JSON, picture) and cli.py (`od-anchors`).
"""

from object_detection.anchor_analysis.analysis import analyse  # pylint: disable=unused-import
from object_detection.anchor_analysis.analysis import Analysis  # pylint: disable=unused-import
