"""Random minibatch sampling with a target fraction of positives.

Given candidate examples (`indicator`) and their labels (True = positive),
`BalancedPositiveNegativeSampler.subsample` draws uniformly at random up to
floor(positive_fraction * batch_size) positives and fills the rest of the
batch with negatives. It is how Faster R-CNN picks the anchors of the RPN
loss and the proposals of the box classifier.

Both modes use one random permutation and running counts (cumsum) instead
of `tf.where`, so the work is O(N) and every intermediate has shape [N].
The static mode (is_static=True) additionally guarantees exactly
min(N, batch_size) sampled entries, which static-shape pipelines rely on:
when negatives run short, extra positives fill the batch, and when there
are fewer candidates than batch_size, the earliest non-candidate entries
(in input order, e.g. padding) are added.
"""

from typing import Optional

import tensorflow as tf


class BalancedPositiveNegativeSampler:
  """Samples a minibatch with a bounded fraction of positives.

  Args:
    positive_fraction: the largest fraction of positives in a sampled batch,
      in [0, 1].
    is_static: if True, sample with static shapes and return exactly
      min(N, batch_size) entries (see the module docstring).

  Raises:
    ValueError: if positive_fraction is outside [0, 1].
  """

  def __init__(self, positive_fraction: float = 0.5, is_static: bool = False):
    if not 0.0 <= positive_fraction <= 1.0:
      raise ValueError(
          "BalancedPositiveNegativeSampler: positive_fraction must be in "
          "[0, 1], got {}".format(positive_fraction))
    self._positive_fraction = float(positive_fraction)
    self._is_static = is_static

  @staticmethod
  def subsample_indicator(indicator: tf.Tensor,
                          num_samples) -> tf.Tensor:
    """Keeps num_samples of the True entries of indicator, chosen at random.

    Args:
      indicator: bool [N].
      num_samples: int or int32 scalar tensor; all True entries are kept if
        there are fewer.

    Returns:
      bool [N], True for the kept entries.
    """
    indicator = tf.convert_to_tensor(indicator)
    num_entries = tf.shape(indicator)[0]
    permutation = tf.random.shuffle(tf.range(num_entries))
    shuffled = tf.gather(indicator, permutation)
    rank = tf.cumsum(tf.cast(shuffled, tf.int32))
    kept = tf.logical_and(shuffled, rank <= num_samples)
    return tf.gather(kept, tf.math.invert_permutation(permutation))

  def subsample(self, indicator: tf.Tensor, batch_size: Optional[int],
                labels: tf.Tensor, scope: Optional[str] = None) -> tf.Tensor:
    """Samples a balanced minibatch.

    Args:
      indicator: bool [N], True for entries that may be sampled.
      batch_size: int, the desired batch size; None (dynamic mode only)
        keeps every positive and adds negatives in the ratio
        (1 - positive_fraction) / positive_fraction.
      labels: bool [N], True for positives.
      scope: optional name scope.

    Returns:
      bool [N], True for the sampled entries.

    Raises:
      ValueError: if indicator or labels are not rank-1 bool tensors, or,
        in static mode, if their shapes are not static or batch_size is not
        an int.
    """
    indicator = tf.convert_to_tensor(indicator)
    labels = tf.convert_to_tensor(labels)
    for name, tensor in (("indicator", indicator), ("labels", labels)):
      if tensor.shape.rank != 1:
        raise ValueError(
            "BalancedPositiveNegativeSampler.subsample: {} must have rank 1, "
            "got shape {}".format(name, tensor.shape))
      if tensor.dtype != tf.bool:
        raise ValueError(
            "BalancedPositiveNegativeSampler.subsample: {} must be bool, got "
            "{}".format(name, tensor.dtype.name))
    with tf.name_scope(scope or "BalancedPositiveNegativeSampler"):
      if self._is_static:
        if not (indicator.shape.is_fully_defined()
                and labels.shape.is_fully_defined()):
          raise ValueError(
              "BalancedPositiveNegativeSampler.subsample: with is_static "
              "true, indicator and labels need static shapes, got {} and "
              "{}".format(indicator.shape, labels.shape))
        if not isinstance(batch_size, int):
          raise ValueError(
              "BalancedPositiveNegativeSampler.subsample: with is_static "
              "true, batch_size must be a Python int, got {!r}".format(
                  batch_size))
      return self._sample(indicator, batch_size, labels)

  def _sample(self, indicator: tf.Tensor, batch_size: Optional[int],
              labels: tf.Tensor) -> tf.Tensor:
    """Shared dynamic/static sampling; see the module docstring."""
    num_entries = tf.shape(indicator)[0]
    permutation = tf.random.shuffle(tf.range(num_entries))
    candidate = tf.gather(indicator, permutation)
    label = tf.gather(labels, permutation)
    positive = tf.logical_and(candidate, label)
    negative = tf.logical_and(candidate, tf.logical_not(label))
    positive_rank = tf.cumsum(tf.cast(positive, tf.int32))
    negative_rank = tf.cumsum(tf.cast(negative, tf.int32))
    num_positive = tf.reduce_sum(tf.cast(positive, tf.int32))
    num_negative = tf.reduce_sum(tf.cast(negative, tf.int32))

    if batch_size is None:
      num_take_positive = num_positive
      ratio = (1.0 - self._positive_fraction) / self._positive_fraction
      num_take_negative = tf.cast(
          ratio * tf.cast(num_take_positive, tf.float32), tf.int32)
    else:
      max_positive = int(self._positive_fraction * batch_size)
      num_take_positive = tf.minimum(num_positive, max_positive)
      num_take_negative = batch_size - num_take_positive
      if self._is_static:
        num_take_negative = tf.minimum(num_negative, num_take_negative)
        num_take_positive = tf.minimum(num_positive,
                                       batch_size - num_take_negative)
    sampled = tf.logical_or(
        tf.logical_and(positive, positive_rank <= num_take_positive),
        tf.logical_and(negative, negative_rank <= num_take_negative))
    sampled = tf.gather(sampled, tf.math.invert_permutation(permutation))
    if not self._is_static:
      return sampled
    # Top up with the earliest non-candidates when candidates run short.
    num_missing = batch_size - num_take_positive - num_take_negative
    non_candidate = tf.logical_not(indicator)
    fill_rank = tf.cumsum(tf.cast(non_candidate, tf.int32))
    fill = tf.logical_and(non_candidate, fill_rank <= num_missing)
    return tf.logical_or(sampled, fill)
