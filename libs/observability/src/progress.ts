import { SingleBar, Presets } from 'cli-progress';

/**
 * Progress for long jobs: a bar when stderr is a terminal, otherwise one structured JSON line
 * on stderr at most every `intervalMs` (and at the end), so logs and CI stay readable.
 */
export interface Progress {
  /** Sets the total when it becomes known (e.g. file size in bytes). */
  setTotal(total: number): void;
  increment(by?: number, fields?: Record<string, number | string>): void;
  update(value: number, fields?: Record<string, number | string>): void;
  stop(): void;
}

export interface ProgressOptions {
  task: string;
  total?: number;
  unit?: string;
  intervalMs?: number;
  /** Force a mode; default: bar on a TTY, lines otherwise, nothing when LINKAGE_PROGRESS=off. */
  mode?: 'bar' | 'lines' | 'off';
  stream?: NodeJS.WriteStream;
}

export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const mode =
    options.mode ??
    (process.env.LINKAGE_PROGRESS === 'off'
      ? 'off'
      : process.env.LINKAGE_PROGRESS === 'lines' || !stream.isTTY
        ? 'lines'
        : 'bar');
  if (mode === 'off') return { setTotal() {}, increment() {}, update() {}, stop() {} };
  if (mode === 'bar') return barProgress(options, stream);
  return lineProgress(options, stream);
}

function barProgress(options: ProgressOptions, stream: NodeJS.WriteStream): Progress {
  const bar = new SingleBar(
    {
      stream,
      format: `${options.task.padEnd(18)} [{bar}] {percentage}% | {value}/{total} ${options.unit ?? ''} | {eta_formatted}`,
      hideCursor: true,
      etaBuffer: 50,
    },
    Presets.shades_classic,
  );
  let value = 0;
  bar.start(options.total ?? 0, 0);
  return {
    setTotal: (total) => bar.setTotal(total),
    increment: (by = 1, fields) => {
      value += by;
      bar.update(value, fields);
    },
    update: (v, fields) => {
      value = v;
      bar.update(v, fields);
    },
    stop: () => bar.stop(),
  };
}

function lineProgress(options: ProgressOptions, stream: NodeJS.WriteStream): Progress {
  const intervalMs = options.intervalMs ?? 2000;
  const started = Date.now();
  let total = options.total;
  let value = 0;
  let last = 0;
  let extra: Record<string, number | string> = {};
  const emit = (final: boolean) => {
    stream.write(
      JSON.stringify({
        progress: options.task,
        value,
        total: total ?? null,
        unit: options.unit ?? null,
        percent: total ? Math.round((value / total) * 1000) / 10 : null,
        elapsedMs: Date.now() - started,
        done: final,
        ...extra,
      }) + '\n',
    );
    last = Date.now();
  };
  const maybeEmit = () => {
    if (Date.now() - last >= intervalMs) emit(false);
  };
  return {
    setTotal: (t) => (total = t),
    increment: (by = 1, fields) => {
      value += by;
      if (fields) extra = fields;
      maybeEmit();
    },
    update: (v, fields) => {
      value = v;
      if (fields) extra = fields;
      maybeEmit();
    },
    stop: () => emit(true),
  };
}
