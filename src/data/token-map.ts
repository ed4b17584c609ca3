/**
 * A hash map from tokens to int32 values (≥ 0) that takes a token as a range of a source text and
 * its hash (see `token-hash.ts`), so that looking up a token already stored allocates nothing and
 * compares it in place with the code units kept for it.
 */
import { grownCopy } from './typed-arrays.js';

const ABSENT = -1;

export class TokenMap {
  /** Two int32 per slot: the hash of the slot's token, then its entry (ABSENT when free). */
  private slots = new Int32Array(2 << 16).fill(ABSENT);
  private mask = (1 << 16) - 1;
  /** Two int32 per entry, side by side to share a cache line: where its code units end in `chars`, its value. */
  private entries = new Int32Array(2 << 14);
  private count = 0;
  /** The entries' code units, one after the other: entry `e` starts where entry `e − 1` ends. */
  private chars = new Uint16Array(1 << 18);

  get size(): number {
    return this.count;
  }

  /** The value of `source.slice(start, end)`, whose `hashRange` is `hash`, or −1 when it has none. */
  get(source: string, start: number, end: number, hash: number): number {
    const { slots, mask } = this;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = slots[2 * slot + 1];
      if (entry === ABSENT) return ABSENT;
      if (slots[2 * slot] === hash && this.equals(entry, source, start, end)) return this.entries[2 * entry + 1];
    }
  }

  /** Gives the token, which `get` has just found without a value, the value `value`. */
  set(source: string, start: number, end: number, hash: number, value: number): void {
    let slot = hash & this.mask;
    while (this.slots[2 * slot + 1] !== ABSENT) slot = (slot + 1) & this.mask;
    const entry = this.count++;
    const from = this.charsEnd(entry);
    if (from + end - start > this.chars.length) this.chars = grownCopy(this.chars, from + end - start);
    for (let i = start; i < end; i++) this.chars[from + i - start] = source.charCodeAt(i);
    if (2 * entry + 1 >= this.entries.length) this.entries = grownCopy(this.entries, 2 * entry + 2);
    this.entries[2 * entry] = from + end - start;
    this.entries[2 * entry + 1] = value;
    this.slots[2 * slot] = hash;
    this.slots[2 * slot + 1] = entry;
    // Keep the load factor under one half so that probes stay short.
    if (this.count * 2 > this.mask + 1) this.rehash();
  }

  /** Where the code units of `entry` start, which is where those of the entry before it end. */
  private charsEnd(entry: number): number {
    return entry === 0 ? 0 : this.entries[2 * entry - 2];
  }

  private equals(entry: number, source: string, start: number, end: number): boolean {
    let at = this.charsEnd(entry);
    if (this.entries[2 * entry] - at !== end - start) return false;
    const { chars } = this;
    for (let i = start; i < end; i++, at++) if (chars[at] !== source.charCodeAt(i)) return false;
    return true;
  }

  private rehash(): void {
    const old = this.slots;
    this.slots = new Int32Array(old.length * 2).fill(ABSENT);
    this.mask = this.slots.length / 2 - 1;
    for (let i = 0; i < old.length; i += 2) {
      if (old[i + 1] === ABSENT) continue;
      let slot = old[i] & this.mask;
      while (this.slots[2 * slot + 1] !== ABSENT) slot = (slot + 1) & this.mask;
      this.slots[2 * slot] = old[i];
      this.slots[2 * slot + 1] = old[i + 1];
    }
  }
}
