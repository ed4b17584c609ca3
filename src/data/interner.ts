/**
 * Maps token strings to dense ids (0, 1, 2, … in order of first sight) without allocating a
 * string for tokens already seen: lookups take the range of the source text and its hash (see
 * `token-hash.ts`), and compare it in place with the code units kept for each id.
 */

const EMPTY = -1;

export class TokenInterner {
  private readonly tokens: string[] = [];
  /** Two int32 per slot: the hash of the slot's token, then its id (EMPTY when free). */
  private slots = new Int32Array(2 << 16).fill(EMPTY);
  private mask = (1 << 16) - 1;
  /** Every token's code units, one after the other, in id order: compared without touching the strings. */
  private chars = new Uint16Array(1 << 18);
  private charsUsed = 0;
  /** Where each token's code units end in `chars`; token `id` starts where token `id - 1` ends. */
  private ends = new Int32Array(1 << 14);

  get size(): number {
    return this.tokens.length;
  }

  token(id: number): string {
    return this.tokens[id];
  }

  /** Id of `source.slice(start, end)`, whose `hashRange` is `hash`, added when new. */
  intern(source: string, start: number, end: number, hash: number): number {
    const { slots, mask } = this;
    let slot = hash & mask;
    for (;;) {
      const id = slots[2 * slot + 1];
      if (id === EMPTY) return this.add(source, start, end, hash, slot);
      if (slots[2 * slot] === hash && this.equals(id, source, start, end)) return id;
      slot = (slot + 1) & mask;
    }
  }

  private equals(id: number, source: string, start: number, end: number): boolean {
    const { chars, ends } = this;
    let at = id === 0 ? 0 : ends[id - 1];
    if (ends[id] - at !== end - start) return false;
    for (let i = start; i < end; i++, at++) if (chars[at] !== source.charCodeAt(i)) return false;
    return true;
  }

  private add(source: string, start: number, end: number, hash: number, slot: number): number {
    const id = this.tokens.length;
    this.tokens.push(source.slice(start, end));
    if (this.charsUsed + end - start > this.chars.length) this.chars = grow(this.chars, this.charsUsed + end - start);
    for (let i = start; i < end; i++) this.chars[this.charsUsed++] = source.charCodeAt(i);
    if (id === this.ends.length) this.ends = grow(this.ends, id + 1);
    this.ends[id] = this.charsUsed;
    this.slots[2 * slot] = hash;
    this.slots[2 * slot + 1] = id;
    // Keep the load factor under one half so that probes stay short.
    if (this.tokens.length * 2 > this.mask + 1) this.rehash();
    return id;
  }

  private rehash(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2).fill(EMPTY);
    this.mask = this.slots.length / 2 - 1;
    for (let i = 0; i < old.length; i += 2) {
      if (old[i + 1] === EMPTY) continue;
      let slot = old[i] & this.mask;
      while (this.slots[2 * slot + 1] !== EMPTY) slot = (slot + 1) & this.mask;
      this.slots[2 * slot] = old[i];
      this.slots[2 * slot + 1] = old[i + 1];
    }
  }
}

/** A copy of `array` with room for at least `length` elements, doubling to keep appends amortised. */
function grow<A extends Int32Array | Uint16Array>(array: A, length: number): A {
  const grown = new (array.constructor as new (length: number) => A)(Math.max(length, array.length * 2));
  grown.set(array);
  return grown;
}
