// squish/node: the Node host (recipes, includes and calibration data from disk), model files with
// their external data, and the image loader. The API itself (`squish`) does no file I/O.
export { nodeHost } from './host.ts';
export { loadImage } from './images.ts';
export { loadModelFile, type SaveOptions, saveModelFile } from './model-file.ts';
export type { ImageOptions } from './pixels.ts';
