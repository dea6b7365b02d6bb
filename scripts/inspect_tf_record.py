r"""Describes TFRecords of detection tf.Examples, and draws one of them.

    python scripts/inspect_tf_record.py --input='data/shapes/val-*.tfrecord' \
        --sample_png=sample.png

The same program as `od-inspect-tf-record` (see
object_detection/dataset_tools/inspect_tf_record.py for the flags).
"""

from object_detection.dataset_tools import inspect_tf_record

if __name__ == "__main__":
  inspect_tf_record.run()
