// A function body: one chained method per wasm instruction (names as in the text format, '.' → '_'),
// locals by index, and structured helpers for the loops kernels are made of.

import { f32Bytes, f32x4Bytes, i32x4Bytes, sleb, sleb64, uleb, VAL_TYPE, type ValType } from './encode.ts';
import { ATOMIC, MEM, PLAIN, SIMD, SIMD_MEM } from './ops.ts';

type Chain<T> = { [K in keyof T]: () => Code };
type MemChain<T> = { [K in keyof T]: (offset?: number) => Code };

/** A block type: no result, or one value. */
export type BlockType = ValType | undefined;

// The table-driven opcode methods are generated onto the prototype below; these interfaces type them.
export interface Code extends Chain<typeof PLAIN>, Chain<typeof SIMD>, MemChain<typeof SIMD_MEM> {}
export interface Code extends MemChain<typeof MEM>, MemChain<typeof ATOMIC> {}

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interfaces above type the generated methods
export class Code {
  readonly bytes: number[] = [];
  readonly locals: ValType[] = [];
  /** Call sites to patch with the callee's index once every function is known. */
  readonly calls: { at: number; callee: string }[] = [];

  constructor(
    readonly name: string,
    readonly params: readonly ValType[],
    readonly results: readonly ValType[],
  ) {}

  /** A new local; returns its index (parameters come first). */
  local(type: ValType): number {
    this.locals.push(type);
    return this.params.length + this.locals.length - 1;
  }

  private op(...bytes: number[]): this {
    for (const b of bytes) this.bytes.push(b);
    return this;
  }

  block(type?: BlockType): this {
    return this.op(0x02, type ? VAL_TYPE[type] : 0x40);
  }
  loop(type?: BlockType): this {
    return this.op(0x03, type ? VAL_TYPE[type] : 0x40);
  }
  if(type?: BlockType): this {
    return this.op(0x04, type ? VAL_TYPE[type] : 0x40);
  }
  br(depth: number): this {
    this.op(0x0c);
    uleb(depth, this.bytes);
    return this;
  }
  br_if(depth: number): this {
    this.op(0x0d);
    uleb(depth, this.bytes);
    return this;
  }
  br_table(targets: readonly number[], fallback: number): this {
    this.op(0x0e);
    uleb(targets.length, this.bytes);
    for (const t of targets) uleb(t, this.bytes);
    uleb(fallback, this.bytes);
    return this;
  }
  /** Call a function of the module by name (patched when the module is assembled). */
  call(callee: string): this {
    this.op(0x10);
    this.calls.push({ at: this.bytes.length, callee });
    return this.op(0x80, 0x80, 0x80, 0x80, 0x00);
  }
  call_indirect(typeIndex: number): this {
    this.op(0x11);
    uleb(typeIndex, this.bytes);
    return this.op(0x00);
  }
  get(local: number): this {
    this.op(0x20);
    uleb(local, this.bytes);
    return this;
  }
  set(local: number): this {
    this.op(0x21);
    uleb(local, this.bytes);
    return this;
  }
  tee(local: number): this {
    this.op(0x22);
    uleb(local, this.bytes);
    return this;
  }
  i32(value: number): this {
    this.op(0x41);
    sleb(value, this.bytes);
    return this;
  }
  i64(value: bigint): this {
    this.op(0x42);
    sleb64(value, this.bytes);
    return this;
  }
  f32(value: number): this {
    this.op(0x43);
    f32Bytes(value, this.bytes);
    return this;
  }
  v128_i32x4(lanes: readonly number[]): this {
    this.op(0xfd, 0x0c);
    i32x4Bytes(lanes, this.bytes);
    return this;
  }
  v128_f32x4(lanes: readonly number[]): this {
    this.op(0xfd, 0x0c);
    f32x4Bytes(lanes, this.bytes);
    return this;
  }
  i8x16_shuffle(lanes: readonly number[]): this {
    this.op(0xfd, 0x0d);
    for (const l of lanes) this.bytes.push(l);
    return this;
  }
  f32x4_extract_lane(lane: number): this {
    return this.op(0xfd, 0x1f, lane);
  }
  f32x4_replace_lane(lane: number): this {
    return this.op(0xfd, 0x20, lane);
  }
  i32x4_extract_lane(lane: number): this {
    return this.op(0xfd, 0x1b, lane);
  }
  /** Store 64-bit lane `lane` of the vector on the stack. */
  v128_store64_lane(offset: number, lane: number): this {
    this.op(0xfd, 0x5b, 0x00);
    uleb(offset, this.bytes);
    return this.op(lane);
  }
  /** memory.copy: (dst, src, bytes) on the stack. */
  memory_copy(): this {
    return this.op(0xfc, 0x0a, 0x00, 0x00);
  }
  memory_size(): this {
    return this.op(0x3f, 0x00);
  }
  memory_grow(): this {
    return this.op(0x40, 0x00);
  }

  // ---- structured helpers

  /** `for (i = from; i < to; i += step) body()` over i32 locals/constants (`to` read once per trip). */
  for(i: number, from: Operand, to: Operand, step: number, body: () => void): this {
    this.push(from).set(i);
    this.block().loop();
    this.get(i).push(to).i32_ge_s().br_if(1);
    body();
    this.get(i).i32(step).i32_add().set(i);
    this.br(0).end().end();
    return this;
  }

  /** Push an operand: a local index given as {local}, or an i32 constant. */
  push(v: Operand): this {
    return typeof v === 'number' ? this.i32(v) : this.get(v.local);
  }

  /** `when (cond on stack) then()` */
  when(then: () => void): Code {
    this.if();
    then();
    return this.end();
  }
}

export type Operand = number | { local: number };

function memarg(code: Code, align: number, offset: number): void {
  uleb(align, code.bytes);
  uleb(offset, code.bytes);
}

const proto = Code.prototype as unknown as Record<string, (offset?: number) => Code>;
for (const [name, byte] of Object.entries(PLAIN))
  proto[name] = function (this: Code) {
    this.bytes.push(byte);
    return this;
  };
for (const [name, op] of Object.entries(SIMD))
  proto[name] = function (this: Code) {
    this.bytes.push(0xfd);
    uleb(op, this.bytes);
    return this;
  };
for (const [name, op] of Object.entries(SIMD_MEM))
  proto[name] = function (this: Code, offset = 0) {
    this.bytes.push(0xfd);
    uleb(op, this.bytes);
    memarg(this, 0, offset);
    return this;
  };
for (const [name, [op, align]] of Object.entries(MEM))
  proto[name] = function (this: Code, offset = 0) {
    this.bytes.push(op);
    memarg(this, align, offset);
    return this;
  };
for (const [name, op] of Object.entries(ATOMIC))
  proto[name] = function (this: Code, offset = 0) {
    this.bytes.push(0xfe, op);
    memarg(this, 2, offset);
    return this;
  };
