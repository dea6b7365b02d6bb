"""Tests for object_detection/core/balanced_positive_negative_sampler.py."""

import numpy as np
import pytest
import tensorflow as tf

from object_detection.core import balanced_positive_negative_sampler as bpns


def _counts(sampled, labels):
  sampled = np.asarray(sampled)
  labels = np.asarray(labels)
  return int(np.sum(sampled & labels)), int(np.sum(sampled & ~labels))


@pytest.mark.parametrize("is_static", [False, True])
def test_balanced_batch(is_static):
  # 30 positives, 70 negatives, batch 10 at 50% -> 5 + 5.
  labels = np.arange(100) < 30
  sampler = bpns.BalancedPositiveNegativeSampler(0.5, is_static=is_static)
  sampled = sampler.subsample(tf.ones([100], tf.bool), 10, tf.constant(labels))
  assert _counts(sampled, labels) == (5, 5)


@pytest.mark.parametrize("is_static", [False, True])
def test_few_positives_are_completed_with_negatives(is_static):
  labels = np.arange(100) < 2
  sampler = bpns.BalancedPositiveNegativeSampler(0.5, is_static=is_static)
  sampled = sampler.subsample(tf.ones([100], tf.bool), 10, tf.constant(labels))
  assert _counts(sampled, labels) == (2, 8)


def test_entries_outside_indicator_are_never_sampled():
  labels = np.arange(20) % 2 == 0
  indicator = np.arange(20) < 10
  sampler = bpns.BalancedPositiveNegativeSampler(0.5)
  sampled = sampler.subsample(tf.constant(indicator), 64, tf.constant(labels))
  # Batch larger than the candidates: all 10 candidates, nothing else.
  np.testing.assert_array_equal(sampled, indicator)


def test_unbounded_batch_keeps_positive_ratio():
  # 3 positives, fraction 0.25 -> (1 - .25) / .25 * 3 = 9 negatives.
  labels = np.arange(50) < 3
  sampler = bpns.BalancedPositiveNegativeSampler(0.25)
  sampled = sampler.subsample(tf.ones([50], tf.bool), None,
                              tf.constant(labels))
  assert _counts(sampled, labels) == (3, 9)


def test_static_mode_tops_up_with_positives_when_negatives_run_out():
  # 8 positives, 1 negative, batch 6 at 50%: 1 negative + 5 positives.
  labels = np.arange(9) < 8
  sampler = bpns.BalancedPositiveNegativeSampler(0.5, is_static=True)
  sampled = sampler.subsample(tf.ones([9], tf.bool), 6, tf.constant(labels))
  assert _counts(sampled, labels) == (5, 1)


def test_static_mode_fills_with_earliest_non_candidates_in_graph():
  # Candidates 6..9 (4 of them) for a batch of 6: entries 0 and 1 are added.
  sampler = bpns.BalancedPositiveNegativeSampler(0.5, is_static=True)

  @tf.function
  def subsample(indicator, labels):
    return sampler.subsample(indicator, 6, labels)

  indicator = np.arange(10) >= 6
  sampled = subsample(tf.constant(indicator), tf.constant(np.arange(10) == 7))
  assert sampled.shape == (10,)
  np.testing.assert_array_equal(
      sampled, [True, True, False, False, False, False, True, True, True,
                True])


def test_sampling_is_random():
  labels = np.arange(1000) < 500
  sampler = bpns.BalancedPositiveNegativeSampler(0.5)
  tf.random.set_seed(1)
  first = sampler.subsample(tf.ones([1000], tf.bool), 4, tf.constant(labels))
  second = sampler.subsample(tf.ones([1000], tf.bool), 4, tf.constant(labels))
  assert not np.array_equal(first, second)
  assert _counts(first, labels) == (2, 2)


def test_subsample_indicator():
  indicator = tf.constant([True, False, True, True, False])
  kept = bpns.BalancedPositiveNegativeSampler.subsample_indicator(indicator, 2)
  kept = np.asarray(kept)
  assert kept.sum() == 2 and not (kept & ~np.asarray(indicator)).any()


@pytest.mark.parametrize("kwargs, args, message", [
    (dict(), ([[True]], 2, [True]), "indicator must have rank 1"),
    (dict(), ([True], 2, [1]), "labels must be bool, got int32"),
    (dict(is_static=True), ([True], None, [True]),
     "batch_size must be a Python int, got None"),
])
def test_subsample_errors(kwargs, args, message):
  sampler = bpns.BalancedPositiveNegativeSampler(**kwargs)
  indicator, batch_size, labels = args
  with pytest.raises(ValueError, match=message):
    sampler.subsample(tf.constant(indicator), batch_size, tf.constant(labels))


def test_static_mode_needs_static_shapes():
  sampler = bpns.BalancedPositiveNegativeSampler(is_static=True)

  @tf.function(input_signature=[tf.TensorSpec([None], tf.bool)] * 2)
  def subsample(indicator, labels):
    return sampler.subsample(indicator, 4, labels)

  with pytest.raises(ValueError, match="need static shapes"):
    subsample(tf.constant([True]), tf.constant([True]))


def test_bad_positive_fraction():
  with pytest.raises(ValueError,
                     match=r"positive_fraction must be in \[0, 1\], got 1.5"):
    bpns.BalancedPositiveNegativeSampler(1.5)
