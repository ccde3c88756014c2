/**
 * Draws the extension's icons (a white "Z" on the banner's focus blue, with an amber corner mark) as PNG
 * files, so that no binary comes from elsewhere. Run again after changing it:
 * `npx tsx extension/icons/draw-icons.ts`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';

type Rgba = [number, number, number, number];
const BLUE: Rgba = [11, 92, 173, 255];
const WHITE: Rgba = [255, 255, 255, 255];
const AMBER: Rgba = [255, 181, 71, 255];

/** Colour at (x, y) in a unit square, or null outside the shape. */
function shade(x: number, y: number): Rgba | null {
  const r = 0.2;
  const cx = Math.min(Math.max(x, r), 1 - r);
  const cy = Math.min(Math.max(y, r), 1 - r);
  if ((x - cx) ** 2 + (y - cy) ** 2 > r * r) return null;
  if ((x - 0.8) ** 2 + (y - 0.2) ** 2 < 0.12 ** 2) return AMBER;
  const t = 0.13;
  if (y > 0.22 && y < 0.22 + t && x > 0.24 && x < 0.76) return WHITE;
  if (y > 0.78 - t && y < 0.78 && x > 0.24 && x < 0.76) return WHITE;
  // The diagonal: a band around the line from the top bar's right end to the bottom bar's left end.
  const [x1, y1, x2, y2] = [0.76, 0.22, 0.24, 0.78];
  const dist = Math.abs((y2 - y1) * x - (x2 - x1) * y + x2 * y1 - y2 * x1) / Math.hypot(x2 - x1, y2 - y1);
  if (y > 0.22 && y < 0.78 && dist < t * 0.7) return WHITE;
  return BLUE;
}

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}

function png(size: number): Buffer {
  const ss = 4; // supersampling per axis, for smooth edges
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0;
    for (let x = 0; x < size; x++) {
      const acc = [0, 0, 0, 0];
      for (let sy = 0; sy < ss; sy++)
        for (let sx = 0; sx < ss; sx++) {
          const c = shade((x + (sx + 0.5) / ss) / size, (y + (sy + 0.5) / ss) / size);
          if (!c) continue;
          for (let i = 0; i < 3; i++) acc[i]! += c[i]! * c[3];
          acc[3]! += c[3];
        }
      const o = y * (size * 4 + 1) + 1 + x * 4;
      const a = acc[3]!;
      for (let i = 0; i < 3; i++) raw[o + i] = a ? Math.round(acc[i]! / a) : 0;
      raw[o + 3] = Math.round(a / (ss * ss));
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8;
  ihdr[9] = 6;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

for (const size of [16, 32, 48, 128]) writeFileSync(join(import.meta.dirname, `icon-${size}.png`), png(size));
