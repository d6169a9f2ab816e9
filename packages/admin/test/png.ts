/**
 * Reads the screenshots the browser test saves, so it can check what they
 * show: a PNG decoder for what chromium writes (8-bit greyscale, RGB or RGBA,
 * not interlaced; node:zlib inflates, the five row filters are undone here),
 * and the measures the test asserts on a region of the image.
 */
import { inflateSync } from 'node:zlib';

export interface Image {
  readonly width: number;
  readonly height: number;
  /** RGB, 3 bytes a pixel, row after row. */
  readonly rgb: Uint8Array;
}

/** A rectangle in image pixels. */
export interface Box {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Decodes `png`; throws on anything but 8-bit, non-interlaced grey, RGB or RGBA. */
export function decodePng(png: Buffer): Image {
  if (!png.subarray(0, 8).equals(SIGNATURE)) throw new Error('not a PNG');
  let width = 0;
  let height = 0;
  let channels = 0;
  const data: Buffer[] = [];
  for (let at = 8; at < png.length; ) {
    const length = png.readUInt32BE(at);
    const type = png.toString('latin1', at + 4, at + 8);
    const body = png.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const depth = body[8];
      const colour = body[9];
      const interlace = body[12];
      channels = colour === 0 ? 1 : colour === 2 ? 3 : colour === 6 ? 4 : 0;
      if (depth !== 8 || channels === 0 || interlace !== 0) throw new Error(`unsupported PNG: depth ${depth}, colour type ${colour}, interlace ${interlace}`);
    } else if (type === 'IDAT') data.push(body);
    else if (type === 'IEND') break;
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(data));
  const stride = width * channels;
  const pixels = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const src = y * (stride + 1) + 1;
    const row = y * stride;
    for (let i = 0; i < stride; i++) {
      const x = raw[src + i]!;
      const left = i >= channels ? pixels[row + i - channels]! : 0;
      const up = y > 0 ? pixels[row - stride + i]! : 0;
      const upLeft = y > 0 && i >= channels ? pixels[row - stride + i - channels]! : 0;
      let value: number;
      switch (filter) {
        case 0:
          value = x;
          break;
        case 1:
          value = x + left;
          break;
        case 2:
          value = x + up;
          break;
        case 3:
          value = x + ((left + up) >> 1);
          break;
        case 4: {
          const p = left + up - upLeft;
          const pa = Math.abs(p - left);
          const pb = Math.abs(p - up);
          const pc = Math.abs(p - upLeft);
          value = x + (pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft);
          break;
        }
        default:
          throw new Error(`bad PNG row filter ${filter}`);
      }
      pixels[row + i] = value & 0xff;
    }
  }
  const rgb = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++) {
    for (let c = 0; c < 3; c++) rgb[p * 3 + c] = pixels[p * channels + (channels === 1 ? 0 : c)]!;
  }
  return { width, height, rgb };
}

function* pixelsIn(img: Image, box: Box): Generator<[number, number, number]> {
  const x0 = Math.max(0, Math.floor(box.x));
  const y0 = Math.max(0, Math.floor(box.y));
  const x1 = Math.min(img.width, Math.ceil(box.x + box.width));
  const y1 = Math.min(img.height, Math.ceil(box.y + box.height));
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = (y * img.width + x) * 3;
      yield [img.rgb[i]!, img.rgb[i + 1]!, img.rgb[i + 2]!];
    }
  }
}

/**
 * Pixels of `box` that stand out from the box's most common colour (its
 * background) by more than `threshold` (sum of channel differences): text,
 * lines, marks. A blank or uniformly filled box has none.
 */
export function inked(img: Image, box: Box, threshold = 120): number {
  const counts = new Map<number, number>();
  for (const [r, g, b] of pixelsIn(img, box)) {
    const key = (r << 16) | (g << 8) | b;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  let background = 0;
  let most = -1;
  for (const [key, n] of counts) {
    if (n > most) {
      most = n;
      background = key;
    }
  }
  const [br, bg, bb] = [(background >> 16) & 0xff, (background >> 8) & 0xff, background & 0xff];
  let n = 0;
  for (const [r, g, b] of pixelsIn(img, box)) if (Math.abs(r - br) + Math.abs(g - bg) + Math.abs(b - bb) > threshold) n++;
  return n;
}

/** Pixels of `box` within `tolerance` (sum of channel differences) of the colour `#rrggbb`. */
export function pixelsOfColour(img: Image, box: Box, hex: string, tolerance = 40): number {
  const want = [1, 3, 5].map((i) => Number.parseInt(hex.slice(i, i + 2), 16));
  let n = 0;
  for (const [r, g, b] of pixelsIn(img, box)) if (Math.abs(r - want[0]!) + Math.abs(g - want[1]!) + Math.abs(b - want[2]!) <= tolerance) n++;
  return n;
}
