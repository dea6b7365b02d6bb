r"""Runs an exported model over images and writes annotated PNGs.

    python scripts/infer.py --saved_model_dir=exported \
        --input='photos/*.jpg' --output_dir=detections

The same program as the console script `od-infer` (see
object_detection/infer_tool.py for the flags).
"""

from object_detection import infer_tool

if __name__ == "__main__":
  infer_tool.run()
