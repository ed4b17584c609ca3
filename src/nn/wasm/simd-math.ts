/**
 * Vector math shared by the generated kernels: e^x, σ and tanh on four float32 lanes.
 *
 * e^x follows Cephes' expf: x = k·ln2 + r, |r| ≤ ln2/2, e^r by a degree-5 minimax polynomial
 * (error ~1 ulp), 2^k by building the float's exponent bits. σ(x) = 1 / (1 + e^−x) and
 * tanh(x) = 1 − 2 / (1 + e^2x). Only single-instruction lane ops are used on the way (pmin/pmax
 * rather than min/max, k rounded by adding 1.5·2²³ rather than by a saturating conversion):
 * the kernels evaluate several of these per state element and step. The polynomial and the range
 * reduction are multiply-adds, fused on the fused SIMD path (see `emitter.ts`).
 */
import { f32x4, get, i32, i32x4, set, type Code, type Local } from './emitter.js';

/** Scratch registers of the exponential. */
export interface ExpScratch {
  readonly x: Local;
  readonly k: Local;
}

export const v = f32x4.constant;

/** Adding it rounds a float below 2²² to an integer (to nearest even) held in the low mantissa bits. */
const ROUNDING_MAGIC = 12_582_912;

/** target = e^x on each lane, x clamped to [−87, 88] so that 2^k stays a normal float. */
export function exp(target: Local, x: Code, scratch: ExpScratch): Code {
  const r = get(scratch.x);
  const k = f32x4.sub(get(scratch.k), v(ROUNDING_MAGIC));
  const polynomial = [1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1].reduce<Code>(
    (acc, coefficient) => f32x4.madd(acc, r, v(coefficient)),
    v(1.98756915e-4),
  );
  // The rounded sum's low bits are k (two's complement); shifted into the exponent field, the
  // magic's own bits fall off the top.
  const twoToK = i32x4.shl(i32x4.add(get(scratch.k), i32x4.splat(i32.const(127))), i32.const(23));
  return [
    ...set(scratch.x, f32x4.pmin(f32x4.pmax(x, v(-87)), v(88))),
    ...set(scratch.k, f32x4.madd(get(scratch.x), v(Math.LOG2E), v(ROUNDING_MAGIC))),
    // ln 2 in two parts, so that r keeps float32 precision.
    ...set(scratch.x, f32x4.madd(k, v(2.1219444e-4), f32x4.madd(k, v(-0.693359375), get(scratch.x)))),
    ...set(target, f32x4.mul(f32x4.add(f32x4.madd(polynomial, f32x4.mul(r, r), r), v(1)), twoToK)),
  ];
}

export function sigmoid(target: Local, x: Code, scratch: ExpScratch): Code {
  return [...exp(target, f32x4.mul(x, v(-1)), scratch), ...set(target, f32x4.div(v(1), f32x4.add(v(1), get(target))))];
}

export function tanh(target: Local, x: Code, scratch: ExpScratch): Code {
  return [...exp(target, f32x4.mul(x, v(2)), scratch), ...set(target, f32x4.sub(v(1), f32x4.div(v(2), f32x4.add(v(1), get(target)))))];
}
