"""Drawing primitives for detections: boxes, labels, masks, keypoints, colours.

Conventions:
  * Images are numpy uint8 [height, width, 3] RGB arrays (or PIL images for
    the `*_on_image` variants). The `*_on_image_array` functions draw in place
    and return None.
  * Boxes are [ymin, xmin, ymax, xmax], normalised to [0, 1] when
    `use_normalized_coordinates` is True, else absolute pixels. Pixel i covers
    the interval [i, i + 1), so a box [ymin, xmin, ymax, xmax] in pixels spans
    rows round(ymin) .. round(ymax) - 1 and the outline is drawn inward from
    those edges (never outside the box).
  * Labels are stacked above the box when there is room, otherwise inside it
    from its top edge; they are shifted left so that they stay in the image.
  * Keypoints are [num_keypoints, 2] (y, x) pairs; NaN keypoints are skipped.
  * Colours are PIL colour names or '#rrggbb' strings.

Function names, arguments and defaults follow the TF OD API's
visualization_utils; `visualization_utils` re-exports everything public here.
"""

import functools
import math
from typing import Dict, Mapping, Optional, Sequence, Tuple

import numpy as np
from PIL import Image
from PIL import ImageColor
from PIL import ImageDraw
from PIL import ImageFont

# The TF OD API's palette, in its order, so class ids get the same colours.
STANDARD_COLORS = [
    'AliceBlue', 'Chartreuse', 'Aqua', 'Aquamarine', 'Azure', 'Beige', 'Bisque',
    'BlanchedAlmond', 'BlueViolet', 'BurlyWood', 'CadetBlue', 'AntiqueWhite',
    'Chocolate', 'Coral', 'CornflowerBlue', 'Cornsilk', 'Crimson', 'Cyan',
    'DarkCyan', 'DarkGoldenRod', 'DarkGrey', 'DarkKhaki', 'DarkOrange',
    'DarkOrchid', 'DarkSalmon', 'DarkSeaGreen', 'DarkTurquoise', 'DarkViolet',
    'DeepPink', 'DeepSkyBlue', 'DodgerBlue', 'FireBrick', 'FloralWhite',
    'ForestGreen', 'Fuchsia', 'Gainsboro', 'GhostWhite', 'Gold', 'GoldenRod',
    'Salmon', 'Tan', 'HoneyDew', 'HotPink', 'IndianRed', 'Ivory', 'Khaki',
    'Lavender', 'LavenderBlush', 'LawnGreen', 'LemonChiffon', 'LightBlue',
    'LightCoral', 'LightCyan', 'LightGoldenRodYellow', 'LightGray', 'LightGrey',
    'LightGreen', 'LightPink', 'LightSalmon', 'LightSeaGreen', 'LightSkyBlue',
    'LightSlateGray', 'LightSlateGrey', 'LightSteelBlue', 'LightYellow', 'Lime',
    'LimeGreen', 'Linen', 'Magenta', 'MediumAquaMarine', 'MediumOrchid',
    'MediumPurple', 'MediumSeaGreen', 'MediumSlateBlue', 'MediumSpringGreen',
    'MediumTurquoise', 'MediumVioletRed', 'MintCream', 'MistyRose', 'Moccasin',
    'NavajoWhite', 'OldLace', 'Olive', 'OliveDrab', 'Orange', 'OrangeRed',
    'Orchid', 'PaleGoldenRod', 'PaleGreen', 'PaleTurquoise', 'PaleVioletRed',
    'PapayaWhip', 'PeachPuff', 'Peru', 'Pink', 'Plum', 'PowderBlue', 'Purple',
    'Red', 'RosyBrown', 'RoyalBlue', 'SaddleBrown', 'Green', 'SandyBrown',
    'SeaGreen', 'SeaShell', 'Sienna', 'Silver', 'SkyBlue', 'SlateBlue',
    'SlateGray', 'SlateGrey', 'Snow', 'SpringGreen', 'SteelBlue', 'GreenYellow',
    'Teal', 'Thistle', 'Tomato', 'Turquoise', 'Violet', 'Wheat', 'White',
    'WhiteSmoke', 'Yellow', 'YellowGreen'
]
_TRACK_ID_PRIMES = (5, 7, 11, 13, 17)
_LABEL_MARGIN = 1  # pixels of label background around the text
_AGNOSTIC_COLOR = 'DarkOrange'


def color_for_class(class_id: int) -> str:
  """Colour of a class: STANDARD_COLORS[class_id % len(STANDARD_COLORS)]."""
  return STANDARD_COLORS[int(class_id) % len(STANDARD_COLORS)]


def _track_id_multiplier() -> int:
  """Prime nearest len(STANDARD_COLORS) / 10 that does not divide it."""
  num_colors = len(STANDARD_COLORS)
  primes = [p for p in _TRACK_ID_PRIMES if num_colors % p]
  if not primes:
    return 1
  return min(primes, key=lambda p: (abs(num_colors / 10. - p), p))


def color_for_track_id(track_id: int) -> str:
  """Colour of a track: successive ids get far-apart palette entries."""
  index = (_track_id_multiplier() * int(track_id)) % len(STANDARD_COLORS)
  return STANDARD_COLORS[index]


@functools.lru_cache(maxsize=1)
def _font() -> ImageFont.ImageFont:
  return ImageFont.load_default()


def check_image_array(image: np.ndarray, name: str = 'image') -> None:
  """Raises ValueError unless `image` is a numpy uint8 [height, width, 3]."""
  if not isinstance(image, np.ndarray) or image.dtype != np.uint8:
    raise ValueError('`%s` must be a numpy uint8 array, got %s' % (
        name, getattr(image, 'dtype', type(image).__name__)))
  if image.ndim != 3 or image.shape[2] != 3:
    raise ValueError('`%s` must have shape [height, width, 3], got %s' % (
        name, image.shape))


def _draw_in_place(image: np.ndarray, draw_fn, *args) -> None:
  """Runs draw_fn(pil_image, *args) on a copy of `image`, then writes back."""
  check_image_array(image)
  image_pil = Image.fromarray(image)
  draw_fn(image_pil, *args)
  np.copyto(image, np.asarray(image_pil))


def _box_to_pixels(box: Sequence[float], width: int, height: int,
                   use_normalized_coordinates: bool
                   ) -> Optional[Tuple[int, int, int, int]]:
  """(left, top, right, bottom) inclusive pixel bounds, None if off-image."""
  ymin, xmin, ymax, xmax = (float(v) for v in box)
  if use_normalized_coordinates:
    ymin, ymax = ymin * height, ymax * height
    xmin, xmax = xmin * width, xmax * width
  left, top = math.floor(xmin + 0.5), math.floor(ymin + 0.5)
  right = max(math.floor(xmax + 0.5) - 1, left)
  bottom = max(math.floor(ymax + 0.5) - 1, top)
  if right < 0 or bottom < 0 or left >= width or top >= height:
    return None
  return (max(left, 0), max(top, 0), min(right, width - 1),
          min(bottom, height - 1))


def _draw_labels(draw: ImageDraw.ImageDraw, display_str_list: Sequence[str],
                 left: int, top: int, image_width: int, color) -> None:
  """Stacks labels above (left, top), or below it when they do not fit."""
  font = _font()
  strings = [str(s) for s in display_str_list if str(s)]
  if not strings:
    return
  line_height = max(font.getbbox(s)[3] for s in strings) + 2 * _LABEL_MARGIN
  total_height = line_height * len(strings)
  y = top - total_height if top >= total_height else top
  for text in strings:
    text_width = font.getbbox(text)[2] + 2 * _LABEL_MARGIN
    x = max(0, min(left, image_width - text_width))
    draw.rectangle([x, y, x + text_width - 1, y + line_height - 1], fill=color)
    draw.text((x + _LABEL_MARGIN, y + _LABEL_MARGIN), text, fill='black',
              font=font)
    y += line_height


def draw_bounding_box_on_image(image: Image.Image, ymin: float, xmin: float,
                               ymax: float, xmax: float, color='red',
                               thickness: int = 4,
                               display_str_list: Sequence[str] = (),
                               use_normalized_coordinates: bool = True) -> None:
  """Draws one box outline and its labels on a PIL image, in place.

  Args:
    image: PIL.Image in RGB mode.
    ymin, xmin, ymax, xmax: box corners, normalised or absolute pixels.
    color: outline and label background colour.
    thickness: outline width in pixels, drawn inside the box; 0 draws no
      outline (labels are still drawn).
    display_str_list: strings shown one per line in black on `color`.
    use_normalized_coordinates: whether the corners are in [0, 1].
  """
  width, height = image.size
  bounds = _box_to_pixels((ymin, xmin, ymax, xmax), width, height,
                          use_normalized_coordinates)
  if bounds is None:
    return
  draw = ImageDraw.Draw(image)
  if thickness > 0:
    draw.rectangle(bounds, outline=color, width=int(thickness))
  _draw_labels(draw, display_str_list, bounds[0], bounds[1], width, color)


def draw_bounding_box_on_image_array(image: np.ndarray, ymin: float,
                                     xmin: float, ymax: float, xmax: float,
                                     color='red', thickness: int = 4,
                                     display_str_list: Sequence[str] = (),
                                     use_normalized_coordinates: bool = True
                                     ) -> None:
  """Draws one box on a numpy image in place.

  Args:
    image: uint8 [height, width, 3] image, modified in place.
    ymin, xmin, ymax, xmax, color, thickness, display_str_list,
      use_normalized_coordinates: as in `draw_bounding_box_on_image`.

  Raises:
    ValueError: if `image` is not a uint8 [height, width, 3] array.
  """
  _draw_in_place(image, draw_bounding_box_on_image, ymin, xmin, ymax, xmax,
                 color, thickness, display_str_list, use_normalized_coordinates)


def draw_bounding_boxes_on_image(image: Image.Image, boxes: np.ndarray,
                                 color='red', thickness: int = 4,
                                 display_str_list_list: Sequence[
                                     Sequence[str]] = ()) -> None:
  """Draws normalised boxes on a PIL image in place.

  Args:
    image: PIL.Image in RGB mode.
    boxes: float [N, 4] normalised [ymin, xmin, ymax, xmax] boxes.
    color: outline colour of every box.
    thickness: outline width in pixels.
    display_str_list_list: one list of strings per box, or empty.

  Raises:
    ValueError: if `boxes` is not [N, 4].
  """
  boxes = np.asarray(boxes)
  if boxes.size == 0 and boxes.ndim < 2:
    return
  if boxes.ndim != 2 or boxes.shape[1] != 4:
    raise ValueError('`boxes` must have shape [N, 4], got %s' % (boxes.shape,))
  for i, box in enumerate(boxes):
    strings = display_str_list_list[i] if len(display_str_list_list) else ()
    draw_bounding_box_on_image(image, *box, color=color, thickness=thickness,
                               display_str_list=strings)


def draw_bounding_boxes_on_image_array(image: np.ndarray, boxes: np.ndarray,
                                       color='red', thickness: int = 4,
                                       display_str_list_list: Sequence[
                                           Sequence[str]] = ()) -> None:
  """Draws normalised boxes on a numpy image in place.

  Args:
    image: uint8 [height, width, 3] image, modified in place.
    boxes, color, thickness, display_str_list_list: as in
      `draw_bounding_boxes_on_image`.

  Raises:
    ValueError: if `image` is not uint8 [height, width, 3] or `boxes` is not
      [N, 4].
  """
  _draw_in_place(image, draw_bounding_boxes_on_image, boxes, color, thickness,
                 display_str_list_list)


def draw_keypoints_on_image(image: Image.Image, keypoints: np.ndarray,
                            keypoint_scores: Optional[np.ndarray] = None,
                            min_score_thresh: float = 0.5, color='red',
                            radius: float = 2,
                            use_normalized_coordinates: bool = True,
                            keypoint_edges: Optional[Sequence[
                                Tuple[int, int]]] = None,
                            keypoint_edge_color='green',
                            keypoint_edge_width: int = 2) -> None:
  """Draws keypoints (filled discs) and optional edges on a PIL image.

  Args:
    image: PIL.Image in RGB mode, modified in place.
    keypoints: float [num_keypoints, 2] (y, x); NaN entries are not drawn.
    keypoint_scores: optional float [num_keypoints]; keypoints scoring
      <= min_score_thresh are not drawn.
    min_score_thresh: score threshold for `keypoint_scores`.
    color: disc colour.
    radius: disc radius in pixels.
    use_normalized_coordinates: whether keypoints are in [0, 1].
    keypoint_edges: optional (start, end) keypoint index pairs to join.
    keypoint_edge_color: colour of the edges.
    keypoint_edge_width: edge width in pixels.
  """
  keypoints = np.asarray(keypoints, dtype=np.float64).reshape([-1, 2])
  width, height = image.size
  if use_normalized_coordinates:
    keypoints = keypoints * np.array([height, width])
  valid = np.all(np.isfinite(keypoints), axis=1)
  if keypoint_scores is not None:
    valid &= np.asarray(keypoint_scores).reshape([-1]) > min_score_thresh
  draw = ImageDraw.Draw(image)
  for start, end in keypoint_edges or ():
    if max(start, end) < len(keypoints) and valid[start] and valid[end]:
      (y0, x0), (y1, x1) = keypoints[start], keypoints[end]
      draw.line([(x0, y0), (x1, y1)], fill=keypoint_edge_color,
                width=int(keypoint_edge_width))
  for (y, x) in keypoints[valid]:
    draw.ellipse([(x - radius, y - radius), (x + radius, y + radius)],
                 outline=color, fill=color)


def draw_keypoints_on_image_array(image: np.ndarray, keypoints: np.ndarray,
                                  keypoint_scores: Optional[np.ndarray] = None,
                                  min_score_thresh: float = 0.5, color='red',
                                  radius: float = 2,
                                  use_normalized_coordinates: bool = True,
                                  keypoint_edges: Optional[Sequence[
                                      Tuple[int, int]]] = None,
                                  keypoint_edge_color='green',
                                  keypoint_edge_width: int = 2) -> None:
  """Draws keypoints on a uint8 [height, width, 3] numpy image in place.

  Args are those of `draw_keypoints_on_image`, with `image` a numpy array.

  Raises:
    ValueError: if `image` is not a uint8 [height, width, 3] array.
  """
  _draw_in_place(image, draw_keypoints_on_image, keypoints, keypoint_scores,
                 min_score_thresh, color, radius, use_normalized_coordinates,
                 keypoint_edges, keypoint_edge_color, keypoint_edge_width)


def draw_mask_on_image_array(image: np.ndarray, mask: np.ndarray, color='red',
                             alpha: float = 0.4) -> None:
  """Blends a solid colour into the image where mask == 1, in place.

  Each masked pixel becomes rint((1 - alpha) * pixel + alpha * rgb(color))
  per channel (rint rounds half to even); other pixels are untouched.

  Args:
    image: uint8 [height, width, 3] image, modified in place.
    mask: uint8 [height, width] with values 0 or 1.
    color: blend colour.
    alpha: weight of the colour, in [0, 1].

  Raises:
    ValueError: if `image` or `mask` is not uint8, their spatial shapes
      differ, the mask holds values other than 0 and 1, or alpha is outside
      [0, 1].
  """
  if getattr(image, 'dtype', None) != np.uint8:
    raise ValueError('`image` not of type np.uint8, got %s' % (
        getattr(image, 'dtype', type(image).__name__),))
  if getattr(mask, 'dtype', None) != np.uint8:
    raise ValueError('`mask` not of type np.uint8, got %s' % (
        getattr(mask, 'dtype', type(mask).__name__),))
  if image.shape[:2] != mask.shape:
    raise ValueError('The image has spatial dimensions %s but the mask has '
                     'dimensions %s' % (image.shape[:2], mask.shape))
  if np.any(mask > 1):
    raise ValueError('`mask` elements should be in [0, 1], got values %s' %
                     np.unique(mask[mask > 1])[:5].tolist())
  if not 0.0 <= alpha <= 1.0:
    raise ValueError('`alpha` must be in [0, 1], got %r' % (alpha,))
  rgb = np.array(ImageColor.getrgb(color)[:3], dtype=np.float64)
  inside = mask.astype(bool)
  blended = image[inside].astype(np.float64) * (1.0 - alpha) + rgb * alpha
  image[inside] = np.clip(np.rint(blended), 0, 255).astype(np.uint8)


def display_string(class_id: int, score: float, track_id: Optional[int],
                   category_index: Mapping[int, Mapping[str, object]],
                   agnostic_mode: bool = False, skip_scores: bool = False,
                   skip_labels: bool = False,
                   skip_track_ids: bool = False) -> str:
  """Label of one detection: 'name: 87%', 'name: 87%: ID 3', '87%', ...

  The class name is 'N/A' for ids missing from `category_index`; the score is
  round(100 * score) percent.
  """
  parts = []
  if not skip_labels and not agnostic_mode:
    category = category_index.get(class_id)
    parts.append(str(category['name']) if category else 'N/A')
  if not skip_scores:
    parts.append('%d%%' % round(100 * float(score)))
  if not skip_track_ids and track_id is not None:
    parts.append('ID %d' % int(track_id))
  return ': '.join(parts)


def check_per_box(name: str, array, num_boxes: int) -> None:
  """Raises ValueError unless `array` is None or has num_boxes entries."""
  if array is not None and len(array) != num_boxes:
    raise ValueError('`%s` must have one entry per box (%d), got %d' % (
        name, num_boxes, len(array)))


def group_boxes_by_location(
    boxes: np.ndarray, classes: np.ndarray, scores: Optional[np.ndarray],
    category_index: Mapping[int, Mapping[str, object]], *,
    track_ids: Optional[np.ndarray], max_boxes_to_draw: Optional[int],
    min_score_thresh: float, groundtruth_color, **label_options
) -> Dict[Tuple[float, ...], dict]:
  """Picks the boxes to draw and groups them by identical coordinates.

  Args:
    boxes: float [N, 4]; classes: int [N]; scores: float [N] or None
      (groundtruth: every box kept, in `groundtruth_color`, no label).
    category_index: {class_id: {'name': str, ...}}.
    track_ids: optional int [N]; they pick the colour when given.
    max_boxes_to_draw: only the first this many boxes are looked at (all
      when None or 0).
    min_score_thresh: a box is kept when its score is > this.
    groundtruth_color: colour of groundtruth boxes.
    **label_options: agnostic_mode, skip_scores, skip_labels, skip_track_ids
      of `display_string`.

  Returns:
    {box tuple: {'color': colour, 'labels': [str], 'indices': [int]}} in
    first-seen order; the last kept box at a location sets its colour.
  """
  limit = boxes.shape[0]
  if max_boxes_to_draw:
    limit = min(int(max_boxes_to_draw), limit)
  grouped = {}
  for i in range(limit):
    if scores is not None and not scores[i] > min_score_thresh:
      continue
    entry = grouped.setdefault(tuple(boxes[i].tolist()),
                               {'labels': [], 'indices': []})
    entry['indices'].append(i)
    track_id = None if track_ids is None else track_ids[i]
    if scores is None:
      entry['color'] = groundtruth_color
      continue
    entry['labels'].append(display_string(
        int(classes[i]), scores[i], track_id, category_index, **label_options))
    if label_options.get('agnostic_mode'):
      entry['color'] = _AGNOSTIC_COLOR
    elif track_id is not None:
      entry['color'] = color_for_track_id(track_id)
    else:
      entry['color'] = color_for_class(int(classes[i]))
  return grouped


def crop_and_resize(image: np.ndarray, true_shape: Sequence[int],
                    original_shape: Sequence[int]) -> np.ndarray:
  """Crops, then resizes an image with nearest-neighbour sampling.

  Args:
    image: uint8 [H, W, 3].
    true_shape: (height, width, ...) to crop to from the top-left corner;
      skipped when height <= 0.
    original_shape: (height, width) to resize to; skipped when height <= 0.

  Returns:
    a new uint8 [height, width, 3] array.
  """
  if true_shape[0] > 0:
    image = image[:true_shape[0], :true_shape[1]]
  if original_shape[0] > 0:
    height, width = image.shape[:2]
    new_height, new_width = int(original_shape[0]), int(original_shape[1])
    # Output pixel i samples input pixel floor((i + 0.5) * in_size / out_size).
    rows = ((2 * np.arange(new_height) + 1) * height) // (2 * new_height)
    cols = ((2 * np.arange(new_width) + 1) * width) // (2 * new_width)
    image = image[rows][:, cols]
  return np.array(image, dtype=np.uint8)
