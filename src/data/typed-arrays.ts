/** A copy of `array` with room for at least `length` elements, at least doubled so that appends stay amortised O(1). */
export function grownCopy<A extends Int32Array | Uint16Array>(array: A, length: number): A {
  const grown = new (array.constructor as new (length: number) => A)(Math.max(length, 2 * array.length));
  grown.set(array);
  return grown;
}
