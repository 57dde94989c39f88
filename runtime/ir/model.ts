// A model: the main graph plus everything else ONNX's ModelProto holds (opset imports, IR
// version, producer, doc string, metadata, functions, training info, unknown fields).

import type { Graph } from './graph.ts';

export interface OpsetImport {
  domain: string; // '' = ai.onnx
  version: number;
}

export interface MetadataEntry {
  key: string;
  value: string;
}

export class Model {
  irVersion: number | bigint = 8;
  opsetImports: OpsetImport[] = [{ domain: '', version: 17 }];
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: number | bigint;
  docString?: string;
  metadataProps: MetadataEntry[] = [];
  /**
   * Model-local functions (FunctionProto messages as decoded; exported as read), training_info,
   * configuration and unknown fields live in `extra`.
   */
  extra: Record<string, unknown> = {};

  constructor(public graph: Graph) {}

  /** The opset version imported for `domain` ('' and 'ai.onnx' are the default domain). */
  opset(domain = ''): number | undefined {
    const d = domain === 'ai.onnx' ? '' : domain;
    return this.opsetImports.find((o) => (o.domain === 'ai.onnx' ? '' : o.domain) === d)?.version;
  }

  setOpset(domain: string, version: number): void {
    const o = this.opsetImports.find((x) => x.domain === domain);
    if (o) o.version = version;
    else this.opsetImports.push({ domain, version });
  }

  /** Metadata value for `key`, or undefined. */
  metadata(key: string): string | undefined {
    return this.metadataProps.find((m) => m.key === key)?.value;
  }

  setMetadata(key: string, value: string): void {
    const m = this.metadataProps.find((x) => x.key === key);
    if (m) m.value = value;
    else this.metadataProps.push({ key, value });
  }
}
