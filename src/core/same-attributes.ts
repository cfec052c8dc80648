/**
 * Whether two validated attribute sets are equal, key order aside: creating a destination that
 * exists is idempotent with the same attributes and a conflict with different ones (as SQS).
 */
export function sameAttributes(a: object, b: object): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(o: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).sort(([x], [y]) => x.localeCompare(y)));
}
