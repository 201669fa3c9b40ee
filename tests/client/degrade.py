"""Label images as a phone camera sees them.

Two sets of frames, both made from the real signed label images:

- `DEGRADATIONS`: the easy set (rotated, blurred, small, badly compressed), which every
  decoder reads; a regression check.
- `HARD`: what labels in the field look like, deterministic per (category, index): steep
  projective views (one edge up to 30 % shorter than the other), labels wrapped round poles
  and pipes, 2–7 camera pixels per module, dim garages with sensor noise, hand shake,
  glare, dirt and stickers over up to 10 % of the code, JPEG quality 20–70, and all of these
  at once. Every frame is a 1280×720 JPEG, like a phone's preview frame, with the label
  somewhere on a wall.
"""

from __future__ import annotations

import io
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field

import cv2
import numpy as np
from PIL import Image, ImageFilter

from tests.client.helpers import label_image
from tests.factory import label

__all__ = [
    "CATEGORIES",
    "DEGRADATIONS",
    "FRAME",
    "HARD",
    "HardFrame",
    "degraded_frame",
    "hard_frame",
    "hard_set",
]


def _jpeg(img: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue()))


def _on_desk(img: Image.Image, scale: float) -> Image.Image:
    """The label shrunk to `scale` and placed on a grey 1280×960 frame."""
    small = img.resize((int(img.width * scale), int(img.height * scale)), Image.Resampling.BILINEAR)
    frame = Image.new("RGB", (1280, 960), (120, 118, 110))
    frame.paste(small, ((1280 - small.width) // 2, (960 - small.height) // 2))
    return frame


DEGRADATIONS: dict[str, Callable[[Image.Image], Image.Image]] = {
    "clean": lambda img: img,
    "rotated_15": lambda img: img.rotate(15, expand=True, fillcolor="white"),
    "rotated_90": lambda img: img.rotate(90, expand=True),
    "blurred": lambda img: img.filter(ImageFilter.GaussianBlur(2)),
    "small_30pct": lambda img: _on_desk(img, 0.3),
    "jpeg_q30": lambda img: _jpeg(img, 30),
    "all_together": lambda img: _jpeg(
        _on_desk(img.rotate(15, expand=True, fillcolor="white"), 0.35).filter(
            ImageFilter.GaussianBlur(1)
        ),
        30,
    ),
}


def degraded_frame(png: bytes, how: str) -> bytes:
    img = DEGRADATIONS[how](Image.open(io.BytesIO(png)).convert("RGB"))
    buf = io.BytesIO()
    img.convert("RGB").save(buf, "JPEG", quality=85)
    return buf.getvalue()


# -- the hard set ----------------------------------------------------------------------------

FRAME = (1280, 720)  # width, height of a camera preview frame
# Where the QR symbol (with its 4-module quiet zone) sits on a label from
# server.label_images.label_png, and how many modules it spans: a signed label is a
# version-6 code, 41 modules + 2×4 quiet zone = 49, drawn 560 px wide.
_CODE_BOX = (20, 10, 580, 570)
_MODULES = 49
_LABEL_PX_PER_MODULE = (_CODE_BOX[2] - _CODE_BOX[0]) / _MODULES


@dataclass
class HardFrame:
    """How one frame is made; every number drawn from the frame's own seeded generator."""

    px_per_module: float = 4.5
    short_edge: float = 0.0  # how much shorter the far edge is than the near one (0.3 = 30 %)
    squash: float = 1.0  # foreshortening across the tilt
    turn: float = 0.0  # in-plane rotation, degrees
    wrap: float = 0.0  # half the angle the label spans round a pole, degrees (0: flat)
    wrap_vertical: bool = True  # the pole's axis is vertical (else a horizontal pipe)
    light: float = 1.0  # scene brightness
    noise: float = 2.0  # sensor noise, sigma in grey levels
    shake: float = 0.0  # motion blur length, px
    shake_angle: float = 0.0
    glare: float = 0.0  # peak of the specular highlight, grey levels added
    cover: float = 0.0  # share of the code under dirt or a sticker
    sticker: bool = True  # a pale sticker (else dark dirt)
    quality: int = 80  # JPEG quality of the frame
    focus: float = 0.45  # defocus, sigma in camera pixels
    extras: dict[str, float] = field(default_factory=dict)


def _base(rng: random.Random) -> HardFrame:
    """An ordinary frame: a label at 3–7 px per module, slightly off-axis, fair light."""
    return HardFrame(
        px_per_module=rng.uniform(2.6, 5.0),
        short_edge=rng.uniform(0.0, 0.12),
        squash=rng.uniform(0.8, 1.0),
        turn=rng.uniform(-180, 180),
        light=rng.uniform(0.45, 1.0),
        noise=rng.uniform(1.2, 3.0),
        quality=rng.randrange(60, 85),
        focus=rng.uniform(0.45, 1.1),
    )


def _perspective(f: HardFrame, rng: random.Random) -> None:
    f.short_edge, f.squash = rng.uniform(0.2, 0.30), rng.uniform(0.5, 0.8)


def _cylinder(f: HardFrame, rng: random.Random) -> None:
    f.wrap, f.wrap_vertical = rng.uniform(25, 60), rng.random() < 0.5


def _small(f: HardFrame, rng: random.Random) -> None:
    f.px_per_module = rng.uniform(2.0, 2.8)


def _dim(f: HardFrame, rng: random.Random) -> None:
    f.light, f.noise = rng.uniform(0.06, 0.15), rng.uniform(3.0, 6.0)


def _shake(f: HardFrame, rng: random.Random) -> None:
    f.shake, f.shake_angle = rng.uniform(4.0, 7.0), rng.uniform(0, 180)


def _glare(f: HardFrame, rng: random.Random) -> None:
    f.glare = rng.uniform(180, 320)


def _dirt(f: HardFrame, rng: random.Random) -> None:
    f.cover, f.sticker = rng.uniform(0.06, 0.10), rng.random() < 0.5


def _jpeg_q(f: HardFrame, rng: random.Random) -> None:
    f.quality = rng.randrange(20, 71)
    f.px_per_module = rng.uniform(2.2, 3.5)


def _mixed(f: HardFrame, rng: random.Random) -> None:
    """Several at once, each milder: a realistic bad frame."""
    f.short_edge, f.squash = rng.uniform(0.05, 0.2), rng.uniform(0.75, 1.0)
    f.px_per_module = rng.uniform(3.0, 5.0)
    f.light, f.noise = rng.uniform(0.25, 0.6), rng.uniform(2.0, 3.5)
    f.shake, f.shake_angle = rng.uniform(0, 4.0), rng.uniform(0, 180)
    f.quality = rng.randrange(35, 71)
    if rng.random() < 0.5:
        f.cover, f.sticker = rng.uniform(0.0, 0.05), rng.random() < 0.5
    if rng.random() < 0.5:
        f.wrap, f.wrap_vertical = rng.uniform(20, 45), rng.random() < 0.5


HARD: dict[str, Callable[[HardFrame, random.Random], None]] = {
    "perspective": _perspective,
    "cylinder": _cylinder,
    "small": _small,
    "dim_noisy": _dim,
    "motion_blur": _shake,
    "glare": _glare,
    "dirt_sticker": _dirt,
    "jpeg_20_70": _jpeg_q,
    "mixed": _mixed,
}
CATEGORIES = list(HARD)


def frame_spec(category: str, index: int) -> tuple[HardFrame, random.Random]:
    rng = random.Random(f"{category}:{index}")
    spec = _base(rng)
    HARD[category](spec, rng)
    return spec, rng


def _cover(label: np.ndarray, spec: HardFrame, rng: random.Random) -> None:
    """Dirt or a sticker over `spec.cover` of the code's area, somewhere on the code."""
    x0, y0, x1, y1 = _CODE_BOX
    q = (x1 - x0) / _MODULES * 4  # the quiet zone: cover the code itself
    area = (x1 - x0 - 2 * q) ** 2 * spec.cover
    aspect = rng.uniform(0.5, 2.0)
    w, h = math.sqrt(area * aspect), math.sqrt(area / aspect)
    cx = rng.uniform(x0 + q + w / 2, x1 - q - w / 2)
    cy = rng.uniform(y0 + q + h / 2, y1 - q - h / 2)
    if spec.sticker:  # a paper sticker: a pale, sharp-edged rectangle, slightly turned
        box = cv2.boxPoints(((cx, cy), (w, h), rng.uniform(-20, 20))).astype(np.int32)
        colour = tuple(rng.randrange(200, 256) for _ in range(3))
        cv2.fillConvexPoly(label, box, colour, lineType=cv2.LINE_AA)
    else:  # dirt: a dark, soft-edged blotch
        mask = np.zeros(label.shape[:2], np.float32)
        cv2.ellipse(mask, ((cx, cy), (w * 1.13, h * 1.13), rng.uniform(0, 180)), 1.0, -1)
        mask = cv2.GaussianBlur(mask, (0, 0), 6)[..., None] * rng.uniform(0.7, 0.95)
        dirt = np.array([rng.randrange(40, 90)] * 3, np.float32)
        label[:] = (label * (1 - mask) + dirt * mask).astype(np.uint8)


def _wrap(label: np.ndarray, spec: HardFrame) -> np.ndarray:
    """The label wrapped round a pole (or pipe), seen square on: the sides squeezed and
    darker as the surface turns away."""
    img = label if spec.wrap_vertical else np.ascontiguousarray(np.rot90(label))
    h, w = img.shape[:2]
    half = math.radians(spec.wrap)
    radius = (w / 2) / half
    out_w = int(2 * radius * math.sin(half))
    xs = np.arange(out_w, dtype=np.float32) - out_w / 2 + 0.5
    theta = np.arcsin(np.clip(xs / radius, -1, 1))
    map_x = np.tile((theta * radius + w / 2).astype(np.float32), (h, 1))
    map_y = np.tile(np.arange(h, dtype=np.float32)[:, None], (1, out_w))
    warped = cv2.remap(img, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    shade = (0.45 + 0.55 * np.cos(theta)).astype(np.float32)[None, :, None]
    warped = (warped * shade).astype(np.uint8)
    return warped if spec.wrap_vertical else np.ascontiguousarray(np.rot90(warped, -1))


def _wall(rng: random.Random) -> np.ndarray:
    """A concrete wall or pillar: a grey-brown gradient with texture."""
    w, h = FRAME
    base = np.array([rng.randrange(90, 170)] * 3, np.float32) + np.float32([0, -3, -8])
    ramp = np.linspace(rng.uniform(-30, 0), rng.uniform(0, 30), w, dtype=np.float32)
    coarse = np.random.default_rng(rng.randrange(1 << 30)).standard_normal(
        (h // 4, w // 4), dtype=np.float32
    )
    texture = cv2.resize(coarse * np.float32(8), FRAME, interpolation=cv2.INTER_LINEAR)
    return (base[None, None, :] + (ramp[None, :] + texture)[..., None]).astype(np.float32)


def _place(
    label: np.ndarray, spec: HardFrame, rng: random.Random
) -> tuple[np.ndarray, tuple[float, float, float]]:
    """Project the label onto the wall: a true homography from the label's rectangle to a
    quadrilateral with one edge `short_edge` shorter, squashed, turned and moved."""
    lh, lw = label.shape[:2]
    scale = spec.px_per_module / _LABEL_PX_PER_MODULE
    w, h = lw * scale, lh * scale * spec.squash
    near, far = w / 2, w / 2 * (1 - spec.short_edge)
    quad = np.array([[-far, -h / 2], [far, -h / 2], [near, h / 2], [-near, h / 2]], np.float32)
    if rng.random() < 0.5:  # the far edge may be any of the four
        quad = quad[:, ::-1].copy()
    turn = math.radians(spec.turn)
    rot = np.array([[math.cos(turn), -math.sin(turn)], [math.sin(turn), math.cos(turn)]])
    quad = (quad @ rot.T).astype(np.float32)
    span = quad.max(axis=0) - quad.min(axis=0)
    room = np.maximum(np.array(FRAME, np.float32) - span, 0) / 2
    centre = np.array(FRAME, np.float32) / 2 + [rng.uniform(-1, 1) * room[0] * 0.8, 0]
    centre[1] += rng.uniform(-1, 1) * room[1] * 0.8
    quad += centre
    src = np.array([[0, 0], [lw, 0], [lw, lh], [0, lh]], np.float32)
    homography = cv2.getPerspectiveTransform(src, quad)
    _, y0, _, y1 = _CODE_BOX
    centre_of_code = np.array([[[lw / 2, (y0 + y1) / 2 * lh / 760]]], np.float32)
    (cx, cy) = cv2.perspectiveTransform(centre_of_code, homography)[0, 0]
    code_at = (float(cx), float(cy), spec.px_per_module * _MODULES)
    # optics: no detail finer than a camera pixel survives the lens and the sensor, and
    # the preview is not always in focus
    rgba = np.dstack([label, np.full((lh, lw), 255, np.uint8)])
    rgba = cv2.GaussianBlur(rgba, (0, 0), spec.focus / scale)
    # draw only the label's bounding box of the frame
    left, top = np.floor(quad.min(axis=0)).astype(int) - 2
    right, bottom = np.ceil(quad.max(axis=0)).astype(int) + 2
    left, top = max(left, 0), max(top, 0)
    right, bottom = min(right, FRAME[0]), min(bottom, FRAME[1])
    shift = np.array([[1, 0, -left], [0, 1, -top], [0, 0, 1]], np.float64)
    flat = cv2.warpPerspective(
        rgba, shift @ homography, (right - left, bottom - top), flags=cv2.INTER_LINEAR
    ).astype(np.float32)
    wall = _wall(rng)
    region = wall[top:bottom, left:right]
    alpha = flat[..., 3:] / np.float32(255)
    region += (flat[..., :3] - region) * alpha
    return wall, code_at


def _light(
    frame: np.ndarray, spec: HardFrame, rng: random.Random, code_at: tuple[float, float, float]
) -> np.ndarray:
    h, w = frame.shape[:2]
    xx = np.arange(w, dtype=np.float32)[None, :]
    yy = np.arange(h, dtype=np.float32)[:, None]
    gx, gy = rng.uniform(-0.3, 0.3), rng.uniform(-0.3, 0.3)  # uneven light
    field = np.float32(spec.light) * (1 + gx * (xx / w - 0.5) + gy * (yy / h - 0.5))
    lit = frame * field[..., None]
    if spec.shake:
        size = math.ceil(spec.shake) | 1
        kernel = np.zeros((size, size), np.float32)
        angle = math.radians(spec.shake_angle)
        dx, dy = math.cos(angle) * (spec.shake - 1) / 2, math.sin(angle) * (spec.shake - 1) / 2
        c = size // 2
        cv2.line(
            kernel,
            (round((c - dx) * 16), round((c - dy) * 16)),
            (round((c + dx) * 16), round((c + dy) * 16)),
            1.0,
            1,
            cv2.LINE_AA,
            shift=4,
        )
        lit = cv2.filter2D(lit, -1, kernel / kernel.sum())
    if spec.glare:  # a specular highlight over part of the code, washing it out
        cx, cy, size = code_at
        gx0, gy0 = cx + rng.uniform(-0.35, 0.35) * size, cy + rng.uniform(-0.35, 0.35) * size
        radius = size * rng.uniform(0.15, 0.28)
        stretch = rng.uniform(0.6, 1.4)
        blob = np.exp(-((xx - gx0) ** 2 + ((yy - gy0) * stretch) ** 2) / np.float32(radius**2))
        lit = lit + (np.float32(spec.glare) * blob)[..., None]
    noise = np.random.default_rng(rng.randrange(1 << 30)).standard_normal(
        (h, w, 1), dtype=np.float32
    )
    lit += noise * np.float32(spec.noise)  # sensor noise, mostly in luminance
    return np.clip(lit, 0, 255).astype(np.uint8)


def hard_frame(png: bytes, category: str, index: int) -> bytes:
    """Frame number `index` of `category` of the hard set, as the JPEG a camera gives; the
    same arguments always give the same bytes."""
    spec, rng = frame_spec(category, index)
    label = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).copy()
    if spec.cover:
        _cover(label, spec, rng)
    if spec.wrap:
        label = _wrap(label, spec)
    frame, code_at = _place(label, spec, rng)
    frame = _light(frame, spec, rng, code_at)
    buf = io.BytesIO()
    Image.fromarray(frame).save(buf, "JPEG", quality=spec.quality)
    return buf.getvalue()


def hard_set(per_category: int) -> dict[str, list[tuple[bytes, str]]]:
    """`per_category` frames of each category, each of a real signed label of site alpha
    (points in turn), with the payload it must read as."""
    points = [f"c{i:02d}" for i in range(1, 21)] + ["a01"]
    pngs = {p: label_image("alpha", p) for p in points}
    return {
        category: [
            (hard_frame(pngs[points[i % 21]], category, i), label("alpha", points[i % 21]))
            for i in range(per_category)
        ]
        for category in CATEGORIES
    }
