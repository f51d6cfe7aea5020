/**
 * The checks of `promtool check metrics` (Prometheus' promlint), on the text exposition format, plus
 * one of our own: a histogram or summary of time is in seconds. promtool itself is not installed
 * on the machines that run the tests (Debian's `prometheus` package is about 100 MB), so its rules
 * are written out here, one function each, with the wording promtool uses.
 */

export interface Family {
  name: string;
  type: string | null;
  help: string | null;
  samples: { name: string; labels: Record<string, string>; value: string }[];
}

/** Parses the exposition format into families, in order; a sample's family is its TYPE line's. */
export function parseExposition(text: string): { families: Family[]; problems: string[] } {
  const families = new Map<string, Family>();
  const problems: string[] = [];
  const family = (name: string) => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { name, type: null, help: null, samples: [] }));
    return f;
  };
  let current: Family | null = null;
  for (const [index, line] of text.split('\n').entries()) {
    if (!line.trim()) continue;
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) ?(.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta as unknown as [string, 'HELP' | 'TYPE', string, string];
      const f = family(name);
      if (kind === 'HELP') {
        if (f.help !== null) problems.push(`${name}: second HELP line`);
        f.help = rest;
      } else {
        if (f.type !== null) problems.push(`${name}: second TYPE line`);
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest))
          problems.push(`${name}: unknown type ${rest}`);
        if (f.samples.length) problems.push(`${name}: TYPE after its samples`);
        f.type = rest;
      }
      current = f;
      continue;
    }
    if (line.startsWith('#')) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( \d+)?$/.exec(line);
    if (!sample) {
      problems.push(`line ${index + 1}: not a sample: ${line}`);
      continue;
    }
    const [, name, , labelText = '', value] = sample as unknown as [string, string, string, string, string];
    const labels: Record<string, string> = {};
    for (const m of labelText.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g))
      labels[m[1]!] = m[2]!;
    if (Number.isNaN(Number(value)) && !['NaN', '+Inf', '-Inf'].includes(value))
      problems.push(`${name}: value ${value} is not a number`);
    // A histogram's and a summary's series belong to the family declared before them.
    const owner =
      current && (name === current.name || name.startsWith(`${current.name}_`)) ? current : family(name);
    owner.samples.push({ name, labels, value });
  }
  return { families: [...families.values()], problems };
}

const UNIT_ABBREVIATIONS = ['s', 'ms', 'us', 'ns', 'sec', 'min', 'mins', 'hr', 'hrs', 'kb', 'mb', 'gb'];
const NON_BASE_UNITS: Record<string, string> = {
  milliseconds: 'seconds',
  microseconds: 'seconds',
  nanoseconds: 'seconds',
  minutes: 'seconds',
  hours: 'seconds',
  days: 'seconds',
  kilobytes: 'bytes',
  megabytes: 'bytes',
  gigabytes: 'bytes',
  bits: 'bytes',
};
const TIME_WORDS = ['duration', 'latency', 'time', 'elapsed'];

/** promlint's problems with one family, as promtool words them. */
export function lintFamily(f: Family): string[] {
  const problems: string[] = [];
  const say = (text: string) => problems.push(`${f.name}: ${text}`);
  if (!f.help) say('no help text');
  if (f.type === null) say('no TYPE line');
  const isCounter = f.type === 'counter';
  const hasTotal = f.name.endsWith('_total');
  if (isCounter && !hasTotal) say('counter metrics should have "_total" suffix');
  if (!isCounter && f.type !== 'untyped' && hasTotal)
    say('non-counter metrics should not have "_total" suffix');
  if (f.type !== 'histogram' && f.type !== 'summary') {
    for (const suffix of ['_bucket', '_count', '_sum'])
      if (f.name.endsWith(suffix))
        say(`non-histogram and non-summary metrics should not have "${suffix}" suffix`);
  }
  for (const s of f.samples) {
    if (f.type === 'histogram' && s.name === f.name)
      say('a histogram has only _bucket, _sum and _count series');
    if (f.type !== 'histogram' && 'le' in s.labels) say('non-histogram metrics should not have "le" label');
    if (f.type !== 'summary' && 'quantile' in s.labels)
      say('non-summary metrics should not have "quantile" label');
    for (const label of Object.keys(s.labels))
      if (/[A-Z]/.test(label) && label !== label.toLowerCase())
        say(`label names should be written in 'snake_case' not 'camelCase' (${label})`);
  }
  const parts = f.name.split('_');
  for (const type of ['counter', 'gauge', 'histogram', 'summary', 'untyped'])
    if (parts.includes(type)) say(`metric name should not include type '${type}'`);
  if (f.name.includes(':')) say("metric names should not contain ':'");
  if (/[A-Z]/.test(f.name)) say("metric names should be written in 'snake_case' not 'camelCase'");
  for (const part of parts) {
    if (UNIT_ABBREVIATIONS.includes(part)) say(`metric names should not contain abbreviated units (${part})`);
    const base = NON_BASE_UNITS[part];
    if (base) say(`use base unit "${base}" instead of "${part}"`);
  }
  // Ours: durations in seconds, named so.
  if ((f.type === 'histogram' || f.type === 'summary') && parts.some((p) => TIME_WORDS.includes(p)))
    if (!f.name.endsWith('_seconds'))
      say('a histogram or summary of time should be in seconds, named "…_seconds"');
  return problems;
}

/** Every problem promtool's lint (and our rule on durations) finds in an exposition. */
export function lintExposition(text: string): string[] {
  const { families, problems } = parseExposition(text);
  const names = new Set<string>();
  for (const f of families) {
    if (names.has(f.name)) problems.push(`${f.name}: metric family declared twice`);
    names.add(f.name);
    problems.push(...lintFamily(f));
  }
  return problems;
}
