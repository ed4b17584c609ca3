/**
 * A tiny WebAssembly emitter: just the opcodes attnlab's kernels use, in folded form — each
 * helper returns the bytes of an expression, operands first — so that a kernel reads like the
 * arithmetic it performs. Generating the binary from TypeScript needs no toolchain at install
 * time and no committed blob; kernels are specialised to their sizes (compile-time constants).
 */

/** Bytes of some code: an expression, a statement or a sequence of either. */
export type Code = readonly number[];

export type ValueType = 'i32' | 'f32' | 'v128';
const VALUE_TYPE_BYTE: Record<ValueType, number> = { i32: 0x7f, f32: 0x7d, v128: 0x7b };

function unsignedLeb(value: number): number[] {
  const bytes: number[] = [];
  do {
    let byte = value & 0x7f;
    value >>>= 7;
    if (value !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (value !== 0);
  return bytes;
}

function signedLeb(value: number): number[] {
  const bytes: number[] = [];
  for (;;) {
    const byte = value & 0x7f;
    value >>= 7;
    const done = (value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0);
    bytes.push(done ? byte : byte | 0x80);
    if (done) return bytes;
  }
}

const utf8 = (text: string): number[] => [...unsignedLeb(text.length), ...new TextEncoder().encode(text)];
const vector = (items: readonly Code[]): number[] => [...unsignedLeb(items.length), ...items.flat()];
const section = (id: number, body: Code): number[] => [id, ...unsignedLeb(body.length), ...body];
const simd = (opcode: number): number[] => [0xfd, ...unsignedLeb(opcode)];
const seq = (...parts: Code[]): number[] => parts.flat();

/** A local variable (parameters included) of the function being written. */
export interface Local {
  readonly index: number;
  readonly type: ValueType;
}

export const get = (local: Local): Code => [0x20, ...unsignedLeb(local.index)];
export const set = (local: Local, value: Code): Code => seq(value, [0x21, ...unsignedLeb(local.index)]);

export const i32 = {
  const: (value: number): Code => [0x41, ...signedLeb(value | 0)],
  add: (a: Code, b: Code): Code => seq(a, b, [0x6a]),
  mul: (a: Code, b: Code): Code => seq(a, b, [0x6c]),
  geU: (a: Code, b: Code): Code => seq(a, b, [0x4f]),
  and: (a: Code, b: Code): Code => seq(a, b, [0x71]),
  /** Loads the int at byte address `address + offset`. */
  load: (address: Code, offset = 0): Code => seq(address, [0x28, 2, ...unsignedLeb(offset)]),
};

/** Evaluates `value` and discards it. */
export const drop = (value: Code): Code => seq(value, [0x1a]);

/** Copies `bytes` bytes from `source` to `target` (bulk memory: one memmove in the engine). */
export const memoryCopy = (target: Code, source: Code, bytes: Code): Code => seq(target, source, bytes, [0xfc, 0x0a, 0x00, 0x00]);

export const f32 = {
  const: (value: number): Code => {
    const bytes = new Uint8Array(new Float32Array([value]).buffer);
    return [0x43, ...bytes];
  },
  /** Loads the float at byte address `address + offset`. */
  load: (address: Code, offset = 0): Code => seq(address, [0x2a, 2, ...unsignedLeb(offset)]),
  store: (address: Code, value: Code, offset = 0): Code => seq(address, value, [0x38, 2, ...unsignedLeb(offset)]),
  add: (a: Code, b: Code): Code => seq(a, b, [0x92]),
};

/**
 * How a module computes a·b + c on four lanes: `fused`, one relaxed-SIMD `f32x4.relaxed_madd`
 * (an FMA instruction where the CPU has one: half the arithmetic instructions of a matmul's inner
 * loop, and one rounding instead of two), or `plain`, a multiply then an add, which every
 * WebAssembly SIMD engine runs.
 */
export type SimdPath = 'fused' | 'plain';

/** The path of the module being generated; see {@link generateFor}. */
let generating: SimdPath | undefined;

/**
 * Returns `generate()` (which builds a module's code), {@link f32x4.madd} emitting for `path`
 * meanwhile. Generation is synchronous, so the path holds for exactly that module's code.
 */
export function generateFor<T>(path: SimdPath, generate: () => T): T {
  const outer = generating;
  generating = path;
  try {
    return generate();
  } finally {
    generating = outer;
  }
}

/** The path {@link f32x4.madd} emits for: a module that multiplies and adds must know its own. */
function generatingPath(): SimdPath {
  if (generating === undefined) throw new Error('f32x4.madd emitted outside generateFor: generate the module for a SIMD path (runtime.ts compiledKernel does)');
  return generating;
}

/** Four float32 lanes. Addresses are bytes; `offset` is a constant added to the address. */
export const f32x4 = {
  load: (address: Code, offset = 0): Code => seq(address, simd(0x00), [4, ...unsignedLeb(offset)]),
  store: (address: Code, value: Code, offset = 0): Code => seq(address, value, simd(0x0b), [4, ...unsignedLeb(offset)]),
  splat: (scalar: Code): Code => seq(scalar, simd(0x13)),
  constant: (value: number): Code => f32x4.splat(f32.const(value)),
  add: (a: Code, b: Code): Code => seq(a, b, simd(0xe4)),
  sub: (a: Code, b: Code): Code => seq(a, b, simd(0xe5)),
  mul: (a: Code, b: Code): Code => seq(a, b, simd(0xe6)),
  div: (a: Code, b: Code): Code => seq(a, b, simd(0xe7)),
  /** a·b + c: fused (relaxed SIMD, opcode 0x105) or multiplied then added, per the module's {@link SimdPath}. */
  madd: (a: Code, b: Code, c: Code): Code => (generatingPath() === 'fused' ? seq(a, b, c, simd(0x105)) : f32x4.add(f32x4.mul(a, b), c)),
  min: (a: Code, b: Code): Code => seq(a, b, simd(0xe8)),
  max: (a: Code, b: Code): Code => seq(a, b, simd(0xe9)),
  /**
   * `b < a ? b : a` and `a < b ? b : a`: one x86 instruction each, where `min`/`max` take several
   * for their NaN and −0 rules, which clamping finite values does not need.
   */
  pmin: (a: Code, b: Code): Code => seq(a, b, simd(0xea)),
  pmax: (a: Code, b: Code): Code => seq(a, b, simd(0xeb)),
  /** All-ones lanes where a > b, else all-zeros (as a mask for `v128.and`, `v128.bitselect`). */
  gt: (a: Code, b: Code): Code => seq(a, b, simd(0x44)),
  /** Lane `lane` (0–3) as an f32. */
  extractLane: (a: Code, lane: number): Code => seq(a, simd(0x1f), [lane]),
  /** The float at `address + offset` in all four lanes. */
  loadSplat: (address: Code, offset = 0): Code => seq(address, simd(0x09), [2, ...unsignedLeb(offset)]),
  nearest: (a: Code): Code => seq(a, simd(0x6a)),
  /** Lanes truncated to int32 (saturating), as i32x4. */
  truncToInt: (a: Code): Code => seq(a, simd(0xf8)),
};

/** Lane-agnostic bitwise operations. */
export const v128 = {
  and: (a: Code, b: Code): Code => seq(a, b, simd(0x4e)),
  /** Bits of `a` where `mask` is 1, of `b` where it is 0. */
  bitselect: (a: Code, b: Code, mask: Code): Code => seq(a, b, mask, simd(0x52)),
};

export const i32x4 = {
  add: (a: Code, b: Code): Code => seq(a, b, simd(0xae)),
  shl: (a: Code, bits: Code): Code => seq(a, bits, simd(0xab)),
  splat: (scalar: Code): Code => seq(scalar, simd(0x11)),
};

/** `for (counter = from; counter < to; counter += step) body`, unsigned comparison. */
export function forRange(counter: Local, from: Code, to: Code, step: number, body: Code): Code {
  return seq(
    set(counter, from),
    [0x02, 0x40, 0x03, 0x40], // block, loop
    i32.geU(get(counter), to),
    [0x0d, 1], // br_if to the block's end
    body,
    set(counter, i32.add(get(counter), i32.const(step))),
    [0x0c, 0, 0x0b, 0x0b], // br to the loop, end loop, end block
  );
}

/** `if (condition) then else otherwise`, as statements. */
export function ifElse(condition: Code, then: Code, otherwise: Code): Code {
  return seq(condition, [0x04, 0x40], then, [0x05], otherwise, [0x0b]);
}

/** Builds one function: declare its parameters, then its locals, then give its body. */
export class FunctionWriter {
  private readonly localTypes: ValueType[] = [];
  readonly params: readonly Local[];

  constructor(
    readonly name: string,
    private readonly paramTypes: readonly ValueType[],
  ) {
    this.params = paramTypes.map((type, index) => ({ index, type }));
  }

  local(type: ValueType): Local {
    this.localTypes.push(type);
    return { index: this.paramTypes.length + this.localTypes.length - 1, type };
  }

  /** The function's signature (no results) and its code entry. */
  encode(body: Code): { signature: number[]; code: number[] } {
    const signature = [0x60, ...vector(this.paramTypes.map((type) => [VALUE_TYPE_BYTE[type]])), 0];
    const locals = vector(this.localTypes.map((type) => [1, VALUE_TYPE_BYTE[type]]));
    const content = [...locals, ...body, 0x0b];
    return { signature, code: [...unsignedLeb(content.length), ...content] };
  }
}

/** 64 KiB pages in 4 GiB, the most a 32-bit memory holds. */
export const MAX_PAGES = 65_536;

/**
 * A module importing its memory as `env.memory` (a shared one with `sharedMemory`, which threads
 * can work on at once) and exporting the given functions, each with
 * its own type entry.
 */
export function encodeModule(functions: readonly { writer: FunctionWriter; body: Code }[], options: { readonly sharedMemory?: boolean } = {}): Uint8Array<ArrayBuffer> {
  const encoded = functions.map(({ writer, body }) => writer.encode(body));
  // A shared memory must declare a maximum: the whole 32-bit range, so any shared memory fits.
  const limits = options.sharedMemory ? [0x03, 0x01, ...unsignedLeb(MAX_PAGES)] : [0x00, 0x01];
  const memoryImport = [...utf8('env'), ...utf8('memory'), 0x02, ...limits];
  const bytes = [
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vector(encoded.map(({ signature }) => signature))),
    ...section(2, vector([memoryImport])),
    ...section(3, vector(encoded.map((_, index) => unsignedLeb(index)))),
    ...section(7, vector(functions.map(({ writer }, index) => [...utf8(writer.name), 0x00, ...unsignedLeb(index)]))),
    ...section(10, vector(encoded.map(({ code }) => code))),
  ];
  return new Uint8Array(bytes);
}
