/**
 * A configuration layer: the keys one source sets (a partial Config tree, already type-checked),
 * plus labels saying where each key came from, for error messages.
 */
export interface Layer {
  /** Label for keys without a more precise one: `file ./interchange.json`, `environment`, `command line`. */
  label: string;
  value: Record<string, unknown>;
  /** Precise labels per dotted key path: `env INTERCHANGE_LOG_LEVEL`, `--mqtt-port`. */
  pathLabels: Map<string, string>;
}

/** The label of `path` or of its nearest labelled ancestor, else the layer's label. */
export function labelOf(layer: Layer, path: string): string {
  let p = path.replace(/\[\d+\].*$/, '');
  for (;;) {
    const l = layer.pathLabels.get(p);
    if (l !== undefined) return l;
    const dot = p.lastIndexOf('.');
    if (dot < 0) return layer.label;
    p = p.slice(0, dot);
  }
}

/**
 * Set `value` at dotted `path` in `tree`, creating objects on the way.
 * Returns the blocking path if an ancestor was set to a non-object (e.g. `tls` is null).
 */
export function setPath(tree: Record<string, unknown>, path: string, value: unknown): string | undefined {
  const segs = path.split('.');
  let node = tree;
  for (let i = 0; i < segs.length - 1; i++) {
    const seg = segs[i]!;
    const next = node[seg];
    if (next === undefined) {
      const created: Record<string, unknown> = {};
      node[seg] = created;
      node = created;
    } else if (next !== null && typeof next === 'object' && !Array.isArray(next)) {
      node = next as Record<string, unknown>;
    } else {
      return segs.slice(0, i + 1).join('.');
    }
  }
  node[segs[segs.length - 1]!] = value;
  return undefined;
}
