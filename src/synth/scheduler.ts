/**
 * Interleaves many simulated flows in time order. A flow is a generator that yields the
 * time it wants to wake up at and receives that time back — or STOPPING once the budget is
 * reached, when every flow is woken at once and closes from its own clock (see `resumed`).
 */
export type FlowTask = Generator<number, void, number>;
/** A generator helper that returns the flow's clock when done. */
export type FlowStep = Generator<number, number, number>;

export const STOPPING = -1;

/** The resume time: the scheduler's answer, or `fallback` (the flow's own clock) when stopping. */
export function resumed(r: number, fallback: number): number {
  return r === STOPPING ? fallback : r;
}

export class Scheduler {
  private times: number[] = [];
  private seqs: number[] = [];
  private tasks: FlowTask[] = [];
  private seq = 0;
  /** tasks that have run at least one step; the others are dropped, not started, once stopping */
  private readonly started = new WeakSet<FlowTask>();
  /** once true, every flow is resumed immediately with STOPPING so that it closes */
  stopping = false;
  steps = 0;

  /** `shouldStop` is checked after every step (the size / packet budget). */
  constructor(private readonly shouldStop: () => boolean = () => false) {}

  get size(): number {
    return this.tasks.length;
  }

  /** Starts `task`; its first step runs at `t`. */
  spawn(task: FlowTask, t: number): void {
    this.push(t, task);
  }

  private less(i: number, j: number): boolean {
    return this.times[i] < this.times[j] || (this.times[i] === this.times[j] && this.seqs[i] < this.seqs[j]);
  }

  private swap(i: number, j: number): void {
    const t = this.times[i]; this.times[i] = this.times[j]; this.times[j] = t;
    const s = this.seqs[i]; this.seqs[i] = this.seqs[j]; this.seqs[j] = s;
    const k = this.tasks[i]; this.tasks[i] = this.tasks[j]; this.tasks[j] = k;
  }

  private push(t: number, task: FlowTask): void {
    this.times.push(t);
    this.seqs.push(this.seq++);
    this.tasks.push(task);
    let i = this.tasks.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }

  private pop(): [number, FlowTask] {
    const t = this.times[0];
    const task = this.tasks[0];
    const last = this.tasks.length - 1;
    this.swap(0, last);
    this.times.pop();
    this.seqs.pop();
    this.tasks.pop();
    let i = 0;
    const n = this.tasks.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.less(l, m)) m = l;
      if (r < n && this.less(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
    return [t, task];
  }

  /** Runs until no flow is left (flows end by themselves, or close once stopping). */
  run(maxSteps = Number.MAX_SAFE_INTEGER): void {
    while (this.tasks.length > 0 && this.steps < maxSteps) {
      const [want, task] = this.pop();
      this.steps++;
      if (this.stopping && !this.started.has(task)) {
        task.return();
        continue;
      }
      this.started.add(task);
      const r = task.next(this.stopping ? STOPPING : want);
      if (!r.done) this.push(r.value, task);
      if (!this.stopping && this.shouldStop()) this.stopping = true;
    }
  }
}
