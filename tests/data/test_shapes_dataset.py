import numpy as np
import pytest

from object_detection.data import shapes_dataset


def test_same_seed_gives_same_example():
  a = shapes_dataset.make_example(np.random.default_rng(7))
  b = shapes_dataset.make_example(np.random.default_rng(7))
  np.testing.assert_array_equal(a.image, b.image)
  np.testing.assert_array_equal(a.boxes, b.boxes)
  np.testing.assert_array_equal(a.masks, b.masks)


def test_boxes_are_tight_boxes_of_non_overlapping_masks():
  rng = np.random.default_rng(3)
  for _ in range(20):
    example = shapes_dataset.make_example(rng, 64, 96, max_instances=5,
                                          min_size=8, max_size=24)
    num = len(example.classes)
    assert 1 <= num <= 5
    assert example.image.shape == (64, 96, 3)
    assert example.image.dtype == np.uint8
    assert example.masks.shape == (num, 64, 96)
    assert set(example.classes.tolist()) <= {1, 2, 3}
    assert example.masks.sum(axis=0).max() == 1  # no pixel in two shapes
    for box, mask in zip(example.boxes, example.masks):
      rows = np.flatnonzero(mask.any(axis=1))
      cols = np.flatnonzero(mask.any(axis=0))
      np.testing.assert_array_equal(
          box, [rows[0], cols[0], rows[-1] + 1, cols[-1] + 1])


def test_shape_pixels_are_painted_brighter_than_background():
  example = shapes_dataset.make_example(np.random.default_rng(1))
  gray = example.image.astype(np.int32).max(axis=-1)
  inside = example.masks.any(axis=0)
  # Shapes use channel values >= 130, backgrounds at most 99 + 10 of noise.
  assert gray[inside].min() >= 130
  assert gray[~inside].max() <= 109


def test_impossible_sizes_are_rejected():
  with pytest.raises(ValueError, match="min_size=40 max_size=80 for a 64x64"):
    shapes_dataset.make_example(np.random.default_rng(0), 64, 64,
                                min_size=40, max_size=80)
