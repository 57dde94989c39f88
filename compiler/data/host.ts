// The host interface: how core compiler code reaches files (recipes, calibration data) without
// doing I/O itself. The Node host is compiler/io/host.ts; a browser build supplies its own.

import type { Tensor } from '../../runtime/ir/tensor.ts';

export interface ImageLoadOptions {
  width?: number;
  height?: number;
  fit?: 'fill' | 'pad' | 'none';
  mean?: number[];
  std?: number[];
  channels?: 'rgb' | 'bgr';
  layout?: 'nchw' | 'nhwc';
}

export interface Host {
  /** The bytes of a file; `path` is as returned by `glob` or `resolve`. */
  readFile(path: string): Promise<Uint8Array>;
  /** `rel` resolved against the folder holding `fromFile` (absolute stays absolute). */
  resolve(fromFile: string, rel: string): string;
  /** Files matching a glob that is relative to the folder holding `fromFile`, sorted. */
  glob(fromFile: string, pattern: string): Promise<string[]>;
  /** A text file read synchronously (recipe `include`), undefined when it does not exist. */
  readText?(path: string): string | undefined;
  /** Decode an image (PNG, JPEG) into a float32 tensor [1,3,H,W] or [1,H,W,3]. */
  loadImage?(path: string, opts: ImageLoadOptions): Promise<Tensor>;
}

/** A host that has no files: compile works for recipes that need none (no include, no data). */
export const NO_FILES: Host = {
  readFile: (p) => Promise.reject(new Error(`no file access in this host (asked for ${p})`)),
  resolve: (_from, rel) => rel,
  glob: () => Promise.resolve([]),
};
