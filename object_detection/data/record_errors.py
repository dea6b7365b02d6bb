"""Errors about the records of a dataset, located by file and record.

Checks that run inside the tf.data graph (the decoder's) raise
InvalidArgumentError messages that start with INVALID_RECORD_PREFIX and
then say where and what, in one line:

    invalid record: data/train-00000-of-00004.tfrecord record 17:
    source_id 'img_0042': image/object/bbox/ymax: must be in [0, 1], got 1.7

`InputDataError` is what users see instead of TensorFlow's error.
"""

INVALID_RECORD_PREFIX = "invalid record: "


class InputDataError(ValueError):
  """A dataset record (or file) that cannot be used, with its location."""
