import { readFileSync } from 'node:fs';

/** Benchmark output: a readable line for people and a JSON line per figure for tools. */
export function figure(name: string, value: number, unit: string, extra: Record<string, unknown> = {}) {
  const shown = Number.isInteger(value) ? value.toLocaleString('en-US') : value.toFixed(2);
  console.log(`  ${name}: ${shown} ${unit}`);
  console.log(JSON.stringify({ bench: name, value: Number(value.toFixed(3)), unit, ...extra }));
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** CPU seconds (user + system) a process has used so far, from /proc; NaN where there is none. */
export function cpuSeconds(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command name.
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}
const CLOCK_TICKS = 100;

/** Child processes of `pid` (to find the server's embedded redis-server). */
export function childPids(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** A process's command name ('' when it is gone). */
export function processName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}
