"""Draws assets/icon.png, Petal's window icon: five petals around a centre.

Run with any Python that has Pillow:  python3 tools/make_icon.py
"""

from pathlib import Path

from PIL import Image, ImageDraw

SIZE = 1024  # drawn large, then shrunk for smooth edges
OUT = Path(__file__).resolve().parent.parent / "assets" / "icon.png"


def petal(angle: float) -> Image.Image:
    layer = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    c = SIZE / 2
    draw.ellipse((c - 150, c - 430, c + 150, c - 40), fill=(236, 112, 160, 255))
    draw.ellipse((c - 70, c - 360, c + 70, c - 120), fill=(246, 160, 196, 255))
    return layer.rotate(-angle, center=(c, c), resample=Image.BICUBIC)


def main() -> None:
    icon = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    for index in range(5):
        icon.alpha_composite(petal(index * 72))
    draw = ImageDraw.Draw(icon)
    c = SIZE / 2
    draw.ellipse((c - 120, c - 120, c + 120, c + 120), fill=(250, 204, 60, 255))
    draw.ellipse((c - 60, c - 60, c + 60, c + 60), fill=(232, 150, 40, 255))
    icon.resize((256, 256), Image.LANCZOS).save(OUT, optimize=True)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
