// A WebAssembly module: an imported (optionally shared) memory, functions, a table of the functions
// `call_indirect` dispatches to, exports. toBytes() lays the sections out in their mandatory order.

import { Code } from './code.ts';
import { name, section, uleb, VAL_TYPE, type ValType } from './encode.ts';

interface Signature {
  params: readonly ValType[];
  results: readonly ValType[];
}

export class ModuleBuilder {
  private readonly types: Signature[] = [];
  private readonly functions: Code[] = [];
  private readonly exported: string[] = [];
  private readonly table: string[] = [];
  private memory: { initial: number; maximum: number; shared: boolean } | undefined;

  /** Import env.memory; a shared one needs a maximum (pages of 64 KiB). */
  importMemory(initial: number, maximum: number, shared: boolean): this {
    this.memory = { initial, maximum, shared };
    return this;
  }

  /** The index of a function type (deduplicated). */
  type(params: readonly ValType[], results: readonly ValType[] = []): number {
    const key = `${params.join()}>${results.join()}`;
    const at = this.types.findIndex((t) => `${t.params.join()}>${t.results.join()}` === key);
    if (at >= 0) return at;
    this.types.push({ params, results });
    return this.types.length - 1;
  }

  /** Add a function; `exported` makes it callable from JS. */
  func(fname: string, params: readonly ValType[], results: readonly ValType[], exported = false): Code {
    if (this.functions.some((f) => f.name === fname)) throw new Error(`function ${fname} defined twice`);
    const code = new Code(fname, params, results);
    this.functions.push(code);
    this.type(params, results);
    if (exported) this.exported.push(fname);
    return code;
  }

  /** Put a function in the dispatch table; returns its slot for call_indirect. */
  tableSlot(fname: string): number {
    const at = this.table.indexOf(fname);
    if (at >= 0) return at;
    this.table.push(fname);
    return this.table.length - 1;
  }

  private index(fname: string): number {
    const i = this.functions.findIndex((f) => f.name === fname);
    if (i < 0) throw new Error(`no function ${fname}`);
    return i;
  }

  toBytes(): Uint8Array {
    const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    let p: number[] = [];
    uleb(this.types.length, p);
    for (const t of this.types) {
      p.push(0x60);
      uleb(t.params.length, p);
      for (const v of t.params) p.push(VAL_TYPE[v]);
      uleb(t.results.length, p);
      for (const v of t.results) p.push(VAL_TYPE[v]);
    }
    section(1, p, out);
    if (this.memory) {
      p = [];
      uleb(1, p);
      name('env', p);
      name('memory', p);
      p.push(0x02, this.memory.shared ? 0x03 : 0x01);
      uleb(this.memory.initial, p);
      uleb(this.memory.maximum, p);
      section(2, p, out);
    }
    p = [];
    uleb(this.functions.length, p);
    for (const f of this.functions) uleb(this.type(f.params, f.results), p);
    section(3, p, out);
    if (this.table.length) {
      p = [0x01, 0x70, 0x00];
      uleb(this.table.length, p);
      section(4, p, out);
    }
    p = [];
    uleb(this.exported.length, p);
    for (const e of this.exported) {
      name(e, p);
      p.push(0x00);
      uleb(this.index(e), p);
    }
    section(7, p, out);
    if (this.table.length) {
      p = [0x01, 0x00, 0x41, 0x00, 0x0b];
      uleb(this.table.length, p);
      for (const f of this.table) uleb(this.index(f), p);
      section(9, p, out);
    }
    p = [];
    uleb(this.functions.length, p);
    for (const f of this.functions) {
      const body: number[] = [];
      const runs: [number, ValType][] = [];
      for (const l of f.locals) {
        const last = runs[runs.length - 1];
        if (last && last[1] === l) last[0]++;
        else runs.push([1, l]);
      }
      uleb(runs.length, body);
      for (const [n, t] of runs) {
        uleb(n, body);
        body.push(VAL_TYPE[t]);
      }
      const code = f.bytes.slice();
      for (const c of f.calls) {
        let v = this.index(c.callee);
        for (let i = 0; i < 4; i++) {
          code[c.at + i] = (v & 0x7f) | 0x80;
          v >>>= 7;
        }
        code[c.at + 4] = v & 0x7f;
      }
      for (const b of code) body.push(b);
      body.push(0x0b);
      uleb(body.length, p);
      for (const b of body) p.push(b);
    }
    section(10, p, out);
    return Uint8Array.from(out);
  }
}
