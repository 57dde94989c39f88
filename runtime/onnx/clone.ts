// A deep, independent copy of a model (through the lossless codec), for passes that try variants.
import type { Model } from '../ir/model.ts';
import { exportModel } from './export.ts';
import { importModel } from './import.ts';

/** Deep copy: editing the copy never touches the original (tensors included). */
export function cloneModel(model: Model): Model {
  return importModel(exportModel(model));
}
