"""Write a 12-megapixel phone-sized JPEG made from a dataset photo.

Usage: python make_photo.py SOURCE.jpg OUT.jpg

The centre 4:3 part of SOURCE is upscaled to 4000x3000 and saved at
quality 90, the size and quality of a typical phone photo. The output is
for timing only; it goes to a temporary folder and is never committed.
"""

import sys

from PIL import Image

WIDTH, HEIGHT = 4000, 3000


def make_large(source, out):
    """Write the 12-megapixel version of the photo at `source` to `out`."""
    image = Image.open(source).convert("RGB")
    width, height = image.size
    crop_height = min(height, width * HEIGHT // WIDTH)
    crop_width = crop_height * WIDTH // HEIGHT
    left, top = (width - crop_width) // 2, (height - crop_height) // 2
    image = image.crop((left, top, left + crop_width, top + crop_height))
    image.resize((WIDTH, HEIGHT), Image.BICUBIC).save(out, quality=90)


def main():
    make_large(sys.argv[1], sys.argv[2])


if __name__ == "__main__":
    main()
