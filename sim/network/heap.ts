/**
 * The simulator's event queue: a binary min-heap of (time, sequence number, payload) in
 * typed arrays. Events at the same time leave in the order they were pushed (the
 * sequence number breaks ties), so a run never depends on the heap's internal layout.
 */
export class EventHeap {
  private times: Float64Array;
  private seqs: Float64Array;
  private ids: Int32Array;
  private n = 0;
  private nextSeq = 0;

  constructor(capacity = 1024) {
    this.times = new Float64Array(capacity);
    this.seqs = new Float64Array(capacity);
    this.ids = new Int32Array(capacity);
  }

  get size(): number {
    return this.n;
  }

  /** Time of the earliest event; +Infinity when empty. */
  peekTime(): number {
    return this.n > 0 ? this.times[0] : Infinity;
  }

  clear(): void {
    this.n = 0;
    this.nextSeq = 0;
  }

  push(time: number, id: number): void {
    if (this.n === this.times.length) this.grow();
    const seq = this.nextSeq++;
    let i = this.n++;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.times[p] < time || (this.times[p] === time && this.seqs[p] < seq)) break;
      this.times[i] = this.times[p];
      this.seqs[i] = this.seqs[p];
      this.ids[i] = this.ids[p];
      i = p;
    }
    this.times[i] = time;
    this.seqs[i] = seq;
    this.ids[i] = id;
  }

  /** Removes the earliest event and returns its payload (call only when size > 0). */
  pop(): number {
    const top = this.ids[0];
    const n = --this.n;
    if (n === 0) return top;
    const t = this.times[n];
    const s = this.seqs[n];
    const id = this.ids[n];
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      const r = c + 1;
      if (r < n && (this.times[r] < this.times[c] || (this.times[r] === this.times[c] && this.seqs[r] < this.seqs[c]))) c = r;
      if (t < this.times[c] || (t === this.times[c] && s < this.seqs[c])) break;
      this.times[i] = this.times[c];
      this.seqs[i] = this.seqs[c];
      this.ids[i] = this.ids[c];
      i = c;
    }
    this.times[i] = t;
    this.seqs[i] = s;
    this.ids[i] = id;
    return top;
  }

  private grow(): void {
    const cap = this.times.length * 2;
    const t = new Float64Array(cap);
    t.set(this.times);
    const s = new Float64Array(cap);
    s.set(this.seqs);
    const d = new Int32Array(cap);
    d.set(this.ids);
    this.times = t;
    this.seqs = s;
    this.ids = d;
  }
}
