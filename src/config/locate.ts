/**
 * Finds where a field is written in a YAML document, so an error can point at it.
 */
import { isAlias, isMap, isScalar, isSeq, type Document, type LineCounter } from 'yaml';

/** A 1-based line and column. */
export interface Position {
  readonly line: number;
  readonly column: number;
}

/** Where a path leads in a document. */
export interface Located {
  /** The value at the path; when the path is missing, its nearest existing parent. */
  readonly position: Position;
  /** The key of the last segment, when the path was found inside a mapping. */
  readonly keyPosition: Position | undefined;
  /** Whether the whole path exists. */
  readonly found: boolean;
}

/**
 * Locates `path` (`['workers', 1, 'maxJobs']`) in `doc`. An empty value (`ssh:` with nothing after it) is located
 * at its key, since that is where a person would type the value.
 */
export function locate(doc: Document, lineCounter: LineCounter, path: readonly PropertyKey[]): Located {
  let node: unknown = doc.contents;
  let offset = start(node) ?? 0;
  let keyOffset: number | undefined;
  const at = (o: number): Position => {
    const { line, col } = lineCounter.linePos(o);
    return { line, column: col };
  };
  for (const segment of path) {
    if (isAlias(node)) node = node.resolve(doc);
    let next: unknown;
    keyOffset = undefined;
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (!pair) return { position: at(offset), keyPosition: undefined, found: false };
      keyOffset = start(pair.key);
      next = pair.value;
    } else if (isSeq(node) && typeof segment === 'number' && segment < node.items.length) {
      next = node.items[segment];
    } else {
      return { position: at(offset), keyPosition: undefined, found: false };
    }
    offset = start(next) ?? keyOffset ?? offset;
    node = next;
  }
  return { position: at(offset), keyPosition: keyOffset === undefined ? undefined : at(keyOffset), found: true };
}

/** Where a node's text starts; undefined for a node with no text (an empty value). */
function start(node: unknown): number | undefined {
  const range = (node as { range?: readonly number[] } | null | undefined)?.range;
  const [from, to] = range ?? [];
  return from !== undefined && to !== undefined && to > from ? from : undefined;
}
