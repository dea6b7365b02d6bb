"""`python -m object_detection.anchor_analysis`: the od-anchors tool."""

from object_detection.anchor_analysis import cli

if __name__ == "__main__":
  cli.run()
