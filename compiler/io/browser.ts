// squish/browser: a Host for web pages. Files are the ones the user picked or dropped (File/Blob,
// by path) or are fetched from the page's server; includes are read ahead asynchronously (compile
// does it; see preloadIncludes); images are decoded by createImageBitmap (EXIF orientation
// applied) and resized on an OffscreenCanvas. Paths inside the host are absolute URLs.

import { UserError } from '../../runtime/errors.ts';
import type { Tensor } from '../../runtime/ir/tensor.ts';
import type { Host, ImageLoadOptions } from '../data/host.ts';
import { outputSize, pixelsToTensor } from './pixels.ts';

export interface BrowserHostOptions {
  /** What relative paths are relative to (default: the page's base URL). */
  base?: string | URL;
  /**
   * Files the page already holds, by path relative to `base` (Files from an <input type="file">
   * are keyed by webkitRelativePath, else name). They are read before fetch is tried, and they are
   * what `glob` matches (a server cannot be listed).
   */
  files?: Record<string, Blob | Uint8Array | string> | Iterable<File>;
  /** The fetch to use (default: globalThis.fetch). */
  fetch?: typeof fetch;
}

const GLOB_CHARS = /[*?[{]/;

/** A glob (`*`, `**`, `?`, `[…]`, `{a,b}`) over '/'-separated paths as a RegExp. */
function globToRegExp(glob: string): RegExp {
  let re = '';
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*' && glob[i + 1] === '*') {
      const slash = glob[i + 2] === '/';
      re += slash ? '(?:[^/]*/)*' : '.*';
      i += slash ? 2 : 1;
    } else if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end < 0) re += '\\[';
      else {
        const body = glob
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\');
        re += `[${body}]`;
        i = end;
      }
    } else if (ch === '{') {
      braces++;
      re += '(?:';
    } else if (ch === '}' && braces > 0) {
      braces--;
      re += ')';
    } else if (ch === ',' && braces > 0) re += '|';
    else re += ch.replace(/[.+^$()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function defaultBase(): string {
  const doc = (globalThis as { document?: { baseURI?: string } }).document;
  const loc = (globalThis as { location?: { href?: string } }).location;
  const base = doc?.baseURI ?? loc?.href;
  if (!base) throw new UserError('browserHost needs a base URL here', 'pass browserHost({ base: … })');
  return base;
}

async function bytesOf(v: Blob | Uint8Array | string): Promise<Uint8Array> {
  if (typeof v === 'string') return new TextEncoder().encode(v);
  if (v instanceof Uint8Array) return v;
  return new Uint8Array(await v.arrayBuffer());
}

/** Decode image bytes with the browser's decoders into the tensor `opts` describes. */
async function loadImageBytes(bytes: Uint8Array, where: string, opts: ImageLoadOptions): Promise<Tensor> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(new Blob([bytes as BlobPart]), { imageOrientation: 'from-image' });
  } catch (e) {
    throw new UserError(`${where}: cannot decode image (${(e as Error).message})`, 'use PNG or JPEG files');
  }
  try {
    const size = outputSize(bitmap.width, bitmap.height, opts);
    const canvas = new OffscreenCanvas(size.contentW, size.outH);
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new UserError(`${where}: this browser has no 2D canvas to decode images on`);
    ctx.fillStyle = '#ffffff'; // transparent pixels read as white, as in the Node loader
    ctx.fillRect(0, 0, size.contentW, size.outH);
    ctx.imageSmoothingQuality = 'high';
    ctx.drawImage(bitmap, 0, 0, size.contentW, size.outH);
    const { data } = ctx.getImageData(0, 0, size.contentW, size.outH, { colorSpace: 'srgb' });
    return pixelsToTensor(data, 4, size, opts);
  } finally {
    bitmap.close();
  }
}

/** A Host for compile() in a browser: fetch and in-page files for models, recipes and data. */
export function browserHost(options: BrowserHostOptions = {}): Host {
  const base = String(options.base ?? defaultBase());
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const files = new Map<string, Blob | Uint8Array | string>();
  const given = options.files ?? {};
  const entries: [string, Blob | Uint8Array | string][] =
    Symbol.iterator in given
      ? [...(given as Iterable<File>)].map((f) => [f.webkitRelativePath || f.name, f])
      : Object.entries(given);
  for (const [path, v] of entries) files.set(new URL(path, base).href, v);

  const url = (path: string) => new URL(path, base).href;
  const host: Host = {
    async readFile(path) {
      const href = url(path);
      const local = files.get(href);
      if (local !== undefined) return bytesOf(local);
      let res: Response;
      try {
        res = await doFetch(href);
      } catch (e) {
        throw new UserError(`cannot fetch ${path}: ${(e as Error).message}`, 'check the URL and the network');
      }
      if (!res.ok) {
        throw new UserError(
          `cannot fetch ${path}: HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`,
          'check the URL, or hand the file to browserHost({ files })',
        );
      }
      return new Uint8Array(await res.arrayBuffer());
    },
    resolve: (fromFile, rel) => new URL(rel, url(fromFile)).href,
    async glob(fromFile, pattern) {
      const segments = pattern.split('/');
      const first = segments.findIndex((s) => GLOB_CHARS.test(s));
      if (first < 0) return [new URL(pattern, url(fromFile)).href];
      const dir = first > 0 ? `${segments.slice(0, first).join('/')}/` : './';
      const prefix = new URL(dir, url(fromFile)).href;
      const re = globToRegExp(segments.slice(first).join('/'));
      return [...files.keys()]
        .filter((href) => href.startsWith(prefix) && re.test(decodeURI(href.slice(prefix.length))))
        .sort();
    },
    loadImage: async (path, opts) => loadImageBytes(await host.readFile(path), path, opts),
  };
  return host;
}
