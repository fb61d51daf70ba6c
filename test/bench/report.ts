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
