"""The synthetic "shapes" dataset: squares, circles and triangles with masks.

The project's embedded default data. Everything is drawn here with NumPy from
a seed, so the same seed always gives the same images, and nothing is ever
downloaded. Shapes never overlap, so every instance mask is the whole shape.

Conventions: images are uint8 [height, width, 3]; boxes are float32
[num_instances, 4] as [ymin, xmin, ymax, xmax] in absolute pixel
coordinates, the tight box of the mask with exclusive max edges (a shape that
covers pixel rows 3..9 has ymin=3, ymax=10); class ids follow
pipelines/shapes_label_map.pbtxt (1 square, 2 circle, 3 triangle).
"""

import dataclasses
from typing import Callable, Dict, Tuple

import numpy as np

CLASS_NAMES: Dict[int, str] = {1: "square", 2: "circle", 3: "triangle"}


@dataclasses.dataclass(frozen=True)
class ShapesExample:
  """One image of the dataset.

  Attributes:
    image: uint8 [height, width, 3].
    boxes: float32 [num_instances, 4] absolute [ymin, xmin, ymax, xmax].
    classes: int32 [num_instances] class ids in 1..3.
    masks: uint8 [num_instances, height, width] binary instance masks.
  """
  image: np.ndarray
  boxes: np.ndarray
  classes: np.ndarray
  masks: np.ndarray


def _square_mask(yy: np.ndarray, xx: np.ndarray, cy: float, cx: float,
                 r: float) -> np.ndarray:
  return (np.abs(yy - cy) <= r) & (np.abs(xx - cx) <= r)


def _circle_mask(yy: np.ndarray, xx: np.ndarray, cy: float, cx: float,
                 r: float) -> np.ndarray:
  return (yy - cy) ** 2 + (xx - cx) ** 2 <= r ** 2


def _triangle_mask(yy: np.ndarray, xx: np.ndarray, cy: float, cx: float,
                   r: float) -> np.ndarray:
  # Apex at (cy - r, cx), base from (cy + r, cx - r) to (cy + r, cx + r): the
  # half-width grows linearly from 0 at the apex to r at the base.
  rel_y = yy - (cy - r)
  return (rel_y >= 0) & (rel_y <= 2 * r) & (np.abs(xx - cx) <= rel_y / 2)


_DRAWERS: Dict[int, Callable[..., np.ndarray]] = {
    1: _square_mask, 2: _circle_mask, 3: _triangle_mask}


def make_example(rng: np.random.Generator, height: int = 128,
                 width: int = 128, max_instances: int = 4,
                 min_size: int = 12, max_size: int = 48) -> ShapesExample:
  """Draws one image with 1..max_instances non-overlapping shapes.

  Args:
    rng: the random generator that decides everything drawn.
    height: image height in pixels.
    width: image width in pixels.
    max_instances: most shapes in one image (at least one is drawn).
    min_size: smallest shape extent in pixels.
    max_size: largest shape extent in pixels; must fit in the image.

  Returns:
    A ShapesExample.

  Raises:
    ValueError: if the sizes cannot fit in the image.
  """
  if not 2 <= min_size <= max_size <= min(height, width):
    raise ValueError(
        "shape sizes must satisfy 2 <= min_size <= max_size <= min(height, "
        "width), got min_size=%d max_size=%d for a %dx%d image" %
        (min_size, max_size, height, width))
  yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
  background = rng.integers(0, 100, size=3)
  image = np.broadcast_to(background, (height, width, 3)).astype(np.int32)
  image = image + rng.integers(-10, 11, size=(height, width, 3))
  occupied = np.zeros((height, width), bool)
  masks, classes = [], []
  num_wanted = int(rng.integers(1, max_instances + 1))
  for _ in range(num_wanted * 20):  # rejection sampling of free places
    if len(masks) == num_wanted:
      break
    class_id = int(rng.integers(1, 4))
    radius = rng.uniform(min_size, max_size) / 2
    cy = rng.uniform(radius, height - radius)
    cx = rng.uniform(radius, width - radius)
    mask = _DRAWERS[class_id](yy, xx, cy, cx, radius)
    if mask.sum() < 4 or (mask & occupied).any():
      continue
    # Grow the reserved area by a margin so shapes never touch.
    occupied |= _square_mask(yy, xx, cy, cx, radius + 2)
    image[mask] = rng.integers(130, 256, size=3)
    masks.append(mask)
    classes.append(class_id)
  masks_array = np.stack(masks).astype(np.uint8)
  return ShapesExample(
      image=np.clip(image, 0, 255).astype(np.uint8),
      boxes=np.stack([_tight_box(m) for m in masks]).astype(np.float32),
      classes=np.array(classes, np.int32),
      masks=masks_array)


def _tight_box(mask: np.ndarray) -> Tuple[int, int, int, int]:
  rows = np.flatnonzero(mask.any(axis=1))
  cols = np.flatnonzero(mask.any(axis=0))
  return rows[0], cols[0], rows[-1] + 1, cols[-1] + 1
