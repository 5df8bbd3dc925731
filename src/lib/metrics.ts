/**
 * A small Prometheus registry: counters, gauges and histograms with labels, rendered in the
 * text exposition format (version 0.0.4) at /metrics. Written here rather than taken from
 * prom-client to keep the binary free of its Node-specific collectors; it does the little the
 * server needs and nothing else. Gauges that are cheaper to read than to maintain (queue depth,
 * database size) are computed at scrape time by collectors.
 */
type Labels = Record<string, string | number>;

const escapeLabel = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
const escapeHelp = (v: string) => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");

function labelKey(names: readonly string[], labels: Labels | undefined): string {
  if (names.length === 0) return "";
  return names.map((n) => `${n}="${escapeLabel(String(labels?.[n] ?? ""))}"`).join(",");
}

function fmt(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return String(n);
}

interface Metric {
  readonly name: string;
  render(): string[];
}

abstract class Base implements Metric {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[] = [],
  ) {}
  protected header(type: string): string[] {
    return [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${type}`];
  }
  abstract render(): string[];
}

export class Counter extends Base {
  private values = new Map<string, number>();
  inc(labels?: Labels, by = 1): void {
    const k = labelKey(this.labelNames, labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  get(labels?: Labels): number {
    return this.values.get(labelKey(this.labelNames, labels)) ?? 0;
  }
  render(): string[] {
    const out = this.header("counter");
    for (const [k, v] of this.values) out.push(`${this.name}${k ? `{${k}}` : ""} ${fmt(v)}`);
    return out;
  }
}

export class Gauge extends Base {
  private values = new Map<string, number>();
  constructor(name: string, help: string, labelNames: readonly string[] = [], private readonly collect?: (g: Gauge) => void) {
    super(name, help, labelNames);
  }
  set(value: number, labels?: Labels): void {
    this.values.set(labelKey(this.labelNames, labels), value);
  }
  inc(labels?: Labels, by = 1): void {
    const k = labelKey(this.labelNames, labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  dec(labels?: Labels, by = 1): void {
    this.inc(labels, -by);
  }
  get(labels?: Labels): number {
    return this.values.get(labelKey(this.labelNames, labels)) ?? 0;
  }
  render(): string[] {
    if (this.collect) {
      try {
        this.collect(this);
      } catch {
        // A collector that fails (database closed during shutdown) leaves the last values.
      }
    }
    const out = this.header("gauge");
    for (const [k, v] of this.values) out.push(`${this.name}${k ? `{${k}}` : ""} ${fmt(v)}`);
    return out;
  }
}

/** Seconds: from 0.5 ms (a status read) to 2 minutes (a slow model call). */
export const DEFAULT_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

export class Histogram extends Base {
  private series = new Map<string, { counts: number[]; sum: number; count: number }>();
  constructor(name: string, help: string, labelNames: readonly string[] = [], readonly buckets: readonly number[] = DEFAULT_BUCKETS) {
    super(name, help, labelNames);
  }
  observe(value: number, labels?: Labels): void {
    const k = labelKey(this.labelNames, labels);
    let s = this.series.get(k);
    if (!s) this.series.set(k, (s = { counts: new Array<number>(this.buckets.length).fill(0), sum: 0, count: 0 }));
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]!) s.counts[i]!++;
    s.sum += value;
    s.count++;
  }
  /** Starts a timer; call the returned function to record the elapsed seconds. */
  startTimer(labels?: Labels): (more?: Labels) => number {
    const t0 = performance.now();
    return (more) => {
      const seconds = (performance.now() - t0) / 1000;
      this.observe(seconds, more ? { ...labels, ...more } : labels);
      return seconds;
    };
  }
  count(labels?: Labels): number {
    return this.series.get(labelKey(this.labelNames, labels))?.count ?? 0;
  }
  render(): string[] {
    const out = this.header("histogram");
    for (const [k, s] of this.series) {
      const sep = k ? "," : "";
      this.buckets.forEach((b, i) => out.push(`${this.name}_bucket{${k}${sep}le="${fmt(b)}"} ${s.counts[i]}`));
      out.push(`${this.name}_bucket{${k}${sep}le="+Inf"} ${s.count}`);
      out.push(`${this.name}_sum${k ? `{${k}}` : ""} ${fmt(s.sum)}`);
      out.push(`${this.name}_count${k ? `{${k}}` : ""} ${s.count}`);
    }
    return out;
  }
}

export class Registry {
  private metrics = new Map<string, Metric>();

  private add<T extends Metric>(m: T): T {
    if (this.metrics.has(m.name)) throw new Error(`metric ${m.name} registered twice`);
    this.metrics.set(m.name, m);
    return m;
  }
  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.add(new Counter(name, help, labelNames));
  }
  gauge(name: string, help: string, labelNames: readonly string[] = [], collect?: (g: Gauge) => void): Gauge {
    return this.add(new Gauge(name, help, labelNames, collect));
  }
  histogram(name: string, help: string, labelNames: readonly string[] = [], buckets?: readonly number[]): Histogram {
    return this.add(new Histogram(name, help, labelNames, buckets));
  }
  /** The text exposition format. */
  render(): string {
    const lines: string[] = [];
    for (const m of this.metrics.values()) lines.push(...m.render());
    return lines.join("\n") + "\n";
  }
}

export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/**
 * Wraps every method of `target` so each call is timed into `histogram` under the label
 * `labelName` = the method's name (sync and async methods alike; failures are timed and also
 * counted in `errors` when given). Used for the queue (database timings) and storage.
 */
export function timeMethods<T extends object>(target: T, histogram: Histogram, extra: Labels, errors?: Counter): T {
  return new Proxy(target, {
    get(obj, prop, receiver) {
      const value = Reflect.get(obj, prop, receiver);
      if (typeof value !== "function" || typeof prop !== "string") return value;
      return function timed(this: unknown, ...args: unknown[]) {
        const t0 = performance.now();
        const done = (failed: boolean) => {
          const labels = { ...extra, op: prop };
          histogram.observe((performance.now() - t0) / 1000, labels);
          if (failed) errors?.inc(labels);
        };
        let result: unknown;
        try {
          result = (value as (...a: unknown[]) => unknown).apply(obj, args);
        } catch (err) {
          done(true);
          throw err;
        }
        if (result instanceof Promise) {
          return result.then(
            (v) => {
              done(false);
              return v;
            },
            (err) => {
              done(true);
              throw err;
            },
          );
        }
        done(false);
        return result;
      };
    },
  });
}
