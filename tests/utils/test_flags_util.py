"""Tests for object_detection/utils/flags_util.py's start-up noise filter."""

from object_detection.utils import flags_util

NOISE = [
    "WARNING: All log messages before absl::InitializeLog() is called are "
    "written to STDERR",
    "I0000 00:00:1796671101.467214   20002 port.cc:153] oneDNN custom "
    "operations are on.",
    "W0000 00:00:1796671101.467630   20002 cudart_stub.cc:31] Could not find "
    "cuda drivers on your machine, GPU will not be used.",
    "To enable the following instructions: AVX2 AVX512F, in other operations,"
    " rebuild TensorFlow with the appropriate compiler flags.",
    "E0000 00:00:1796671104.850476   20002 cuda_platform.cc:52] failed call "
    "to cuInit: INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR "
    "(303)",
]
KEPT = [
    "E0000 00:00:1796671104.850476   20002 op_kernel.cc:1] OOM when "
    "allocating tensor",
    "Traceback (most recent call last):",
    "I1207 19:20:39.848565 140289022909312 config_overrides.py:363] Maybe "
    "overwriting train_config.batch_size: many",
    "ImportError: libcudart.so.12: cannot open shared object file",
]


def test_the_filter_cuts_start_up_noise_and_keeps_errors():
  assert all(flags_util.is_startup_noise(line) for line in NOISE)
  assert not any(flags_util.is_startup_noise(line) for line in KEPT)
