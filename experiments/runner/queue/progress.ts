/**
 * Progress of a distributed run, in the local pool's words: units done of those to run,
 * elapsed time, an ETA, and the running units with their own progress and worker host.
 * The ETA is the remaining cost at the observed seconds per unit of cost, divided by the
 * workers seen running at once (the coordinator does not know how many will come).
 */
import { formatSeconds } from "../pool.js";
import type { PlannedUnit } from "../units.js";

interface Running {
  unit: PlannedUnit;
  host?: string;
  started?: number;
  fraction: number;
  message: string;
}

export class QueueProgress {
  private doneCost = 0;
  private doneSeconds = 0;
  /** Worker slots (host#slot) that ran a unit recently: the parallelism the ETA divides by. */
  private readonly slots = new Map<string, number>();
  private parallelMax = 0;

  constructor(
    private readonly todo: readonly PlannedUnit[],
    private readonly running: ReadonlyMap<string, Running>,
    private readonly doneCount: () => number,
    private readonly t0: number,
  ) {}

  finished(u: PlannedUnit, seconds: number, slot: string): void {
    this.doneCost += u.cost ?? 1;
    this.doneSeconds += seconds;
    this.slots.set(slot, performance.now());
  }

  /** Distinct worker slots busy now or finishing a unit in the last minute. */
  private parallel(): number {
    const now = performance.now();
    const live = new Set([...this.slots].filter(([, t]) => now - t < 60_000).map(([s]) => s));
    for (const r of this.running.values()) if (r.host) live.add(r.host);
    this.parallelMax = Math.max(this.parallelMax, live.size);
    return Math.max(1, live.size);
  }

  maxParallel(): number {
    this.parallel();
    return this.parallelMax;
  }

  eta(): number {
    const started = [...this.running.values()].filter((r) => r.started !== undefined);
    let rate = this.doneCost > 0 ? this.doneSeconds / this.doneCost : NaN;
    if (this.doneCost === 0) {
      const now = performance.now();
      const est = started.filter((r) => r.fraction > 0.05).map((r) => (now - r.started!) / 1000 / ((r.unit.cost ?? 1) * r.fraction));
      if (est.length) rate = est.reduce((a, b) => a + b, 0) / est.length;
    }
    if (Number.isNaN(rate)) return NaN;
    const runningIds = new Set(started.map((r) => r.unit.id));
    let remaining = 0;
    for (const r of started) remaining += (r.unit.cost ?? 1) * (1 - r.fraction);
    const done = this.doneCount();
    // Units not started: every unit to run minus the finished and the started ones, at full cost.
    const notStarted = this.todo.filter((u) => !runningIds.has(u.id)).reduce((s, u) => s + (u.cost ?? 1), 0) - this.doneCost;
    remaining += Math.max(0, notStarted);
    return done >= this.todo.length ? 0 : (remaining * rate) / this.parallel();
  }

  status(): string {
    return `${this.doneCount()}/${this.todo.length} done, elapsed ${formatSeconds((performance.now() - this.t0) / 1000)}, ETA ${formatSeconds(this.eta())}`;
  }

  /** The heartbeat line. */
  line(): string {
    const rs = [...this.running.values()];
    const busy = rs
      .filter((r) => r.started !== undefined)
      .map((r) => `${r.unit.id} ${Math.round(100 * r.fraction)}%${r.message ? ` (${r.message})` : ""} on ${r.host}`);
    const queued = rs.length - busy.length;
    return `${this.status()}; running: ${busy.join("; ") || "none"}${queued ? `; ${queued} queued` : ""}`;
  }
}
