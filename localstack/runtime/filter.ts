/**
 * Event filtering as Lambda event source mappings do it (EventBridge pattern syntax): exact values,
 * prefix, exists, anything-but and numeric comparisons. A record passes when any filter matches.
 * Arrays in the data are flattened (a nested pattern matches when any element matches), and rules
 * apply to leaf values only: `exists` does not see a map or a list of maps.
 */
type Rule = unknown;

const isLeaf = (value: unknown) => value === null || typeof value !== 'object';

function matchesRule(rule: Rule, value: unknown, present: boolean): boolean {
  if (rule === null || typeof rule !== 'object') return present && value === rule;
  const r = rule as Record<string, unknown>;
  if ('exists' in r) return r.exists === (present && isLeaf(value));
  if (!present) return false;
  if ('prefix' in r) return typeof value === 'string' && value.startsWith(String(r.prefix));
  if ('suffix' in r) return typeof value === 'string' && value.endsWith(String(r.suffix));
  if ('anything-but' in r) {
    const excluded = Array.isArray(r['anything-but']) ? r['anything-but'] : [r['anything-but']];
    return !excluded.includes(value);
  }
  if ('numeric' in r) {
    const n = typeof value === 'number' ? value : Number(value);
    if (Number.isNaN(n)) return false;
    const ops = r.numeric as (string | number)[];
    for (let i = 0; i + 1 < ops.length; i += 2) {
      const bound = Number(ops[i + 1]);
      const ok =
        ops[i] === '='
          ? n === bound
          : ops[i] === '>'
            ? n > bound
            : ops[i] === '>='
              ? n >= bound
              : ops[i] === '<'
                ? n < bound
                : ops[i] === '<='
                  ? n <= bound
                  : false;
      if (!ok) return false;
    }
    return true;
  }
  return false;
}

export function matchesPattern(pattern: Record<string, unknown>, data: unknown): boolean {
  if (Array.isArray(data)) return data.some((element) => matchesPattern(pattern, element));
  for (const [key, expected] of Object.entries(pattern)) {
    const container =
      data !== null && typeof data === 'object' ? (data as Record<string, unknown>) : undefined;
    const present = container !== undefined && key in container;
    const value = container?.[key];
    if (Array.isArray(expected)) {
      const values = Array.isArray(value) ? value : [value];
      if (!expected.some((rule) => values.some((v) => matchesRule(rule, v, present)))) return false;
    } else if (expected !== null && typeof expected === 'object') {
      if (!matchesPattern(expected as Record<string, unknown>, value)) return false;
    } else if (value !== expected) {
      return false;
    }
  }
  return true;
}

export function matchesAnyFilter(filters: readonly Record<string, unknown>[], data: unknown): boolean {
  return filters.length === 0 || filters.some((pattern) => matchesPattern(pattern, data));
}
