"""Tests for the shared random draws of the augmentation ops."""

import numpy as np
import pytest
import tensorflow as tf

from object_detection.core.preprocessor_ops import random_ops

SEED = tf.constant([3, 11], tf.int64)
OTHER_SEED = tf.constant([3, 12], tf.int64)


@pytest.mark.parametrize("seed, expected", [
    (None, False),
    (7, False),
    (tf.constant([1, 2]), True),
    (np.array([1, 2]), True),
])
def test_is_stateless(seed, expected):
  assert random_ops.is_stateless(seed) is expected


def test_derive_keeps_none_and_offsets_ints():
  assert random_ops.derive(None, 3) is None
  assert random_ops.derive(10, 3) == 13


def test_derive_of_a_tensor_seed_is_deterministic_and_salt_dependent():
  first = random_ops.derive(SEED, 0).numpy()
  assert first.shape == (2,)
  np.testing.assert_array_equal(first, random_ops.derive(SEED, 0).numpy())
  assert not np.array_equal(first, random_ops.derive(SEED, 1).numpy())
  assert not np.array_equal(first, random_ops.derive(OTHER_SEED, 0).numpy())


def test_stateless_uniform_depends_only_on_the_seed():
  values = random_ops.uniform([50], SEED, minval=2.0, maxval=3.0).numpy()
  np.testing.assert_array_equal(
      values, random_ops.uniform([50], SEED, minval=2.0, maxval=3.0).numpy())
  assert not np.array_equal(
      values, random_ops.uniform([50], OTHER_SEED, 2.0, 3.0).numpy())
  assert values.min() >= 2.0 and values.max() < 3.0


def test_stateless_integer_uniform_excludes_maxval():
  values = random_ops.uniform([200], SEED, minval=0, maxval=3,
                              dtype=tf.int32).numpy()
  assert set(values.tolist()) == {0, 1, 2}


def test_stateless_normal_depends_only_on_the_seed():
  values = random_ops.normal([1000], SEED, mean=5.0, stddev=0.1).numpy()
  np.testing.assert_array_equal(
      values, random_ops.normal([1000], SEED, mean=5.0, stddev=0.1).numpy())
  assert abs(values.mean() - 5.0) < 0.02
  assert 0.08 < values.std() < 0.12


def test_coin_at_the_extremes():
  assert bool(random_ops.coin(1.0, SEED))
  assert not bool(random_ops.coin(0.0, SEED))
  assert bool(random_ops.coin(1.0, None))


def test_permutation_is_a_permutation_and_reproducible():
  order = random_ops.permutation(10, SEED).numpy()
  assert sorted(order.tolist()) == list(range(10))
  np.testing.assert_array_equal(order,
                                random_ops.permutation(10, SEED).numpy())


def test_stateless_sample_distorted_bounding_box():
  image_size = tf.constant([40, 60, 3])
  boxes = tf.constant([[[0.2, 0.2, 0.6, 0.7]]])
  kwargs = dict(min_object_covered=0.1, aspect_ratio_range=(0.5, 2.0),
                area_range=(0.1, 1.0), max_attempts=100,
                use_image_if_no_bounding_boxes=True)
  begin, size, box = random_ops.sample_distorted_bounding_box(
      image_size, boxes, SEED, **kwargs)
  again = random_ops.sample_distorted_bounding_box(image_size, boxes, SEED,
                                                   **kwargs)
  np.testing.assert_array_equal(begin.numpy(), again[0].numpy())
  np.testing.assert_array_equal(size.numpy(), again[1].numpy())
  begin, size = begin.numpy(), size.numpy()
  assert box.shape == (1, 1, 4)
  assert (begin[:2] >= 0).all()
  assert begin[0] + size[0] <= 40 and begin[1] + size[1] <= 60
  assert size[2] == -1 or size[2] == 3


def test_cached_repeats_a_draw_only_with_a_cache():
  calls = []

  def draw():
    calls.append(1)
    return tf.constant(float(len(calls)))

  assert float(random_ops.cached(None, "op", "value", draw)) == 1.0
  assert float(random_ops.cached(None, "op", "value", draw)) == 2.0
  cache = random_ops.PreprocessorCache()
  assert float(random_ops.cached(cache, "op", "value", draw)) == 3.0
  assert float(random_ops.cached(cache, "op", "value", draw)) == 3.0
  assert float(random_ops.cached(cache, "op", "other", draw)) == 4.0
  assert float(cache.get("op", "value")) == 3.0
  cache.clear()
  assert cache.get("op", "value") is None
  cache.update("op", "value", tf.constant(9.0))
  assert float(random_ops.cached(cache, "op", "value", draw)) == 9.0


def test_uniform_int_range_and_empty_range():
  draws = {int(random_ops.uniform_int(2, 5, random_ops.derive(SEED, salt)))
           for salt in range(60)}
  assert draws == {2, 3, 4}
  # An empty or inverted range gives minval without raising.
  assert int(random_ops.uniform_int(7, 7, SEED)) == 7
  assert int(random_ops.uniform_int(7, 3, SEED)) == 7
