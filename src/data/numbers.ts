/** Decimal numbers parsed straight from bytes: the vector files hold tens of millions of them. */

const POWERS_OF_TEN = Array.from({ length: 23 }, (_, exponent) => 10 ** exponent);

/** Where the last {@link parseDecimal} stopped; a module variable spares an allocation per number. */
export let parsedEnd = 0;

/**
 * Parses `[-+]digits[.digits][e[-+]digits]` at `start`; NaN when there is no digit. Exact for up
 * to 15 significant digits (the integer mantissa and the power of ten are both exact doubles).
 */
export function parseDecimal(bytes: Uint8Array, start: number, end: number): number {
  let i = start;
  const negative = bytes[i] === 0x2d;
  if (negative || bytes[i] === 0x2b) i++;
  let mantissa = 0;
  let digits = 0;
  let scale = 0;
  for (; i < end && bytes[i] >= 0x30 && bytes[i] <= 0x39; i++, digits++) mantissa = mantissa * 10 + (bytes[i] - 0x30);
  if (i < end && bytes[i] === 0x2e) {
    for (i++; i < end && bytes[i] >= 0x30 && bytes[i] <= 0x39; i++, digits++, scale--) mantissa = mantissa * 10 + (bytes[i] - 0x30);
  }
  if (i < end && (bytes[i] === 0x65 || bytes[i] === 0x45)) {
    i++;
    const negativeExponent = bytes[i] === 0x2d;
    if (negativeExponent || bytes[i] === 0x2b) i++;
    let exponent = 0;
    for (; i < end && bytes[i] >= 0x30 && bytes[i] <= 0x39; i++) exponent = exponent * 10 + (bytes[i] - 0x30);
    scale += negativeExponent ? -exponent : exponent;
  }
  parsedEnd = i;
  if (digits === 0) return NaN;
  const value = scale >= 0 ? mantissa * powerOfTen(scale) : mantissa / powerOfTen(-scale);
  return negative ? -value : value;
}

function powerOfTen(exponent: number): number {
  return exponent < POWERS_OF_TEN.length ? POWERS_OF_TEN[exponent] : 10 ** exponent;
}
